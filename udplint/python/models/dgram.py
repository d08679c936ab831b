"""asyncio-dgram: `asyncio_dgram.bind(addr)`, `connect(addr)` and `from_socket(sock)` make a
stream whose `await stream.recv()` returns (data, addr) and `await stream.send(data, addr)`
sends to addr (a connected stream's `send(data)` goes to its peer)."""
from __future__ import annotations

from typing import List, Optional

from ..values import Received, Sym
from .base import BindSpec, Model, site_argument

MAKERS = ("bind", "connect", "from_socket")


class DgramModel(Model):
    kind = "asyncio_dgram"
    label = "an asyncio-dgram stream"
    markers = (b"asyncio_dgram",)
    fix_hint = ("asyncio-dgram cannot send ancillary data: receive with recvmsg() and reply with sendmsg() "
                "on a plain socket, or bind one stream per local address")
    constructors = frozenset(f"asyncio_dgram.{name}" for name in MAKERS) | frozenset(
        f"asyncio_dgram.aio.{name}" for name in MAKERS)

    def method_result(self, solver, call, method, socks, receivers, ctx):
        if method == "recv":
            return {Received(s, 1) for s in socks if solver.sockets[s].kind == self.kind}
        return set()

    def binds(self, solver, site) -> List[BindSpec]:
        if _maker(solver, site) != "bind":
            return []
        address = site_argument(site, 0, "addr")
        return [BindSpec(address=address)] if address is not None else []

    def adopted(self, solver, site):
        return site_argument(site, 0, "sock") if _maker(solver, site) == "from_socket" else None

    def connected(self, solver, site) -> bool:
        return _maker(solver, site) == "connect"


def _maker(solver, site) -> Optional[str]:
    for value in solver.values(site.call.func, site.ctx):
        if isinstance(value, Sym) and value.qualname in DgramModel.constructors:
            return value.qualname.rsplit(".", 1)[-1]
    return None


MODEL = DgramModel()
