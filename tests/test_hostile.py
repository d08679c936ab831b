"""Hostile inputs and hostile trees (issue 14): no file can crash, hang or exhaust a run, no write goes
where it must not, no program planted in a scanned repository runs.

Every case puts the bad input beside a real bug file, and the bug must still be reported. Each run
is a real `udplint` process with a bounded timeout (a hang fails the test instead of the suite).
"""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import libcst
import pytest

from udp_snippets import BUGGY, BUGGY_COL, BUGGY_LINE
from udplint.atomic import WriteRefused, replace_file
from udplint.findings import FileError, printable
from udplint.gitignore import GitIgnore, parse_line
from udplint.python.parsing import ParseFailure, expand_indentation_tabs, parse_module
from udplint.sources import UnreadableSource, WalkOptions, discover, read_regular_bytes

RUN_TIMEOUT = 60
GIT = ["git", "-c", "user.name=udplint tests", "-c", "user.email=tests@udplint.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
AS_ROOT = os.geteuid() == 0


def udplint(*args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    """Run udplint; output decoded as the bytes it wrote (a non-UTF-8 name must not be hidden)."""
    run = subprocess.run([sys.executable, "-m", "udplint", *args], capture_output=True, cwd=cwd,
                         timeout=RUN_TIMEOUT, env=env, stdin=subprocess.DEVNULL)
    run.stdout = run.stdout.decode("utf-8", "surrogateescape")
    run.stderr = run.stderr.decode("utf-8", "surrogateescape")
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    return run


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder holding one buggy server, `bug.py`."""
    (tmp_path / "bug.py").write_text(BUGGY)
    return tmp_path


def assert_bug_reported(run: subprocess.CompletedProcess, name: str = "bug.py") -> None:
    assert f"{name}:{BUGGY_LINE}:{BUGGY_COL}: UDP001" in run.stdout, run.stdout + run.stderr


def temp_leftovers(folder: Path) -> list:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".udplint-tmp") or p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# Special files in the tree and on the command line


def test_fifo_in_a_walked_tree_is_skipped_not_opened(tree: Path):
    os.mkfifo(tree / "x.py")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "x.py: skipped: a FIFO, not a regular file" in run.stderr


def test_fifo_named_on_the_command_line_is_skipped(tree: Path):
    os.mkfifo(tree / "x.py")
    run = udplint("check", "x.py", "bug.py", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "x.py: skipped: a FIFO, not a regular file" in run.stderr


def test_symlink_to_a_device_is_never_read(tree: Path):
    (tree / "bad.py").symlink_to("/dev/zero")
    (tree / "tool").symlink_to("/dev/zero")  # no suffix: not even opened for a shebang
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "bad.py: skipped: a character device, not a regular file" in run.stderr
    assert "tool" not in run.stderr


def test_broken_symlink_is_one_line(tree: Path):
    (tree / "gone.py").symlink_to(tree / "nowhere.py")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "gone.py: cannot read: broken symbolic link" in run.stderr


def test_missing_path_among_good_paths_is_reported_and_the_run_goes_on(tree: Path):
    run = udplint("check", "missing.py", "bug.py", "also/missing", cwd=tree)
    assert run.returncode == 2  # the findings are reported, and the run still fails
    assert_bug_reported(run)
    assert "missing.py: no such file or directory" in run.stderr
    assert "also/missing: no such file or directory" in run.stderr


def test_read_is_bounded_by_the_limit(tmp_path: Path):
    path = tmp_path / "big.py"
    path.write_bytes(b"x = 1\n" * 100)
    assert read_regular_bytes(path, limit=600) == b"x = 1\n" * 100
    with pytest.raises(UnreadableSource) as refused:
        read_regular_bytes(path, limit=599)
    assert refused.value.kind == "too-large"


def test_utf16_file_is_a_decode_error_not_a_checked_file(tree: Path):
    (tree / "wide.py").write_bytes(BUGGY.encode("utf-16"))  # with its byte order mark
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "wide.py: cannot decode: UTF-16-LE text (byte order mark)" in run.stderr
    assert "in 1 file checked" in run.stdout


# ---------------------------------------------------------------------------------------------
# Nesting and indentation: parse what CPython parses, refuse what it refuses, never crash


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("[", "]")])
def test_deep_nesting_is_refused_without_a_crash(tree: Path, opening: str, closing: str):
    depth = 1400 if opening == "(" else 3000
    (tree / "deep.py").write_text("import socket\nsock.sendto(" + opening * depth + closing * depth + ", addr)\n")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1, run.stderr  # a segfault would be -11, with no output at all
    assert_bug_reported(run)
    assert "deep.py: too large/complex to analyse: too many nested parentheses" in run.stderr


def test_long_chains_cpython_refuses_are_refused_quickly(tree: Path):
    (tree / "chain.py").write_text("import socket\nx = sock.sendto" + ".a" * 50_000 + "\n")
    (tree / "sum.py").write_text("import socket\nsock.sendto(" + "+".join(["1"] * 20_000) + ")\n")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "chain.py: too large/complex to analyse" in run.stderr
    assert "sum.py: too large/complex to analyse" in run.stderr


def test_boolean_chain_cpython_accepts_but_libcst_crashes_on_is_refused(tree: Path):
    (tree / "chain.py").write_text("import socket\nok = sock.sendto or " + " or ".join(["x"] * 12_000) + "\n")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1, run.stderr  # -11 without the guard
    assert_bug_reported(run)
    assert "chain.py: too large/complex to analyse: an and/or chain of 12001 operands" in run.stderr


def test_deep_chain_in_a_file_with_a_syntax_error_is_not_handed_to_libcst(tree: Path):
    (tree / "broken.py").write_text("import socket\nx = sock.sendto" + "()" * 5000 + "\ny = = 1\n")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1, run.stderr  # libcst would backtrack for minutes on it
    assert_bug_reported(run)
    assert "broken.py: cannot parse: syntax error at 3:" in run.stderr


TAB_SERVER = (
    "import socket\n"
    "sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "sock.bind(('0.0.0.0', 9999))\n"
    "if True:\n"
    "    while True:\n"
    "\t        data, addr = sock.recvfrom(2048)\n"  # tab + 8 spaces inside a 4-space block
    "\t        sock.sendto(data, addr)\n"
)
TAB_HANDLER = (
    "import socketserver\n"
    "class Echo(socketserver.BaseRequestHandler):\n"
    "    def handle(self):\n"
    "\t        data, sock = self.request\n"
    "\t        sock.sendto(data, self.client_address)\n"
    "socketserver.UDPServer(('0.0.0.0', 9999), Echo).serve_forever()\n"
)


@pytest.mark.parametrize("text", [TAB_SERVER, TAB_HANDLER], ids=["server", "handler"])
def test_tab_indentation_cpython_accepts_parses_and_is_checked(tmp_path: Path, text: str):
    compile(text, "tabs.py", "exec")  # valid Python
    with pytest.raises(libcst.ParserSyntaxError):
        libcst.parse_module(text)  # the libcst limitation this works around
    assert parse_module(text).code == expand_indentation_tabs(text)
    (tmp_path / "tabs.py").write_text(text)
    run = udplint("check", "tabs.py", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "tabs.py:" in run.stdout and "UDP001" in run.stdout
    assert run.stderr == ""


def test_tab_expansion_leaves_string_contents_alone():
    text = 'if True:\n    if True:\n\t        x = """\n\tkept\n\t  too"""\n'
    module = parse_module(text)
    assert '"""\n\tkept\n\t  too"""' in module.code
    assert "                x = " in module.code  # tab + 8 spaces is column 16


def test_nul_byte_in_a_string_is_a_syntax_error(tree: Path):
    (tree / "nul.py").write_bytes(b"import socket\nsock.sendto(b'a\x00b', ('h', 1))\n")
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "nul.py: cannot parse: syntax error at 2:16: source code string cannot contain null bytes" in run.stderr


def test_a_real_syntax_error_has_a_real_position():
    with pytest.raises(ParseFailure) as failure:
        parse_module("import socket\n\ndef f(:\n    pass\n")
    assert (failure.value.line, failure.value.kind) == (3, "syntax")
    assert str(failure.value).startswith("syntax error at 3:")


# ---------------------------------------------------------------------------------------------
# --fix and --write-baseline: never where they must not write


def test_fix_refuses_a_read_only_file(tree: Path):
    target = tree / "bug.py"
    target.chmod(0o444)
    before = target.read_bytes()
    run = udplint("check", "--fix", ".", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)  # not fixed, so still reported
    assert "bug.py: cannot fix: the file is read-only" in run.stderr
    assert target.read_bytes() == before and stat.S_IMODE(target.stat().st_mode) == 0o444
    assert temp_leftovers(tree) == []


def test_fix_writes_through_a_symlink(tmp_path: Path):
    shared = tmp_path / "shared"
    package = tmp_path / "pkg"
    shared.mkdir()
    package.mkdir()
    (shared / "server.py").write_text(BUGGY)
    (package / "server.py").symlink_to("../shared/server.py")
    run = udplint("check", "--fix", "pkg", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (package / "server.py").is_symlink()
    assert "sendmsg" in (shared / "server.py").read_text()
    assert temp_leftovers(tmp_path) == []


def test_fix_refuses_to_break_a_hard_link(tree: Path):
    os.link(tree / "bug.py", tree / "twin.py")
    before = (tree / "bug.py").read_bytes()
    run = udplint("check", "--fix", "bug.py", cwd=tree)
    assert run.returncode == 1
    assert_bug_reported(run)
    assert "bug.py: cannot fix: the file has 2 hard links" in run.stderr
    assert (tree / "bug.py").stat().st_nlink == 2 and (tree / "twin.py").read_bytes() == before
    assert temp_leftovers(tree) == []


@pytest.mark.skipif(not AS_ROOT, reason="giving a file to another owner needs root")
def test_fix_as_root_keeps_owner_group_and_mode(tree: Path):
    target = tree / "bug.py"
    os.chown(target, 4321, 4322)
    target.chmod(0o640)
    run = udplint("check", "--fix", ".", cwd=tree)
    assert run.returncode == 0, run.stdout + run.stderr
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 4322, 0o640)
    assert "sendmsg" in target.read_text()


def test_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path, monkeypatch):
    target = tmp_path / "server.py"
    target.write_text("old\n")
    for anonymous in (True, False):
        if not anonymous:
            monkeypatch.delattr(os, "O_TMPFILE", raising=False)  # the named-temporary path

        def fail(descriptor):
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(os, "fsync", fail)
            with pytest.raises(OSError):
                replace_file(target, b"new\n")
        assert target.read_text() == "old\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["server.py"]


def test_baseline_to_a_device_is_refused(tree: Path):
    (tree / "through-link.json").symlink_to("/dev/full")
    for target in ("/dev/full", "through-link.json"):
        run = udplint("check", "--write-baseline", target, ".", cwd=tree)
        assert run.returncode == 2
        assert "cannot write baseline" in run.stderr and "a character device, not a regular file" in run.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    os.mkfifo(tree / "fifo.json")
    run = udplint("check", "--write-baseline", "fifo.json", ".", cwd=tree)
    assert run.returncode == 2 and "a FIFO, not a regular file" in run.stderr
    assert stat.S_ISFIFO(os.lstat(tree / "fifo.json").st_mode)


def test_baseline_is_written_through_a_symlink_and_read_only_refused(tree: Path):
    (tree / "baselines").mkdir()
    (tree / "udplint-baseline.json").symlink_to("baselines/current.json")
    run = udplint("check", "--write-baseline", "udplint-baseline.json", ".", cwd=tree)
    assert run.returncode == 0, run.stderr
    assert (tree / "udplint-baseline.json").is_symlink()
    assert json.loads((tree / "baselines" / "current.json").read_text())["findings"][0]["path"] == "bug.py"
    (tree / "baselines" / "current.json").chmod(0o444)
    run = udplint("check", "--write-baseline", "udplint-baseline.json", ".", cwd=tree)
    assert run.returncode == 2 and "read-only" in run.stderr


def test_replace_file_unit_refusals(tmp_path: Path):
    with pytest.raises(WriteRefused, match="a directory"):
        replace_file(tmp_path, b"")
    new = tmp_path / "new.json"
    replace_file(new, b"{}\n")
    assert new.read_bytes() == b"{}\n" and stat.S_IMODE(new.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------------------------
# File names that are not UTF-8, in every output


@pytest.fixture
def odd_name_tree(tmp_path: Path) -> Path:
    (tmp_path / os.fsdecode(b"bad\xff name.py")).write_text(BUGGY)
    return tmp_path


@pytest.mark.parametrize("output", ["text", "concise", "github"])
def test_odd_name_in_line_formats(odd_name_tree: Path, output: str):
    run = udplint("check", "--format", output, ".", cwd=odd_name_tree)
    assert run.returncode == 1
    assert "bad\\xff name.py" in run.stdout


def test_odd_name_on_an_ascii_terminal(odd_name_tree: Path):
    (odd_name_tree / "caf\u00e9.py").write_text(BUGGY)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    run = udplint("check", ".", cwd=odd_name_tree, env=env)
    assert run.returncode == 1
    assert "caf\\xe9.py" in run.stdout and "bad\\xff name.py" in run.stdout


def test_odd_name_in_json_is_valid_unicode(odd_name_tree: Path):
    run = udplint("check", "--format", "json", ".", cwd=odd_name_tree)
    findings = json.loads(run.stdout)
    assert findings[0]["filename"] == "bad\\xff name.py"
    json.dumps(findings).encode("utf-8")  # no lone surrogate anywhere


def test_odd_name_in_sarif_is_a_percent_encoded_uri(odd_name_tree: Path):
    run = udplint("check", "--format", "sarif", ".", cwd=odd_name_tree)
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad%FF%20name.py"


def test_odd_name_in_the_baseline_round_trips(odd_name_tree: Path):
    written = udplint("check", "--write-baseline", "baseline.json", ".", cwd=odd_name_tree)
    assert written.returncode == 0, written.stderr
    assert json.loads((odd_name_tree / "baseline.json").read_text("utf-8"))["findings"][0]["path"] == "bad\\xff name.py"
    again = udplint("check", "--baseline", "baseline.json", ".", cwd=odd_name_tree)
    assert again.returncode == 0, again.stdout + again.stderr


def test_printable_spells_escaped_bytes():
    assert printable(os.fsdecode(b"a\xff\xfe.py")) == "a\\xff\\xfe.py"
    assert printable("\ud800") == "\\ud800"  # not an escaped byte: still never a lone surrogate
    assert str(FileError(os.fsdecode(b"x\xff.py"), "multi\nline", "read")) == "x\\xff.py: cannot read: multi line"


# ---------------------------------------------------------------------------------------------
# Config and baseline that do not decode


def test_config_with_a_0xff_byte_is_one_line(tree: Path):
    (tree / "pyproject.toml").write_bytes(b'[tool.udplint]\nselect = ["UDP\xff"]\n')
    run = udplint("check", ".", cwd=tree)
    assert run.returncode == 2
    assert run.stderr.startswith("udplint: error: ") and "not UTF-8 (byte 0xff" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"udplint_baseline": 1, "findings": {"a": 1}}', "'findings' is not a list"),
    (b'{"udplint_baseline": 1, "findings": [{"path": [], "code": "UDP001", "fingerprint": "x"}]}', "malformed"),
    (b'{"udplint_baseline": 1, "findings": [7]}', "malformed"),
    (b'\xff\xfe{}', "not UTF-8"),
])
def test_bad_baseline_is_one_line(tree: Path, content: bytes, message: str):
    (tree / "baseline.json").write_bytes(content)
    run = udplint("check", "--baseline", "baseline.json", ".", cwd=tree)
    assert run.returncode == 2
    assert run.stderr.startswith("udplint: error: ") and message in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# git in a scanned repository runs nothing the repository names


@pytest.fixture
def planted_repo(tmp_path: Path) -> tuple:
    """A repository whose config names programs (fsmonitor, a clean filter, textconv, an
    external diff) that would each leave a marker file if git ran them."""
    repo = tmp_path / "repo"
    repo.mkdir()
    marker = tmp_path / "planted-ran"
    script = tmp_path / "planted.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\ncat\n")
    script.chmod(0o755)
    git(repo, "init", "-q")
    (repo / "bug.py").write_text(BUGGY)
    (repo / ".gitattributes").write_text("*.py filter=planted diff=planted\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for key, value in (("core.fsmonitor", str(script)), ("filter.planted.clean", str(script)),
                       ("filter.planted.smudge", str(script)), ("diff.planted.textconv", str(script)),
                       ("diff.planted.command", str(script)), ("diff.external", str(script))):
        git(repo, "config", key, value)
    (repo / "bug.py").write_text(BUGGY + "# changed\n")  # a work-tree change for the diff to see
    (repo / "new.py").write_text(BUGGY)
    os.utime(repo / "bug.py", (1, 1))  # stat-dirty: git must re-read (and would clean) the file
    return repo, marker


def test_plain_git_would_run_the_planted_programs(planted_repo):
    """The control: without udplint's settings, git runs what the repository names."""
    repo, marker = planted_repo
    subprocess.run(["git", "diff", "HEAD"], cwd=repo, capture_output=True, timeout=RUN_TIMEOUT)
    assert marker.exists()


def test_diff_base_runs_no_planted_program(planted_repo):
    repo, marker = planted_repo
    run = udplint("check", "--diff-base", "HEAD", ".", cwd=repo)
    assert not marker.exists(), marker.read_text()
    assert run.returncode == 1, run.stderr
    assert_bug_reported(run, "new.py")  # a new file: every line is changed


@pytest.mark.parametrize("ref", ["--output=/tmp/udplint-hostile-ref", "-h", "--upload-pack=touch x"])
def test_ref_that_looks_like_an_option_is_refused(planted_repo, ref: str):
    repo, marker = planted_repo
    run = udplint("check", f"--diff-base={ref}", ".", cwd=repo)
    assert run.returncode == 2
    assert run.stderr.startswith("udplint: error: --diff-base") and "is not a git revision" in run.stderr
    assert not Path("/tmp/udplint-hostile-ref").exists() and not (repo / "x").exists()
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# Excludes: vendored trees, .gitignore, extend-exclude, force-exclude


def _names(paths, **options) -> list:
    problems: list = []
    return sorted(Path(s.display).as_posix() for s in discover(paths, options=WalkOptions(**options),
                                                               problems=problems))


def test_vendored_and_ignored_folders_are_skipped_in_a_walk(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("src", "vendor/lib", "third_party/x", "generated", "src/_vendor/six"):
        Path(folder).mkdir(parents=True)
        Path(folder, "m.py").write_text("x = 1\n")
    Path(".git").mkdir()
    Path(".gitignore").write_text("generated/\n*.log\n!keep.log\n")
    assert _names(["."]) == ["src/m.py"]
    assert _names(["."], respect_gitignore=False) == ["generated/m.py", "src/m.py"]
    assert _names(["."], extend_exclude=("src",)) == []
    assert _names(["vendor/lib/m.py", "generated/m.py"]) == ["generated/m.py", "vendor/lib/m.py"]
    assert _names(["vendor/lib/m.py", "generated/m.py", "src/m.py"], force_exclude=True) == ["src/m.py"]


@pytest.mark.parametrize("pattern, path, is_dir, ignored", [
    ("*.pyc", "a/b/c.pyc", False, True),
    ("/build", "build", True, True),
    ("/build", "src/build", True, False),
    ("docs/*.py", "docs/x.py", False, True),
    ("docs/*.py", "docs/sub/x.py", False, False),
    ("**/gen", "a/b/gen", True, True),
    ("out/", "out", False, False),
    ("out/", "out", True, True),
    ("a/**/z.py", "a/z.py", False, True),
    ("a/**/z.py", "a/b/c/z.py", False, True),
    ("\\#name", "#name", False, True),
    ("[ab].py", "b.py", False, True),
    ("[!ab].py", "b.py", False, False),
])
def test_gitignore_patterns(tmp_path: Path, pattern: str, path: str, is_dir: bool, ignored: bool):
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    assert GitIgnore(tmp_path).ignored(tmp_path / path, is_dir) is ignored


def test_gitignore_negation_and_comments():
    assert parse_line("# comment", "") is None and parse_line("   ", "") is None
    assert parse_line("!keep.py", "").negated


def _reported_folders(run: subprocess.CompletedProcess) -> list:
    return sorted(line.split("/")[0] for line in run.stdout.splitlines() if "UDP001" in line)


def test_exclude_replaces_and_extend_exclude_adds_to_the_config(tmp_path: Path):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "bug.py").write_text(BUGGY)
    (tmp_path / "pyproject.toml").write_text('[tool.udplint]\nexclude = ["a"]\nextend-exclude = ["b"]\n')
    assert _reported_folders(udplint("check", "--format", "concise", ".", cwd=tmp_path)) == ["c"]
    assert _reported_folders(udplint("check", "--format", "concise", "--exclude", "c", ".", cwd=tmp_path)) == ["a"]
    assert _reported_folders(udplint("check", "--format", "concise", "--extend-exclude", "c", ".", cwd=tmp_path)) == []
    forced = udplint("check", "--format", "concise", "--force-exclude", "a/bug.py", "c/bug.py", cwd=tmp_path)
    assert _reported_folders(forced) == ["c"]
    (tmp_path / "pyproject.toml").write_text('[tool.udplint]\nforce-exclude = "yes"\n')
    run = udplint("check", ".", cwd=tmp_path)
    assert run.returncode == 2 and "'force-exclude' must be true or false" in run.stderr


def test_sigkill_during_fix_leaves_whole_files_and_no_temporaries(tmp_path: Path):
    """Killed the moment the first file is rewritten (in the middle of the writes), `--fix` leaves
    every file either as it was or fully fixed, and no temporary file."""
    import signal
    import time

    servers = [tmp_path / f"server{number:02d}.py" for number in range(20)]
    for path in servers:
        path.write_text(BUGGY)
    process = subprocess.Popen([sys.executable, "-m", "udplint", "check", "--fix", "--no-polyglot", "."],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + RUN_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if any(path.stat().st_size != len(BUGGY) for path in servers):
            break
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=RUN_TIMEOUT)
    fixed = 0
    for path in servers:
        text = path.read_text()
        assert text == BUGGY or "sendmsg" in text, path
        compile(text, str(path), "exec")
        fixed += text != BUGGY
    assert fixed >= 1  # the kill came after the writes began
    # the temporary is anonymous until it is whole; a kill in the instant between naming it and
    # the rename (udplint/atomic.py) can leave one named copy, and then it is a whole fixed file
    leftovers = temp_leftovers(tmp_path)
    assert len(leftovers) <= 1, leftovers
    for name in leftovers:
        text = (tmp_path / name).read_text()
        assert "sendmsg" in text and text == next(path.read_text() for path in servers if path.read_text() != BUGGY)
