"""Abstract values that flow through a program. Each is small, hashable and names its origin."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Dict, Set, Union


class Interned(type):
    """One object per distinct value: equal values are the same object, so sets and dicts of them
    compare by identity, in C (the generated `__eq__` of frozen dataclasses was a seventh of a
    large solve). For `@dataclass(frozen=True, eq=False)` classes."""

    def __call__(cls, *args, **kwargs):
        if kwargs:
            args = args + tuple(kwargs[field.name] for field in fields(cls)[len(args):])
        key = (args, type(args[0])) if cls.typed else args  # Const(1), Const(1.0), Const(True): three values
        known = cls.instances.get(key)
        if known is None:
            known = cls.instances[key] = super().__call__(*args)
            # hashed by content, not by address: set order (and so which values a full slot
            # keeps) must not depend on where objects were allocated (-j1 and -j2 differed)
            object.__setattr__(known, "_hash", hash((cls.__name__, args)))
            if cls.may_be_wildcard and is_wildcard(known):
                WILDCARD_VALUES.add(known)
        return known


class _Value(metaclass=Interned):
    instances: ClassVar[Dict[tuple, "_Value"]]
    typed: ClassVar[bool] = False
    may_be_wildcard: ClassVar[bool] = False  # a Const or Sym: `mark_wildcards` looks for it
    _hash: int

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.instances = {}

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        return type(self), tuple(getattr(self, field.name) for field in fields(self))


@dataclass(frozen=True, eq=False)
class Const(_Value):
    """A literal: str, int, bytes, bool or None."""

    typed: ClassVar[bool] = True
    may_be_wildcard: ClassVar[bool] = True

    value: object


@dataclass(frozen=True, eq=False)
class Sym(_Value):
    """A name from a module outside the project, e.g. `socket.SOCK_DGRAM`."""

    may_be_wildcard: ClassVar[bool] = True

    qualname: str


@dataclass(frozen=True, eq=False)
class Sock(_Value):
    """A socket or a framework endpoint created at one site (index into Flow.sockets)."""

    site: int


@dataclass(frozen=True, eq=False)
class Peer(_Value):
    """The address a peer sent from, as returned by a receive on socket `site`."""

    site: int


@dataclass(frozen=True, eq=False)
class Received(_Value):
    """The tuple a receive returns; `peer_index` is where the peer address sits in it."""

    site: int
    peer_index: int


@dataclass(frozen=True, eq=False)
class SockPair(_Value):
    """A tuple holding a socket at `index` (socketserver's `request`, asyncio's (transport, protocol))."""

    site: int
    index: int


@dataclass(frozen=True, eq=False)
class Tup(_Value):
    """A tuple/list display, evaluated lazily by position (index into Flow.tuples)."""

    site: int


@dataclass(frozen=True, eq=False)
class Func(_Value):
    """A function or lambda of the project (index into Project.functions)."""

    site: int


@dataclass(frozen=True, eq=False)
class Cls(_Value):
    """A class of the project (index into Project.classes)."""

    site: int


@dataclass(frozen=True, eq=False)
class Inst(_Value):
    """An instance of a project class."""

    site: int


@dataclass(frozen=True, eq=False)
class Method(_Value):
    """A project function bound to an instance (`self.handle`), so calls skip `self`."""

    site: int


Value = Union[Const, Sym, Sock, Peer, Received, SockPair, Tup, Func, Cls, Inst, Method]

# library calls whose result is a random number: a port picked with them is a client's, like port 0
RANDOM_NUMBERS = frozenset({"random.randint", "random.randrange", "random.choice", "secrets.randbelow",
                            "secrets.choice"})

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*"})
WILDCARD_SYMBOLS = frozenset({"INADDR_ANY", "IN6ADDR_ANY", "in6addr_any"})


@dataclass(frozen=True, eq=False)
class Wild(_Value):
    """A wildcard host that a call in one module hands to a function of another: where the
    application decides the wildcard, which is where a finding belongs."""

    text: str  # as messages show it: "'::'" or "INADDR_ANY"
    module: int
    call: int  # the call's ordinal in its module


@dataclass(frozen=True, eq=False)
class Shipped(_Value):
    """A wildcard host read from a settings file shipped in the tree (`host="0.0.0.0"` in a
    template the code parses): what messages show, and the file and line it came from."""

    text: str  # as messages show it: "'0.0.0.0'"
    path: str
    line: int
    files: int  # shipped files setting the key to a wildcard (`path` is the first of them)


def wild(value: Value, module: int, call: int) -> Value:
    """`value` marked with the call that passes it, when it is a wildcard host."""
    if isinstance(value, Const) and is_wildcard(value):
        return Wild(repr(value.value), module, call)
    if isinstance(value, Sym) and is_wildcard(value):
        return Wild(sym_tail(value), module, call)
    return value


# The Const and Sym values that are wildcard hosts, added as they are interned: whether a set
# holds one is then one set operation in C, not a loop over its values
WILDCARD_VALUES: Set = set()


def mark_wildcards(values: Set, module: int, call: int) -> Set:
    """`wild` over a set of values; the set itself when it holds no wildcard (nearly always:
    every argument of every call into another module passes through here)."""
    if WILDCARD_VALUES.isdisjoint(values):
        return values
    return {wild(v, module, call) if v in WILDCARD_VALUES else v for v in values}


def is_wildcard(value: Value) -> bool:
    if isinstance(value, (Wild, Shipped)):
        return True
    if isinstance(value, Const):
        return isinstance(value.value, str) and value.value in WILDCARD_HOSTS
    if isinstance(value, Sym):
        return value.qualname.rsplit(".", 1)[-1] in WILDCARD_SYMBOLS
    return False


def sym_tail(value: Value) -> str:
    return value.qualname.rsplit(".", 1)[-1] if isinstance(value, Sym) else ""


@dataclass(frozen=True, eq=False)
class Mod(_Value):
    """A module of the project (index into Project.modules), e.g. from `from . import handlers`."""

    site: int


@dataclass(frozen=True, eq=False)
class AddrInfo(_Value):
    """`getaddrinfo()` results (entry=False: the list; True: one 5-tuple) for call site `site`."""

    site: int
    entry: bool


@dataclass(frozen=True, eq=False)
class SockAddr(_Value):
    """The sockaddr of a getaddrinfo() entry: (host, port) as the call's arguments give them."""

    site: int


@dataclass(frozen=True, eq=False)
class Strs(_Value):
    """The parts of a constant string split by a library call: `"0.0.0.0:53".split(":")`."""

    parts: tuple


@dataclass(frozen=True, eq=False)
class Rest(_Value):
    """What a function's `*args` holds: the values of each extra positional argument."""

    items: tuple  # of frozensets


@dataclass(frozen=True, eq=False)
class Dct(_Value):
    """A dict made by a display (`{...}`) at one site (index into Solver.tuples): its entries
    live in keyed slots, so `config["server"]` reads what was stored under "server"."""

    site: int


@dataclass(frozen=True, eq=False)
class DictView(_Value):
    """`d.keys()`, `d.values()` or `d.items()` of a dict display's site: iterating `items()`
    gives (key, value) pairs, so `for port, password in d.items()` keeps keys apart from values."""

    site: int
    part: str  # "keys" | "values" | "items"


@dataclass(frozen=True, eq=False)
class DictItem(_Value):
    """One (key, value) pair of `d.items()`."""

    site: int
