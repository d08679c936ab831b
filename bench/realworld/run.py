#!/usr/bin/env python3
"""Recall and precision of udplint on a labelled corpus of real UDP code from PyPI.

Downloads the pinned source distributions of manifest.toml (once; cached under
bench/.cache/realworld/), runs `udplint check --format json` once over all of them, matches the
findings to the labelled cases of cases.toml and prints recall and precision per kind and
overall, naming every miss and false alarm.

    python bench/realworld/run.py            # download if needed, check, score
    python bench/realworld/run.py --show     # also print the source lines each case points at
    python bench/realworld/run.py --save-findings f.json   # keep udplint's output ...
    python bench/realworld/run.py --findings f.json        # ... and re-score it after editing cases

A finding matches a case when its location, or one of its related locations, is within SLACK
lines of the case's bind line, reply line or one of its `also` places, in the same file of the
same distribution. A bug case is found when at least one finding matches it; an ok case is a
false alarm when at least one finding matches it, unless the finding matches it only through a
related location and also matches a bug case (a library's reply line that a look-alike and a bug
share: the finding on the bug's bind names that reply as related location). Findings that match no case are listed too
(they are not scored: the corpus labels only the sockets it names).

A benchmark, not a test: it downloads, and the numbers describe today's engine.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = REPO / "bench" / ".cache" / "realworld"
SOURCES = CACHE / "src"
ARCHIVES = CACHE / "archives"
SLACK = 3  # lines either side of a labelled line that still count as "at" it
KINDS = ("socket", "socketserver", "asyncio", "twisted", "gevent", "trio/anyio", "other")
UNPACKED_MARK = ".unpacked"


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    archive: str
    sha256: str

    @property
    def folder(self) -> Path:
        return SOURCES / f"{self.name}-{self.version}"


@dataclass(frozen=True)
class Place:
    path: str  # inside the unpacked distribution
    line: int

    @classmethod
    def parse(cls, text: str) -> "Place":
        path, _, line = text.rpartition(":")
        if not path or not line.isdigit():
            raise ValueError(f"expected 'path:line', got {text!r}")
        return cls(path, int(line))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Case:
    id: str
    distribution: str
    label: str
    kind: str
    evidence: str
    places: List[Place]  # bind first, then reply, then the `also` places
    matched_by: List[str] = field(default_factory=list)

    @property
    def bind(self) -> Place:
        return self.places[0]


@dataclass(frozen=True)
class Hit:
    """One location a finding names: its own, or one of its related locations."""

    distribution: str
    path: str
    line: int


@dataclass
class Finding:
    code: str
    where: str
    message: str
    hits: List[Hit]  # its own location first (when it lies in a distribution), then its related ones
    primary: bool = False  # hits[0] is the finding's own location


@dataclass
class Score:
    found: int = 0
    missed: int = 0
    false_alarms: int = 0
    clean: int = 0

    def recall(self) -> Optional[float]:
        bugs = self.found + self.missed
        return self.found / bugs if bugs else None

    def precision(self) -> Optional[float]:
        flagged = self.found + self.false_alarms
        return self.found / flagged if flagged else None


# ------------------------------------------------------------------ loading

def load_manifest(path: Path) -> List[Distribution]:
    data = tomllib.loads(path.read_text())
    return [Distribution(d["name"], d["version"], d["archive"], d["sha256"]) for d in data["distribution"]]


def load_cases(path: Path, distributions: Dict[str, Distribution]) -> List[Case]:
    data = tomllib.loads(path.read_text())
    cases = []
    for raw in data["case"]:
        if raw["distribution"] not in distributions:
            raise SystemExit(f"{path.name}: case {raw['id']}: unknown distribution {raw['distribution']!r}")
        if raw["label"] not in ("bug", "ok") or raw["kind"] not in KINDS:
            raise SystemExit(f"{path.name}: case {raw['id']}: bad label or kind")
        places = [Place(raw["file"], int(raw["bind"]))]
        if "reply" in raw:
            places.append(Place.parse(raw["reply"]))
        places += [Place.parse(text) for text in raw.get("also", [])]
        cases.append(Case(raw["id"], raw["distribution"], raw["label"], raw["kind"], raw["evidence"], places))
    warn_about_neighbours(cases)
    return cases


def warn_about_neighbours(cases: Sequence[Case]) -> None:
    """Two cases whose places lie within SLACK of each other would share their findings."""
    for index, first in enumerate(cases):
        for second in cases[index + 1:]:
            if first.distribution != second.distribution:
                continue
            close = [(a, b) for a in first.places for b in second.places
                     if a.path == b.path and abs(a.line - b.line) <= SLACK]
            if close:
                a, b = close[0]
                print(f"warning: cases {first.id} ({a}) and {second.id} ({b}) are within {SLACK} lines")


# ------------------------------------------------------------------ download and unpack

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def download(dist: Distribution) -> Optional[Path]:
    target = ARCHIVES / dist.archive
    if target.exists() and sha256_of(target) == dist.sha256:
        return target
    ARCHIVES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # --no-binary for this package only: its build dependencies may still come as wheels.
        got = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", dist.name,
             "-d", tmp, f"{dist.name}=={dist.version}"],
            capture_output=True, text=True,
        )
        fetched = Path(tmp) / dist.archive
        if got.returncode != 0 or not fetched.exists():
            last = (got.stderr.strip().splitlines() or ["no archive"])[-1]
            print(f"  {dist.name}=={dist.version}: download failed: {last}")
            return None
        if sha256_of(fetched) != dist.sha256:
            print(f"  {dist.name}=={dist.version}: sha256 mismatch, skipped")
            return None
        shutil.move(str(fetched), target)
    return target


def _safe_members(names: Sequence[str], archive: Path) -> None:
    for name in names:
        parts = Path(name).parts
        if name.startswith("/") or ".." in parts:
            raise ValueError(f"{archive.name}: refusing member {name!r}")


def unpack(dist: Distribution, archive: Path) -> bool:
    """Unpack into SOURCES/NAME-VERSION with the archive's single top folder stripped."""
    if (dist.folder / UNPACKED_MARK).exists():
        return True
    if dist.folder.exists():
        shutil.rmtree(dist.folder)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        try:
            if archive.name.endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    _safe_members(zf.namelist(), archive)
                    zf.extractall(tmp)
            else:
                with tarfile.open(archive) as tf:
                    _safe_members(tf.getnames(), archive)
                    tf.extractall(tmp, filter="data")
        except (ValueError, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
            print(f"  {dist.name}: cannot unpack {archive.name}: {exc}")
            return False
        entries = list(Path(tmp).iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(tmp)
        shutil.move(str(root), dist.folder)
    (dist.folder / UNPACKED_MARK).write_text(dist.archive + "\n")
    return True


def prepare(distributions: Sequence[Distribution]) -> List[Distribution]:
    SOURCES.mkdir(parents=True, exist_ok=True)
    ready = []
    for dist in distributions:
        if (dist.folder / UNPACKED_MARK).exists():
            ready.append(dist)
            continue
        print(f"fetching {dist.name}=={dist.version}")
        archive = download(dist)
        if archive is not None and unpack(dist, archive):
            ready.append(dist)
    return ready


# ------------------------------------------------------------------ running udplint

def udplint_command() -> List[str]:
    local = Path(sys.executable).with_name("udplint")
    if local.exists():
        return [str(local)]
    found = shutil.which("udplint")
    if found:
        return [found]
    return [sys.executable, "-m", "udplint"]


@dataclass
class Run:
    findings: List[dict]
    seconds: float
    files: int
    runs: int


def run_udplint(folders: Sequence[Path]) -> Tuple[Optional[List[dict]], str]:
    """One `udplint check` over `folders`; (findings, stderr), findings None on an internal error."""
    got = subprocess.run(
        udplint_command() + ["check", "--format", "json", "--exit-zero", "--no-polyglot",
                             *map(str, folders)],
        capture_output=True, text=True, cwd=SOURCES,
    )
    if got.returncode != 0:
        return None, got.stderr
    try:
        return json.loads(got.stdout or "[]"), got.stderr
    except json.JSONDecodeError as exc:
        return None, f"unreadable JSON output: {exc}\n{got.stderr}"


def count_python_files(folders: Sequence[Path]) -> int:
    return sum(1 for folder in folders for _ in folder.rglob("*.py"))


def report_unreadable(stderr_texts: Sequence[str]) -> None:
    """udplint names each file it cannot parse on stderr (Python 2 sources, broken files)."""
    unreadable = sorted({line for text in stderr_texts for line in text.splitlines() if ": cannot " in line})
    if unreadable:
        print(f"udplint could not read {len(unreadable)} file(s), e.g.:")
        for line in unreadable[:5]:
            print(f"  {line}")


def check(distributions: Sequence[Distribution]) -> Run:
    folders = [Path(d.folder.name) for d in distributions]
    started = time.perf_counter()
    findings, stderr = run_udplint(folders)
    stderr_texts = [stderr]
    runs = 1
    if findings is None:
        print("one run over all distributions failed; falling back to one run per distribution:")
        print("  " + "\n  ".join(stderr.strip().splitlines()[-5:]))
        findings = []
        for folder in folders:
            runs += 1
            part, part_err = run_udplint([folder])
            stderr_texts.append(part_err)
            if part is None:
                print(f"  {folder}: internal error: {(part_err.strip().splitlines() or ['?'])[-1]}")
                continue
            findings += part
    seconds = time.perf_counter() - started
    report_unreadable(stderr_texts)
    return Run(findings, seconds, count_python_files([SOURCES / f for f in folders]), runs)


# ------------------------------------------------------------------ matching and scoring

def split_path(filename: str) -> Optional[Tuple[str, str]]:
    """'NAME-VERSION/pkg/mod.py' (relative to SOURCES, or absolute) -> (folder, 'pkg/mod.py')."""
    path = Path(filename)
    if path.is_absolute():
        try:
            path = path.relative_to(SOURCES)
        except ValueError:
            return None
    parts = path.parts
    if len(parts) < 2:
        return None
    return parts[0], Path(*parts[1:]).as_posix()


def to_finding(raw: dict, folder_to_dist: Dict[str, str]) -> Finding:
    hits = []
    spots = [(raw["filename"], raw["location"]["row"])]
    spots += [(r["filename"], r["location"]["row"]) for r in raw.get("related", [])]
    for filename, row in spots:
        split = split_path(filename)
        if split and split[0] in folder_to_dist:
            hits.append(Hit(folder_to_dist[split[0]], split[1], row))
    where = f"{raw['filename']}:{raw['location']['row']}"
    primary = bool(split_path(raw["filename"])) and split_path(raw["filename"])[0] in folder_to_dist
    return Finding(raw["code"], where, raw["message"], hits, primary)


def matches(case: Case, finding: Finding, hits: Optional[Sequence[Hit]] = None) -> bool:
    return any(
        hit.distribution == case.distribution and hit.path == place.path and abs(hit.line - place.line) <= SLACK
        for hit in (finding.hits if hits is None else hits)
        for place in case.places
    )


def alarms(case: Case, finding: Finding, bugs: Sequence[Case]) -> bool:
    """Whether a finding is a false alarm on look-alike `case`: it names one of the case's
    places, and not only through a related location it shares with a bug case it matches (a
    library's reply line that a look-alike and a bug both reach: the finding on the bug's bind,
    with that reply as related location, is about the bug)."""
    if not matches(case, finding):
        return False
    if finding.primary and matches(case, finding, finding.hits[:1]):
        return True
    return not any(matches(bug, finding) for bug in bugs)


def score(cases: Sequence[Case], findings: Sequence[Finding]) -> Tuple[Dict[str, Score], List[Finding]]:
    per_kind: Dict[str, Score] = defaultdict(Score)
    used = set()
    bugs = [case for case in cases if case.label == "bug"]
    for case in cases:
        for index, finding in enumerate(findings):
            if matches(case, finding) if case.label == "bug" else alarms(case, finding, bugs):
                case.matched_by.append(f"{finding.code} {finding.where}")
                used.add(index)
        tally = per_kind[case.kind]
        if case.label == "bug":
            if case.matched_by:
                tally.found += 1
            else:
                tally.missed += 1
        elif case.matched_by:
            tally.false_alarms += 1
        else:
            tally.clean += 1
    unmatched = [f for i, f in enumerate(findings) if i not in used]
    return per_kind, unmatched


# ------------------------------------------------------------------ report

def ratio(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def print_table(per_kind: Dict[str, Score]) -> None:
    total = Score()
    print(f"{'kind':<13} {'bugs':>4} {'found':>5} {'ok':>4} {'alarms':>6}  {'recall':>6} {'precision':>9}")
    for kind in KINDS:
        if kind not in per_kind:
            continue
        s = per_kind[kind]
        for attr in ("found", "missed", "false_alarms", "clean"):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
        print(f"{kind:<13} {s.found + s.missed:>4} {s.found:>5} {s.false_alarms + s.clean:>4} "
              f"{s.false_alarms:>6}  {ratio(s.recall()):>6} {ratio(s.precision()):>9}")
    print(f"{'overall':<13} {total.found + total.missed:>4} {total.found:>5} {total.false_alarms + total.clean:>4} "
          f"{total.false_alarms:>6}  {ratio(total.recall()):>6} {ratio(total.precision()):>9}")


def print_cases(title: str, cases: Sequence[Case], with_findings: bool) -> None:
    print(f"\n{title} ({len(cases)}):")
    for case in cases:
        print(f"  {case.id} [{case.kind}] {case.distribution}: {case.bind}"
              + (f" -> {case.places[1]}" if len(case.places) > 1 else ""))
        if with_findings:
            print(f"      flagged by: {'; '.join(case.matched_by)}")
        print(f"      {case.evidence}")


def show_lines(cases: Sequence[Case], distributions: Dict[str, Distribution]) -> None:
    print("\nsource lines of each case:")
    for case in cases:
        print(f"  {case.id} ({case.label})")
        for place in case.places:
            path = distributions[case.distribution].folder / place.path
            try:
                text = path.read_text(errors="replace").splitlines()[place.line - 1].strip()
            except (OSError, IndexError):
                text = "!! no such line"
            print(f"      {place}: {text}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print the source line of every labelled place")
    parser.add_argument("--save-findings", type=Path, metavar="FILE", help="also write udplint's findings to FILE")
    parser.add_argument("--findings", type=Path, metavar="FILE",
                        help="score the findings saved in FILE instead of running udplint")
    args = parser.parse_args(argv)

    distributions = load_manifest(HERE / "manifest.toml")
    by_name = {d.name: d for d in distributions}
    cases = load_cases(HERE / "cases.toml", by_name)
    ready = prepare(distributions)
    ready_names = {d.name for d in ready}
    skipped = [c for c in cases if c.distribution not in ready_names]
    cases = [c for c in cases if c.distribution in ready_names]
    if skipped:
        print(f"{len(skipped)} case(s) skipped: their distribution is not available")
    if args.show:
        show_lines(cases, by_name)

    if args.findings:
        try:
            run = Run(**json.loads(args.findings.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            print(f"{args.findings}: cannot load saved findings: {exc}")
            return 2
    else:
        run = check(ready)
    if args.save_findings:
        args.save_findings.write_text(json.dumps(vars(run)) + "\n")
    folder_to_dist = {d.folder.name: d.name for d in ready}
    findings = [to_finding(raw, folder_to_dist) for raw in run.findings]
    per_kind, unmatched = score(cases, findings)

    bugs = sum(c.label == "bug" for c in cases)
    print(f"\nudplint over {len(ready)} distributions: {run.files} Python files in {run.seconds:.1f} s "
          f"({run.runs} run{'s' if run.runs > 1 else ''}), {len(findings)} findings; "
          f"{len(cases)} cases ({bugs} bugs, {len(cases) - bugs} look-alikes); "
          f"a finding counts within {SLACK} lines of a labelled line\n")
    print_table(per_kind)
    print_cases("missed bugs", [c for c in cases if c.label == "bug" and not c.matched_by], with_findings=False)
    print_cases("false alarms", [c for c in cases if c.label == "ok" and c.matched_by], with_findings=True)
    print(f"\nfindings on no labelled case ({len(unmatched)}):")
    for finding in unmatched:
        print(f"  {finding.code} {finding.where}: {finding.message[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
