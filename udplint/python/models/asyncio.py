"""asyncio: `loop.create_datagram_endpoint(factory, local_addr=..., sock=...)` calls the
protocol's connection_made(transport) and datagram_received(data, addr)."""
from __future__ import annotations

from typing import List

from ..values import Inst, Peer, Sock, SockPair
from .base import BindSpec, Model, classes_made_by, inject, site_argument


class AsyncioModel(Model):
    kind = "asyncio"
    label = "an asyncio datagram endpoint"
    markers = (b"create_datagram_endpoint", b"DatagramProtocol", b"datagram_received", b"sock_sendto",
               b"sock_recvfrom")
    fix_hint = "receive with recvmsg() on the endpoint's socket and reply with sendmsg() (an add_reader transport)"
    site_methods = frozenset({"create_datagram_endpoint"})

    def method_result(self, solver, call, method, socks, receivers, ctx):
        if method == "create_datagram_endpoint":
            return {SockPair(solver.socket_site(self.kind, call, ctx), 0)}
        if method == "get_protocol":  # `transport.get_protocol()`: the protocol its factory made
            out = set()
            for index in socks:
                if solver.sockets[index].kind == self.kind:
                    out |= solver.read(protocols_slot(index))
            return out
        return set()

    def link(self, solver, site) -> None:
        factory = site_argument(site, 0, "protocol_factory")
        for index in classes_made_by(solver, solver.values(factory, site.ctx)):
            site.handlers.add(index)
            solver.add(protocols_slot(site.index), {Inst(index)})
            inject(solver, index, "connection_made", 1, {Sock(site.index)})
            inject(solver, index, "datagram_received", 2, {Peer(site.index)})

    def binds(self, solver, site) -> List[BindSpec]:
        local = site_argument(site, 99, "local_addr")
        return [BindSpec(address=local, drop_empty_host=True)] if local is not None else []

    def adopted(self, solver, site):
        return site_argument(site, 99, "sock")

    def connected(self, solver, site) -> bool:
        return site_argument(site, 99, "remote_addr") is not None


def protocols_slot(site: int) -> tuple:
    """The protocol instances of an endpoint, in a slot so that a read of them runs again when
    its factory is learnt later."""
    return ("protocols", site)


MODEL = AsyncioModel()
