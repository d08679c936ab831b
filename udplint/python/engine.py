"""The Python analysis, stage by stage, cheapest first.

bytes -> prefilter (datagram markers, or an import of a module that has them) -> screen (a
CPython parse: markers only in strings or comments do not count) -> summaries (cache, else libcst
in worker processes) -> solver over all summaries (project modules they import are summarised on
demand) -> facts -> violations. Each stage's count and time go into `Stats` for `-v`.
"""
from __future__ import annotations

import ast
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..cache import Cache
from ..findings import FileError
from . import summary as s
from .facts import ProgramFacts, collect
from .models import MARKERS
from .program import STDLIB_TOP_LEVEL, ModuleInfo, Program, module_name_for
from .rules import Violation, violations
from .solver import Solver
from .workers import DEFAULT_FILE_MEMORY_MB, DEFAULT_FILE_SECONDS, Job, Outcome, extract_source, run_jobs

_MARKERS = re.compile(b"|".join(re.escape(m) for m in MARKERS))
_IMPORTS = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([\w \t,.\\\n]*)|import[ \t]+([\w., \t]+))",
                      re.MULTILINE)
# identifiers the screen looks for in code (not strings or comments): what any model acts on
_SCREEN_NAMES = frozenset({
    "SOCK_DGRAM", "sendto", "sendmsg", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into", "sock_sendto",
    "sock_recvfrom", "UDPServer", "ThreadingUDPServer", "ForkingUDPServer", "DatagramRequestHandler",
    "create_datagram_endpoint", "DatagramProtocol", "datagram_received", "listenUDP", "datagramReceived",
    "DatagramServer", "create_udp_socket",
})


@dataclass
class EngineOptions:
    jobs: int = 1
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


class Engine:
    def __init__(self, cache: Cache, options: EngineOptions) -> None:
        self.cache = cache
        self.options = options
        self.stats = Stats()
        self.errors: List[FileError] = []
        self._summaries: Dict[Path, Optional[s.ModuleSummary]] = {}

    # -- stages --------------------------------------------------------------------------------
    def analyse(self, sources: Sequence[Source]) -> Analysis:
        started = time.perf_counter()
        self.stats.seen += len(sources)
        core = [src for src in sources if _MARKERS.search(src.data)]
        rest = [src for src in sources if not _MARKERS.search(src.data)]
        drivers = self._drivers(core, rest)
        self.stats.drivers = len(drivers)
        self.stats.prefilter_dropped = len(rest) - len(drivers)
        started = self.stats.timed("prefilter", started)
        selected = [src for src in core if self._screen(src)] + drivers
        self.stats.screen_dropped = len(core) - (len(selected) - len(drivers))
        started = self.stats.timed("screen", started)
        summaries = self._summarise(selected)
        started = self.stats.timed("extract", started)
        program = Program(self._on_demand)
        for src in selected:
            summary = summaries.get(src.path)
            if summary is not None:
                program.add(src.path, src.display, summary, checked=True)
        checked = len(sources) - sum(1 for src in selected if summaries.get(src.path) is None)
        if not program.modules:
            return Analysis(program, None, [], self.errors, self.stats, checked)
        solver = Solver(program).solve()
        self.stats.solver_steps = solver.steps
        self.stats.budgets = [f"{b.what} (limit {b.limit})" for b in solver.budgets]
        started = self.stats.timed("solve", started)
        facts = collect(solver)
        found = violations(facts)
        self.stats.timed("rules", started)
        return Analysis(program, facts, found, self.errors, self.stats, checked)

    def _screen(self, src: Source) -> bool:
        """Keep a file whose code (not its strings or comments) names something a model acts on.
        A file CPython cannot parse is kept: extraction reports why."""
        if not any(name.encode() in src.data for name in _SCREEN_NAMES):
            return True  # kept by a framework marker the screen does not list
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(src.data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        for node in ast.walk(tree):
            kind = type(node)
            if kind is ast.Attribute and node.attr in _SCREEN_NAMES:
                return True
            if kind is ast.Name and node.id in _SCREEN_NAMES:
                return True
            if kind in (ast.FunctionDef, ast.AsyncFunctionDef) and node.name in _SCREEN_NAMES:
                return True
            if kind is ast.alias and node.name.rsplit(".", 1)[-1] in _SCREEN_NAMES:
                return True
        return False

    def _drivers(self, core: Sequence[Source], rest: Sequence[Source]) -> List[Source]:
        """Files without markers that import (directly or through each other) a module with them:
        a script that starts a library's server with '::' decides the wildcard."""
        wanted: Set[str] = {module_name_for(src.path)[0] for src in core}
        chosen: List[Source] = []
        remaining = list(rest)
        imports = {id(src): _imported_names(src) for src in remaining}
        while True:
            grew = False
            for src in list(remaining):
                if any(name in wanted or name.rsplit(".", 1)[-1] in _short(wanted) for name in imports[id(src)]):
                    chosen.append(src)
                    remaining.remove(src)
                    wanted.add(module_name_for(src.path)[0])
                    grew = True
            if not grew:
                return chosen

    def _summarise(self, selected: Sequence[Source]) -> Dict[Path, Optional[s.ModuleSummary]]:
        jobs: List[Tuple[Job, Source]] = []
        out: Dict[Path, Optional[s.ModuleSummary]] = {}
        for src in selected:
            key = self.cache.key(src.data)
            summary = self._cached(key)
            if summary is not None:
                out[src.path] = summary
                self.stats.cached += 1
            else:
                jobs.append((Job(key, str(src.path), src.data), src))
        by_key: Dict[str, List[Source]] = {}
        for job, src in jobs:
            by_key.setdefault(job.key, []).append(src)
        unique = [job for job, _ in {job.key: (job, src) for job, src in jobs}.values()]
        for outcome in run_jobs(unique, self.cache.stamp, self.options.jobs, self.options.file_seconds,
                                self.options.file_memory_mb):
            summary = self._accept(outcome, by_key[outcome.key][0].display)
            for src in by_key[outcome.key]:
                out[src.path] = summary
                if summary is None and src is not by_key[outcome.key][0]:
                    self.errors.append(FileError(src.display, outcome.reason))
        for src in selected:
            self._summaries[src.path.resolve()] = out.get(src.path)
        return out

    def _cached(self, key: str) -> Optional[s.ModuleSummary]:
        data = self.cache.get("summaries", key)
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
        if outcome.summary is None:
            self.errors.append(FileError(display, outcome.reason))
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
            data = _read_module(path)
        except OSError:
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


def _read_module(path: Path) -> bytes:
    """An imported module's bytes: a regular file under the size limit, else OSError."""
    from ..sources import MAX_FILE_BYTES

    with open(path, "rb") as handle:
        import os
        import stat

        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise OSError(f"{path}: not a regular file under the size limit")
        return handle.read(MAX_FILE_BYTES + 1)


def _short(names: Set[str]) -> Set[str]:
    return {name.rsplit(".", 1)[-1] for name in names}


def _imported_names(src: Source) -> Set[str]:
    """Module names a file imports, read off its bytes (relative imports by their last part)."""
    names: Set[str] = set()
    for dots, module, members, plain in _IMPORTS.findall(src.data):
        if plain:
            for part in plain.replace(b" ", b"").replace(b"\t", b"").split(b","):
                name = part.split(b"as")[0] if b" as " not in part else part.split(b" as ")[0]
                names.add(name.decode("ascii", "replace"))
            continue
        base = module.decode("ascii", "replace")
        if base and not dots and base.split(".")[0] in STDLIB_TOP_LEVEL:
            continue
        if base:
            names.add(base)
        for member in re.split(rb"[\s,()\\]+", members):
            member = member.split(b" as ")[0].strip()
            if member and member != b"as":
                text = member.decode("ascii", "replace")
                names.add(f"{base}.{text}" if base else text)
    return {n for n in names if n and n.split(".")[0] not in STDLIB_TOP_LEVEL}
