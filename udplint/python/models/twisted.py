"""Twisted: `reactor.listenUDP(port, protocol, interface='')` calls datagramReceived(data, addr)
and gives the protocol `self.transport`; `internet.UDPServer(port, protocol)` does the same."""
from __future__ import annotations

from typing import List

from ..values import Const, Peer, Sock, Sym
from .base import BindSpec, Model, classes_made_by, inject, site_argument

# Protocols of Twisted itself that answer each datagram's sender on their own (a DNS server's
# transport.write(message, address), SIP's deliverResponse): serving one on a wildcard port is the
# bug even though the project's code never sends.
ANSWERING_PROTOCOLS = frozenset({
    "twisted.names.dns.DNSDatagramProtocol", "twisted.protocols.sip.Base", "twisted.protocols.sip.Proxy",
    "twisted.protocols.sip.RegisterProxy",
})


class TwistedModel(Model):
    kind = "twisted"
    label = "a Twisted UDP port"
    markers = (b"listenUDP", b"datagramReceived", b"DatagramProtocol")
    fix_hint = "Twisted's transport cannot send with ancillary data: bind one port per local address"
    constructors = frozenset({"twisted.application.internet.UDPServer"})
    site_methods = frozenset({"listenUDP"})
    transport_modules = frozenset({"twisted.internet.udp", "twisted.internet.unix", "twisted.internet.iocpreactor.udp"})

    def method_result(self, solver, call, method, socks, receivers, ctx):
        if method == "listenUDP":
            return {Sock(solver.socket_site(self.kind, call, ctx))}
        return set()

    def link(self, solver, site) -> None:
        proto = site_argument(site, 1, "protocol")
        values = solver.values(proto, site.ctx)
        if any(isinstance(v, Sym) and v.qualname in ANSWERING_PROTOCOLS for v in values):
            site.answers_itself = True
        for index in classes_made_by(solver, values):
            if solver.derives_from(index, ANSWERING_PROTOCOLS):
                site.answers_itself = True
            site.handlers.add(index)
            solver.add_class_socket("transport", index, site.index)
            inject(solver, index, "datagramReceived", 2, {Peer(site.index)})

    def binds(self, solver, site) -> List[BindSpec]:
        interface = site_argument(site, 2, "interface")
        hosts = frozenset(solver.values(interface, site.ctx)) if interface is not None else frozenset({Const("")})
        port = site_argument(site, 0, "port")
        return [BindSpec(hosts=hosts, ports=frozenset(solver.values(port, site.ctx)))]


MODEL = TwistedModel()
