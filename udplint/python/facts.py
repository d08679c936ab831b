"""Facts about the sockets of a project, read off a solved `Flow`.

This is the layer rules (and fixes) consume: for each socket or framework endpoint, where it was
created, its family and type, where and to what it is bound, whether it is connected, which
socket options are set, what is received, and every reply sent to a peer address.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import libcst as cst

from . import frameworks as fw
from .flow import Ctx, Flow, SocketSite, is_self
from .values import Const, Inst, Peer, Sock, SockAddr, Sym, Tup, is_wildcard, sym_tail

PKTINFO_OPTIONS = {"IP_PKTINFO", "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "IP_RECVDSTADDR", "IPV6_2292PKTINFO"}
LINUX_PKTINFO_NUMBERS = {("IP", 8), ("IPV6", 49), ("IPV6", 50)}
SEND_METHODS = {"sendto", "sendmsg", "write", "send", "sock_sendto"}
RECEIVE_METHODS = {"recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into", "receive"}


@dataclass
class Bind:
    node: cst.Call
    ctx: Ctx
    hosts: Set
    ports: Set

    @property
    def wildcard_host(self):
        """The wildcard value this bind may use (for messages), or None."""
        for value in sorted(self.hosts, key=repr):
            if is_wildcard(value):
                return value
        return None

    @property
    def ephemeral(self) -> bool:
        return bool(self.ports) and all(isinstance(p, Const) and p.value == 0 for p in self.ports)


@dataclass
class Reply:
    """A send whose destination may be a peer address."""

    node: cst.Call
    ctx: Ctx
    method: str
    senders: Set[int]
    peers: Set[int]
    ancillary: Optional[cst.BaseExpression] = None


@dataclass
class SocketFacts:
    site: SocketSite
    family: str = "inet"  # inet | inet6 | unix | unknown
    udp: Optional[bool] = True
    binds: List[Bind] = field(default_factory=list)
    connected: bool = False
    options: Set[str] = field(default_factory=set)
    receives: List[cst.Call] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.site.kind

    @property
    def wildcard_bind(self) -> Optional[Bind]:
        for bind in self.binds:
            if bind.wildcard_host is not None and not bind.ephemeral:
                return bind
        return None

    @property
    def specific_bind(self) -> bool:
        return bool(self.binds) and all(b.wildcard_host is None and b.hosts for b in self.binds)

    @property
    def pktinfo(self) -> bool:
        return bool(self.options & PKTINFO_OPTIONS)


@dataclass
class ProjectFacts:
    flow: Flow
    sockets: Dict[int, SocketFacts]
    replies: List[Reply]


def collect(flow: Flow) -> ProjectFacts:
    sockets = {site.index: _socket_facts(flow, site) for site in flow.sockets}
    replies: List[Reply] = []
    for call in flow.calls:
        func = call.node.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method not in ("bind", "connect", "setsockopt") and method not in SEND_METHODS | RECEIVE_METHODS:
            continue
        receivers = flow.values(func.value, call.ctx)
        socks = fw.receiver_sockets(flow, receivers)
        if method == "sock_sendto" and call.node.args:  # loop.sock_sendto(sock, data, addr)
            socks = fw.receiver_sockets(flow, flow.values(call.node.args[0].value, call.ctx))
        if method in SEND_METHODS and not socks and _wrapper_method(flow, receivers, method):
            continue  # a project class's own sendto(): its body is checked where it sends
        if method in SEND_METHODS:
            reply = _reply(flow, call.node, call.ctx, method, socks)
            if reply is not None:
                replies.append(reply)
            continue
        for site in socks:
            facts = sockets[site]
            if method == "bind" and call.node.args and facts.kind == "socket":
                facts.binds.append(_bind_from_address(flow, call.node, call.ctx, call.node.args[0].value))
            elif method == "connect":
                facts.connected = True
            elif method == "setsockopt":
                facts.options |= _option_names(flow, call.node, call.ctx)
            elif method in RECEIVE_METHODS:
                facts.receives.append(call.node)
    for facts in sockets.values():
        _framework_binds(flow, facts, sockets)
    return ProjectFacts(flow, sockets, replies)


# -- sockets ------------------------------------------------------------------------------------
def _socket_facts(flow: Flow, site: SocketSite) -> SocketFacts:
    facts = SocketFacts(site)
    if site.kind == "socket":
        family = fw.site_argument(flow, site, 0, "family")
        kind = fw.site_argument(flow, site, 1, "type")
        facts.family = _family(flow.values(family, site.ctx)) if family is not None else "inet"
        facts.udp = _is_datagram(flow.values(kind, site.ctx)) if kind is not None else False
        if family is None and kind is None and any(a.keyword and a.keyword.value == "fileno" for a in site.node.args):
            facts.udp = None
    elif site.kind == "socketserver" and site.server_class is not None:
        family = set()
        for cls in flow.hierarchy(site.server_class.index):
            family |= flow.slots.get(("a", cls.index, "address_family"), set())
        facts.family = _family(family) if family else "inet"
    return facts


def _family(values) -> str:
    tails = {sym_tail(v) for v in values}
    if "AF_INET6" in tails:
        return "inet6"
    if "AF_INET" in tails:
        return "inet"
    if "AF_UNIX" in tails:
        return "unix"
    return "unknown"


def _is_datagram(values) -> Optional[bool]:
    tails = {sym_tail(v) for v in values}
    if "SOCK_DGRAM" in tails:
        return True
    if tails & {"SOCK_STREAM", "SOCK_RAW", "SOCK_SEQPACKET"}:
        return False
    return None


def _bind_from_address(flow: Flow, node: cst.Call, ctx: Ctx, address) -> Bind:
    hosts: Set = set()
    ports: Set = set()
    for value in flow.values(address, ctx):
        if isinstance(value, (Tup, SockAddr)):
            hosts |= flow.item(value, 0)
            ports |= flow.item(value, 1)
        elif isinstance(value, Const) and isinstance(value.value, str):
            host, port = _split_listener(value.value)
            hosts.add(Const(host))
            ports.add(Const(port))
        elif isinstance(value, Const) and isinstance(value.value, int):
            hosts.add(Const(""))
            ports.add(value)
    return Bind(node, ctx, hosts, ports)


def _split_listener(text: str):
    """'host:port', ':port', '[::]:port' as gevent and Twisted endpoints write them."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    return host, int(port) if port.isdigit() else port


def _framework_binds(flow: Flow, facts: SocketFacts, sockets: Dict[int, SocketFacts]) -> None:
    site, ctx = facts.site, facts.site.ctx
    if site.kind == "socketserver":
        address = fw.site_argument(flow, site, 0, "server_address")
        if address is not None:
            facts.binds.append(_bind_from_address(flow, site.node, ctx, address))
    elif site.kind == "asyncio":
        local = fw.site_argument(flow, site, 99, "local_addr")
        if local is not None:
            bind = _bind_from_address(flow, site.node, ctx, local)
            bind.hosts.discard(Const(""))  # asyncio resolves '' as a name and fails: no server, no bug
            facts.binds.append(bind)
        if fw.site_argument(flow, site, 99, "remote_addr") is not None:
            facts.connected = True
        _adopt_sockets(flow, facts, fw.site_argument(flow, site, 99, "sock"), sockets)
    elif site.kind == "twisted":
        interface = fw.site_argument(flow, site, 2, "interface")
        hosts = set(flow.values(interface, ctx)) if interface is not None else {Const("")}
        port = fw.site_argument(flow, site, 0, "port")
        facts.binds.append(Bind(site.node, ctx, hosts, set(flow.values(port, ctx))))
    elif site.kind == "gevent":
        listener = fw.site_argument(flow, site, 0, "listener")
        if listener is not None:
            facts.binds.append(_bind_from_address(flow, site.node, ctx, listener))
            _adopt_sockets(flow, facts, listener, sockets)
    elif site.kind == "anyio":
        host = fw.site_argument(flow, site, 99, "local_host")
        port = fw.site_argument(flow, site, 99, "local_port")
        hosts = set(flow.values(host, ctx)) if host is not None else {Const("")}
        if any(isinstance(h, Const) and h.value is None for h in hosts):
            hosts.add(Const(""))
        ports = set(flow.values(port, ctx)) if port is not None else {Const(0)}
        facts.binds.append(Bind(site.node, ctx, hosts, ports))


def _adopt_sockets(flow: Flow, facts: SocketFacts, expr, sockets: Dict[int, SocketFacts]) -> None:
    """An endpoint made from an existing socket (`sock=`) inherits its binds and options."""
    if expr is None:
        return
    for value in flow.values(expr, facts.site.ctx):
        if isinstance(value, Sock) and value.site != facts.site.index:
            inner = sockets[value.site]
            facts.binds.extend(inner.binds)
            facts.options |= inner.options
            facts.connected |= inner.connected
            if inner.family != "unknown":
                facts.family = inner.family


def _option_names(flow: Flow, node: cst.Call, ctx: Ctx) -> Set[str]:
    args, _ = flow.arguments(node, ctx)
    if len(args) < 2:
        return set()
    levels = {sym_tail(v) for v in args[0]} | {v.value for v in args[0] if isinstance(v, Const)}
    level = "IPV6" if levels & {"IPPROTO_IPV6", "SOL_IPV6", 41} else "IP" if levels & {"IPPROTO_IP", "SOL_IP", 0} else ""
    names = {sym_tail(v) for v in args[1] if isinstance(v, Sym)}
    for value in args[1]:
        if isinstance(value, Const) and (level, value.value) in LINUX_PKTINFO_NUMBERS:
            names.add("IP_PKTINFO" if level == "IP" else "IPV6_RECVPKTINFO")
    return names


# -- replies ------------------------------------------------------------------------------------
def _reply(flow: Flow, node: cst.Call, ctx: Ctx, method: str, senders: Set[int]) -> Optional[Reply]:
    args = [a for a in node.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    ancillary = None
    if method == "sendmsg":
        destinations = [args[3].value] if len(args) > 3 else [keywords.get("address")]
        ancillary = args[1].value if len(args) > 1 else keywords.get("ancdata")
    elif method == "write" and _is_wfile_write(flow, node, ctx):
        return _wfile_reply(flow, node, ctx)
    elif method == "sock_sendto":
        destinations = [a.value for a in args[2:]]
    elif method in ("write", "sendto"):
        destinations = [a.value for a in args[1:]] + list(keywords.values())
    else:  # send((data, addr)) on an anyio UDP socket
        senders = {s for s in senders if flow.sockets[s].kind == "anyio"}
        destinations = [a.value for a in args[:1]]
    peers: Set[int] = set()
    for destination in destinations:
        if destination is not None:
            peers |= _peers_in(flow, flow.values(destination, ctx), depth=3)
    if not peers:
        return None
    return Reply(node, ctx, method, senders, peers, ancillary)


def _peers_in(flow: Flow, values, depth: int) -> Set[int]:
    found: Set[int] = set()
    for value in values:
        if isinstance(value, Peer):
            found.add(value.site)
        elif isinstance(value, Tup) and depth > 0:
            found |= _peers_in(flow, flow.item(value, None), depth - 1)
    return found


def _is_wfile_write(flow: Flow, node: cst.Call, ctx: Ctx) -> bool:
    target = node.func.value
    return (
        isinstance(target, cst.Attribute)
        and target.attr.value == "wfile"
        and is_self(target.value, ctx)
        and fw.is_datagram_handler(flow, ctx.cls.index)
        and not _sends_wfile_itself(flow, ctx.cls.index)
    )


def _sends_wfile_itself(flow: Flow, cls_index: int) -> bool:
    """A handler whose own finish() sends the wfile: its send is checked where it is written."""
    return any("finish" in cls.methods for cls in flow.ancestry(cls_index)[0])


def _wfile_reply(flow: Flow, node: cst.Call, ctx: Ctx) -> Optional[Reply]:
    sites: Set[int] = set()
    for cls in flow.hierarchy(ctx.cls.index):
        sites |= flow.class_sockets.get(("handler", cls.index), set())
    if not sites:
        return None
    return Reply(node, ctx, "wfile.write", set(sites), set(sites))


def _wrapper_method(flow: Flow, receivers, method: str) -> bool:
    for value in receivers:
        if isinstance(value, Inst) and any(method in c.methods for c in flow.ancestry(value.site)[0]):
            return True
    return False
