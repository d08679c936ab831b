"""The C, Go and Java fixture pairs on real sockets, and the semgrep rules on the same programs.

Each bug program must lose the reply to a client connect()ed to 127.0.0.2 while answering an
unconnected client from 127.0.0.1 (so only the source address is wrong); each fixed program must
answer from 127.0.0.2. The rules must flag exactly the bug programs.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from udplint.polyglot import semgrep

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PROBE = HERE / "polyglot_probe.py"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """A missing toolchain fails in CI (it must be installed there) and skips elsewhere."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: run .ci/install-toolchains.sh)")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_probe(cmd, netns: bool = False) -> dict:
    prefix = ["unshare", "-rn"] if netns else []
    args = prefix + [sys.executable, str(PROBE)] + (["--add-lo-address"] if netns else [])
    out = subprocess.run(args + [str(free_port()), "--", *cmd], capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["ready"], f"server did not start: {cmd} {result}"
    return result


def assert_bug(result: dict) -> None:
    assert result["connected_127.0.0.1"] == "127.0.0.1"
    assert result["connected_127.0.0.2"] is None, "the connected client got a reply: not the bug"
    assert result["unconnected_127.0.0.2"] == "127.0.0.1", "reply should come from the route's address"


def assert_fixed(result: dict) -> None:
    assert result["connected_127.0.0.1"] == "127.0.0.1"
    assert result["connected_127.0.0.2"] == "127.0.0.2"
    assert result["unconnected_127.0.0.2"] == "127.0.0.2"


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("polyglot-build")


@pytest.fixture(scope="session")
def c_programs(build_dir):
    gcc = shutil.which("gcc")
    need(gcc is not None, "gcc is not installed")
    out = {}
    for name in ("echo_bug", "echo_fixed"):
        exe = build_dir / name
        subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(FIXTURES / "c" / f"{name}.c")],
                       check=True, timeout=120)
        out[name] = [str(exe)]
    return out


@pytest.fixture(scope="session")
def go_programs(build_dir):
    go = shutil.which("go")
    need(go is not None, "go is not installed (apt-get install golang-go)")
    env = dict(os.environ, GO111MODULE="off", GOPATH=str(build_dir / "gopath"), GOCACHE=str(build_dir / "gocache"),
               GOFLAGS="")
    out = {}
    for name in ("bug", "fixed", "transfer_bug", "transfer_fixed"):
        exe = build_dir / f"go_{name}"
        subprocess.run([go, "build", "-o", str(exe), "."], cwd=FIXTURES / "go" / name, env=env, check=True, timeout=300)
        out[name] = [str(exe)]
    return out


@pytest.fixture(scope="session")
def java_programs(build_dir):
    javac, java = shutil.which("javac"), shutil.which("java")
    need(javac is not None and java is not None, "javac/java (JDK 17) is not installed")
    classes = build_dir / "classes"
    subprocess.run([javac, "-d", str(classes), str(FIXTURES / "java" / "EchoBug.java"),
                    str(FIXTURES / "java" / "EchoFixed.java")], check=True, timeout=300)
    return {name: [java, "-cp", str(classes), name] for name in ("EchoBug", "EchoFixed")}


@pytest.fixture(scope="session")
def netns_available():
    ok = shutil.which("unshare") and shutil.which("ip") and subprocess.run(
        ["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True, timeout=30).returncode == 0
    if not ok:
        # not a missing toolchain: some sandboxes forbid user namespaces; skip even in CI
        pytest.skip("unshare -rn (user + network namespace) is not permitted here; the Java per-address "
                    "fix needs 127.0.0.2 as an interface address")
    return True


def test_c_bug_loses_reply(c_programs):
    assert_bug(run_probe(c_programs["echo_bug"] + ["{port}"]))


def test_c_fixed_answers_from_request_address(c_programs):
    assert_fixed(run_probe(c_programs["echo_fixed"] + ["{port}"]))


def test_go_bug_loses_reply(go_programs):
    assert_bug(run_probe(go_programs["bug"] + ["{port}"]))


def test_go_fixed_answers_from_request_address(go_programs):
    assert_fixed(run_probe(go_programs["fixed"] + ["{port}"]))


def test_go_transfer_bug_answers_from_the_route_address(go_programs):
    # a per-transfer conn answers from a new port, so connected clients never hear it (TFTP
    # clients follow the transfer's port); the unconnected client shows the source address
    result = run_probe(go_programs["transfer_bug"] + ["{port}"])
    assert result["unconnected_127.0.0.2"] == "127.0.0.1"


def test_go_transfer_fixed_answers_from_the_request_address(go_programs):
    result = run_probe(go_programs["transfer_fixed"] + ["{port}"])
    assert result["unconnected_127.0.0.2"] == "127.0.0.2"


def test_java_bug_loses_reply(java_programs):
    assert_bug(run_probe(java_programs["EchoBug"] + ["{port}"]))


def test_java_bug_loses_reply_in_netns(java_programs, netns_available):
    assert_bug(run_probe(java_programs["EchoBug"] + ["{port}"], netns=True))


def test_java_fixed_answers_from_request_address_in_netns(java_programs, netns_available):
    assert_fixed(run_probe(java_programs["EchoFixed"] + ["{port}"], netns=True))


def test_rules_flag_exactly_the_bug_programs():
    need(shutil.which("semgrep") or (Path(sys.executable).parent / "semgrep").exists(), "semgrep is not installed")
    bug = [FIXTURES / "c" / "echo_bug.c", FIXTURES / "go" / "bug" / "main.go", FIXTURES / "java" / "EchoBug.java",
           FIXTURES / "go" / "transfer_bug" / "main.go"]
    fixed = [FIXTURES / "c" / "echo_fixed.c", FIXTURES / "go" / "fixed" / "main.go",
             FIXTURES / "java" / "EchoFixed.java", FIXTURES / "go" / "transfer_fixed" / "main.go"]
    findings, errors = semgrep.check_files(bug + fixed)
    assert errors == []
    flagged = {f.filename: f.code for f in findings}
    assert flagged == {str(p): "UDP001" for p in bug}


DOCS = Path(__file__).resolve().parent.parent / "udplint" / "ruledocs" / "lang"


@pytest.mark.parametrize("lang,fixed", [("c", "c/echo_fixed.c"), ("go", "go/fixed/main.go"),
                                        ("java", "java/EchoFixed.java")])
def test_docs_use_instead_is_the_tested_fixed_program(lang, fixed):
    doc = (DOCS / f"{lang}.md").read_text()
    after = doc.split("Use instead", 1)[1]
    block = after.split("```", 2)[1].split("\n", 1)[1]  # drop the language tag line
    program_lines = {line.strip() for line in (FIXTURES / fixed).read_text().splitlines()}
    for line in block.splitlines():
        if line.strip():
            assert line.strip() in program_lines, f"{lang}.md 'Use instead' line not in {fixed}: {line!r}"
