"""Tiny UDP servers shared by the integration tests (flake8, pre-commit, SARIF, the PR gate)."""

# A wildcard-bound echo server replying with sendto(): UDP001 on line 7, column 5.
BUGGY = '''import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 9999))
while True:
    data, addr = sock.recvfrom(2048)
    sock.sendto(data, addr)
'''
BUGGY_LINE, BUGGY_COL = 7, 5

# The same server bound to one specific address: the kernel's source choice is right, no finding.
CLEAN = BUGGY.replace('"0.0.0.0"', '"127.0.0.1"')


def buggy_server(port: int, reply: str = "data") -> str:
    """Another buggy server, distinguishable by its port and reply expression."""
    return BUGGY.replace("9999", str(port)).replace("sendto(data, addr)", f"sendto({reply}, addr)")
