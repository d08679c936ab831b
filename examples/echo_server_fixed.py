"""The same echo server, answering from the address each request was sent to.

IP_PKTINFO makes the kernel report every request's destination; the reply carries it back as an
IP_PKTINFO control message (ipi_spec_dst, interface 0), so the source is pinned.
Run: python examples/echo_server_fixed.py 9999
"""
import socket
import struct
import sys

LISTEN = ("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 9999)
# socket.IP_PKTINFO exists from Python 3.12; 8 is its value on Linux.
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def reply_source(ancdata):
    """The control message that pins the reply's source to the request's destination."""
    for level, kind, info in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(info) >= 12:
            return [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, info[4:8], bytes(4)))]
    return []


def serve():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    sock.bind(LISTEN)
    while True:
        data, ancdata, _flags, client = sock.recvmsg(2048, socket.CMSG_SPACE(12))
        sock.sendmsg([b"echo:" + data], reply_source(ancdata), 0, client)


if __name__ == "__main__":
    serve()
