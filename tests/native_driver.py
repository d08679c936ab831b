"""A small stand-in for the native runner: one semgrep run over a directory with the fact rules of
one language, facts grouped per program (a Go package directory; a Java source tree = the whole
directory given), then the language's join. Used by the tests and the bench script."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

from udplint.findings import Finding
from udplint.polyglot import go, java  # noqa: F401
from udplint.polyglot.factmodel import NativeFact, facts_from_semgrep_json

RULES = Path(__file__).resolve().parent.parent / "rules"
SUFFIX = {"go": ".go", "java": ".java"}


def fact_rule_files(lang: str) -> List[str]:
    return [str(p) for p in sorted((RULES / lang).glob("fact_*.yaml"))]


def scan_facts(semgrep: str, lang: str, targets: Sequence[Path]) -> List[NativeFact]:
    command = [semgrep, "scan", "--json", "--metrics=off", "--disable-version-check", "--no-git-ignore",
               "--quiet", "--timeout", "60"]
    for rule_file in fact_rule_files(lang):
        command += ["--config", rule_file]
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    out = subprocess.run(command + ["--", *map(str, targets)], capture_output=True, text=True, env=env,
                         timeout=600, stdin=subprocess.DEVNULL)
    doc = json.loads(out.stdout)
    return [f for f in facts_from_semgrep_json(doc) if f.language == lang]


def programs(lang: str, facts: Sequence[NativeFact], root: Path) -> Dict[str, List[NativeFact]]:
    grouped: Dict[str, List[NativeFact]] = {}
    for fact in facts:
        key = str(Path(fact.path).parent) if lang == "go" else str(root)
        grouped.setdefault(key, []).append(fact)
    return grouped


def check_tree(semgrep: str, lang: str, root: Path) -> List[Finding]:
    files = sorted(p for p in Path(root).rglob("*" + SUFFIX[lang]) if p.is_file())
    if not files:
        return []
    facts = scan_facts(semgrep, lang, files)
    joiner = go.join if lang == "go" else java.join
    findings: List[Finding] = []
    for _program, program_facts in sorted(programs(lang, facts, Path(root)).items()):
        paths = {f.path for f in program_facts}
        if lang == "go":
            paths |= {str(p) for p in files if str(p.parent) == _program}
        else:
            paths |= {str(p) for p in files}
        sources = {p: Path(p).read_text(encoding="utf-8", errors="replace") for p in paths}
        findings += joiner(program_facts, sources)
    return sorted(findings, key=Finding.sort_key)
