"""socketserver: UDPServer and friends call the handler class with (request, client_address)."""
from __future__ import annotations

from typing import List

from ..values import Peer, Sock, SockPair
from .base import BindSpec, Model, classes_made_by, site_argument


class SocketServerModel(Model):
    kind = "socketserver"
    label = "a socketserver UDP server"
    markers = (b"UDPServer", b"DatagramRequestHandler")
    fix_hint = "serve with a socketserver.UDPServer subclass that receives with recvmsg() and replies with sendmsg()"
    constructors = frozenset(
        f"{mod}.{name}" for mod in ("socketserver", "SocketServer")
        for name in ("UDPServer", "ThreadingUDPServer", "ForkingUDPServer")
    )
    server_bases = constructors
    site_methods = frozenset({"UDPServer", "ThreadingUDPServer", "ForkingUDPServer", "__init__"})
    datagram_handlers = frozenset({"socketserver.DatagramRequestHandler", "SocketServer.DatagramRequestHandler"})

    def link(self, solver, site) -> None:
        handler = site_argument(site, 1, "RequestHandlerClass")
        for index in classes_made_by(solver, solver.values(handler, site.ctx)):
            site.handlers.add(index)
            solver.add_class_socket("handler", index, site.index)
        if site.server_class is not None:
            solver.add_class_socket("self", site.server_class.index, site.index)

    def binds(self, solver, site) -> List[BindSpec]:
        address = site_argument(site, 0, "server_address")
        return [BindSpec(address=address)] if address is not None else []

    def handler_attribute(self, solver, site, attr: str):
        """What `self.<attr>` is inside a handler of this server."""
        custom = custom_get_request(solver, site)
        if attr in ("request", "client_address") and custom is not None:
            out = set()
            for result in solver.returned(custom.index):
                out |= solver.item(result, 0 if attr == "request" else 1)
            return out
        if attr == "request":
            return {SockPair(site.index, 1)}
        if attr == "client_address":
            return {Peer(site.index)}
        if attr in ("server", "socket"):
            return {Sock(site.index)}
        return set()


def custom_get_request(solver, site):
    """A server subclass that overrides get_request() decides what handlers receive."""
    if site.server_class is None:
        return None
    for cls in solver.ancestry(site.server_class.index)[0]:
        if "get_request" in cls.methods:
            return cls.methods["get_request"]
    return None


MODEL = SocketServerModel()
