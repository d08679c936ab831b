"""A C program (the .c/.h files of one directory) as the join sees it: functions with their
parameters, macros that wrap socket calls, and every fact placed in the function that holds it.

Expressions are compared by *keys*, the way the issue asks peers to be followed "by name":
  - a plain variable is local to its function (`L:file:function:name`), unless it is neither a
    parameter nor declared there, then it is a global (`G:name`);
  - a struct field is keyed by its field name program-wide (`F:from` for `req->from`, `r.from`),
    so a peer stored in a request or connection struct is found wherever that field is read;
  - `m.msg_name` is "the msg_name of m" (`N:` + m's key), so a msghdr carries its peer.
Casts, `&`, `*`, parentheses and array indexes do not change a key.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from udplint.polyglot.factmodel import NativeFact

# a cast is a parenthesized type followed by its operand (`(peer)` alone is no cast)
_CAST = re.compile(r"\(\s*(?:(?:const|volatile|struct|union|unsigned|signed)\s+)*[A-Za-z_]\w*\s*(?:\*\s*)*\)(?=\s*[&*(\w])")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_DIRECTIVE_LINE = re.compile(r"^[ \t]*#.*$", re.M)
_PATH = re.compile(r"^[A-Za-z_]\w*(?:(?:\.|->)[A-Za-z_]\w*)*$")
_IDENT = re.compile(r"[A-Za-z_]\w*")
# members of a sockaddr union that name the same storage as the union itself
_UNION_MEMBERS = frozenset((
    "sa", "sin", "sin6", "sa4", "sa6", "sa_in", "sa_in6", "in", "in4", "in6", "v4", "v6", "ss", "sas", "storage",
    "sockaddr", "s4", "s6", "su_sa", "su_sin", "su_sin6", "addr4", "addr6", "ipv4", "ipv6", "sa_stor", "u",
))
_KEYWORDS = frozenset(("return", "sizeof", "case", "goto", "else", "do", "typeof", "if", "while", "for", "switch"))


@dataclass(frozen=True)
class Scope:
    path: str
    function: str  # "" at file level

    def local(self, name: str) -> str:
        return f"L:{self.path}:{self.function}:{name}"


@dataclass
class Function:
    name: str
    path: str
    start_line: int
    end_line: int
    params: List[str]
    body: str  # the definition's text, for declaration look-ups
    start_column: int = 1
    _declared: Dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scope(self) -> Scope:
        return Scope(self.path, self.name)

    def declares(self, name: str) -> bool:
        """A parameter or a local declared in the body (asked once per name: the scan of the body
        is the most frequent question the join asks)."""
        known = self._declared.get(name)
        if known is None:
            known = self._declared[name] = name in self.params or self._declares_local(name)
        return known

    def _declares_local(self, name: str) -> bool:
        if name not in self.body:
            return False
        pattern = rf"(?:\b[A-Za-z_]\w*|\*)[\s*]*\b{re.escape(name)}\s*(?:\[[^\]]*\]\s*)*[;=,)]"
        for match in re.finditer(pattern, self.body):
            before = self.body[:match.start()].rstrip()
            word = _IDENT.findall(match.group(0))
            if word and word[0] not in _KEYWORDS and not before.endswith(("->", ".")):
                return True
        return False


@dataclass
class Macro:
    """A function-like macro whose body makes a socket call."""

    name: str
    path: str
    line: int
    params: List[str]
    body: str


@dataclass
class Call:
    """A call to a function or macro of the program, with its argument texts."""

    fact: NativeFact
    callee: str
    args: List[str]
    scope: Scope


@dataclass
class Placed:
    """A fact and the scope its expressions are read in."""

    fact: NativeFact
    scope: Scope

    def get(self, key: str) -> str:
        return self.fact.get(key)


@dataclass
class CProgram:
    facts: List[Placed] = field(default_factory=list)
    functions: Dict[str, List[Function]] = field(default_factory=dict)
    macros: Dict[str, Macro] = field(default_factory=dict)
    calls: List[Call] = field(default_factory=list)
    references: List[Tuple["Scope", str]] = field(default_factory=list)  # callbacks: (where, function name)
    sources: Mapping[str, str] = field(default_factory=dict)
    member_aliases: Dict[str, List[str]] = field(default_factory=dict)
    union_members: FrozenSet[str] = frozenset()  # the program's own sockaddr unions' members
    _by_function: Dict[Tuple[str, str], Function] = field(default_factory=dict)
    _by_kind: Optional[Dict[str, List[Placed]]] = None
    _key_cache: Dict[Tuple[str, Scope, bool], FrozenSet[str]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> List[Placed]:
        """The facts of one kind (indexed once `build` has placed them all)."""
        if self._by_kind is None:
            self._by_kind = {}
            for placed in self.facts:
                self._by_kind.setdefault(placed.fact.kind, []).append(placed)
        return self._by_kind.get(kind, [])

    def function_at(self, scope: Scope) -> Optional[Function]:
        return self._by_function.get((scope.path, scope.function))

    # --- keys -----------------------------------------------------------------------------
    def keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        """Every key an expression stands for (a union member also stands for its union)."""
        cached = self._key_cache.get((expr, scope, False))
        if cached is None:
            cached = self._key_cache[(expr, scope, False)] = self._keys(expr, scope)
        return cached

    def _keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        path = normalize(expr)
        if path is None:
            return frozenset()
        parts = self._expand(re.split(r"\.|->", path))
        if parts and parts[-1] == "msg_name" and len(parts) > 1:
            return frozenset("N:" + k for k in self._path_keys(_strip_msg_hdr(parts[:-1]), scope))
        return frozenset(self._path_keys(parts, scope))

    def _expand(self, parts: List[str]) -> List[str]:
        """`#define se_ctrladdr se_un.se_un_ctrladdr`: a member alias names the member it expands to."""
        if not self.member_aliases or not any(p in self.member_aliases for p in parts):
            return parts
        expanded: List[str] = []
        for part in parts:
            expanded += self.member_aliases.get(part, [part])
        return expanded

    def _path_keys(self, parts: List[str], scope: Scope) -> List[str]:
        keys = [self._key(parts, scope)]
        while len(parts) > 1 and (parts[-1] in _UNION_MEMBERS or parts[-1] in self.union_members):
            parts = parts[:-1]
            keys.append(self._key(parts, scope))
        return keys

    def _key(self, parts: List[str], scope: Scope) -> str:
        if len(parts) > 1:
            return f"F:{parts[-1]}"
        name = parts[0]
        function = self.function_at(scope)
        if function is not None and function.declares(name):
            return scope.local(name)
        return f"G:{name}"

    def msghdr_keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        """The keys of a msghdr expression (an mmsghdr's msg_hdr is its msghdr)."""
        cached = self._key_cache.get((expr, scope, True))
        if cached is None:
            cached = self._key_cache[(expr, scope, True)] = self._msghdr_keys(expr, scope)
        return cached

    def _msghdr_keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        path = normalize(expr)
        if path is None:
            return frozenset()
        return frozenset(self._path_keys(_strip_msg_hdr(self._expand(re.split(r"\.|->", path))), scope))

    def text(self, fact: NativeFact) -> str:
        return span_text(self.sources.get(fact.path, ""), fact)


def _strip_msg_hdr(parts: List[str]) -> List[str]:
    while len(parts) > 1 and parts[-1] == "msg_hdr":
        parts = parts[:-1]
    return parts


def normalize(expr: str) -> Optional[str]:
    """`(struct sockaddr *)&req->from` -> `req->from`; None for anything that is not a path of
    names (a call, arithmetic, a literal)."""
    text = _COMMENT.sub(" ", expr or "")
    text = re.sub(r"\[[^\[\]]*\]", "", text)
    text = re.sub(r"\[[^\[\]]*\]", "", text)
    previous = None
    while previous != text:
        previous = text
        text = _CAST.sub("", text)
    if re.search(r"[A-Za-z_]\w*\s*\(", text):
        return None  # a call: its result is no variable of ours
    text = re.sub(r"[\s&*()]", "", text)
    if not _PATH.match(text) or text in ("NULL", "nullptr"):
        return None
    return text


def span_text(source: str, fact: NativeFact) -> str:
    lines = source.split("\n")
    if not 0 < fact.line <= len(lines):
        return ""
    if fact.line == fact.end_line:
        return lines[fact.line - 1][fact.column - 1:fact.end_column - 1]
    chunk = [lines[fact.line - 1][fact.column - 1:]]
    chunk += lines[fact.line:fact.end_line - 1]
    if fact.end_line <= len(lines):
        chunk.append(lines[fact.end_line - 1][:fact.end_column - 1])
    return "\n".join(chunk)


def split_top_level(text: str) -> List[str]:
    """Split an argument or parameter list at the commas that are not nested."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tail = "".join(current).strip()
    if tail or parts:
        parts.append(tail)
    return parts


def call_arguments(call_text: str) -> List[str]:
    """The argument texts of `name(a, b, c)` (preprocessor lines and comments dropped)."""
    text = _COMMENT.sub(" ", _DIRECTIVE_LINE.sub("", call_text))
    opening = text.find("(")
    if opening < 0:
        return []
    inner = _balanced(text, opening)
    return split_top_level(inner) if inner is not None else []


def _balanced(text: str, opening: int) -> Optional[str]:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[opening + 1:index]
    return None


def parameter_names(definition: str, name: str) -> List[str]:
    """The parameter names of a function definition's text (`void` -> none)."""
    text = _COMMENT.sub(" ", _DIRECTIVE_LINE.sub("", definition))
    brace = text.find("{")
    header = text[:brace] if brace >= 0 else text
    match = re.search(rf"\b{re.escape(name)}\s*\(", header)
    if not match:
        return []
    inner = _balanced(header, match.end() - 1)
    if inner is None:
        return []
    names = []
    for param in split_top_level(inner):
        pointer = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", param)  # a function-pointer parameter
        idents = [w for w in _IDENT.findall(re.sub(r"\[[^\]]*\]", "", param))]
        names.append(pointer.group(1) if pointer else (idents[-1] if idents else ""))
    return [] if names == ["void"] else names


_MEMBER_ALIAS = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([A-Za-z_]\w*(?:[ \t]*(?:\.|->)[ \t]*"
                           r"[A-Za-z_]\w*)+)[ \t]*$", re.M)


def member_aliases(sources: Mapping[str, str]) -> Dict[str, List[str]]:
    """Object-like macros that stand for a struct member path (the usual way to name union members)."""
    aliases: Dict[str, List[str]] = {}
    for text in sources.values():
        for name, path in _MEMBER_ALIAS.findall(text):
            aliases[name] = [p for p in re.split(r"\s*(?:\.|->)\s*", path.strip()) if p]
    return aliases


_UNION_BODY = re.compile(r"\bunion\s*(?:[A-Za-z_]\w*\s*)?\{([^{}]*)\}")
_MEMBER_DECLARATION = re.compile(r"\b(?:struct\s+)?\w*sockaddr\w*\s+([A-Za-z_]\w*)\s*;")


def sockaddr_union_members(sources: Mapping[str, str]) -> FrozenSet[str]:
    """Member names of the program's unions of sockaddr types (`union { struct sockaddr sock;
    struct sockaddr_in in; } addr;`): `addr.in` and `addr.sock` are the same storage, `addr`."""
    members = set()
    for text in sources.values():
        if "union" not in text:
            continue
        for body in _UNION_BODY.findall(_COMMENT.sub(" ", text)):
            members.update(_MEMBER_DECLARATION.findall(body))
    return frozenset(members)


def build(facts: Sequence[NativeFact], sources: Mapping[str, str]) -> CProgram:
    program = CProgram(sources=sources, member_aliases=member_aliases(sources),
                       union_members=sockaddr_union_members(sources))
    spans: Dict[str, List[Function]] = {}
    for fact in facts:
        if fact.kind == "function":
            _add_function(program, spans, fact)
        elif fact.kind == "macro":
            _add_macro(program, fact)
    starts = {path: [f.start_line for f in funcs] for path, funcs in spans.items()}
    for fact in facts:
        if fact.kind in ("function", "macro"):
            continue
        scope = _scope_of(fact, spans, starts)
        if fact.kind == "call":
            callee = fact.get("callee")
            if callee in program.functions or callee in program.macros:
                program.calls.append(Call(fact, callee, call_arguments(program.text(fact)), scope))
            continue
        program.facts.append(Placed(fact, scope))
    if not any(f.kind == "call" for f in facts):
        _scan_calls(program)
    _expand_macros(program)
    program._by_kind = None  # index the facts as they now are
    return program


def without_comments(text: str) -> str:
    """The text with its comments blanked (a commented-out declaration declares nothing)."""
    return _COMMENT.sub(" ", text)


def _blank_comments_and_strings(text: str) -> str:
    """Comments and string literals as spaces (newlines kept), so offsets stay those of the text."""
    return re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def _scan_calls(program: CProgram) -> None:
    """Calls of the program's own functions and macros, read from each function's body: the
    function facts say which names are the program's, so only those calls are looked for (a
    fact rule reporting every call of a C file would cost more than all other facts together).
    A name of the program used without a call (`event_add(fd, on_read)`) is a callback reference."""
    names = set(program.functions) | set(program.macros)
    if not names:
        return
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b(\s*\()?")
    for functions in program.functions.values():
        for function in functions:
            body = _blank_comments_and_strings(function.body)
            opening = body.find("{")
            line_starts = [0] + [i + 1 for i, ch in enumerate(body) if ch == "\n"]
            for match in pattern.finditer(body, max(opening, 0)):
                if not match.group(2):
                    program.references.append((function.scope, match.group(1)))
                    continue
                args_text = function.body[match.start():]
                args = call_arguments(args_text)
                row = bisect_right(line_starts, match.start()) - 1
                column = match.start() - line_starts[row] + (function.start_column if row == 0 else 1)
                fact = NativeFact("c", "call", function.path, function.start_line + row, column,
                                  function.start_line + row, column + len(match.group(1)), {"callee": match.group(1)})
                program.calls.append(Call(fact, match.group(1), args, function.scope))


def _add_function(program: CProgram, spans: Dict[str, List[Function]], fact: NativeFact) -> None:
    name = fact.get("name")
    text = span_text(program.sources.get(fact.path, ""), fact)
    function = Function(name, fact.path, fact.line, fact.end_line, parameter_names(text, name), text, fact.column)
    program.functions.setdefault(name, []).append(function)
    program._by_function[(fact.path, name)] = function
    spans.setdefault(fact.path, []).append(function)
    spans[fact.path].sort(key=lambda f: f.start_line)


def _add_macro(program: CProgram, fact: NativeFact) -> None:
    params = [p.strip() for p in fact.get("params").split(",") if p.strip()]
    body = span_text(program.sources.get(fact.path, ""), fact)
    program.macros[fact.get("name")] = Macro(fact.get("name"), fact.path, fact.line, params, body)


def _scope_of(fact: NativeFact, spans: Mapping[str, List[Function]], starts: Mapping[str, List[int]]) -> Scope:
    functions = spans.get(fact.path, [])
    index = bisect_right(starts.get(fact.path, []), fact.line) - 1
    while index >= 0:
        function = functions[index]
        if function.start_line <= fact.line <= function.end_line:
            return function.scope
        index -= 1
    return Scope(fact.path, "")


_SOCKET_CALL = re.compile(r"\b(sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg)\s*\(")


def _expand_macros(program: CProgram) -> None:
    """A call of a wrapper macro becomes the send/receive its body makes, at the call site, with
    the macro's parameters replaced by the call's arguments."""
    for call in list(program.calls):
        macro = program.macros.get(call.callee)
        if macro is None or call.callee in program.functions:
            continue
        for match in _SOCKET_CALL.finditer(macro.body):
            inner = call_arguments(macro.body[match.start():])
            args = [_substitute(a, macro.params, call.args) for a in inner]
            fact = _synthetic(call.fact, match.group(1), args)
            if fact is not None:
                program.facts.append(Placed(fact, call.scope))


def _substitute(text: str, params: Sequence[str], args: Sequence[str]) -> str:
    mapping = {p: a for p, a in zip(params, args)}
    return _IDENT.sub(lambda m: f"({mapping[m.group(0)]})" if m.group(0) in mapping else m.group(0), text)


def _synthetic(at: NativeFact, call: str, args: List[str]) -> Optional[NativeFact]:
    if len(args) < 2:
        return None
    if call in ("sendto", "recvfrom"):
        if len(args) < 5:
            return None
        kind, attrs = ("send", {"dest": args[4]}) if call == "sendto" else ("receive", {"peer": args[4]})
    else:
        kind, attrs = ("send" if call.startswith("send") else "receive"), {"msg": args[1]}
    attrs.update(call=call, sock=args[0], via=at.get("callee"))
    return NativeFact(at.language, kind, at.path, at.line, at.column, at.end_line, at.end_column, attrs)


def functions_named(program: CProgram, name: str, near: str) -> List[Function]:
    """The definitions a call by `name` from file `near` can reach (one in the same file wins)."""
    found = program.functions.get(name, [])
    same_file = [f for f in found if f.path == near]
    return same_file or found


def words(text: str) -> Iterable[str]:
    return _IDENT.findall(text or "")
