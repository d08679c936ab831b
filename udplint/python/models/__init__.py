"""What the data flow knows about the standard library and the UDP frameworks.

Each framework is one module here (`sockets`, `socketserver`, `asyncio`, `twisted`, `gevent`,
`anyio`) implementing `base.Model`; this module dispatches to them and holds the library
knowledge every model shares: containers, thread pools and event loops that call functions,
getaddrinfo, argparse defaults and environment lookups.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Set

from .. import summary as s
from ..values import RANDOM_NUMBERS, AddrInfo, Cls, Const, Dct, DictView, Func, Inst, Method, Mod, Received, Sock, SockAddr, Strs, Sym, Tup
from . import anyio, asyncio, dgram, duck, gevent, sockets, socketserver, twisted
from .base import Model, site_argument

if TYPE_CHECKING:  # pragma: no cover
    from ..solver import Ctx, SocketSite, Solver

MODELS: Dict[str, Model] = {m.kind: m for m in (
    sockets.MODEL, socketserver.MODEL, asyncio.MODEL, twisted.MODEL, gevent.MODEL, anyio.MODEL, dgram.MODEL,
    duck.MODEL,
)}
_CONSTRUCTORS = {name: model.kind for model in MODELS.values() for name in model.constructors}
_SERVER_BASES = {name: model.kind for model in MODELS.values() for name in model.server_bases}
SITE_METHODS = frozenset().union(*(m.site_methods for m in MODELS.values()))
MARKERS = tuple(dict.fromkeys(marker for m in MODELS.values() for marker in m.markers))

# MicroPython's (and CircuitPython's) builtin modules are the standard library under a `u` prefix:
# `import usocket as socket` on a board is the `socket` the models describe.
MICROPYTHON_MODULES = {"usocket": "socket", "uasyncio": "asyncio", "uselect": "select", "ustruct": "struct"}


def library_name(dotted: str) -> str:
    """The name the models know an outside module's `dotted` by (`usocket.socket` is `socket.socket`)."""
    top, dot, rest = dotted.partition(".")
    alias = MICROPYTHON_MODULES.get(top)
    return alias + dot + rest if alias is not None else dotted


STAR_SOURCES = {"socket", "socketserver", "SocketServer", "asyncio", "select", "selectors", "trio", "gevent"}
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
# callable at `fn`, its arguments from `rest` onwards (thread pools, event loops, task groups)
HIGHER_ORDER = {
    "submit": (0, 1), "spawn": (0, 1), "spawn_n": (0, 1), "call_soon": (0, 1),
    "call_soon_threadsafe": (0, 1), "start_soon": (0, 1), "run_in_executor": (1, 2),
    "call_later": (1, 2), "call_at": (1, 2), "run_sync": (0, 1), "to_thread": (0, 1),
}
HIGHER_ORDER_TUPLE_ARGS = {"start_new_thread", "apply_async", "apply", "start_new"}
PASS_FIRST_ARGUMENT = {
    "builtins.str", "builtins.tuple", "builtins.list", "builtins.set", "builtins.dict", "builtins.sorted",
    "builtins.iter", "builtins.next", "functools.partial", "builtins.reversed", "copy.copy", "copy.deepcopy",
    "collections.deque", "builtins.frozenset", "typer.Option", "typer.Argument",
}
# decorators of command-line frameworks that give a parameter its default: `@click.option("--host", default="::")`
OPTION_DECORATORS = {"click.option", "click.argument", "asyncclick.option", "asyncclick.argument",
                     "cloup.option", "cloup.argument"}
# `typing.cast(T, value)` is `value`
PASS_SECOND_ARGUMENT = {"typing.cast", "typing_extensions.cast"}
# methods that look a key up in a parsed document (configparser, ElementTree, lxml, minidom, a
# YAML/JSON mapping): on a value nothing here knows, the key may be one a shipped file sets
SETTING_READS = frozenset({"get", "xpath", "findtext", "getAttribute"})
ENVIRONMENT_LOOKUPS = {"os.getenv", "os.environ.get", "os.environ.setdefault"}
MERGE_ARGUMENTS = {"select.select", "select.poll", "builtins.zip"}
# method names whose call the solver must always run (sites, effects, framework plumbing)
# `key.data(key.fileobj)`: a selector key's data is often the registered callback itself
MODELLED_METHODS = frozenset(SITE_METHODS | MUTATORS | set(HIGHER_ORDER) | HIGHER_ORDER_TUPLE_ARGS | {"add_argument"}
                             | {"partial", "partialmethod"} | PASS_THROUGH_ATTRS)
GETADDRINFO = {"socket.getaddrinfo", "trio.socket.getaddrinfo"}
_USES_ARGUMENTS = PASS_FIRST_ARGUMENT | PASS_SECOND_ARGUMENT | ENVIRONMENT_LOOKUPS | MERGE_ARGUMENTS | {"builtins.getattr"}


def label(kind: str) -> str:
    return MODELS[kind].label


# -- values of calls ------------------------------------------------------------------------------
# Functions of other libraries that receive on a socket they are given: `recvfrom(loop, [sock], n)`.
RECEIVE_HELPERS = {"recvfrom": 1, "sock_recvfrom": 1, "recvfrom_into": 1, "recvmsg": 3}
# calls that make a new mapping: `dict(host="", port=0)`, `OrderedDict()`, `defaultdict(list)`
# (a plain `dict(other)` is `other` again: PASS_FIRST_ARGUMENT)
DICT_CONSTRUCTORS = {"builtins.dict", "collections.OrderedDict", "collections.defaultdict",
                     "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary"}
DICT_VIEWS = {"keys", "values", "items"}
STRING_SPLITS = {"split", "rsplit", "partition", "rpartition"}


# argparse: a parser made at one call site; its options' defaults are attributes of what its
# parse_args() returns (per parser, so one module's `--host` default does not leak into another's)
PARSER_PREFIX, NAMESPACE_PREFIX = "argparse.ArgumentParser@", "argparse.Namespace@"
PARSER_METHODS_RETURNING_PARSER = {"add_argument_group", "add_mutually_exclusive_group", "add_subparsers",
                                   "add_parser"}


def _parsers(receivers) -> Set[str]:
    return {v.qualname[len(PARSER_PREFIX):] for v in receivers
            if isinstance(v, Sym) and v.qualname.startswith(PARSER_PREFIX)}


def namespace_attribute(solver: "Solver", value, attr: str) -> Set:
    """`args.host` where `args` came from a parser of ours: that parser's default for it."""
    if isinstance(value, Sym) and value.qualname.startswith(NAMESPACE_PREFIX) and "." not in value.qualname[len(NAMESPACE_PREFIX):]:
        return set(solver.read(("argparse", value.qualname[len(NAMESPACE_PREFIX):], attr)))
    return set()


def external_call(solver: "Solver", call: s.Call, qualname: str, ctx: "Ctx") -> Set:
    if qualname in DICT_CONSTRUCTORS and (not call.args or any(a.keyword or a.star == "**" for a in call.args)
                                          or qualname != "builtins.dict"):  # `dict()` is a new, empty one
        return {Dct(solver.dict_call_site(call, ctx, positional_is_mapping=qualname != "collections.defaultdict"))}
    if qualname == "argparse.ArgumentParser":
        return {Sym(f"{PARSER_PREFIX}{ctx.module}:{call.site}")}
    kind = _CONSTRUCTORS.get(qualname)
    if kind is not None:
        return {Sock(solver.socket_site(kind, call, ctx))}
    if qualname in twisted.ANSWERING_PROTOCOLS:  # an instance of one: the model knows what it does
        return {Sym(qualname)}
    tail = qualname.rsplit(".", 1)[-1]
    if tail in RECEIVE_HELPERS and not qualname.startswith("builtins."):
        return _helper_receive(solver, call, ctx, RECEIVE_HELPERS[tail])
    if qualname in GETADDRINFO:
        return {AddrInfo(solver.tuple_site(call, ctx), False)}
    if qualname in RANDOM_NUMBERS:
        return {Sym(qualname)}  # a number nobody chose: a port picked with it is a client's
    if duck.makes_datagram_object(qualname, call):
        return {Sock(solver.socket_site(duck.MODEL.kind, call, ctx))}
    if qualname not in _USES_ARGUMENTS:
        return set()  # most library calls (logging, asserts) carry nothing we track
    args, kwargs = solver.arguments(call, ctx)
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
    if qualname in PASS_SECOND_ARGUMENT:
        return set(args[1]) if len(args) > 1 else set(kwargs.get("val", ()))
    out: Set = set()
    for values in args:  # MERGE_ARGUMENTS
        for value in values:
            out |= solver.item(value, None)
    return out


def _helper_receive(solver: "Solver", call: s.Call, ctx: "Ctx", peer_index: int) -> Set:
    socks: Set[int] = set()
    for arg in call.args:
        values = solver.values(arg.value, ctx)
        socks |= receiver_sockets(solver, values)
        for value in values:
            if isinstance(value, Tup):
                socks |= receiver_sockets(solver, solver.item(value, None))
    return {Received(site, peer_index) for site in socks}


def _split_constant(call: s.Call, method: str, receivers, solver: "Solver", ctx: "Ctx") -> Set:
    """`"0.0.0.0:53".split(":")` and the like, on constant strings: the parts, by position."""
    args = [solver.values(a.value, ctx) for a in call.args if a.keyword is None and not a.star]
    separators = [v.value for v in args[0] if isinstance(v, Const) and isinstance(v.value, str)] if args else [None]
    out: Set = set()
    for value in receivers:
        if not (isinstance(value, Const) and isinstance(value.value, str)):
            continue
        for separator in separators or [None]:
            try:
                if method in ("partition", "rpartition"):
                    parts = getattr(value.value, method)(separator)
                elif method == "rsplit":
                    parts = value.value.rsplit(separator, 1) if len(args) > 1 else value.value.rsplit(separator)
                else:
                    parts = value.value.split(separator)
            except (TypeError, ValueError):
                continue
            out.add(Strs(tuple(parts)))
    return out


def server_kind(qualnames) -> Optional[str]:
    for name in qualnames:
        if name in _SERVER_BASES:
            return _SERVER_BASES[name]
    return None


def instantiate(solver: "Solver", call: s.Call, index: int, ctx: "Ctx") -> Set:
    out: Set = {Inst(index)}
    chain, external = solver.ancestry(index)
    kind = server_kind(external)
    if kind is not None and not any("__init__" in c.methods for c in chain):
        site = solver.socket_site(kind, call, ctx, server_class=solver.program.classes[index])
        out.add(Sock(site))
    return out


def method_result(solver: "Solver", call: s.Call, method: str, receivers, ctx: "Ctx") -> Set:
    socks = receiver_sockets(solver, receivers)
    out: Set = set()
    for model in MODELS.values():
        out |= model.method_result(solver, call, method, socks, receivers, ctx)
    parsers = _parsers(receivers) if method in PARSER_METHODS_RETURNING_PARSER | {"parse_args", "parse_known_args"} else ()
    for parser in parsers:
        prefix = NAMESPACE_PREFIX if method in ("parse_args", "parse_known_args") else PARSER_PREFIX
        out.add(Sym(f"{prefix}{parser}"))
    if method in STRING_SPLITS:
        out |= _split_constant(call, method, receivers, solver, ctx)
    if method in CONTAINER_READS:
        dicts = [v for v in receivers if isinstance(v, Dct)]
        out |= {v for v in receivers if not isinstance(v, (Sym, Mod, Cls, Dct))}
        keyed = method in ("get", "pop", "setdefault", "__getitem__") and call.args
        for value in dicts:
            if keyed:
                out |= solver.read_key(value.site, solver.values(call.args[0].value, ctx))
            elif method in DICT_VIEWS:
                out.add(DictView(value.site, method))  # iterated later
            else:
                out.add(value)  # .copy() and the like: the same entries
        if method in ("get", "pop", "setdefault") and len(call.args) > 1:
            out |= solver.values(call.args[1].value, ctx)
    if method == "get" and any(isinstance(v, Sym) and v.qualname == "os.environ" for v in receivers):
        out |= solver.values(call.args[1].value, ctx) if len(call.args) > 1 else set()
    if not receivers and method in SETTING_READS and solver.program.shipped.by_key:
        out |= solver.shipped_value([a.value for a in call.args if a.keyword is None and not a.star], ctx)
    if method == "__new__" and call.args:  # `Headers.__new__(Headers)`: an instance made without __init__
        out |= {Inst(v.site) for v in solver.values(call.args[0].value, ctx) if isinstance(v, Cls)}
    if method == "__init__" and solver.ctx_class(ctx) is not None:
        out |= _framework_server_init(solver, call, receivers, ctx)
    return out


def _framework_server_init(solver: "Solver", call: s.Call, receivers, ctx: "Ctx") -> Set:
    """`super().__init__(addr, Handler)` in a user subclass of UDPServer creates the server."""
    from ..solver import is_super_call

    cls = solver.ctx_class(ctx)
    qualnames = {v.qualname for v in receivers if isinstance(v, Sym)}
    through_super = is_super_call(call.func.value)
    if through_super:
        chain, external = solver.ancestry(cls.index)
        if any("__init__" in c.methods for c in chain[1:]):
            return set()
        qualnames |= external
    kind = server_kind(qualnames)
    if kind is None:
        return set()
    site = solver.socket_site(kind, call, ctx, server_class=cls)
    solver.sockets[site].arg_offset = 0 if through_super else 1
    return {Sock(site)}


def receiver_sockets(solver: "Solver", receivers) -> Set[int]:
    socks = {v.site for v in receivers if isinstance(v, Sock)}
    for value in receivers:
        if isinstance(value, Inst):
            socks |= solver.hierarchy_sockets("self", value.site)
    return socks


def iteration_items(solver: "Solver", value) -> Set:
    if isinstance(value, Sock) and solver.sockets[value.site].kind == "anyio":
        return {Received(value.site, 1)}
    return solver.item(value, None)


def framework_attribute(solver: "Solver", members: FrozenSet[int], attr: str) -> Set:
    """`attr` of an instance whose hierarchy is the classes `members`, as a framework gives it."""
    out: Set = set()
    for site in sorted(solver.members_values("cs", "handler", members)):
        out |= socketserver.MODEL.handler_attribute(solver, solver.sockets[site], attr)
    if attr == "transport":
        out |= {Sock(site) for site in solver.members_values("cs", "transport", members)}
    if attr in ("socket", "server"):
        out |= {Sock(site) for site in solver.members_values("cs", "self", members)}
    return out


def link_site(solver: "Solver", site: "SocketSite") -> None:
    MODELS[site.kind].link(solver, site)


def is_datagram_handler(solver: "Solver", index: int) -> bool:
    return solver.derives_from(index, socketserver.MODEL.datagram_handlers)


# -- side effects of calls -------------------------------------------------------------------------
def call_effects(solver: "Solver", call: s.Call, ctx: "Ctx", args: List[Set], kwargs: Dict[str, Set]) -> None:
    func = call.func
    method = func.attr if type(func) is s.Attr else None
    if method in MUTATORS:
        everything: Set = set()
        for values in args:
            everything |= values
        for values in kwargs.values():
            everything |= values
        receivers = solver.values(func.value, ctx)
        dicts = [v for v in receivers if isinstance(v, Dct)]
        for container in dicts:
            if method == "setdefault" and args:
                solver.store_key(container.site, args[0], args[1] if len(args) > 1 else set())
            elif method == "update":
                for value in everything:
                    if isinstance(value, Dct):
                        solver.spread_into(container.site, value.site)
                for name, values in kwargs.items():
                    solver.store_key(container.site, [Const(name)], values)
            else:
                solver.store_key(container.site, [], everything)
        if not dicts or len(dicts) != len(receivers):
            for slot in solver.target_slots(func.value, ctx):
                solver.add(slot, everything)
    if method == "add_argument":
        argparse_default(solver, call, kwargs, _parsers(solver.values(func.value, ctx)),
                         solver.program.modules[ctx.module].project)
    name = method or (func.name if type(func) is s.Name else None)
    if "target" in kwargs:
        _call_with(solver, kwargs["target"], _tuple_items(solver, kwargs.get("args", set())))
    elif name in HIGHER_ORDER and len(args) > HIGHER_ORDER[name][0]:
        fn, rest = HIGHER_ORDER[name]
        _call_with(solver, args[fn], args[rest:])
    elif name in HIGHER_ORDER_TUPLE_ARGS and len(args) >= 2:
        _call_with(solver, args[0], _tuple_items(solver, args[1]))
    elif name in PARTIALS and args and any(isinstance(v, Sym) and v.qualname in PARTIALS[name]
                                          for v in solver.values(func, ctx)):
        # `functools.partial(f, a, b)` is made to be called (a done callback, a handler): whoever
        # calls it, f's first parameters are a and b, and its keywords the partial's
        for value in args[0]:
            if isinstance(value, (Func, Method)):
                solver.bind_arguments(solver.program.functions[value.site], isinstance(value, Method),
                                      args[1:], kwargs)


# `partial(f, *args, **kwargs)` by the name it is called with
PARTIALS = {"partial": {"functools.partial"}, "partialmethod": {"functools.partialmethod"}}


def has_effects(call: s.Call, method) -> bool:
    """Whether `call_effects` could do anything for this call."""
    if method in MUTATORS or method == "add_argument":
        return True
    name = method or (call.func.name if type(call.func) is s.Name else None)
    if name in HIGHER_ORDER or name in HIGHER_ORDER_TUPLE_ARGS or name in PARTIALS:
        return True
    return any(a.keyword == "target" for a in call.args)


def _tuple_items(solver: "Solver", values: Set) -> List[Set]:
    for value in values:
        if isinstance(value, Tup):
            node, _ = solver.tuples[value.site]
            if type(node) is s.Seq:
                return [solver.tuple_item(value.site, i) for i in range(len(node.elements))]
    return []


def _call_with(solver: "Solver", callables: Set, args: List[Set]) -> None:
    for value in callables:
        if isinstance(value, (Func, Method)):
            solver.bind_arguments(solver.program.functions[value.site], isinstance(value, Method), args, {})


def addrinfo_item(solver: "Solver", value, index) -> Set:
    """Positions of getaddrinfo() results: (family, type, proto, canonname, sockaddr)."""
    call, ctx = solver.tuples[value.site]
    args, kwargs = solver.arguments(call, ctx)

    def arg(position: int, keyword: str) -> Set:
        return set(args[position]) if len(args) > position else set(kwargs.get(keyword, ()))

    if isinstance(value, AddrInfo) and not value.entry:
        return {AddrInfo(value.site, True)}
    if isinstance(value, SockAddr):
        if index == 1:
            return arg(1, "port")
        hosts = arg(0, "host")
        passive = any(_sym_tail_is(v, "AI_PASSIVE") for v in arg(5, "flags"))
        if passive and (not hosts or any(isinstance(h, Const) and h.value in (None, "") for h in hosts)):
            hosts = hosts | {Const("")}
        return hosts if index == 0 else hosts | arg(1, "port")
    parts = {0: arg(2, "family") or {Sym("socket.AF_INET")}, 1: arg(3, "type"), 4: {SockAddr(value.site)}}
    if index is None:
        return set().union(*parts.values())
    return parts.get(index, set())


def _sym_tail_is(value, name: str) -> bool:
    return isinstance(value, Sym) and value.qualname.rsplit(".", 1)[-1] == name


def decorator_effects(solver: "Solver", info, decorator, ctx: "Ctx") -> None:
    """`@click.option("--bind", default=DEFAULT_BIND)` on `def cli(bind)`: `bind` holds the default."""
    if type(decorator) is not s.Call:
        return
    names = {v.qualname for v in solver.values(decorator.func, ctx) if isinstance(v, Sym)}
    if not names & OPTION_DECORATORS:
        return
    texts = [a.value.value for a in decorator.args
             if a.keyword is None and type(a.value) is s.Const and isinstance(a.value.value, str)]
    plain = [t for t in texts if not t.startswith("-")]
    longs = [t for t in texts if t.startswith("--")]
    chosen = plain[0] if plain else (longs[0] if longs else (texts[0] if texts else ""))
    param = chosen.lstrip("-").replace("-", "_").split("/")[0]
    default = next((a.value for a in decorator.args if a.keyword == "default"), None)
    if param in info.params and default is not None:
        solver.activate_function(info)
        solver.add(solver.param_slot(info, param), solver.values(default, ctx))


def argparse_default(solver: "Solver", call: s.Call, kwargs: Dict[str, Set], parsers=(), project: int = 0) -> None:
    """`add_argument('--host', default='0.0.0.0')` makes `args.host` hold the default."""
    dest = None
    for arg in call.args:
        if arg.keyword == "dest" and type(arg.value) is s.Const:
            dest = arg.value.value if isinstance(arg.value.value, str) else None
    if dest is None:
        names = [a.value.value for a in call.args
                 if a.keyword is None and type(a.value) is s.Const and isinstance(a.value.value, str)]
        longs = [n for n in names if n.startswith("--")]
        chosen = longs[0] if longs else (names[0] if names else None)
        dest = chosen.lstrip("-").replace("-", "_") if chosen else None
    if dest and "default" in kwargs:
        if parsers:  # our parser: its namespace's attribute
            for parser in parsers:
                solver.add(("argparse", parser, dest), kwargs["default"])
        else:  # a parser we do not know (made elsewhere): any object's attribute of that name
            solver.add(("f", project, dest), kwargs["default"])


