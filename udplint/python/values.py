"""Abstract values that flow through a program. Each is small, hashable and names its origin."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Dict, Set, Type, TypeVar, Union

T = TypeVar("T")


def interned(cls: Type[T]) -> Type[T]:
    """One object per distinct value: equal values are the same object, so sets and dicts of them
    compare by identity, in C (the generated `__eq__` and `__hash__` of frozen dataclasses were a
    fifth of a large solve). Apply over `@dataclass(frozen=True, eq=False)`."""
    names = [f.name for f in fields(cls)]
    initialise: Callable = cls.__init__
    table: Dict[tuple, object] = {}
    typed = cls.__name__ == "Const"  # Const(1), Const(1.0) and Const(True) are three values

    def __new__(klass, *args, **kwargs):
        if kwargs:
            args = args + tuple(kwargs[name] for name in names[len(args):])
        key = (args, type(args[0])) if typed else args
        known = table.get(key)
        if known is None:
            known = object.__new__(klass)
            initialise(known, *args)
            table[key] = known
        return known

    def __reduce__(self):
        return cls, tuple(getattr(self, name) for name in names)

    cls.__new__ = __new__
    cls.__init__ = lambda self, *args, **kwargs: None
    cls.__reduce__ = __reduce__
    return cls


@interned
@dataclass(frozen=True, eq=False)
class Const:
    """A literal: str, int, bytes, bool or None."""

    value: object


@interned
@dataclass(frozen=True, eq=False)
class Sym:
    """A name from a module outside the project, e.g. `socket.SOCK_DGRAM`."""

    qualname: str


@interned
@dataclass(frozen=True, eq=False)
class Sock:
    """A socket or a framework endpoint created at one site (index into Flow.sockets)."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Peer:
    """The address a peer sent from, as returned by a receive on socket `site`."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Received:
    """The tuple a receive returns; `peer_index` is where the peer address sits in it."""

    site: int
    peer_index: int


@interned
@dataclass(frozen=True, eq=False)
class SockPair:
    """A tuple holding a socket at `index` (socketserver's `request`, asyncio's (transport, protocol))."""

    site: int
    index: int


@interned
@dataclass(frozen=True, eq=False)
class Tup:
    """A tuple/list display, evaluated lazily by position (index into Flow.tuples)."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Func:
    """A function or lambda of the project (index into Project.functions)."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Cls:
    """A class of the project (index into Project.classes)."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Inst:
    """An instance of a project class."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Method:
    """A project function bound to an instance (`self.handle`), so calls skip `self`."""

    site: int


Value = Union[Const, Sym, Sock, Peer, Received, SockPair, Tup, Func, Cls, Inst, Method]

# library calls whose result is a random number: a port picked with them is a client's, like port 0
RANDOM_NUMBERS = frozenset({"random.randint", "random.randrange", "random.choice", "secrets.randbelow",
                            "secrets.choice"})

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*"})
WILDCARD_SYMBOLS = frozenset({"INADDR_ANY", "IN6ADDR_ANY", "in6addr_any"})


@interned
@dataclass(frozen=True, eq=False)
class Wild:
    """A wildcard host that a call in one module hands to a function of another: where the
    application decides the wildcard, which is where a finding belongs."""

    text: str  # as messages show it: "'::'" or "INADDR_ANY"
    module: int
    call: int  # the call's ordinal in its module


def wild(value: Value, module: int, call: int) -> Value:
    """`value` marked with the call that passes it, when it is a wildcard host."""
    if isinstance(value, Const) and is_wildcard(value):
        return Wild(repr(value.value), module, call)
    if isinstance(value, Sym) and is_wildcard(value):
        return Wild(sym_tail(value), module, call)
    return value


def mark_wildcards(values: Set, module: int, call: int) -> Set:
    """`wild` over a set of values; the set itself when it holds no wildcard (nearly always:
    every argument of every call into another module passes through here)."""
    for value in values:
        kind = type(value)
        if (kind is Const or kind is Sym) and is_wildcard(value):
            return {wild(v, module, call) for v in values}
    return values


def is_wildcard(value: Value) -> bool:
    if isinstance(value, Wild):
        return True
    if isinstance(value, Const):
        return isinstance(value.value, str) and value.value in WILDCARD_HOSTS
    if isinstance(value, Sym):
        return value.qualname.rsplit(".", 1)[-1] in WILDCARD_SYMBOLS
    return False


def sym_tail(value: Value) -> str:
    return value.qualname.rsplit(".", 1)[-1] if isinstance(value, Sym) else ""


@interned
@dataclass(frozen=True, eq=False)
class Mod:
    """A module of the project (index into Project.modules), e.g. from `from . import handlers`."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class AddrInfo:
    """`getaddrinfo()` results (entry=False: the list; True: one 5-tuple) for call site `site`."""

    site: int
    entry: bool


@interned
@dataclass(frozen=True, eq=False)
class SockAddr:
    """The sockaddr of a getaddrinfo() entry: (host, port) as the call's arguments give them."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class Strs:
    """The parts of a constant string split by a library call: `"0.0.0.0:53".split(":")`."""

    parts: tuple


@interned
@dataclass(frozen=True, eq=False)
class Rest:
    """What a function's `*args` holds: the values of each extra positional argument."""

    items: tuple  # of frozensets


@interned
@dataclass(frozen=True, eq=False)
class Dct:
    """A dict made by a display (`{...}`) at one site (index into Solver.tuples): its entries
    live in keyed slots, so `config["server"]` reads what was stored under "server"."""

    site: int


@interned
@dataclass(frozen=True, eq=False)
class DictView:
    """`d.keys()`, `d.values()` or `d.items()` of a dict display's site: iterating `items()`
    gives (key, value) pairs, so `for port, password in d.items()` keeps keys apart from values."""

    site: int
    part: str  # "keys" | "values" | "items"


@interned
@dataclass(frozen=True, eq=False)
class DictItem:
    """One (key, value) pair of `d.items()`."""

    site: int
