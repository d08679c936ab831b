"""Extraction of one file, and the pool of worker processes that runs it.

`extract_source` is the whole per-file job: decode, a cheap CPython parse (which also refuses what
CPython refuses, such as 5,000 nested parentheses that crash libcst's parser, and says where the
top-level statements begin), the libcst parse, and the summary. A large module is parsed and
summarised in parts of whole top-level statements, one part's tree alive at a time: the summary
is the same, and the peak memory is that of a part, not of the module's whole tree. With more
than one job each file is extracted in a worker process of its own memory limit and time budget: a file that crashes, hangs or exhausts a worker becomes one
diagnostic and the run goes on.
"""
from __future__ import annotations

import ast
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import wait
from typing import Callable, Iterator, List, Optional

from . import gc_pause
from . import summary as s

DEFAULT_FILE_SECONDS = 30.0
DEFAULT_FILE_MEMORY_MB = 3072


@dataclass(frozen=True)
class Job:
    key: str  # cache key of the bytes
    path: str
    data: bytes
    screen: bool = False  # skip the libcst parse when the code names nothing a model acts on


@dataclass(frozen=True)
class Outcome:
    key: str
    summary: Optional[bytes] = None  # s.dumps() of the summary
    kind: str = ""  # "screened" (nothing to analyse), or a failure: "syntax" | "decode" | "too-complex" | "internal"
    reason: str = ""
    line: int = 0  # where a syntax error is (1-based line and column), 0 when not known
    column: int = 0


def decode(data: bytes) -> str:
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def extract_source(job: Job, stamp: bytes) -> Outcome:
    """The job in this process. Never raises for what a file contains."""
    with gc_pause.paused():  # a parse allocates a tree of acyclic nodes: nothing to collect
        return _extract(job, stamp)


def _extract(job: Job, stamp: bytes) -> Outcome:
    try:
        text = decode(job.data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        return Outcome(job.key, kind="decode", reason=str(error))
    from . import extract
    from .parsing import ParseFailure, cpython_parse, parse_module, top_level_parts

    cpython_tree, _refusal = cpython_parse(text)  # a refusal is reported by the parse below
    if job.screen and cpython_tree is not None and not names_something_modelled(cpython_tree):
        return Outcome(job.key, kind="screened")
    parts = [text] if cpython_tree is None else top_level_parts(text, cpython_tree)
    accepted = cpython_tree is not None
    del cpython_tree  # its memory goes to libcst's trees
    if len(parts) > 1:
        try:
            summary = _summary_in_parts(parts, stamp)
        except Exception as error:  # a bug of ours on this file: one line, the run goes on
            return Outcome(job.key, kind="internal", reason=f"{type(error).__name__}: {error} (please report)")
        if summary is not None:
            return Outcome(job.key, summary=summary)
    try:
        tree = parse_module(text, cpython_accepts=accepted)
    except ParseFailure as failure:
        kind = failure.kind if failure.kind in ("syntax", "too-complex", "decode") else "syntax"
        reason = str(failure) if kind == "syntax" else failure.message
        return Outcome(job.key, kind=kind, reason=reason, line=failure.line if kind == "syntax" else 0,
                       column=failure.column if kind == "syntax" else 0)
    except (RecursionError, MemoryError) as error:
        return Outcome(job.key, kind="too-complex", reason=f"{type(error).__name__}")
    try:
        return Outcome(job.key, summary=s.dumps(extract.summarise(tree), stamp))
    except MemoryError:
        return Outcome(job.key, kind="too-complex", reason="MemoryError")
    except Exception as error:  # a bug of ours on this file (RecursionError included): one line, the run goes on
        return Outcome(job.key, kind="internal", reason=f"{type(error).__name__}: {error} (please report)")


def _summary_in_parts(parts: List[str], stamp: bytes) -> Optional[bytes]:
    """The summary of a module parsed part by part (at most one part's tree alive at a time), or
    None when a part fails: the whole text is then parsed and summarised, and reports what failed."""
    from . import extract
    from .parsing import ParseFailure, parse_in_parts

    try:
        return s.dumps(extract.summarise_parts(parse_in_parts(parts)), stamp)
    except (ParseFailure, RecursionError, MemoryError):
        return None  # the whole text's parse says what is wrong, with the position in the file


# Identifiers the screen looks for in code (not in strings or comments): what any model acts on.
SCREEN_NAMES = frozenset({
    "SOCK_DGRAM", "sendto", "sendmsg", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into", "sock_sendto",
    "sock_recvfrom", "UDPServer", "ThreadingUDPServer", "ForkingUDPServer", "DatagramRequestHandler",
    "create_datagram_endpoint", "DatagramProtocol", "datagram_received", "listenUDP", "datagramReceived",
    "DatagramServer", "create_udp_socket", "asyncio_dgram",
})


def names_something_modelled(tree: ast.AST) -> bool:
    """The screen: the prefilter's markers as names in code, not only in strings or comments."""
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Attribute and node.attr in SCREEN_NAMES:
            return True
        if kind is ast.Name and node.id in SCREEN_NAMES:
            return True
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef) and node.name in SCREEN_NAMES:
            return True
        if kind is ast.alias and node.name.rsplit(".", 1)[-1] in SCREEN_NAMES:
            return True
    return False


def _worker(connection, stamp: bytes, memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # no limit available here: the time budget still bounds the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    import faulthandler

    faulthandler.disable()  # a crash here is the parent's to report, as one line
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        connection.send(extract_source(job, stamp))


class _Slot:
    def __init__(self, context, stamp: bytes, memory_mb: int) -> None:
        parent, child = context.Pipe()
        self.connection = parent
        self.process = context.Process(target=_worker, args=(child, stamp, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self.job: Optional[Job] = None
        self.started = 0.0

    def give(self, job: Job) -> None:
        self.job = job
        self.started = time.monotonic()
        self.connection.send(job)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)
        self.connection.close()


def run_jobs(jobs: List[Job], stamp: bytes, workers: int, seconds: float = DEFAULT_FILE_SECONDS,
             memory_mb: int = DEFAULT_FILE_MEMORY_MB,
             more: Optional[Callable[[], List[Job]]] = None) -> Iterator[Outcome]:
    """Outcomes of `jobs`, in completion order. `workers == 0` runs them here, in order, with no
    isolation and no budget (`-j 1`); otherwise each runs in one of `workers` processes.
    `more`, called once while the workers parse the first files: jobs known only later (this
    process decides them meanwhile)."""
    import multiprocessing

    if not jobs and more is not None:
        jobs, more = more(), None  # nothing to overlap with
    if not jobs:
        return
    if workers <= 0 or multiprocessing.current_process().daemon:  # a pool's worker may not fork its own
        for job in jobs + (more() if more is not None else []):
            yield extract_source(job, stamp)
        return
    context = _context()
    # largest first: the last file handed out is then a small one, and no worker idles at the end
    # while another parses the biggest module of the run
    pending = sorted(jobs, key=_size)
    slots = [_Slot(context, stamp, memory_mb) for _ in range(workers if more is not None else min(workers, len(jobs)))]
    try:
        _give_idle(slots, pending)
        if more is not None:
            pending = sorted(pending + more(), key=_size)
            _give_idle(slots, pending)
        while any(slot.job is not None for slot in slots):
            busy = [slot for slot in slots if slot.job is not None]
            deadline = min(slot.started for slot in busy) + seconds
            ready = wait([slot.connection for slot in busy], timeout=max(0.0, deadline - time.monotonic()))
            for index, slot in enumerate(slots):
                if slot.job is None:
                    continue
                outcome = None
                if slot.connection in ready:
                    try:
                        outcome = slot.connection.recv()
                    except (EOFError, OSError):
                        outcome = _died(slot)
                elif time.monotonic() - slot.started >= seconds:
                    outcome = Outcome(slot.job.key, kind="too-complex",
                                      reason=f"over the {seconds:g} s budget per file")
                    slot.kill()
                    slot = slots[index] = _Slot(context, stamp, memory_mb)
                if outcome is None:
                    continue
                if not slot.process.is_alive() or slot.connection.closed:
                    slot.kill()
                    slot = slots[index] = _Slot(context, stamp, memory_mb)
                slot.job = None
                yield outcome
                if pending:
                    slot.give(pending.pop())
    finally:
        for slot in slots:
            try:
                slot.connection.send(None)
            except (OSError, ValueError):
                pass  # already gone
            slot.kill()


# A forked worker starts as a copy of this process, which by then may hold every file of the run
# (the stdlib's 1,790 files: 60 MB) and the summaries and solver state of a first round, and the
# largest parse tree comes on top of that. So once this process has grown, workers come from a
# fork server: a small process, started once per run, with only extraction and libcst loaded. A
# small run (a pre-commit hook's few files) forks directly and does not wait the third of a
# second the server takes to start.
_FORK_SERVER_ABOVE = 40 * 1024 * 1024  # bytes resident in this process (udplint alone: about 26 MB)
_FORK_SERVER_PRELOAD = ["udplint.python.workers", "udplint.python.extract", "udplint.python.parsing"]


def _context():
    if not hasattr(os, "fork"):
        return get_context()
    if _resident_bytes() < _FORK_SERVER_ABOVE:
        return get_context("fork")
    context = get_context("forkserver")
    context.set_forkserver_preload(_FORK_SERVER_PRELOAD)
    return context


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0  # not Linux: fork, as before


def _size(job: Job) -> int:
    return len(job.data)


def _give_idle(slots: List[_Slot], pending: List[Job]) -> None:
    """Each idle slot gets the largest pending job (`pending` is sorted by size, largest last)."""
    for slot in slots:
        if slot.job is None and pending:
            slot.give(pending.pop())


def _died(slot: _Slot) -> Outcome:
    slot.process.join(1)
    code = slot.process.exitcode
    assert slot.job is not None
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        reason = f"the parser crashed ({name}) (please report)"
    else:
        reason = f"worker exited with status {code} (please report)"
    return Outcome(slot.job.key, kind="internal", reason=reason)
