"""Fixes for plain sockets: route the receive and the reply through injected helpers.

`data, addr = s.recvfrom(n)` becomes `data, addr = _pktinfo_recvfrom(s, n)`: the same values,
but `addr` also remembers the address the request was sent to (a tuple subclass, plus a small
per-peer table). `s.sendto(reply, addr)` becomes `_pktinfo_sendto(s, reply, addr)`, which sends
with sendmsg and an IP_PKTINFO / IPV6_PKTINFO message pinning that source. The pinned source
travels with the peer address through helpers, threads and queues; where it is lost (or pktinfo
is unavailable) the helpers send exactly like the original code. `_pktinfo_enable(s)` is
inserted before the wildcard bind, so even the first request carries its destination.
"""
from __future__ import annotations

import re
from typing import Dict, Optional

import libcst as cst

from ..python.facts import PKTINFO_OPTIONS
from . import DISPLAY, SAFE, Plan, suggestion

RECEIVE_HELPERS = {"recvfrom": "_pktinfo_recvfrom", "recvfrom_into": "_pktinfo_recvfrom_into", "recvmsg": "_pktinfo_recvmsg"}
SEND_HELPERS = {"sendto": "_pktinfo_sendto", "sendmsg": "_pktinfo_sendmsg"}
OTHER_ANCILLARY_PREFIXES = ("IP_RECV", "IPV6_RECV", "IP_ORIGDSTADDR", "SO_TIMESTAMP", "IPV6_HOPLIMIT", "IP_TTL")

PLAIN_PATTERN = """\
import struct
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux; Python names it from 3.12
if sock.family == socket.AF_INET6:
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)  # also IPv4 peers of a dual-stack socket
data, ancdata, _flags, addr = sock.recvmsg(65535, 256)
cmsgs = []
for level, kind, value in ancdata:
    if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(value) >= 12:
        cmsgs = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, value[4:8], bytes(4)))]  # ipi_spec_dst, ifindex 0
        break
    if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO and len(value) >= 20 and value[0] != 0xFF:
        cmsgs = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, struct.pack("=16sI", value[:16], 0))]  # ipi6_addr, ifindex 0
sock.sendmsg([reply], cmsgs, 0, addr)"""


def _pattern(intro: str) -> str:
    return f"{intro}; write instead (Linux):\n{PLAIN_PATTERN}"


def plan(facts, violation) -> Optional[Plan]:
    reply, server, bind = violation.reply, violation.server, violation.bind
    module = reply.ctx.module
    if not module.checked:
        return None
    if bind.ctx.module is not module:
        return suggestion(bind.ctx.module, _pattern(
            "the socket is bound in one module and replies in another: no automatic fix"))
    options = server.options | mentioned_options(module)
    if "IP_TRANSPARENT" in options:
        return suggestion(module, _pattern(
            "IP_TRANSPARENT socket (TPROXY): pin the reply to the original destination by hand"))
    other = sorted(o for o in options if o.startswith(OTHER_ANCILLARY_PREFIXES) and o not in PKTINFO_OPTIONS)
    if other:
        return suggestion(module, _pattern(
            f"the socket already receives other control data ({', '.join(other)}): add IP_PKTINFO by hand "
            "and send only a fresh IP_PKTINFO/IPV6_PKTINFO message, never the received control data"))
    result = Plan(module, SAFE, "receive with recvmsg() and reply with sendmsg() from the request's "
                  "destination address (IP_PKTINFO/IPV6_PKTINFO, via helpers inserted after the imports)",
                  parts={"core"})
    problem = _plan_reply(result, reply) or _plan_receives(facts, result, server) or _plan_binds(result, server)
    if problem:
        return suggestion(module, _pattern(problem))
    return result


_OPTION_NAMES = re.compile(r"\b(IP_TRANSPARENT|IP_ORIGDSTADDR|IPV?6?_RECV[A-Z0-9_]+|SO_TIMESTAMP[A-Z]*)\b")


def mentioned_options(module) -> set:
    """Socket options the module names anywhere (also through local constants, which the data
    flow does not resolve to option names): enough to stay away from TPROXY and cmsg code."""
    return set(_OPTION_NAMES.findall(module.source))


def _plain_args(call: cst.Call, low: int, high: int) -> bool:
    return low <= len(call.args) <= high and all(a.keyword is None and not a.star for a in call.args)


def _awaited(module, node: cst.CSTNode) -> bool:
    return isinstance(parents(module).get(node), cst.Await)


def plan_reply(result: Plan, reply) -> Optional[str]:
    return _plan_reply(result, reply)


def _plan_reply(result: Plan, reply) -> Optional[str]:
    call = reply.node
    method = reply.method
    if method not in SEND_HELPERS or not isinstance(call.func, cst.Attribute) or call.func.attr.value != method:
        return f"the reply is sent with {method}(): no automatic fix"
    if _awaited(result.module, call):
        return "the reply is awaited (an async socket): no automatic fix"
    if method == "sendto" and not _plain_args(call, 2, 3):
        return "sendto() with unusual arguments: no automatic fix"
    if method == "sendmsg" and not _plain_args(call, 4, 4):
        return "sendmsg() without a visible destination: no automatic fix"
    result.calls[call] = SEND_HELPERS[method]
    if method == "sendmsg":
        result.parts.add("sendmsg")
    return None


def _plan_receives(facts, result: Plan, server) -> Optional[str]:
    if not server.receives:
        return "the receive is not visible: no automatic fix"
    for call in server.receives:
        if not _in_module(result.module, call):
            return "the socket receives in another module: no automatic fix"
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
        if method not in RECEIVE_HELPERS:
            return f"the socket receives with {method}(): no automatic fix"
        if _awaited(result.module, call):
            return "the receive is awaited (an async socket): no automatic fix"
        if not _plain_args(call, 1, 3):
            return f"{method}() with unusual arguments: no automatic fix"
        if method == "recvmsg" and len(call.args) >= 2 and not _is_zero(call.args[1].value):
            result.before_allowed = False  # the code reads control data: enable nothing behind its back
        result.calls[call] = RECEIVE_HELPERS[method]
        if method != "recvfrom":
            result.parts.add(method)
    return None


def _plan_binds(result: Plan, server) -> Optional[str]:
    if not getattr(result, "before_allowed", True):
        return None
    for bind in server.binds:
        if bind.ctx.module is not result.module or not isinstance(bind.node.func, cst.Attribute):
            continue
        receiver = bind.node.func.value
        stmt = statement_of(result.module, bind.node)
        if stmt is None or not _simple_reference(receiver):
            continue  # the receive helper enables pktinfo itself on first use
        code = result.module.tree.code_for_node(receiver)
        result.before[stmt] = [f"_pktinfo_enable({code})"]
    return None


def _is_zero(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Integer) and expr.evaluated_value == 0


def _simple_reference(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return isinstance(expr, cst.Name)


def _in_module(module, node: cst.CSTNode) -> bool:
    try:
        module.positions[node]
        return True
    except KeyError:
        return False


# -- tree navigation ----------------------------------------------------------------------------
_PARENTS: Dict[int, tuple] = {}


class _ParentCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        self.stack = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.parents[node] = self.stack[-1]
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def parents(module) -> Dict[cst.CSTNode, cst.CSTNode]:
    cached = _PARENTS.get(id(module))
    if cached is None or cached[0] is not module:
        collector = _ParentCollector()
        module.tree.visit(collector)
        cached = (module, collector.parents)
        _PARENTS.clear() if len(_PARENTS) > 256 else None
        _PARENTS[id(module)] = cached
    return cached[1]


def statement_of(module, call: cst.Call) -> Optional[cst.SimpleStatementLine]:
    """The statement line that is exactly `call` as an expression statement, if any."""
    table = parents(module)
    expr = table.get(call)
    line = table.get(expr) if isinstance(expr, cst.Expr) else None
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        return line
    return None


FRAMEWORK_HINTS = {
    "twisted": "Twisted's UDP transport has no sendmsg(): bind one port per local address "
               "(reactor.listenUDP(port, protocol, interface=address) for each address), or serve the port "
               "from a plain socket with the pattern below",
    "gevent": "gevent's DatagramServer replies with sendto(): receive and reply on the socket with the "
              "pattern below",
    "anyio": "anyio/trio UDP sockets have no sendmsg(): bind one socket per local address, or use a plain "
             "socket with the pattern below",
}


def framework_suggestion(facts, violation) -> Optional[Plan]:
    module = violation.reply.ctx.module if violation.reply.ctx.module is violation.bind.ctx.module else violation.bind.ctx.module
    hint = FRAMEWORK_HINTS.get(violation.server.kind, "no automatic fix for this framework")
    return suggestion(module, _pattern(hint))
