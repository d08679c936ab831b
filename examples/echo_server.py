"""A small UDP echo server with the bug udplint finds.

It binds every address and answers with sendto(): on a host with several addresses the answer can
leave from a different address than the client used, and a connected client never sees it.
Run: python examples/echo_server.py 9999
"""
import socket
import sys

LISTEN = ("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 9999)


def serve():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(LISTEN)
    while True:
        data, client = sock.recvfrom(2048)
        sock.sendto(b"echo:" + data, client)


if __name__ == "__main__":
    serve()
