"""Configuration from `[tool.udplint]` in pyproject.toml.

The closest pyproject.toml with a `[tool.udplint]` table, walking up from the current directory
(as ruff finds its settings), is used. Paths in it (baseline) are relative to that file; exclude
and per-file-ignores patterns are globs, matched like `--exclude`. Command-line options override it.

    [tool.udplint]
    select = ["UDP"]
    ignore = ["UDP003"]
    exclude = ["tests/fixtures/*"]     # replaced by --exclude
    extend-exclude = ["generated"]     # added to exclude (and to --exclude)
    force-exclude = false              # exclude paths named on the command line too
    respect-gitignore = true
    baseline = "udplint-baseline.json"

    [tool.udplint.per-file-ignores]
    "scripts/*" = ["UDP001"]
"""
from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from .findings import Finding
from .sources import UnreadableSource, read_regular_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib


MAX_CONFIG_BYTES = 4 * 1024 * 1024


class ConfigError(Exception):
    """Unusable configuration: one line for the user, exit 2."""


@dataclass
class Settings:
    path: Optional[Path] = None  # the pyproject.toml the settings came from
    select: Optional[List[str]] = None
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    extend_exclude: List[str] = field(default_factory=list)
    force_exclude: bool = False
    respect_gitignore: bool = True
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    baseline: Optional[Path] = None

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def _string_list(where: str, key: str, value: object) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings, got {value!r}")
    return value


def _codes(where: str, key: str, value: object) -> List[str]:
    return [code.strip().upper() for code in _string_list(where, key, value) if code.strip()]


def find_pyproject(start: Optional[Path] = None) -> Optional[Path]:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        # Only a file that mentions udplint is parsed: a broken unrelated pyproject is not our error.
        if pyproject.is_file() and b"udplint" in _read_bytes(pyproject) and \
                "udplint" in _load(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_bytes(path: Path) -> bytes:
    try:
        return read_regular_bytes(path, MAX_CONFIG_BYTES)
    except UnreadableSource as error:
        raise ConfigError(f"{path}: cannot read: {error.reason}") from None


def _load(path: Path) -> dict:
    raw = _read_bytes(path)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:  # TOML is UTF-8; tomllib lets the decode error through
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte 0x{error.object[error.start]:02x} "
                          f"at offset {error.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def parse(table: object, path: Path) -> Settings:
    where = f"{path} [tool.udplint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    settings = Settings(path=path)
    known = {"select", "ignore", "exclude", "extend-exclude", "force-exclude", "respect-gitignore",
             "per-file-ignores", "baseline"}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{key}' (known keys: {', '.join(sorted(known))})")
        if key == "select":
            settings.select = _codes(where, key, value)
        elif key == "ignore":
            settings.ignore = _codes(where, key, value)
        elif key == "exclude":
            settings.exclude = _string_list(where, key, value)
        elif key == "extend-exclude":
            settings.extend_exclude = _string_list(where, key, value)
        elif key in ("force-exclude", "respect-gitignore"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
            setattr(settings, key.replace("-", "_"), value)
        elif key == "baseline":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: 'baseline' must be a file path string, got {value!r}")
            settings.baseline = path.parent / value
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
            settings.per_file_ignores = {
                pattern: _codes(where, f"per-file-ignores.{pattern}", codes) for pattern, codes in value.items()
            }
    return settings


def load(start: Optional[Path] = None) -> Settings:
    pyproject = find_pyproject(start)
    if pyproject is None:
        return Settings()
    return parse(_load(pyproject)["tool"]["udplint"], pyproject)


def apply_per_file_ignores(findings: Sequence[Finding], settings: Settings) -> List[Finding]:
    """Drop findings whose file matches a per-file-ignores glob listing their code (or a prefix)."""
    if not settings.per_file_ignores:
        return list(findings)
    root = settings.root.resolve()

    def ignored(finding: Finding) -> bool:
        absolute = Path(finding.filename).resolve()
        try:
            relative = absolute.relative_to(root).as_posix()
        except ValueError:
            relative = absolute.as_posix()
        for pattern, codes in settings.per_file_ignores.items():
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(absolute.name, pattern):
                if any(finding.code.startswith(code) or code == "ALL" for code in codes):
                    return True
        return False

    return [f for f in findings if not ignored(f)]


def resolve(args) -> Settings:
    """Load the configuration and fill in the options the command line left unset (CLI wins)."""
    settings = load()
    if args.select is None:
        args.select = settings.select
    if not args.ignore:
        args.ignore = settings.ignore
    if not args.exclude:
        args.exclude = settings.exclude
    args.extend_exclude = list(settings.extend_exclude) + list(getattr(args, "extend_exclude", None) or [])
    args.force_exclude = bool(getattr(args, "force_exclude", False)) or settings.force_exclude
    args.respect_gitignore = settings.respect_gitignore and not getattr(args, "no_respect_gitignore", False)
    if getattr(args, "baseline", None):
        settings.baseline = Path(args.baseline)
    return settings
