"""gevent: `DatagramServer(listener, handle)` calls handle(data, address); a subclass overrides
handle(self, data, address) and replies with self.socket.sendto()."""
from __future__ import annotations

from typing import List

from ..values import Func, Method, Peer
from .base import BindSpec, Model, inject, site_argument


class GeventModel(Model):
    kind = "gevent"
    label = "a gevent DatagramServer"
    markers = (b"DatagramServer",)
    fix_hint = "receive with recvmsg() on the server's socket and reply with sendmsg() from handle()"
    constructors = frozenset({"gevent.server.DatagramServer", "gevent.DatagramServer"})
    server_bases = constructors
    site_methods = frozenset({"DatagramServer", "__init__"})

    def link(self, solver, site) -> None:
        handle = site_argument(site, 1, "handle")
        for value in solver.values(handle, site.ctx):
            if isinstance(value, (Func, Method)):
                info = solver.program.functions[value.site]
                position = 2 if isinstance(value, Method) else 1
                if len(info.params) > position:
                    solver.activate_function(info)
                    solver.add(solver.param_slot(info, info.params[position]), {Peer(site.index)})
        if site.server_class is not None:
            solver.add_class_socket("self", site.server_class.index, site.index)
            inject(solver, site.server_class.index, "handle", 2, {Peer(site.index)})

    def binds(self, solver, site) -> List[BindSpec]:
        listener = site_argument(site, 0, "listener")
        return [BindSpec(address=listener)] if listener is not None else []

    def adopted(self, solver, site):
        return site_argument(site, 0, "listener")


MODEL = GeventModel()
