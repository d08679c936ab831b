"""The pre-commit hooks, run by the real `pre-commit` against a git repository, as users install them.

pre-commit installs the hook repository with `pip install .` in an isolated environment. The test
snapshots this working tree (tracked and new files) into a one-commit repository, so the manifest
and code under test are the ones on disk, and builds the hook environment once for the session.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from udp_snippets import BUGGY, CLEAN

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
GIT = ["git", "-c", "user.name=udplint tests", "-c", "user.email=tests@udplint.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_manifest_is_valid_and_declares_both_hooks():
    subprocess.run([str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], check=True)
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"udplint", "udplint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert set(hook["types_or"]) == {"python", "c", "go", "java"}
    assert hooks["udplint"]["entry"] == "udplint check --whole-program --force-exclude"
    assert hooks["udplint-fix"]["entry"] == "udplint check --whole-program --force-exclude --fix"


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple:
    """A one-commit copy of this working tree, usable as a pre-commit `repo:`."""
    snapshot = tmp_path_factory.mktemp("udplint-hook-repo")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/", "bench/")):
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git(snapshot, "init", "-q")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    return snapshot, git(snapshot, "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def run_hook(repo: Path, home: Path, *files: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    selection = ["--all-files"] if files == ("--all-files",) else ["--files", *files]
    return subprocess.run([str(PRE_COMMIT), "run", "udplint", *selection], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


SERVER = """import socket

from svc.handler import answer


def serve():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 5300))
    while True:
        data, peer = sock.recvfrom(512)
        answer(sock, data, peer)
"""
HANDLER = """def answer(sock, data, peer):
    sock.sendto(data.upper(), peer)
"""


def service_repo(tmp_path: Path, hook_repo, padding: int = 0) -> Path:
    """A repository whose bug spans two modules: the bind in svc/server.py, the reply in
    svc/handler.py; `padding` more modules with long names make pre-commit split its batches."""
    snapshot, rev = hook_repo
    repo = tmp_path / "service"
    (repo / "svc").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "svc" / "__init__.py").write_text("")
    (repo / "svc" / "server.py").write_text(SERVER)
    (repo / "svc" / "handler.py").write_text(HANDLER)
    long_dir = repo / "svc" / ("padding_" + "x" * 180)
    if padding:
        long_dir.mkdir()
        (long_dir / "__init__.py").write_text("")
    for number in range(padding):
        (long_dir / f"module_{number:04d}_{'y' * 40}.py").write_text(f"VALUE = {number}\n")
    config = {"repos": [{"repo": str(snapshot), "rev": rev, "hooks": [{"id": "udplint", "types_or": ["python"]}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "add", "-A")
    return repo


@pytest.mark.parametrize("changed", ["svc/handler.py", "svc/server.py"])
def test_a_change_to_either_module_of_a_cross_module_bug_fails_the_hook(tmp_path, hook_repo, pre_commit_home,
                                                                        changed):
    repo = service_repo(tmp_path, hook_repo)
    done = run_hook(repo, pre_commit_home, changed)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "svc/server.py:8:5: UDP001" in done.stdout  # where the wildcard is bound, the reply related
    assert "svc/handler.py:2:5" in done.stdout


def test_results_do_not_depend_on_how_pre_commit_batches_the_files(tmp_path, hook_repo, pre_commit_home):
    repo = service_repo(tmp_path, hook_repo, padding=900)
    names = git(repo, "ls-files")
    assert len(names) > 131072, "the file list must be longer than pre-commit's limit, so it splits it"
    done = run_hook(repo, pre_commit_home, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "svc/server.py:8:5: UDP001" in done.stdout
    assert done.stdout.count("svc/server.py:8:5: UDP001") <= 2


def test_hook_fails_on_the_bug_and_passes_on_clean_code(tmp_path: Path, hook_repo, pre_commit_home):
    snapshot, rev = hook_repo
    user_repo = tmp_path / "service"
    user_repo.mkdir()
    git(user_repo, "init", "-q")
    (user_repo / "bug.py").write_text(BUGGY)
    (user_repo / "clean.py").write_text(CLEAN)
    # Python files only here, so the hook environment does not need semgrep.
    config = {"repos": [{"repo": str(snapshot), "rev": rev,
                         "hooks": [{"id": "udplint", "types_or": ["python"], "args": ["--select", "UDP"]}]}]}
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(user_repo, "add", "-A")

    failing = run_hook(user_repo, pre_commit_home, "bug.py", "clean.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "bug.py:7:5: UDP001" in failing.stdout
    assert "clean.py:" not in failing.stdout

    passing = run_hook(user_repo, pre_commit_home, "clean.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def test_hook_keeps_excluded_and_gitignored_files_excluded(tmp_path: Path, hook_repo, pre_commit_home):
    """pre-commit names every staged file; `exclude` and .gitignore must hold for them as for `check .`."""
    snapshot, rev = hook_repo
    user_repo = tmp_path / "service"
    (user_repo / "tests" / "fixtures").mkdir(parents=True)
    (user_repo / "generated").mkdir()
    git(user_repo, "init", "-q")
    (user_repo / "pyproject.toml").write_text('[tool.udplint]\nexclude = ["tests/fixtures"]\n')
    (user_repo / ".gitignore").write_text("generated/\n")
    (user_repo / "tests" / "fixtures" / "bug.py").write_text(BUGGY)
    (user_repo / "generated" / "bug.py").write_text(BUGGY)
    (user_repo / "bug.py").write_text(BUGGY)
    config = {"repos": [{"repo": str(snapshot), "rev": rev, "hooks": [{"id": "udplint", "types_or": ["python"]}]}]}
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(user_repo, "add", "-A")
    git(user_repo, "add", "-f", "generated/bug.py")  # tracked although ignored: still excluded

    excluded = run_hook(user_repo, pre_commit_home, "tests/fixtures/bug.py", "generated/bug.py")
    assert excluded.returncode == 0, excluded.stdout + excluded.stderr
    assert "UDP001" not in excluded.stdout

    reported = run_hook(user_repo, pre_commit_home, "tests/fixtures/bug.py", "bug.py")
    assert reported.returncode == 1, reported.stdout + reported.stderr
    assert "bug.py:7:5: UDP001" in reported.stdout and "fixtures" not in reported.stdout
