"""Stage one, on bytes: which files can hold any part of a finding.

A *core* file mentions a datagram API or a UDP framework (each model's markers). A *driver* has
no such marker but imports a core module (directly or through other drivers) and hands it a
wildcard: a script that starts a library's server with `'::'` decides where it binds, so it is
kept even though it never mentions a socket. Everything else cannot take part in a finding and
is never parsed. The checks are ordered so that most files cost a few substring searches.

A driver is read for the wildcard it hands over: the solver runs its module-level code and the
functions holding a wildcard (a literal, a default, one of the settings `wildcard_settings`
finds in the modules it imports) from the start, and its other functions only when called
(`Solver._group_of`); in a large library most drivers are test and protocol modules whose
thousands of functions only pass on what their callers give them.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Protocol, Sequence, Set, Tuple

from .models import MARKERS
from .program import LIBRARY_TOP_LEVEL, relative_module

# Substrings of every marker: a file without any of them has no marker either.
_ANCHORS = (b"send", b"recv", b"DGRAM", b"UDP", b"atagram", b"udp", b"dgram")
assert all(any(anchor in marker for anchor in _ANCHORS) for marker in MARKERS), "an anchor per marker"

# A wildcard a script could hand to a library's server: as a call argument or a default value,
# or a wildcard spelled so that it is never anything else. Plain substring searches first: this
# runs over every file that is not core, and a regular expression with no literal prefix scans
# the whole tree at a fraction of the speed.
_WILDCARD_TEXTS = (b"'0.0.0.0", b'"0.0.0.0', b"'::'", b'"::"')
_WILDCARD_WORDS = re.compile(rb"\b(?:INADDR_ANY|in6addr_any|AI_PASSIVE)\b")
_EMPTY_OR_STAR = (b"''", b'""', b"'*'", b'"*"')
_ARGUMENT_END = re.compile(rb"""(?:''|""|'\*'|"\*")[ \t]*[,)\]]""")
# `print(x, end='')` and its kin are the common empty strings in keyword arguments that never
# name a host (the string-joining keywords of the stdlib); they are not read as wildcards.
_ARGUMENT_START = re.compile(
    rb"(?:[(,]|=(?<!\bend=)(?<!\bsep=)(?<!\bnewline=)(?<!\bprefix=)(?<!\bsuffix=)(?<!\berrors=)(?<!\bmsg=))"
    rb"[ \t]*\Z"
)


def holds_wildcard(data: bytes) -> bool:
    if any(text in data for text in _WILDCARD_TEXTS):
        return True
    if (b"INADDR_ANY" in data or b"in6addr_any" in data or b"AI_PASSIVE" in data) and _WILDCARD_WORDS.search(data):
        return True
    for literal in _EMPTY_OR_STAR:
        at = data.find(literal)
        while at >= 0:
            if _ARGUMENT_END.match(data, at) and _ARGUMENT_START.search(data, max(0, at - 40), at):
                return True
            at = data.find(literal, at + 2)
    return False


# `HOST = '0.0.0.0'`, `host: str = "::"` at module level or in a class body: a setting other
# modules read (`settings.HOST`). Only the texts that are never anything but a wildcard.
_WILDCARD_SETTING = re.compile(
    rb"""^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:'(?:0\.0\.0\.0|::)'|"(?:0\.0\.0\.0|::)")""", re.MULTILINE)


def wildcard_settings(data: bytes) -> Set[str]:
    """The names a module binds to a wildcard literal, read off its bytes."""
    if b"0.0.0.0" not in data and b"::" not in data:
        return set()
    return {found.decode("ascii") for found in _WILDCARD_SETTING.findall(data)}


_IMPORTS = re.compile(  # members: a parenthesised list, or one line with backslash continuations
    rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|(?:[^\n\\#]|\\\n)*)|import[ \t]+([\w., \t]+))",
    re.MULTILINE,
)


class HasBytes(Protocol):
    path: Path
    data: bytes


def is_core(data: bytes) -> bool:
    if not any(anchor in data for anchor in _ANCHORS):
        return False
    return any(marker in data for marker in MARKERS)


def drivers(core: Sequence[HasBytes], rest: Sequence[HasBytes],
            settings: Optional[Dict[str, Set[str]]] = None) -> List[HasBytes]:
    """Files of `rest` that import a core module (directly or through other drivers) and either
    hold a wildcard literal or import a module that does (a config module's `'0.0.0.0'` default).
    `settings` gets, per module holding a wildcard literal, the names it binds to one."""
    if not core:
        return []
    names = ModuleNames()
    wanted: Set[str] = {names.of(src.path) for src in core}
    holders = [src for src in rest if holds_wildcard(src.data)]
    # a core module counts as a wildcard's source only when it holds one: importing a library's
    # server module alone decides nothing about where it binds (its own defaults are analysed
    # in it, with or without this caller)
    core_holders = [src for src in core if holds_wildcard(src.data)]
    wild_names = {names.of(src.path) for src in holders + core_holders}
    if settings is not None:
        for src in holders + core_holders:
            bound = wildcard_settings(src.data)
            if bound:
                settings.setdefault(names.of(src.path), set()).update(bound)
    holding = {id(src) for src in holders}
    # a driver may import a core module or another driver (which a first look at its bytes
    # cannot know yet): every file that imports anything is a candidate
    importers: Dict[str, List[HasBytes]] = {}
    imports: Dict[int, Set[str]] = {}
    for src in rest:
        if b"import" in src.data:
            imports[id(src)] = imported_modules(src.data, names.package_of(src.path))
            for name in imports[id(src)]:
                importers.setdefault(name, []).append(src)
    chosen: List[HasBytes] = []
    decided: Set[int] = set()
    todo = list(wanted)
    while todo:
        for src in importers.get(todo.pop(), ()):
            if id(src) in decided:
                continue
            decided.add(id(src))
            if id(src) in holding or not imports[id(src)].isdisjoint(wild_names):
                chosen.append(src)
                name = names.of(src.path)
                if name not in wanted:
                    wanted.add(name)
                    todo.append(name)
    return chosen


class ModuleNames:
    """Dotted module names of files, asking the file system once per directory."""

    def __init__(self) -> None:
        self._packages: Dict[Path, str] = {}
        self._folders: Dict[Path, str] = {}  # by the folder as written

    def _package(self, directory: Path) -> str:
        if directory not in self._packages:
            if (directory / "__init__.py").exists() and directory.parent != directory:
                outer = self._package(directory.parent)
                self._packages[directory] = f"{outer}.{directory.name}" if outer else directory.name
            else:
                self._packages[directory] = ""
        return self._packages[directory]

    def package_of(self, path: Path) -> str:
        """The package a module's relative imports start from (an `__init__.py` is its own)."""
        folder = path.parent
        if folder not in self._folders:  # resolving each file's folder again was most of the cost
            self._folders[folder] = self._package(folder.resolve())
        return self._folders[folder]

    def of(self, path: Path) -> str:
        package = self.package_of(path)
        if path.name == "__init__.py":
            return package
        return f"{package}.{path.stem}" if package else path.stem


def imported_modules(data: bytes, package: str) -> Set[str]:
    """The project modules a file in `package` may import, as the names `ModuleNames` gives them,
    read off its bytes: `from a import b` may import `a` or `a.b`; a relative import starts from
    the file's package; an absolute one may also be a sibling (the solver resolves imports from
    the importer's folder too, for script-style code)."""
    names: Set[str] = set()
    for dots, module, members, plain in _import_statements(data):
        if plain:
            for part in plain.split(b","):
                name = part.strip().split(b" as ")[0].strip()
                if name:
                    names.update(absolute_names(name.decode("ascii", "replace"), 0, package))
            continue
        level = len(dots)
        bases = absolute_names(module.decode("ascii", "replace"), level, package)
        names.update(base for base in bases if base)
        for member in re.split(rb"[\s,()\\]+", members):
            if member and member != b"as":
                text = member.decode("ascii", "replace")
                names.update(f"{base}.{text}" if base else text for base in bases)
    return {n for n in names if n and n.split(".")[0] not in LIBRARY_TOP_LEVEL}


def _import_statements(data: bytes) -> Iterator[Tuple[bytes, bytes, bytes, bytes]]:
    """`_IMPORTS`' groups for each import statement, trying only the lines that say `import`
    (matching the pattern at every line start of a large tree took most of this stage)."""
    at = data.find(b"import")
    tried = -1
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        if start != tried:
            tried = start
            found = _IMPORTS.match(data, start)
            if found is not None:
                yield found.groups(b"")
        at = data.find(b"import", at + 6)


def absolute_names(module: str, level: int, package: str) -> List[str]:
    """The absolute names `module` may mean in `package` (`level` leading dots): an absolute
    import may also name a sibling (the solver resolves imports from the importer's folder too)."""
    if level:
        if level - 1 > len(package.split(".") if package else []):
            return []  # above the top package: imports nothing of the project
        return [relative_module(package, module, level)]
    if not module:
        return []
    return [module] + ([f"{package}.{module}"] if package else [])
