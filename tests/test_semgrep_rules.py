"""The semgrep rules for C, Go and Java: their own annotated tests pass, and every rule keeps the
contract the CLI relies on (metadata udplint-code + a docs reference)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from udplint.catalog import RULES
from udplint.polyglot.semgrep import rules_dir

REPO_RULES = Path(__file__).resolve().parent.parent / "rules"


def semgrep_or_skip() -> str:
    beside = Path(sys.executable).parent / "semgrep"
    found = str(beside) if beside.exists() else shutil.which("semgrep")
    if not found:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("semgrep is not installed (pip install semgrep)")
        pytest.skip("semgrep is not installed (pip install semgrep)")
    return found


def all_rules():
    """Every bundled rule, with the file it is in."""
    for path in sorted(REPO_RULES.rglob("*.yaml")):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            yield path, rule


def test_rule_tests_pass():
    semgrep = semgrep_or_skip()
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    out = subprocess.run([semgrep, "--test", "--metrics=off", str(REPO_RULES)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "All tests passed" in out.stdout + out.stderr


FACT_KINDS_C = {"socket", "bind", "address", "receive", "send", "option", "multicast", "pktinfo", "connect",
                "assign", "function", "macro"}


def test_every_rule_has_the_udplint_contract():
    """A rule is a fact rule (`udplint.fact.<lang>.<kind>[.<variant>]` with metadata udplint-fact and
    udplint-lang) or a whole-finding rule (metadata udplint-code + a docs reference)."""
    ids = set()
    for path, rule in all_rules():
        meta = rule["metadata"]
        assert rule["id"] not in ids
        ids.add(rule["id"])
        if "udplint-fact" in meta:
            lang, kind = meta["udplint-lang"], meta["udplint-fact"]
            assert lang == path.parent.name, rule["id"]
            assert rule["id"] == f"udplint.fact.{lang}.{kind}" or rule["id"].startswith(f"udplint.fact.{lang}.{kind}.")
            assert rule["severity"] == "INFO"
            continue
        code = meta["udplint-code"]
        assert code in RULES, (path, rule["id"])
        assert f"https://github.com/udplint/udplint/blob/main/docs/rules/{code}.md" in meta["references"]
        assert rule["message"].startswith(f"{code}: "), rule["id"]
        assert "fix" not in rule, "no mechanical rewrite is safe for these rules"
    # every language is checked by fact rules and its join; no rule decides a finding on its own
    assert {p.parent.name for p, r in all_rules() if "udplint-fact" in r["metadata"]} == {"c", "go", "java"}
    assert [r["id"] for _, r in all_rules() if "udplint-code" in r["metadata"]] == []


def test_c_has_one_rule_file_per_fact_kind():
    kinds = {}
    for path, rule in all_rules():
        if path.parent.name == "c":
            kinds.setdefault(rule["metadata"]["udplint-fact"], set()).add(path.stem)
    assert set(kinds) == FACT_KINDS_C
    assert all(files == {kind} for kind, files in kinds.items())


def test_every_rule_file_has_a_test_program():
    suffix = {"c": ".c", "go": ".go", "java": ".java"}
    for path in REPO_RULES.rglob("*.yaml"):
        assert path.with_suffix(suffix[path.parent.name]).exists(), path


def test_rules_dir_finds_the_rules():
    assert any(rules_dir().rglob("*.yaml"))


CORPUS = Path(__file__).resolve().parent / "fixtures" / "polyglot_corpus"


def test_file_level_verdicts_on_the_look_alike_corpus():
    """Each corpus file says which rule ids it must get (`expect: UDP001` / `expect: none`): real
    servers shaped several ways, and the look-alikes (clients, TCP, sinks, specific binds)."""
    semgrep_or_skip()
    from udplint.polyglot.semgrep import check_files

    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    findings, errors = check_files(files)
    assert errors == []
    got = {}
    for finding in findings:
        got.setdefault(finding.filename, set()).add(finding.code)
    for path in files:
        expect = re.search(r"expect: (\S+)", path.read_text()).group(1)
        want = set() if expect == "none" else set(expect.split(","))
        assert got.get(str(path), set()) == want, path


def test_file_level_gates_hold_on_a_large_file(tmp_path):
    """The rules' whole-file regex gates must not hit a regex match limit on big sources."""
    semgrep_or_skip()
    from udplint.polyglot.semgrep import check_files

    # bytes are what the regexes scan; a comment keeps semgrep's own parsing cheap
    filler = "/*\n" + "".join(f" * line {i}: sendto recvfrom bind memset ipi_addr\n" for i in range(6000)) + " */\n"
    bug = (CORPUS.parent / "c" / "echo_bug.c").read_text()
    target = tmp_path / "big_server.c"
    target.write_text(filler + bug)
    assert target.stat().st_size > 250_000
    findings, errors = check_files([target])
    assert errors == []
    assert [f.code for f in findings] == ["UDP001"]
