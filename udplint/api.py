"""The programmatic entry point: check paths, get findings. The CLI and plugins are thin on top."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from .findings import FileError, Finding
from .fixing import finish_findings
from .noqa import suppressed
from .python.facts import collect
from .python.flow import Flow
from .python.prefilter import may_contain_udp_server
from .python.project import Project
from .python.rules import findings as python_findings
from .sources import SourceFile, UnreadableSource, WalkOptions, decode_python, discover, is_polyglot_file, \
    read_regular_bytes


@dataclass
class CheckResult:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0
    files_seen: int = 0


def select_codes(findings: Iterable[Finding], select: Optional[Sequence[str]], ignore: Sequence[str]) -> List[Finding]:
    """ruff-style prefix matching: `UDP` selects all, `UDP00` the first ten."""

    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.upper()) or p.upper() == "ALL" for p in prefixes)

    return [
        f for f in findings
        if (not select or matches(f.code, select)) and not matches(f.code, ignore)
    ]


def check_python(files: Sequence[SourceFile], result: CheckResult) -> List[Finding]:
    project = Project()
    for source in files:
        try:
            data = read_regular_bytes(source.path)
            decode_python(data)  # a file CPython could not read is not "checked", whatever it holds
        except UnreadableSource as error:
            result.errors.append(error.error(source.display))
            continue
        result.files_checked += 1
        if not may_contain_udp_server(data):
            continue
        loaded = project.add_file(source.path, source.display, checked=True)
        if isinstance(loaded, FileError):
            result.errors.append(loaded)
            result.files_checked -= 1
    if not project.modules:
        return []
    flow = Flow(project).solve()
    facts = collect(flow)
    return finish_findings(python_findings(facts), facts)


def check_paths(
    paths: Sequence[str],
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    polyglot: bool = True,
    noqa: bool = True,
    walk: Optional[WalkOptions] = None,
) -> CheckResult:
    """`noqa=False` keeps findings on `# noqa` lines (the flake8 plugin leaves them to flake8).
    `walk` (excludes, .gitignore, --force-exclude) overrides `exclude`; paths that cannot be
    checked, missing ones included, end up in `result.errors`."""
    result = CheckResult()
    python_files: List[SourceFile] = []
    other_files: List[SourceFile] = []
    walk = walk or WalkOptions(exclude=tuple(exclude))
    for source in discover([str(p) for p in paths], options=walk, problems=result.errors):
        result.files_seen += 1
        (other_files if is_polyglot_file(source.path) else python_files).append(source)
    found = check_python(python_files, result)
    if other_files and polyglot:
        found += check_polyglot(other_files, result)
    if noqa:
        found = [f for f in found if not suppressed(f.source_line, f.code)]
    result.findings = sorted(select_codes(found, select, ignore), key=Finding.sort_key)
    result.errors.sort(key=lambda e: e.filename)
    return result


def check_polyglot(files: Sequence[SourceFile], result: CheckResult) -> List[Finding]:
    from .polyglot import semgrep  # imported lazily: semgrep is optional for pure-Python users

    found, errors = semgrep.check_files([f.path for f in files])
    result.errors.extend(errors)
    result.files_checked += len(files) - len(errors)
    return found
