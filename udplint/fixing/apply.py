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
from typing import Dict, List, Optional, Sequence

import libcst as cst

from ..findings import FileError, Finding
from .planning import SAFE, UNSAFE, plan_findings
from .from_analysis import file_texts, targets_by_finding
from .plan import render
from ..atomic import WriteRefused, replace_file
from ..atomic import _check_replaceable as check_replaceable  # the same test replace_file makes
from ..sources import UnreadableSource, read_regular_bytes


@dataclass
class FileChange:
    path: Path
    display: str
    before: str
    after: str
    fixed: int  # findings this change fixes
    codes: tuple = ()  # the rule code of each fixed finding
    linked: tuple = ()  # paths of the other files a fix across modules changes with this one

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
    found = {key: value for key, value in targets_by_finding(analysis).items() if key in keys}
    workspace, plans = plan_findings(file_texts(analysis), {key: targets for key, (_, targets) in found.items()})
    chosen = {key: plan for key, plan in plans.items() if plan.applicable and plan.applicability in wanted}
    displays = {str(m.path): m.display for m in analysis.program.modules if m.checked}
    home = {key: found[key][0] for key in chosen}
    while chosen:
        changes, failed = _render_all(workspace, chosen, home, displays, outcome)
        if not failed:
            outcome.changes.extend(changes)
            break
        # a fix that spans modules is applied whole or not at all: drop every plan that edits a
        # file whose new text did not parse, and render the others again
        chosen = {key: plan for key, plan in chosen.items() if not set(plan.paths(workspace.sources())) & failed}
    outcome.changes.sort(key=lambda c: c.display)
    return outcome


def _render_all(workspace, chosen, home, displays, outcome: FixOutcome):
    """One FileChange per file the chosen plans change; the paths whose new text does not parse."""
    sources = workspace.sources()
    touched = {key: plan.paths(sources) for key, plan in chosen.items()}
    changes, failed = [], set()
    for source in sources:
        plans = [plan for key, plan in chosen.items() if source.path in touched[key]]
        if not plans:
            continue
        display = displays.get(source.path, source.path)
        try:
            after = render(source, plans)
            cst.parse_module(after)  # re-parse before writing: never write what does not parse
            compile(after, source.path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, cst.ParserSyntaxError) as error:
            outcome.errors.append(FileError(display, f"fix not applied: {type(error).__name__}: {error}", "fix"))
            failed.add(source.path)
            continue
        if after == source.text:
            continue
        # each finding is counted once: in its own file, or in the first file its fix changes
        codes = sorted(key[3] for key in chosen
                       if source.path == (home[key] if home[key] in touched[key] else touched[key][0]))
        linked = sorted({path for key in chosen if source.path in touched[key] for path in touched[key]} - {source.path})
        changes.append(FileChange(Path(source.path), display, source.text, after, len(codes), tuple(codes), tuple(linked)))
    return changes, failed


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


def _cannot_write(change: FileChange) -> Optional[str]:
    """Why `change` would not be written (checked before any file of a fix across modules is)."""
    try:
        raw = read_regular_bytes(change.path)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        if raw.decode(encoding) != change.before:
            return "the file changed while it was being fixed"
        check_replaceable(str(change.path))
    except UnreadableSource as error:
        return error.reason
    except WriteRefused as error:
        return str(error)
    except (OSError, SyntaxError, UnicodeError, LookupError) as error:
        return getattr(error, "strerror", None) or str(error)
    return None


def _held_back(changes: Sequence[FileChange]) -> Dict[str, str]:
    """path -> reason, for the files of fixes across modules that must not be written because
    one of their files cannot be: a half-applied fix would break the program."""
    refused = {}
    for change in changes:
        reason = _cannot_write(change) if change.linked else None
        if reason:
            refused[str(change.path)] = reason
    held = dict(refused)
    for change in changes:
        other = next((path for path in change.linked if path in refused), None)
        if other is not None and str(change.path) not in held:
            held[str(change.path)] = f"not applied: {other} of the same fix cannot be written ({refused[other]})"
    return held


def apply_fixes(outcome: FixOutcome) -> FixOutcome:
    """Write every change; changes that could not be written move to errors. The files of a fix
    across modules are written all or none (each is checked before the first is written)."""
    held = _held_back(outcome.changes)
    written = []
    for change in outcome.changes:
        reason = held.get(str(change.path)) or write_change(change)
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
