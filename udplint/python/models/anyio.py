"""anyio (and trio through it): `create_udp_socket(local_host=..., local_port=...)` returns a
socket whose `receive()` / iteration yields (data, (host, port)) and `sendto(data, host, port)`."""
from __future__ import annotations

from typing import List

from ..values import Const, Received
from .base import BindSpec, Model, site_argument


class AnyioModel(Model):
    kind = "anyio"
    label = "an anyio UDP socket"
    markers = (b"create_udp_socket",)
    fix_hint = "anyio's UDP socket cannot send ancillary data: use a plain socket with recvmsg()/sendmsg()"
    constructors = frozenset({"anyio.create_udp_socket"})
    site_methods = frozenset({"create_udp_socket"})

    def method_result(self, solver, call, method, socks, receivers, ctx):
        if method == "receive":
            return {Received(s, 1) for s in socks if solver.sockets[s].kind == self.kind}
        return set()

    def binds(self, solver, site) -> List[BindSpec]:
        host = site_argument(site, 99, "local_host")
        port = site_argument(site, 99, "local_port")
        hosts = set(solver.values(host, site.ctx)) if host is not None else {Const("")}
        if any(isinstance(h, Const) and h.value is None for h in hosts):
            hosts.add(Const(""))
        ports = frozenset(solver.values(port, site.ctx)) if port is not None else frozenset({Const(0)})
        return [BindSpec(hosts=frozenset(hosts), ports=ports)]


MODEL = AnyioModel()
