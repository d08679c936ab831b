"""The programmatic entry point: check paths, get one result. The CLI and plugins are thin on top.

One analysis per run: sources -> Python engine and native runner -> findings. Selection
(`# noqa`, select/ignore) is applied here, once (per-file-ignores and the baseline gate are
applied by the CLI on this result); `--fix` consumes the same `CheckResult.analysis`, never a
second analysis of its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence

from .cache import Cache, default_cache_dir
from .findings import FileError, Finding
from .noqa import suppressed
from .sources import MAX_FILE_BYTES, SourceFile, discover, is_polyglot_file


@dataclass
class CheckResult:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0
    files_seen: int = 0
    analysis: Optional[object] = None  # udplint.python.engine.Analysis, for fixes and statistics
    cache: Optional[Cache] = None


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
    try:
        if source.path.stat().st_size > MAX_FILE_BYTES:
            result.errors.append(FileError(source.display, f"file is too large (limit {MAX_FILE_BYTES} bytes)"))
            return None
        return source.path.read_bytes()
    except OSError as error:
        result.errors.append(FileError(source.display, error.strerror or str(error)))
        return None


def check_python(files: Sequence[SourceFile], result: CheckResult, options: RunOptions = RunOptions(),
                 buffers: Optional[Mapping[str, str]] = None, need_analysis: bool = False,
                 roots: Sequence[Path] = ()) -> List[Finding]:
    """The Python findings; `need_analysis` (fixes) forbids answering from the whole-run cache."""
    from .python import runcache

    cache = result.cache or options.make_cache()
    result.cache = cache
    key = None
    if cache.enabled and buffers is None and not need_analysis:
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
        on_demand = [m.path for m in analysis.program.modules if not m.checked]
        runcache.store(cache, key, runcache.CachedRun(found, result.errors[errors_before:], analysis.checked),
                       on_demand)
    return found


def _analyse_python(files: Sequence[SourceFile], result: CheckResult, options: RunOptions,
                    buffers: Optional[Mapping[str, str]], roots: Sequence[Path] = ()) -> List[Finding]:
    from .python.engine import Engine, EngineOptions, Source
    from .python.report import findings as python_findings

    cache = result.cache
    sources = []
    for file in files:
        if buffers is not None and file.display in buffers:
            data: Optional[bytes] = buffers[file.display].encode("utf-8")
        else:
            data = _read(file, result)
        if data is not None:
            sources.append(Source(file.path, file.display, data))
    engine = Engine(cache, EngineOptions(jobs=options.workers(), file_seconds=options.file_seconds))
    analysis = engine.analyse(sources, roots)
    result.analysis = analysis
    result.errors.extend(analysis.errors)
    result.files_checked += analysis.checked
    return python_findings(analysis.program, analysis.violations)


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
) -> CheckResult:
    """`noqa=False` keeps findings on `# noqa` lines (the flake8 plugin leaves them to flake8).
    `buffers` maps a path as given to text that replaces the file's content (editors).
    `context`: analyse this whole directory (a project) and report only the findings with a
    location (anchor or related) in one of `paths` (pre-commit passes changed files only)."""
    if context is not None:
        return _check_in_context(paths, context, select, ignore, exclude, polyglot, noqa, options, buffers)
    result = CheckResult()
    python_files: List[SourceFile] = []
    other_files: List[SourceFile] = []
    for source in discover([str(p) for p in paths], exclude=exclude):
        result.files_seen += 1
        (other_files if is_polyglot_file(source.path) else python_files).append(source)
    roots = [Path(p) for p in paths if Path(p).is_dir()]
    found = check_python(python_files, result, options, buffers, roots=roots)
    if other_files and polyglot:
        found += check_polyglot(other_files, result)
    if noqa:
        found = [f for f in found if not suppressed(f.source_line, f.code)]
    result.findings = sorted(select_codes(found, select, ignore), key=Finding.sort_key)
    result.errors.sort(key=lambda e: e.filename)
    return result


def _check_in_context(paths, context: Path, select, ignore, exclude, polyglot, noqa, options, buffers) -> CheckResult:
    wanted = set()
    for path in paths:
        try:
            wanted.add(Path(path).resolve())
        except OSError:
            continue
    shown = os.path.relpath(context) if not os.path.relpath(context).startswith("..") else str(context)
    result = check_paths([shown], select, ignore, exclude, polyglot, noqa, options, buffers)

    def touches(finding: Finding) -> bool:
        files = [finding.filename, *(related.filename for related in finding.related)]
        return any(Path(name).resolve() in wanted for name in files)

    result.findings = [f for f in result.findings if touches(f)]
    result.errors = [e for e in result.errors if Path(e.filename).resolve() in wanted]
    return result


def check_polyglot(files: Sequence[SourceFile], result: CheckResult) -> List[Finding]:
    from .polyglot import semgrep  # imported lazily: semgrep is optional for pure-Python users

    found, errors = semgrep.check_files([f.path for f in files])
    result.errors.extend(errors)
    result.files_checked += len(files) - len(errors)
    return found
