"""UDP001: a reply to the sender of a wildcard-bound UDP server, with nothing pinning its source."""
from __future__ import annotations

from .common import Candidate

CODE = "UDP001"


def applies(candidate: Candidate) -> bool:
    return candidate.reply.method != "sendmsg" and not candidate.prepared


def problem(candidate: Candidate) -> str:
    return "does not pin the source address"


# Fixit style: code this rule flags, and look-alikes it must leave alone.
INVALID = [
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
data, addr = s.recvfrom(512)
s.sendto(data, addr)  # expect: UDP001
""",
    """
import socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)  # expect: UDP001
socketserver.UDPServer(("", 9999), Echo).serve_forever()
""",
]
VALID = [
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 5353))  # a specific address: the kernel answers from it
data, addr = s.recvfrom(512)
s.sendto(data, addr)
""",
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 8080))
""",
    """
import socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.sendto(b"ping", ("192.0.2.1", 53))  # a client: it talks first, to a fixed server
data, addr = c.recvfrom(512)
""",
]
