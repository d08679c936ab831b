"""Recall and precision of the Go and Java joins on a labelled corpus of unpacked sources.

    python bench/native_gojava.py CASES_TOML SOURCES_DIR [--lang go|java] [--go-program package|module]
                                  [--java-files dirs|case] [-v]

CASES_TOML lists `[[case]]` tables (id, package, language, file, bind, reply, label = bug|ok) with
paths relative to SOURCES_DIR/<package>/; `bind`/`reply` are a line in `file` or `other/file:line`
(the layout of bench/realworld-native/cases.toml). Each case's program is what a runner would hand
the join: for Go each package directory of the reply and bind files (`--go-program module` joins
them), for Java the directories of those files together (`--java-files case`: the two files).
A case is flagged when a finding lies within 3 lines of its reply line or has its related
location within 3 lines of its bind line. Nothing here runs in the test suite.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import native_driver  # noqa: E402

NEAR = 3


@dataclass(frozen=True)
class Place:
    path: Path
    line: int


@dataclass
class Case:
    id: str
    language: str
    label: str
    reply: Place
    bind: Place


def place(root: Path, case_file: str, spec) -> Place:
    if isinstance(spec, int):
        return Place(root / case_file, spec)
    other, _, line = str(spec).rpartition(":")
    return Place(root / other, int(line))


def load_cases(cases_toml: Path, sources: Path, langs) -> List[Case]:
    cases = []
    for entry in tomllib.loads(cases_toml.read_text())["case"]:
        if entry["language"] not in langs:
            continue
        root = sources / entry["package"]
        cases.append(Case(entry["id"], entry["language"], entry["label"],
                          place(root, entry["file"], entry["reply"]), place(root, entry["file"], entry["bind"])))
    return cases


def flagged(case: Case, findings) -> bool:
    for finding in findings:
        here = Path(finding.filename).resolve()
        if here == case.reply.path.resolve() and abs(finding.location.row - case.reply.line) <= NEAR:
            return True
        for related in finding.related:
            if Path(related.filename).resolve() == case.bind.path.resolve() \
                    and abs(related.location.row - case.bind.line) <= NEAR \
                    and here.parent == case.reply.path.resolve().parent:
                return True
    return False


def run_case(semgrep: str, case: Case, go_program: str, java_files: str):
    suffix = native_driver.SUFFIX[case.language]
    dirs = sorted({case.reply.path.parent, case.bind.path.parent})
    files = sorted({p for d in dirs for p in d.glob("*" + suffix) if p.is_file()})
    if case.language == "java" and java_files == "case":
        files = sorted({case.reply.path, case.bind.path})
    if case.language == "go":
        files = [p for p in files if not p.name.endswith("_test.go")]
        if go_program == "package":
            program_of = lambda p: str(Path(p).resolve().parent)
        else:  # the case's directories as one program (bind and reply in different packages)
            program_of = lambda p: "module"
    else:
        program_of = lambda p: "tree"
    return native_driver.check_programs(semgrep, case.language, files, program_of), len(files)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path)
    parser.add_argument("sources", type=Path)
    parser.add_argument("--lang", choices=("go", "java"), action="append")
    parser.add_argument("--go-program", choices=("package", "module"), default="package",
                        help="Go program = one package directory (as the runner groups) or all the "
                             "case's directories together")
    parser.add_argument("--java-files", choices=("dirs", "case"), default="dirs",
                        help="Java program = every file of the reply's and bind's directories, or only "
                             "those two files (faster)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    semgrep = shutil.which("semgrep") or str(Path(sys.executable).parent / "semgrep")
    langs = tuple(args.lang or ("go", "java"))
    score: Dict[str, Dict[str, int]] = {lang: {"tp": 0, "fn": 0, "fp": 0, "tn": 0} for lang in langs}
    for case in load_cases(args.cases, args.sources, langs):
        started = time.monotonic()
        findings, nfiles = run_case(semgrep, case, args.go_program, args.java_files)
        hit = flagged(case, findings)
        outcome = {("bug", True): "tp", ("bug", False): "fn", ("ok", True): "fp", ("ok", False): "tn"}[
            (case.label, hit)]
        score[case.language][outcome] += 1
        print(f"{case.language:4} {outcome.upper():2} {case.label:3} {case.id:40} files={nfiles:<4} "
              f"findings={len(findings):<3} {time.monotonic() - started:5.1f}s", flush=True)
        if args.verbose or outcome in ("fn", "fp"):
            for finding in findings:
                print(f"        {finding.code} {finding.filename}:{finding.location.row} "
                      f"(bind {finding.related[0].location.row if finding.related else '?'})")
    for lang, s in score.items():
        recall = s["tp"] / max(1, s["tp"] + s["fn"])
        precision = s["tp"] / max(1, s["tp"] + s["fp"])
        print(f"{lang}: recall {recall:.2f} ({s['tp']} of {s['tp'] + s['fn']}), precision {precision:.2f} "
              f"({s['fp']} false alarms in {s['fp'] + s['tn']} look-alikes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
