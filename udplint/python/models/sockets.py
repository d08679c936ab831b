"""Plain sockets: `socket.socket(AF_INET, SOCK_DGRAM)` and the green/async wrappers of it.
Receives return the peer: recvfrom() -> (data, addr), recvmsg() -> (data, ancdata, flags, addr)."""
from __future__ import annotations

from ..values import AddrInfo, Received, Sock, Sym
from .base import Model


class SocketModel(Model):
    kind = "socket"
    label = "a UDP socket"
    markers = (b"SOCK_DGRAM", b"sendto", b"sendmsg", b"recvfrom", b"recvmsg")
    fix_hint = "enable IP_PKTINFO/IPV6_RECVPKTINFO, receive with recvmsg() and reply with sendmsg()"
    constructors = frozenset({
        "socket.socket", "socket.SocketType", "_socket.socket", "trio.socket.socket", "gevent.socket.socket",
        "eventlet.green.socket.socket", "socket.fromfd",
    })
    site_methods = frozenset({"socket"})

    def method_result(self, solver, call, method, socks, receivers, ctx):
        if method in ("recvfrom", "recvfrom_into"):
            return {Received(s, 1) for s in socks}
        if method in ("recvmsg", "recvmsg_into"):
            return {Received(s, 3) for s in socks}
        if method in ("dup", "__enter__", "__aenter__", "get_extra_info"):
            return {Sock(s) for s in socks}
        if method in ("sock_recvfrom", "sock_recvfrom_into") and call.args:
            from . import receiver_sockets

            return {Received(s, 1) for s in receiver_sockets(solver, solver.values(call.args[0].value, ctx))}
        if method == "getaddrinfo" and any(isinstance(v, Sym) for v in receivers):
            return {AddrInfo(solver.tuple_site(call, ctx), False)}
        return set()


MODEL = SocketModel()
