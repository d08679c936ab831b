"""Stage one, on bytes: which files can hold any part of a finding.

A *core* file mentions a datagram API or a UDP framework (each model's markers). A *driver* has
no such marker but imports a core module (directly or through other drivers) and hands it a
wildcard: a script that starts a library's server with `'::'` decides where it binds, so it is
kept even though it never mentions a socket. Everything else cannot take part in a finding and
is never parsed. The checks are ordered so that most files cost a few substring searches.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Protocol, Sequence, Set

from .models import MARKERS
from .program import LIBRARY_TOP_LEVEL

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


def drivers(core: Sequence[HasBytes], rest: Sequence[HasBytes]) -> List[HasBytes]:
    """Files of `rest` that import a core module (directly or through other drivers) and either
    hold a wildcard literal or import a module that does (a config module's `'0.0.0.0'` default)."""
    if not core:
        return []
    names = ModuleNames()
    wanted: Set[str] = {names.of(src.path) for src in core}
    short = {name.rsplit(".", 1)[-1] for name in wanted}
    holders = [src for src in rest if holds_wildcard(src.data)]
    # a core module counts as a wildcard's source only when it holds one: importing a library's
    # server module alone decides nothing about where it binds (its own defaults are analysed
    # in it, with or without this caller)
    wild_names = {names.of(src.path) for src in holders}
    wild_names |= {names.of(src.path) for src in core if holds_wildcard(src.data)}
    wild_short = {name.rsplit(".", 1)[-1] for name in wild_names}
    holding = {id(src) for src in holders}
    encoded = [part.encode("utf-8", "surrogateescape") for part in short]  # file names may be any bytes
    remaining = [src for src in rest if any(part in src.data for part in encoded)]
    imports = {id(src): imported_names(src.data) for src in remaining}

    def imports_any(src: HasBytes, full: Set[str], tails: Set[str]) -> bool:
        return any(name in full or name.rsplit(".", 1)[-1] in tails for name in imports[id(src)])

    chosen: List[HasBytes] = []
    grew = True
    while grew:
        grew = False
        for src in list(remaining):
            if not imports_any(src, wanted, short):
                continue
            remaining.remove(src)
            if id(src) not in holding and not imports_any(src, wild_names, wild_short):
                continue
            chosen.append(src)
            name = names.of(src.path)
            wanted.add(name)
            short.add(name.rsplit(".", 1)[-1])
            grew = True
    return chosen


class ModuleNames:
    """Dotted module names of files, asking the file system once per directory."""

    def __init__(self) -> None:
        self._packages: Dict[Path, str] = {}

    def _package(self, directory: Path) -> str:
        if directory not in self._packages:
            if (directory / "__init__.py").exists() and directory.parent != directory:
                outer = self._package(directory.parent)
                self._packages[directory] = f"{outer}.{directory.name}" if outer else directory.name
            else:
                self._packages[directory] = ""
        return self._packages[directory]

    def of(self, path: Path) -> str:
        package = self._package(path.parent.resolve())
        if path.name == "__init__.py":
            return package
        return f"{package}.{path.stem}" if package else path.stem


def imported_names(data: bytes) -> Set[str]:
    """Project module names a file imports, read off its bytes (relative ones by their text)."""
    names: Set[str] = set()
    for dots, module, members, plain in _IMPORTS.findall(data):
        if plain:
            for part in plain.split(b","):
                name = part.strip().split(b" as ")[0].strip()
                if name:
                    names.add(name.decode("ascii", "replace"))
            continue
        base = module.decode("ascii", "replace")
        if base:
            names.add(base)
        for member in re.split(rb"[\s,()\\]+", members):
            if member and member != b"as":
                text = member.decode("ascii", "replace")
                names.add(f"{base}.{text}" if base else text)
    return {n for n in names if n and n.split(".")[0] not in LIBRARY_TOP_LEVEL}
