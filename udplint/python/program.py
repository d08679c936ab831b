"""The program the solver sees: module summaries, their names, and import resolution.

Modules come from the files being checked and, on demand, from project modules those import
(no count or size caps: summaries are cached by content). Which file an import means follows
Python's own rules for the module's sys.path root: the directory above its outermost package,
plus `src/` layouts and script-style sibling imports.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import AbstractSet, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from .shipped import ShippedSettings
from .summary import Attr, Class, Function, ModuleSummary, Name

# Standard-library names are always the library, even where a file of that name is in the tree
# (checking CPython's own Lib/ must still see `socket` as the library the models describe).
STDLIB_TOP_LEVEL = frozenset(getattr(sys, "stdlib_module_names", ())) | {
    "socket", "socketserver", "SocketServer", "asyncio", "selectors", "select", "threading", "queue", "os",
    "sys", "argparse", "struct", "functools", "concurrent", "multiprocessing", "_socket", "collections",
    "typing", "logging",
}

# Libraries a model describes whole (models.dgram): an import of one is the library the model
# knows, even where its source is in the tree (a project checked beside its dependencies).
MODELLED_TOP_LEVEL = frozenset({"asyncio_dgram"})
LIBRARY_TOP_LEVEL = STDLIB_TOP_LEVEL | MODELLED_TOP_LEVEL

PROPERTY_DECORATORS = frozenset({"property", "cached_property"})


def decorated_with(function: Function, names: AbstractSet[str]) -> bool:
    """`@name` or `@module.name` for one of `names` among the function's decorators."""
    return any((type(d) is Name and d.name in names) or (type(d) is Attr and d.attr in names)
               for d in function.decorators)


@dataclass(eq=False, repr=False)
class FunctionInfo:
    index: int  # global index
    module: "ModuleInfo"
    local: int
    summary: Function
    cls: Optional["ClassInfo"] = None

    @property
    def name(self) -> str:
        return self.summary.name

    # computed once: the solver asks these on every call it binds and every attribute it reads
    @cached_property
    def params(self) -> Tuple[str, ...]:
        return tuple(name for name, _ in self.summary.params)

    @cached_property
    def is_method(self) -> bool:
        return self.cls is not None and not self.summary.is_static

    @cached_property
    def self_name(self) -> Optional[str]:
        """The name a method's first parameter binds to the instance (or class), else None."""
        return self.summary.params[0][0] if self.is_method and self.summary.params else None

    @cached_property
    def is_classmethod(self) -> bool:
        """`@classmethod`: its first parameter is bound to the class, called through the class too."""
        return self.is_method and decorated_with(self.summary, {"classmethod"})

    @cached_property
    def is_property(self) -> bool:
        """A getter: `@property` / `@functools.cached_property` (a `@x.setter` is defined later)."""
        return self.is_method and decorated_with(self.summary, PROPERTY_DECORATORS)


@dataclass(eq=False, repr=False)
class ClassInfo:
    index: int
    module: "ModuleInfo"
    local: int
    summary: Class
    methods: Dict[str, FunctionInfo] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.summary.name


@dataclass(eq=False, repr=False)
class ModuleInfo:
    index: int
    name: str
    path: Path
    display: str
    root: Path
    is_package: bool
    checked: bool
    summary: ModuleSummary
    function_offset: int = 0
    class_offset: int = 0
    project: int = 0  # which checked project (distribution) it belongs to: name-keyed flows stay inside one
    driver: bool = False  # checked for the wildcard it hands over (prefilter.drivers), no datagram API of its own
    _scope_owners: Optional[Dict[int, int]] = None

    def function(self, local: int) -> int:
        return self.function_offset + local if local >= 0 else -1

    def scope_owners(self) -> Dict[int, int]:
        """Scope index -> the local index of the function whose own scope it is."""
        if self._scope_owners is None:
            self._scope_owners = {f.scope: local for local, f in enumerate(self.summary.functions)}
        return self._scope_owners

    def defined_in(self, local: int) -> int:
        """The function (local index) whose body defines function `local`, -1 at module level."""
        scopes = self.summary.scopes
        scope = scopes[self.summary.functions[local].scope].parent
        while scope >= 0 and scopes[scope].kind != "function":
            scope = scopes[scope].parent
        return self.scope_owners().get(scope, -1) if scope >= 0 else -1


def module_name_for(path: Path) -> Tuple[str, Path, bool]:
    """Dotted name, sys.path-style root and is-package, from the __init__.py files above `path`."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    # a folder whose name is no identifier (`cpppo-5.2.5/`, an unpacked distribution whose package
    # is installed under another name) is no package Python could import by that name: it is the
    # root, so relative imports inside it resolve by its files instead of by a name with dots in it
    while (directory / "__init__.py").exists() and directory.parent != directory and directory.name.isidentifier():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), directory, is_package


# (path, display, checked) -> summary or None (the file could not be summarised; said elsewhere)
Summariser = Callable[[Path, str, bool], Optional[ModuleSummary]]


class Program:
    def __init__(self, summarise: Summariser, extra_roots: Sequence[Path] = ()) -> None:
        self.summarise = summarise
        self.modules: List[ModuleInfo] = []
        self.by_path: Dict[Path, ModuleInfo] = {}
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.methods_by_name: Dict[Tuple[int, str], List[FunctionInfo]] = {}  # by (project, name)
        self.extra_roots = [Path(r).resolve() for r in extra_roots]
        # per module, the names it binds to a wildcard literal (a config module's HOST =
        # '0.0.0.0'): a driver's function importing and naming one runs from the start
        self.wildcard_settings: Dict[str, Set[str]] = {}
        self.shipped = ShippedSettings()  # wildcards set in settings files shipped in the tree
        self._projects: Dict[Path, int] = {}
        self.listeners: List[Callable[[ModuleInfo], None]] = []  # told of every module added
        self._failed: set = set()
        self._lookups: Dict[Tuple[str, Path, Path], Optional[ModuleInfo]] = {}

    # -- loading ------------------------------------------------------------------------------
    def add(self, path: Path, display: str, summary: ModuleSummary, checked: bool, driver: bool = False) -> ModuleInfo:
        key = path.resolve()
        known = self.by_path.get(key)
        if known is not None:
            known.checked |= checked
            return known
        name, root, is_package = module_name_for(path)
        module = ModuleInfo(len(self.modules), name, path, display, root, is_package, checked, summary,
                            len(self.functions), len(self.classes), self._project_of(key, root), driver)
        self.modules.append(module)
        self.by_path[key] = module
        self._index(module)
        for listener in self.listeners:
            listener(module)
        return module

    def _project_of(self, path: Path, root: Path) -> int:
        """The project a file belongs to: the deepest import root above it (a distribution's
        folder; its `src/` counts as the distribution), else its package root. Checking many
        distributions in one run must not link them through attribute or method names."""
        parents = set(path.parents)
        inside = [r for r in self.extra_roots if r in parents]
        chosen = max(inside, key=lambda r: len(r.parts)) if inside else root
        if chosen.name == "src" and chosen.parent in inside:
            chosen = chosen.parent
        return self._projects.setdefault(chosen, len(self._projects))

    def _index(self, module: ModuleInfo) -> None:
        summary = module.summary
        for local, cls in enumerate(summary.classes):
            self.classes.append(ClassInfo(len(self.classes), module, local, cls))
        for local, function in enumerate(summary.functions):
            cls = self.classes[module.class_offset + function.cls] if function.cls >= 0 else None
            info = FunctionInfo(len(self.functions), module, local, function, cls)
            self.functions.append(info)
            if cls is not None:
                self.methods_by_name.setdefault((module.project, function.name), []).append(info)
        for local, cls in enumerate(summary.classes):
            info = self.classes[module.class_offset + local]
            info.methods = {name: self.functions[module.function_offset + index] for name, index in cls.methods.items()}

    # -- imports ------------------------------------------------------------------------------
    def absolute(self, importer: ModuleInfo, module: str, level: int) -> str:
        if level == 0:
            return module
        package = importer.name if importer.is_package else importer.name.rpartition(".")[0]
        return relative_module(package, module, level)

    def find_module(self, dotted: str, importer: ModuleInfo) -> Optional[ModuleInfo]:
        """The project module `dotted` (absolute) as seen from `importer`, summarised on demand."""
        if not dotted or dotted.split(".")[0] in LIBRARY_TOP_LEVEL:
            return None
        key = (dotted, importer.root, importer.path.parent)
        if key in self._lookups:
            return self._lookups[key]
        self._lookups[key] = None  # cycle guard: an import cycle resolves to nothing while loading
        found = self._load(dotted, importer)
        self._lookups[key] = found
        return found

    def _roots(self, importer: ModuleInfo) -> List[Path]:
        roots = [importer.root]
        parent = importer.path.parent.resolve()
        if parent != importer.root:
            roots.append(parent)  # script-style sibling imports
        for extra in (importer.root / "src", *self.extra_roots):
            if extra.is_dir() and extra not in roots:
                roots.append(extra)
        return roots

    def candidates(self, dotted: str, importer: ModuleInfo) -> Iterator[Path]:
        """The files `import dotted` may mean for `importer`, in the order Python tries them."""
        if not dotted or dotted.split(".")[0] in LIBRARY_TOP_LEVEL:
            return
        rel = Path(*dotted.split("."))
        for root in self._roots(importer):
            yield root / rel.with_suffix(".py")
            yield root / rel / "__init__.py"

    def imported_files(self, module: ModuleInfo) -> List[Path]:
        """Existing project files a module's imports may name (for extracting them ahead of need)."""
        found: List[Path] = []
        for text, level in module.summary.imports:
            dotted = self.absolute(module, text, level)
            for candidate in self.candidates(dotted, module):
                if candidate.is_file():
                    found.append(candidate)
                    break
        return found

    def _load(self, dotted: str, importer: ModuleInfo) -> Optional[ModuleInfo]:
        for candidate in self.candidates(dotted, importer):
            try:
                if not candidate.is_file():
                    continue
                resolved = candidate.resolve()
            except OSError:
                continue
            if resolved in self.by_path:
                return self.by_path[resolved]
            if resolved in self._failed:
                return None
            summary = self.summarise(candidate, _display(candidate), False)
            if summary is None:
                self._failed.add(resolved)
                return None
            return self.add(candidate, _display(candidate), summary, checked=False)
        return None


def relative_module(package: str, module: str, level: int) -> str:
    """The absolute name of `from <level dots><module> import ...` in `package` (dotted)."""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    return ".".join([p for p in parts if p] + ([module] if module else []))


def _display(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
