"""Fixes for socketserver: serve with a UDP server class that pins each reply's source.

The server class named at the creation call (or the stdlib base of the user's server class)
becomes an injected `_PktinfoUDPServer` / `_PktinfoThreadingUDPServer` / `_PktinfoForkingUDPServer`:
it enables pktinfo, receives with recvmsg and hands handlers, in `self.request`, a stand-in for
the socket whose sendto() pins the source. Handlers stay unchanged. Applied only to wildcard
binds (the rules report nothing else).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..python import frameworks as fw
from . import SAFE, Plan, suggestion
from .plain import PLAIN_PATTERN, plan_reply

REPLACEMENT = {"UDPServer": "_PktinfoUDPServer", "ThreadingUDPServer": "_PktinfoThreadingUDPServer",
               "ForkingUDPServer": "_PktinfoForkingUDPServer"}
CUSTOM_INTERNALS = ("get_request", "finish_request", "verify_request")

SOCKETSERVER_PATTERN = """\
class PktinfoUDPServer(socketserver.UDPServer):
    def server_bind(self):
        if self.socket.family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        self.socket.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_PKTINFO", 8), 1)
        super().server_bind()

    def get_request(self):
        data, ancdata, _flags, addr = self.socket.recvmsg(self.max_packet_size, 256)
        # hand the handler (data, an object whose sendto() calls sendmsg with a fresh
        # IP_PKTINFO{ifindex 0, ipi_spec_dst} / IPV6_PKTINFO{ipi6_addr, 0} message), addr
"""


def _tail(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def plan(facts, violation) -> Optional[Plan]:
    server = violation.server
    site = server.site
    module = site.ctx.module
    if not module.checked:
        return None
    text = f"serve with a socketserver class that pins each reply's source; the pattern:\n{SOCKETSERVER_PATTERN}"
    if server.options & {"IP_TRANSPARENT"}:
        return suggestion(module, text)
    target = _class_reference(facts, site)
    if target is None:
        return suggestion(module, text)
    node, owner_module, name = target
    if owner_module is not module or not owner_module.checked:
        return suggestion(module, text)
    if site.server_class is not None:
        for cls in facts.flow.ancestry(site.server_class.index)[0]:
            if any(m in cls.methods for m in CUSTOM_INTERNALS):
                return suggestion(module, "the server class overrides how requests are received; " + text)
    result = Plan(module, SAFE, f"serve with {REPLACEMENT[name]} (inserted after the imports): it receives with "
                  "recvmsg() and pins each reply's source to the request's destination; handlers are unchanged",
                  parts={"core", "socketserver"})
    result.replacements[node] = cst.Name(REPLACEMENT[name])
    reply = violation.reply
    if reply.method == "sendto" and reply.ctx.module is module:
        plan_reply(result, reply)  # e.g. self.server.socket.sendto(...): pinned by the client address
    return result


def _class_reference(facts, site):
    """(expression naming the stdlib server class, its module, class name) to replace."""
    if site.server_class is None:
        func = site.node.func
        name = _tail(func)
        if name in REPLACEMENT and _names_stdlib(facts, func, site.ctx):
            return func, site.ctx.module, name
        return None
    for cls in facts.flow.ancestry(site.server_class.index)[0]:
        for base in cls.node.bases:
            name = _tail(base.value)
            if name in REPLACEMENT and base.keyword is None:
                return base.value, cls.module, name
    return None


def _names_stdlib(facts, expr, ctx) -> bool:
    try:
        values = facts.flow.values(expr, ctx)
    except Exception:
        return True
    qualnames = {getattr(v, "qualname", None) for v in values}
    return not values or bool(qualnames & fw.SOCKETSERVER_UDP)
