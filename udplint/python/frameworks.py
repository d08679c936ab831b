"""What the data flow knows about the standard library and the UDP frameworks.

Plain sockets are modelled by their methods; frameworks by the callbacks they invoke: which
parameter of which method receives the transport/socket and which receives the peer address.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Set

import libcst as cst

from .values import AddrInfo, Cls, Const, Func, Inst, Method, Mod, Peer, Received, Sock, SockAddr, SockPair, Sym, Tup, is_wildcard

if TYPE_CHECKING:  # pragma: no cover
    from .flow import Ctx, Flow

STAR_SOURCES = {"socket", "socketserver", "SocketServer", "asyncio", "select", "selectors", "trio", "gevent"}

SOCKET_CONSTRUCTORS = {
    "socket.socket", "socket.SocketType", "_socket.socket", "trio.socket.socket", "gevent.socket.socket",
    "eventlet.green.socket.socket", "socket.fromfd",
}
SOCKETSERVER_UDP = {
    f"{mod}.{name}"
    for mod in ("socketserver", "SocketServer")
    for name in ("UDPServer", "ThreadingUDPServer", "ForkingUDPServer")
}
SOCKETSERVER_DATAGRAM_HANDLER = {"socketserver.DatagramRequestHandler", "SocketServer.DatagramRequestHandler"}
GEVENT_SERVERS = {"gevent.server.DatagramServer", "gevent.DatagramServer"}
TWISTED_UDP_SERVICES = {"twisted.application.internet.UDPServer"}
ANYIO_UDP = {"anyio.create_udp_socket"}

SOCKET_WRAPPER_ATTRS = {"socket", "_socket", "sock", "_sock", "transport", "_transport", "fileobj", "server"}
PASS_THROUGH_ATTRS = {"fileobj", "data"}
CONTAINER_READS = {
    "get", "get_nowait", "pop", "popleft", "popitem", "values", "items", "keys", "copy", "select",
    "__getitem__", "setdefault", "receive_nowait",
}
MUTATORS = {
    "append", "appendleft", "add", "put", "put_nowait", "insert", "extend", "update", "setdefault",
    "register", "modify", "push", "__setitem__", "send_nowait",
}
# method calls that create a socket or endpoint even when their result is not used
SITE_METHODS = {"socket", "UDPServer", "ThreadingUDPServer", "ForkingUDPServer", "DatagramServer",
                "create_udp_socket", "create_datagram_endpoint", "listenUDP", "__init__"}
# callable at `fn`, its arguments from `rest` onwards (thread pools, event loops, task groups)
HIGHER_ORDER = {
    "submit": (0, 1), "spawn": (0, 1), "spawn_n": (0, 1), "call_soon": (0, 1),
    "call_soon_threadsafe": (0, 1), "start_soon": (0, 1), "run_in_executor": (1, 2),
    "call_later": (1, 2), "call_at": (1, 2), "run_sync": (0, 1), "to_thread": (0, 1),
}
HIGHER_ORDER_TUPLE_ARGS = {"start_new_thread", "apply_async", "apply", "start_new"}


def _site_kind_for(flow: "Flow", qualnames) -> Optional[str]:
    qualnames = set(qualnames)
    if qualnames & SOCKETSERVER_UDP:
        return "socketserver"
    if qualnames & GEVENT_SERVERS:
        return "gevent"
    return None


# -- values of calls ------------------------------------------------------------------------------
PASS_FIRST_ARGUMENT = {
    "builtins.str", "builtins.tuple", "builtins.list", "builtins.set", "builtins.dict", "builtins.sorted",
    "builtins.iter", "builtins.next", "functools.partial", "builtins.reversed", "copy.copy", "copy.deepcopy",
    "collections.deque", "builtins.frozenset",
}
ENVIRONMENT_LOOKUPS = {"os.getenv", "os.environ.get", "os.environ.setdefault"}
MERGE_ARGUMENTS = {"select.select", "select.poll", "builtins.zip"}
_USES_ARGUMENTS = PASS_FIRST_ARGUMENT | ENVIRONMENT_LOOKUPS | MERGE_ARGUMENTS | {"builtins.getattr"}


def external_call(flow: "Flow", node: cst.Call, qualname: str, ctx: "Ctx") -> Set:
    if qualname in SOCKET_CONSTRUCTORS:
        return {Sock(flow.socket_site("socket", node, ctx))}
    if qualname in SOCKETSERVER_UDP:
        return {Sock(flow.socket_site("socketserver", node, ctx))}
    if qualname in GEVENT_SERVERS:
        return {Sock(flow.socket_site("gevent", node, ctx))}
    if qualname in TWISTED_UDP_SERVICES:
        return {Sock(flow.socket_site("twisted", node, ctx))}
    if qualname in ANYIO_UDP:
        return {Sock(flow.socket_site("anyio", node, ctx))}
    if qualname in ("socket.getaddrinfo", "trio.socket.getaddrinfo"):
        return {AddrInfo(flow.tuple_site(node, ctx), False)}
    if qualname not in _USES_ARGUMENTS:
        return set()  # most library calls (logging, asserts) carry nothing we track
    args, kwargs = flow.arguments(node, ctx)
    if qualname in ENVIRONMENT_LOOKUPS:
        return set(args[1]) if len(args) > 1 else set(kwargs.get("default", ()))
    if qualname == "builtins.getattr":
        if len(args) < 2:
            return set()
        out = set(args[2]) if len(args) > 2 else set()
        for name in args[1]:
            if isinstance(name, Const) and isinstance(name.value, str):
                for base in args[0]:
                    if isinstance(base, Sym):
                        out.add(Sym(f"{base.qualname}.{name.value}"))
        return out
    if qualname in PASS_FIRST_ARGUMENT:
        return set(args[0]) if args else set()
    out: Set = set()
    for values in args:  # MERGE_ARGUMENTS
        for value in values:
            out |= flow.item(value, None)
    return out


def instantiate(flow: "Flow", node: cst.Call, index: int, ctx: "Ctx") -> Set:
    out: Set = {Inst(index)}
    chain, external = flow.ancestry(index)
    kind = _site_kind_for(flow, external)
    if kind is not None and not any("__init__" in c.methods for c in chain):
        site = flow.socket_site(kind, node, ctx, server_class=flow.project.classes[index])
        out.add(Sock(site))
    return out


def method_result(flow: "Flow", node: cst.Call, method: str, receivers, ctx: "Ctx") -> Set:
    socks = receiver_sockets(flow, receivers)
    out: Set = set()
    if method in ("recvfrom", "recvfrom_into"):
        out |= {Received(s, 1) for s in socks}
    elif method in ("recvmsg", "recvmsg_into"):
        out |= {Received(s, 3) for s in socks}
    elif method == "receive":
        out |= {Received(s, 1) for s in socks if flow.sockets[s].kind == "anyio"}
    elif method in ("dup", "__enter__", "__aenter__"):
        out |= {Sock(s) for s in socks}
    elif method == "get_extra_info":
        out |= {Sock(s) for s in socks}
    elif method in ("sock_recvfrom", "sock_recvfrom_into") and node.args:
        out |= {Received(s, 1) for s in receiver_sockets(flow, flow.values(node.args[0].value, ctx))}
    elif method == "getaddrinfo" and any(isinstance(v, Sym) for v in receivers):
        out.add(AddrInfo(flow.tuple_site(node, ctx), False))
    elif method == "create_datagram_endpoint":
        out.add(SockPair(flow.socket_site("asyncio", node, ctx), 0))
    elif method == "listenUDP":
        out.add(Sock(flow.socket_site("twisted", node, ctx)))
    if method in CONTAINER_READS:
        out |= {v for v in receivers if not isinstance(v, (Sym, Mod, Cls))}
        if method in ("get", "pop", "setdefault") and len(node.args) > 1:
            out |= flow.values(node.args[1].value, ctx)
    if method == "get" and any(isinstance(v, Sym) and v.qualname == "os.environ" for v in receivers):
        out |= flow.values(node.args[1].value, ctx) if len(node.args) > 1 else set()
    if method == "__init__" and ctx.cls is not None:
        out |= _framework_server_init(flow, node, receivers, ctx)
    return out


def _framework_server_init(flow: "Flow", node: cst.Call, receivers, ctx: "Ctx") -> Set:
    """`super().__init__(addr, Handler)` in a user subclass of UDPServer creates the server."""
    qualnames = {v.qualname for v in receivers if isinstance(v, Sym)}
    from .flow import is_super_call

    if is_super_call(node.func.value):
        chain, external = flow.ancestry(ctx.cls.index)
        if any("__init__" in c.methods for c in chain[1:]):
            return set()
        qualnames |= external
    kind = _site_kind_for(flow, qualnames)
    if kind is None:
        return set()
    site = flow.socket_site(kind, node, ctx, server_class=ctx.cls)
    flow.sockets[site].arg_offset = 0 if is_super_call(node.func.value) else 1
    return {Sock(site)}


def receiver_sockets(flow: "Flow", receivers) -> Set[int]:
    socks = {v.site for v in receivers if isinstance(v, Sock)}
    for value in receivers:
        if isinstance(value, Inst):
            for cls in flow.hierarchy(value.site):
                socks |= flow.class_sockets.get(("self", cls.index), set())
    return socks


def iteration_items(flow: "Flow", value) -> Set:
    if isinstance(value, Sock) and flow.sockets[value.site].kind == "anyio":
        return {Received(value.site, 1)}
    return flow.item(value, None)


def framework_attribute(flow: "Flow", index: int, attr: str) -> Set:
    out: Set = set()
    for cls in flow.hierarchy(index):
        for site in flow.class_sockets.get(("handler", cls.index), ()):
            custom = _custom_get_request(flow, flow.sockets[site])
            if attr in ("request", "client_address") and custom is not None:
                for result in flow.slots.get(("r", custom.index), ()):
                    out |= flow.item(result, 0 if attr == "request" else 1)
            elif attr == "request":
                out.add(SockPair(site, 1))
            elif attr == "client_address":
                out.add(Peer(site))
            elif attr in ("server", "socket"):
                out.add(Sock(site))
        if attr == "transport":
            out |= {Sock(s) for s in flow.class_sockets.get(("transport", cls.index), ())}
        if attr in ("socket", "server"):
            out |= {Sock(s) for s in flow.class_sockets.get(("self", cls.index), ())}
    return out


# -- side effects of calls -------------------------------------------------------------------------
def call_effects(flow: "Flow", node: cst.Call, ctx: "Ctx", args: List[Set], kwargs: Dict[str, Set]) -> None:
    func = node.func
    method = func.attr.value if isinstance(func, cst.Attribute) else None
    if method in MUTATORS:
        everything: Set = set()
        for values in args:
            everything |= values
        for values in kwargs.values():
            everything |= values
        for slot in flow.target_slots(func.value, ctx):
            flow.add(slot, everything)
    if method == "add_argument":
        argparse_default(flow, node, ctx, args, kwargs)
    name = method or (func.value if isinstance(func, cst.Name) else None)
    if "target" in kwargs:
        passed = _tuple_items(flow, kwargs.get("args", set()))
        _call_with(flow, kwargs["target"], passed)
    elif name in HIGHER_ORDER and len(args) > HIGHER_ORDER[name][0]:
        fn, rest = HIGHER_ORDER[name]
        _call_with(flow, args[fn], args[rest:])
    elif name in HIGHER_ORDER_TUPLE_ARGS and len(args) >= 2:
        _call_with(flow, args[0], _tuple_items(flow, args[1]))


def _tuple_items(flow: "Flow", values: Set) -> List[Set]:
    for value in values:
        if isinstance(value, Tup):
            node, _ = flow.tuples[value.site]
            return [flow.tuple_item(value.site, i) for i in range(len(node.elements))]
    return []


def _call_with(flow: "Flow", callables: Set, args: List[Set]) -> None:
    for value in callables:
        if isinstance(value, (Func, Method)):
            flow.bind_arguments(flow.project.functions[value.site], isinstance(value, Method), args, {})


# -- framework callbacks ------------------------------------------------------------------------
def site_argument(flow: "Flow", site, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    offset = getattr(site, "arg_offset", 0)
    positional = [a for a in site.node.args if a.keyword is None and not a.star]
    for arg in site.node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if len(positional) > position + offset:
        return positional[position + offset].value
    return None


def classes_made_by(flow: "Flow", values) -> Set[int]:
    """Project classes that a protocol factory / handler argument produces."""
    out: Set[int] = set()
    for value in values:
        if isinstance(value, (Cls, Inst)):
            out.add(value.site)
        elif isinstance(value, (Func, Method)):
            for result in flow.slots.get(("r", value.site), ()):
                if isinstance(result, (Inst, Cls)):
                    out.add(result.site)
    return out


def _inject(flow: "Flow", index: int, method: str, position: int, values) -> None:
    from .flow import param_slot

    for cls in flow.hierarchy(index):
        info = cls.methods.get(method)
        if info is not None and len(info.params) > position:
            flow.add(param_slot(info, info.params[position][0]), values)


def link_sites(flow: "Flow") -> None:
    for site in list(flow.sockets):
        ctx = site.ctx
        if site.kind == "asyncio":
            factory = site_argument(flow, site, 0, "protocol_factory")
            for index in classes_made_by(flow, flow.values(factory, ctx)):
                site.handlers.add(index)
                _inject(flow, index, "connection_made", 1, {Sock(site.index)})
                _inject(flow, index, "datagram_received", 2, {Peer(site.index)})
        elif site.kind == "twisted":
            proto = site_argument(flow, site, 1, "protocol")
            for index in classes_made_by(flow, flow.values(proto, ctx)):
                site.handlers.add(index)
                flow.add_class_socket("transport", index, site.index)
                _inject(flow, index, "datagramReceived", 2, {Peer(site.index)})
        elif site.kind == "socketserver":
            handler = site_argument(flow, site, 1, "RequestHandlerClass")
            for index in classes_made_by(flow, flow.values(handler, ctx)):
                site.handlers.add(index)
                flow.add_class_socket("handler", index, site.index)
            if site.server_class is not None:
                flow.add_class_socket("self", site.server_class.index, site.index)
        elif site.kind == "gevent":
            handle = site_argument(flow, site, 1, "handle")
            for value in flow.values(handle, ctx):
                if isinstance(value, (Func, Method)):
                    info = flow.project.functions[value.site]
                    position = 2 if isinstance(value, Method) else 1
                    if len(info.params) > position:
                        from .flow import param_slot

                        flow.add(param_slot(info, info.params[position][0]), {Peer(site.index)})
            if site.server_class is not None:
                flow.add_class_socket("self", site.server_class.index, site.index)
                _inject(flow, site.server_class.index, "handle", 2, {Peer(site.index)})


def is_datagram_handler(flow: "Flow", index: int) -> bool:
    return flow.derives_from(index, SOCKETSERVER_DATAGRAM_HANDLER)


def addrinfo_item(flow: "Flow", value, index) -> Set:
    """Positions of getaddrinfo() results: (family, type, proto, canonname, sockaddr)."""
    node, ctx = flow.tuples[value.site]
    args, kwargs = flow.arguments(node, ctx)

    def arg(position: int, keyword: str) -> Set:
        return set(args[position]) if len(args) > position else set(kwargs.get(keyword, ()))

    if isinstance(value, AddrInfo) and not value.entry:
        return {AddrInfo(value.site, True)}
    if isinstance(value, SockAddr):
        if index == 1:
            return arg(1, "port")
        hosts = arg(0, "host")
        passive = any(sym_tail_is(v, "AI_PASSIVE") for v in arg(5, "flags"))
        if passive and (not hosts or any(isinstance(h, Const) and h.value in (None, "") for h in hosts)):
            hosts = hosts | {Const("")}
        return hosts if index == 0 else hosts | arg(1, "port")
    parts = {0: arg(2, "family") or {Sym("socket.AF_INET")}, 1: arg(3, "type"), 4: {SockAddr(value.site)}}
    if index is None:
        return set().union(*parts.values())
    return parts.get(index, set())


def sym_tail_is(value, name: str) -> bool:
    return isinstance(value, Sym) and value.qualname.rsplit(".", 1)[-1] == name


def argparse_default(flow: "Flow", node: cst.Call, ctx: "Ctx", args: List[Set], kwargs: Dict[str, Set]) -> None:
    """`add_argument('--host', default='0.0.0.0')` makes `args.host` hold the default."""
    dest = None
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "dest":
            dest = arg.value.evaluated_value if isinstance(arg.value, cst.SimpleString) else None
    if dest is None:
        names = [a.value.evaluated_value for a in node.args if a.keyword is None and isinstance(a.value, cst.SimpleString)]
        longs = [n for n in names if isinstance(n, str) and n.startswith("--")]
        chosen = longs[0] if longs else (names[0] if names else None)
        dest = chosen.lstrip("-").replace("-", "_") if isinstance(chosen, str) else None
    if dest and "default" in kwargs:
        flow.add(("f", dest), kwargs["default"])


def _custom_get_request(flow: "Flow", site):
    """A server subclass that overrides get_request() decides what handlers receive."""
    if site.server_class is None:
        return None
    for cls in flow.ancestry(site.server_class.index)[0]:
        if "get_request" in cls.methods:
            return cls.methods["get_request"]
    return None


def has_effects(node: cst.Call, method) -> bool:
    """Whether `call_effects` could do anything for this call."""
    if method in MUTATORS or method == "add_argument":
        return True
    name = method or (node.func.value if isinstance(node.func, cst.Name) else None)
    if name in HIGHER_ORDER or name in HIGHER_ORDER_TUPLE_ARGS:
        return True
    return any(a.keyword is not None and a.keyword.value == "target" for a in node.args)
