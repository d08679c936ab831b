"""Follow values by name across the functions and files of one Go or Java program.

The fact rules report assignments, struct/record fields, calls, returns and function definitions
as text; this module propagates *labels* ("this value is the sender of request 3", "this value is
the socket bound at line 12") through them until nothing changes. It is deliberately by name, as
a reader would follow the code: a local is (file, function, name); a struct or object field is
global by its field name (`req.addr`, `this.peer`, `r.addr()`, `r.getAddr()` all name `addr`);
an argument flows into the callee's parameter of the same position (callees matched by name and
arity); a function's result carries what its `return` statements carry.

A call's result carries its arguments' labels only for the calls that wrap a value (constructors,
`append`, `NewPacketConn`, ...): `upstream := pick(peer)` is not the peer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from udplint.polyglot.factmodel import NativeFact

Labels = FrozenSet[str]
EMPTY: Labels = frozenset()
# passes of the solver over every flow of a program; each pass carries labels one step further
SOLVER_ROUNDS = 12

_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'')
_PATH = re.compile(r"(?<![\w.$])(@?[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)(\s*\()?")
_KEYWORDS = frozenset("""func range nil true false new make return go defer if else for var const chan map
struct interface select case default break continue this super null final instanceof""".split())
# calls on a container that hand out what was put in (queue.take(), list.get(i), it.next())
_ELEMENT_READERS = frozenset("""take poll get peek remove pop next element getFirst getLast pollFirst pollLast
removeFirst removeLast values iterator stream""".split())
# conversions that give the same address in another form (peer.String(), addr.AddrPort())
_SAME_VALUE = frozenset("String toString AddrPort Addr Unmap To4 To16 getHostString getHostAddress".split())
_GETTER = re.compile(r"^(?:get|is)([A-Z]\w*)$")


def strip_strings(text: str) -> str:
    return _STRING.sub('""', text)


def split_top_level(text: str, sep: str = ",") -> List[str]:
    """Split at `sep` outside brackets and strings: `a, f(b, c), d` -> [a, f(b, c), d]."""
    parts, depth, start, quote = [], 0, 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail or parts:
        parts.append(tail)
    return [p for p in parts if p]


def matching_paren(text: str, open_at: int) -> int:
    """Index of the bracket closing the one at `open_at` (or len(text) when unbalanced)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth, quote, i = 0, "", open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in pairs:
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def field_name(component: str, is_call: bool) -> str:
    """`addr` -> addr; a getter `getAddr()` -> addr; a record accessor `addr()` -> addr."""
    if is_call:
        getter = _GETTER.match(component)
        if getter:
            name = getter.group(1)
            return name[0].lower() + name[1:]
    return component


@dataclass(frozen=True)
class PathRef:
    """One name path in an expression: `s.conn.ReadFrom(` -> parts (s, conn, ReadFrom), call."""

    parts: Tuple[str, ...]
    is_call: bool

    @property
    def root(self) -> str:
        return self.parts[0]

    @property
    def last(self) -> str:
        return self.parts[-1]


def paths_in(expr: str, keep_args: Callable[[str], bool]) -> List[PathRef]:
    """The name paths of an expression, skipping the arguments of calls that do not wrap them."""
    text = _fold_indexes(strip_strings(expr))
    refs: List[PathRef] = []
    pos = 0
    while True:
        match = _PATH.search(text, pos)
        if not match:
            break
        parts = tuple(p.strip() for p in match.group(1).split("."))
        is_call = bool(match.group(2))
        pos = match.end()
        if parts[0] not in _KEYWORDS or len(parts) > 1:
            refs.append(PathRef(parts, is_call))
        if is_call and not keep_args(parts[-1]):
            pos = matching_paren(text, match.end() - 1) + 1
    return refs


_INDEX_THEN_FIELD = re.compile(r"\[([^\[\]]*)\](?=\s*\.\s*[A-Za-z_$])")


def _fold_indexes(text: str) -> str:
    """`queue[k].Addr` -> `queue.Addr, k`: an element's field is read by its field name like any
    other field access (the index expressions stay in the text, for what they carry)."""
    indexes: List[str] = []

    def drop(match: "re.Match[str]") -> str:
        indexes.append(match.group(1))
        return ""

    while True:
        folded = _INDEX_THEN_FIELD.sub(drop, text)
        if folded == text:
            break
        text = folded
    return text + "".join(f", {index}" for index in indexes if index.strip())


def target_names(text: str) -> List[str]:
    """Assignment targets: `n, peer, err` -> [n, peer, err]; `m[k]` -> m; `*p` -> p."""
    names = []
    for part in split_top_level(text):
        part = re.sub(r"\[.*\]$", "", part.strip()).lstrip("*&").strip()
        part = re.sub(r"^(?:final\s+)?(?:[\w.<>\[\]?, ]+\s+)(?=[A-Za-z_$][\w$]*$)", "", part)  # Java type
        if part and part != "_":
            names.append(part)
    return names


@dataclass
class FuncDef:
    path: str
    name: str
    line: int
    end_line: int
    params: Tuple[str, ...]


@dataclass
class Flow:
    """`targets = source` inside `func` of `path` (func "" = package/class level)."""

    path: str
    func: str
    targets: Tuple[str, ...]
    source: str


@dataclass
class Call:
    path: str
    func: str
    callee: str
    args: Tuple[str, ...]
    literal_params: Tuple[str, ...] = ()  # a func literal / lambda called in place
    value_from: str = ""  # a call of a function value: the file the value was taken in (its package sees the function)


@dataclass
class NameFlow:
    """The label state of one program and the flows that move labels."""

    keep_args: Callable[[str], bool]
    call_labels: Optional[Callable[["NameFlow", PathRef, Labels], Labels]] = None
    locals: Dict[Tuple[str, str, str], Set[str]] = field(default_factory=dict)
    fields: Dict[str, Set[str]] = field(default_factory=dict)
    globals: Dict[str, Set[str]] = field(default_factory=dict)
    # a local whose field was assigned a labelled value (`a.IP = peer.IP`): the struct handed
    # over whole (`handle(a)`) carries the label; `a.Other` does not
    holders: Dict[Tuple[str, str, str], Set[str]] = field(default_factory=dict)
    returns: Dict[str, Set[str]] = field(default_factory=dict)
    flows: List[Flow] = field(default_factory=list)
    calls: List[Call] = field(default_factory=list)
    returns_of: List[Flow] = field(default_factory=list)  # targets=() source=returned expression
    funcs: Dict[str, List[FuncDef]] = field(default_factory=dict)
    # Java: a bare name that is not a local of the method is a field of the object
    bare_fields: bool = False
    # Go: a local whose field is assigned holds the value too (see `holders`)
    hold_fields: bool = False
    # Go: path -> its package; an unexported (lower-case) field or function is the package's own,
    # so its labels stay there when several packages are joined (None: every name is global)
    package_of: Optional[Callable[[str], str]] = None
    # Go: a method call `x.IP()` is not a read of a field `IP` (its result is what it returns)
    calls_read_fields: bool = True
    # calls whose result is their arguments and whose body is not followed (an address
    # constructor: its body would hand every caller's arguments to every other caller)
    summarised: Optional[Callable[[str], bool]] = None
    # (path, method) -> the method it is written inside (anonymous classes capture its locals)
    outer: Dict[Tuple[str, str], str] = field(default_factory=dict)
    _parsed: Dict[str, List[PathRef]] = field(default_factory=dict, repr=False)
    _calls_by_callee: Optional[Dict[str, List[Call]]] = field(default=None, repr=False)

    # --- reading -----------------------------------------------------------------------------
    def labels(self, path: str, func: str, expr: str) -> Labels:
        found: Set[str] = set()
        for ref in self._paths(expr):
            found |= self._ref_labels(path, func, ref)
        return frozenset(found)

    def _paths(self, expr: str) -> List[PathRef]:
        """`paths_in` of an expression, parsed once (the solver reads every flow each round)."""
        refs = self._parsed.get(expr)
        if refs is None:
            refs = self._parsed[expr] = paths_in(expr, self.keep_args)
        return refs

    def _ref_labels(self, path: str, func: str, ref: PathRef) -> Labels:
        got: Set[str] = set()
        root = ref.root
        # a method's result is not its object (`packet.getData()`), except a container's element
        whole_object = not ref.is_call or len(ref.parts) == 1 or ref.last in _ELEMENT_READERS \
            or ref.last in _SAME_VALUE
        if root not in ("this", "super") and whole_object:
            local = self._local(path, func, root)
            got |= local or set()
            if len(ref.parts) == 1 and not ref.is_call and func:
                got |= self.holders.get((path, func, root), set())
            got |= self.globals.get(root, set())
            if self.bare_fields and local is None:
                got |= self.fields.get(root, set())
        for index, part in enumerate(ref.parts[1:], 1):
            call_here = ref.is_call and index == len(ref.parts) - 1
            if call_here and not self.calls_read_fields:
                continue
            got |= self.fields.get(self._scoped(path, field_name(part, call_here)), set())
        if ref.is_call:
            if not self._summarised(ref.last):  # its result is its arguments' (read above), not every caller's
                got |= self.returns.get(self._scoped(path, ref.last), set())
            if self.call_labels is not None:
                receiver = PathRef(ref.parts[:-1], False) if len(ref.parts) > 1 else None
                base = self._ref_labels(path, func, receiver) if receiver else EMPTY
                got |= self.call_labels(self, ref, frozenset(base))
        return frozenset(got)

    def _local(self, path: str, func: str, name: str) -> Optional[Set[str]]:
        for _ in range(4):
            found = self.locals.get((path, func, name))
            if found is not None or (path, func) not in self.outer:
                return found
            func = self.outer[(path, func)]
        return None

    def _summarised(self, name: str) -> bool:
        return self.summarised is not None and self.summarised(name)

    def _scoped(self, path: str, name: str) -> str:
        """The key of a field or function name: `pkg\0name` for a package's unexported name."""
        if self.package_of is None or not name or not name[0].islower():
            return name
        return self.package_of(path) + "\0" + name

    def visible(self, caller_path: str, target_path: str, name: str) -> bool:
        """Whether a call in `caller_path` can reach function `name` defined in `target_path`."""
        return self._scoped(caller_path, name) == self._scoped(target_path, name)

    # --- writing -----------------------------------------------------------------------------
    def add(self, path: str, func: str, target: str, labels: Iterable[str]) -> bool:
        labels = set(labels)
        if not labels:
            return False
        grew = False
        parts = [p.strip() for p in target.split(".")]
        if len(parts) > 1:
            store = self.fields.setdefault(self._scoped(path, field_name(parts[-1], False)), set())
            if self.hold_fields and func and parts[0] not in ("this", "super"):
                holder = self.holders.setdefault((path, func, parts[0]), set())
                if not labels <= holder:
                    holder |= labels
                    grew = True
        elif func:
            store = self.locals.setdefault((path, func, parts[0]), set())
        else:
            store = self.globals.setdefault(parts[0], set())
        before = len(store)
        store |= labels
        return len(store) != before or grew

    def seed(self, path: str, func: str, target: str, label: str) -> None:
        for name in target_names(target):
            self.add(path, func, name, {label})

    # --- solving -----------------------------------------------------------------------------
    def arguments_for(self, name: str, path: str, func: str) -> List[Tuple[str, str, str]]:
        """(argument text, caller's path, caller's function) of every call that passes parameter
        `name` of function `func` (defined in `path`), matched by callee name and arity."""
        found = []
        for target in self.funcs.get(func, []):
            if target.path != path or name not in target.params:
                continue
            index = target.params.index(name)
            for call in self.calls_of(func):
                if len(call.args) == len(target.params) and self.visible(call.path, target.path, func):
                    found.append((call.args[index], call.path, call.func))
        return found

    def calls_of(self, name: str) -> List[Call]:
        """The calls whose callee's last name is `name` (indexed on first use: the calls are all
        loaded before anything asks)."""
        if self._calls_by_callee is None:
            self._calls_by_callee = {}
            for call in self.calls:
                self._calls_by_callee.setdefault(call.callee.split(".")[-1].strip(), []).append(call)
        return self._calls_by_callee.get(name, [])

    def solve(self, rounds: int = SOLVER_ROUNDS) -> bool:
        """Propagate until nothing changes, at most `rounds` passes (a chain of flows longer than
        that is left unfollowed). False when the budget ran out first: the caller says so."""
        for _ in range(rounds):
            if not self._step():
                return True
        return False

    def _step(self) -> bool:
        changed = False
        for flow in self.flows:
            got = self.labels(flow.path, flow.func, flow.source)
            for target in flow.targets:
                changed |= self.add(flow.path, flow.func, target, got)
        for ret in self.returns_of:
            got = self.labels(ret.path, ret.func, ret.source)
            store = self.returns.setdefault(self._scoped(ret.path, ret.func), set())
            if not got <= store:
                store |= got
                changed = True
        for call in self.calls:
            changed |= self._bind_arguments(call)
        return changed

    def _bind_arguments(self, call: Call) -> bool:
        changed = False
        arg_labels = [self.labels(call.path, call.func, arg) for arg in call.args]
        if not any(arg_labels):
            return False
        if call.literal_params:
            for name, got in zip(call.literal_params, arg_labels):
                changed |= self.add(call.path, call.func, name, got)
            return changed
        name = call.callee.split(".")[-1].strip()
        if self._summarised(name):
            return changed  # its result is its arguments already; its body would hand them to every caller
        for target in self.funcs.get(name, []):
            if len(target.params) != len(call.args) or not self.visible(call.value_from or call.path, target.path, name):
                continue
            for param, got in zip(target.params, arg_labels):
                changed |= self.add(target.path, target.name, param, got)
        return changed


def outer_functions(funcs: Sequence[FuncDef]) -> Dict[Tuple[str, str], str]:
    """Each function written inside another one (a method of an anonymous class) -> that one."""
    outer: Dict[Tuple[str, str], str] = {}
    by_path: Dict[str, List[FuncDef]] = {}
    for func in funcs:
        by_path.setdefault(func.path, []).append(func)
    for inner in funcs:
        hosts = [f for f in by_path[inner.path] if f.name != inner.name
                 and f.line <= inner.line and inner.end_line <= f.end_line
                 and (f.line, f.end_line) != (inner.line, inner.end_line)]
        if hosts:
            outer[(inner.path, inner.name)] = max(hosts, key=lambda f: f.line).name
    return outer


def budget_note(path: str, language: str) -> str:
    """The diagnostic for a program whose labels were still spreading when the solver stopped."""
    return (f"{path}: {language} program not fully analysed: its values were still being followed after "
            f"{SOLVER_ROUNDS} passes (findings that need a longer chain of assignments are missed)")


def enclosing(funcs: Sequence[FuncDef], path: str, line: int) -> str:
    """The innermost function of `path` whose lines hold `line` ("" at package/class level)."""
    best: Optional[FuncDef] = None
    for func in funcs:
        if func.path == path and func.line <= line <= func.end_line:
            if best is None or func.line >= best.line:
                best = func
    return best.name if best else ""


class Enclosing:
    """`enclosing` for many facts: the functions indexed by file, each answer kept."""

    def __init__(self, funcs: Sequence[FuncDef]) -> None:
        self._by_path: Dict[str, List[FuncDef]] = {}
        for func in funcs:
            self._by_path.setdefault(func.path, []).append(func)
        self._answers: Dict[Tuple[str, int], str] = {}

    def __call__(self, path: str, line: int) -> str:
        key = (path, line)
        if key not in self._answers:
            self._answers[key] = enclosing(self._by_path.get(path, ()), path, line)
        return self._answers[key]


class SourceText:
    """Line and span access to the program's sources (path -> text)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._lines = {path: text.splitlines() for path, text in sources.items()}

    def line(self, path: str, row: int) -> str:
        lines = self._lines.get(path, [])
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def span(self, fact: NativeFact) -> str:
        lines = self._lines.get(fact.path, [])
        if not lines:
            return ""
        chunk = lines[fact.line - 1:fact.end_line]
        if not chunk:
            return ""
        if len(chunk) == 1:
            return chunk[0][fact.column - 1:fact.end_column - 1]
        chunk[0] = chunk[0][fact.column - 1:]
        chunk[-1] = chunk[-1][:fact.end_column - 1]
        return "\n".join(chunk)

    def after(self, path: str, row: int, column: int, max_lines: int = 40) -> str:
        """The text from (row, column) on, a few lines at most (a signature, a call)."""
        lines = self._lines.get(path, [])
        if not 0 < row <= len(lines):
            return ""
        chunk = [lines[row - 1][column - 1:]] + lines[row:row - 1 + max_lines]
        return "\n".join(chunk)

    def before(self, fact: NativeFact) -> str:
        """The text of the fact's first line before the fact (`c, err := ` of a call)."""
        return self.line(fact.path, fact.line)[:fact.column - 1]


_ASSIGNED = re.compile(r"([\w$.\[\]]+(?:\s*,\s*[\w$.\[\]]+)*)\s*(?::=|=(?!=))\s*(?:<-\s*)?$")


def assigned_to(text_before: str) -> List[str]:
    """`c, err := ` -> [c, err]; `this.sock = ` -> [this.sock]; `DatagramSocket s = ` -> [s]."""
    match = _ASSIGNED.search(text_before.rstrip() + " ")
    if not match:
        return []
    return target_names(match.group(1))
