"""A fix as a set of changes to one parsed file, and how changes are rendered back to text.

A `Plan` is built against one `Source` (the re-parsed file) and names that tree's nodes: nodes to
rebuild, statements to insert before a statement, methods to add to a class, and module-level
code (an import, the IP_PKTINFO constant, the helper, a server class) to add after the imports.
A file's plans are rendered together; module-level code shared by several fixes is added once.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence, Tuple

import libcst as cst

from .locate import Source

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"

# module-level code goes after the imports in this order
IMPORT, CONSTANT, HELPER, CLASS = range(4)

Rebuild = Callable[[cst.CSTNode], cst.CSTNode]


@dataclass(eq=False)
class Plan:
    applicability: str
    message: str
    rebuild: Dict[cst.CSTNode, Rebuild] = field(default_factory=dict)  # original node -> f(updated node)
    before: Dict[cst.CSTNode, List[str]] = field(default_factory=dict)  # statement -> code put before it
    after: Dict[cst.CSTNode, List[str]] = field(default_factory=dict)  # statement -> code put after it
    methods: Dict[cst.ClassDef, List[str]] = field(default_factory=dict)  # class -> methods appended
    # (path of the file it goes into, key) -> (order, code)
    module_code: Dict[Tuple[str, str], Tuple[int, str]] = field(default_factory=dict)

    @property
    def applicable(self) -> bool:
        return self.applicability in (SAFE, UNSAFE) and bool(self.rebuild or self.before or self.after or self.methods)

    def insert_before(self, statement: cst.CSTNode, code: Sequence[str]) -> None:
        known = self.before.setdefault(statement, [])
        known.extend(line for line in code if line not in known)

    def insert_after(self, statement: cst.CSTNode, code: Sequence[str]) -> None:
        known = self.after.setdefault(statement, [])
        known.extend(line for line in code if line not in known)

    def add_module_code(self, path: str, key: str, order: int, code: str) -> None:
        self.module_code.setdefault((path, key), (order, code))

    def nodes(self) -> List[cst.CSTNode]:
        return [*self.rebuild, *self.before, *self.after, *self.methods]

    def paths(self, sources: Sequence[Source]) -> List[str]:
        """The files of `sources` this plan changes (a fix across modules changes several)."""
        nodes = self.nodes()
        return [s.path for s in sources
                if any(node in s.positions for node in nodes) or any(path == s.path for path, _ in self.module_code)]


def merged(plans: Sequence[Plan]) -> Plan:
    """One plan doing what all of `plans` do (a finding whose reply serves several sockets)."""
    result = Plan(plans[0].applicability, plans[0].message)
    for plan in plans:
        for node, rebuild in plan.rebuild.items():
            result.rebuild.setdefault(node, rebuild)
        for statement, code in plan.before.items():
            result.insert_before(statement, code)
        for statement, code in plan.after.items():
            result.insert_after(statement, code)
        for cls, methods in plan.methods.items():
            known = result.methods.setdefault(cls, [])
            known.extend(m for m in methods if m not in known)
        for key, value in plan.module_code.items():
            known = result.module_code.get(key)
            if known is None or len(value[1]) > len(known[1]):
                result.module_code[key] = value
        if plan.applicability == UNSAFE:
            result.applicability = UNSAFE
    return result


def suggestion(message: str) -> Plan:
    return Plan(DISPLAY, message)


class _Renderer(cst.CSTTransformer):
    def __init__(self, plans: Sequence[Plan], path: str) -> None:
        super().__init__()
        self.rebuild: Dict[cst.CSTNode, Rebuild] = {}
        self.before: Dict[cst.CSTNode, List[str]] = {}
        self.after: Dict[cst.CSTNode, List[str]] = {}
        self.methods: Dict[cst.ClassDef, List[str]] = {}
        self.module_code: Dict[str, Tuple[int, str]] = {}
        for plan in plans:
            for node, rebuild in plan.rebuild.items():
                self.rebuild.setdefault(node, rebuild)  # two fixes of one statement rebuild it alike
            for statement, code in plan.before.items():
                known = self.before.setdefault(statement, [])
                known.extend(line for line in code if line not in known)
            for statement, code in plan.after.items():
                known = self.after.setdefault(statement, [])
                known.extend(line for line in code if line not in known)
            for cls, methods in plan.methods.items():
                known = self.methods.setdefault(cls, [])
                known.extend(m for m in methods if m not in known)
            for (where, key), value in plan.module_code.items():
                known = self.module_code.get(key)
                if where == path and (known is None or len(value[1]) > len(known[1])):  # dual covers IPv4
                    self.module_code[key] = value

    def on_leave(self, original_node, updated_node):
        updated = super().on_leave(original_node, updated_node)
        if original_node in self.rebuild:
            updated = self.rebuild[original_node](updated)
        if original_node in self.methods and isinstance(updated, cst.ClassDef):
            updated = _append_methods(updated, self.methods[original_node])
        if original_node in self.after and isinstance(updated, cst.BaseStatement):
            following = [cst.parse_statement(code) for code in self.after[original_node]]
            updated = cst.FlattenSentinel([updated, *following]) if original_node not in self.before else updated
            if original_node not in self.before:
                return updated
        if original_node in self.before and isinstance(updated, cst.BaseStatement):
            inserted = [cst.parse_statement(code) for code in self.before[original_node]]
            lines = list(updated.leading_lines)
            blank = 0
            while blank < len(lines) and lines[blank].comment is None:
                blank += 1
            # blank lines go above the new statements; comments stay with the statement they describe
            inserted[0] = inserted[0].with_changes(leading_lines=lines[:blank])
            return cst.FlattenSentinel([*inserted, updated.with_changes(leading_lines=lines[blank:])])
        return updated

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.module_code:
            return updated_node
        return _insert_module_code(updated_node, [code for _, code in sorted(self.module_code.values(), key=lambda v: v[0])])


def _append_methods(cls: cst.ClassDef, methods: Sequence[str]) -> cst.ClassDef:
    body = list(cls.body.body)
    for code in methods:
        parsed = [_unindented_blank_lines(s) for s in cst.parse_module(textwrap.dedent(code)).body]
        parsed = [parsed[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)]), *parsed[1:]]
        body.extend(parsed)
    if body and isinstance(body[0], cst.SimpleStatementLine) and _is_pass(body[0]) and len(body) > 1:
        body = body[1:]
        body[0] = body[0].with_changes(leading_lines=())
    return cls.with_changes(body=cls.body.with_changes(body=body))


def _unindented_blank_lines(statement: cst.BaseStatement) -> cst.BaseStatement:
    """Blank lines inside a class body carry no indentation (no trailing whitespace)."""
    lines = [line.with_changes(indent=False) if line.comment is None else line for line in statement.leading_lines]
    return statement.with_changes(leading_lines=lines)


def _is_pass(statement: cst.SimpleStatementLine) -> bool:
    return len(statement.body) == 1 and isinstance(statement.body[0], cst.Pass)


def _is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)


def _insert_module_code(module: cst.Module, blocks: Sequence[str]) -> cst.Module:
    """Add `blocks` after the module's last top-level import: two blank lines around defs."""
    body = list(module.body)
    at = 0
    for index, statement in enumerate(body):
        if _is_import_line(statement):
            at = index + 1
    new: List[cst.CSTNode] = []
    for code in blocks:
        if code.startswith(("import ", "from ")):
            new.extend(cst.parse_module(code).body)
            continue
        parsed = list(cst.parse_module(code).body)
        blank = 1 if isinstance(parsed[0], cst.SimpleStatementLine) and not any(not _is_import_line(n) for n in new) else 2
        if not at and not new:
            blank = 0 if not body else blank
        parsed[0] = parsed[0].with_changes(leading_lines=[cst.EmptyLine()] * blank)
        new.extend(parsed)
    imports_first = [n for n in new if _is_import_line(n)]
    others = [n for n in new if not _is_import_line(n)]
    head = body[:at]
    if imports_first and head:
        for statement in imports_first:
            head = _insert_sorted(head, statement)
    else:
        others = imports_first + others
    tail = body[at:]
    if tail and others:
        nxt = tail[0]
        kept = list(nxt.leading_lines)
        while kept and kept[0].comment is None:
            kept.pop(0)
        # two blank lines around a def or class (PEP 8); one between two plain statements
        blank = 1 if isinstance(others[-1], cst.SimpleStatementLine) and isinstance(nxt, cst.SimpleStatementLine) else 2
        tail[0] = nxt.with_changes(leading_lines=[cst.EmptyLine()] * blank + kept)
    return module.with_changes(body=[*head, *others, *tail])


def _insert_sorted(head: List[cst.CSTNode], statement: cst.SimpleStatementLine) -> List[cst.CSTNode]:
    """Put `import x` before the first plain `import y` with y > x among the leading imports
    (isort's order for a block of plain imports), else after the last import."""
    name = cst.Module([]).code_for_node(statement.body[0].names[0].name)
    last_plain = None
    for index, existing in enumerate(head):
        if not _is_import_line(existing) or not isinstance(existing.body[0], cst.Import):
            continue
        other = cst.Module([]).code_for_node(existing.body[0].names[0].name)
        if other > name:
            return [*head[:index], statement.with_changes(leading_lines=existing.leading_lines),
                    existing.with_changes(leading_lines=()), *head[index + 1:]]
        last_plain = index
    if last_plain is not None and last_plain + 1 < len(head):  # stdlib imports before `from .x import y`
        return [*head[:last_plain + 1], statement, *head[last_plain + 1:]]
    return [*head, statement]


def render(source: Source, plans: Sequence[Plan]) -> str:
    """The file's text with `plans` applied."""
    plans = [p for p in plans if p.applicable]
    if not plans:
        return source.text
    return source.tree.visit(_Renderer(plans, source.path)).code
