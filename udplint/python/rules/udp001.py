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
    """
import socket


class Settings:
    DEFAULTS = dict(host="", port=5300)  # the wildcard, read back through a property

    def __init__(self):
        self._data = {}

    @property
    def host(self):
        return self._data.get("host", self.DEFAULTS["host"])


settings = Settings()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((settings.host, 5300))
query, client = sock.recvfrom(512)
sock.sendto(query, client)  # expect: UDP001
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
    """
import socket


def to_text(value):  # shared by every caller: what one passes is not what another gets back
    return value


sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind((to_text("0.0.0.0"), 8125))  # receive-only
sink.recvfrom(512)
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.bind((to_text("127.0.0.1"), 7))
data, addr = echo.recvfrom(512)
echo.sendto(data, addr)
""",
    """
import json
import select
import socket

sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("0.0.0.0", 8125))  # receive-only: metrics come in, nothing goes back
settings = json.load(open("control.json"))
control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
control.bind((settings["host"], settings["port"]))  # the operator's address
controller = None


def handle(sock):  # one handler for both sockets: the flow cannot tell their peers apart
    global controller
    data, addr = sock.recvfrom(512)
    if sock is control:
        controller = addr
        control.sendto(b"ok", controller)  # answers the control socket's own peer


while True:
    ready, _, _ = select.select([sink, control], [], [])
    for sock in ready:
        handle(sock)
""",
]
