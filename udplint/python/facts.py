"""Facts about the sockets of a program, read off a solved `Solver`.

This is the layer rules consume: for each socket or framework endpoint, where it was created, its
family and type, where and to what it is bound, whether it is connected, which socket options are
set, what is received, and every reply sent to a peer address. A site is named by its module and
call ordinal (`Site`); positions are worked out later, only for sites a finding names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Set

from . import models
from . import summary as s
from .callview import CallView
from .models.base import BindSpec
from .solver import Budget, Ctx, SocketSite, Solver
from .values import RANDOM_NUMBERS, Const, Inst, Peer, SockAddr, Sym, Tup, Wild, is_wildcard, sym_tail

PKTINFO_OPTIONS = {"IP_PKTINFO", "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "IP_RECVDSTADDR", "IPV6_2292PKTINFO"}
LINUX_PKTINFO_NUMBERS = {("IP", 8), ("IPV6", 49), ("IPV6", 50)}
SEND_METHODS = {"sendto", "sendmsg", "write", "send", "sock_sendto"}
RECEIVE_METHODS = {"recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into", "receive", "sock_recvfrom"}


class Site(NamedTuple):
    """A call in a module: where a fact was seen."""

    module: int
    call: int  # the call's ordinal in its module

    @staticmethod
    def of(call: s.Call, ctx: Ctx) -> "Site":
        return Site(ctx.module, call.site)


@dataclass
class Bind:
    site: Site
    hosts: Set
    ports: Set
    # some call leaves the port to a value nothing here knows (read from a template): `ports` are
    # then what the other calls pass, not every port the socket may bind
    port_unknown: bool = False

    @property
    def wildcard_host(self):
        """The wildcard value this bind may use (for messages), or None."""
        for value in sorted(self.hosts, key=repr):
            if is_wildcard(value):
                return value
        return None

    @property
    def ephemeral(self) -> bool:
        """Port 0, or a port picked at random (`randint(1024, 65535)`): a client's source port,
        which no client could be sent to."""
        return bool(self.ports) and not self.port_unknown and all((isinstance(p, Const) and p.value == 0)
                                        or (isinstance(p, Sym) and p.qualname in RANDOM_NUMBERS) for p in self.ports)

    @property
    def decided_at(self) -> List[Site]:
        """Calls in other modules that hand this bind its wildcard (a script starting a library's
        server with '::'), in a stable order."""
        return sorted({Site(v.module, v.call) for v in self.hosts if isinstance(v, Wild)})


@dataclass
class Reply:
    """A send whose destination may be a peer address."""

    site: Site
    ctx: Ctx
    method: str  # sendto | sendmsg | write | send | sock_sendto | wfile.write
    senders: Set[int]
    peers: Set[int]
    via_transport: bool = False  # `self.transport.sendto()` (for messages)
    carries_control_data: bool = False  # sendmsg() with a non-empty ancillary argument


@dataclass
class SocketFacts:
    site: SocketSite
    family: str = "inet"  # inet | inet6 | unix | unknown
    udp: Optional[bool] = True
    binds: List[Bind] = field(default_factory=list)
    connected: bool = False
    options: Set[str] = field(default_factory=set)
    receives: List[Site] = field(default_factory=list)
    bind_calls: List[tuple] = field(default_factory=list)  # (call, ctx) of each bind(), for `CallView`

    @property
    def kind(self) -> str:
        return self.site.kind

    @property
    def created(self) -> Site:
        return Site.of(self.site.call, self.site.ctx)

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
class ProgramFacts:
    solver: Solver
    sockets: Dict[int, SocketFacts]
    replies: List[Reply]


MAX_FACT_ROUNDS = 4  # collections that may wake code the solver has not run yet (see `collect`)


def collect(solver: Solver) -> ProgramFacts:
    """Facts of a solved program. Reading them evaluates expressions the solver never needed
    (a bind's address): those may reach code of an imported module that has not run yet (a
    property getter, a module constant), so the solver runs again and the facts are read anew
    until nothing more wakes up."""
    for _ in range(MAX_FACT_ROUNDS):
        facts = _collect_once(solver)
        if not solver.pending():
            return facts
        solver.solve()
    solver.budgets.append(Budget("fact collection rounds", MAX_FACT_ROUNDS))
    return facts


def _collect_once(solver: Solver) -> ProgramFacts:
    sockets = {site.index: _socket_facts(solver, site) for site in solver.sockets}
    replies: List[Reply] = []
    for call, ctx in solver.calls:
        func = call.func
        if type(func) is not s.Attr or solver.is_dormant(ctx):
            continue
        method = func.attr
        if method not in ("bind", "connect", "setsockopt") and method not in SEND_METHODS | RECEIVE_METHODS:
            continue
        receivers = solver.values(func.value, ctx)
        socks = models.receiver_sockets(solver, receivers)
        if method in ("sock_sendto", "sock_recvfrom") and call.args:  # loop.sock_sendto(sock, data, addr)
            socks = models.receiver_sockets(solver, solver.values(call.args[0].value, ctx))
        if method in SEND_METHODS and not socks and _wrapper_method(solver, receivers, method):
            continue  # a project class's own sendto(): its body is checked where it sends
        if method in SEND_METHODS:
            reply = _reply(solver, call, ctx, method, socks)
            if reply is not None:
                replies.append(reply)
            continue
        for index in socks:
            facts = sockets[index]
            if method == "bind" and call.args and facts.kind == "socket":
                facts.binds.append(_bind_from_address(solver, call, ctx, call.args[0].value))
                facts.bind_calls.append((call, ctx))
            elif method == "connect":
                facts.connected = True
            elif method == "setsockopt":
                facts.options |= _option_names(solver, call, ctx)
            elif method in RECEIVE_METHODS:
                facts.receives.append(Site.of(call, ctx))
    for facts in sockets.values():
        if facts.site.origin >= 0:
            _inherit_from_helper(solver, facts, sockets[facts.site.origin])
    for facts in sockets.values():
        _framework_facts(solver, facts, sockets)
        if facts.site.answers_itself:  # the library answers: its reply leaves from where the site binds
            index = facts.site.index
            replies.append(Reply(facts.created, facts.site.ctx, "write", {index}, {index}, via_transport=True))
    solver._memo.clear()
    return ProgramFacts(solver, sockets, replies)


# -- sockets ------------------------------------------------------------------------------------
def _socket_facts(solver: Solver, site: SocketSite) -> SocketFacts:
    facts = SocketFacts(site)
    if site.kind == "socket":
        family = models.site_argument(site, 0, "family")
        kind = models.site_argument(site, 1, "type")
        facts.family = _family(solver.values(family, site.ctx)) if family is not None else "inet"
        facts.udp = _is_datagram(solver.values(kind, site.ctx)) if kind is not None else False
        if family is None and kind is None and any(a.keyword == "fileno" for a in site.call.args):
            facts.udp = None
    elif site.kind == "socketserver" and site.server_class is not None:
        family = solver.hierarchy_values("a", "address_family", site.server_class.index)
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


def _bind_from_address(solver: Solver, call: s.Call, ctx: Ctx, address) -> Bind:
    hosts: Set = set()
    ports: Set = set()
    port_unknown = False
    for value in solver.values(address, ctx):
        if isinstance(value, (Tup, SockAddr)):
            hosts |= solver.item(value, 0)
            ports |= solver.item(value, 1)
            port_unknown = port_unknown or (type(value) is Tup and _element_left_unknown(solver, value, 1))
        elif isinstance(value, Const) and isinstance(value.value, str):
            host, port = _split_listener(value.value)
            hosts.add(Const(host))
            ports.add(Const(port))
        elif isinstance(value, Const) and isinstance(value.value, int):
            hosts.add(Const(""))
            ports.add(value)
    return Bind(Site.of(call, ctx), hosts, ports, port_unknown)


def _element_left_unknown(solver: Solver, address: Tup, index: int) -> bool:
    """Whether the tuple's element `index` is a parameter that some call leaves unknown."""
    node, ctx = solver.tuples[address.site]
    if type(node) is not s.Seq or any(node.starred) or len(node.elements) <= index:
        return False
    element = node.elements[index]
    return type(element) is s.Name and any(solver.left_unknown(slot) for slot in solver.target_slots(element, ctx))


def _split_listener(text: str):
    """'host:port', ':port', '[::]:port' as gevent and Twisted endpoints write them."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    return host, int(port) if port.isdigit() else port


def _framework_facts(solver: Solver, facts: SocketFacts, sockets: Dict[int, SocketFacts]) -> None:
    site = facts.site
    if site.kind == "socket":
        return
    model = models.MODELS[site.kind]
    for spec in model.binds(solver, site):
        facts.binds.append(_bind_from_spec(solver, site, spec))
    if model.connected(solver, site):
        facts.connected = True
    _adopt_sockets(solver, facts, model.adopted(solver, site), sockets)


def _bind_from_spec(solver: Solver, site: SocketSite, spec: BindSpec) -> Bind:
    if spec.address is not None:
        bind = _bind_from_address(solver, site.call, site.ctx, spec.address)
    else:
        bind = Bind(Site.of(site.call, site.ctx), set(spec.hosts or ()), set(spec.ports or ()))
    if spec.drop_empty_host:
        bind.hosts.discard(Const(""))
    return bind


def _adopt_sockets(solver: Solver, facts: SocketFacts, expr, sockets: Dict[int, SocketFacts]) -> None:
    """An endpoint made from an existing socket (`sock=`) inherits its binds and options."""
    if expr is None:
        return
    from .values import Sock

    for value in solver.values(expr, facts.site.ctx):
        if isinstance(value, Sock) and value.site != facts.site.index:
            inner = sockets[value.site]
            facts.binds.extend(inner.binds)
            facts.options |= inner.options
            facts.connected |= inner.connected
            if inner.family != "unknown":
                facts.family = inner.family


def _inherit_from_helper(solver: Solver, facts: SocketFacts, made: SocketFacts) -> None:
    """A caller's copy of a helper's socket: what the helper did to it, after what the caller did
    (the caller's own bind decides where a finding on its copy goes). The helper's type, family
    and binds are read for this copy's call alone where it can be (`CallView`): one helper that
    makes both TCP and UDP sockets must not give the UDP copy the TCP call's wildcard."""
    view = CallView.of(solver, made.site.ctx.func, facts.site.caller) if facts.site.caller else None
    if view is None:
        facts.binds.extend(made.binds)
    else:
        with view:
            own = _socket_facts(solver, made.site)
            facts.family, facts.udp = own.family, own.udp
            facts.binds.extend(_bind_from_address(solver, call, ctx, call.args[0].value)
                               for call, ctx in made.bind_calls)
    facts.options |= made.options
    facts.connected |= made.connected
    facts.receives.extend(made.receives)


def _option_names(solver: Solver, call: s.Call, ctx: Ctx) -> Set[str]:
    args, _ = solver.arguments(call, ctx)
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
def _reply(solver: Solver, call: s.Call, ctx: Ctx, method: str, senders: Set[int]) -> Optional[Reply]:
    args = [a for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword: a.value for a in call.args if a.keyword is not None}
    ancillary = None
    if method == "sendmsg":
        destinations = [args[3].value] if len(args) > 3 else [keywords.get("address")]
        ancillary = args[1].value if len(args) > 1 else keywords.get("ancdata")
    elif method == "write" and _is_wfile_write(solver, call, ctx):
        return _wfile_reply(solver, call, ctx)
    elif method == "sock_sendto":
        destinations = [a.value for a in args[2:]]
    elif method in ("write", "sendto"):
        destinations = [a.value for a in args[1:]] + list(keywords.values())
    elif any(solver.sockets[index].kind == "asyncio_dgram" for index in senders):  # stream.send(data, addr)
        senders = {index for index in senders if solver.sockets[index].kind == "asyncio_dgram"}
        destinations = [a.value for a in args[1:]] + [keywords.get("addr")]
    else:  # send((data, addr)) on an anyio UDP socket
        senders = {index for index in senders if solver.sockets[index].kind == "anyio"}
        destinations = [a.value for a in args[:1]]
    peers: Set[int] = set()
    for destination in destinations:
        if destination is not None:
            peers |= _peers_in(solver, solver.values(destination, ctx), depth=3)
    if not peers:
        return None
    owner = call.func.value
    via_transport = type(owner) is s.Attr and owner.attr == "transport"
    return Reply(Site.of(call, ctx), ctx, method, senders, peers, via_transport,
                 _carries_control_data(solver, ancillary, ctx))


def _carries_control_data(solver: Solver, ancillary, ctx: Ctx) -> bool:
    if ancillary is None:
        return False
    values = solver.values(ancillary, ctx)
    if not values:
        return True  # built somewhere we cannot see: trust it
    for value in values:
        if isinstance(value, Tup):
            node, _ = solver.tuples[value.site]
            if type(node) is not s.Seq or node.elements:
                return True
        elif not (isinstance(value, Const) and value.value in (None, b"", "")):
            return True
    return False


def _peers_in(solver: Solver, values, depth: int) -> Set[int]:
    found: Set[int] = set()
    for value in values:
        if isinstance(value, Peer):
            found.add(value.site)
        elif isinstance(value, Tup) and depth > 0:
            found |= _peers_in(solver, solver.item(value, None), depth - 1)
    return found


def _is_wfile_write(solver: Solver, call: s.Call, ctx: Ctx) -> bool:
    target = call.func.value
    cls = solver.ctx_class(ctx)
    return (
        type(target) is s.Attr
        and target.attr == "wfile"
        and solver.is_self(target.value, ctx)
        and models.is_datagram_handler(solver, cls.index)
        and not _sends_wfile_itself(solver, cls.index)
    )


def _sends_wfile_itself(solver: Solver, cls_index: int) -> bool:
    """A handler whose own finish() sends the wfile: its send is checked where it is written."""
    return any("finish" in cls.methods for cls in solver.ancestry(cls_index)[0])


def _wfile_reply(solver: Solver, call: s.Call, ctx: Ctx) -> Optional[Reply]:
    sites = solver.hierarchy_sockets("handler", solver.ctx_class(ctx).index)
    if not sites:
        return None
    return Reply(Site.of(call, ctx), ctx, "wfile.write", set(sites), set(sites))


def _wrapper_method(solver: Solver, receivers, method: str) -> bool:
    for value in receivers:
        if isinstance(value, Inst) and any(method in c.methods for c in solver.ancestry(value.site)[0]):
            return True
    return False
