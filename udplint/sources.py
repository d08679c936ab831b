"""Finding and reading the files to check: directory walk, excludes, shebangs, bounded reads, decoding.

A checked tree may be hostile, so the walk and the reads never trust a name:
- only regular files are opened. A FIFO, socket or device (or a symlink to one, such as
  `bad.py -> /dev/zero`) is skipped with a diagnostic, before it is opened; files are opened with
  O_NONBLOCK (a FIFO swapped in after the check cannot block) and checked again with fstat;
- reads are bounded: never more than the size limit + 1 bytes, whatever stat said;
- symlinked folders are not followed (no loops, no walking out of the tree); symlinked files are
  read (they are part of the tree, e.g. a shared module linked into two packages);
- a path named on the command line that does not exist is a diagnostic, and the run goes on.

Excludes (ruff's conventions): folders nobody wants linted (DEFAULT_EXCLUDES, including vendored
trees), `--exclude` / `exclude` globs, `--extend-exclude` / `extend-exclude` on top of those, and
what `.gitignore` ignores (`--no-respect-gitignore` to turn it off). Paths named explicitly are
checked even when excluded, unless `--force-exclude` (on in the pre-commit hooks, which name every
staged file).
"""
from __future__ import annotations

import errno
import fnmatch
import functools
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence

from .findings import FileError
from .gitignore import GitIgnores

# Folders nobody wants linted (the set ruff and flake8 skip by default, plus build output), and
# vendored code: copies of other projects kept in the tree, whose findings belong upstream (the
# folders Go, golangci-lint and pip use for them). Name one on the command line to check it anyway.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".mypy_cache", ".nox", ".pants.d",
    ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "_build", "buck-out",
    "build", "dist", "node_modules", "site-packages", "venv", "__pycache__", ".pytest_cache",
    "vendor", "third_party", "_vendor",
)
POLYGLOT_SUFFIXES = (".c", ".h", ".go", ".java")
PYTHON_SUFFIXES = (".py", ".pyw")
MAX_FILE_BYTES = 10 * 1024 * 1024  # larger "source" is generated data, not code worth parsing
_SHEBANG_BYTES = 200
_PYTHON_SHEBANG = re.compile(rb"^#![^\n]*\bpython[0-9.]*\b")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
# Python source in these encodings cannot be read by CPython either (it needs an ASCII-compatible
# encoding); say so instead of silently finding nothing in the NUL-interleaved bytes.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32-LE"), (b"\x00\x00\xfe\xff", "UTF-32-BE"),
    (b"\xff\xfe", "UTF-16-LE"), (b"\xfe\xff", "UTF-16-BE"),
)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str  # the path as the user will see it in reports


@dataclass(frozen=True)
class WalkOptions:
    """How paths become files to check (the command line's and [tool.udplint]'s excludes)."""

    exclude: Sequence[str] = ()  # replaces [tool.udplint] exclude when given on the command line
    extend_exclude: Sequence[str] = ()  # added to exclude, from both the command line and config
    default_excludes: bool = True
    force_exclude: bool = False  # apply the excludes to paths named explicitly too
    respect_gitignore: bool = True

    @classmethod
    def from_args(cls, args) -> "WalkOptions":
        """From `udplint check`'s parsed options (after config.resolve filled them in)."""
        return cls(exclude=tuple(getattr(args, "exclude", None) or ()),
                   extend_exclude=tuple(getattr(args, "extend_exclude", None) or ()),
                   force_exclude=bool(getattr(args, "force_exclude", False)),
                   respect_gitignore=bool(getattr(args, "respect_gitignore", True)))

    @property
    def patterns(self) -> tuple:
        return tuple(self.exclude) + tuple(self.extend_exclude) + (DEFAULT_EXCLUDES if self.default_excludes else ())


class PathNotFound(Exception):
    pass


class UnreadableSource(Exception):
    """A file that cannot be checked; `kind` is a FileError kind (read, decode, too-large, skipped)."""

    def __init__(self, reason: str, kind: str = "read") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind

    def error(self, display: str) -> FileError:
        return FileError(display, self.reason, self.kind)


# ---------------------------------------------------------------------------------------------
# Bounded reads of regular files only


def describe_file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _not_regular(mode: int) -> UnreadableSource:
    return UnreadableSource(f"{describe_file_type(mode)}, not a regular file", "skipped")


def _too_large(size: int, limit: int) -> UnreadableSource:
    shown = f"{size} bytes" if size <= limit else f"more than {limit} bytes"
    return UnreadableSource(f"{shown} (limit {limit} bytes)", "too-large")


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return error.strerror or str(error)


def read_regular_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; UnreadableSource for anything else.

    The type is checked before opening (opening some devices has effects) and again on the open
    descriptor (the name may have been swapped in between); at most `limit` + 1 bytes are read,
    so a file that grows, or lies about its size, cannot exhaust memory.
    """
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(before.st_mode)
        if before.st_size > limit:
            raise _too_large(before.st_size, limit)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise UnreadableSource(_os_reason(error)) from None
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            raise _not_regular(opened.st_mode)
        chunks: List[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise UnreadableSource(_os_reason(error)) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def decode_python(raw: bytes) -> str:
    """Decoded text honouring a BOM and a PEP 263 coding cookie, as CPython reads source."""
    for bom, name in _WIDE_BOMS:
        if raw.startswith(bom):
            raise UnreadableSource(f"{name} text (byte order mark); Python source must be UTF-8 "
                                   "or declare an ASCII-compatible coding", "decode")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        raise UnreadableSource(str(error), "decode") from None


def read_python(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes, str]:
    """Return (raw bytes, decoded text) of a Python file, or raise UnreadableSource."""
    raw = read_regular_bytes(path, limit)
    return raw, decode_python(raw)


# ---------------------------------------------------------------------------------------------
# What counts as a file to check


def _is_excluded(path: Path, patterns: Sequence[str]) -> bool:
    """The path's name or its whole path matches a pattern, as a glob (`fnmatch`), also as
    `*/PATTERN` and `PATTERN/*`."""
    by_name, by_path = _exclude_matchers(tuple(patterns))
    return bool(by_name.match(path.name) or by_path.match(path.as_posix()))


@functools.lru_cache(maxsize=16)
def _exclude_matchers(patterns: tuple) -> tuple:
    """Every pattern in one compiled alternation: the walk asks once per entry of the tree, and
    four `fnmatch` calls per pattern per entry were most of the walk's time on a large tree."""
    never = re.compile(r"(?!)")
    if not patterns:
        return never, never
    by_name = "|".join(fnmatch.translate(pattern) for pattern in patterns)
    by_path = "|".join(fnmatch.translate(form) for pattern in patterns
                       for form in (pattern, f"*/{pattern}", f"{pattern}/*"))
    return re.compile(by_name), re.compile(by_path)


def _is_excluded_with_parents(path: Path, patterns: Sequence[str]) -> bool:
    """For a path named on the command line: it, or one of the folders it names, is excluded."""
    normal = Path(os.path.normpath(path))
    candidates = [normal, *[p for p in normal.parents if p.name]]
    return any(_is_excluded(candidate, patterns) for candidate in candidates)


def _has_python_shebang(path: Path) -> bool:
    try:
        head = _head(path)
    except UnreadableSource:
        return False
    return bool(_PYTHON_SHEBANG.match(head))


def _head(path: Path) -> bytes:
    """The first bytes of a regular file (for its shebang), opened as carefully as a full read."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise UnreadableSource(_os_reason(error)) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnreadableSource("not a regular file", "skipped")
        return os.read(descriptor, _SHEBANG_BYTES)
    except OSError as error:
        raise UnreadableSource(_os_reason(error)) from None
    finally:
        os.close(descriptor)


def is_python_file(path: Path) -> bool:
    if path.suffix in PYTHON_SUFFIXES:
        return True
    if path.suffix:
        return False
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    return _has_python_shebang(path)


def is_polyglot_file(path: Path) -> bool:
    return path.suffix in POLYGLOT_SUFFIXES


def _named_by_suffix(path: Path) -> bool:
    return path.suffix in PYTHON_SUFFIXES or is_polyglot_file(path)


# ---------------------------------------------------------------------------------------------
# The walk


class _Walker:
    def __init__(self, options: WalkOptions, problems: Optional[List[FileError]]) -> None:
        self.options = options
        self.patterns = options.patterns
        self.file_patterns = tuple(options.exclude) + tuple(options.extend_exclude)
        self.problems = problems
        self.gitignores = GitIgnores() if options.respect_gitignore else None

    def report(self, error: FileError) -> None:
        if self.problems is not None:
            self.problems.append(error)

    def _git_ignored(self, path: Path, is_dir: bool, with_parents: bool = False) -> bool:
        return self.gitignores is not None and self.gitignores.ignored(path, is_dir, with_parents)

    def explicit(self, raw: str) -> Iterator[SourceFile]:
        root = Path(raw)
        try:
            info = os.stat(root)
        except FileNotFoundError:
            if os.path.lexists(root):
                self.report(FileError(raw, "broken symbolic link"))
                return
            if self.problems is None:
                raise PathNotFound(f"{raw}: no such file or directory") from None
            self.report(FileError(raw, "no such file or directory", "missing"))
            return
        except OSError as error:
            self.report(FileError(raw, _os_reason(error)))
            return
        if self.options.force_exclude and self._force_excluded(root, stat.S_ISDIR(info.st_mode)):
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self.walk(root)
        elif stat.S_ISREG(info.st_mode):
            yield SourceFile(root, raw)
        else:
            self.report(_not_regular(info.st_mode).error(raw))

    def _force_excluded(self, path: Path, is_dir: bool) -> bool:
        return _is_excluded_with_parents(path, self.patterns) or self._git_ignored(path, is_dir, with_parents=True)

    def walk(self, root: Path) -> Iterator[SourceFile]:
        pending = [root]
        while pending:
            folder = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                self.report(FileError(str(folder), _os_reason(error)))
                continue
            subfolders = []
            for entry in entries:
                path = folder / entry.name
                if entry.is_dir(follow_symlinks=False):
                    if not _is_excluded(path, self.patterns) and not self._git_ignored(path, True):
                        subfolders.append(path)
                    continue
                found = self._file(path, entry)
                if found is not None:
                    yield found
            pending.extend(reversed(subfolders))  # depth first, in name order

    def _file(self, path: Path, entry: os.DirEntry) -> Optional[SourceFile]:
        by_suffix = _named_by_suffix(path)
        if not by_suffix and path.suffix:
            return None  # not a name we check: not even stat()ed
        if _is_excluded(path, self.file_patterns) or self._git_ignored(path, False):
            return None
        try:
            mode = entry.stat(follow_symlinks=True).st_mode
        except OSError as error:
            if by_suffix:
                broken = isinstance(error, FileNotFoundError) and entry.is_symlink()
                self.report(FileError(str(path), "broken symbolic link" if broken else _os_reason(error)))
            return None
        if stat.S_ISDIR(mode):
            return None  # a symlink to a folder: folders are not followed through links
        if not stat.S_ISREG(mode):
            if by_suffix:
                self.report(_not_regular(mode).error(str(path)))
            return None
        if by_suffix or _has_python_shebang(path):
            return SourceFile(path, str(path))
        return None


def discover(paths: Iterable[str], exclude: Sequence[str] = (), default_excludes: bool = True, *,
             options: Optional[WalkOptions] = None,
             problems: Optional[List[FileError]] = None) -> Iterator[SourceFile]:
    """Yield the files to check, in a stable order.

    With `problems`, paths that cannot be checked (missing, special files, unreadable folders)
    are appended to it as FileErrors and the walk goes on; without it a missing path raises
    PathNotFound (the old contract) and other problems are dropped.
    """
    if options is None:
        options = WalkOptions(exclude=tuple(exclude), default_excludes=default_excludes)
    walker = _Walker(options, problems)
    for raw in paths:
        yield from walker.explicit(raw)
