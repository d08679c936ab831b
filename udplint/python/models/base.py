"""The interface every framework model implements, and helpers they share.

A model says what a framework creates (constructors, server base classes, methods that make an
endpoint), which of its callbacks receive the socket and the peer (`link`), what it binds to
when nobody says (`binds`), how it is named in messages, and the byte markers the prefilter
needs to keep a file that uses it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, FrozenSet, List, Optional, Set, Tuple

from .. import summary as s

if TYPE_CHECKING:  # pragma: no cover
    from ..solver import Ctx, SocketSite, Solver


@dataclass(frozen=True)
class BindSpec:
    """Where and to what a site binds: `address` is an expression (host, port) or a listener
    text; or `hosts`/`ports` give the values directly (defaults)."""

    address: Optional[object] = None
    hosts: Optional[frozenset] = None
    ports: Optional[frozenset] = None
    drop_empty_host: bool = False  # asyncio resolves '' as a host name: it is not a wildcard there


class Model:
    kind: str = ""
    label: str = ""  # how messages name a site: "a socketserver UDP server"
    markers: Tuple[bytes, ...] = ()  # bytes a file using the framework contains
    fix_hint: str = ""
    constructors: FrozenSet[str] = frozenset()  # external callables whose call creates a site
    server_bases: FrozenSet[str] = frozenset()  # a project subclass of these creates a site
    site_methods: FrozenSet[str] = frozenset()  # method names whose call may create a site
    # the framework's own modules behind its modelled reply (Twisted's Port.write): their plain
    # sends are that reply, already reported where the application calls it, when the framework
    # is checked together with the application
    transport_modules: FrozenSet[str] = frozenset()

    def method_result(self, solver: "Solver", call: s.Call, method: str, socks: Set[int], receivers,
                      ctx: "Ctx") -> Set:
        return set()

    def link(self, solver: "Solver", site: "SocketSite") -> None:
        """Feed the site's socket and peers into the callbacks the framework calls."""

    def binds(self, solver: "Solver", site: "SocketSite") -> List[BindSpec]:
        return []

    def adopted(self, solver: "Solver", site: "SocketSite") -> Optional[object]:
        """An expression for an existing socket the site wraps (asyncio `sock=`), or None."""
        return None

    def connected(self, solver: "Solver", site: "SocketSite") -> bool:
        return False


def site_argument(site: "SocketSite", position: int, keyword: str):
    """The argument expression at `position` (after the site's offset) or `keyword`, or None.
    Past a `*args` argument, an item of it: `Base.__init__(self, *args)` passes the address on."""
    for arg in site.call.args:
        if arg.keyword == keyword:
            return arg.value
    wanted = position + site.arg_offset
    seen = 0
    for arg in site.call.args:
        if arg.keyword is not None or arg.star == "**":
            continue
        if arg.star == "*":
            key = (id(arg), wanted - seen)
            if key not in site.synthetic:  # kept alive: the solver memoises by node identity
                site.synthetic[key] = s.Subscript(arg.value, wanted - seen, ())
            return site.synthetic[key]
        if seen == wanted:
            return arg.value
        seen += 1
    return None


def classes_made_by(solver: "Solver", values) -> Set[int]:
    """Project classes that a protocol factory / handler argument produces."""
    from ..values import Cls, Func, Inst, Method

    out: Set[int] = set()
    for value in values:
        if isinstance(value, (Cls, Inst)):
            out.add(value.site)
        elif isinstance(value, (Func, Method)):
            for result in solver.returned(value.site):
                if isinstance(result, (Inst, Cls)):
                    out.add(result.site)
    return out


def inject(solver: "Solver", index: int, method: str, position: int, values) -> None:
    """Give parameter `position` of `method` (in the class hierarchy of `index`) these values."""
    for cls in solver.hierarchy(index):
        info = cls.methods.get(method)
        if info is not None and len(info.params) > position:
            solver.activate_function(info)
            solver.add(solver.param_slot(info, info.params[position]), values)
