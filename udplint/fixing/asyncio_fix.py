"""Fixes for asyncio `create_datagram_endpoint`: its transport has no sendmsg().

asyncio's datagram transport reads with recvfrom() and writes with sendto(); enabling IP_PKTINFO
on a `sock=` socket changes nothing (verified), and Python 3.11 has no loop.sock_recvmsg. The
smallest correct shape is a transport on `loop.add_reader` (`snippets.ASYNCIO_TRANSPORT`) that
receives with recvmsg and passes each request's control data to the protocol as a third
argument of `datagram_received`; the protocol passes it back with its reply,
`self.transport.sendto(data, addr, ancdata)`, through the calls and scheduled callbacks it
already makes (`carry.py`). Nothing is keyed by peer. The transport is new code under the
application (no write buffering, no uvloop/Proactor), so the fix is unsafe.
"""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from . import snippets
from .carry import carry_from_callbacks
from .locate import Source, imported_as
from .plain import PATTERN, add_common_code, blocking_options, existing_helper_problem, socket_module, with_args
from .plan import CLASS, UNSAFE, Plan, suggestion
from .target import FixTarget

ASYNCIO_PATTERN = (
    "asyncio's transport.sendto() cannot pin the source. Serve the port from a non-blocking socket with "
    "IP_PKTINFO (IPV6_RECVPKTINFO too for '::') watched by loop.add_reader(), and in the reader receive with "
    "recvmsg() and reply with sendmsg() as below; or create one endpoint per local address "
    "(local_addr=(address, port)).\n" + PATTERN
)
ADDRESSES = {"local_addr", "sock"}
ENDPOINT_KEYWORDS = ADDRESSES | {"family"}  # what PktinfoDatagramTransport.create_endpoint takes


def _suggest(why: str) -> Plan:
    return suggestion(f"{why}; {ASYNCIO_PATTERN}")


def _callbacks(source: Source, target: FixTarget) -> Optional[List[cst.FunctionDef]]:
    """Each protocol's `datagram_received(self, data, addr)`, or None if one has another shape."""
    found = []
    for name in target.handler_classes:
        classes = source.classes(name)
        if len(classes) != 1:
            return None
        methods = [s for s in classes[0].body.body if isinstance(s, cst.FunctionDef) and s.name.value == "datagram_received"]
        if len(methods) != 1:
            return None
        params = methods[0].params
        if len(params.params) != 3 or params.posonly_params or params.kwonly_params or not isinstance(
                params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None or any(p.default for p in params.params):
            return None
        found.append(methods[0])
    return found


def plan(source: Source, target: FixTarget) -> Plan:
    blocked = blocking_options(target, source)
    if blocked:
        return _suggest(blocked)
    creation = source.find(target.socket)
    reply = source.find(target.reply)
    if creation is None or reply is None or not isinstance(creation.func, cst.Attribute) \
            or creation.func.attr.value != "create_datagram_endpoint":
        return _suggest("the endpoint is not made by loop.create_datagram_endpoint() here")
    positional = [a for a in creation.args if a.keyword is None]
    keywords = {a.keyword.value for a in creation.args if a.keyword is not None}
    if len(positional) != 1 or any(a.star for a in creation.args) or len(keywords & ADDRESSES) != 1 \
            or not keywords <= ENDPOINT_KEYWORDS:
        return _suggest("create_datagram_endpoint() with options the fix does not carry over")
    asyncio_name = imported_as(source, "asyncio")
    callbacks = _callbacks(source, target)
    if asyncio_name is None or not callbacks:
        return _suggest("the protocol's datagram_received() is not defined once, as (self, data, addr), in this file")
    if not (isinstance(reply.func, cst.Attribute) and target.reply_method == "sendto" and len(reply.args) == 2
            and all(a.keyword is None and not a.star for a in reply.args)):
        return _suggest("the reply is not transport.sendto(data, addr)")
    module = socket_module(source)
    existing = existing_helper_problem(source, ipv6=True)
    if existing:
        return _suggest(existing)
    result = Plan(UNSAFE, "serve the endpoint with a transport on loop.add_reader (inserted after the imports) that "
                          "receives with recvmsg() and hands datagram_received() the request's control data; the "
                          "reply passes it back so it leaves from the address the request was sent to")
    roots = {callback: callback.params.params[2].name.value for callback in callbacks}
    ancdata = carry_from_callbacks(result, source, target, reply, reply.args[1].value, module, roots)
    if ancdata is None:
        return _suggest("the reply's address does not come straight from datagram_received()")
    result.rebuild[reply] = lambda updated: with_args(updated, [*updated.args, cst.Name(ancdata)])
    loop = creation.func.value
    name = snippets.ASYNCIO_TRANSPORT_NAME
    result.rebuild[creation] = lambda updated: with_args(updated.with_changes(
        func=cst.Attribute(cst.Name(name), cst.Name("create_endpoint"))), [cst.Arg(loop), *updated.args])
    add_common_code(result, source, module, ipv6=True)
    result.add_module_code(source.file_of(creation).path, f"class {name}", CLASS,
                           snippets.ASYNCIO_TRANSPORT.format(S=module.prefix, A=asyncio_name))
    return result
