"""Autofixes without sockets: exact expected output, convergence, clean re-check, safe writing."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from udplint.api import check_paths
from udplint.cli import main
from udplint.fixing import templates
from udplint.fixing.apply import apply_fixes, plan_fixes

HERE = Path(__file__).resolve().parent
FIX_FIXTURES = HERE / "fixtures" / "python_fix"
CORPUS = HERE / "fixtures" / "python"
SOURCES = sorted(p for p in FIX_FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))
FIXABLE = [p for p in SOURCES if p.with_name(p.stem + ".fixed.py").exists()]


def marker(path: Path) -> str:
    first = path.read_bytes().splitlines()[0].decode()
    return first.split(":", 1)[1].strip()


def fix_copy(tmp_path: Path, source: Path, unsafe: bool = True) -> Path:
    target = tmp_path / source.name
    shutil.copy2(source, target)
    apply_fixes(plan_fixes([str(target)], unsafe=unsafe))
    return target


def test_every_fixable_fixture_has_its_expected_file():
    assert len(FIXABLE) >= 10
    for source in SOURCES:
        expected = source.with_name(source.stem + ".fixed.py").exists()
        assert expected == (marker(source) in ("safe", "unsafe")), source.name


@pytest.mark.parametrize("source", FIXABLE, ids=lambda p: p.stem)
def test_fix_output_is_exactly_the_checked_in_file(tmp_path, source):
    fixed = fix_copy(tmp_path, source)
    assert fixed.read_bytes() == source.with_name(source.stem + ".fixed.py").read_bytes()


@pytest.mark.parametrize("source", FIXABLE, ids=lambda p: p.stem)
def test_fixed_file_parses_checks_clean_and_converges(tmp_path, source):
    fixed = fix_copy(tmp_path, source)
    cst.parse_module(fixed.read_bytes())
    compile(fixed.read_bytes(), str(fixed), "exec")
    assert check_paths([str(fixed)], polyglot=False).findings == []
    assert plan_fixes([str(fixed)], unsafe=True).changes == []


@pytest.mark.parametrize("source", FIXABLE, ids=lambda p: p.stem)
def test_applicability_matches_the_fixture(tmp_path, source):
    findings = check_paths([str(source)], polyglot=False).findings
    assert findings and {f.fix.applicability for f in findings} == {marker(source)}
    assert all(f.fix.edits for f in findings)


def test_unsafe_fixes_need_the_flag(tmp_path):
    source = FIX_FIXTURES / "asyncio_protocol.py"
    target = tmp_path / source.name
    shutil.copy2(source, target)
    assert plan_fixes([str(target)], unsafe=False).changes == []
    assert len(plan_fixes([str(target)], unsafe=True).changes) == 1


@pytest.mark.parametrize("source", [p for p in SOURCES if marker(p) in ("none", "suggestion")], ids=lambda p: p.stem)
def test_what_is_not_fixable_is_left_byte_for_byte(tmp_path, source):
    fixed = fix_copy(tmp_path, source)
    assert fixed.read_bytes() == source.read_bytes()
    findings = check_paths([str(source)], polyglot=False).findings
    if marker(source) == "none":
        assert findings == []
    else:
        assert findings and all(f.fix.applicability == "display-only" and not f.fix.edits for f in findings)
        assert all("sendmsg(" in f.fix.message and "ipi_spec_dst" in f.fix.message for f in findings)


def test_crlf_tabs_and_permissions_survive(tmp_path):
    source = FIX_FIXTURES / "plain_crlf_tabs.py"
    target = tmp_path / source.name
    shutil.copy2(source, target)
    os.chmod(target, 0o751)
    apply_fixes(plan_fixes([str(target)]))
    data = target.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")
    assert b"\t\t\tmsg = _pktinfo_recvfrom(self.sock, 1024)\t# (data, addr)\r\n" in data
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]  # no temporary file left


def test_coding_cookie_is_kept(tmp_path):
    text = ("# -*- coding: latin-1 -*-\n# caf\xe9\nimport socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.bind(('', 9999))\nwhile True:\n    d, a = s.recvfrom(9)\n    s.sendto(d, a)\n")
    target = tmp_path / "latin.py"
    target.write_bytes(text.encode("latin-1"))
    apply_fixes(plan_fixes([str(target)]))
    data = target.read_bytes()
    assert b"caf\xe9" in data and b"_pktinfo_sendto(s, d, a)" in data


def test_a_file_that_does_not_parse_is_not_touched(tmp_path):
    target = tmp_path / "broken.py"
    target.write_bytes(b"import socket\ns.bind(('', 1)\n")
    before = target.read_bytes()
    assert plan_fixes([str(target)]).changes == []
    assert target.read_bytes() == before


def test_the_whole_corpus_fixes_cleanly(tmp_path):
    """Every fixed corpus file re-checks clean, a second run changes nothing, and files that are
    not the bug (ok_, neg_) are never touched."""
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    reported = {Path(f.filename).name for f in check_paths([str(work)], polyglot=False).findings}
    outcome = apply_fixes(plan_fixes([str(work)], unsafe=True))
    assert not [e for e in outcome.errors if "fix not" in e.reason]
    changed = {c.path.name for c in outcome.changes}
    assert len(changed) >= 35
    assert changed <= reported  # only files with findings are touched
    assert not [name for name in changed if name.startswith("ok_")]
    remaining = {Path(f.filename).name for f in check_paths([str(work)], polyglot=False).findings}
    assert not remaining & changed
    assert plan_fixes([str(work)], unsafe=True).changes == []


def test_cli_diff_changes_nothing_and_exits_1(tmp_path, capsys):
    target = tmp_path / "echo.py"
    shutil.copy2(HERE.parent / "examples" / "echo_server.py", target)
    before = target.read_bytes()
    assert main(["check", "--diff", str(target)]) == 1
    out = capsys.readouterr().out
    assert "+        _pktinfo_sendto(sock, b\"echo:\" + data, client)" in out
    assert target.read_bytes() == before
    assert main(["fix", "-q", str(target)]) == 0
    assert target.read_bytes() != before
    assert main(["check", "--diff", str(target)]) == 0


def test_json_carries_the_fix(tmp_path, capsys):
    source = FIX_FIXTURES / "plain_dualstack.py"
    main(["check", "--format", "json", str(source)])
    payload = json.loads(capsys.readouterr().out)
    items = payload if isinstance(payload, list) else payload.get("findings", payload)
    fix = items[0]["fix"]
    assert fix["applicability"] == "safe" and fix["edits"] and fix["message"]


# -- the injected helpers themselves ------------------------------------------------------------
def helpers(enabled: bool):
    namespace: dict = {}
    exec(compile(templates.helper_block(templates.ORDER), "<helpers>", "exec"), namespace)
    namespace["_PKTINFO_ON"] = enabled
    return namespace


class FakeSocket:
    family = 2

    def __init__(self, fail_sendmsg=False):
        self.calls = []
        self.fail_sendmsg = fail_sendmsg

    def recvfrom(self, size, flags=0):
        self.calls.append(("recvfrom", size, flags))
        return b"x", ("127.0.0.1", 5)

    def recvmsg(self, size, ancsize=0, flags=0):
        self.calls.append(("recvmsg", size, ancsize, flags))
        return b"x", [(0, 8, b"\x01\x00\x00\x00\x7f\x00\x00\x02")], 0, ("127.0.0.1", 5)  # truncated: 8 < 12

    def sendto(self, data, *args):
        self.calls.append(("sendto", data, *args))
        return len(data)

    def sendmsg(self, buffers, ancdata, flags, address):
        self.calls.append(("sendmsg", ancdata, flags, address))
        if self.fail_sendmsg:
            raise OSError(22, "Invalid argument")
        return 1

    def setsockopt(self, *args):
        self.calls.append(("setsockopt", *args))


def test_helpers_disabled_behave_exactly_like_the_original():
    ns = helpers(False)
    sock = FakeSocket()
    assert ns["_pktinfo_recvfrom"](sock, 10) == (b"x", ("127.0.0.1", 5))
    ns["_pktinfo_sendto"](sock, b"r", ("127.0.0.1", 5))
    ns["_pktinfo_enable"](sock)
    assert sock.calls == [("recvfrom", 10, 0), ("sendto", b"r", ("127.0.0.1", 5))]


def test_helpers_never_fail_on_bad_control_data_and_fall_back_on_send_errors():
    ns = helpers(True)
    sock = FakeSocket(fail_sendmsg=True)
    data, addr = ns["_pktinfo_recvfrom"](sock, 10)
    assert addr == ("127.0.0.1", 5) and getattr(addr, "pktinfo", None) is None  # truncated cmsg ignored
    pinned = ns["_PktinfoAddr"](("127.0.0.1", 5))
    pinned.pktinfo = (bytes([127, 0, 0, 2]), None)
    assert ns["_pktinfo_sendto"](sock, b"r", pinned) == 1
    assert [c[0] for c in sock.calls][-2:] == ["sendmsg", "sendto"]
    ancdata = sock.calls[-2][1]
    assert ancdata == [(0, 8, bytes(4) + bytes([127, 0, 0, 2]) + bytes(4))]  # ifindex 0, ipi_spec_dst, ipi_addr 0


def test_pinned_address_is_still_the_plain_tuple():
    ns = helpers(True)
    pinned = ns["_pktinfo_remember"](("127.0.0.1", 5), [(0, 8, bytes(4) + bytes([127, 0, 0, 2]) + bytes([127, 0, 0, 2]))])
    assert pinned == ("127.0.0.1", 5) and hash(pinned) == hash(("127.0.0.1", 5)) and isinstance(pinned, tuple)
    assert "%s:%d" % pinned == "127.0.0.1:5" and pinned.pktinfo == (bytes([127, 0, 0, 2]), None)
    multicast = ns["_pktinfo_remember"](("::1", 5, 0, 0), [(41, 50, b"\xff" + bytes(15) + bytes(4))])
    assert getattr(multicast, "pktinfo", None) is None
