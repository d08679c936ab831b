"""Finding and reading the files to check: directory walk, excludes, shebangs, decoding."""
from __future__ import annotations

import fnmatch
import io
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

# Folders nobody wants linted (the set ruff and flake8 skip by default, plus build output).
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".mypy_cache", ".nox", ".pants.d",
    ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "_build", "buck-out",
    "build", "dist", "node_modules", "site-packages", "venv", "__pycache__", ".pytest_cache",
)
POLYGLOT_SUFFIXES = (".c", ".h", ".go", ".java")
MAX_FILE_BYTES = 10 * 1024 * 1024  # larger "source" is generated data, not code worth parsing
_PYTHON_SHEBANG = re.compile(rb"^#![^\n]*\bpython[0-9.]*\b")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str  # the path as the user will see it in reports


class PathNotFound(Exception):
    pass


def _is_excluded(path: Path, patterns: Sequence[str]) -> bool:
    posix = path.as_posix()
    for pattern in patterns:
        if fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(posix, pattern):
            return True
        if fnmatch.fnmatch(posix, f"*/{pattern}") or fnmatch.fnmatch(posix, f"{pattern}/*"):
            return True
    return False


def is_python_file(path: Path) -> bool:
    if path.suffix in (".py", ".pyw", ".pyi"):
        return path.suffix != ".pyi"
    if path.suffix:
        return False
    try:
        with open(path, "rb") as handle:
            return bool(_PYTHON_SHEBANG.match(handle.readline(200)))
    except OSError:
        return False


def is_polyglot_file(path: Path) -> bool:
    return path.suffix in POLYGLOT_SUFFIXES


def discover(paths: Iterable[str], exclude: Sequence[str] = (), default_excludes: bool = True) -> Iterator[SourceFile]:
    """Yield the files to check, in a stable order. Paths named explicitly are always checked."""
    patterns = tuple(exclude) + (DEFAULT_EXCLUDES if default_excludes else ())
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise PathNotFound(f"{raw}: no such file or directory")
        if root.is_file():
            yield SourceFile(root, raw)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not _is_excluded(here / d, patterns))
            for name in sorted(filenames):
                path = here / name
                if _is_excluded(path, tuple(exclude)):
                    continue
                if is_python_file(path) or is_polyglot_file(path):
                    yield SourceFile(path, str(path))


class UnreadableSource(Exception):
    pass


def read_python(path: Path) -> tuple[bytes, str]:
    """Return (raw bytes, decoded text) honouring PEP 263 coding cookies."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableSource(f"file is too large ({size} bytes, limit {MAX_FILE_BYTES})")
        raw = path.read_bytes()
    except OSError as error:
        raise UnreadableSource(error.strerror or str(error)) from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw, raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        raise UnreadableSource(f"cannot decode: {error}") from None
