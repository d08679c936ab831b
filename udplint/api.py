"""The programmatic entry point: check paths, get one result. The CLI and plugins are thin on top.

One analysis per run: sources -> Python engine and native runner -> findings. Selection
(`# noqa`, select/ignore) is applied here, once (per-file-ignores and the baseline gate are
applied by the CLI on this result); `--fix` consumes the same `CheckResult.analysis`, never a
second analysis of its own.
"""
from __future__ import annotations

import ast
import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

from .cache import Cache, default_cache_dir
from .findings import FileError, Finding, Location
from .noqa import suppressed
from .sources import (SourceFile, UnreadableSource, WalkOptions, decode_python, discover, is_polyglot_file, read_python,
                      read_regular_bytes)

SYNTAX_ERROR_CODE = "UDP900"


@dataclass
class CheckResult:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0
    files_seen: int = 0
    analysis: Optional[object] = None  # udplint.python.engine.Analysis, for fixes and statistics
    cache: Optional[Cache] = None
    # C/Go/Java files that needed semgrep when it is not installed, and why they were skipped
    skipped_native: List[str] = field(default_factory=list)
    skipped_reason: str = ""


@dataclass(frozen=True)
class RunOptions:
    """How to run, not what to report: the same findings for every value of these."""

    jobs: int = 0  # 0: one worker process per core; 1: in this process (no isolation, no budgets)
    cache_dir: Optional[Path] = None  # None: the default (`.udplint_cache` at the project root)
    use_cache: bool = True
    file_seconds: float = 30.0  # per-file budget for parsing and extraction in a worker

    def workers(self) -> int:
        """Worker processes to use; 0 means in this process."""
        if self.jobs == 1:
            return 0
        return self.jobs if self.jobs > 1 else max(1, os.cpu_count() or 1)

    def make_cache(self, settings_key: str = "") -> Cache:
        if not self.use_cache:
            return Cache(None, settings_key)
        return Cache(self.cache_dir or default_cache_dir(), settings_key)


def select_codes(findings: Iterable[Finding], select: Optional[Sequence[str]], ignore: Sequence[str]) -> List[Finding]:
    """ruff-style prefix matching: `UDP` selects all, `UDP00` the first ten."""

    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.upper()) or p.upper() == "ALL" for p in prefixes)

    return [
        f for f in findings
        if (not select or matches(f.code, select)) and not matches(f.code, ignore)
    ]


def _read(source: SourceFile, result: CheckResult) -> Optional[bytes]:
    """A regular file's bytes (bounded), decodable as Python source; else a diagnostic and None."""
    try:
        data = read_regular_bytes(source.path)
        decode_python(data)  # a file CPython could not read is not "checked", whatever it holds
        return data
    except UnreadableSource as error:
        result.errors.append(error.error(source.display))
        return None


def check_python(files: Sequence[SourceFile], result: CheckResult, options: RunOptions = RunOptions(),
                 buffers: Optional[Mapping[Path, str]] = None, need_analysis: bool = False,
                 roots: Sequence[Path] = ()) -> List[Finding]:
    """The Python findings; `need_analysis` (fixes) forbids answering from the whole-run cache."""
    from .python import runcache

    cache = result.cache or options.make_cache()
    result.cache = cache
    key = None
    if cache.enabled and not buffers and not need_analysis:
        key = runcache.run_key(cache, [(f.display, f.path) for f in files])
        cached = runcache.load(cache, key) if key else None
        if cached is not None:
            cache.stats.hits += 1
            result.errors.extend(cached.errors)
            result.files_checked += cached.checked
            return cached.findings
    errors_before = len(result.errors)
    found = _analyse_python(files, result, options, buffers, roots)
    if key is not None:
        analysis = result.analysis
        shipped = analysis.program.shipped  # a settings file edited, added or removed: run again
        on_demand = [m.path for m in analysis.program.modules if not m.checked] + shipped.files_read + shipped.directories
        runcache.store(cache, key, runcache.CachedRun(found, result.errors[errors_before:], analysis.checked),
                       on_demand)
    return found


def _analyse_python(files: Sequence[SourceFile], result: CheckResult, options: RunOptions,
                    buffers: Optional[Mapping[Path, str]], roots: Sequence[Path] = ()) -> List[Finding]:
    from .python.engine import Engine, EngineOptions, Source
    from .python.report import findings as python_findings

    cache = result.cache
    sources = []
    for file in files:
        buffered = buffers.get(file.path.resolve()) if buffers else None
        if buffered is not None:
            data: Optional[bytes] = buffered.encode("utf-8")
        else:
            data = _read(file, result)
        if data is not None:
            sources.append(Source(file.path, file.display, data))
    engine = Engine(cache, EngineOptions(jobs=options.workers(), file_seconds=options.file_seconds))
    analysis = engine.analyse(sources, roots)
    result.analysis = analysis
    result.errors.extend(analysis.errors)
    result.files_checked += analysis.checked
    found = python_findings(analysis.program, analysis.violations, analysis.texts)
    if found:
        from .fixing.planning import attach_fixes  # the fix (or exact suggestion) each finding offers

        found = attach_fixes(found, analysis)
    return found


def check_paths(
    paths: Sequence[str],
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    polyglot: bool = True,
    noqa: bool = True,
    options: RunOptions = RunOptions(),
    buffers: Optional[Mapping[str, str]] = None,
    context: Optional[Path] = None,
    need_analysis: bool = False,
    walk: Optional[WalkOptions] = None,
) -> CheckResult:
    """Check files and folders.

    `noqa=False` keeps findings on `# noqa` lines (the flake8 plugin leaves them to flake8).
    `buffers` maps a path (as given, or any path naming the same file) to source text that
    replaces the file's content on disk: an editor's unsaved buffer, or stdin. A buffered path
    named in `paths` is checked even if no such file exists.
    `context`: analyse this whole directory (a project) and report only the findings with a
    location (anchor or related) in one of `paths` (pre-commit passes changed files only).
    `need_analysis`: the caller fixes, so the result must carry the analysis (no whole-run cache).
    `walk` (excludes, .gitignore, --force-exclude) overrides `exclude`; paths that cannot be
    checked, missing ones included, end up in `result.errors`.
    """
    if context is not None:
        return _check_in_context(paths, context, select, ignore, exclude, polyglot, noqa, options, buffers,
                                 need_analysis, walk)
    result = CheckResult()
    by_file: Dict[Path, str] = {Path(name).resolve(): text for name, text in (buffers or {}).items()}
    python_files, other_files = _split_sources(paths, walk or WalkOptions(exclude=tuple(exclude)), by_file, result)
    roots = [Path(p) for p in paths if Path(p).is_dir()]
    found = check_python(python_files, result, options, by_file, need_analysis=need_analysis, roots=roots)
    if other_files and polyglot:
        found += check_polyglot(other_files, result, by_file)
    found += explain_syntax_errors(result, by_file)
    if noqa:
        found = [f for f in found if not suppressed(f.source_line, f.code)]
    result.findings = sorted(select_codes(found, select, ignore), key=Finding.sort_key)
    result.errors.sort(key=lambda e: e.filename)
    return result


def _check_in_context(paths, context: Path, select, ignore, exclude, polyglot, noqa, options, buffers,
                      need_analysis: bool = False, walk: Optional[WalkOptions] = None) -> CheckResult:
    wanted = set()
    for path in paths:
        try:
            wanted.add(Path(path).resolve())
        except OSError:
            continue
    shown = os.path.relpath(context) if not os.path.relpath(context).startswith("..") else str(context)
    result = check_paths([shown], select, ignore, exclude, polyglot, noqa, options, buffers,
                         need_analysis=need_analysis, walk=walk)

    def touches(finding: Finding) -> bool:
        files = [finding.filename, *(related.filename for related in finding.related)]
        return any(Path(name).resolve() in wanted for name in files)

    result.findings = [f for f in result.findings if touches(f)]
    result.errors = [e for e in result.errors if Path(e.filename).resolve() in wanted]
    return result


def _python_syntax_error(source: str, error: FileError) -> FileError:
    """Python's own message and position ("'(' was never closed" at the bracket) when it has one;
    libcst's says only where its parser gave up."""
    try:
        compile(source, error.filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as syntax:
        if syntax.lineno:
            where = Location(syntax.lineno, max(syntax.offset or 1, 1))
            return FileError(error.filename, f"syntax error at {where.row}:{where.column}: {syntax.msg}", "syntax",
                             location=where)
    except (ValueError, RecursionError, MemoryError):  # NUL bytes, absurd nesting: keep libcst's account
        pass
    return error


def explain_syntax_errors(result: CheckResult, buffers: Mapping[Path, str]) -> List[Finding]:
    """UDP900 for each file that does not parse, so CI fails on it as ruff's does."""
    found = []
    for index, error in enumerate(result.errors):
        if not error.is_syntax_error:
            continue
        lines = _source_lines(error.filename, buffers)
        error = result.errors[index] = _python_syntax_error("".join(lines), error)
        row = error.location.row
        found.append(Finding(
            code=SYNTAX_ERROR_CODE,
            filename=error.filename,
            location=error.location,
            end_location=error.location,
            message=f"invalid syntax: {error.reason.split(': ', 1)[-1]}",
            source_line=lines[row - 1].rstrip("\r\n") if 0 < row <= len(lines) else "",
        ))
    return found


def _source_lines(filename: str, buffers: Mapping[Path, str]) -> List[str]:
    key = Path(filename).resolve()
    try:
        text = buffers[key] if key in buffers else read_python(Path(filename))[1]
    except UnreadableSource:
        return []
    return text.splitlines(keepends=True)


def _split_sources(paths: Sequence[str], walk: WalkOptions, buffers: Mapping[Path, str],
                   result: CheckResult):
    """Python and C/Go/Java files to check. A buffer may name a file that is not on disk yet."""
    on_disk = [str(p) for p in paths if not (Path(p).resolve() in buffers and not Path(p).exists())]
    sources = [SourceFile(Path(p), str(p)) for p in paths if str(p) not in on_disk]
    sources += list(discover(on_disk, options=walk, problems=result.errors)) if on_disk else []
    python_files: List[SourceFile] = []
    other_files: List[SourceFile] = []
    for source in sources:
        result.files_seen += 1
        (other_files if is_polyglot_file(source.path) else python_files).append(source)
    return python_files, other_files


def check_polyglot(files: Sequence[SourceFile], result: CheckResult,
                   buffers: Optional[Mapping[Path, str]] = None) -> List[Finding]:
    from .polyglot import semgrep  # imported lazily: semgrep is optional for pure-Python users

    buffers = buffers or {}
    with tempfile.TemporaryDirectory(prefix="udplint-buffers-") as scratch:
        # semgrep reads files, so a buffered C/Go/Java file is written out under its own name
        stand_ins = {_stand_in(f, buffers, Path(scratch), index): f.display
                     for index, f in enumerate(files) if f.path.resolve() in buffers}
        shown = {str(f.path): f.display for f in files if f.path.resolve() not in buffers}
        targets = [Path(name) for name in shown] + [Path(name) for name in stand_ins]
        try:
            found, errors = semgrep.check_files(targets)
        except semgrep.SemgrepMissing as missing:
            shown.update(stand_ins)
            result.skipped_native = [shown[str(p)] for p in targets if _qualifies(semgrep, p)]
            result.skipped_reason = str(missing)
            return []
        found = [_shown_finding(f, stand_ins) for f in found]
        errors = [dataclasses.replace(e, filename=stand_ins.get(e.filename, e.filename)) for e in errors]
    result.errors.extend(errors)
    result.files_checked += len(files) - len(errors)
    return found


def _shown_finding(finding: Finding, stand_ins: Mapping[str, str]) -> Finding:
    """A finding on a buffer's temporary copy, named as the buffer (file, message, related)."""
    if not stand_ins:
        return finding
    message = _renamed(finding.message, stand_ins)
    related = tuple(dataclasses.replace(r, filename=stand_ins.get(r.filename, r.filename),
                                        message=_renamed(r.message, stand_ins)) for r in finding.related)
    return dataclasses.replace(finding, filename=stand_ins.get(finding.filename, finding.filename),
                               message=message, related=related)


def _renamed(text: str, stand_ins: Mapping[str, str]) -> str:
    for temporary, shown in stand_ins.items():
        text = text.replace(temporary, shown)
    return text


def _stand_in(source: SourceFile, buffers: Mapping[Path, str], scratch: Path, index: int) -> str:
    folder = scratch / str(index)
    folder.mkdir()
    path = folder / source.path.name
    path.write_text(buffers[source.path.resolve()], encoding="utf-8")
    return str(path)


def _qualifies(semgrep, path: Path) -> bool:
    """Whether semgrep would have been run on the file (it passes the native byte prefilter)."""
    from .polyglot import runner

    language = runner.LANGUAGE_OF_SUFFIX.get(path.suffix.lower())
    try:
        data = read_regular_bytes(path)
    except UnreadableSource:
        return False
    return language is not None and bool(runner.prefilter([runner.SourceText(str(path), language, data)]))
