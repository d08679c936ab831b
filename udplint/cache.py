"""A content cache: module summaries and whole-run results, keyed by what they depend on.

A summary's key is a hash of the module's bytes with udplint's version and the settings that
change the analysis; a run's key hashes every analysed module's key and path. Entries are written
atomically (a temporary file renamed into place), so concurrent runs can share a cache; an entry
that is corrupt or from another version is ignored and rewritten, never trusted.

Layout, as ruff's: `.udplint_cache/` at the project root (the nearest directory with a
pyproject.toml or .git, else the working directory) with a CACHEDIR.TAG and a `.gitignore`;
`--cache-dir DIR` or UDPLINT_CACHE_DIR to move it, `--no-cache` to do without.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import __version__

CACHE_DIR_NAME = ".udplint_cache"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by udplint.\n"


def code_stamp() -> str:
    """udplint's own code as installed (names, sizes, modification times): a cache written by other
    code, even of the same version number (an editable install being worked on), is not used."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(package.rglob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def project_root(start: Optional[Path] = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "pyproject.toml").is_file() or (directory / ".git").exists():
            return directory
    return here


def default_cache_dir() -> Path:
    configured = os.environ.get("UDPLINT_CACHE_DIR")
    return Path(configured) if configured else project_root() / CACHE_DIR_NAME


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    rejected: int = 0  # corrupt or foreign entries, ignored
    write_errors: int = 0


class Cache:
    """`Cache(None)` is the disabled cache: every lookup misses and nothing is written."""

    def __init__(self, directory: Optional[Path], settings_key: str = "") -> None:
        self.directory = Path(directory) if directory is not None else None
        self.stamp = f"{__version__}|{code_stamp()}|{settings_key}".encode()
        self.stats = CacheStats()
        self._prepared = False

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def key(self, data: bytes, kind: str = "summary") -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(kind.encode() + b"\0" + self.stamp + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        assert self.directory is not None
        return self.directory / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Optional[bytes]:
        if self.directory is None:
            return None
        try:
            with open(self._path(kind, key), "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def put(self, kind: str, key: str, data: bytes) -> None:
        if self.directory is None:
            return
        path = self._path(kind, key)
        try:
            self._prepare()
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            self.stats.write_errors += 1  # a read-only or full disk costs speed, never the result

    def _prepare(self) -> None:
        if self._prepared or self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Automatically created by udplint.\n*\n")):
            target = self.directory / name
            if not target.exists():
                target.write_text(text)
        self._prepared = True
