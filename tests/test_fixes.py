"""Autofixes without sockets: exact expected output, convergence, clean re-check, safe writing."""
from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import libcst as cst
import pytest

from udplint.api import check_paths
from udplint.cli import main
from udplint.fixing import snippets
from udplint.fixing.apply import apply_fixes, plan_fixes_for_paths

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
    apply_fixes(plan_fixes_for_paths([str(target)], unsafe=unsafe))
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
    assert plan_fixes_for_paths([str(fixed)], unsafe=True).changes == []


@pytest.mark.parametrize("source", FIXABLE, ids=lambda p: p.stem)
def test_applicability_matches_the_fixture(tmp_path, source):
    findings = check_paths([str(source)], polyglot=False).findings
    assert findings and {f.fix.applicability for f in findings} == {marker(source)}
    assert all(f.fix.edits for f in findings)


def test_unsafe_fixes_need_the_flag(tmp_path):
    source = FIX_FIXTURES / "plain_queue_threads.py"
    target = tmp_path / source.name
    shutil.copy2(source, target)
    assert plan_fixes_for_paths([str(target)], unsafe=False).changes == []
    assert len(plan_fixes_for_paths([str(target)], unsafe=True).changes) == 1


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
    apply_fixes(plan_fixes_for_paths([str(target)]))
    data = target.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")
    assert b"\t\t\tmsg = self.sock.recvmsg(1024, socket.CMSG_SPACE(12))\t# (data, addr)\r\n" in data
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]  # no temporary file left


def test_coding_cookie_is_kept(tmp_path):
    text = ("# -*- coding: latin-1 -*-\n# caf\xe9\nimport socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.bind(('', 9999))\nwhile True:\n    d, a = s.recvfrom(9)\n    s.sendto(d, a)\n")
    target = tmp_path / "latin.py"
    target.write_bytes(text.encode("latin-1"))
    apply_fixes(plan_fixes_for_paths([str(target)]))
    data = target.read_bytes()
    assert b"caf\xe9" in data and b"s.sendmsg([d], reply_pktinfo(ancdata), 0, a)" in data


def test_a_file_that_does_not_parse_is_not_touched(tmp_path):
    target = tmp_path / "broken.py"
    target.write_bytes(b"import socket\ns.bind(('', 1)\n")
    before = target.read_bytes()
    assert plan_fixes_for_paths([str(target)]).changes == []
    assert target.read_bytes() == before


def test_the_whole_corpus_fixes_cleanly(tmp_path):
    """Every fixed corpus file re-checks clean, a second run changes nothing, and files that are
    not the bug (ok_, neg_) are never touched."""
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    reported = {Path(f.filename).resolve() for f in check_paths([str(work)], polyglot=False).findings}
    outcome = apply_fixes(plan_fixes_for_paths([str(work)], unsafe=True))
    assert not [e for e in outcome.errors if "fix not" in e.reason]
    changed = {c.path.resolve() for c in outcome.changes}
    assert len(changed) >= 35
    # only files with findings are touched, and the modules of their package that a fix across
    # modules edits (the receive, the reply, the handler or the protocol)
    assert {path for path in changed if path not in reported} <= {
        path for path in changed if path.parent != work and path.parent in {r.parent for r in reported}}
    assert {path.parent for path in changed} & {r.parent for r in reported if r.parent != work}
    assert not [path for path in changed if path.name.startswith("ok_")]
    remaining = {Path(f.filename).resolve() for f in check_paths([str(work)], polyglot=False).findings}
    assert not remaining & changed
    assert plan_fixes_for_paths([str(work)], unsafe=True).changes == []


def test_cli_diff_changes_nothing_and_exits_1(tmp_path, capsys):
    target = tmp_path / "echo.py"
    shutil.copy2(HERE.parent / "examples" / "echo_server.py", target)
    before = target.read_bytes()
    assert main(["check", "--diff", str(target)]) == 1
    out = capsys.readouterr().out
    assert "+        sock.sendmsg([b\"echo:\" + data], reply_pktinfo(ancdata), 0, client)" in out
    assert target.read_bytes() == before
    assert main(["fix", "-q", str(target)]) == 0
    assert target.read_bytes() != before
    assert main(["check", "--diff", str(target)]) == 0


def test_json_carries_the_fix(tmp_path, capsys):
    source = FIX_FIXTURES / "plain_v6only.py"
    main(["check", "--format", "json", str(source)])
    payload = json.loads(capsys.readouterr().out)
    items = payload if isinstance(payload, list) else payload.get("findings", payload)
    fix = items[0]["fix"]
    assert fix["applicability"] == "safe" and fix["edits"] and fix["message"]


# -- the helper a fix adds -----------------------------------------------------------------------
def helper(code: str):
    import socket

    namespace = {"socket": socket, "IP_PKTINFO": 8}
    exec(compile(code.format(S="socket"), "<helper>", "exec"), namespace)
    return namespace["reply_pktinfo"]


V4_REQUEST = (0, 8, bytes([1, 0, 0, 0]) + bytes([127, 0, 0, 2]) + bytes([127, 255, 255, 255]))  # ifindex 1, spec_dst, addr


@pytest.mark.parametrize("code", [snippets.HELPER_INET, snippets.HELPER_DUAL], ids=["inet", "dual"])
def test_helper_pins_spec_dst_with_ifindex_zero(code):
    reply_pktinfo = helper(code)
    assert reply_pktinfo([V4_REQUEST]) == [(0, 8, bytes(4) + bytes([127, 0, 0, 2]) + bytes(4))]
    assert reply_pktinfo([]) == [] and reply_pktinfo([(0, 8, b"\x01\x00\x00\x00\x7f\x00")]) == []  # truncated


def test_dual_helper_prefers_ipv4_spec_dst_and_never_a_multicast_source():
    reply_pktinfo = helper(snippets.HELPER_DUAL)
    mapped = (41, 50, bytes(10) + b"\xff\xff" + bytes([127, 255, 255, 255]) + bytes([1, 0, 0, 0]))
    assert reply_pktinfo([mapped, V4_REQUEST])[0][2][4:8] == bytes([127, 0, 0, 2])  # not the broadcast header address
    native = (41, 50, bytes(15) + b"\x01" + bytes([1, 0, 0, 0]))
    assert reply_pktinfo([native]) == [(41, 50, bytes(15) + b"\x01" + bytes(4))]
    assert reply_pktinfo([(41, 50, b"\xff" + bytes(15) + bytes(4))]) == []


def test_lines_added_stay_small():
    for source in FIXABLE:
        fixed = source.with_name(source.stem + ".fixed.py").read_text()
        limit = 75 if source.name.startswith("asyncio") else 40  # asyncio gets a transport class
        assert len(fixed.splitlines()) - len(source.read_text().splitlines()) <= limit, source.name


def test_fix_reports_like_ruff_and_exit_non_zero_on_fix(tmp_path, capsys):
    fixable = tmp_path / "echo.py"
    shutil.copy2(HERE.parent / "examples" / "echo_server.py", fixable)
    left = tmp_path / "twisted_echo.py"
    shutil.copy2(CORPUS / "twisted_echo_default_interface.py", left)
    assert main(["check", "--fix", "--show-fixes", "--no-polyglot", str(tmp_path)]) == 1  # findings remain
    out = capsys.readouterr().out
    assert f"Fixed 1 error:\n- {fixable}:\n    1 \u00d7 UDP001\n" in out
    assert "Found 3 errors (1 fixed, 2 remaining)." in out
    left.unlink()
    shutil.copy2(HERE.parent / "examples" / "echo_server.py", fixable)
    assert main(["check", "--fix", "--exit-non-zero-on-fix", "--no-polyglot", str(tmp_path)]) == 1
    assert "Found 1 error (1 fixed, 0 remaining)." in capsys.readouterr().out
    assert main(["check", "--fix", "--exit-non-zero-on-fix", "--no-polyglot", str(tmp_path)]) == 0
    assert "All checks passed!" in capsys.readouterr().out


def test_unsafe_fix_is_shown_but_not_applied_without_the_flag(tmp_path, capsys):
    target = tmp_path / "threads.py"
    shutil.copy2(FIX_FIXTURES / "plain_thread_per_request.py", target)
    assert main(["check", "--fix", "--no-polyglot", str(target)]) == 1
    assert "Found 1 error (0 fixed, 1 remaining)." in capsys.readouterr().out
    assert target.read_bytes() == (FIX_FIXTURES / "plain_thread_per_request.py").read_bytes()


# -- what the control data may travel with, and what it may not ---------------------------------
def _fixed_text(tmp_path, text: str, unsafe: bool = True) -> str:
    target = tmp_path / "server.py"
    target.write_text(text)
    apply_fixes(plan_fixes_for_paths([str(target)], unsafe=unsafe))
    return target.read_text()


SERVER_HEAD = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('', 9999))\n"


def test_an_address_rebound_from_elsewhere_is_not_pinned_with_this_requests_data(tmp_path):
    text = SERVER_HEAD + ("def serve(fallback):\n    while True:\n        data, addr = s.recvfrom(512)\n"
                          "        if not data:\n            addr = fallback\n        s.sendto(data, addr)\n")
    assert _fixed_text(tmp_path, text) == text
    finding, = check_paths([str(tmp_path / "server.py")], polyglot=False).findings
    assert finding.fix.applicability == "display-only" and "recvmsg(" in finding.fix.message


def test_replies_to_stored_peers_get_a_suggestion(tmp_path):
    text = SERVER_HEAD + ("peers = set()\nwhile True:\n    data, sender = s.recvfrom(512)\n    peers.add(sender)\n"
                          "    for peer in peers:\n        s.sendto(data, peer)\n")
    assert _fixed_text(tmp_path, text) == text
    finding, = check_paths([str(tmp_path / "server.py")], polyglot=False).findings
    assert "each peer of `peers`" in finding.fix.message and "sendmsg([reply], <that peer's pktinfo>, 0, peer)" \
        in finding.fix.message


def test_a_new_parameter_has_a_default_and_other_objects_methods_are_left_alone(tmp_path):
    text = SERVER_HEAD + (
        "import logging\nlog = logging.getLogger()\n\n\n"
        "def answer(data, addr):\n    s.sendto(data, addr)\n\n\n"
        "def main():\n    answer(b'hello', ('127.0.0.1', 9))\n    while True:\n        data, addr = s.recvfrom(512)\n"
        "        log.answer = None\n        answer(data, addr)\n")
    fixed = _fixed_text(tmp_path, text)
    assert "def answer(data, addr, ancdata=()):" in fixed
    assert "    answer(b'hello', ('127.0.0.1', 9))\n" in fixed  # a call without a request keeps working
    assert "        answer(data, addr, ancdata=ancdata)\n" in fixed
    assert _fixed_text(tmp_path, text, unsafe=False) == text  # a new parameter is an unsafe fix


def test_names_the_fix_adds_do_not_shadow_the_codes_own(tmp_path):
    text = SERVER_HEAD + ("ancdata = 'mine'\nwhile True:\n    data, addr = s.recvfrom(512)\n"
                          "    s.sendto(data + ancdata.encode(), addr)\n")
    fixed = _fixed_text(tmp_path, text)
    assert "data, ancdata_2, _flags, addr = s.recvmsg(512, socket.CMSG_SPACE(12))" in fixed
    assert "s.sendmsg([data + ancdata.encode()], reply_pktinfo(ancdata_2), 0, addr)" in fixed


def test_a_second_server_reuses_the_helper_only_when_it_covers_its_family(tmp_path):
    inet = SERVER_HEAD + "while True:\n    data, addr = s.recvfrom(512)\n    s.sendto(data, addr)\n"
    fixed = _fixed_text(tmp_path, inet)
    v6 = ("\n\ndef serve6():\n    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n    s6.bind(('::', 9998))\n"
          "    while True:\n        data, addr = s6.recvfrom(512)\n        s6.sendto(data, addr)\n")
    again = fixed.replace("\nwhile True:", "\ndef serve4():\n  while True:").replace("\n    data, ancdata", "\n      data, ancdata")
    again = again.replace("\n    s.sendmsg", "\n      s.sendmsg") + v6
    (tmp_path / "server.py").write_text(again)
    finding, = check_paths([str(tmp_path / "server.py")], polyglot=False).findings
    assert finding.fix.applicability == "display-only" and "IPv4 only" in finding.fix.message


def _split_package(tmp_path: Path) -> Path:
    package = tmp_path / "pkg_dns_split"
    shutil.copytree(CORPUS / "pkg_dns_split", package)
    return package


def test_a_fix_across_modules_is_unsafe_and_edits_every_module_it_needs(tmp_path):
    package = _split_package(tmp_path)
    assert plan_fixes_for_paths([str(package)]).changes == []  # not without --unsafe-fixes
    outcome = apply_fixes(plan_fixes_for_paths([str(package)], unsafe=True))
    assert sorted(c.path.name for c in outcome.changes) == ["__main__.py", "listener.py", "responder.py"]
    assert outcome.fixed == 1
    listener = (package / "listener.py").read_text()
    assert listener.index("IP_PKTINFO, 1)") < listener.index("sock.bind(")
    assert "recvmsg(512, socket.CMSG_SPACE(12))" in (package / "__main__.py").read_text()
    responder = (package / "responder.py").read_text()
    assert "def respond(sock, query, client, ancdata=()):" in responder
    assert "sock.sendmsg([answer(query)], reply_pktinfo(ancdata), 0, client)" in responder
    assert check_paths([str(package)], polyglot=False).findings == []
    assert plan_fixes_for_paths([str(package)], unsafe=True).changes == []


def test_a_fix_across_modules_is_written_whole_or_not_at_all(tmp_path):
    package = _split_package(tmp_path)
    before = {p.name: p.read_bytes() for p in package.glob("*.py")}
    (package / "responder.py").chmod(0o444)
    outcome = apply_fixes(plan_fixes_for_paths([str(package)], unsafe=True))
    assert outcome.changes == []
    assert {Path(e.filename).name for e in outcome.errors} == {"__main__.py", "listener.py", "responder.py"}
    assert {p.name: p.read_bytes() for p in package.glob("*.py")} == before


def test_a_fix_across_modules_is_shown_not_offered_as_one_files_edits(tmp_path):
    package = _split_package(tmp_path)
    (finding,) = check_paths([str(package)], polyglot=False).findings
    assert finding.fix.applicability == "display-only" and finding.fix.edits == ()
    assert "--fix --unsafe-fixes` edits" in finding.fix.message and "responder.py" in finding.fix.message


def test_a_call_in_another_module_is_a_call_of_the_function_only_when_imported_from_its_module():
    from udplint.fixing.carry import _sees_function
    from udplint.fixing.locate import Project, Source

    home = Source("pkg/responder.py", "def respond(sock, query, client):\n    pass\n")
    importer = Source("pkg/__main__.py", "from .responder import respond\nrespond(1, 2, 3)\n")
    other = Source("pkg/other.py", "from .helpers import respond\nrespond(1, 2, 3)\n")
    project = Project([home, importer, other], importer)
    function = home.tree.body[0]
    calls = [n for n in project.positions if isinstance(n, cst.Call)]
    assert {project.file_of(c).path: _sees_function(project, c, function) for c in calls} == {
        "pkg/__main__.py": True, "pkg/other.py": False}


# -- anyio: the socket changes type, so every use of it must be one the fix rewrites ------------
ANYIO_SERVER = ("import socket\n\nimport anyio\n\n\nasync def serve(udp):\n    while True:\n"
                "        data, (host, port) = await udp.receive()\n        await udp.sendto(data, host, port)\n\n\n"
                "async def main(host):\n    udp = await anyio.create_udp_socket(family=socket.AF_INET, local_port=9999)\n"
                "    async with udp, anyio.create_task_group() as tg:\n        tg.start_soon(serve, udp)\n")


def test_an_anyio_socket_becomes_the_plain_socket_anyio_would_have_made(tmp_path):
    fixed = _fixed_text(tmp_path, ANYIO_SERVER)
    assert "    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # anyio's UDP socket cannot" in fixed
    assert '    udp.bind(("0.0.0.0", 9999))\n' in fixed  # anyio binds the family's wildcard for no host
    assert "    with udp:\n        async with anyio.create_task_group() as tg:\n            tg.start_soon(serve, udp)\n" in fixed
    assert "            data, ancdata, _flags, (host, port) = udp.recvmsg(65535, socket.CMSG_SPACE(12))\n" in fixed
    assert "            udp.sendmsg([data], reply_pktinfo(ancdata), 0, (host, port))\n" in fixed
    assert _fixed_text(tmp_path, ANYIO_SERVER, unsafe=False) == ANYIO_SERVER  # the socket's type changes


@pytest.mark.parametrize("change, why", [
    (("        tg.start_soon(serve, udp)\n", "        tg.start_soon(serve, udp)\n        print(udp.extra(anyio.abc.SocketAttribute.local_address))\n"),
     "in a way the fix does not rewrite"),
    (("        tg.start_soon(serve, udp)\n", "        tg.start_soon(serve, udp)\n        tg.start_soon(serve, udp)\n"),
     "used elsewhere too"),
    (("        tg.start_soon(serve, udp)\n", "        for _ in range(2):\n            tg.start_soon(serve, udp)\n"),
     "passed on in a loop"),
    (("        tg.start_soon(serve, udp)\n", "        tg.start_soon(serve, udp)\n        await udp.sendto(b'hi', 'localhost', 9)\n"),
     "received from once and replied on once"),
    (("async def main(host):\n    udp = await anyio.create_udp_socket(family=socket.AF_INET, local_port",
      "HOST = '0.0.0.0'\n\n\nasync def main(host):\n    udp = await anyio.create_udp_socket(local_host=HOST, local_port"),
     "not a literal wildcard"),
    (("    while True:\n        data, (host, port) = await udp.receive()\n",
      "    while True:\n        await anyio.sleep(0)\n        data, (host, port) = await udp.receive()\n"),
     "first statement of a `while` loop"),
])
def test_an_anyio_socket_used_otherwise_keeps_the_suggestion(tmp_path, change, why):
    text = ANYIO_SERVER.replace(*change)
    assert text != ANYIO_SERVER
    assert _fixed_text(tmp_path, text) == text
    finding, = check_paths([str(tmp_path / "server.py")], polyglot=False).findings
    assert finding.fix.applicability == "display-only" and why in finding.fix.message
