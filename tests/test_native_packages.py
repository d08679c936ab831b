"""Go and Java programs of several packages, end to end through `udplint check` (the runner's
grouping: Go one program per package directory, joined with the packages of the run it imports
that do datagram I/O; Java one program per source tree, joined with the trees whose packages it
imports that open a datagram socket). Each case under tests/fixtures/native_packages/<lang>/<case>/
is a module (Go: go.mod) or a multi-module build (Java) whose reply lines end with
`// expect: CODE` and whose bind carries `// bind`; every other send must stay silent. The
fixtures are the shapes of servers whose handler lives in one package and whose socket in
another: a transport hub with a receive wrapper and its own WriteTo, a handler handed to the
transport as a function value (from a file that names no socket API), a transport bound by its
caller to one specific address, a client package imported by a sender; a MINA datagram transport
module bound to the wildcard by a server module (beside a TCP module of the same build), and one
bound to a specific address.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_semgrep_rules import semgrep_or_skip
from udplint.polyglot import go, java

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "native_packages"
SUFFIX = {"go": ".go", "java": ".java"}
CASES = sorted(f"{lang}/{p.name}" for lang in SUFFIX for p in (FIXTURES / lang).iterdir() if p.is_dir())
EXPECT = re.compile(r"//\s*expect:\s*(UDP\d{3})")
BIND = re.compile(r"//\s*bind\b")


@pytest.fixture(scope="module")
def checked():
    """One `udplint check` over every case."""
    semgrep_or_skip()
    run = subprocess.run([sys.executable, "-m", "udplint", "check", "--format", "json", "--exit-zero", str(FIXTURES)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _marks(case: Path, pattern) -> set:
    found = set()
    for path in sorted(case.rglob("*" + SUFFIX[case.parent.name])):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = pattern.search(line)
            if match:
                found.add((str(path.relative_to(case)), number, match.group(1) if match.groups() else ""))
    return found


@pytest.mark.parametrize("case", CASES)
def test_package_case(checked, case):
    directory = (FIXTURES / case).resolve()
    mine = [f for f in checked if directory in Path(f["filename"]).resolve().parents]
    got = {(str(Path(f["filename"]).resolve().relative_to(directory)), f["location"]["row"], f["code"]) for f in mine}
    assert got == _marks(directory, EXPECT)
    binds = {(name, row) for name, row, _ in _marks(directory, BIND)}
    for finding in mine:
        related = finding["related"][0]
        assert (str(Path(related["filename"]).resolve().relative_to(directory)), related["location"]["row"]) in binds


def test_cases_hold_bugs_and_look_alikes():
    for lang in SUFFIX:
        cases = [case for case in CASES if case.startswith(lang + "/")]
        bugs = [case for case in cases if _marks(FIXTURES / case, EXPECT)]
        assert 1 <= len(bugs) < len(cases), lang


def test_imports_are_read_from_single_lines_and_blocks():
    text = 'package a\nimport "x/one"\nimport (\n\t"fmt"\n\tnet2 "x/two"\n\t_ "x/three"\n)\n'
    assert go.imports_of(text) == ["x/one", "fmt", "x/two", "x/three"]


def test_linked_programs_name_imported_io_packages_by_module_and_by_gopath_suffix(tmp_path):
    from udplint.polyglot.factmodel import NativeFact

    def fact(path, kind):
        return NativeFact("go", kind, str(path), 1, 1, 1, 2, {})

    (tmp_path / "go.mod").write_text("module example.com/m\n")
    for name in ("app", "transport", "helpers"):
        (tmp_path / name).mkdir()
    gopath = tmp_path / "gocode" / "src" / "other.org" / "lib"
    gopath.mkdir(parents=True)
    app = {str(tmp_path / "app" / "a.go"): 'package app\nimport (\n"example.com/m/transport"\n'
                                            '"example.com/m/helpers"\n"other.org/lib"\n)\n',
           str(tmp_path / "app" / "a_test.go"): 'package app\nimport "example.com/m/testonly"\n'}
    others = {str(tmp_path / "transport"): [fact(tmp_path / "transport" / "t.go", "receive")],
              str(tmp_path / "helpers"): [fact(tmp_path / "helpers" / "h.go", "assign")],
              str(gopath): [fact(gopath / "l.go", "send")]}
    assert sorted(go.linked_programs(str(tmp_path / "app"), app, others)) == sorted([str(tmp_path / "transport"),
                                                                                     str(gopath)])


def test_java_trees_link_to_the_imported_trees_that_open_a_datagram_socket(tmp_path):
    from udplint.polyglot.factmodel import NativeFact

    def fact(root, package, kind):
        path = tmp_path / root / package.replace(".", "/") / "X.java"
        return NativeFact("java", kind, str(path), 1, 1, 1, 2, {})

    server = {str(tmp_path / "server/org/ex/srv/S.java"):
              "package org.ex.srv;\nimport org.ex.net.Transport;\nimport static org.ex.udp.Sockets.open;\n"
              "import org.ex.util.*;\n"}
    others = {str(tmp_path / "net"): [fact("net", "org.ex.net", "socket")],
              str(tmp_path / "udp"): [fact("udp", "org.ex.udp", "socket")],
              str(tmp_path / "util"): [fact("util", "org.ex.util", "assign")],  # no socket: helpers only
              str(tmp_path / "other"): [fact("other", "org.ex.other", "socket")]}  # not imported
    assert java.linked_programs(str(tmp_path / "server"), server, others) == [str(tmp_path / "net"),
                                                                               str(tmp_path / "udp")]
    # a tree with a datagram socket of its own (a project's tests beside its library) is judged on it
    tests = {str(tmp_path / "tests/org/ex/t/T.java"): "package org.ex.t;\nimport org.ex.net.Transport;\n"
                                                      "class T { DatagramSocket s = new DatagramSocket(7); }\n"}
    assert java.linked_programs(str(tmp_path / "tests"), tests, others) == []
    # and what a linked tree brings is its transport: the files that open its sockets
    transport = [fact("net", "org.ex.net", "socket"), fact("net", "org.ex.net", "assign"),
                 NativeFact("java", "assign", str(tmp_path / "net/org/ex/net/Codec.java"), 1, 1, 1, 2, {})]
    assert java.linked_facts(transport) == transport[:2]
