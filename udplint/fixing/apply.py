"""Apply fixes to files: render each module once, check the result parses, write atomically.

A file is written only when its new text parses, keeping its encoding (coding cookie, BOM), its
newline style, its mode and its owner; a file that cannot be fixed is left byte-for-byte unchanged
(read-only files, hard-linked files and special files are refused: see udplint.atomic).
"""
from __future__ import annotations

import difflib
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

import libcst as cst

from ..findings import FileError, Finding
from . import SAFE, UNSAFE, plan_file
from .from_analysis import file_texts, targets_by_path
from .plan import render
from ..atomic import WriteRefused, replace_file
from ..sources import UnreadableSource, read_regular_bytes


@dataclass
class FileChange:
    path: Path
    display: str
    before: str
    after: str
    fixed: int  # findings this change fixes
    codes: tuple = ()  # the rule code of each fixed finding

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=f"a/{self.display}", tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


@dataclass
class FixOutcome:
    changes: List[FileChange] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    findings: int = 0  # findings selected before fixing

    @property
    def fixed(self) -> int:
        return sum(c.fixed for c in self.changes)


def plan_fixes(analysis, findings: Sequence[Finding], unsafe: bool = False) -> FixOutcome:
    """Every applicable fix for `findings` (the check's findings after selection: noqa, select,
    per-file-ignores, baseline), planned from the analysis they came from; nothing is written."""
    outcome = FixOutcome(findings=len(findings))
    if analysis is None or analysis.facts is None:
        return outcome
    keys = {(f.filename, f.location.row, f.location.column, f.code) for f in findings}
    wanted = {SAFE, UNSAFE} if unsafe else {SAFE}
    texts = file_texts(analysis)
    displays = {str(m.path): m.display for m in analysis.program.modules if m.checked}
    for path, targets in sorted(targets_by_path(analysis).items()):
        chosen = {key: target for key, target in targets.items() if key in keys}
        if path not in texts or not chosen:
            continue
        change = _file_change(Path(path), displays[path], texts[path], chosen, wanted, outcome)
        if change is not None:
            outcome.changes.append(change)
    outcome.changes.sort(key=lambda c: c.display)
    return outcome


def _file_change(path: Path, display: str, text: str, targets, wanted, outcome: FixOutcome) -> Optional[FileChange]:
    source, plans = plan_file(str(path), text, targets)
    chosen = [p for p in plans.values() if p.applicable and p.applicability in wanted]
    if not chosen:
        return None
    try:
        after = render(source, chosen)
        cst.parse_module(after)  # re-parse before writing: never write what does not parse
        compile(after, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, cst.ParserSyntaxError) as error:
        outcome.errors.append(FileError(display, f"fix not applied: {type(error).__name__}: {error}", "fix"))
        return None
    if after == text:
        return None
    fixed = sorted(key[3] for key, p in plans.items() if any(p is c for c in chosen))
    return FileChange(path, display, text, after, len(fixed), tuple(fixed))


def write_change(change: FileChange) -> Optional[str]:
    """Write one change atomically (see udplint.atomic); returns a reason when the file was left alone."""
    try:
        raw = read_regular_bytes(change.path)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        if raw.decode(encoding) != change.before:
            return "the file changed while it was being fixed"
        replace_file(change.path, change.after.encode(encoding))
    except UnreadableSource as error:
        return error.reason
    except WriteRefused as error:
        return str(error)
    except (OSError, SyntaxError, UnicodeError, LookupError) as error:
        return getattr(error, "strerror", None) or str(error)
    return None


def apply_fixes(outcome: FixOutcome) -> FixOutcome:
    """Write every change; changes that could not be written move to errors."""
    written = []
    for change in outcome.changes:
        reason = write_change(change)
        if reason is None:
            written.append(change)
        else:
            outcome.errors.append(FileError(change.display, reason, "fix"))
    outcome.changes = written
    return outcome


def plan_fixes_for_paths(paths: Sequence[str], unsafe: bool = False, **check) -> FixOutcome:
    """Check `paths` once (keeping the analysis) and plan the fixes of its findings: what
    `udplint check --fix` does before writing, for callers that start from paths."""
    from ..api import check_paths

    result = check_paths([str(p) for p in paths], polyglot=False, need_analysis=True, **check)
    return plan_fixes(result.analysis, result.findings, unsafe=unsafe)
