"""ruff's command-line conventions, as a user meets them: stdin, unknown codes, syntax errors as
findings, a missing semgrep, output files, statistics, colour, quiet levels, config files."""
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from udp_snippets import BUGGY, BUGGY_COL, BUGGY_LINE, CLEAN
from udplint import cli
from udplint.polyglot import semgrep
from udplint.reporting.style import wants_color

ROOT = Path(__file__).resolve().parents[1]
BROKEN = "import socket\nsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM\nsock.bind(('0.0.0.0', 1))\n"
C_SERVER = (ROOT / "tests" / "fixtures" / "c" / "echo_bug.c").read_text()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def udplint(cwd: Path, *args: str, stdin: str = "") -> Run:
    """`udplint check --no-polyglot ARGS` in `cwd`, in this process (the subprocess tests below
    cover what only a real process shows: a pipe on /dev/stdin, the interpreter's start)."""
    out, err, previous = io.StringIO(), io.StringIO(), os.getcwd()
    saved_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["check", "--no-polyglot", *args])
    finally:
        os.chdir(previous)
        sys.stdin = saved_stdin
    return Run(code, out.getvalue(), err.getvalue())


def udplint_process(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "udplint", "check", "--no-polyglot", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "bug.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


# -- stdin ------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", [["-"], ["/dev/stdin"], ["--stdin-filename", "svc.py"],
                                 ["--stdin-filename", "svc.py", "-"]])
def test_stdin_is_checked_and_named(tmp_path: Path, how):
    # a real process and pipe: /dev/stdin is the process's own
    run = udplint_process(tmp_path, "--format", "concise", "-q", *how, stdin=BUGGY)
    name = "svc.py" if "--stdin-filename" in how else "-"
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith(f"{name}:{BUGGY_LINE}:{BUGGY_COL}: UDP001 ")
    clean = udplint_process(tmp_path, *how, stdin=CLEAN)
    assert clean.returncode == 0 and "All checks passed (1 file checked)" in clean.stdout


def test_stdin_buffer_replaces_the_file_on_disk(project: Path):
    run = udplint(project, "--stdin-filename", "bug.py", "-", stdin=CLEAN)
    assert run.returncode == 0, run.stdout
    run = udplint(project, "--stdin-filename", "clean.py", stdin=BUGGY)
    assert run.returncode == 1 and run.stdout.startswith("clean.py:")


def test_stdin_with_other_paths_or_fix_is_a_usage_error(project: Path):
    mixed = udplint(project, "bug.py", "-", stdin=BUGGY)
    assert mixed.returncode == 2 and mixed.stderr.count("\n") == 1 and "only path" in mixed.stderr
    fix = udplint(project, "--fix", "-", stdin=BUGGY)
    assert fix.returncode == 2 and "stdin" in fix.stderr


# -- unknown rule codes ------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select", "--extend-ignore"])
def test_unknown_code_on_the_command_line_is_an_error(project: Path, option):
    run = udplint(project, option, "FOO123")
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "'FOO123'" in line and "UDP001" in line and "UDP900" in line and option in line


@pytest.mark.parametrize("table", ['select = ["UDP01"]', 'ignore = ["UPD001"]', 'extend-select = ["X"]',
                                   '[tool.udplint.per-file-ignores]\n"scripts/*" = ["UDP0001"]'])
def test_unknown_code_in_config_is_an_error(project: Path, table):
    (project / "pyproject.toml").write_text(f"[tool.udplint]\n{table}\n")
    run = udplint(project)
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "pyproject.toml" in line and "unknown rule code" in line and "known codes: UDP001" in line


def test_prefixes_that_match_a_rule_are_fine(project: Path):
    assert udplint(project, "--select", "UDP00").returncode == 1
    assert udplint(project, "--select", "UDP9", "bug.py").returncode == 0  # selects UDP900 only
    assert udplint(project, "--select", "ALL").returncode == 1


# -- syntax errors -----------------------------------------------------------------------------

def test_syntax_error_is_a_finding_that_fails_the_run(project: Path):
    (project / "broken.py").write_text(BROKEN)
    run = udplint(project, "broken.py", "clean.py")
    assert run.returncode == 1
    assert run.stdout.startswith("broken.py:2:21: UDP900 invalid syntax: '(' was never closed")
    assert "Found 1 error in 2 files checked." in run.stdout
    assert run.stderr == "broken.py: cannot parse: syntax error at 2:21: '(' was never closed\n"
    assert udplint(project, "--ignore", "UDP900", "broken.py", "clean.py").returncode == 0
    (project / "pyproject.toml").write_text('[tool.udplint.per-file-ignores]\n"broken.py" = ["UDP900"]\n')
    assert udplint(project, "broken.py").returncode == 0


# -- semgrep missing ---------------------------------------------------------------------------

def _no_semgrep():
    raise semgrep.SemgrepMissing()


def test_missing_semgrep_keeps_python_findings_and_says_what_was_skipped(project, monkeypatch, capsys):
    (project / "server.c").write_text(C_SERVER)
    (project / "notes.c").write_text("int main(void) { return 0; }\n")  # no receive call: not semgrep's
    monkeypatch.chdir(project)
    monkeypatch.setattr(semgrep, "semgrep_executable", _no_semgrep)
    assert cli.main(["check", "--format", "concise", "-q", "."]) == 1  # findings: still 1
    out, err = capsys.readouterr()
    assert out.startswith(f"bug.py:{BUGGY_LINE}:{BUGGY_COL}: UDP001 ")
    (line,) = err.splitlines()
    assert line.startswith("udplint: warning: skipped 1 C/Go/Java file (server.c): semgrep is needed")
    (project / "bug.py").unlink()
    assert cli.main(["check", "."]) == cli.EXIT_INCOMPLETE == 3  # no findings, but not all was checked
    assert "All checks passed" in capsys.readouterr().out
    assert cli.main(["check", "--no-polyglot", "."]) == 0


# -- output ------------------------------------------------------------------------------------

def test_output_file_gets_the_report_and_summary(project: Path):
    run = udplint(project, "--output-file", "reports/udplint.json", "--format", "json")
    assert run.returncode == 1 and run.stdout == ""
    (item,) = json.loads((project / "reports" / "udplint.json").read_text())
    assert item["code"] == "UDP001"
    udplint(project, "-o", "out.txt")
    assert (project / "out.txt").read_text().rstrip().endswith("Found 1 error in 2 files checked.")


def test_statistics_like_ruff(project: Path):
    (project / "second.py").write_text(BUGGY)
    (project / "broken.py").write_text(BROKEN)
    run = udplint(project, "--statistics")
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "2\tUDP001\t[*] wildcard-udp-reply-unpinned-source",
        "1\tUDP900\t[ ] invalid-syntax",
        "Found 3 errors in 4 files checked.",
    ]
    rows = json.loads(udplint(project, "--statistics", "--format", "json").stdout)
    assert rows[0] == {"code": "UDP001", "name": "wildcard-udp-reply-unpinned-source", "count": 2, "fixable": True}


def test_summary_in_the_formats_that_have_one(project: Path):
    concise = udplint(project, "--format", "concise").stdout.splitlines()
    assert len(concise) == 2 and concise[1] == "Found 1 error in 2 files checked."
    for name in ("json", "sarif"):
        json.loads(udplint(project, "--format", name).stdout)  # nothing after the document
    assert udplint(project, "--format", "github").stdout.startswith("::error ")


def test_quiet_levels(project: Path):
    normal = udplint(project)
    quiet = udplint(project, "-q")
    assert "Found 1 error" in normal.stdout and "Found" not in quiet.stdout
    assert quiet.stdout.startswith("bug.py:") and quiet.returncode == 1
    (project / "broken.py").write_text(BROKEN)
    for silent in (["-qq"], ["--silent"], ["-s"]):
        run = udplint(project, *silent)
        assert (run.returncode, run.stdout, run.stderr) == (1, "", "")


def test_colour_always_never_and_no_color(project: Path):
    assert "\x1b[" in udplint(project, "--color", "always").stdout
    assert "\x1b[" not in udplint(project, "--color", "never").stdout
    assert "\x1b[" not in udplint(project).stdout  # a pipe is not a terminal


class _Terminal:
    def isatty(self):
        return True


def test_colour_auto_follows_the_terminal_and_no_color():
    assert wants_color("auto", _Terminal(), {"TERM": "xterm"})
    assert not wants_color("auto", _Terminal(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert not wants_color("auto", _Terminal(), {"TERM": "dumb"})
    assert wants_color("auto", sys.stdout if not sys.stdout.isatty() else None, {"FORCE_COLOR": "1"})
    assert wants_color("always", None, {"NO_COLOR": "1"})
    assert not wants_color("never", _Terminal(), {})


def test_caret_excerpt_under_the_finding(project: Path):
    lines = udplint(project, "bug.py").stdout.splitlines()
    assert lines[1:5] == ["  |", "7 |     sock.sendto(data, addr)", "  |     ^^^^^^^^^^^^^^^^^^^^^^^ UDP001", "  |"]


def test_show_files(project: Path):
    (project / "server.c").write_text(C_SERVER)
    (project / "README.md").write_text("# not code\n")
    run = udplint(project, "--show-files", ".")
    assert run.returncode == 0
    assert run.stdout.splitlines() == ["bug.py", "clean.py", "server.c"]


# -- settings ----------------------------------------------------------------------------------

def test_config_file_override_and_isolated(project: Path):
    (project / "pyproject.toml").write_text('[tool.udplint]\nignore = ["UDP001"]\n')
    assert udplint(project).returncode == 0
    assert udplint(project, "--isolated").returncode == 1
    (project / "strict.toml").write_text('select = ["UDP"]\n')
    assert udplint(project, "--config", "strict.toml").returncode == 1  # instead of pyproject.toml
    assert udplint(project, "--config", "ignore = []").returncode == 1  # an override on top of it
    both = udplint(project, "--config", "strict.toml", "--isolated")
    assert both.returncode == 2 and "cannot be used together" in both.stderr
    missing = udplint(project, "--config", "nope.toml")
    assert missing.returncode == 2 and "nope.toml" in missing.stderr
    (project / "typo.toml").write_text('selekt = ["UDP"]\n')
    typo = udplint(project, "--config", "typo.toml")
    assert typo.returncode == 2 and "unknown key 'selekt'" in typo.stderr


def test_extend_select_and_extend_ignore(project: Path):
    (project / "broken.py").write_text(BROKEN)
    assert udplint(project, "--select", "UDP001", "broken.py").returncode == 0
    assert udplint(project, "--select", "UDP001", "--extend-select", "UDP900", "broken.py").returncode == 1
    assert udplint(project, "--extend-ignore", "UDP900", "broken.py").returncode == 0
    (project / "pyproject.toml").write_text('[tool.udplint]\nselect = ["UDP001"]\nextend-select = ["UDP9"]\n'
                                            'extend-ignore = ["UDP001"]\n')
    assert udplint(project, "broken.py").returncode == 1
    assert udplint(project, "bug.py").returncode == 0


def test_on_demand_modules_are_named_relative_to_the_working_directory(tmp_path: Path):
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "server.py").write_text("import socket\nfrom .handler import serve\n\n\ndef main():\n"
                                   "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                   "    sock.bind(('0.0.0.0', 9999))\n    serve(sock)\n")
    (pkg / "handler.py").write_text("def serve(sock):\n    while True:\n        data, addr = sock.recvfrom(512)\n"
                                    "        sock.sendto(data, addr)\n")
    run = udplint(tmp_path, "svc/server.py")
    assert "note: svc/handler.py:4:9:" in run.stdout and str(tmp_path) not in run.stdout


def test_syntax_error_fails_the_github_gate_as_an_annotation(project: Path):
    (project / "broken.py").write_text(BROKEN)
    run = udplint(project, "--format", "github", "broken.py")
    assert run.returncode == 1
    assert run.stdout.startswith("::error file=broken.py,line=2,col=21,endLine=2,endColumn=21,title=UDP900::")


def test_c_source_on_stdin_is_checked_with_semgrep(tmp_path: Path):
    if not (shutil.which("semgrep") or (Path(sys.executable).parent / "semgrep").is_file()):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("semgrep is missing (pip install -e '.[test]')")
        pytest.skip("semgrep is not installed")
    run = subprocess.run([sys.executable, "-m", "udplint", "check", "-q", "--format", "concise", "--stdin-filename",
                          "src/echo.c", "-"], input=C_SERVER, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("src/echo.c:") and " UDP001 " in run.stdout
    assert "udplint-buffers" not in run.stdout + run.stderr  # the stand-in file's name never shows


def test_a_tree_with_c_files_and_no_semgrep_installed(project: Path, tmp_path_factory):
    """A real process whose Python has udplint and libcst but no semgrep anywhere it looks."""
    import site
    import venv

    bare = tmp_path_factory.mktemp("no-semgrep")
    venv.create(bare, with_pip=False)
    purelib = next((bare / "lib").glob("python3*")) / "site-packages"
    (purelib / "udplint-here.pth").write_text(f"{ROOT}\n" + "\n".join(site.getsitepackages()) + "\n")
    (project / "server.c").write_text(C_SERVER)
    env = {"PATH": f"{bare / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(bare)}
    if any((Path(folder) / "semgrep").exists() for folder in env["PATH"].split(os.pathsep)):
        pytest.skip("semgrep is installed system-wide")
    run = subprocess.run([str(bare / "bin" / "python"), "-m", "udplint", "check", "-q", "--format", "concise", "."],
                         cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith(f"bug.py:{BUGGY_LINE}:{BUGGY_COL}: UDP001 ")
    assert run.stderr.splitlines() == [
        "udplint: warning: skipped 1 C/Go/Java file (server.c): semgrep is needed to check C, Go and Java files: "
        "pip install semgrep  (or: pip install 'udplint[polyglot]')"]
    (project / "bug.py").unlink()
    clean = subprocess.run([str(bare / "bin" / "python"), "-m", "udplint", "check", "."], cwd=project, env=env,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 3 and "skipped 1 C/Go/Java file" in clean.stderr


def test_excerpt_keeps_tabs_under_the_code_and_stops_at_the_line_end():
    from udplint.findings import Finding, Location
    from udplint.reporting.text import excerpt

    multi_line = Finding("UDP001", "a.py", Location(3, 2), Location(5, 1), "m", source_line="\tsock.sendto(x,  ")
    assert excerpt(multi_line)[1:3] == ["3 | \tsock.sendto(x,  ", "  | \t" + "^" * len("sock.sendto(x,") + " UDP001"]
    assert excerpt(Finding("UDP001", "a.py", Location(3, 1), Location(3, 5), "m")) == []  # no text, no excerpt


def test_selection_is_layered_like_ruff(project: Path):
    """ruff's documented example: the file selects and ignores; `--select` on the command line starts
    over (the file's ignore no longer applies); `--extend-select` adds to the file's selection."""
    (project / "broken.py").write_text(BROKEN)
    (project / "pyproject.toml").write_text('[tool.udplint]\nselect = ["UDP"]\nignore = ["UDP900"]\n')
    assert udplint(project, "broken.py").returncode == 0
    assert udplint(project, "--select", "UDP900", "broken.py").returncode == 1
    assert udplint(project, "--select", "UDP900", "bug.py").returncode == 0  # UDP001 is no longer selected
    assert udplint(project, "--extend-select", "UDP900", "broken.py").returncode == 1
    assert udplint(project, "--ignore", "UDP001", "bug.py", "broken.py").returncode == 0  # adds to the file's


def test_the_command_runs_under_one_fixed_hash_seed(monkeypatch):
    """Which values a full solver slot keeps follows set order, and strings hash with a random seed
    per process: the command re-executes itself once under PYTHONHASHSEED=0 so that runs repeat."""
    from udplint import command

    calls = []
    monkeypatch.setattr(command.os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    monkeypatch.setattr(command.sys, "argv", ["udplint", "check", "src"])
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    command._reexecute_with_fixed_hash_seed()
    [(path, argv, env)] = calls
    assert path == command.sys.executable and env["PYTHONHASHSEED"] == "0"
    assert argv[1] == "-c" and "from udplint.command import entry" in argv[2] and argv[3:] == ["check", "src"]
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    command._reexecute_with_fixed_hash_seed()  # already fixed: no second exec
    assert len(calls) == 1


def test_the_reexecuted_command_checks_and_exits_as_usual(project):
    env = dict(os.environ, PYTHONHASHSEED="12345")
    done = subprocess.run([sys.executable, "-m", "udplint", "check", "--no-cache", str(project)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=project)
    assert done.returncode == 1, done.stderr
    assert "UDP001" in done.stdout
