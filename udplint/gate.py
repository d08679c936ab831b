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

from .findings import Finding

BASELINE_VERSION = 1


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
                self._files[filename] = Path(filename).read_text("utf-8", errors="replace").splitlines()
            except OSError:
                self._files[filename] = []
        lines = self._files[filename]
        return lines[row - 1] if 0 < row <= len(lines) else ""


def content_key(finding: Finding, path: str, lines: Optional[_Lines] = None) -> str:
    """A hash of path + rule + the reported line's normalized text: stable when other lines move."""
    text = finding.source_line or (lines or _Lines()).line(finding.filename, finding.location.row)
    digest = hashlib.sha256("\0".join((path, finding.code, normalized_line(text))).encode("utf-8"))
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
    base = path.resolve().parent
    lines = _Lines()
    entries = []
    for finding in sorted(findings, key=Finding.sort_key):
        relative = posix_path(finding.filename, base)
        entries.append({
            "path": relative,
            "code": finding.code,
            "fingerprint": content_key(finding, relative, lines),
            "line": finding.location.row,  # informational only: matching ignores it
            "message": finding.message,
        })
    document = {"udplint_baseline": BASELINE_VERSION, "findings": entries}
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)  # atomic: a failed write never leaves half a baseline
    except OSError as error:
        raise GateError(f"cannot write baseline {path}: {error.strerror or error}") from None


def read_baseline(path: Path) -> Counter:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GateError(f"cannot read baseline {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise GateError(f"baseline {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("udplint_baseline") != BASELINE_VERSION:
        raise GateError(f"{path} is not a udplint baseline (write one with --write-baseline)")
    try:
        return Counter((e["path"], e["code"], e["fingerprint"]) for e in document["findings"])
    except (KeyError, TypeError):
        raise GateError(f"baseline {path} is malformed; write it again with --write-baseline") from None


def new_since_baseline(findings: Sequence[Finding], path: Path) -> List[Finding]:
    """The findings the baseline does not account for, counting occurrences."""
    known = read_baseline(path)
    base = path.resolve().parent
    lines = _Lines()
    fresh = []
    for finding in sorted(findings, key=Finding.sort_key):
        relative = posix_path(finding.filename, base)
        key = (relative, finding.code, content_key(finding, relative, lines))
        if known[key] > 0:
            known[key] -= 1
        else:
            fresh.append(finding)
    return fresh


# ---------------------------------------------------------------------------------------------
# Changed lines since the merge base


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _git(cwd: Path, *args: str) -> str:
    try:
        completed = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd,
                                   capture_output=True, text=True, errors="replace")
    except FileNotFoundError:
        raise GateError("--diff-base needs git, and git is not installed") from None
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["git failed"])[-1]
        raise GateError(f"git {args[0]}: {reason}")
    return completed.stdout


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
    root = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    try:
        base = _git(root, "merge-base", ref, "HEAD").strip()
    except GateError as error:
        raise GateError(f"--diff-base {ref}: no merge base with HEAD ({error})") from None
    # Against the work tree, so staged and unstaged edits count as changes too.
    diff = _git(root, "diff", "-U0", "--no-color", "--no-ext-diff", base, "--")
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
