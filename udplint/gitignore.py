"""`.gitignore` matching for the directory walk, as gitignore(5) describes it.

Read in-process (git is never run to walk a tree): the repository's `.git/info/exclude`, then each
`.gitignore` from the repository root down to the folder of the path, the last matching pattern
winning. Only trees inside a git repository (a `.git` at or above them) are affected, as with git
itself. Global excludes (`core.excludesFile`) are the user's editor leftovers, not the project's,
and are not read.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Pattern

MAX_IGNORE_FILE_BYTES = 1024 * 1024  # a larger .gitignore is not a list of patterns anyone wrote


@dataclass(frozen=True)
class IgnoreRule:
    base: str  # folder holding the .gitignore, relative to the repository root ("" at the root)
    pattern: Pattern[str]
    negated: bool
    directories_only: bool


def _glob_to_regex(glob: str) -> str:
    """gitignore glob to regex: `*` and `?` stop at `/`, `**` crosses folders, `[...]` classes."""
    out: List[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i) and (i == 0 or glob[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2 if glob[i + 1:i + 2] in ("!", "^", "]") else i + 1)
            if end < 0:
                out.append(re.escape("["))
                i += 1
                continue
            body = glob[i + 1:end]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def parse_line(line: str, base: str) -> Optional[IgnoreRule]:
    line = line.rstrip("\n").rstrip("\r")
    if not line or line.startswith("#"):
        return None
    # Trailing spaces are dropped unless the last one is escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    directories_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    regex = _glob_to_regex(line)
    if not anchored:
        regex = "(?:.*/)?" + regex
    try:
        pattern = re.compile(regex + r"\Z", re.DOTALL)
    except re.error:  # a class git would also read literally: ignore the line, as git does
        return None
    return IgnoreRule(base, pattern, negated, directories_only)


def _read_rules(path: Path, base: str) -> List[IgnoreRule]:
    from .sources import UnreadableSource, read_regular_bytes  # sources imports this module

    if not os.path.lexists(path):
        return []
    try:  # a .gitignore that is a FIFO, a device or huge is no list of patterns: read as empty
        text = read_regular_bytes(path, MAX_IGNORE_FILE_BYTES).decode("utf-8", "surrogateescape")
    except UnreadableSource:
        return []
    rules = (parse_line(line, base) for line in text.splitlines())
    return [rule for rule in rules if rule is not None]


def repository_root(start: Path) -> Optional[Path]:
    folder = Path(os.path.abspath(start))
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


class GitIgnore:
    """Answers "does git ignore this path?" for the paths of one repository, reading each
    `.gitignore` once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_text = os.path.abspath(root)
        self._root_prefix = self._root_text.rstrip(os.sep) + os.sep
        self._by_folder: Dict[str, List[IgnoreRule]] = {}
        self._info = _read_rules(root / ".git" / "info" / "exclude", "")

    def _folder_rules(self, folder: str) -> List[IgnoreRule]:
        if folder not in self._by_folder:
            self._by_folder[folder] = _read_rules(self.root / folder / ".gitignore", folder)
        return self._by_folder[folder]

    def _relative(self, path: Path) -> Optional[str]:
        absolute = os.path.abspath(path)
        if absolute == self._root_text:
            return "."
        if not absolute.startswith(self._root_prefix):
            return None
        return absolute[len(self._root_prefix):].replace(os.sep, "/")

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether git ignores `path` itself (the caller walks top-down and prunes ignored folders)."""
        relative = self._relative(path)
        if not relative or relative == ".":
            return False
        parts = relative.split("/")
        folders = [""] + ["/".join(parts[:n]) for n in range(1, len(parts))]
        verdict = False
        for rules in [self._info] + [self._folder_rules(folder) for folder in folders]:
            for rule in rules:
                if rule.directories_only and not is_dir:
                    continue
                tail = relative[len(rule.base) + 1:] if rule.base else relative
                if rule.pattern.match(tail):
                    verdict = not rule.negated
        return verdict

    def ignored_with_parents(self, path: Path, is_dir: bool) -> bool:
        """For a path named on the command line: ignored itself, or inside an ignored folder."""
        relative = self._relative(path)
        if not relative or relative == ".":
            return False
        parts = relative.split("/")
        for n in range(1, len(parts)):
            if self.ignored(self.root.joinpath(*parts[:n]), True):
                return True
        return self.ignored(path, is_dir)


class GitIgnores:
    """One GitIgnore per repository met during a run."""

    def __init__(self) -> None:
        self._root_of: Dict[str, Optional[Path]] = {}
        self._matchers: Dict[Path, GitIgnore] = {}

    def for_path(self, path: Path) -> Optional[GitIgnore]:
        root = self._root(os.path.dirname(os.path.abspath(path)))
        if root is None:
            return None
        if root not in self._matchers:
            self._matchers[root] = GitIgnore(root)
        return self._matchers[root]

    def _root(self, folder: str) -> Optional[Path]:
        """`repository_root`, remembered for every folder on the way up: a walk asks for each
        file, and siblings and cousins share all but their last folders."""
        known = self._root_of.get(folder)
        if known is not None or folder in self._root_of:
            return known
        if os.path.lexists(os.path.join(folder, ".git")):
            root: Optional[Path] = Path(folder)
        else:
            parent = os.path.dirname(folder)
            root = None if parent == folder else self._root(parent)
        self._root_of[folder] = root
        return root

    def ignored(self, path: Path, is_dir: bool, with_parents: bool = False) -> bool:
        matcher = self.for_path(path)
        if matcher is None:
            return False
        return matcher.ignored_with_parents(path, is_dir) if with_parents else matcher.ignored(path, is_dir)
