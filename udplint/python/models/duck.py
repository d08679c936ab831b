"""Datagram objects of libraries udplint does not model, known by how they are made:
`UdpSock.create(LocalHost=host, LocalPort=port)`, `udp.Endpoint(listen_host=..., listen_port=...)`.

A call into another library whose name says UDP or datagram, with a keyword naming the local
address it listens on, makes an endpoint of this kind. The code's own recvfrom()/sendto() on it
are read as a socket's (see models.sockets: the peer is the second item received, and
`sendto(data, host, port)` names it too); a keyword naming a peer (`PeerHost=`) makes a client.
"""
from __future__ import annotations

from typing import List, Optional

from .base import BindSpec, Model

# keyword names, lower case without underscores: LocalHost, local_host, listen_address, ...
LOCAL_HOST_KEYWORDS = frozenset({"localhost", "localaddr", "localaddress", "listenhost", "listenaddr",
                                 "listenaddress", "bindhost", "bindaddr", "bindaddress", "localip", "listenip"})
LOCAL_PORT_KEYWORDS = frozenset({"localport", "listenport", "bindport"})
PEER_KEYWORDS = frozenset({"peerhost", "peeraddr", "peeraddress", "peerip", "remotehost", "remoteaddr",
                           "remoteaddress", "remoteip"})
DATAGRAM_WORDS = ("udp", "datagram", "dgram")
# libraries with a model of their own (or none needed): their calls never make a duck endpoint
MODELLED_LIBRARIES = frozenset({"socket", "socketserver", "SocketServer", "asyncio", "twisted", "gevent", "trio",
                                "anyio", "eventlet", "builtins", "selectors", "select"})


def _normal(keyword: str) -> str:
    return keyword.replace("_", "").replace("-", "").lower()


def makes_datagram_object(qualname: str, call) -> bool:
    """An unmodelled library's call that says it makes a UDP endpoint listening on a local host."""
    parts = qualname.split(".")
    if parts[0] in MODELLED_LIBRARIES or not any(word in part.lower() for part in parts for word in DATAGRAM_WORDS):
        return False
    return any(arg.keyword is not None and _normal(arg.keyword) in LOCAL_HOST_KEYWORDS for arg in call.args)


def _keyword(site, names) -> Optional[object]:
    for arg in site.call.args:
        if arg.keyword is not None and _normal(arg.keyword) in names:
            return arg.value
    return None


class DuckModel(Model):
    kind = "datagram"
    label = "a UDP endpoint of another library"
    fix_hint = ("receive with recvmsg() and reply with sendmsg() and the request's IP_PKTINFO on a socket the "
                "library exposes, or bind one endpoint per local address")

    def binds(self, solver, site) -> List[BindSpec]:
        host = _keyword(site, LOCAL_HOST_KEYWORDS)
        port = _keyword(site, LOCAL_PORT_KEYWORDS)
        hosts = frozenset(solver.values(host, site.ctx))
        ports = frozenset(solver.values(port, site.ctx)) if port is not None else frozenset()
        return [BindSpec(hosts=hosts, ports=ports)]

    def connected(self, solver, site) -> bool:
        return _keyword(site, PEER_KEYWORDS) is not None


MODEL = DuckModel()
