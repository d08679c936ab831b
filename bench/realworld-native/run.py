#!/usr/bin/env python3
"""Recall and precision of `udplint check` on real C, Go and Java servers from Debian sources.

    python bench/realworld-native/run.py              # fetch (once), check, score
    python bench/realworld-native/run.py --fetch-only
    python bench/realworld-native/run.py --udplint PATH/TO/udplint --json findings.json

manifest.toml pins Debian bookworm source packages; cases.toml labels places in them (bug or
look-alike) with the evidence for each label. Sources are fetched with `apt-get source` through a
private apt configuration under bench/.cache/realworld-native/apt/ whose deb-src lines point at the
Debian mirror this machine's apt sources already use (read at run time; /etc/apt is not changed),
and unpacked once into bench/.cache/realworld-native/src/NAME/.

udplint runs once over all unpacked trees. A finding counts for a case when it lies within a few
lines of the case's bind or reply line, or has a related location near the reply (or near the
bind, when no other case shares that bind). A bug case with such a finding is found; a
look-alike with one is a false alarm. Findings that touch no case are listed apart (they are
neither, until someone labels them).
A benchmark, not a test: it downloads, and it needs semgrep (`pip install -e '.[test]'`).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = REPO / "bench" / ".cache" / "realworld-native"
SOURCES = CACHE / "src"
APT_DIR = CACHE / "apt"
STAMP = ".udplint-fetched"  # written into each unpacked tree
DIAGNOSTIC_WIDTH = 160
LINE_TOLERANCE = 3  # a finding this many lines from the labelled line still counts for the case
LANGUAGES = ("c", "go", "java")
LABELS = ("bug", "ok")


class CorpusError(RuntimeError):
    """The manifest or the cases are inconsistent, or a package cannot be fetched."""


FETCH_MODES = ("source", "orig", "binary")


@dataclass(frozen=True)
class Package:
    """One pinned package. `fetch` says how its tree is made:

    source  `apt-get source NAME=VERSION`: the upstream tarball with Debian's patches applied;
    orig    the same download, but only the upstream tarball is unpacked (for packages whose
            Debian tarball the mirror does not serve: the code is the one Debian builds from,
            without Debian's patches);
    binary  `apt-get download BINARY=VERSION` + `dpkg-deb -x` (Go's golang-*-dev packages ship
            their sources under usr/share/gocode/src/).
    """

    name: str
    version: str
    fetch: str = "source"
    binary: str = ""

    @property
    def tree(self) -> Path:
        return SOURCES / self.name

    @property
    def stamp(self) -> str:
        """What the unpacked tree was made from; a tree with another stamp is fetched again."""
        return " ".join(filter(None, (self.fetch, self.binary, self.version)))


@dataclass(frozen=True)
class Place:
    """A `path:line` inside one package's unpacked tree."""

    path: str
    line: int

    @classmethod
    def parse(cls, text: str, default_path: str) -> "Place":
        if re.fullmatch(r"\d+", str(text)):
            return cls(default_path, int(text))
        path, _, line = str(text).rpartition(":")
        if not path or not line.isdigit():
            raise CorpusError(f"not a line or path:line: {text!r}")
        return cls(path, int(line))

    def near(self, path: str, line: int) -> bool:
        return path == self.path and abs(line - self.line) <= LINE_TOLERANCE

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Case:
    id: str
    package: str
    language: str
    label: str
    kind: str
    bind: Place
    reply: Place
    evidence: str

    def places(self) -> Sequence[Place]:
        return (self.bind, self.reply)


@dataclass(frozen=True)
class Hit:
    """One finding, with its path made relative to the package tree it is in."""

    package: str
    path: str
    line: int
    code: str
    related: tuple  # ((path, line), ...) inside the same package

    def touches(self, case: Case, shared_binds: frozenset = frozenset()) -> bool:
        """The finding is near the case's reply or bind, or a related location is near its reply.

        A related location at the case's bind counts too, unless other cases share that bind
        (several replies of one server): it would credit every one of them for one finding.
        """
        if self.package != case.package:
            return False
        if any(place.near(self.path, self.line) for place in case.places()):
            return True
        targets = [case.reply] + ([] if (case.package, case.bind) in shared_binds else [case.bind])
        return any(place.near(path, line) for place in targets for path, line in self.related)

    def __str__(self) -> str:
        return f"{self.package}/{self.path}:{self.line} {self.code}"


@dataclass
class Score:
    found: List[Case] = field(default_factory=list)
    missed: List[Case] = field(default_factory=list)
    false_alarms: List[Case] = field(default_factory=list)
    quiet: List[Case] = field(default_factory=list)

    def recall(self) -> Optional[float]:
        bugs = len(self.found) + len(self.missed)
        return len(self.found) / bugs if bugs else None

    def precision(self) -> Optional[float]:
        flagged = len(self.found) + len(self.false_alarms)
        return len(self.found) / flagged if flagged else None


# ---------------------------------------------------------------- manifest and cases

def load_manifest(path: Path) -> Dict[str, Package]:
    data = tomllib.loads(path.read_text())
    packages = {}
    for entry in data.get("package", []):
        package = Package(entry["name"], entry["version"], entry.get("fetch", "source"),
                          entry.get("binary", ""))
        if package.name in packages:
            raise CorpusError(f"{path.name}: {package.name} listed twice")
        if package.fetch not in FETCH_MODES or (package.fetch == "binary") != bool(package.binary):
            raise CorpusError(f"{path.name}: {package.name}: fetch must be one of {FETCH_MODES}, "
                              "and binary is given exactly when fetch = 'binary'")
        packages[package.name] = package
    return packages


def load_cases(path: Path, packages: Dict[str, Package]) -> List[Case]:
    data = tomllib.loads(path.read_text())
    cases, seen = [], set()
    for entry in data.get("case", []):
        case = _case_from(entry)
        problem = _case_problem(case, packages, seen)
        if problem:
            raise CorpusError(f"{path.name}: case {case.id}: {problem}")
        seen.add(case.id)
        cases.append(case)
    return cases


def _case_from(entry: dict) -> Case:
    file = entry["file"]
    return Case(
        id=entry["id"],
        package=entry["package"],
        language=entry["language"],
        label=entry["label"],
        kind=entry["kind"],
        bind=Place.parse(entry["bind"], file),
        reply=Place.parse(entry["reply"], file),
        evidence=entry["evidence"],
    )


def _case_problem(case: Case, packages: Dict[str, Package], seen: set) -> Optional[str]:
    if case.id in seen:
        return "id used twice"
    if case.package not in packages:
        return f"package {case.package} is not in the manifest"
    if case.language not in LANGUAGES:
        return f"language must be one of {LANGUAGES}"
    if case.label not in LABELS:
        return f"label must be one of {LABELS}"
    if len(case.evidence.split()) < 8:
        return "evidence must say how the code path was followed"
    return None


# ---------------------------------------------------------------- fetching

@dataclass(frozen=True)
class Mirror:
    uri: str
    signed_by: str = ""  # the keyring the system's entry names, if any

    def line(self, kind: str, suite: str, component: str) -> str:
        options = f"[signed-by={self.signed_by}] " if self.signed_by else ""
        return f"{kind} {options}{self.uri} {suite} {component}"


def configured_mirrors() -> List[Mirror]:
    """Debian archive URIs of this machine's apt sources (one-line and deb822 formats)."""
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.is_file() and path.suffix in (".list", ".sources", ""):
            texts.append(path.read_text(errors="replace"))
    found = []
    for text in texts:
        for options, uri in re.findall(r"^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)", text, re.M):
            keyring = re.search(r"signed-by=(\S+)", options)
            found.append(Mirror(uri.rstrip("/"), keyring.group(1) if keyring else ""))
        for stanza in re.split(r"\n\s*\n", text):
            keyring = re.search(r"^Signed-By:\s*(/\S+)\s*$", stanza, re.M)
            for line in re.findall(r"^URIs:\s*(.+)$", stanza, re.M):
                found += [Mirror(u.rstrip("/"), keyring.group(1) if keyring else "") for u in line.split()]
    debian = [m for m in found if re.search(r"/debian(-security)?$", m.uri)]
    return list(dict.fromkeys(debian))


def write_apt_config(suites: Sequence[str], component: str) -> List[str]:
    mirrors = configured_mirrors()
    archive = [m for m in mirrors if not m.uri.endswith("-security")]
    security = [m for m in mirrors if m.uri.endswith("-security")]
    if not archive:
        raise CorpusError("no Debian mirror in /etc/apt/sources.list(.d); cannot fetch sources")
    lines = []
    for suite in suites:
        for mirror in (security if suite.endswith("-security") else archive):
            lines.append(mirror.line("deb-src", suite, component))
            lines.append(mirror.line("deb", suite, component))  # for the golang-*-dev downloads
    for sub in ("lists/partial", "cache/archives/partial", "parts"):
        (APT_DIR / sub).mkdir(parents=True, exist_ok=True)
    (APT_DIR / "sources.list").write_text("\n".join(lines) + "\n")
    return [
        "-o", f"Dir::Etc::SourceList={APT_DIR / 'sources.list'}",
        "-o", f"Dir::Etc::SourceParts={APT_DIR / 'parts'}",
        "-o", f"Dir::State::Lists={APT_DIR / 'lists'}",
        "-o", f"Dir::Cache={APT_DIR / 'cache'}",
        "-o", "Debug::NoLocking=1",  # private lists and cache: no lock shared with the system's apt
    ]


def fetch(packages: Iterable[Package], suites: Sequence[str], component: str) -> List[str]:
    """Unpack every package not yet in the cache; return one line per package that failed."""
    missing = [p for p in packages if _stamp_of(p.tree) != p.stamp]
    if not missing:
        return []
    options = write_apt_config(suites, component)
    update = subprocess.run(["apt-get", "-q", *options, "update"], capture_output=True, text=True)
    if update.returncode != 0:
        raise CorpusError("apt-get update failed: " + _last_line(update.stderr))
    failures = []
    for package in missing:
        print(f"fetching {package.name}={package.version}", file=sys.stderr)
        problem = _fetch_one(package, options)
        if problem:
            failures.append(f"{package.name}={package.version}: {problem}")
    return failures


def _fetch_one(package: Package, options: List[str]) -> Optional[str]:
    SOURCES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        unpack = {"source": _unpack_source, "orig": _unpack_orig, "binary": _unpack_binary}[package.fetch]
        tree, problem = unpack(package, options, Path(work))
        if problem:
            return problem
        if package.tree.exists():
            shutil.rmtree(package.tree)
        tree.rename(package.tree)
    (package.tree / STAMP).write_text(package.stamp + "\n")
    return None


def _stamp_of(tree: Path) -> str:
    stamp = tree / STAMP
    return stamp.read_text().strip() if stamp.is_file() else ""


def _apt(options: List[str], args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", "-q", *options, *args], cwd=cwd, capture_output=True, text=True)


def _unpack_source(package: Package, options: List[str], work: Path):
    got = _apt(options, ["source", "--only-source", f"{package.name}={package.version}"], work)
    trees = [d for d in work.iterdir() if d.is_dir()]
    if got.returncode != 0 or len(trees) != 1:
        return None, _last_line(got.stderr) or f"expected one unpacked tree, got {len(trees)}"
    # quilt's copies of the unpatched files would be checked as a second program
    shutil.rmtree(trees[0] / ".pc", ignore_errors=True)
    return trees[0], None


def _unpack_orig(package: Package, options: List[str], work: Path):
    got = _apt(options, ["source", "--download-only", "--only-source",
                         f"{package.name}={package.version}"], work)
    upstream = package.version.split(":", 1)[-1].rsplit("-", 1)[0]
    origs = sorted(work.glob(f"{package.name}_{upstream}.orig.tar.*"))
    origs = [o for o in origs if not o.name.endswith(".asc")]
    if not origs:
        return None, _last_line(got.stderr) or "no upstream tarball downloaded"
    tree = work / "tree"
    tree.mkdir()
    untar = subprocess.run(["tar", "-xf", str(origs[0]), "-C", str(tree)], capture_output=True, text=True)
    if untar.returncode != 0:
        return None, _last_line(untar.stderr)
    inner = [d for d in tree.iterdir()]
    # An upstream tarball holds one top directory; the tree starts inside it, as dpkg-source's does.
    return (inner[0] if len(inner) == 1 and inner[0].is_dir() else tree), None


def _unpack_binary(package: Package, options: List[str], work: Path):
    got = _apt(options, ["download", f"{package.binary}={package.version}"], work)
    debs = sorted(work.glob("*.deb"))
    if got.returncode != 0 or len(debs) != 1:
        return None, _last_line(got.stderr) or f"expected one .deb, got {len(debs)}"
    tree = work / "tree"
    extract = subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(tree)], capture_output=True, text=True)
    if extract.returncode != 0:
        return None, _last_line(extract.stderr)
    return tree, None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# ---------------------------------------------------------------- checking and scoring

@dataclass
class Run:
    findings: list
    unparsed: set  # (package, path) of files udplint reported it could not parse
    seconds: float


def run_udplint(udplint: str, trees: Sequence[Path]) -> Run:
    command = [udplint, "check", "--format", "json", "--exit-zero", *map(str, trees)]
    started = time.monotonic()
    got = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    diagnostics = [line for line in got.stderr.splitlines() if line.strip()]
    print(f"udplint: {elapsed:.1f}s over {len(trees)} trees, exit {got.returncode}, "
          f"{len(diagnostics)} lines on stderr", file=sys.stderr)
    for line in diagnostics[:40]:
        # a parse error quotes the whole file; its first words are what a reader needs
        print(f"  {line[:DIAGNOSTIC_WIDTH]}", file=sys.stderr)
    if len(diagnostics) > 40:
        print(f"  ... {len(diagnostics) - 40} more", file=sys.stderr)
    if got.returncode != 0:
        raise CorpusError(f"udplint exited {got.returncode}: {_last_line(got.stderr)[:DIAGNOSTIC_WIDTH]}")
    unparsed = {place for line in diagnostics if ": cannot parse" in line
                for place in [_in_package(line.split(": cannot parse", 1)[0])] if place}
    return Run(json.loads(got.stdout or "[]"), unparsed, elapsed)


def to_hits(findings: list) -> List[Hit]:
    hits = []
    for finding in findings:
        place = _in_package(finding["filename"])
        if place is None:
            continue
        package, path = place
        related = tuple((rel[1], r["location"]["row"]) for r in finding.get("related", [])
                        for rel in [_in_package(r["filename"])] if rel and rel[0] == package)
        hits.append(Hit(package, path, finding["location"]["row"], finding["code"], related))
    return hits


def _in_package(filename: str):
    try:
        relative = Path(filename).resolve().relative_to(SOURCES.resolve())
    except ValueError:
        return None
    parts = relative.parts
    return (parts[0], "/".join(parts[1:])) if len(parts) > 1 else None


def shared_binds(cases: Sequence[Case]) -> frozenset:
    counts = defaultdict(int)
    for case in cases:
        counts[(case.package, case.bind)] += 1
    return frozenset(key for key, count in counts.items() if count > 1)


def score(cases: Sequence[Case], hits: Sequence[Hit]) -> Dict[str, Score]:
    scores: Dict[str, Score] = defaultdict(Score)
    shared = shared_binds(cases)
    for case in cases:
        flagged = any(hit.touches(case, shared) for hit in hits)
        bucket = {("bug", True): "found", ("bug", False): "missed",
                  ("ok", True): "false_alarms", ("ok", False): "quiet"}[(case.label, flagged)]
        for key in (case.language, "all"):
            getattr(scores[key], bucket).append(case)
    return scores


def _ratio(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def report(cases: Sequence[Case], hits: Sequence[Hit], scores: Dict[str, Score], unparsed: set) -> None:
    print(f"{'language':<9}{'cases':>6}{'bugs':>6}{'found':>7}{'false alarms':>14}{'recall':>8}{'precision':>11}")
    for key in (*LANGUAGES, "all"):
        s = scores[key]
        total = len(s.found) + len(s.missed) + len(s.false_alarms) + len(s.quiet)
        print(f"{key:<9}{total:>6}{len(s.found) + len(s.missed):>6}{len(s.found):>7}"
              f"{len(s.false_alarms):>14}{_ratio(s.recall()):>8}{_ratio(s.precision()):>11}")
    everything = scores["all"]
    for title, group in (("missed bugs", everything.missed), ("false alarms", everything.false_alarms)):
        print(f"\n{title} ({len(group)}):")
        for case in group:
            lost = [str(p) for p in case.places() if (case.package, p.path) in unparsed]
            note = f"  (not parsed: {', '.join(sorted(set(p.rsplit(':', 1)[0] for p in lost)))})" if lost else ""
            print(f"  {case.id:<34} {case.package}/{case.reply}  [{case.kind}]{note}")
    shared = shared_binds(cases)
    stray = [hit for hit in hits if not any(hit.touches(case, shared) for case in cases)]
    print(f"\nfindings on no labelled case ({len(stray)}):")
    for hit in stray:
        print(f"  {hit}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--udplint", default=str(Path(sys.executable).with_name("udplint")),
                        help="the udplint executable to measure (default: the one beside this Python)")
    parser.add_argument("--fetch-only", action="store_true",
                        help="fetch and unpack every package of the manifest, do not check")
    parser.add_argument("--json", type=Path, help="also write udplint's raw findings here")
    parser.add_argument("--findings", type=Path,
                        help="score findings saved earlier with --json instead of running udplint")
    args = parser.parse_args(argv)
    try:
        manifest = tomllib.loads((HERE / "manifest.toml").read_text())
        packages = load_manifest(HERE / "manifest.toml")
        cases = load_cases(HERE / "cases.toml", packages)
        wanted = set(packages) if args.fetch_only else {c.package for c in cases}
        used = [packages[name] for name in sorted(wanted)]
        debian = manifest.get("debian", {})
        failures = fetch(used, debian.get("suites", ["bookworm"]), debian.get("component", "main"))
        for failure in failures:
            print(f"cannot fetch {failure}", file=sys.stderr)
        if failures:
            return 2
        _check_places_exist(cases, packages)
        if args.fetch_only:
            return 0
        if args.findings:
            run = Run(json.loads(args.findings.read_text()), set(), 0.0)
        else:
            run = run_udplint(args.udplint, [p.tree for p in used])
    except CorpusError as error:
        print(f"run.py: {error}", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(json.dumps(run.findings, indent=2) + "\n")
    hits = to_hits(run.findings)
    print(f"udplint {run.seconds:.0f}s, {len(run.findings)} findings, "
          f"{len(run.unparsed)} files it could not parse\n")
    report(cases, hits, score(cases, hits), run.unparsed)
    return 0


def _check_places_exist(cases: Sequence[Case], packages: Dict[str, Package]) -> None:
    """A case whose file or line is gone (a new pin) must be fixed, not scored as quiet."""
    for case in cases:
        for place in case.places():
            path = packages[case.package].tree / place.path
            if not path.is_file():
                raise CorpusError(f"case {case.id}: no file {case.package}/{place.path}")
            if place.line > len(path.read_bytes().splitlines()):
                raise CorpusError(f"case {case.id}: {case.package}/{place} is past the end of the file")


if __name__ == "__main__":
    sys.exit(main())
