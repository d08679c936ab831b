"""The pull-request gate on real git histories: an old finding on main, a new one on a branch."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from udp_snippets import BUGGY, CLEAN, buggy_server
from udplint.gate import parse_added_lines

GIT = ["git", "-c", "user.name=udplint tests", "-c", "user.email=tests@udplint.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def udplint(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "udplint", "check", "-q", "--format", "concise", "--no-polyglot", *args],
                          cwd=repo, capture_output=True, text=True, timeout=60)


def reported(result: subprocess.CompletedProcess) -> list:
    return [line.split(": ")[0] + ":" + line.split(": ")[1].split()[0] for line in result.stdout.splitlines()]


@pytest.fixture()
def pr_repo(tmp_path: Path) -> Path:
    """main: legacy.py with a known finding. Branch `feature`: a new buggy server, and legacy.py edited
    above its finding (so the old finding moves down but stays old)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "legacy.py").write_text(BUGGY)
    (repo / "ok.py").write_text(CLEAN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "legacy server")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "legacy.py").write_text("# a comment added above the old finding\n\n" + BUGGY)
    (repo / "newsrv.py").write_text(buggy_server(7000, reply="data.upper()"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "new server")
    return repo


def test_full_run_sees_both(pr_repo: Path):
    result = udplint(pr_repo)
    assert result.returncode == 1
    assert reported(result) == ["legacy.py:9:5:UDP001", "newsrv.py:7:5:UDP001"]


def test_diff_base_fails_only_on_the_new_finding(pr_repo: Path):
    result = udplint(pr_repo, "--diff-base", "main")
    assert result.returncode == 1, result.stderr
    assert reported(result) == ["newsrv.py:7:5:UDP001"]


def test_diff_base_counts_uncommitted_and_untracked_changes(pr_repo: Path):
    git(pr_repo, "checkout", "-q", "main")
    assert udplint(pr_repo, "--diff-base", "main").returncode == 0  # nothing changed yet
    (pr_repo / "untracked.py").write_text(BUGGY)  # a new file not yet added
    result = udplint(pr_repo, "--diff-base", "main")
    assert reported(result) == ["untracked.py:7:5:UDP001"]
    (pr_repo / "untracked.py").unlink()
    # An unstaged edit of the old reply line makes it a changed line.
    (pr_repo / "legacy.py").write_text(BUGGY.replace("sendto(data, addr)", "sendto(data[:512], addr)"))
    assert reported(udplint(pr_repo, "--diff-base", "main")) == ["legacy.py:7:5:UDP001"]


def test_diff_base_uses_the_merge_base(pr_repo: Path):
    """main moving on after the branch point (a new finding there) must not fail the branch."""
    git(pr_repo, "checkout", "-q", "main")
    (pr_repo / "mainline.py").write_text(buggy_server(8000))
    git(pr_repo, "add", "-A")
    git(pr_repo, "commit", "-q", "-m", "main moves on")
    git(pr_repo, "checkout", "-q", "feature")
    assert reported(udplint(pr_repo, "--diff-base", "main")) == ["newsrv.py:7:5:UDP001"]


def test_diff_base_clean_branch_passes(pr_repo: Path):
    git(pr_repo, "checkout", "-q", "-b", "docs-only", "main")
    (pr_repo / "README.txt").write_text("docs\n")
    (pr_repo / "legacy.py").write_text("# only a comment above the old finding\n" + BUGGY)
    git(pr_repo, "add", "-A")
    git(pr_repo, "commit", "-q", "-m", "docs")
    result = udplint(pr_repo, "--diff-base", "main")
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_diff_base_errors_are_one_line(pr_repo: Path, tmp_path: Path):
    result = udplint(pr_repo, "--diff-base", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.startswith("udplint: error: --diff-base no-such-branch") and "Traceback" not in result.stderr
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    (outside / "a.py").write_text(BUGGY)
    result = udplint(outside, "--diff-base", "main")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1


def test_baseline_fails_only_on_the_new_finding(pr_repo: Path):
    git(pr_repo, "checkout", "-q", "main")
    written = udplint(pr_repo, "--write-baseline", "udplint-baseline.json")
    assert written.returncode == 0, written.stderr
    recorded = json.loads((pr_repo / "udplint-baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"]) for e in recorded] == [("legacy.py", "UDP001")]
    assert udplint(pr_repo, "--baseline", "udplint-baseline.json").returncode == 0
    git(pr_repo, "checkout", "-q", "feature")
    # legacy.py's finding moved from line 7 to 9: matched by content, it stays known.
    result = udplint(pr_repo, "--baseline", "udplint-baseline.json")
    assert result.returncode == 1
    assert reported(result) == ["newsrv.py:7:5:UDP001"]


def test_one_known_finding_never_hides_a_new_identical_one(tmp_path: Path):
    (tmp_path / "srv.py").write_text(buggy_server(9001))
    assert udplint(tmp_path, "--write-baseline", "base.json").returncode == 0
    # A second server whose reply line is the very same text as the known one.
    (tmp_path / "srv.py").write_text(buggy_server(9001) + "\n\n" + buggy_server(9002))
    result = udplint(tmp_path, "--baseline", "base.json")
    assert result.returncode == 1
    assert len(reported(result)) == 1
    # The same line in another file is another finding too.
    (tmp_path / "srv.py").write_text(buggy_server(9001))
    (tmp_path / "twin.py").write_text(buggy_server(9001))
    assert reported(udplint(tmp_path, "--baseline", "base.json")) == ["twin.py:7:5:UDP001"]


def test_baseline_from_another_directory_matches(tmp_path: Path):
    """Baseline paths are relative to the baseline file, so the gate can run from anywhere."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "srv.py").write_text(BUGGY)
    assert udplint(tmp_path, "--write-baseline", "base.json", "src").returncode == 0
    result = udplint(tmp_path / "src", "--baseline", str(tmp_path / "base.json"), "srv.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_baseline_is_a_clear_error(tmp_path: Path):
    (tmp_path / "srv.py").write_text(BUGGY)
    (tmp_path / "base.json").write_text("{not json")
    for args in (["--baseline", "base.json"], ["--baseline", "missing.json"]):
        result = udplint(tmp_path, *args)
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_parse_added_lines():
    diff = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -3 +3 @@\n-a\n+b\n@@ -10,0 +11,2 @@\n+c\n+d\n@@ -20,2 +22,0 @@\n-e\n-f\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-g\n"
    )
    assert parse_added_lines(diff) == {"x.py": {3, 11, 12}}
