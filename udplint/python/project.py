"""Loading a project: parse modules with libcst, index their functions and classes, resolve imports.

Only modules the user asked for (after the byte prefilter) are parsed up front; a project module
that one of them imports is parsed on demand, so a constant or handler class defined elsewhere
in the package is still seen.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from ..findings import FileError
from ..sources import UnreadableSource, read_python
from .parsing import ParseFailure, parse_module

# Imports of these top-level names are never resolved into the project, even if a file of that
# name sits in the tree (checking CPython's own Lib/ must still see `socket` as the library).
EXTERNAL_TOP_LEVEL = set(getattr(sys, "stdlib_module_names", ())) | {
    "socket", "socketserver", "asyncio", "selectors", "select", "threading", "queue", "os", "sys",
    "argparse", "struct", "functools", "concurrent", "multiprocessing", "twisted", "gevent",
    "trio", "anyio", "click", "typer", "_socket", "collections", "typing", "logging",
}
MAX_EXTRA_MODULES = 40  # modules parsed only because a checked module imports them
MAX_EXTRA_MODULE_BYTES = 64 * 1024  # big imported modules hold no server settings worth their parse


@dataclass(eq=False, repr=False)
class FunctionInfo:
    index: int
    node: cst.CSTNode  # FunctionDef or Lambda
    module: "ModuleInfo"
    cls: Optional["ClassInfo"]
    name: str
    params: List[Tuple[str, Optional[cst.BaseExpression]]]  # positional-or-keyword params, in order
    scope: object  # the function's own libcst scope

    @property
    def is_method(self) -> bool:
        if self.cls is None or not isinstance(self.node, cst.FunctionDef):
            return False
        return not any(_decorator_name(d) == "staticmethod" for d in self.node.decorators)


@dataclass(eq=False, repr=False)
class ClassInfo:
    index: int
    node: cst.ClassDef
    module: "ModuleInfo"
    name: str
    methods: Dict[str, FunctionInfo] = field(default_factory=dict)


@dataclass(eq=False, repr=False)
class ModuleInfo:
    name: str
    path: Path
    display: str
    root: Path
    is_package: bool
    source: str
    wrapper: MetadataWrapper
    scopes: object
    checked: bool
    index: int = -1
    star_imports: List[str] = field(default_factory=list)
    functions: List[FunctionInfo] = field(default_factory=list)
    classes: List[ClassInfo] = field(default_factory=list)

    _positions: object = None

    @property
    def tree(self) -> cst.Module:
        return self.wrapper.module

    @property
    def positions(self):
        """Resolved on first use: only modules with something to report pay for positions."""
        if self._positions is None:
            self._positions = self.wrapper.resolve(PositionProvider)
        return self._positions

    def lines(self) -> List[str]:
        return self.source.splitlines()


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def module_name_for(path: Path) -> Tuple[str, Path, bool]:
    """Dotted name, sys.path-style root and is-package, from the __init__.py files above `path`."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), directory, is_package


class Project:
    def __init__(self) -> None:
        self.modules: List[ModuleInfo] = []
        self.by_path: Dict[Path, ModuleInfo] = {}
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.methods_by_name: Dict[str, List[FunctionInfo]] = {}
        self.function_by_node: Dict[int, FunctionInfo] = {}
        self.pending: List[ModuleInfo] = []  # parsed but not yet seen by the data flow
        self._failed: set = set()
        self._extra = 0

    # -- loading ---------------------------------------------------------------------------
    def add_file(self, path: Path, display: str, checked: bool = True) -> "ModuleInfo | FileError":
        key = path.resolve()
        if key in self.by_path:
            self.by_path[key].checked |= checked
            return self.by_path[key]
        try:
            _, source = read_python(path)
            tree = parse_module(source)
        except UnreadableSource as error:
            return error.error(display)
        except ParseFailure as error:
            return FileError(display, str(error), error.kind)
        name, root, is_package = module_name_for(path)
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        try:
            scopes = wrapper.resolve(ScopeProvider)
        except RecursionError:
            return FileError(display, "too deeply nested to analyse", "too-complex")
        module = ModuleInfo(name, path, display, root, is_package, source, wrapper, scopes, checked)
        module.index = len(self.modules)
        self.by_path[key] = module
        self.modules.append(module)
        self._index(module)
        self.pending.append(module)
        return module

    def _index(self, module: ModuleInfo) -> None:
        indexer = _Indexer(self, module)
        module.tree.visit(indexer)

    def new_function(self, **kwargs) -> FunctionInfo:
        info = FunctionInfo(index=len(self.functions), **kwargs)
        self.functions.append(info)
        self.function_by_node[id(info.node)] = info
        if info.cls is not None:
            self.methods_by_name.setdefault(info.name, []).append(info)
        info.module.functions.append(info)
        return info

    # -- imports -----------------------------------------------------------------------------
    def find_module(self, dotted: str, importer: ModuleInfo) -> Optional[ModuleInfo]:
        """The project module `dotted` (absolute) as seen from `importer`, parsed on demand."""
        if not dotted or dotted.split(".")[0] in EXTERNAL_TOP_LEVEL:
            return None
        rel = Path(*dotted.split("."))
        roots = [importer.root]
        if importer.path.parent.resolve() != importer.root:
            roots.append(importer.path.parent.resolve())  # script-style sibling imports
        for root in roots:
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                key = candidate.resolve() if candidate.exists() else None
                if key is None:
                    continue
                if key in self.by_path:
                    return self.by_path[key]
                if key in self._failed or self._extra >= MAX_EXTRA_MODULES:
                    return None
                if key.stat().st_size > MAX_EXTRA_MODULE_BYTES:
                    self._failed.add(key)
                    return None
                self._extra += 1
                loaded = self.add_file(candidate, str(candidate), checked=False)
                if isinstance(loaded, FileError):
                    self._failed.add(key)
                    return None
                return loaded
        return None

    def absolute(self, importer: ModuleInfo, module: str, level: int) -> str:
        if level == 0:
            return module
        package = importer.name.split(".") if importer.is_package else importer.name.split(".")[:-1]
        if level > 1:
            package = package[: len(package) - (level - 1)]
        return ".".join([p for p in package if p] + ([module] if module else []))


class _Indexer(cst.CSTVisitor):
    """Records every function, lambda and class of a module, with their enclosing class."""

    def __init__(self, project: Project, module: ModuleInfo) -> None:
        self.project = project
        self.module = module
        self.class_stack: List[Optional[ClassInfo]] = [None]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = ClassInfo(len(self.project.classes), node, self.module, node.name.value)
        self.project.classes.append(info)
        self.module.classes.append(info)
        self.class_stack.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        cls = self.class_stack[-1]
        params = [(p.name.value, p.default) for p in (*node.params.posonly_params, *node.params.params)]
        params += [(p.name.value, p.default) for p in node.params.kwonly_params]
        scope = self.module.scopes.get(node.body.body[0]) if node.body.body else None
        if scope is None:
            scope = self.module.scopes.get(node.body)
        info = self.project.new_function(node=node, module=self.module, cls=cls, name=node.name.value,
                                         params=params, scope=scope)
        if cls is not None:
            cls.methods.setdefault(node.name.value, info)
        self.class_stack.append(None)  # a class inside a function body is not this class

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.class_stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        params = [(p.name.value, p.default) for p in node.params.params]
        self.project.new_function(node=node, module=self.module, cls=None, name="<lambda>", params=params,
                                  scope=self.module.scopes.get(node.body))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) and node.module is not None:
            dotted = cst.Module([]).code_for_node(node.module)
            self.module.star_imports.append(self.project.absolute(self.module, dotted, len(node.relative)))
