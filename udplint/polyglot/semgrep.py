"""The semgrep process: find it, run the bundled rules (C, Go, Java) over a list of files, return
its JSON report. What the results mean is `udplint.polyglot.runner`'s business."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

import udplint
from udplint.findings import FileError, Finding

INSTALL_HINT = "pip install semgrep  (or: pip install 'udplint[polyglot]')"
SEMGREP_TIMEOUT = 900  # seconds for a run over up to a megabyte; a hung semgrep must not hang CI
SEMGREP_SECONDS_PER_MB = 240  # and this much more per further megabyte of targets
_ARG_BUDGET = 100_000  # bytes of file names per semgrep command line (well under ARG_MAX)
# bytes of source per semgrep run: semgrep holds every match of a run in memory until it writes
# the report, and udplint's fact rules match every assignment and call, so one run over a large
# C tree (tens of MB) peaked at 6 GB; runs of a few MB stay in the hundreds of MB.
_SOURCE_BUDGET = 2_500_000


class SemgrepMissing(Exception):
    """semgrep is not installed; str() says how to install it."""

    def __init__(self) -> None:
        super().__init__(f"semgrep is needed to check C, Go and Java files: {INSTALL_HINT}")


class SemgrepFailed(Exception):
    """semgrep ran but did not produce a usable result (crash, timeout, bad rules)."""


class SemgrepTimedOut(SemgrepFailed):
    """semgrep did not finish a run within its time limit."""


class _NoReport(SemgrepFailed):
    """semgrep exited without a JSON report (e.g. it does not know an option)."""


def rules_dir() -> Path:
    """The bundled rules: package data in an installed wheel, else <repo>/rules in a checkout."""
    package = Path(udplint.__file__).resolve().parent
    for candidate in (package / "semgrep_rules", package.parent / "rules"):
        if candidate.is_dir() and any(candidate.rglob("*.yaml")):
            return candidate
    raise SemgrepFailed(f"udplint's semgrep rules are missing (looked in {package / 'semgrep_rules'} "
                        f"and {package.parent / 'rules'}); reinstall udplint")


def semgrep_executable() -> str:
    """semgrep installed next to this Python (a virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / ("semgrep.exe" if os.name == "nt" else "semgrep")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("semgrep")
    if found:
        return found
    raise SemgrepMissing()


def check_files(paths: Sequence[Path]) -> Tuple[List[Finding], List[FileError]]:
    """Check C/Go/Java files (see udplint.polyglot.runner). Findings name each file as it was given."""
    from udplint.polyglot import runner  # the runner imports this module

    return runner.check_files(paths)


def scan(files: Sequence[str]) -> dict:
    """Run every bundled rule over `files`, in as few semgrep runs as the command line and the
    source budget allow (facts are per file, so how the files are split changes nothing); returns
    one JSON report with the results and errors of all runs."""
    if not files:
        return {"results": [], "errors": []}
    executable = semgrep_executable()
    config = rules_dir()
    merged: dict = {"results": [], "errors": []}
    for batch in _batches(list(files)):
        report = _run_splitting(executable, config, batch)
        merged["results"] += report.get("results", [])
        merged["errors"] += report.get("errors", [])
    return merged


def _run_splitting(executable: str, config: Path, files: List[str]) -> dict:
    """One run over `files`; a run that does not finish in time is run again as two halves, so
    one file that semgrep cannot get through costs that file (reported as its error), not the
    facts of every file batched with it."""
    try:
        return _run(executable, config, files)
    except SemgrepTimedOut as exc:
        if len(files) == 1:
            return {"results": [], "errors": [_timeout_error(files[0], str(exc))]}
    middle = len(files) // 2
    halves = [_run_splitting(executable, config, part) for part in (files[:middle], files[middle:])]
    return {key: halves[0].get(key, []) + halves[1].get(key, []) for key in ("results", "errors")}


def _timeout_error(name: str, reason: str) -> dict:
    """An error entry in semgrep's own shape, so the runner reports it like a file semgrep rejected."""
    return {"type": "Timeout", "level": "error", "path": name, "message": f"{reason} on this file; not checked"}


def _batches(files: List[str]) -> Iterable[List[str]]:
    batch: List[str] = []
    names = source = 0
    for name in files:
        length = _source_size(name)
        if batch and (names + len(name) + 1 > _ARG_BUDGET or source + length > _SOURCE_BUDGET):
            yield batch
            batch, names, source = [], 0, 0
        batch.append(name)
        names += len(name) + 1
        source += length
    if batch:
        yield batch


def _source_size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:
        return 0  # semgrep itself reports the file


# semgrep's OCaml command line (`--experimental`, "osemgrep") gives the same JSON report as its
# Python one, which spends several times semgrep-core's own time and a gigabyte turning a large
# report (udplint's fact rules report every assignment and call) into JSON. A semgrep without it
# is run the usual way.
_FAST_CLI = ["--experimental"]
_fast_cli_works: List[bool] = []  # [] = not tried yet in this process


def _command(executable: str, config: Path, files: Sequence[str], fast: bool = False) -> List[str]:
    return [
        executable, "scan", *(_FAST_CLI if fast else []), "--config", str(config), "--json", "--metrics=off",
        "--disable-version-check", "--no-git-ignore", "--quiet", "--timeout", "60",
        "--max-target-bytes", "0",  # udplint decides what is too large, not a silent skip
        # (a --config directory loads only its *.yaml files: the rules' test programs beside
        # them are never taken for rules)
        "--", *files,
    ]


def _timeout(files: Sequence[str]) -> int:
    size = sum(_source_size(name) for name in files)
    return SEMGREP_TIMEOUT + int(SEMGREP_SECONDS_PER_MB * max(0.0, size / 1e6 - 1))


def _run(executable: str, config: Path, files: Sequence[str]) -> dict:
    if _fast_cli_works != [False]:
        try:
            report = _run_once(executable, config, files, fast=True)
        except _NoReport:
            if _fast_cli_works == [True]:
                raise  # it worked before: this failure is the scan's, not the command line's
            _fast_cli_works[:] = [False]
        else:
            _fast_cli_works[:] = [True]
            return report
    return _run_once(executable, config, files, fast=False)


def _run_once(executable: str, config: Path, files: Sequence[str], fast: bool) -> dict:
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    limit = _timeout(files)
    try:
        # A message quotes the matched source as it is: a Latin-1 comment or string in a C file
        # arrives as bytes that are not UTF-8. They only ever stand in names' and strings' text,
        # so they are replaced (U+FFFD) rather than losing the whole report.
        proc = subprocess.Popen(_command(executable, config, files, fast), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                encoding="utf-8", errors="replace", env=env, start_new_session=True)
    except FileNotFoundError as exc:
        raise SemgrepMissing() from exc
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise SemgrepTimedOut(f"semgrep did not finish within {limit}s") from exc
    try:
        return json.loads(stdout)
    except ValueError:
        tail = (stderr or stdout or "").strip().splitlines()[-3:]
        raise _NoReport(f"semgrep failed (exit {proc.returncode}): {' | '.join(tail) or 'no output'}") from None


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop semgrep and the engine processes it started: they share its session, and one left
    running would hold the output pipes open (and a core busy) after the time limit."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # no process groups (Windows): the direct child at least
            proc.kill()
    except ProcessLookupError:
        pass  # it finished between the time limit and the kill: nothing left to stop
    proc.communicate()
