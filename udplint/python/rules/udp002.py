"""UDP002: a half fix. pktinfo is enabled but the reply still uses sendto(), or sendmsg() carries
no IP_PKTINFO/IPV6_PKTINFO control message."""
from __future__ import annotations

from .common import Candidate

CODE = "UDP002"


def applies(candidate: Candidate) -> bool:
    reply = candidate.reply
    if reply.method == "sendmsg":
        return not reply.carries_control_data
    return candidate.prepared


def problem(candidate: Candidate) -> str:
    if candidate.reply.method == "sendmsg":
        return "carries no IP_PKTINFO/IPV6_PKTINFO control message"
    return "ignores the packet info the socket enables"


INVALID = [
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 8, 1)  # IP_PKTINFO on Linux
s.bind(("0.0.0.0", 5353))
data, ancdata, flags, addr = s.recvmsg(512, 256)
s.sendto(data, addr)  # expect: UDP002
""",
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
data, ancdata, flags, addr = s.recvmsg(512, 256)
s.sendmsg([data], [], 0, addr)  # expect: UDP002
""",
]
VALID = [
    """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 8, 1)
s.bind(("0.0.0.0", 5353))
data, ancdata, flags, addr = s.recvmsg(512, 256)
s.sendmsg([data], [(socket.IPPROTO_IP, 8, ancdata[0][2])], 0, addr)
""",
]
