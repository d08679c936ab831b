"""The Python analysis, stage by stage, cheapest first.

bytes -> prefilter (datagram markers, or an import of a module that has them) -> screen (a
CPython parse: markers only in strings or comments do not count) -> summaries (cache, else libcst
in worker processes) -> solver over all summaries (project modules they import are summarised on
demand) -> facts -> violations. Each stage's count and time go into `Stats` for `-v`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set

from ..cache import Cache
from ..findings import FileError, Location
from ..sources import UnreadableSource, read_regular_bytes
from . import summary as s
from .facts import ProgramFacts, collect
from . import gc_pause, prefilter, shipped
from .shipped import MAX_SETTINGS_FILES
from .program import Program
from .rules import Violation, violations
from .solver import Solver
from .workers import DEFAULT_FILE_MEMORY_MB, DEFAULT_FILE_SECONDS, Job, Outcome, extract_source, run_jobs

@dataclass
class EngineOptions:
    jobs: int = 0  # worker processes; 0: in this process
    file_seconds: float = DEFAULT_FILE_SECONDS
    file_memory_mb: int = DEFAULT_FILE_MEMORY_MB


@dataclass
class Stats:
    seen: int = 0
    read_errors: int = 0
    prefilter_dropped: int = 0
    drivers: int = 0
    screen_dropped: int = 0
    extracted: int = 0
    cached: int = 0
    on_demand: int = 0
    solver_steps: int = 0
    budgets: List[str] = field(default_factory=list)
    times: Dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - started
        return now


@dataclass
class Source:
    """A file handed to the engine, which owns it from then on (it drops the bytes of files the
    prefilter drops)."""

    path: Path
    display: str
    data: bytes


@dataclass
class Analysis:
    program: Program
    facts: Optional[ProgramFacts]
    violations: List[Violation]
    errors: List[FileError]
    stats: Stats
    checked: int  # files analysed or known to hold nothing (prefilter/screen), not counting errors
    texts: Dict[Path, bytes] = field(default_factory=dict)  # resolved path -> the bytes analysed (buffers too)


class Engine:
    def __init__(self, cache: Cache, options: EngineOptions) -> None:
        self.cache = cache
        self.options = options
        self.stats = Stats()
        self.errors: List[FileError] = []
        self._summaries: Dict[Path, Optional[s.ModuleSummary]] = {}
        self._screened_keys: Set[str] = set()  # bytes the screen found nothing to analyse in

    # -- stages --------------------------------------------------------------------------------
    def analyse(self, sources: Sequence[Source], roots: Sequence[Path] = ()) -> Analysis:
        """`roots`: directories named on the command line; imports also resolve from them (a
        distribution's examples import its package from the distribution root)."""
        started = time.perf_counter()
        self.stats.seen += len(sources)
        core, rest = [], []
        for src in sources:
            (core if prefilter.is_core(src.data) else rest).append(src)
        started = self.stats.timed("prefilter", started)
        drivers: List[Source] = []  # found by find_drivers(), while the core files are extracted
        settings: Dict[str, Set[str]] = {}  # per module, the names it binds to a wildcard (prefilter.drivers)
        core_drivers: List[Source] = []

        def find_drivers() -> List[Source]:
            """Drivers among the rest, and core files that are drivers too (their markers may be
            parts of longer names, `MyThreadingUDPServer`: never screened). Runs while the
            workers parse the core files: its time is in both stages of `-v`."""
            began = time.perf_counter()
            candidates = prefilter.drivers(core, core + rest, settings)
            core_ids = {id(src) for src in core}
            drivers.extend(src for src in candidates if id(src) not in core_ids)
            core_drivers.extend(src for src in candidates if id(src) in core_ids)
            kept = {id(src) for src in drivers}
            for src in rest:
                if id(src) not in kept:
                    src.data = b""  # never read again: its memory goes to the summaries and the solver
            self.stats.drivers = len(drivers)
            self.stats.prefilter_dropped = len(rest) - len(drivers)
            self.stats.timed("prefilter", began)
            return drivers

        summaries = self._summarise(core, {id(src) for src in core}, later=find_drivers)
        screened_drivers = [src for src in core_drivers if self.cache.key(src.data) in self._screened_keys]
        if screened_drivers:  # screened before they were known to be drivers: analysed after all
            self.stats.screen_dropped -= len(screened_drivers)
            summaries.update(self._summarise(screened_drivers, set()))
        selected = core + drivers
        started = self.stats.timed("extract", started)
        program = Program(self._on_demand, extra_roots=_import_roots(roots, selected))
        program.wildcard_settings = settings
        driver_ids = {id(src) for src in drivers}
        for src in selected:
            summary = summaries.get(src.path)
            if summary is not None:
                program.add(src.path, src.display, summary, checked=True, driver=id(src) in driver_ids)
        self._prefetch(program)
        started = self.stats.timed("extract", started)
        syntax = {error.filename for error in self.errors if error.is_syntax_error}
        checked = len(sources) - sum(1 for src in selected
                                     if summaries.get(src.path) is None and src.display not in syntax)
        texts = {src.path.resolve(): src.data for src in selected}
        if not program.modules:
            return Analysis(program, None, [], self.errors, self.stats, checked, texts)
        program.shipped = shipped.scan([root for root in roots if Path(root).is_dir()])
        started = self.stats.timed("settings", started)
        with gc_pause.paused():  # millions of short-lived tuples and sets, no cycles among them
            solver = Solver(program).solve()
        self.stats.solver_steps = solver.steps
        started = self.stats.timed("solve", started)
        facts = collect(solver)
        # after the facts: collecting them can hit budgets too (rounds, call views)
        self.stats.budgets = [f"{b.what} (limit {b.limit})" for b in solver.budgets]
        if program.shipped.budget_hit:
            self.stats.budgets.append(f"settings files read (limit {MAX_SETTINGS_FILES})")
        found = violations(facts)
        self.stats.timed("rules", started)
        return Analysis(program, facts, found, self.errors, self.stats, checked, texts)

    def _summarise(self, first: Sequence[Source], screened: Set[int],
                   later: Optional[Callable[[], List[Source]]] = None) -> Dict[Path, Optional[s.ModuleSummary]]:
        """Summaries of `first` (the ids in `screened` may be screened), then of what `later`
        returns, which is called while the workers extract `first`."""
        out: Dict[Path, Optional[s.ModuleSummary]] = {}
        by_key: Dict[str, List[Source]] = {}
        selected = list(first)

        def jobs_for(sources: Sequence[Source], screen: Set[int]) -> List[Job]:
            new: List[Job] = []
            for src in sources:
                key = self.cache.key(src.data)
                summary = self._cached(key, screened=id(src) in screen)
                if summary is not None:
                    out[src.path] = summary
                    self.stats.cached += 1
                    continue
                if key not in by_key:  # equal bytes are extracted once
                    new.append(Job(key, str(src.path), src.data, screen=id(src) in screen))
                by_key.setdefault(key, []).append(src)
            return new

        def more() -> List[Job]:
            assert later is not None
            sources = later()
            selected.extend(sources)
            return jobs_for(sources, set())

        unique = jobs_for(first, screened)
        for outcome in run_jobs(unique, self.cache.stamp, self.options.jobs, self.options.file_seconds,
                                self.options.file_memory_mb, more=more if later is not None else None):
            summary = self._accept(outcome, by_key[outcome.key][0].display)
            for src in by_key[outcome.key]:
                out[src.path] = summary
                if summary is None and src is not by_key[outcome.key][0]:
                    self.errors.append(_file_error(src.display, outcome))
        for src in selected:
            self._summaries[src.path.resolve()] = out.get(src.path)
        return out

    def _prefetch(self, program: Program) -> None:
        """Summarise, in the worker pool, the project modules the checked ones import: the
        solver asks for most of them, one at a time, otherwise."""
        wanted: Dict[Path, Path] = {}
        for module in program.modules:
            for path in program.imported_files(module):
                resolved = path.resolve()
                if resolved not in self._summaries and resolved not in wanted:
                    wanted[resolved] = path
        jobs: List[Job] = []
        for resolved, path in wanted.items():
            try:
                data = read_regular_bytes(path)
            except UnreadableSource:
                self._summaries[resolved] = None
                continue
            key = self.cache.key(data)
            summary = self._cached(key)
            if summary is not None:
                self._summaries[resolved] = summary
            else:
                jobs.append(Job(key, str(resolved), data))
        paths: Dict[str, List[Path]] = {}
        for job in jobs:
            paths.setdefault(job.key, []).append(Path(job.path))
        unique = list({job.key: job for job in jobs}.values())
        for outcome in run_jobs(unique, self.cache.stamp, self.options.jobs, self.options.file_seconds,
                                self.options.file_memory_mb):
            summary = self._accept_quietly(outcome)
            for path in paths[outcome.key]:
                self._summaries[path] = summary

    def _cached(self, key: str, screened: bool = False) -> Optional[s.ModuleSummary]:
        """The cached summary of bytes `key`; with `screened`, also the screen's "nothing to
        analyse", kept apart: a file read as a driver (another file changed) must never get it."""
        data = self.cache.get("summaries", key)
        if data is None and screened:
            data = self.cache.get("screened", key)
            if data is not None:
                self._screened_keys.add(key)
        if data is None:
            self.cache.stats.misses += self.cache.enabled
            return None
        try:
            summary = s.loads(data, self.cache.stamp)
        except s.BadSummary:
            self.cache.stats.rejected += 1
            return None
        self.cache.stats.hits += 1
        return summary

    def _accept(self, outcome: Outcome, display: str) -> Optional[s.ModuleSummary]:
        if outcome.kind == "screened":
            self.stats.screen_dropped += 1
            self._screened_keys.add(outcome.key)
            self.cache.put("screened", outcome.key, s.dumps(s.empty_summary(), self.cache.stamp))
            return s.empty_summary()
        if outcome.summary is None:
            self.errors.append(_file_error(display, outcome))
            return None
        self.stats.extracted += 1
        self.cache.put("summaries", outcome.key, outcome.summary)
        return s.loads(outcome.summary, self.cache.stamp)

    def _on_demand(self, path: Path, display: str, checked: bool) -> Optional[s.ModuleSummary]:
        """A project module the solver reached through an import: summarised here, cached."""
        resolved = path.resolve()
        if resolved in self._summaries:
            return self._summaries[resolved]
        try:
            data = read_regular_bytes(path)
        except UnreadableSource:
            self._summaries[resolved] = None
            return None  # an imported module we cannot read: its names stay unknown
        key = self.cache.key(data)
        summary = self._cached(key)
        if summary is None:
            summary = self._accept_quietly(extract_source(Job(key, str(path), data), self.cache.stamp))
        self.stats.on_demand += 1
        self._summaries[resolved] = summary
        return summary

    def _accept_quietly(self, outcome: Outcome) -> Optional[s.ModuleSummary]:
        """An imported module that does not parse is not the user's file to report."""
        if outcome.summary is None:
            return None
        self.cache.put("summaries", outcome.key, outcome.summary)
        return s.loads(outcome.summary, self.cache.stamp)


_ERROR_KINDS = {"syntax": "syntax", "decode": "decode", "too-complex": "too-complex", "internal": "internal"}


def _file_error(display: str, outcome: Outcome) -> FileError:
    where = Location(outcome.line, outcome.column) if outcome.kind == "syntax" and outcome.line else None
    return FileError(display, outcome.reason, _ERROR_KINDS.get(outcome.kind, "analysis"), location=where)


_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def _import_roots(roots: Sequence[Path], selected: Sequence[Source]) -> List[Path]:
    """Directories imports resolve from besides each module's own root: the checked directories
    and every distribution root (a directory with pyproject.toml/setup.py) above a checked file,
    with its `src/` layout."""
    found: Dict[Path, None] = {}
    for root in roots:
        found[Path(root).resolve()] = None
    seen: Set[Path] = set()
    for src in selected:
        directory = src.path.parent.resolve()
        while directory not in seen and directory.parent != directory:
            seen.add(directory)
            if any((directory / name).is_file() for name in _PROJECT_FILES):
                found[directory] = None
                if (directory / "src").is_dir():
                    found[directory / "src"] = None
                break
            directory = directory.parent
    return list(found)
