"""A small stand-in for the native runner: one semgrep run with the fact rules of one language
over a set of files, facts grouped per program (a Go package = one directory; a Java source tree
= one directory given by the caller), then the language's join. Used by the tests and by
bench/native_gojava.py until the shared runner calls the joins."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import yaml

from udplint.findings import Finding
from udplint.polyglot import go, java
from udplint.polyglot.factmodel import NativeFact, facts_from_semgrep_json

RULES = Path(__file__).resolve().parent.parent / "rules"
SUFFIX = {"go": ".go", "java": ".java"}
JOIN = {"go": go.join, "java": java.join}


def fact_rule_files(lang: str) -> List[Path]:
    return sorted((RULES / lang).glob("fact_*.yaml"))


def scan_facts(semgrep: str, langs: Sequence[str], targets: Sequence[Path]) -> List[NativeFact]:
    """One semgrep process with every fact rule of `langs` (one combined config: semgrep's start-up
    dominates on a small corpus)."""
    rules = [rule for lang in langs for path in fact_rule_files(lang)
             for rule in yaml.safe_load(path.read_text())["rules"]]
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "facts.yaml"
        config.write_text(yaml.safe_dump({"rules": rules}))
        command = [semgrep, "scan", "--json", "--metrics=off", "--disable-version-check", "--no-git-ignore",
                   "--quiet", "--timeout", "60", "--config", str(config), "--", *map(str, targets)]
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                             stdin=subprocess.DEVNULL)
    doc = json.loads(out.stdout)
    return [f for f in facts_from_semgrep_json(doc) if f.language in langs]


def join_programs(lang: str, facts: Sequence[NativeFact], files: Sequence[Path],
                  program_of: Callable[[Path], str]) -> List[Finding]:
    """Group facts and files per program and run the language's join on each."""
    members: Dict[str, List[Path]] = {}
    for path in files:
        members.setdefault(program_of(Path(path)), []).append(Path(path))
    grouped: Dict[str, List[NativeFact]] = {}
    for fact in facts:
        if fact.language == lang:
            grouped.setdefault(program_of(Path(fact.path)), []).append(fact)
    findings: List[Finding] = []
    for program, program_facts in sorted(grouped.items()):
        sources = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in members.get(program, [])}
        findings += JOIN[lang](program_facts, sources)
    return sorted(findings, key=Finding.sort_key)


def check_programs(semgrep: str, lang: str, files: Sequence[Path],
                   program_of: Callable[[Path], str]) -> List[Finding]:
    """Findings for every program among `files`; `program_of(file)` names a file's program."""
    files = [Path(f) for f in files]
    if not files:
        return []
    return join_programs(lang, scan_facts(semgrep, [lang], files), files, program_of)


def check_tree(semgrep: str, lang: str, root: Path) -> List[Finding]:
    """Go: one program per package directory; Java: the whole tree is one program."""
    files = sorted(p for p in Path(root).rglob("*" + SUFFIX[lang]) if p.is_file())
    program_of = (lambda p: str(p.parent)) if lang == "go" else (lambda p: str(root))
    return check_programs(semgrep, lang, files, program_of)
