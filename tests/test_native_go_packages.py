"""Go programs of several packages, end to end through `udplint check` (the runner's grouping:
one program per package directory, joined with the packages of the run it imports that do
datagram I/O). Each case under tests/fixtures/native_packages/go/<case>/ is a module (go.mod)
whose reply lines end with `// expect: CODE` and whose bind carries `// bind`; every other send
must stay silent. The fixtures are the shapes of servers whose handler lives in one package and
whose socket in another: a transport hub with a receive wrapper and its own WriteTo, a handler
handed to the transport as a function value (from a file that names no socket API), a transport
bound by its caller to one specific address, and a client package imported by a sender.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_semgrep_rules import semgrep_or_skip
from udplint.polyglot import go

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "tests" / "fixtures" / "native_packages" / "go"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
EXPECT = re.compile(r"//\s*expect:\s*(UDP\d{3})")
BIND = re.compile(r"//\s*bind\b")


@pytest.fixture(scope="module")
def checked():
    """One `udplint check` over every case."""
    semgrep_or_skip()
    run = subprocess.run([sys.executable, "-m", "udplint", "check", "--format", "json", "--exit-zero", str(CASES_DIR)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _marks(case: Path, pattern) -> set:
    found = set()
    for path in sorted(case.rglob("*.go")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = pattern.search(line)
            if match:
                found.add((str(path.relative_to(case)), number, match.group(1) if match.groups() else ""))
    return found


@pytest.mark.parametrize("case", CASES)
def test_package_case(checked, case):
    directory = (CASES_DIR / case).resolve()
    mine = [f for f in checked if directory in Path(f["filename"]).resolve().parents]
    got = {(str(Path(f["filename"]).resolve().relative_to(directory)), f["location"]["row"], f["code"]) for f in mine}
    assert got == _marks(directory, EXPECT)
    binds = {(name, row) for name, row, _ in _marks(directory, BIND)}
    for finding in mine:
        related = finding["related"][0]
        assert (str(Path(related["filename"]).resolve().relative_to(directory)), related["location"]["row"]) in binds


def test_cases_hold_bugs_and_look_alikes():
    bugs = [case for case in CASES if _marks(CASES_DIR / case, EXPECT)]
    assert 2 <= len(bugs) < len(CASES)


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
