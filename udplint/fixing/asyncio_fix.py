"""asyncio: the datagram transport reads with recvfrom() and writes with sendto() and has no
sendmsg(); enabling IP_PKTINFO on a `sock=` socket changes nothing (verified). A correct fix
replaces the transport (a socket on loop.add_reader with recvmsg/sendmsg) or opens one endpoint
per local address. Both change how the program serves, so the finding gets the exact pattern.
"""
from __future__ import annotations

from .plain import PATTERN
from .plan import Plan, suggestion

ASYNCIO_PATTERN = (
    "asyncio's transport.sendto() cannot pin the source. Serve the port from a non-blocking socket with "
    "IP_PKTINFO (IPV6_RECVPKTINFO too for '::') watched by loop.add_reader(), and in the reader receive with "
    "recvmsg() and reply with sendmsg() as below; or create one endpoint per local address "
    "(local_addr=(address, port)).\n" + PATTERN
)


def plan(source, target) -> Plan:
    return suggestion(ASYNCIO_PATTERN)
