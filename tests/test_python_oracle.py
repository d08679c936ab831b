"""The real-socket proof for the Python fixtures.

Every fixture whose first line is ``# oracle: bug`` or ``# oracle: ok`` (a package: its
``__main__.py``) is started as a server on loopback and probed:

* it must answer an unconnected client on 127.0.0.1 (the server works);
* ``bug``: a client connect()ed to 127.0.0.2 gets no reply, while an unconnected client sending
  to 127.0.0.2 gets the reply from 127.0.0.1 -- the reply is alive but has the wrong source;
* ``ok``: the client connect()ed to 127.0.0.2 gets the reply, from 127.0.0.2.

``# oracle-family: dual`` (second line) adds a v6 client connect()ed to ::ffff:127.0.0.2.

The servers are run a few at a time in a thread pool (each server is its own process, each
probe waits at most 1 s) so the whole proof takes seconds, not a minute.
"""
from __future__ import annotations

import ast
import os
import re
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

import pytest

from oracle import (
    OracleError,
    free_port,
    normalize_host,
    probe_connected,
    probe_unconnected,
    run_server,
    wait_ready,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "python"
VERDICT_RE = re.compile(r"# oracle: (?P<verdict>bug|ok)\s*$")
FAMILY_RE = re.compile(r"# oracle-family: (?P<family>dual)\s*$")
ANY_MARKER_RE = re.compile(r"^#\s*oracle")
EXPECT_RE = re.compile(r"#\s*expect:")
PARALLEL_SERVERS = 6
START_ATTEMPTS = 3

# The proof must not silently shrink: at least this many runnable fixtures of each verdict
# per framework (current counts are higher; raise these when fixtures are added).
MINIMUM_CASES = {
    "plain": {"bug": 31, "ok": 5},
    "socketserver": {"bug": 8, "ok": 2},
    "asyncio": {"bug": 7, "ok": 2},
    "anyio": {"bug": 2},
}


@dataclass(frozen=True)
class OracleCase:
    name: str  # file stem or package name
    entry: Path  # the file holding the markers
    verdict: str  # "bug" | "ok"
    dual: bool
    framework: str
    is_package: bool

    def argv(self, port: int):
        if self.is_package:
            return [sys.executable, "-m", self.name, str(port)]
        return [sys.executable, str(self.entry), str(port)]

    def sources(self):
        return sorted(self.entry.parent.glob("*.py")) if self.is_package else [self.entry]


def _imported_modules(paths) -> set:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def _framework(paths) -> str:
    imported = _imported_modules(paths)
    for framework in ("socketserver", "anyio", "asyncio"):
        if framework in imported:
            return framework
    return "plain"


def _read_markers(entry: Path):
    lines = entry.read_text("utf-8").splitlines()
    verdict = VERDICT_RE.match(lines[0]) if lines else None
    dual = len(lines) > 1 and FAMILY_RE.match(lines[1]) is not None
    return (verdict.group("verdict") if verdict else None), dual


def fixture_entries():
    """(name, entry file, is_package) for every single-module fixture and fixture package."""
    for path in sorted(FIXTURES.glob("*.py")):
        yield path.stem, path, False
    for pkg in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("pkg_")):
        yield pkg.name, pkg / "__main__.py", True


def discover_cases():
    cases = []
    for name, entry, is_package in fixture_entries():
        if not entry.exists():
            continue
        verdict, dual = _read_markers(entry)
        if verdict is None:
            continue
        sources = sorted(entry.parent.glob("*.py")) if is_package else [entry]
        cases.append(OracleCase(name, entry, verdict, dual, _framework(sources), is_package))
    return cases


CASES = discover_cases()


def _server_env() -> Dict[str, str]:
    """A small, predictable environment: no inherited bind-host variables, no .pyc files."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT") if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class OracleRun:
    case: OracleCase
    port: int = 0
    ready_source: Optional[tuple] = None
    probes: Dict[str, object] = field(default_factory=dict)  # label -> source | None | exception
    error: Optional[str] = None
    server_log: str = ""

    def report(self) -> str:
        lines = [f"{self.case.name} (oracle: {self.case.verdict}, port {self.port})"]
        if self.ready_source is not None:
            lines.append(f"  ready: reply from {self.ready_source}")
        for label, got in self.probes.items():
            shown = "no reply within the timeout" if got is None else repr(got)
            lines.append(f"  {label}: {shown}")
        if self.error:
            lines.append(f"  error: {self.error}")
        lines.append("  server output:\n    " + ("\n    ".join(self.server_log.splitlines()[-15:]) or "(none)"))
        return "\n".join(lines)


def _probe_plan(case: OracleCase, port: int):
    """Only the probes the verdict needs; they run concurrently."""
    plan = {"connected 127.0.0.2": lambda: probe_connected("127.0.0.2", port)}
    if case.verdict == "bug":
        plan["unconnected to 127.0.0.2"] = lambda: probe_unconnected("127.0.0.2", port)
    if case.dual:
        plan["connected ::ffff:127.0.0.2"] = lambda: probe_connected("::ffff:127.0.0.2", port, socket.AF_INET6)
    return plan


def _call(fn):
    try:
        return fn()
    except Exception as exc:  # reported per probe, judged by the test
        return exc


def run_case(case: OracleCase) -> OracleRun:
    run = OracleRun(case)
    for _attempt in range(START_ATTEMPTS):
        run = OracleRun(case, port=free_port())
        with run_server(case.argv(run.port), cwd=FIXTURES, env=_server_env()) as server:
            try:
                run.ready_source = wait_ready(run.port, server=server)
            except OracleError as exc:
                run.error = str(exc)
                run.server_log = server.output()
                if "Address already in use" in run.server_log:
                    continue  # lost a free-port race; try another port
                return run
            plan = _probe_plan(case, run.port)
            with ThreadPoolExecutor(max_workers=len(plan)) as pool:
                futures = {label: pool.submit(_call, fn) for label, fn in plan.items()}
                run.probes = {label: fut.result() for label, fut in futures.items()}
            run.server_log = server.output()
            return run
    return run


@pytest.fixture(scope="session")
def oracle_runs(request):
    """Run every selected oracle case, a few servers at a time; keyed by case name."""
    selected = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("case"), OracleCase):
            if callspec.params["case"] not in selected:
                selected.append(callspec.params["case"])
    with ThreadPoolExecutor(max_workers=PARALLEL_SERVERS) as pool:
        return {run.case.name: run for run in pool.map(run_case, selected)}


def _host(got) -> str:
    return normalize_host(got[0])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_oracle(case, oracle_runs):
    run = oracle_runs[case.name]
    report = run.report()
    assert run.error is None, report
    assert run.ready_source is not None and _host(run.ready_source) == "127.0.0.1", report
    for label, got in run.probes.items():
        assert not isinstance(got, BaseException), f"probe {label!r} raised {got!r}\n{report}"

    connected_labels = [label for label in run.probes if label.startswith("connected")]
    if case.verdict == "bug":
        for label in connected_labels:
            assert run.probes[label] is None, f"{label}: reply delivered, the bug did not show\n{report}"
        # The reply is alive, it just comes from the wrong address.
        wrong = run.probes["unconnected to 127.0.0.2"]
        assert wrong is not None, f"server did not answer a request sent to 127.0.0.2\n{report}"
        assert _host(wrong) == "127.0.0.1", f"expected the reply from 127.0.0.1\n{report}"
    else:
        for label in connected_labels:
            got = run.probes[label]
            assert got is not None, f"{label}: no reply, the source is not pinned\n{report}"
            assert _host(got) == "127.0.0.2", f"{label}: reply from {got}\n{report}"
            assert got[1] == run.port, f"{label}: reply from port {got[1]}\n{report}"


def test_oracle_markers_are_well_formed():
    """A misspelled marker would silently drop a fixture from the proof."""
    problems = []
    for name, entry, _is_package in fixture_entries():
        if not entry.exists():
            continue
        lines = entry.read_text("utf-8").splitlines()
        for index, line in enumerate(lines[:10]):
            if not ANY_MARKER_RE.match(line):
                continue
            if index == 0 and VERDICT_RE.match(line):
                continue
            if index == 1 and FAMILY_RE.match(line) and VERDICT_RE.match(lines[0]):
                continue
            problems.append(f"{entry.relative_to(FIXTURES)}:{index + 1}: misplaced or malformed {line!r}")
    assert not problems, "\n".join(problems)


def test_oracle_verdicts_agree_with_annotations():
    """A bug fixture must expect at least one finding; an ok fixture must expect none."""
    problems = []
    for case in CASES:
        expects = sum(len(EXPECT_RE.findall(path.read_text("utf-8"))) for path in case.sources())
        if case.verdict == "bug" and expects == 0:
            problems.append(f"{case.name}: oracle says bug but no '# expect:' annotation")
        if case.verdict == "ok" and expects:
            problems.append(f"{case.name}: oracle says ok but has {expects} '# expect:' annotation(s)")
    assert not problems, "\n".join(problems)


def test_oracle_covers_every_framework():
    counts = {}
    for case in CASES:
        counts.setdefault(case.framework, {"bug": 0, "ok": 0})[case.verdict] += 1
    short = [
        f"{framework}: {counts.get(framework, {}).get(verdict, 0)} {verdict} fixtures, need {minimum}"
        for framework, minimums in MINIMUM_CASES.items()
        for verdict, minimum in minimums.items()
        if counts.get(framework, {}).get(verdict, 0) < minimum
    ]
    assert not short, "\n".join(short) + f"\ncounts: {counts}"
