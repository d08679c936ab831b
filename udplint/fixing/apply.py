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

from ..api import select_codes
from ..findings import FileError
from ..noqa import suppressed
from ..python.facts import collect
from ..python.flow import Flow
from ..python.prefilter import may_contain_udp_server
from ..python.project import Project
from ..python.rules import findings as python_findings
from ..atomic import WriteRefused, replace_file
from ..sources import UnreadableSource, WalkOptions, discover, is_polyglot_file, read_regular_bytes
from . import SAFE, UNSAFE, Plan, plans_by_finding, render


@dataclass
class FileChange:
    path: Path
    display: str
    before: str
    after: str
    fixed: int  # findings this change fixes

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

    @property
    def fixed(self) -> int:
        return sum(c.fixed for c in self.changes)


def plan_fixes(paths: Sequence[str], unsafe: bool = False, select=None, ignore: Sequence[str] = (),
               exclude: Sequence[str] = (), walk: Optional[WalkOptions] = None) -> FixOutcome:
    """Work out every applicable fix under `paths`; nothing is written. Files that cannot be read
    are left to the check that follows to report."""
    outcome = FixOutcome()
    project = Project()
    walk = walk or WalkOptions(exclude=tuple(exclude))
    for source in discover([str(p) for p in paths], options=walk, problems=[]):
        if is_polyglot_file(source.path):
            continue
        try:
            if not may_contain_udp_server(read_regular_bytes(source.path)):
                continue
        except UnreadableSource:
            continue
        loaded = project.add_file(source.path, source.display, checked=True)
        if isinstance(loaded, FileError):
            outcome.errors.append(loaded)
    if not project.modules:
        return outcome
    facts = collect(Flow(project).solve())
    wanted = {SAFE, UNSAFE} if unsafe else {SAFE}
    found = [f for f in python_findings(facts) if not suppressed(f.source_line, f.code)]
    keys = {(f.filename, f.location.row, f.location.column, f.code) for f in select_codes(found, select, ignore)}
    by_module: Dict[int, List[Plan]] = {}
    modules = {}
    for key, plan in plans_by_finding(facts).items():
        if key in keys and plan.applicable and plan.applicability in wanted and plan.module.checked:
            by_module.setdefault(id(plan.module), []).append(plan)
            modules[id(plan.module)] = plan.module
    for ident, plans in by_module.items():
        module = modules[ident]
        try:
            after = render(module, plans)
            cst.parse_module(after)
            compile(after, str(module.path), "exec", dont_inherit=True)
        except Exception as error:  # never write what does not parse
            reason = f"the fixed text would not parse ({type(error).__name__}: {error}); not applied"
            outcome.errors.append(FileError(module.display, reason, "fix"))
            continue
        if after != module.source:
            outcome.changes.append(FileChange(module.path, module.display, module.source, after, len(plans)))
    outcome.changes.sort(key=lambda c: c.display)
    return outcome


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
