"""What extraction keeps of one module: plain, serialisable data, and no CST node.

A `ModuleSummary` depends only on the module's bytes (and udplint's version): names are recorded
with the id of the scope they occur in, imports with their level and dotted text, and calls and
tuple displays with their ordinal in the module. Which module a relative import means, which
function a call runs and which socket a value is, the solver works out over all summaries.

Expressions are kept as small trees of NamedTuples (`Expr`), just detailed enough for the data
flow: names, constants, attributes, calls, tuple/list displays, subscripts, lambdas, and `Union`
for every expression whose value is one of its parts (`a or b`, `x if c else y`, `await e`, ...).
Anything else is `OTHER`, which holds no value.
"""
from __future__ import annotations

import io
import pickle
import struct
from typing import Dict, List, NamedTuple, Optional, Tuple, Union as TypingUnion

# Bump when the shape of a summary changes: cached summaries of another schema are ignored.
SCHEMA = 6  # 6: a for loop's own variable inside its body (extract._loop_body)


# -- expressions -------------------------------------------------------------------------------
class Name(NamedTuple):
    name: str
    scope: int  # the scope the name occurs in (index into ModuleSummary.scopes)


class Const(NamedTuple):
    value: object  # str, int, bool or None


class Attr(NamedTuple):
    value: "Expr"
    attr: str


class Arg(NamedTuple):
    value: "Expr"
    keyword: Optional[str]
    star: str  # "", "*" or "**"


class Call(NamedTuple):
    func: "Expr"
    args: Tuple[Arg, ...]
    site: int  # ordinal of the call in the module (index into ModuleSummary.calls)


class Seq(NamedTuple):
    """A tuple or list display, evaluated lazily by position."""

    elements: Tuple["Expr", ...]
    starred: Tuple[bool, ...]
    site: int  # ordinal of the display in the module


class DictDisplay(NamedTuple):
    """`{"host": h, **more}`: entries by key (None for a `**` spread)."""

    keys: Tuple[Optional["Expr"], ...]
    values: Tuple["Expr", ...]
    site: int  # ordinal of the display in the module (shared numbering with Seq)


class Subscript(NamedTuple):
    value: "Expr"
    index: Optional[int]  # a literal integer index, else None (any position)
    keys: Tuple["Expr", ...]  # the index expressions (a store into `d[k]` also stores k)


class Lambda(NamedTuple):
    func: int  # index into ModuleSummary.functions


class Union(NamedTuple):
    """A value that is one of its parts."""

    items: Tuple["Expr", ...]


class Concat(NamedTuple):
    """`a + b`, `"%s" % x`, an f-string: strings and lists built from parts."""

    items: Tuple["Expr", ...]
    text: Optional[str]  # the whole value when every part is a literal


class Other(NamedTuple):
    pass


OTHER = Other()
Expr = TypingUnion[Name, Const, Attr, Call, Seq, DictDisplay, Subscript, Lambda, Union, Concat, Other]


class Starred(NamedTuple):
    """`*rest` as an assignment target."""

    value: "Expr"


# -- statements (constraints) ------------------------------------------------------------------
class Store(NamedTuple):
    target: object  # Name | Attr | Subscript | Seq of targets | Starred
    value: Expr
    func: int  # the function the statement is in, -1 at module level


class ClassStore(NamedTuple):
    """`name = value` in a class body also defines a class attribute."""

    cls: int
    name: str
    value: Expr
    func: int


class IterStore(NamedTuple):
    target: object
    iterable: Expr
    func: int


class ParamDefault(NamedTuple):
    owner: int  # the function whose parameter it is
    name: str
    default: Expr
    func: int  # where the default is evaluated


class ReturnValue(NamedTuple):
    func: int
    value: Expr


Constraint = TypingUnion[Store, ClassStore, IterStore, ParamDefault, ReturnValue]


def children(node: object) -> Tuple:
    """The expressions directly inside `node`: a call's function and arguments, an attribute's
    object, a display's items, a subscript's object and keys, a union's or concatenation's parts
    (walks over a module's expressions go by this; a lambda's body is a function of its own)."""
    kind = type(node)
    if kind is Call:
        return (node.func, *(arg.value for arg in node.args))
    if kind is Attr or kind is Starred:
        return (node.value,)
    if kind is Seq:
        return node.elements
    if kind is DictDisplay:
        return (*(key for key in node.keys if key is not None), *node.values)
    if kind is Subscript:
        return (node.value, *node.keys)
    if kind is Union or kind is Concat:
        return node.items
    return ()


# -- scopes, functions, classes ----------------------------------------------------------------
class Binding(NamedTuple):
    """How a name is bound in a scope: `kind` is one of
    "assign" (any store, parameter, for/with/except target), "def" (index = function),
    "class" (index = class), "import" (`dotted` = the module the name means),
    "from" (`dotted` = module text, `level` = leading dots, `member` = imported name)."""

    kind: str
    index: int = -1
    dotted: str = ""
    level: int = 0
    member: str = ""


class Scope(NamedTuple):
    kind: str  # "module" | "class" | "function" | "comprehension"
    parent: int  # -1 for the module scope
    bindings: Dict[str, Tuple[Binding, ...]]
    globals: Tuple[str, ...]
    nonlocals: Tuple[str, ...]


class Function(NamedTuple):
    name: str  # "<lambda>" for lambdas
    cls: int  # the class whose body defines it directly, -1 otherwise
    params: Tuple[Tuple[str, bool], ...]  # (name, has default): positional-or-keyword then keyword-only
    scope: int  # the function's own scope
    is_static: bool
    decorators: Tuple["Expr", ...] = ()  # decorator expressions (click/typer options give defaults)
    star_arg: str = ""  # the name of `*args`, if any


class Class(NamedTuple):
    name: str
    bases: Tuple[Expr, ...]
    methods: Dict[str, int]  # first definition of each name in the body
    fields: Tuple[str, ...]  # annotated names in the body, in order (dataclasses, NamedTuple)
    scope: int  # the class body's scope


class CallSite(NamedTuple):
    call: Call
    func: int  # the function the call is in, -1 at module level


class ModuleSummary(NamedTuple):
    scopes: Tuple[Scope, ...]
    functions: Tuple[Function, ...]
    classes: Tuple[Class, ...]
    constraints: Tuple[Constraint, ...]
    calls: Tuple[CallSite, ...]
    star_imports: Tuple[Tuple[str, int], ...]  # (module text, level)
    imports: Tuple[Tuple[str, int], ...]  # every imported module (text, level), for the import graph
    seq_count: int


# -- serialisation ------------------------------------------------------------------------------
# Pickle, read back by an unpickler that can build only the NamedTuples above (see `loads`): a
# cache entry is data, and a corrupt or foreign one is rejected, never executed.
_TYPES = {cls.__name__: cls for cls in (
    Name, Const, Attr, Arg, Call, Seq, DictDisplay, Subscript, Lambda, Union, Concat, Other, Starred, Store, ClassStore,
    IterStore, ParamDefault, ReturnValue, Binding, Scope, Function, Class, CallSite, ModuleSummary,
)}
_MAGIC = b"udplint-summary\0"


class BadSummary(ValueError):
    """A cache entry that is not a summary of this schema."""


class _SummaryUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module == __name__ and name in _TYPES:
            return _TYPES[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a summary")


def dumps(summary: ModuleSummary, stamp: bytes = b"") -> bytes:
    """`stamp` (udplint's version and settings) must match again for `loads` to accept it."""
    try:
        shared = _share_equal_parts(summary)
    except RecursionError:  # an expression nested deeper than the walk may go: pickled as it is
        shared = summary
    return _MAGIC + struct.pack("<HH", SCHEMA, len(stamp)) + stamp + pickle.dumps(shared, protocol=4)


def _share_equal_parts(summary: ModuleSummary) -> ModuleSummary:
    """The summary with each distinct string and expression one object: pickle writes a shared
    object once, so the entry and the summary read back from it are about a quarter smaller
    (`self`, `Name('self', 3)` and `Attr(Name('self', 3), 'transport')` recur throughout a module).
    Parts are the same when they are of one type and hold the same parts, so `Const(True)` and
    `Const(1)` stay apart. The solver may share results between equal parts: what an expression
    evaluates to depends only on what it holds and where it is evaluated."""
    known: Dict[tuple, object] = {}

    def share(part):  # loops, not comprehensions: one frame per level of nesting, as pickle's own
        kind = type(part)
        if kind is dict:
            entries = {}
            for key, value in part.items():
                entries[share(key)] = share(value)
            return entries
        if not isinstance(part, tuple):  # str, int, bool, float, bytes, None
            return known.setdefault((kind, repr(part) if kind is float else part), part)  # -0.0 is not 0.0
        items = []
        for item in part:
            items.append(share(item))
        key = (kind, *map(id, items))  # the items are already shared: one object per distinct item
        found = known.get(key)
        if found is None:
            found = known[key] = tuple(items) if kind is tuple else kind(*items)
        return found

    return share(summary)


def loads(data: bytes, stamp: bytes = b"") -> ModuleSummary:
    head = len(_MAGIC) + 4
    if not data.startswith(_MAGIC) or len(data) < head:
        raise BadSummary("not a udplint summary")
    schema, size = struct.unpack("<HH", data[len(_MAGIC):head])
    if schema != SCHEMA or data[head:head + size] != stamp:
        raise BadSummary("a summary of another udplint version or settings")
    try:
        summary = _SummaryUnpickler(io.BytesIO(data[head + size:])).load()
    except Exception as error:  # any malformed pickle: the entry is rejected, and said so by the caller
        raise BadSummary(f"unreadable summary ({type(error).__name__})") from None
    if not isinstance(summary, ModuleSummary):
        raise BadSummary("not a module summary")
    return summary


def empty_summary() -> ModuleSummary:
    return ModuleSummary((Scope("module", -1, {}, (), ()),), (), (), (), (), (), (), 0)
