"""The C fact rules and the join, end to end through `udplint check`: multi-file programs under
tests/fixtures/native_join/c/<case>/ (a reply that must be reported ends with `// expect: CODE`),
and the annotated programs of the former whole-finding C rules (`// ruleid:` / `// ok:` lines)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_semgrep_rules import semgrep_or_skip

ROOT = Path(__file__).resolve().parents[1]
JOIN = ROOT / "tests" / "fixtures" / "native_join"
EXPECT = re.compile(r"//\s*expect:\s*(UDP\d{3})")
# the former rules' ids -> the udplint code each one reported
LEGACY_CODES = {"c-wildcard-udp-reply-unpinned-source": "UDP001", "c-pktinfo-half-fix-sendto": "UDP002",
                "c-sendmsg-without-pktinfo": "UDP002", "c-pktinfo-spec-dst-from-ipi-addr": "UDP003",
                "c-pktinfo-source-in-ipi-addr": "UDP003", "c-pktinfo-ifindex-copied": "UDP003",
                "c-pktinfo-control-buffer-echoed": "UDP003"}
LEGACY = re.compile(r"//\s*(ruleid|ok):\s*([\w-]+)")


def check_json(*paths: Path) -> tuple:
    run = subprocess.run([sys.executable, "-m", "udplint", "check", "--format", "json", *map(str, paths)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout), run.stderr


@pytest.fixture(scope="module")
def checked():
    """One `udplint check` (one semgrep run) over every join fixture."""
    semgrep_or_skip()
    findings, stderr = check_json(JOIN / "c", JOIN / "c_legacy")
    return {(Path(f["filename"]).resolve(), f["location"]["row"], f["code"]) for f in findings}, findings, stderr


def expected_in(directory: Path) -> set:
    want = set()
    for path in sorted(directory.rglob("*.[ch]")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                want.add((path.resolve(), number, match.group(1)))
    return want


CASES = sorted(p.name for p in (JOIN / "c").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_join_case(checked, case):
    got, _, _ = checked
    directory = (JOIN / "c" / case).resolve()
    mine = {g for g in got if directory in g[0].parents}
    assert mine == expected_in(directory)


def test_cases_cover_bugs_and_look_alikes():
    with_bug = [c for c in CASES if expected_in(JOIN / "c" / c)]
    assert len(with_bug) >= 6 and len(CASES) - len(with_bug) >= 5


def test_former_rule_programs_are_covered(checked):
    """Every `ruleid:` line of the former C rules' test programs is reported (on the next line)
    with the same code, and no `ok:` line is."""
    got, _, _ = checked
    want, silent = set(), set()
    for path in sorted((JOIN / "c_legacy").glob("*.c")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = LEGACY.search(line)
            if match:
                entry = (path.resolve(), number + 1, LEGACY_CODES[match.group(2)])
                (want if match.group(1) == "ruleid" else silent).add(entry)
    legacy = {g for g in got if g[0].parent == (JOIN / "c_legacy").resolve()}
    assert want <= legacy
    assert not (silent & legacy)
    assert legacy == want, "findings outside the annotated lines"


def test_finding_has_the_bind_as_related_location(checked):
    _, findings, _ = checked
    reply = [f for f in findings if f["filename"].endswith("split_files/reply.c")]
    assert len(reply) == 1
    related = reply[0]["related"]
    assert [Path(r["filename"]).name for r in related] == ["listen.c"]
    assert related[0]["location"]["row"] == 18  # bind(fd, ai->ai_addr, ...)


def test_ifdef_split_file_is_not_dropped(checked):
    _, _, stderr = checked
    assert "ifdef_split/daemon.c: parsed with its preprocessor conditionals resolved" in stderr
    assert "cannot parse" not in stderr


def test_unparsable_file_gets_a_diagnostic_and_the_rest_is_checked(tmp_path):
    semgrep_or_skip()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "server.c").write_text("int main( { sendto(fd, b, n, 0, &peer, l); recvfrom(fd, b, n, 0, &p, &l);\n")
    findings, stderr = check_json(broken, JOIN / "c" / "split_files")
    assert "server.c: cannot parse: semgrep: syntax error" in stderr
    assert [Path(f["filename"]).name for f in findings] == ["reply.c"]


def test_c_bug_program_compiles_and_split_fixture_builds():
    """The multi-file fixtures are real C: they compile (so their shapes are ones gcc accepts)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    for case in CASES:
        sources = [str(p) for p in sorted((JOIN / "c" / case).glob("*.c"))]
        for defines in ([], ["-DHAVE_IPV6"]):
            out = subprocess.run([gcc, "-fsyntax-only", "-Wall", *defines, *sources], capture_output=True,
                                 text=True, timeout=120)
            assert out.returncode == 0, (case, out.stderr[-2000:])
