"""The command line as a user meets it: exit codes, formats, selection, noqa, rule docs, bad input."""
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUGGY = """import socket
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 9999))
while True:
    data, addr = sock.recvfrom(2048)
    sock.sendto(data, addr){noqa}
"""


def udplint(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "udplint", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.fixture
def buggy(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(BUGGY.format(noqa=""))
    return path


def test_finding_line_and_exit_status(buggy):
    run = udplint("check", str(buggy))
    assert run.returncode == 1, run.stderr
    first = run.stdout.splitlines()[0]
    assert first.startswith(f"{buggy}:6:5: UDP001 reply with sendto() to the sender of a UDP socket bound to '0.0.0.0'")
    excerpt = run.stdout.splitlines()[1:5]  # ruff's full style: the line, a caret under the call
    assert excerpt[1] == "6 |     sock.sendto(data, addr)"
    assert excerpt[2] == "  |     ^^^^^^^^^^^^^^^^^^^^^^^ UDP001"
    assert run.stdout.splitlines()[5].strip().startswith("fix")
    assert "Found 1 error" in run.stdout


def test_clean_file_exits_zero(tmp_path):
    (tmp_path / "client.py").write_text("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                        "s.sendto(b'x', ('127.0.0.1', 53))\nprint(s.recvfrom(512))\n")
    run = udplint("check", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All checks passed" in run.stdout


def test_json_has_ruff_fields(buggy):
    run = udplint("check", "--format", "json", str(buggy))
    assert run.returncode == 1
    (item,) = json.loads(run.stdout)
    assert set(item) >= {"code", "filename", "location", "end_location", "message", "fix", "url"}
    assert item["code"] == "UDP001"
    assert item["location"] == {"row": 6, "column": 5}
    assert item["end_location"]["row"] == 6 and item["end_location"]["column"] > 5
    assert item["url"].endswith("docs/rules/UDP001.md")


@pytest.mark.parametrize("args,expected", [
    (["--select", "UDP002"], 0), (["--ignore", "UDP001"], 0), (["--select", "UDP"], 1), (["--exit-zero"], 0),
])
def test_select_ignore(buggy, args, expected):
    assert udplint("check", *args, str(buggy)).returncode == expected


@pytest.mark.parametrize("comment,expected", [
    ("  # noqa: UDP001", 0), ("  # noqa", 0), ("  # noqa: UDP002", 1), ("  # NOQA:UDP001,UDP002", 0),
])
def test_noqa(tmp_path, comment, expected):
    path = tmp_path / "server.py"
    path.write_text(BUGGY.format(noqa=comment))
    assert udplint("check", str(path)).returncode == expected


def test_excludes_and_default_junk(tmp_path, buggy):
    for junk in (".venv", "build", "node_modules", ".git"):
        (tmp_path / junk).mkdir()
        (tmp_path / junk / "server.py").write_text(BUGGY.format(noqa=""))
    run = udplint("check", "--format", "json", str(tmp_path))
    assert [f["filename"] for f in json.loads(run.stdout)] == [str(buggy)]
    assert udplint("check", "--exclude", "server.py", str(tmp_path)).returncode == 0


def test_python_shebang_files_are_checked(tmp_path):
    script = tmp_path / "udp-echo"
    script.write_text("#!/usr/bin/env python3\n" + BUGGY.format(noqa=""))
    assert udplint("check", str(tmp_path)).returncode == 1


def test_missing_path_is_a_diagnostic_and_exit_two():
    run = udplint("check", "/nonexistent/udplint")
    assert run.returncode == 2
    assert run.stderr.strip() == "/nonexistent/udplint: no such file or directory"


def test_bad_files_get_one_line_and_the_run_goes_on(tmp_path, buggy):
    (tmp_path / "syntax.py").write_text("def broken(:\n    sendto\n")
    (tmp_path / "latin.py").write_bytes(b"# sendto\nname = '\xff\xfe'\n")
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: klingon -*-\nsendto = 1\n")
    run = udplint("check", str(tmp_path))
    assert run.returncode == 1, run.stderr
    errors = sorted(run.stderr.strip().splitlines())
    assert len(errors) == 3, errors
    assert errors[0].startswith(f"{tmp_path / 'cookie.py'}: cannot decode: ")
    assert errors[1].startswith(f"{tmp_path / 'latin.py'}: cannot decode: ")
    assert errors[2].startswith(f"{tmp_path / 'syntax.py'}: cannot parse: syntax error at 1:")
    assert "Traceback" not in run.stderr
    assert str(buggy) in run.stdout


def test_nothing_checkable_exits_two(tmp_path):
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: klingon -*-\nsendto = 1\n")
    run = udplint("check", str(tmp_path / "cookie.py"))
    assert run.returncode == 2
    assert run.stderr.startswith(f"{tmp_path / 'cookie.py'}: cannot decode: ")


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "huge.py"
    path.write_bytes(b"x = 'sendto'\n" * 900_000)
    run = udplint("check", str(path))
    assert run.returncode == 2 and "too large" in run.stderr


def test_rule_docs_have_the_ruff_sections():
    run = udplint("rule", "--all")
    assert run.returncode == 0
    for code in ("UDP001", "UDP002", "UDP003"):
        page = udplint("rule", code.lower()).stdout
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert heading in page, (code, heading)
        assert page.strip() in run.stdout
    bad = udplint("rule", "UDP999")
    assert bad.returncode == 2 and "unknown rule" in bad.stderr


def test_generated_docs_are_up_to_date():
    from udplint.docs import pages

    for name, text in pages().items():
        assert (ROOT / "docs" / "rules" / name).read_text(encoding="utf-8") == text, f"run python -m udplint.docs ({name})"


def test_the_example_folder_shows_one_finding():
    run = udplint("check", "examples")
    assert run.returncode == 1
    assert run.stdout.startswith("examples/echo_server.py:18:9: UDP001 ")
    assert "echo_server_fixed.py" not in run.stdout


def test_whole_standard_library_without_a_traceback():
    """The installed CPython stdlib: thousands of files, odd encodings, huge tests; never a crash."""
    stdlib = sysconfig.get_paths()["stdlib"]
    run = udplint("check", "--no-polyglot", "--format", "json", stdlib)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    json.loads(run.stdout)
