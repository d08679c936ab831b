"""A byte-level test run before parsing: most files cannot contain a UDP server at all.

Parsing with libcst is ~1000x slower than reading bytes, so only files that mention a datagram
API or a UDP framework are parsed. Project modules they import are still parsed on demand.
"""
from __future__ import annotations

import re

_UDP_MARKERS = re.compile(
    rb"SOCK_DGRAM|UDPServer|DatagramRequestHandler|create_datagram_endpoint|DatagramProtocol"
    rb"|listenUDP|DatagramServer|create_udp_socket|datagram_received|datagramReceived"
    rb"|sendto|sendmsg|recvfrom|recvmsg"
)


def may_contain_udp_server(data: bytes) -> bool:
    return _UDP_MARKERS.search(data) is not None
