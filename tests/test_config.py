"""[tool.udplint] in pyproject.toml: found like ruff finds its settings, overridden by the command line."""
import subprocess
import sys
from pathlib import Path

import pytest

from udp_snippets import BUGGY


def udplint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "udplint", "check", "-q", "--format", "concise", "--no-polyglot", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "server.py").write_text(BUGGY)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "probe.py").write_text(BUGGY)
    return tmp_path


def configure(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.udplint]\n' + body)


def files(result: subprocess.CompletedProcess) -> list:
    return sorted(line.split(":")[0] for line in result.stdout.splitlines())


def test_ignore_and_select_from_config_and_cli_override(project: Path):
    configure(project, 'ignore = ["UDP001"]\n')
    assert udplint(project).returncode == 0
    # as in ruff, the command line is a layer on top: its --ignore adds to the file's ignores, its
    # --extend-select brings a rule back, and its --select starts over
    assert udplint(project, "--ignore", "UDP002").returncode == 0
    assert udplint(project, "--extend-select", "UDP001").returncode == 1
    assert udplint(project, "--select", "UDP001").returncode == 1
    configure(project, 'select = ["UDP002"]\n')
    assert udplint(project).returncode == 0
    assert udplint(project, "--select", "UDP").returncode == 1


def test_exclude_and_per_file_ignores(project: Path):
    configure(project, 'exclude = ["scripts"]\n')
    assert files(udplint(project)) == ["src/server.py"]
    configure(project, '[tool.udplint.per-file-ignores]\n"scripts/*" = ["UDP001"]\n')
    assert files(udplint(project)) == ["src/server.py"]
    configure(project, '[tool.udplint.per-file-ignores]\n"server.py" = ["UDP"]\n')
    assert files(udplint(project)) == ["scripts/probe.py"]


def test_found_by_walking_up_from_a_subdirectory(project: Path):
    configure(project, 'ignore = ["UDP001"]\n')
    assert udplint(project / "src").returncode == 0
    # A closer pyproject.toml without [tool.udplint] does not hide the project's settings.
    (project / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert udplint(project / "src").returncode == 0


def test_baseline_from_config_is_relative_to_pyproject(project: Path):
    assert udplint(project, "--write-baseline", "known.json").returncode == 0
    configure(project, 'baseline = "known.json"\n')
    assert udplint(project / "src").returncode == 0
    assert udplint(project, "--no-baseline").returncode == 1


@pytest.mark.parametrize("body, message", [
    ('colour = "red"\n', "unknown key 'colour'"),
    ('select = "UDP001"\n', "'select' must be a list of strings"),
    ('ignore = [1]\n', "'ignore' must be a list of strings"),
    ('per-file-ignores = ["x"]\n', "'per-file-ignores' must be a table"),
    ('baseline = 3\n', "'baseline' must be a file path string"),
    ('select = [\n', "invalid TOML"),
])
def test_bad_config_is_one_clear_line(project: Path, body: str, message: str):
    configure(project, body)
    result = udplint(project)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("udplint: error: ") and "Traceback" not in result.stderr
