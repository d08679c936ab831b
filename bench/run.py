#!/usr/bin/env python3
"""Wall-time comparison on one corpus, in one run: udplint vs bandit B104, ruff S104 and semgrep.

Corpus: the installed CPython standard library plus a few pinned sdists (downloaded once into
bench/.cache/). Prints each tool's time and udplint's ratio to it. A benchmark, not a test:
timings depend on the machine; compare ratios from one run.

    python bench/run.py            # needs: pip install -e '.[bench]'
    python bench/run.py --native   # also: the C/Go/Java corpus of bench/realworld-native/
                                   # (fetch it first: python bench/realworld-native/run.py --fetch-only)

The native line splits udplint's time on C, Go and Java into its stages (byte prefilter, the one
semgrep run over the survivors, the per-program joins), so semgrep's share is visible.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
# Real-world UDP code: a DNS library, a CoAP stack, a STUN/TURN-ish toolkit, Twisted.
SDISTS = ["dnslib==0.9.24", "aiocoap==0.4.7", "twisted==24.3.0"]
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


def corpus() -> list:
    paths = [sysconfig.get_paths()["stdlib"]]
    CACHE.mkdir(exist_ok=True)
    for spec in SDISTS:
        target = CACHE / spec.replace("==", "-")
        if not target.exists():
            with tempfile.TemporaryDirectory() as tmp:
                got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                      "--no-binary", ":all:", "-d", tmp, spec], capture_output=True, text=True)
                archives = list(Path(tmp).iterdir())
                if got.returncode != 0 or not archives:
                    print(f"(skipping {spec}: download failed)")
                    continue
                _unpack(archives[0], target)
        paths.append(str(target))
    return paths


def _unpack(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(target)
    else:
        with tarfile.open(archive) as handle:
            handle.extractall(target)


def timed(label: str, command: list) -> float:
    tool = shutil.which(command[0]) or str(Path(sys.executable).parent / command[0])
    if command[0] != sys.executable and not Path(tool).exists():
        print(f"{label:<28} not installed")
        return float("nan")
    start = time.perf_counter()
    subprocess.run([tool if command[0] != sys.executable else sys.executable, *command[1:]],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    print(f"{label:<28} {elapsed:8.2f} s")
    return elapsed


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


def main() -> int:
    if "--native" in sys.argv[1:]:
        trees = sorted(str(p) for p in NATIVE_TREES.iterdir()) if NATIVE_TREES.is_dir() else []
        if not trees:
            print(f"(no native corpus under {NATIVE_TREES}: run bench/realworld-native/run.py --fetch-only)")
        else:
            native_stages(trees)
    paths = corpus()
    print("corpus:", ", ".join(paths))
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as rule:
        rule.write(SEMGREP_RULE)
    times = {
        "udplint check": timed("udplint check", [sys.executable, "-m", "udplint", "check", "--no-polyglot",
                                                 "--exit-zero", "-q", *paths]),
        "bandit -t B104": timed("bandit -t B104 -r", ["bandit", "-q", "-t", "B104", "-r", *paths]),
        "ruff --select S104": timed("ruff check --select S104", ["ruff", "check", "--select", "S104", "--no-cache",
                                                                "--exit-zero", "-q", *paths]),
        "semgrep (1 python rule)": timed("semgrep (1 python rule)", ["semgrep", "--metrics=off", "--quiet",
                                                                     "--config", rule.name, *paths]),
    }
    ours = times["udplint check"]
    print("\nratios (udplint time / tool time):")
    for name, value in times.items():
        if name != "udplint check":
            print(f"  vs {name:<24} {ours / value:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
