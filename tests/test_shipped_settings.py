"""Settings files shipped in the checked tree: a wildcard decided in a template, not in Python."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from udplint.api import RunOptions, check_paths
from udplint.python import shipped

SERVER = """\
import socket
import yaml


def serve(path, port):
    with open(path) as stream:
        settings = yaml.safe_load(stream)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((settings["server"]["{key}"], port))
    while True:
        data, peer = sock.recvfrom(512)
        sock.sendto(data, peer)
"""


def run(paths, cache_dir=None):
    options = RunOptions(jobs=1, cache_dir=cache_dir, use_cache=cache_dir is not None)
    return check_paths([str(p) for p in paths], polyglot=False, options=options)


def lines(result):
    return [(Path(f.filename).name, f.location.row) for f in result.findings]


def make_project(root: Path, settings: str, key: str = "listen") -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'echo'\n")
    (root / "server.py").write_text(SERVER.replace("{key}", key))
    (root / "config").mkdir()
    (root / "config" / "server.yaml").write_text(settings)
    return root


@pytest.mark.parametrize("data, expected", [
    (b'<bacnet enabled="True" host="0.0.0.0" port="47808">', {"host": 1}),
    (b"<config>\n  <listen_address>::</listen_address>\n</config>", {"listen_address": 2}),
    (b'{"server": {"bind": "0.0.0.0", "port": 53}}', {"bind": 1}),
    (b"server:\n  host: '::'  # every address\n", {"host": 2}),
    (b"[server]\nhost = 0.0.0.0\n", {"host": 2}),
    (b'listen_ip = "0.0.0.0"\n', {"listen_ip": 1}),
    (b"netmask = 0.0.0.0\nroute: 0.0.0.0\n", {}),  # not where anything listens
    (b"host = 127.0.0.1\n", {}),
])
def test_address_keys_set_to_a_wildcard_are_read_from_each_format(data, expected):
    assert shipped.scan_bytes(data) == expected


@pytest.mark.parametrize("text, key", [
    ("host", "host"), ("server.host", "host"), ("//{0}/@host", "host"), ("./bind/text()", "bind"), ("", None),
])
def test_the_key_a_lookup_names(text, key):
    assert shipped.setting_key(text) == key


def test_a_template_shipped_in_the_project_decides_the_wildcard(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 0.0.0.0\n  port: 5300\n")
    result = run([project])
    assert lines(result) == [("server.py", 12)]
    assert "'0.0.0.0' from " in result.findings[0].message
    assert "server.yaml:2" in result.findings[0].message


def test_a_template_with_a_specific_address_decides_nothing(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 192.0.2.10\n")
    assert lines(run([project])) == []


def test_a_key_the_code_does_not_read_decides_nothing(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 0.0.0.0\n", key="address")
    assert lines(run([project])) == []


def test_settings_of_another_package_beside_it_do_not_apply(tmp_path):
    """A folder of unrelated scripts and packages (a test suite's fixtures) shares nothing."""
    root = tmp_path / "examples"
    root.mkdir()
    (root / "server.py").write_text(SERVER.replace("{key}", "host"))
    other = root / "otherpkg"
    other.mkdir()
    (other / "__init__.py").write_text("")
    (other / "settings.ini").write_text("[server]\nhost = 0.0.0.0\n")
    assert lines(run([root])) == []
    (root / "settings.ini").write_text("[server]\nhost = 0.0.0.0\n")  # its own folder's: applies
    assert lines(run([root])) == [("server.py", 12)]


def test_a_file_checked_on_its_own_reads_no_settings(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 0.0.0.0\n")
    assert lines(run([project / "server.py"])) == []


def test_the_whole_run_cache_notices_an_edited_settings_file(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 0.0.0.0\n")
    cache = tmp_path / "cache"
    assert lines(run([project], cache)) == [("server.py", 12)]
    settings = project / "config" / "server.yaml"
    settings.write_text("server:\n  listen: 127.0.0.1\n")
    os.utime(settings, ns=(1, 1))  # a different stat even on a coarse clock
    assert lines(run([project], cache)) == []


def test_the_whole_run_cache_notices_a_new_settings_file(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  port: 5300\n")
    cache = tmp_path / "cache"
    assert lines(run([project], cache)) == []
    (project / "config" / "local.yaml").write_text("server:\n  listen: '::'\n")
    os.utime(project / "config", ns=(1, 1))
    assert lines(run([project], cache)) == [("server.py", 12)]


def test_too_many_settings_files_is_a_budget_that_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "MAX_SETTINGS_FILES", 2)
    for index in range(4):
        (tmp_path / f"s{index}.json").write_text('{"host": "0.0.0.0"}')
    settings = shipped.scan([tmp_path])
    assert settings.budget_hit and len(settings.files_read) == 2


def test_a_fifo_or_device_named_like_a_settings_file_is_not_read(tmp_path):
    project = make_project(tmp_path / "echo", "server:\n  listen: 0.0.0.0\n")
    os.mkfifo(project / "config" / "pipe.yaml")  # opening it for reading would block the run
    (project / "config" / "full.json").symlink_to("/dev/full")
    settings = shipped.scan([project])
    assert sorted(p.name for p in settings.files_read) == ["pyproject.toml", "server.yaml"]
    assert lines(run([project])) == [("server.py", 12)]
