"""The pieces of the native pipeline without semgrep: conditional resolution, expression keys,
argument and parameter lists, the prefilter and program grouping, joiner dispatch."""
from __future__ import annotations

from pathlib import Path

from udplint.polyglot import c, c_program, cpp_branches, runner
from udplint.polyglot.factmodel import NativeFact

SPLIT = """int f(int a
#ifdef WIDE
      , int b) {
    return a + b;
#else
      ) {
    return a;
#endif
}
"""


def test_variants_keep_every_line_and_column():
    first, last = cpp_branches.variants(SPLIT)
    original = SPLIT.split("\n")
    for variant in (first, last):
        lines = variant.split("\n")
        assert len(lines) == len(original)
        for kept, line in zip(lines, original):
            assert kept in ("", line)
    assert "int b) {" in first and "      ) {" not in first
    assert "      ) {" in last and "int b) {" not in last
    assert "#" not in first + last


def test_if_zero_is_a_comment_and_nesting_is_resolved():
    text = "#if 0\nold();\n#else\nnew();\n#endif\n#ifdef A\n#ifdef B\nab();\n#endif\n#endif\n"
    first = cpp_branches.resolve(text, prefer_last=False)
    assert "old();" not in first and "new();" in first and "ab();" in first


def test_unpaired_conditionals_give_no_variant():
    assert cpp_branches.variants("#ifdef A\nint x;\n") == []


def test_needs_variants_only_for_conditionals_that_split_code():
    assert cpp_branches.needs_variants(SPLIT)
    assert cpp_branches.needs_variants("void f(void) {\n#ifdef A\n g();\n#endif\n}\n")
    assert not cpp_branches.needs_variants("#ifdef A\n#include <a.h>\n#endif\nvoid f(void) { g(); }\n")
    assert not cpp_branches.needs_variants("void f(void) { g(); }\n")


def test_normalize_drops_casts_address_of_and_indexes():
    assert c_program.normalize("(struct sockaddr *)&req->from") == "req->from"
    assert c_program.normalize("(const struct sockaddr *) &peers[i]") == "peers"
    assert c_program.normalize("((&cli))") == "cli"
    assert c_program.normalize("htonl(INADDR_ANY)") is None
    assert c_program.normalize("NULL") is None


def test_argument_and_parameter_lists():
    assert c_program.call_arguments("Sendto(fd, f(a, b), n, 0, (SA *)&cli, len)") == [
        "fd", "f(a, b)", "n", "0", "(SA *)&cli", "len"]
    definition = "static ssize_t Sendto(int fd, const void *buf, size_t n, int flags,\n" \
                 "    const struct sockaddr *to, socklen_t tolen, void (*done)(int)) {\n return 0; }"
    assert c_program.parameter_names(definition, "Sendto") == ["fd", "buf", "n", "flags", "to", "tolen", "done"]
    assert c_program.parameter_names("int main(void) { }", "main") == []


def fact(kind, line, path="d/a.c", end_line=None, **attrs):
    return NativeFact("c", kind, path, line, 1, end_line or line, 80, attrs)


def test_keys_are_local_field_or_global():
    source = "void f(int fd) {\n  struct sockaddr_in peer;\n  use(peer, other, r->from, m.msg_name);\n}\n"
    program = c_program.build([fact("function", 1, end_line=4, name="f")], {"d/a.c": source})
    scope = c_program.Scope("d/a.c", "f")
    assert program.keys("&peer", scope) == {"L:d/a.c:f:peer"}
    assert program.keys("other", scope) == {"G:other"}
    assert program.keys("&r->from", scope) == {"F:from"}
    assert program.keys("m.msg_name", scope) == {"N:G:m"}
    assert program.keys("&u.sin", scope) == {"F:sin", "G:u"}  # a union member is also its union


def test_join_unit_peer_through_parameter():
    source = ("void reply(int fd, struct sockaddr *to) {\n sendto(fd, b, 1, 0, to, 16);\n}\n"
              "int main(void) {\n int fd = socket(AF_INET, SOCK_DGRAM, 0);\n struct sockaddr_in sin, peer;\n"
              " sin.sin_addr.s_addr = INADDR_ANY;\n bind(fd, &sin, 16);\n recvfrom(fd, b, 1, 0, &peer, &l);\n"
              " reply(fd, (struct sockaddr *)&peer);\n}\n")
    facts = [fact("function", 1, end_line=3, name="reply"), fact("send", 2, call="sendto", sock="fd", dest="to"),
             fact("function", 4, end_line=11, name="main"),
             fact("socket", 5, sock="fd", family="AF_INET", type="SOCK_DGRAM"),
             fact("assign", 7, to="sin.sin_addr.s_addr", **{"from": "INADDR_ANY"}),
             fact("bind", 8, sock="fd", addr="&sin"), fact("receive", 9, call="recvfrom", sock="fd", peer="&peer"),
             fact("call", 10, callee="reply")]
    findings = c.join(facts, {"d/a.c": source})
    # the wrapper is followed like any function: the reply is its call, and its sendto is related
    assert [(f.code, f.location.row) for f in findings] == [("UDP001", 10)]
    assert [r.location.row for r in findings[0].related] == [8, 2]
    connected = facts + [fact("connect", 9, sock="fd", addr="&srv")]
    assert c.join(connected, {"d/a.c": source}) == []


def src(path, data: bytes):
    return runner.SourceText(path, runner.LANGUAGE_OF_SUFFIX[Path(path).suffix], data)


def test_prefilter_drops_c_programs_without_receive_and_send():
    kept = runner.prefilter([
        src("srv/a.c", b"n = recvfrom(fd, b, n, 0, &p, &l);"), src("srv/b.c", b"sendto(fd, b, n, 0, to, l);"),
        src("srv/util.c", b"int add(int a, int b) { return a + b; }"),
        src("cli/only_send.c", b"sendto(fd, b, n, 0, to, l);"), src("cli/bind.c", b"bind(fd, sa, l);"),
    ])
    assert [s.given for s in kept] == ["srv/a.c", "srv/b.c"]


def test_java_programs_group_by_source_root(tmp_path):
    one = tmp_path / "src" / "main" / "java" / "org" / "ex" / "A.java"
    two = tmp_path / "src" / "main" / "java" / "org" / "ex" / "net" / "B.java"
    groups = runner.group_programs(
        [(str(one), b"package org.ex;\nclass A {}"), (str(two), b"package org.ex.net;\nclass B {}")],
        lambda item: "java", lambda item: item[0], lambda item: item[1])
    assert list(groups) == [("java", str(tmp_path / "src" / "main" / "java"))]


def test_a_language_without_joiner_is_reported_not_skipped_silently():
    run = runner.NativeRun()
    facts = [NativeFact("kotlin", "send", "k/a.kt", 1, 1, 1, 2, {})]
    assert runner._join(facts, [], run, joiners=None) == []
    assert run.notes and "kotlin" in run.notes[0] and "no kotlin joiner" in run.notes[0]


def _chain_facts(length: int) -> list:
    """`a1 = a0; ...; aN = aN-1` written last-first, so each solver pass moves the peer one step."""
    facts = [NativeFact("go", "receive", "p/a.go", 1, 1, 1, 2, {"peer": "a0", "conn": "c"})]
    for index in range(length, 0, -1):
        facts.append(NativeFact("go", "assign", "p/a.go", 1 + index, 1, 1 + index, 9,
                                {"to": f"a{index}", "from": f"a{index - 1}"}))
    return facts


def test_a_program_over_the_solver_budget_is_reported():
    from udplint.polyglot import go, nameflow

    notes: list = []
    go.join(_chain_facts(nameflow.SOLVER_ROUNDS + 4), {"p/a.go": "package p\n"}, notes)
    assert len(notes) == 1 and notes[0].startswith("p: Go program not fully analysed")
    within: list = []
    go.join(_chain_facts(nameflow.SOLVER_ROUNDS - 4), {"p/a.go": "package p\n"}, within)
    assert within == []


def test_java_prefilter_keeps_datagram_code_and_drops_trees_without_datagrams():
    kept = runner.prefilter([
        src("udp/src/Server.java", b"class Server { DatagramSocket s; void run() { s.receive(p); } }"),
        src("udp/src/Reply.java", b"class Reply { void to(SocketAddress peer) { } }"),
        src("udp/src/Queue.java", b"class Queue { Object receive() { return null; } }"),
        src("jms/src/Listener.java", b"class Listener { void receive(Message m) { } }"),
    ])
    assert [s.given for s in kept] == ["udp/src/Server.java", "udp/src/Reply.java"]


def _fake_semgrep(tmp_path, knows_fast_cli: bool) -> str:
    """A stand-in semgrep that logs its command lines and answers with an empty JSON report."""
    log = tmp_path / "calls.log"
    script = tmp_path / "semgrep"
    reject = "" if knows_fast_cli else 'case "$*" in *--experimental*) echo "No such option" >&2; exit 2;; esac\n'
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{reject}echo \'{{"results": [], "errors": []}}\'\n')
    script.chmod(0o755)
    return str(script)


def test_semgrep_runs_its_fast_cli_and_falls_back_when_it_is_unknown(tmp_path, monkeypatch):
    from udplint.polyglot import semgrep

    target = tmp_path / "a.c"
    target.write_text("int x;\n")
    for knows in (True, False):
        monkeypatch.setattr(semgrep, "_fast_cli_works", [])
        (tmp_path / "calls.log").unlink(missing_ok=True)
        executable = _fake_semgrep(tmp_path, knows)
        for _ in range(2):
            assert semgrep._run(executable, tmp_path, [str(target)]) == {"results": [], "errors": []}
        calls = (tmp_path / "calls.log").read_text().splitlines()
        fast = ["--experimental" in call for call in calls]
        # known: fast both times; unknown: tried once, then the usual command line only
        assert fast == ([True, True] if knows else [True, False, False])


def test_semgrep_runs_are_split_by_source_size_and_their_reports_merged(tmp_path, monkeypatch):
    from udplint.polyglot import semgrep

    targets = []
    for index in range(5):
        target = tmp_path / f"part{index}.c"
        target.write_text("int x;\n" * 100)  # 700 bytes each
        targets.append(str(target))
    monkeypatch.setattr(semgrep, "_fast_cli_works", [])
    monkeypatch.setattr(semgrep, "_SOURCE_BUDGET", 1500)  # two files per run
    monkeypatch.setattr(semgrep, "semgrep_executable", lambda: _fake_semgrep(tmp_path, True))
    monkeypatch.setattr(semgrep, "rules_dir", lambda: tmp_path)
    assert semgrep.scan(targets) == {"results": [], "errors": []}
    calls = (tmp_path / "calls.log").read_text().splitlines()
    named = [[t for t in targets if t in call] for call in calls]
    assert named == [targets[0:2], targets[2:4], targets[4:5]]


def test_semgrep_report_quoting_latin1_source_is_read_not_lost(tmp_path, monkeypatch):
    """A fact message quotes the source as it is: a Latin-1 byte (0xa9 in a C comment or string)
    arrives in the JSON report as a byte that is not UTF-8. The report is read, that byte replaced."""
    from udplint.polyglot import semgrep

    target = tmp_path / "a.c"
    target.write_bytes(b'char *c = "\xa9 1999";\n')
    script = tmp_path / "semgrep"
    script.write_bytes(b'#!/bin/sh\nprintf \'{"results": [{"extra": {"message": "from=\\"\\251 1999\\""}}], "errors": []}\'\n')
    script.chmod(0o755)
    monkeypatch.setattr(semgrep, "_fast_cli_works", [])
    report = semgrep._run(str(script), tmp_path, [str(target)])
    assert report["results"][0]["extra"]["message"] == 'from="\ufffd 1999"'


def test_a_file_semgrep_cannot_finish_costs_that_file_only(tmp_path, monkeypatch):
    """A run that overruns its time limit is split until the file that hangs is alone: it is
    reported as not checked, the facts of the files batched with it are kept, and no engine
    process outlives the limit."""
    from udplint.polyglot import semgrep

    names = []
    for stem in ("a", "b", "hangs", "c"):
        (tmp_path / f"{stem}.c").write_text("int x;\n")
        names.append(str(tmp_path / f"{stem}.c"))
    pidfile = tmp_path / "engine.pid"
    script = tmp_path / "semgrep"
    # the engine is a child of the command, as semgrep-core is of semgrep
    script.write_text(
        '#!/bin/sh\n'
        f'case "$*" in *hangs.c*) sleep 60 & echo $! > {pidfile}; wait; exit 0;; esac\n'
        'printf \'{"results": [{"path": "x", "n": %d}], "errors": []}\' $#\n')
    script.chmod(0o755)
    monkeypatch.setattr(semgrep, "_fast_cli_works", [True])
    monkeypatch.setattr(semgrep, "semgrep_executable", lambda: str(script))
    monkeypatch.setattr(semgrep, "rules_dir", lambda: tmp_path)
    monkeypatch.setattr(semgrep, "_timeout", lambda files: 1)
    report = semgrep.scan(names)
    assert len(report["results"]) == 2  # [a, b] in one run, then [c] once [hangs, c] was split
    assert [(e["path"], e["type"]) for e in report["errors"]] == [(names[2], "Timeout")]
    engine = int(pidfile.read_text())
    assert not Path(f"/proc/{engine}").exists() or "Z" in Path(f"/proc/{engine}/stat").read_text().split()[2]

    run = runner.NativeRun()
    target = runner.Target(scanned=names[2], source=src(names[2], b"int x;\n"))
    errors = runner._file_errors([(report, [target])], run)
    assert [(e.filename, e.kind) for e in errors] == [(names[2], "too-complex")]
    assert "not checked" in errors[0].reason
