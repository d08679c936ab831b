"""The pull-request gate: report only what a change introduces.

Two ways to tell new findings from old ones:

- changed lines (`--diff-base REF`): keep a finding if its line, or a line of one of its related
  locations, was added or changed since the merge base of REF and HEAD (uncommitted edits and new
  untracked files included);
- a baseline (`--write-baseline FILE`, then `--baseline FILE`): keep a finding unless the baseline
  holds it. Findings are matched by content, not by line number: file path + rule + the reported
  line's text with whitespace normalized. Matches are counted, so when the baseline knows one
  occurrence and the code now has two, one is reported.

The same content fingerprint, with an occurrence index, is SARIF's `partialFingerprints`, so
GitHub code scanning keeps tracking an alert when lines above it move.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .atomic import WriteRefused, replace_file
from .findings import Finding, printable
from .sources import UnreadableSource, read_regular_bytes

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 256 * 1024 * 1024


class GateError(Exception):
    """A gate that cannot run (not a git repository, unknown ref, unreadable baseline): exit 2."""


# ---------------------------------------------------------------------------------------------
# Content fingerprints


def normalized_line(text: str) -> str:
    return " ".join(text.split())


class _Lines:
    """Source lines read on demand, for findings that do not carry their line's text."""

    def __init__(self) -> None:
        self._files: Dict[str, List[str]] = {}

    def line(self, filename: str, row: int) -> str:
        if filename not in self._files:
            try:
                text = read_regular_bytes(Path(filename)).decode("utf-8", errors="replace")
                self._files[filename] = text.splitlines()
            except UnreadableSource:
                self._files[filename] = []
        lines = self._files[filename]
        return lines[row - 1] if 0 < row <= len(lines) else ""


def content_key(finding: Finding, path: str, lines: Optional[_Lines] = None) -> str:
    """A hash of path + rule + the reported line's normalized text: stable when other lines move."""
    text = finding.source_line or (lines or _Lines()).line(finding.filename, finding.location.row)
    # Spelt as printed: a file name's undecodable bytes (surrogate escapes) cannot be UTF-8 encoded.
    digest = hashlib.sha256(printable("\0".join((path, finding.code, normalized_line(text)))).encode("utf-8"))
    return digest.hexdigest()[:32]


def posix_path(filename: str, base: Optional[Path] = None) -> str:
    """`filename` relative to `base` (default: the current directory), with forward slashes."""
    absolute = Path(filename).resolve()
    base = (base or Path.cwd()).resolve()
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


def fingerprints(findings: Sequence[Finding], base: Optional[Path] = None) -> List[Tuple[str, int]]:
    """(content key, occurrence index) per finding: the nth finding, in file order, with a key gets n."""
    lines = _Lines()
    seen: Counter = Counter()
    result: List[Tuple[str, int]] = [("", 0)] * len(findings)
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    for i in order:
        key = content_key(findings[i], posix_path(findings[i].filename, base), lines)
        result[i] = (key, seen[key])
        seen[key] += 1
    return result


# ---------------------------------------------------------------------------------------------
# Baseline


def write_baseline(findings: Sequence[Finding], path: Path) -> None:
    base = Path(os.path.abspath(path)).parent  # where the user keeps it (a symlink is not followed)
    lines = _Lines()
    entries = []
    for finding in sorted(findings, key=Finding.sort_key):
        relative = printable(posix_path(finding.filename, base))
        entries.append({
            "path": relative,
            "code": finding.code,
            "fingerprint": content_key(finding, relative, lines),
            "line": finding.location.row,  # informational only: matching ignores it
            "message": printable(finding.message),
        })
    document = {"udplint_baseline": BASELINE_VERSION, "findings": entries}
    try:  # atomic: a failed write never leaves half a baseline; devices and read-only files are refused
        replace_file(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except WriteRefused as error:
        raise GateError(f"cannot write baseline {printable(str(path))}: {error}") from None
    except OSError as error:
        raise GateError(f"cannot write baseline {printable(str(path))}: {error.strerror or error}") from None


def _baseline_entry(entry: object) -> Tuple[str, str, str]:
    if not isinstance(entry, dict):
        raise TypeError("entry is not an object")
    fields = (entry["path"], entry["code"], entry["fingerprint"])
    if not all(isinstance(value, str) for value in fields):
        raise TypeError("path, code and fingerprint must be strings")
    return fields


def read_baseline(path: Path) -> Counter:
    shown = printable(str(path))
    try:
        raw = read_regular_bytes(path, MAX_BASELINE_BYTES)
    except UnreadableSource as error:
        raise GateError(f"cannot read baseline {shown}: {error.reason}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise GateError(f"baseline {shown} is not valid JSON: not UTF-8 (at byte {error.start})") from None
    except RecursionError:
        raise GateError(f"baseline {shown} is not a udplint baseline: JSON nested too deeply") from None
    except ValueError as error:
        raise GateError(f"baseline {shown} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("udplint_baseline") != BASELINE_VERSION:
        raise GateError(f"{shown} is not a udplint baseline (write one with --write-baseline)")
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise GateError(f"baseline {shown} is malformed ('findings' is not a list); "
                        "write it again with --write-baseline")
    try:
        return Counter(_baseline_entry(entry) for entry in entries)
    except (KeyError, TypeError) as error:
        raise GateError(f"baseline {shown} is malformed ({error}); write it again with --write-baseline") from None


def new_since_baseline(findings: Sequence[Finding], path: Path) -> List[Finding]:
    """The findings the baseline does not account for, counting occurrences."""
    known = read_baseline(path)
    base = Path(os.path.abspath(path)).parent  # where the user keeps it (a symlink is not followed)
    lines = _Lines()
    fresh = []
    for finding in sorted(findings, key=Finding.sort_key):
        relative = printable(posix_path(finding.filename, base))
        key = (relative, finding.code, content_key(finding, relative, lines))
        if known[key] > 0:
            known[key] -= 1
        else:
            fresh.append(finding)
    return fresh


# ---------------------------------------------------------------------------------------------
# Changed lines since the merge base


GIT_TIMEOUT_SECONDS = 120
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


# The scanned repository is not trusted: its config, attributes and hooks must not make git run
# anything. These override what .git/config may set (later -c wins over config files).
_SAFE_GIT_CONFIG = (
    "core.fsmonitor=false",  # a program git would run on every status-like command
    "core.hooksPath=/dev/null",  # no hooks (none of our commands run one; belt and braces)
    "core.untrackedCache=false",
    "core.quotePath=false",
    "core.pager=cat",
    "diff.external=",  # with --no-ext-diff: no external diff program
    "protocol.allow=never",  # no fetch (a partial clone's lazy fetch would run a transport)
    "credential.helper=",
    "core.sshCommand=false",
    "core.askPass=false",
)


def _git_environment() -> Dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        GIT_CONFIG_NOSYSTEM="1",  # nor /etc/gitconfig's programs
        GIT_NO_LAZY_FETCH="1",  # never fetch missing objects from a promisor remote
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        GIT_EXTERNAL_DIFF="",
        GIT_OPTIONAL_LOCKS="0",  # a read-only gate does not refresh the index
    )
    environment.pop("GIT_EXEC_PATH", None)
    return environment


def _neutral_drivers(cwd: Path) -> List[str]:
    """`-c` options emptying every filter and diff driver the repository's config names.

    A clean filter (`filter.NAME.clean` / `.process`, chosen by .gitattributes) runs when git
    compares a work-tree file; a diff driver's textconv or command runs on diff. Emptied, git
    reads the file's bytes as they are.
    """
    completed = _run_git(cwd, ("config", "--name-only", "--get-regexp", r"^(filter|diff)\."))
    options = []
    for name in completed.stdout.splitlines():
        section, _, key = name.rpartition(".")
        if key in ("clean", "smudge", "process", "textconv", "command"):
            options += ["-c", f"{section}.{key}="]
        if key == "required":
            options += ["-c", f"{section}.required=false"]
    return options


def _run_git(cwd: Path, args: Sequence[str], extra: Sequence[str] = ()) -> subprocess.CompletedProcess:
    command = ["git", "--no-pager"]
    for option in _SAFE_GIT_CONFIG:
        command += ["-c", option]
    try:
        return subprocess.run([*command, *extra, *args], cwd=cwd, capture_output=True, text=True,
                              errors="surrogateescape", env=_git_environment(), stdin=subprocess.DEVNULL,
                              timeout=GIT_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise GateError("--diff-base needs git, and git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GateError(f"git {args[0]} took longer than {GIT_TIMEOUT_SECONDS} s") from None


def _git(cwd: Path, *args: str) -> str:
    extra = _neutral_drivers(cwd) if args[0] in ("diff", "ls-files") else []
    completed = _run_git(cwd, args, extra)
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["git failed"])[-1]
        raise GateError(f"git {args[0]}: {printable(reason)}")
    return completed.stdout


def check_ref(ref: str) -> str:
    """A ref or revision to compare with; never something git would read as an option."""
    if not ref or ref.startswith("-") or "\0" in ref or any(c in ref for c in "\n\r"):
        raise GateError(f"--diff-base {printable(ref)!r} is not a git revision")
    return ref


def parse_added_lines(diff: str) -> Dict[str, Set[int]]:
    """Added or changed line numbers (new side) per path from `git diff -U0` output."""
    changed: Dict[str, Set[int]] = defaultdict(set)
    current: Optional[str] = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else target[2:] if target.startswith("b/") else target
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or 1)
                changed[current].update(range(start, start + count))
    return changed


def changed_lines(ref: str, cwd: Optional[Path] = None) -> Tuple[Path, Dict[str, Optional[Set[int]]]]:
    """(repository root, {repo-relative path: changed lines, or None for a wholly new file})."""
    cwd = cwd or Path.cwd()
    check_ref(ref)
    root = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    try:
        base = _git(root, "merge-base", "--end-of-options", ref, "HEAD").strip()
    except GateError as error:
        raise GateError(f"--diff-base {printable(ref)}: no merge base with HEAD ({error})") from None
    # Against the work tree, so staged and unstaged edits count as changes too.
    diff = _git(root, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", base, "--")
    changed: Dict[str, Optional[Set[int]]] = dict(parse_added_lines(diff))
    for path in _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if path:
            changed[path] = None
    return root, changed


def on_changed_lines(findings: Iterable[Finding], ref: str, cwd: Optional[Path] = None) -> List[Finding]:
    root, changed = changed_lines(ref, cwd)

    def touched(filename: str, row: int) -> bool:
        path = posix_path(filename, root)
        if path not in changed:
            return False
        rows = changed[path]
        return rows is None or row in rows

    return [
        f for f in findings
        if touched(f.filename, f.location.row) or any(touched(r.filename, r.location.row) for r in f.related)
    ]


# ---------------------------------------------------------------------------------------------
# Command line


def add_arguments(check) -> None:
    group = check.add_argument_group("pull-request gate")
    group.add_argument("--diff-base", metavar="REF",
                       help="report only findings on lines changed since the merge base of REF and HEAD "
                            "(work-tree changes and new files included)")
    group.add_argument("--baseline", metavar="FILE", help="report only findings that FILE does not record")
    group.add_argument("--no-baseline", action="store_true", help="ignore the baseline set in pyproject.toml")
    group.add_argument("--write-baseline", metavar="FILE",
                       help="record the current findings in FILE (then pass it to --baseline) and exit 0")


def narrow(findings: List[Finding], args, baseline: Optional[Path]) -> List[Finding]:
    """Apply --write-baseline / --baseline / --diff-base to the selected findings."""
    if getattr(args, "write_baseline", None):
        target = Path(args.write_baseline)
        write_baseline(findings, target)
        print(f"udplint: recorded {len(findings)} finding{'s' if len(findings) != 1 else ''} in {target}",
              file=sys.stderr)
        return []
    if baseline is not None and not getattr(args, "no_baseline", False):
        findings = new_since_baseline(findings, baseline)
    if getattr(args, "diff_base", None):
        findings = on_changed_lines(findings, args.diff_base)
    return findings
