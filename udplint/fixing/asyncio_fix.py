"""Fixes for asyncio `create_datagram_endpoint`: its transport has no sendmsg().

The endpoint call becomes `_pktinfo_create_datagram_endpoint(loop, ...)`: for a wildcard
`local_addr` on Linux it builds a small datagram transport on `loop.add_reader` that receives with
recvmsg and replies with sendmsg from each peer's request destination; the user's protocol is
unchanged. Anything else (other platforms, `sock=`, loops without add_reader) is passed to the
loop's own create_datagram_endpoint. The transport is new code under the application, so the fix
is unsafe: applied with `--unsafe-fixes`.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from . import UNSAFE, Plan, suggestion
from ..python.facts import PKTINFO_OPTIONS
from .plain import OTHER_ANCILLARY_PREFIXES, PLAIN_PATTERN, mentioned_options

ASYNCIO_PATTERN = (
    "asyncio's transport.sendto() cannot pin the source. Serve the port from a socket with IP_PKTINFO "
    "(IPV6_RECVPKTINFO too for '::') watched by loop.add_reader(), receive with recvmsg() and reply with "
    "sendmsg() as below, calling protocol.datagram_received(data, addr) yourself; or create one endpoint "
    "per local address (local_addr=(address, port)).\n" + PLAIN_PATTERN
)
ALLOWED_KEYWORDS = {"local_addr", "family", "proto", "flags", "reuse_port", "allow_broadcast", "sock"}


def plan(facts, violation) -> Optional[Plan]:
    site = violation.server.site
    module = site.ctx.module
    if not module.checked:
        return None
    call = site.node
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "create_datagram_endpoint"):
        return suggestion(module, ASYNCIO_PATTERN)
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if any(a.star for a in call.args) or not keywords & {"local_addr", "sock"} or not keywords <= ALLOWED_KEYWORDS:
        return suggestion(module, ASYNCIO_PATTERN)
    positional = [a for a in call.args if a.keyword is None]
    if len(positional) != 1:
        return suggestion(module, ASYNCIO_PATTERN)
    options = violation.server.options | mentioned_options(module)
    other = {o for o in options if o.startswith(OTHER_ANCILLARY_PREFIXES) and o not in PKTINFO_OPTIONS}
    if other or "IP_TRANSPARENT" in options:
        return suggestion(module, ASYNCIO_PATTERN)
    result = Plan(module, UNSAFE, "serve the endpoint with a datagram transport (inserted after the imports) "
                  "that receives with recvmsg() and pins each reply's source; the protocol is unchanged",
                  parts={"core", "asyncio"})
    result.calls[call] = "_pktinfo_create_datagram_endpoint"
    return result
