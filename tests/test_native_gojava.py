"""Go and Java fact rules and their joins.

The fact rules keep the fact contract (id `udplint.fact.<lang>.<kind>`, metadata
udplint-fact/udplint-lang, an annotated test program beside each); `semgrep --test` over them runs
in tests/test_semgrep_rules.py with every other rule (one run: semgrep's start-up is the cost). The joins are checked on
multi-file programs under tests/fixtures/native_join/<lang>/<case>/: a reply line carries
`// expect: UDPxxx`, the bind the finding must point at carries `// bind`; every other send in
the case must stay silent (clients, specific binds, per-address sockets, multicast, correct fixes).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from udplint.polyglot.factmodel import facts_from_semgrep_json
from udplint.polyglot.go import GoProgram

import native_driver
from test_semgrep_rules import semgrep_or_skip

HERE = Path(__file__).resolve().parent
JOIN_FIXTURES = HERE / "fixtures" / "native_join"
LANGS = ("go", "java")
CASES = [(lang, case.name) for lang in LANGS for case in sorted((JOIN_FIXTURES / lang).iterdir()) if case.is_dir()]
_EXPECT = re.compile(r"//\s*expect:\s*(UDP\d{3})")
_BIND = re.compile(r"//\s*bind\b")


def fact_rules(lang):
    for path in native_driver.fact_rule_files(lang):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            yield path, rule


@pytest.mark.parametrize("lang", LANGS)
def test_fact_rules_keep_the_fact_contract(lang):
    kinds = set()
    for path, rule in fact_rules(lang):
        kind = rule["metadata"]["udplint-fact"]
        assert rule["id"] == f"udplint.fact.{lang}.{kind}", path
        assert rule["metadata"]["udplint-lang"] == lang
        assert rule["languages"] == [lang]
        assert "udplint-code" not in rule["metadata"], "facts are not findings"
        assert path.with_suffix(native_driver.SUFFIX[lang]).exists(), f"{path} has no annotated test program"
        assert "func=$ENCLOSING" in rule["message"] or kind in ("global", "field", "func"), rule["id"]
        kinds.add(kind)
    assert {"listen" if lang == "go" else "socket", "receive", "send", "assign", "call", "func"} <= kinds


@pytest.fixture(scope="module")
def scanned():
    """One semgrep run with the Go and Java fact rules over every join case and the loopback-proven
    programs (tests/test_polyglot_oracle.py proves them on real sockets)."""
    semgrep = semgrep_or_skip()
    fixtures = HERE / "fixtures"
    files = {lang: sorted(JOIN_FIXTURES.joinpath(lang).rglob("*" + native_driver.SUFFIX[lang])) for lang in LANGS}
    files["go"] += sorted((fixtures / "go").rglob("*.go"))
    files["java"] += sorted((fixtures / "java").glob("*.java"))
    facts = native_driver.scan_facts(semgrep, LANGS, files["go"] + files["java"])
    return facts, files


@pytest.fixture(scope="module")
def case_findings(scanned):
    facts, files = scanned
    found = {}
    for lang in LANGS:
        root = JOIN_FIXTURES / lang
        members = [p for p in files[lang] if root in p.parents]
        for finding in native_driver.join_programs(lang, facts, members, lambda p, root=root: _case_of(p, root)):
            found.setdefault((lang, _case_of(Path(finding.filename), root)), []).append(finding)
    return found


def _case_of(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).parts[0]
    except ValueError:
        return ""


def _markers(case_dir: Path, pattern):
    marks = set()
    for path in sorted(p for p in case_dir.rglob("*") if p.is_file()):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            match = pattern.search(text)
            if match:
                marks.add((path.name, number, match.group(1) if match.groups() else ""))
    return marks


@pytest.mark.parametrize("lang,case", CASES)
def test_join_finds_exactly_the_marked_replies(case_findings, lang, case):
    case_dir = JOIN_FIXTURES / lang / case
    expected = _markers(case_dir, _EXPECT)
    got = {(Path(f.filename).name, f.location.row, f.code) for f in case_findings.get((lang, case), [])}
    assert got == expected
    binds = {(name, row) for name, row, _ in _markers(case_dir, _BIND)}
    for finding in case_findings.get((lang, case), []):
        assert finding.related, finding
        related = finding.related[0]
        if binds:
            assert (Path(related.filename).name, related.location.row) in binds, finding
        assert finding.message and "Fix" in finding.message
        assert finding.source_line.strip(), "the reply's text is kept for fingerprints"


def test_cases_cover_the_shapes_the_join_promises():
    names = {case for _, case in CASES}
    assert {"split_files", "struct_peer", "client", "netty_handler", "per_address", "mina", "multicast"} <= names
    bugs = sum(1 for lang, case in CASES if _markers(JOIN_FIXTURES / lang / case, _EXPECT))
    assert bugs >= 0.4 * len(CASES)


@pytest.mark.parametrize("lang,bug,fixed", [
    ("go", "go/bug", "go/fixed"),
    ("java", "java/EchoBug.java", "java/EchoFixed.java"),
])
def test_join_agrees_with_the_loopback_proven_programs(scanned, lang, bug, fixed):
    """tests/test_polyglot_oracle.py proves on real sockets that `bug` loses its reply and `fixed`
    answers from the right address; the join must flag exactly the first."""
    facts, _ = scanned
    fixtures = HERE / "fixtures"
    files = [p for name in (bug, fixed) for p in ([fixtures / name] if (fixtures / name).is_file()
                                                  else sorted((fixtures / name).glob("*.go")))]
    program_of = lambda p: str(Path(p).resolve().parent) if lang == "go" else str(Path(p).resolve())
    mine = [f for f in facts if Path(f.path).resolve() in {p.resolve() for p in files}]
    findings = native_driver.join_programs(lang, mine, files, program_of)
    assert [(f.code, Path(f.filename).resolve().is_relative_to((fixtures / bug).resolve())) for f in findings] \
        == [("UDP001", True)]


def test_facts_from_semgrep_json_reads_kind_language_and_drops_unbound_values():
    doc = {"results": [
        {"check_id": "rules.go.udplint.fact.go.receive", "path": "a.go",
         "start": {"line": 3, "col": 2}, "end": {"line": 3, "col": 40},
         "extra": {"message": "api=ReadFrom; conn=pc; peer=from; oob=$OOBUF; func=serve", "metadata": {}}},
        {"check_id": "x", "path": "b.java", "start": {"line": 1, "col": 1}, "end": {"line": 1, "col": 2},
         "extra": {"message": "m", "metadata": {"udplint-fact": "send", "udplint-lang": "java"}}},
        {"check_id": "go-wildcard-udp-reply-unpinned-source", "path": "c.go", "start": {"line": 1, "col": 1},
         "end": {"line": 1, "col": 2}, "extra": {"message": "UDP001: ...", "metadata": {"udplint-code": "UDP001"}}},
    ]}
    facts = facts_from_semgrep_json(doc)
    assert [(f.language, f.kind, f.path) for f in facts] == [("go", "receive", "a.go"), ("java", "send", "b.java")]
    assert facts[0].attrs == {"api": "ReadFrom", "conn": "pc", "peer": "from", "func": "serve"}
    assert facts[0].function == "serve" and facts[0].get("oob") == ""


@pytest.mark.parametrize("expr,kind", [
    ('":53"', "wildcard"), ('"0.0.0.0:5353"', "wildcard"), ('"[::]:53"', "wildcard"),
    ('"127.0.0.1:53"', "specific"), ('":0"', "ephemeral"), ('":"+port', "wildcard"),
    ('"10.1.2.3:"+port', "specific"), ('fmt.Sprintf(":%d", port)', "wildcard"),
    ('fmt.Sprintf("%s:%d", "192.0.2.1", port)', "specific"), ('net.JoinHostPort("", port)', "wildcard"),
    ("&net.UDPAddr{Port: port}", "wildcard"), ("&net.UDPAddr{}", "ephemeral"),
    ("&net.UDPAddr{IP: net.IPv4zero, Port: 53}", "wildcard"),
    ('&net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 53}', "specific"),
    ('net.ResolveUDPAddr("udp", ":53")', "wildcard"), ("os.Args[1]", "unknown"),
])
def test_go_listen_addresses_are_classified(expr, kind):
    program = GoProgram([], {})
    assert program.classify(expr, "x.go", "main", 0).kind == kind
