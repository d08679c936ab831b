"""Settings files shipped with the checked code: where a wildcard is decided outside Python.

Servers often read their listen address from a template or configuration file that ships in
the tree (`templates/default/bacnet/bacnet.xml` with `host="0.0.0.0"`, a `config.yaml` with
`listen: "::"`), through a parser the analysis does not follow (`dom.xpath('//bacnet/@host')[0]`,
`cfg["server"]["host"]`). The code alone then says nothing about the host. This module reads
the shipped files for address-like keys set to a wildcard; the solver gives a lookup of such a
key in a parsed document (a value it otherwise knows nothing of) that wildcard, with the file
and line it came from. A key set to a wildcard in any shipped file counts, as every other value
the flow merges does. A host read from a file outside the tree (`/etc/echod.ini`) stays unknown.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from ..sources import DEFAULT_EXCLUDES, UnreadableSource, read_regular_bytes

SETTINGS_SUFFIXES = frozenset({".xml", ".json", ".yaml", ".yml", ".ini", ".cfg", ".conf", ".toml"})
MAX_SETTINGS_FILES = 5000  # per run; a tree with more is a data set, not a project's settings
MAX_SETTINGS_BYTES = 512 * 1024  # a larger "settings" file is data
# keys that name where a server listens; anything else set to "0.0.0.0" (a netmask, a route) is not
ADDRESS_KEY = re.compile(r"host|addr|bind|listen|interface|iface|^ip$|_ip$|^ip_", re.IGNORECASE)
_WILD = r"(0\.0\.0\.0|::)"
_PATTERNS = (
    re.compile(rb"\b([A-Za-z_][\w-]*)\s*=\s*[\"']" + _WILD.encode() + rb"[\"']"),  # XML attribute, TOML, INI quoted
    re.compile(rb"<([A-Za-z_][\w-]*)>\s*" + _WILD.encode() + rb"\s*</\1>"),  # XML element
    re.compile(rb"[\"']([A-Za-z_][\w-]*)[\"']\s*:\s*[\"']" + _WILD.encode() + rb"[\"']"),  # JSON, YAML quoted keys
    re.compile(rb"(?m)^[ \t-]*([A-Za-z_][\w-]*)[ \t]*[:=][ \t]*[\"']?" + _WILD.encode() + rb"[\"']?[ \t]*(?:[#;].*)?$"),
)
_KEY_TOKEN = re.compile(r"[A-Za-z_][\w-]*")
_NOT_KEYS = frozenset({"text", "node", "string"})  # xpath steps: `./host/text()`


PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class ShippedValue:
    """A wildcard a shipped file gives a key: what messages show and where it was read."""

    text: str  # "'0.0.0.0'"
    key: str
    path: str  # as messages show it
    line: int
    files: int = 1  # how many shipped files of the module's project set the key to a wildcard


@dataclass(frozen=True)
class _Setting:
    path: Path  # resolved
    shown: str
    line: int
    text: str


@dataclass(frozen=True)
class _Unit:
    """The files whose settings a module may read: its project (the nearest directory with a
    pyproject.toml, setup.py or setup.cfg, within the checked directory), else its top-level
    package, else its own directory without the packages in it (a folder of unrelated scripts
    and packages, like a test suite's fixtures, shares nothing)."""

    directory: Path
    flat: bool

    def holds(self, path: Path) -> bool:
        try:
            parts = path.relative_to(self.directory).parts
        except ValueError:
            return False
        if not self.flat:
            return True
        here = self.directory
        for part in parts[:-1]:
            here = here / part
            if (here / "__init__.py").is_file():
                return False
        return True


@dataclass
class ShippedSettings:
    roots: List[Path] = field(default_factory=list)  # resolved checked directories
    by_key: Dict[str, List[_Setting]] = field(default_factory=dict)
    files_read: List[Path] = field(default_factory=list)
    directories: List[Path] = field(default_factory=list)  # walked: a new file changes their stat
    budget_hit: bool = False
    _units: Dict[Path, Optional[_Unit]] = field(default_factory=dict)

    def lookup(self, key: str, module: Path) -> Optional[ShippedValue]:
        """The wildcard the settings of `module`'s project give `key`, if any."""
        entries = self.by_key.get(key)
        if not entries:
            return None
        unit = self._unit(module)
        if unit is None:
            return None
        matching = [entry for entry in entries if unit.holds(entry.path)]
        if not matching:
            return None
        first = matching[0]
        return ShippedValue(first.text, key, first.shown, first.line, len(matching))

    def _unit(self, module: Path) -> Optional[_Unit]:
        directory = module.resolve().parent
        if directory not in self._units:
            self._units[directory] = _unit_of(directory, self.roots)
        return self._units[directory]


def _unit_of(directory: Path, roots: Sequence[Path]) -> Optional[_Unit]:
    root = next((r for r in roots if directory == r or r in directory.parents), None)
    if root is None:
        return None  # a module imported from outside what is checked reads no shipped settings
    here = directory
    while True:
        if any((here / name).is_file() for name in PROJECT_FILES):
            return _Unit(here, flat=False)
        if here == root:
            break
        here = here.parent
    if not (directory / "__init__.py").is_file():
        return _Unit(directory, flat=True)
    top = directory
    while top != root and (top.parent / "__init__.py").is_file():
        top = top.parent
    return _Unit(top, flat=False)


def setting_key(text: str) -> Optional[str]:
    """The key a lookup string names: `host`, `server.host` -> host, `//{0}/@host` -> host."""
    tokens = [token for token in _KEY_TOKEN.findall(text) if token.lower() not in _NOT_KEYS]
    return tokens[-1].lower() if tokens else None


def scan_bytes(data: bytes) -> Dict[str, int]:
    """Address-like keys the file sets to a wildcard, each with the first line that does."""
    if b"0.0.0.0" not in data and b"::" not in data:
        return {}
    found: Dict[str, int] = {}
    for pattern in _PATTERNS:
        for match in pattern.finditer(data):
            key = match.group(1).decode("ascii").lower()
            if ADDRESS_KEY.search(key) and key not in found:
                found[key] = data.count(b"\n", 0, match.start(2)) + 1
    return found


def scan(roots: Sequence[Path], shown: Optional[Path] = None) -> ShippedSettings:
    """The shipped settings under `roots` (the checked directories), in a stable order."""
    settings = ShippedSettings(roots=[Path(root).resolve() for root in roots])
    for path in _settings_files(settings.roots, settings):
        try:
            data = read_regular_bytes(path, MAX_SETTINGS_BYTES)
        except UnreadableSource:
            # a FIFO, a device, too large, gone: decides nothing (`-v` counts the files read)
            continue
        settings.files_read.append(path)
        lines = None
        for key, line in scan_bytes(data).items():
            lines = lines or data.splitlines()
            text = "'::'" if b"::" in lines[line - 1] else "'0.0.0.0'"
            settings.by_key.setdefault(key, []).append(_Setting(path, _display(path, shown), line, text))
    return settings


def _settings_files(roots: Sequence[Path], settings: ShippedSettings) -> Iterable[Path]:
    seen = set()
    count = 0
    for root in roots:
        for directory, subdirs, files in os.walk(root):
            here = Path(directory)
            if here in seen:
                subdirs[:] = []
                continue
            seen.add(here)
            settings.directories.append(here)
            subdirs[:] = sorted(d for d in subdirs if d not in DEFAULT_EXCLUDES and not d.startswith("."))
            for name in sorted(files):
                if os.path.splitext(name)[1].lower() not in SETTINGS_SUFFIXES:
                    continue
                count += 1
                if count > MAX_SETTINGS_FILES:
                    settings.budget_hit = True
                    return
                yield here / name


def _display(path: Path, shown: Optional[Path]) -> str:
    relative = os.path.relpath(path, shown or Path.cwd())
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()
