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

`--config FILE` names the settings file instead (a pyproject.toml with the table, or a TOML file
whose top level is the table, like ruff.toml); `--config 'KEY = VALUE'` overrides one setting;
`--isolated` reads no file. Every rule code in the settings must name a rule or a prefix of one.
"""
from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

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
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    extend_ignore: List[str] = field(default_factory=list)
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
    codes = [code.strip().upper() for code in _string_list(where, key, value) if code.strip()]
    check_codes(codes, f"{where}: '{key}'")
    return codes


def known_codes() -> List[str]:
    from .catalog import RULES  # the catalog imports nothing from here; imported late all the same

    return sorted(RULES)


def check_codes(codes: Sequence[str], where: str) -> None:
    """Each code must be ALL, a rule code, or a prefix of one: a typo must not select nothing."""
    known = known_codes()
    for code in codes:
        if code != "ALL" and not any(rule.startswith(code) for rule in known):
            raise ConfigError(f"{where}: unknown rule code {code!r} (known codes: {', '.join(known)}, "
                              "or a prefix such as UDP00, or ALL)")


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


KNOWN_KEYS = frozenset({"select", "extend-select", "ignore", "extend-ignore", "exclude", "extend-exclude",
                        "force-exclude", "respect-gitignore", "per-file-ignores", "baseline"})


def parse(table: object, path: Path, where: Optional[str] = None,
          settings: Optional[Settings] = None) -> Settings:
    """Read a settings table into `settings` (a fresh one by default): keys it sets replace."""
    where = where or f"{path} [tool.udplint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    settings = settings or Settings(path=path)
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}' (known keys: {', '.join(sorted(KNOWN_KEYS))})")
        if key == "select":
            settings.select = _codes(where, key, value)
        elif key == "extend-select":
            settings.extend_select = _codes(where, key, value)
        elif key == "ignore":
            settings.ignore = _codes(where, key, value)
        elif key == "extend-ignore":
            settings.extend_ignore = _codes(where, key, value)
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


def load_file(path: Path) -> Settings:
    """`--config FILE`: a pyproject.toml's [tool.udplint], or a TOML file that is the table itself."""
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file (or give an override: --config 'select = [\"UDP001\"]')")
    document = _load(path)
    if path.name != "pyproject.toml":
        return parse(document, path, where=str(path))
    table = document.get("tool", {}).get("udplint")
    if table is None:
        raise ConfigError(f"--config {path}: has no [tool.udplint] table")
    return parse(table, path)


def apply_override(settings: Settings, text: str) -> Settings:
    """`--config 'KEY = VALUE'`: one TOML line that replaces one setting (ruff's inline override)."""
    where = f"--config {text!r}"
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: neither a file nor a valid 'KEY = VALUE' TOML override ({error})") from None
    return parse(table, settings.path or Path.cwd() / "pyproject.toml", where=where, settings=settings)


def is_override(value: str) -> bool:
    return "=" in value and not Path(value).is_file()


def load_for_command_line(config_args: Sequence[str], isolated: bool) -> Settings:
    """The settings a `check` run uses: a --config file, or the discovered pyproject.toml (neither
    with --isolated), then the --config overrides in order."""
    files = [Path(value) for value in config_args if not is_override(value)]
    overrides = [value for value in config_args if is_override(value)]
    if len(files) > 1:
        raise ConfigError("--config: give one settings file (overrides 'KEY = VALUE' may repeat)")
    if files and isolated:
        raise ConfigError("--config FILE and --isolated cannot be used together")
    if files:
        settings = load_file(files[0])
    elif isolated:
        settings = Settings()
    else:
        settings = load()
    for override in overrides:
        settings = apply_override(settings, override)
    return settings


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


@dataclass
class Selection:
    """One layer of rule selection (the settings file, then the command line), as ruff layers them."""

    select: Optional[List[str]] = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()

    def apply(self, enabled: Set[str]) -> Set[str]:
        """A layer with `select` starts over from it; then it adds extend-select and removes its ignores."""
        if self.select is not None:
            enabled = _matching(self.select)
        return (enabled | _matching(self.extend_select)) - _matching(self.ignore)


def _matching(selectors: Sequence[str]) -> Set[str]:
    return {code for code in known_codes() if any(s == "ALL" or code.startswith(s) for s in selectors)}


def resolve(args) -> Settings:
    """Load the configuration and fill in the options the command line left unset (CLI wins).

    Rule selection is layered as in ruff: the settings file's select / extend-select / ignore /
    extend-ignore, then the command line's, where a `--select` starts over (so it also drops the
    file's ignores). The result reaches the checker as `ignore` = every rule not enabled."""
    for option in ("select", "extend_select", "ignore", "extend_ignore"):
        check_codes(getattr(args, option, None) or (), f"--{option.replace('_', '-')}")
    settings = load_for_command_line(getattr(args, "config", None) or (), getattr(args, "isolated", False))
    layers = (
        Selection(settings.select, settings.extend_select, settings.ignore + settings.extend_ignore),
        Selection(args.select, getattr(args, "extend_select", None) or (),
                  list(args.ignore or ()) + list(getattr(args, "extend_ignore", None) or ())),
    )
    enabled = set(known_codes())
    for layer in layers:
        enabled = layer.apply(enabled)
    args.select, args.ignore = None, sorted(set(known_codes()) - enabled)
    if not args.exclude:
        args.exclude = settings.exclude
    args.extend_exclude = list(settings.extend_exclude) + list(getattr(args, "extend_exclude", None) or [])
    args.force_exclude = bool(getattr(args, "force_exclude", False)) or settings.force_exclude
    args.respect_gitignore = settings.respect_gitignore and not getattr(args, "no_respect_gitignore", False)
    if getattr(args, "baseline", None):
        settings.baseline = Path(args.baseline)
    return settings
