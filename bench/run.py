#!/usr/bin/env python3
"""Speed and memory, side by side in one run: udplint against ruff S104, bandit B104 and semgrep.

Corpus A is the installed CPython standard library; corpus B the pinned sdists below (downloaded
once into bench/.cache/). Every tool is run as a whole process under GNU time; the table gives the
median wall time of N runs, the ratio to ruff's (uncached) median on the same corpus, and the
peak RSS of the largest process. udplint is run cold (`--no-cache`) with one and two jobs, and
warm (a second run over a prepared cache with nothing changed). The findings of every udplint run
must be the same: the script says so or names the difference.

A benchmark, not a test: timings depend on the machine; compare ratios from one run.

    python bench/run.py                    # needs: pip install -e '.[bench]'
    python bench/run.py --runs 1 --corpus A --no-bandit
"""
from __future__ import annotations

import argparse
import json
import time
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
CORPUS_B = ["django==5.2.19", "twisted==25.5.0", "sympy==1.14.0", "scapy==2.6.1"]
SEMGREP_RULE = """rules:
  - id: wildcard-bind
    languages: [python]
    severity: WARNING
    message: wildcard bind
    pattern-either:
      - pattern: $S.bind(("0.0.0.0", $P))
      - pattern: $S.bind(("", $P))
      - pattern: $S.bind(("::", $P))
"""
GNU_TIME = "/usr/bin/time"


@dataclass
class Row:
    tool: str
    corpus: str
    files: int
    walls: List[float]
    rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")


def download(specs: List[str]) -> List[Path]:
    CACHE.mkdir(exist_ok=True)
    out = []
    for spec in specs:
        target = CACHE / spec.replace("==", "-")
        if not target.exists():
            with tempfile.TemporaryDirectory() as tmp:
                got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                                      ":all:", "-d", tmp, spec], capture_output=True, text=True)
                archives = list(Path(tmp).iterdir())
                if got.returncode != 0 or not archives:
                    raise SystemExit(f"bench: cannot download {spec}: {got.stderr.strip()[-300:]}")
                _unpack(archives[0], target)
        out.append(target)
    return out


def _unpack(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(target)
    else:
        with tarfile.open(archive) as handle:
            handle.extractall(target, filter="data") if hasattr(tarfile, "data_filter") else handle.extractall(target)


def count_py(paths: List[Path]) -> int:
    """The .py files the tools check: site-packages is excluded by udplint and ruff alike."""
    return sum(1 for p in paths for f in Path(p).rglob("*.py") if f.is_file() and "site-packages" not in f.parts)


def tool_path(name: str) -> Optional[str]:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def measure(command: List[str], env: Optional[Dict[str, str]] = None) -> tuple:
    """(wall seconds, peak RSS in MB, stdout) of one whole process under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run([GNU_TIME, "-f", "%e %M", "-o", report.name, *command], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env)
        wall, rss = report.read().split()[-2:]
    return float(wall), int(rss) / 1024, done.stdout


def udplint(paths: List[Path], *flags: str) -> List[str]:
    return [sys.executable, "-m", "udplint", "check", "--no-polyglot", "--exit-zero", "--format", "json",
            *flags, *map(str, paths)]


def findings_of(stdout: str) -> List[tuple]:
    try:
        return sorted((f["filename"], f["location"]["row"], f["code"]) for f in json.loads(stdout or "[]"))
    except ValueError:
        return [("unparsable output", 0, stdout[:200])]


def run_corpus(name: str, paths: List[Path], runs: int, bandit: bool, semgrep: bool) -> List[Row]:
    files = count_py(paths)
    rows: List[Row] = []
    results: Dict[str, List[tuple]] = {}

    def repeat(tool: str, command: List[str], times: int = runs, env=None) -> None:
        walls, peak = [], 0.0
        for _ in range(times):
            wall, rss, stdout = measure(command, env)
            walls.append(wall)
            peak = max(peak, rss)
            if tool.startswith("udplint"):
                results.setdefault(tool, findings_of(stdout))
        rows.append(Row(tool, name, files, walls, peak))
        print(f"  {tool:<34} {statistics.median(walls):8.2f} s  {peak:7.1f} MB", flush=True)

    ruff = tool_path("ruff")
    if ruff:
        repeat("ruff --select S104 --no-cache", [ruff, "check", "--select", "S104", "--no-cache", "--exit-zero",
                                                 "-q", *map(str, paths)])
    repeat("udplint cold -j1", udplint(paths, "--no-cache", "-j", "1"))
    repeat("udplint cold -j2", udplint(paths, "--no-cache", "-j", "2"))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "UDPLINT_CACHE_DIR": cache}
        measure(udplint(paths, "-j", "2"), env)  # prepare the cache
        repeat("udplint warm -j2 (nothing changed)", udplint(paths, "-j", "2"), env=env)
    if bandit and tool_path("bandit"):
        repeat("bandit -t B104", [tool_path("bandit"), "-q", "-t", "B104", "-r", *map(str, paths)], times=1)
    if semgrep and tool_path("semgrep"):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as rule:
            rule.write(SEMGREP_RULE)
        repeat("semgrep (1 python rule)", [tool_path("semgrep"), "--metrics=off", "--quiet", "--config", rule.name,
                                           *map(str, paths)], times=1)
    distinct = {tuple(v) for v in results.values()}
    if len(distinct) == 1:
        print(f"  findings: {len(next(iter(distinct)))}, the same in every udplint run")
    else:
        print("  FINDINGS DIFFER between udplint runs:")
        for tool, found in results.items():
            print(f"    {tool}: {len(found)}")
    return rows


NATIVE_TREES = CACHE / "realworld-native" / "src"


def native_stages(trees: list) -> None:
    """Time udplint's native pipeline stage by stage on the Debian corpus trees."""
    sys.path.insert(0, str(HERE.parent))
    from udplint.polyglot import runner, semgrep
    from udplint.sources import discover, is_polyglot_file

    start = time.perf_counter()
    files = [s.path for s in discover(trees) if is_polyglot_file(s.path)]
    run = runner.NativeRun()
    sources = runner._read(files, run)
    survivors = runner.prefilter(sources)
    prefiltered = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        targets = runner._targets(survivors, Path(scratch), proactive=True)
        report = semgrep.scan([t.scanned for t in targets])
        scanned = time.perf_counter()
        runner._collect(report, targets, run)
    facts = runner._dedupe_facts(run.facts)
    findings = runner._join(facts, survivors, run, None)
    joined = time.perf_counter()
    size = sum(len(s.data) for s in survivors) // 1024
    print(f"\nnative corpus: {len(trees)} trees, {len(files)} C/Go/Java files, {len(survivors)} survive the "
          f"prefilter ({size} KiB), {len(targets) - len(survivors)} resolved #if variants, "
          f"{len(facts)} facts, {len(findings)} findings")
    total = joined - start
    for label, seconds in (("walk + read + prefilter", prefiltered - start), ("semgrep (one run)", scanned - prefiltered),
                           ("facts + joins", joined - scanned), ("udplint native total", total)):
        print(f"  {label:<26} {seconds:8.2f} s  {100 * seconds / total:5.1f} %")




def table(rows: List[Row]) -> str:
    ruff = {r.corpus: r.median for r in rows if r.tool.startswith("ruff")}
    lines = ["| tool | corpus | files | median wall s | ratio to ruff | peak RSS MB |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r.median / ruff[r.corpus] if ruff.get(r.corpus) else float("nan")
        lines.append(f"| {r.tool} | {r.corpus} | {r.files} | {r.median:.2f} | {ratio:.1f}x | {r.rss_mb:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median), default 3")
    parser.add_argument("--corpus", choices=["A", "B", "AB"], default="AB")
    parser.add_argument("--no-bandit", action="store_true", help="skip bandit (minutes per corpus)")
    parser.add_argument("--no-semgrep", action="store_true")
    parser.add_argument("--native", action="store_true",
                        help="also time udplint's C/Go/Java stages on bench/realworld-native's trees "
                             "(fetch them first: python bench/realworld-native/run.py --fetch-only)")
    args = parser.parse_args()
    if not Path(GNU_TIME).exists():
        raise SystemExit("bench: needs GNU time at /usr/bin/time (Debian package `time`)")
    rows: List[Row] = []
    if "A" in args.corpus:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        print(f"corpus A: {stdlib}")
        rows += run_corpus("A", [stdlib], args.runs, not args.no_bandit, not args.no_semgrep)
    if "B" in args.corpus:
        paths = download(CORPUS_B)
        print(f"corpus B: {', '.join(CORPUS_B)}")
        rows += run_corpus("B", paths, args.runs, not args.no_bandit, not args.no_semgrep)
    if args.native:
        trees = sorted(str(p) for p in NATIVE_TREES.iterdir()) if NATIVE_TREES.is_dir() else []
        if trees:
            native_stages(trees)
        else:
            print(f"(no native corpus under {NATIVE_TREES}: run bench/realworld-native/run.py --fetch-only)")
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
