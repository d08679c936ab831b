"""The flake8 plugin, exercised through the real `flake8` command as users run it."""
import subprocess
import sys
from pathlib import Path

import pytest

from udp_snippets import BUGGY, BUGGY_COL, BUGGY_LINE, CLEAN

FLAKE8 = Path(sys.executable).parent / "flake8"


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # --isolated: no user or project flake8 config leaks into the test.
    return subprocess.run([str(FLAKE8), "--isolated", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "bug.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_plugin_is_registered_with_udp_prefix():
    out = subprocess.run([str(FLAKE8), "--version"], capture_output=True, text=True, timeout=60).stdout
    assert "udplint" in out


def test_reports_same_ids_and_messages_as_the_cli(project: Path):
    result = flake8(project, "--select", "UDP", "bug.py", "clean.py")
    assert result.returncode == 1, result.stderr
    cli = subprocess.run([sys.executable, "-m", "udplint", "check", "-q", "--format", "concise", "bug.py"],
                         cwd=project, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1
    # flake8 prints `path:row:col: CODE message` exactly as udplint's concise format does.
    assert result.stdout.splitlines() == cli.stdout.splitlines()
    assert result.stdout.startswith(f"bug.py:{BUGGY_LINE}:{BUGGY_COL}: UDP001 ")


def test_clean_file_passes(project: Path):
    result = flake8(project, "--select", "UDP", "clean.py")
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_runs_alongside_default_checks_and_select_filters_it(project: Path):
    assert "UDP001" in flake8(project, "bug.py").stdout
    assert "UDP001" not in flake8(project, "--select", "E", "bug.py").stdout


def test_noqa_is_handled_by_flake8(project: Path):
    noqa = BUGGY.replace("sock.sendto(data, addr)", "sock.sendto(data, addr)  # noqa: UDP001")
    (project / "bug.py").write_text(noqa)
    assert flake8(project, "--select", "UDP", "bug.py").returncode == 0
    other = BUGGY.replace("sock.sendto(data, addr)", "sock.sendto(data, addr)  # noqa: UDP002")
    (project / "other.py").write_text(other)
    assert "UDP001" in flake8(project, "--select", "UDP", "other.py").stdout
    # --disable-noqa must bring the suppressed finding back: udplint must not hide it on its own.
    assert "UDP001" in flake8(project, "--select", "UDP", "--disable-noqa", "bug.py").stdout


def test_extend_ignore_and_per_file_ignores(project: Path):
    assert flake8(project, "--extend-ignore", "UDP001", "--select", "UDP", "bug.py").returncode == 0
    (project / "second.py").write_text(BUGGY)
    result = flake8(project, "--select", "UDP", "--per-file-ignores", "bug.py:UDP001", "bug.py", "second.py")
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["second.py"]


def test_finding_across_modules_of_a_package(tmp_path: Path):
    """The bind is in one module, the reply in another: flake8 on the package reports it at the bind."""
    pkg = tmp_path / "relay"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "listen.py").write_text(
        "import socket\n\n\ndef open_socket(port):\n"
        "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    sock.bind(('0.0.0.0', port))\n    return sock\n"
    )
    (pkg / "serve.py").write_text(
        "from .listen import open_socket\n\n\ndef serve():\n    sock = open_socket(9999)\n"
        "    while True:\n        data, addr = sock.recvfrom(512)\n        sock.sendto(data, addr)\n"
    )
    cli = subprocess.run([sys.executable, "-m", "udplint", "check", "-q", "--format", "concise", "relay"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1 and cli.stdout
    # Only the file that holds the finding is handed to flake8: the package is still analysed.
    finding_file = cli.stdout.split(":")[0]
    result = flake8(tmp_path, "--select", "UDP", finding_file)
    assert result.stdout == cli.stdout


def test_stdin(project: Path):
    result = subprocess.run([str(FLAKE8), "--isolated", "--select", "UDP", "-"], input=BUGGY, cwd=project,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith(f"stdin:{BUGGY_LINE}:{BUGGY_COL}: UDP001 "), result.stderr


def flake8_stdin(cwd: Path, source: str, display_name: str) -> subprocess.CompletedProcess:
    """How editors call flake8: the unsaved buffer on stdin, named after the file it will be saved as."""
    return subprocess.run([str(FLAKE8), "--isolated", "--select", "UDP", "-", "--stdin-display-name", display_name],
                          input=source, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_stdin_buffer_is_checked_not_the_file_on_disk(project: Path):
    # bug.py on disk has the bug; the editor's buffer has fixed it: nothing to report.
    clean_buffer = flake8_stdin(project, CLEAN, "bug.py")
    assert (clean_buffer.returncode, clean_buffer.stdout) == (0, ""), clean_buffer.stderr
    # clean.py on disk is clean; the buffer brings the bug in: it is reported, under the display name.
    buggy_buffer = flake8_stdin(project, BUGGY, "clean.py")
    assert buggy_buffer.stdout.startswith(f"clean.py:{BUGGY_LINE}:{BUGGY_COL}: UDP001 "), buggy_buffer.stderr
    # a file not saved yet
    new_file = flake8_stdin(project, BUGGY, "new_server.py")
    assert new_file.stdout.startswith(f"new_server.py:{BUGGY_LINE}:{BUGGY_COL}: UDP001 "), new_file.stderr


def test_stdin_buffer_is_analysed_with_its_package(tmp_path: Path):
    """The buffer of the module that binds, whose socket is answered in another module on disk."""
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    server = ("import socket\nfrom .handler import serve\n\n\ndef main():\n"
              "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "    sock.bind(('127.0.0.1', 9999))\n    serve(sock)\n")
    (pkg / "server.py").write_text(server)
    (pkg / "handler.py").write_text("def serve(sock):\n    while True:\n        data, addr = sock.recvfrom(512)\n"
                                    "        sock.sendto(data, addr)\n")
    on_disk = flake8(tmp_path, "--select", "UDP", "svc/server.py")
    assert (on_disk.returncode, on_disk.stdout) == (0, ""), on_disk.stderr
    edited = flake8_stdin(tmp_path, server.replace("127.0.0.1", "0.0.0.0"), "svc/server.py")
    assert edited.stdout.startswith("svc/server.py:7:5: UDP001 "), edited.stdout + edited.stderr
    assert len(edited.stdout.splitlines()) == 1 and "svc/handler.py:4:9" in edited.stdout  # the reply, named
