"""The file being fixed, re-parsed with libcst: find nodes by span, walk to statements and scopes."""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type

import libcst as cst

from ..python.parsing import parse_module
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from .target import Span

SpanKey = Tuple[int, int, int, int]
Scope = cst.CSTNode  # a FunctionDef, or the Module for module-level code


class Source:
    """One file's text and tree. Nodes are located by the spans the analysis reported."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.tree = parse_module(text)  # as the analysis parsed it (tab indentation CPython accepts)
        wrapper = MetadataWrapper(self.tree, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self._by_span: Dict[SpanKey, List[cst.CSTNode]] = {}
        for node, where in self.positions.items():
            key = (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
            self._by_span.setdefault(key, []).append(node)

    def find(self, span: Span, kind: Type[cst.CSTNode] = cst.Call) -> Optional[cst.CSTNode]:
        if span.path != self.path:
            return None  # another module's node: only a Project holds both files
        for node in self._by_span.get((span.line, span.column, span.end_line, span.end_column), ()):
            if isinstance(node, kind):
                return node
        return None

    def code(self, node: cst.CSTNode) -> str:
        return self.tree.code_for_node(node)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def line_of(self, node: cst.CSTNode) -> Optional[cst.SimpleStatementLine]:
        """The statement line holding `node`, when it holds nothing else."""
        for current in self.ancestors(node):
            if isinstance(current, cst.SimpleStatementLine):
                return current if len(current.body) == 1 else None
            if isinstance(current, (cst.BaseCompoundStatement, cst.Lambda)):
                return None
        return None

    def scope(self, node: cst.CSTNode) -> Scope:
        for current in self.ancestors(node):
            if isinstance(current, (cst.FunctionDef, cst.Module)):
                return current
            if isinstance(current, cst.Lambda):
                return current
        return self.tree

    def enclosing_class(self, node: cst.CSTNode) -> Optional[cst.ClassDef]:
        for current in self.ancestors(node):
            if isinstance(current, cst.ClassDef):
                return current
        return None

    def awaited(self, node: cst.CSTNode) -> bool:
        return isinstance(self.parents.get(node), cst.Await)

    def classes(self, name: str) -> List[cst.ClassDef]:
        return [n for n in self.positions if isinstance(n, cst.ClassDef) and n.name.value == name]

    def line_number(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def file_of(self, node: cst.CSTNode) -> "Source":
        return self

    def files(self) -> List["Source"]:
        return [self]


class Project(Source):
    """Several files' Sources seen as one, for a fix whose bind, receive and reply are in
    different modules of a package: nodes are found by span in their own file, and calls,
    classes and scopes are looked up across all of them. Each node still belongs to one file
    (`file_of`); module-level code goes into the file that uses it."""

    def __init__(self, sources: Sequence[Source], primary: Source) -> None:
        self.path = primary.path
        self.text = "\n".join(s.text for s in sources)  # only searched for option names
        self.tree = primary.tree
        self._files = {s.path: s for s in sources}
        self._owner = {s.tree: s for s in sources}
        self.positions = {}
        self.parents = {}
        for each in sources:
            self.positions.update(each.positions)
            self.parents.update(each.parents)

    def find(self, span: Span, kind: Type[cst.CSTNode] = cst.Call) -> Optional[cst.CSTNode]:
        each = self._files.get(span.path)
        return each.find(span, kind) if each is not None else None

    def file_of(self, node: cst.CSTNode) -> Source:
        root = node
        for root in self.ancestors(node):
            pass
        return self._owner[root if isinstance(root, cst.Module) else node]

    def code(self, node: cst.CSTNode) -> str:
        return self.file_of(node).code(node)

    def files(self) -> List[Source]:
        return list(self._files.values())


def names_in(node: cst.CSTNode) -> Set[str]:
    """Every plain name an expression reads or binds."""
    found: Set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)  # `a.b` reads `a`, not a name `b`
            return False

    node.visit(_Names())
    return found


def assigned_names(scope: Scope) -> Dict[str, List[cst.CSTNode]]:
    """name -> the statements (or parameters) that bind it directly in `scope` (not nested scopes)."""
    bound: Dict[str, List[cst.CSTNode]] = {}

    class _Binds(cst.CSTVisitor):
        def __init__(self) -> None:
            self.depth = 0

        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is not scope and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    bound.setdefault(node.name.value, []).append(node)
                return False
            if isinstance(node, cst.AssignTarget):
                for name in _target_names(node.target):
                    bound.setdefault(name, []).append(node)
            elif isinstance(node, cst.AnnAssign) and node.value is None:
                pass  # `peer: Address` only declares
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                for name in _target_names(node.target):
                    bound.setdefault(name, []).append(node)
            elif isinstance(node, (cst.For, cst.CompFor)):
                for name in _target_names(node.target):
                    bound.setdefault(name, []).append(node)
            elif isinstance(node, cst.AsName):
                for name in _target_names(node.name):
                    bound.setdefault(name, []).append(node)
            elif isinstance(node, cst.NamedExpr):
                for name in _target_names(node.target):
                    bound.setdefault(name, []).append(node)
            elif isinstance(node, cst.Param):
                bound.setdefault(node.name.value, []).append(node)
            return True

    scope.visit(_Binds())
    return bound


def _target_names(target: cst.CSTNode) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: List[str] = []
        for element in target.elements:
            out.extend(_target_names(element.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def imported_as(source: Source, module: str) -> Optional[str]:
    """How the file names `module` when it imports it whole at its top (`import asyncio [as aio]`)."""
    for statement in source.tree.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if source.code(alias.name) == module:
                        return alias.asname.name.value if alias.asname else module
    return None


def fresh_name(scope: Scope, base: str, taken: Set[str] = frozenset()) -> str:
    """`base`, or `base_2`, ... : a name nothing in `scope` reads or binds."""
    used = names_in(scope) | set(taken)
    if base not in used:
        return base
    counter = 2
    while f"{base}_{counter}" in used:
        counter += 1
    return f"{base}_{counter}"
