"""Abstract values that flow through a program. Each is small, hashable and names its origin."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Set, Union


@dataclass(frozen=True)
class Const:
    """A literal: str, int, bytes, bool or None."""

    value: object


@dataclass(frozen=True)
class Sym:
    """A name from a module outside the project, e.g. `socket.SOCK_DGRAM`."""

    qualname: str


@dataclass(frozen=True)
class Sock:
    """A socket or a framework endpoint created at one site (index into Flow.sockets)."""

    site: int


@dataclass(frozen=True)
class Peer:
    """The address a peer sent from, as returned by a receive on socket `site`."""

    site: int


@dataclass(frozen=True)
class Received:
    """The tuple a receive returns; `peer_index` is where the peer address sits in it."""

    site: int
    peer_index: int


@dataclass(frozen=True)
class SockPair:
    """A tuple holding a socket at `index` (socketserver's `request`, asyncio's (transport, protocol))."""

    site: int
    index: int


@dataclass(frozen=True)
class Tup:
    """A tuple/list display, evaluated lazily by position (index into Flow.tuples)."""

    site: int


@dataclass(frozen=True)
class Func:
    """A function or lambda of the project (index into Project.functions)."""

    site: int


@dataclass(frozen=True)
class Cls:
    """A class of the project (index into Project.classes)."""

    site: int


@dataclass(frozen=True)
class Inst:
    """An instance of a project class."""

    site: int


@dataclass(frozen=True)
class Method:
    """A project function bound to an instance (`self.handle`), so calls skip `self`."""

    site: int


Value = Union[Const, Sym, Sock, Peer, Received, SockPair, Tup, Func, Cls, Inst, Method]

# library calls whose result is a random number: a port picked with them is a client's, like port 0
RANDOM_NUMBERS = frozenset({"random.randint", "random.randrange", "random.choice", "secrets.randbelow",
                            "secrets.choice"})

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*"})
WILDCARD_SYMBOLS = frozenset({"INADDR_ANY", "IN6ADDR_ANY", "in6addr_any"})


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Mod:
    """A module of the project (index into Project.modules), e.g. from `from . import handlers`."""

    site: int


@dataclass(frozen=True)
class AddrInfo:
    """`getaddrinfo()` results (entry=False: the list; True: one 5-tuple) for call site `site`."""

    site: int
    entry: bool


@dataclass(frozen=True)
class SockAddr:
    """The sockaddr of a getaddrinfo() entry: (host, port) as the call's arguments give them."""

    site: int


@dataclass(frozen=True)
class Strs:
    """The parts of a constant string split by a library call: `"0.0.0.0:53".split(":")`."""

    parts: tuple


@dataclass(frozen=True)
class Rest:
    """What a function's `*args` holds: the values of each extra positional argument."""

    items: tuple  # of frozensets


@dataclass(frozen=True)
class Dct:
    """A dict made by a display (`{...}`) at one site (index into Solver.tuples): its entries
    live in keyed slots, so `config["server"]` reads what was stored under "server"."""

    site: int


@dataclass(frozen=True)
class DictView:
    """`d.keys()`, `d.values()` or `d.items()` of a dict display's site: iterating `items()`
    gives (key, value) pairs, so `for port, password in d.items()` keeps keys apart from values."""

    site: int
    part: str  # "keys" | "values" | "items"


@dataclass(frozen=True)
class DictItem:
    """One (key, value) pair of `d.items()`."""

    site: int
