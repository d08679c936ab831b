"""`udplint probe` against real servers on loopback.

* every Python oracle fixture (tests/fixtures/python) is started and probed at 127.0.0.2:PORT: bug
  fixtures must come out ``wrong-source``, ok fixtures ``ok``; a stopped server ``no-reply``;
* the C echo programs are compiled and probed through the command line, as an operator would;
* small servers written here (wildcard + sendto, specific bind, pktinfo, silent, other port,
  strict protocol parsers) pin down the verdict logic, the exit status and the datagram budget;
* each preset's request is parsed back with struct and answered by a server that only replies to
  a well-formed request.

Only loopback addresses are used: the tests never probe 127.0.0.1 or ::1 without --from, because
the probe would then send from another address of the host, which may not be loopback.
"""
from __future__ import annotations

import contextlib
import json
import select
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import pytest

from oracle import OracleError, free_port, run_server, wait_ready
from test_polyglot_oracle import need
from test_python_oracle import CASES, FIXTURES, OracleCase, _server_env
from udplint.cli import main
from udplint.probe import Request, Settings, parse_target, probe_targets
from udplint.probe import client_source, presets, verdict
from udplint.probe.probe import Exchange, ProbeResult
from udplint.probe.targets import TargetError

REPO = Path(__file__).resolve().parent.parent
C_FIXTURES = REPO / "tests" / "fixtures" / "c"
PARALLEL_SERVERS = 6
FAST = Settings(Request(payload=b"probe"), timeout=1.0, count=1)
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # 8 on Linux; the attribute exists from Python 3.12


# --- the project's Python fixtures ------------------------------------------------------------

@dataclass
class FixtureProbe:
    case: OracleCase
    port: int = 0
    result: Optional[ProbeResult] = None
    error: Optional[str] = None
    server_log: str = ""

    def report(self) -> str:
        shown = self.result.verdict if self.result else self.error
        return f"{self.case.name} ({self.case.verdict}, port {self.port}): {shown}\n{self.server_log[-2000:]}"


def probe_fixture(case: OracleCase) -> FixtureProbe:
    run = FixtureProbe(case)
    for _attempt in range(3):
        run = FixtureProbe(case, port=free_port())
        with run_server(case.argv(run.port), cwd=FIXTURES, env=_server_env()) as server:
            try:
                wait_ready(run.port, server=server)
            except OracleError as error:
                run.error, run.server_log = str(error), server.output()
                if "Address already in use" in run.server_log:
                    continue  # lost a free-port race
                return run
            run.result = probe_targets([parse_target(f"127.0.0.2:{run.port}")], FAST)[0]
            run.server_log = server.output()
            return run
    return run


@pytest.fixture(scope="module")
def fixture_probes():
    with ThreadPoolExecutor(max_workers=PARALLEL_SERVERS) as pool:
        return {run.case.name: run for run in pool.map(probe_fixture, CASES)}


def test_there_are_fixtures_of_both_kinds():
    kinds = {case.verdict for case in CASES}
    assert kinds == {"bug", "ok"}, kinds


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_python_fixture_verdict(case, fixture_probes):
    run = fixture_probes[case.name]
    assert run.result is not None, run.report()
    result = run.result
    assert result.source.address == "127.0.0.1" and result.source.reveals, run.report()
    if case.verdict == "bug":
        assert result.verdict.name == verdict.WRONG_SOURCE, run.report()
        assert result.unconnected.reply_from[:2] == ("127.0.0.1", run.port), run.report()
        assert result.connected.reply_from is None, run.report()
        assert f"came from 127.0.0.1:{run.port}, not 127.0.0.2:{run.port}" in result.verdict.explanation
    else:
        assert result.verdict.name == verdict.OK, run.report()
        assert result.connected.reply_from[:2] == ("127.0.0.2", run.port), run.report()


def _first_case(verdict_name: str, dual: bool) -> OracleCase:
    return next(case for case in CASES if case.verdict == verdict_name and case.dual == dual
                and case.framework == "plain")


def test_stopped_server_is_no_reply(capsys):
    case = _first_case("bug", dual=False)
    port = free_port()
    with run_server(case.argv(port), cwd=FIXTURES, env=_server_env()) as server:
        wait_ready(port, server=server)
    assert main(["probe", f"127.0.0.2:{port}", "--timeout", "0.3", "--count", "1"]) == verdict.EXIT_NO_REPLY
    line = capsys.readouterr().out
    assert line == f"127.0.0.2:{port}: no-reply: no reply; ICMP port unreachable: nothing listens on 127.0.0.2:{port}\n"


def test_ipv6_loopback_target_of_a_correct_server():
    case = _first_case("ok", dual=True)
    port = free_port()
    with run_server(case.argv(port), cwd=FIXTURES, env=_server_env()) as server:
        wait_ready(port, host="::1", server=server)
        settings = Settings(Request(payload=b"probe"), timeout=1.0, count=1, from_addresses=("::1",))
        result = probe_targets([parse_target(f"[::1]:{port}")], settings)[0]
    assert result.verdict.name == verdict.OK, result
    assert result.connected.reply_from[:2] == ("::1", port)
    assert not result.source.reveals and "cannot show" in result.verdict.explanation


def test_v4_mapped_target_of_a_dual_stack_bug_fixture():
    case = _first_case("bug", dual=True)
    port = free_port()
    with run_server(case.argv(port), cwd=FIXTURES, env=_server_env()) as server:
        wait_ready(port, server=server)
        result = probe_targets([parse_target(f"[::ffff:127.0.0.2]:{port}")], FAST)[0]
    assert result.source.address == "::ffff:127.0.0.1"
    assert result.verdict.name == verdict.WRONG_SOURCE, result
    assert result.unconnected.reply_from[:2] == ("::ffff:127.0.0.1", port)


# --- C programs, through the command line ------------------------------------------------------

@pytest.fixture(scope="module")
def c_programs(tmp_path_factory):
    gcc = shutil.which("gcc")
    need(gcc is not None, "gcc is not installed")
    build = tmp_path_factory.mktemp("probe-c")
    for name in ("echo_bug", "echo_fixed"):
        subprocess.run([gcc, "-O2", "-o", str(build / name), str(C_FIXTURES / f"{name}.c")], check=True, timeout=120)
    return build


@pytest.mark.parametrize("program,expected,status", [("echo_bug", "wrong-source", 1), ("echo_fixed", "ok", 0)])
def test_c_program_through_the_cli(c_programs, program, expected, status):
    port = free_port()
    with run_server([c_programs / program, port]) as server:
        wait_ready(port, server=server)
        run = subprocess.run([sys.executable, "-m", "udplint", "probe", f"127.0.0.2:{port}", "--payload-hex",
                              "70 69 6e 67", "--format", "json"], capture_output=True, text=True, timeout=30)
    assert run.returncode == status, run.stderr
    (row,) = json.loads(run.stdout)
    assert row["verdict"] == expected and row["client_address"] == "127.0.0.1"
    assert row["request"] == "payload of 4 bytes"
    if expected == "ok":
        assert row["connected"]["reply_from"] == f"127.0.0.2:{port}"
    else:
        assert row["unconnected"]["reply_from"] == f"127.0.0.1:{port}" and row["connected"]["reply_from"] is None


# --- servers written here ----------------------------------------------------------------------

Answer = Callable[[socket.socket], None]


@contextlib.contextmanager
def udp_server(host: str, answer: Answer):
    """Serve on host:<free port> in a thread; ``answer`` handles each readable datagram."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)  # used by pktinfo_echo only
    sock.bind((host, 0))
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            if select.select([sock], [], [], 0.05)[0]:
                answer(sock)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        # Loopback queues a datagram before sendto() returns: whatever the probe sent is read here.
        while select.select([sock], [], [], 0)[0]:
            answer(sock)
        sock.close()


def echo_sendto(sock: socket.socket) -> None:
    data, peer = sock.recvfrom(2048)
    sock.sendto(data, peer)


def pktinfo_echo(sock: socket.socket) -> None:
    data, ancdata, _flags, peer = sock.recvmsg(2048, socket.CMSG_SPACE(12))
    control = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, info[4:8], bytes(4)))
               for level, kind, info in ancdata if level == socket.IPPROTO_IP and kind == IP_PKTINFO]
    sock.sendmsg([data], control, 0, peer)


class Silent:
    """Receives and never answers; remembers who sent what."""

    def __init__(self):
        self.seen: List[tuple] = []

    def __call__(self, sock: socket.socket) -> None:
        data, peer = sock.recvfrom(2048)
        self.seen.append((data, peer))


class FromOtherPort:
    """Answers from a second socket (same address, another port), as TFTP servers do."""

    def __init__(self):
        self.reply_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.reply_socket.bind(("127.0.0.2", 0))

    def __call__(self, sock: socket.socket) -> None:
        data, peer = sock.recvfrom(2048)
        self.reply_socket.sendto(data, peer)


def run_cli(capsys, *argv: str):
    status = main(["probe", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_wildcard_sendto_server_is_wrong_source(capsys):
    with udp_server("0.0.0.0", echo_sendto) as port:
        status, out, err = run_cli(capsys, f"127.0.0.2:{port}", "--timeout", "1", "--count", "1")
    assert status == verdict.EXIT_WRONG_SOURCE and err == ""
    assert out.startswith(f"127.0.0.2:{port}: wrong-source: the reply came from 127.0.0.1:{port}, not "
                          f"127.0.0.2:{port}; a client connect()ed to 127.0.0.2:{port} got nothing")
    assert out.count("\n") == 1


@pytest.mark.parametrize("host,answer", [("127.0.0.2", echo_sendto), ("0.0.0.0", pktinfo_echo)],
                         ids=["specific-bind", "pktinfo"])
def test_servers_that_answer_from_the_target_are_ok(capsys, host, answer):
    with udp_server(host, answer) as port:
        status, out, _err = run_cli(capsys, f"127.0.0.2:{port}", "--timeout", "1")
    assert status == verdict.EXIT_OK
    assert out == (f"127.0.0.2:{port}: ok: the reply came from 127.0.0.2:{port}, the address the request was "
                   f"sent to, and a client connect()ed to it got its reply; client sent from 127.0.0.1, another "
                   f"address of this host\n")


def test_ipv6_loopback_server_is_ok(capsys):
    with udp_server("::1", echo_sendto) as port:
        status, out, _err = run_cli(capsys, f"[::1]:{port}", "--from", "::1", "--timeout", "1")
    assert status == verdict.EXIT_OK
    assert out.startswith(f"[::1]:{port}: ok: the reply came from [::1]:{port}")


def test_reply_from_another_port_is_wrong_source():
    answer = FromOtherPort()
    other_port = answer.reply_socket.getsockname()[1]
    try:
        with udp_server("127.0.0.2", answer) as port:
            result = probe_targets([parse_target(f"127.0.0.2:{port}")], FAST)[0]
    finally:
        answer.reply_socket.close()
    assert result.verdict.name == verdict.WRONG_SOURCE
    assert result.verdict.explanation.startswith(f"the reply came from port {other_port}, not {port}")


def test_silent_server_gets_exactly_the_datagram_budget(capsys):
    silent = Silent()
    with udp_server("127.0.0.2", silent) as port:
        status, out, _err = run_cli(capsys, f"127.0.0.2:{port}", "--count", "3", "--timeout", "0.2")
    assert status == verdict.EXIT_NO_REPLY
    assert "no reply to 6 requests within 0.2 s each" in out
    assert len(silent.seen) == 6
    assert {peer[0] for _data, peer in silent.seen} == {"127.0.0.1"}  # sent from the other local address
    assert {data for data, _peer in silent.seen} == {presets.ECHO_PAYLOAD}  # no well-known port: echo


def test_default_budget_is_small():
    silent = Silent()
    with udp_server("127.0.0.2", silent) as port:
        settings = Settings(Request(), timeout=0.2)
        probe_targets([parse_target(f"127.0.0.2:{port}")], settings)
    assert len(silent.seen) == 4  # two clients, two requests each


def test_from_chooses_the_client_address():
    silent = Silent()
    with udp_server("0.0.0.0", echo_sendto) as port, udp_server("127.0.0.2", silent) as silent_port:
        settings = Settings(Request(payload=b"x"), timeout=1.0, count=1, from_addresses=("127.0.0.3",))
        bug, quiet = probe_targets([parse_target(f"127.0.0.2:{port}"), parse_target(f"127.0.0.2:{silent_port}")],
                                   settings)
    assert bug.source.address == "127.0.0.3" and bug.verdict.name == verdict.WRONG_SOURCE
    assert bug.unconnected.reply_from[0] == "127.0.0.1"  # the kernel's route source for 127.0.0.3
    assert {peer[0] for _data, peer in silent.seen} == {"127.0.0.3"} and quiet.verdict.name == verdict.NO_REPLY


def test_from_that_routes_back_to_the_target_cannot_show():
    with udp_server("0.0.0.0", echo_sendto) as port:
        settings = Settings(Request(payload=b"x"), timeout=1.0, from_addresses=("127.0.0.2",))
        result = probe_targets([parse_target(f"127.0.0.1:{port}")], settings)[0]
    # replies to 127.0.0.2 leave from 127.0.0.1 (the route's source), which is the target here
    assert result.verdict.name == verdict.OK and not result.source.reveals
    assert "whose route source is the target, so a wrong source cannot show here" in result.verdict.explanation


@pytest.mark.parametrize("second,status", [("bug", 1), ("silent", 2), ("ok", 0)])
def test_exit_status_over_several_targets(capsys, second, status):
    answers = {"bug": ("0.0.0.0", echo_sendto), "silent": ("127.0.0.2", Silent()), "ok": ("127.0.0.2", echo_sendto)}
    with udp_server("127.0.0.2", echo_sendto) as ok_port, udp_server(*answers[second]) as other_port:
        got, out, _err = run_cli(capsys, f"127.0.0.2:{ok_port}", f"127.0.0.2:{other_port}", "--timeout", "1",
                                 "--count", "1", "--format", "json")
    rows = json.loads(out)
    assert got == status
    assert [row["target"] for row in rows] == [f"127.0.0.2:{ok_port}", f"127.0.0.2:{other_port}"]
    assert rows[0]["verdict"] == "ok"
    assert rows[1]["verdict"] == {"bug": "wrong-source", "silent": "no-reply", "ok": "ok"}[second]


def test_json_fields(capsys):
    with udp_server("0.0.0.0", echo_sendto) as port:
        _status, out, _err = run_cli(capsys, f"127.0.0.2:{port}", "--payload", "hi", "--format", "json",
                                     "--timeout", "1", "--count", "1")
    (row,) = json.loads(out)
    assert row == {
        "target": f"127.0.0.2:{port}", "address": "127.0.0.2", "port": port, "verdict": "wrong-source",
        "explanation": row["explanation"], "request": "payload of 2 bytes", "client_address": "127.0.0.1",
        "can_show_wrong_source": True,
        "unconnected": {"requests": 1, "reply_from": f"127.0.0.1:{port}", "port_unreachable": False, "error": None},
        "connected": {"requests": 1, "reply_from": None, "port_unreachable": False, "error": None},
    }


# --- verdict logic without sockets -------------------------------------------------------------

TARGET = parse_target("127.0.0.2:5300")
REVEALING = client_source.ClientSource("127.0.0.1", True, "client sent from 127.0.0.1")
JUDGE_SETTINGS = Settings(Request(payload=b"x"), timeout=0.5, count=2)


def judge(unconnected: Exchange, connected: Exchange) -> verdict.Verdict:
    return verdict.judge(TARGET, REVEALING, unconnected, connected, JUDGE_SETTINGS)


def test_verdict_from_exchanges():
    right, wrong = ("127.0.0.2", 5300), ("127.0.0.1", 5300)
    assert judge(Exchange(False, 1, right), Exchange(True, 1, right)).name == verdict.OK
    assert judge(Exchange(False, 1, wrong), Exchange(True, 2)).name == verdict.WRONG_SOURCE
    # a server whose source varies is still wrong for the clients that get the other address
    mixed = judge(Exchange(False, 1, wrong), Exchange(True, 1, right))
    assert mixed.name == verdict.WRONG_SOURCE and "so the source varies" in mixed.explanation
    lost = judge(Exchange(False, 1, right), Exchange(True, 2))
    assert lost.name == verdict.OK and "the connected client got none within 0.5 s" in lost.explanation
    refused = judge(Exchange(False, 1, right), Exchange(True, 1, refused=True))
    assert refused.name == verdict.OK and "the connected client got ICMP port unreachable" in refused.explanation
    assert judge(Exchange(False, 2), Exchange(True, 2)).explanation.startswith("no reply to 4 requests")
    assert "nothing listens" in judge(Exchange(False, 1), Exchange(True, 1, refused=True)).explanation
    assert judge(Exchange(False, 0, error="cannot send: x"), Exchange(True, 0, error="cannot send: x")
                 ).explanation == "no reply: cannot send: x"
    mapped = ("::ffff:127.0.0.2", 5300, 0, 0)
    assert verdict.from_target(mapped, TARGET)


def test_exit_status_rules():
    assert verdict.exit_status(["ok", "ok"]) == 0
    assert verdict.exit_status(["ok", "no-reply", "wrong-source"]) == 1
    assert verdict.exit_status(["ok", "no-reply"]) == 2
    assert verdict.exit_status([]) == 0


# --- targets and usage errors ------------------------------------------------------------------

@pytest.mark.parametrize("text,sockaddr", [
    ("127.0.0.2:53", ("127.0.0.2", 53)),
    ("[::1]:5353", ("::1", 5353, 0, 0)),
    ("[::ffff:127.0.0.2]:7", ("::ffff:127.0.0.2", 7, 0, 0)),
    (" 127.0.0.9:65535 ", ("127.0.0.9", 65535)),
])
def test_targets_parse(text, sockaddr):
    target = parse_target(text)
    assert target.sockaddr == sockaddr and target.port == sockaddr[1]


@pytest.mark.parametrize("text,message", [
    ("::1:53", "put an IPv6 address in brackets"),
    ("[::1]53", "[ADDRESS]:PORT"),
    ("[::1", "[ADDRESS]:PORT"),
    ("127.0.0.1", "give HOST:PORT"),
    (":53", "give HOST:PORT"),
    ("127.0.0.1:0", "from 1 to 65535"),
    ("127.0.0.1:65536", "from 1 to 65535"),
    ("127.0.0.1:dns", "from 1 to 65535"),
    ("0.0.0.0:53", "is the wildcard"),
    ("[::]:53", "is the wildcard"),
    ("224.0.0.251:5353", "not a unicast address"),
    ("255.255.255.255:67", "not a unicast address"),
])
def test_bad_targets(text, message):
    with pytest.raises(TargetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_target(text)


@pytest.mark.parametrize("argv,message", [
    (["127.0.0.2:9", "--payload-hex", "zz"], "not an even number of hex digits"),
    (["127.0.0.2:9", "--payload-hex", "abc"], "not an even number of hex digits"),
    (["127.0.0.2:9", "--payload", ""], "the payload is empty"),
    (["127.0.0.2:9", "--count", "0"], "--count must be from 1 to 10"),
    (["127.0.0.2:9", "--count", "11"], "--count must be from 1 to 10"),
    (["127.0.0.2:9", "--timeout", "0"], "--timeout must be more than 0"),
    (["127.0.0.2:9", "--community", "private"], "--community goes with --preset snmp"),
    (["127.0.0.2:9", "--from", "not-an-address"], "give an IP address of this host"),
    (["127.0.0.2:9", "--from", "127.0.0.3", "--from", "127.0.0.4"], "at most one IPv4 address"),
    (["127.0.0.2:9", "--from", "203.0.113.9"], "cannot send from it (not an address of this host)"),
    (["127.0.0.2:9", "[::1"], "write an IPv6 target as [ADDRESS]:PORT"),
])
def test_usage_errors_send_nothing(capsys, argv, message):
    silent = Silent()
    with udp_server("127.0.0.2", silent) as port:
        argv = [arg.replace("127.0.0.2:9", f"127.0.0.2:{port}") for arg in argv]
        status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("udplint: error: ") and message in err and err.count("\n") == 1
    assert silent.seen == []


def test_payload_hex_accepts_spaces_and_prefix():
    silent = Silent()
    with udp_server("127.0.0.2", silent) as port:
        main(["probe", f"127.0.0.2:{port}", "--payload-hex", "0x6869 21", "--count", "1", "--timeout", "0.2"])
    assert {data for data, _peer in silent.seen} == {b"hi!"}


def test_mutually_exclusive_request_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["probe", "127.0.0.2:9", "--preset", "dns", "--payload", "x"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# --- choosing the client address ---------------------------------------------------------------

def test_local_tables_are_read(tmp_path, monkeypatch):
    trie = tmp_path / "fib_trie"
    trie.write_text("Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.1.2.3\n        /32 host LOCAL\n"
                    "     |-- 10.1.2.255\n        /32 link BROADCAST\n     |-- 127.0.0.1\n        /32 host LOCAL\n")
    inet6 = tmp_path / "if_inet6"
    inet6.write_text("00000000000000000000000000000001 01 80 10 80       lo\n"
                     "fd000000000000000000000000000002 04 40 00 82     eth0\n"
                     "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n")
    monkeypatch.setattr(client_source, "V4_LOCAL_TABLE", trie)
    monkeypatch.setattr(client_source, "V6_ADDRESSES", inet6)
    assert client_source.local_candidates(parse_target("127.0.0.2:53")) == ["127.0.0.1", "10.1.2.3"]
    assert client_source.local_candidates(parse_target("[::1]:53")) == ["::1", "fd00::2"]
    assert client_source.local_candidates(parse_target("[::ffff:127.0.0.2]:53")) == [
        "::ffff:127.0.0.1", "::ffff:10.1.2.3"]


def test_no_other_local_address_is_said(monkeypatch):
    monkeypatch.setattr(client_source, "local_candidates", lambda target: ["::1"])
    chosen = client_source.choose(parse_target("[::1]:53"))
    assert chosen.address is None and not chosen.reveals and "(--from ADDR picks one)" in chosen.why


def test_a_loopback_target_is_local_and_gets_another_loopback_source():
    chosen = client_source.choose(parse_target("127.0.0.5:53"))
    assert chosen == client_source.ClientSource("127.0.0.1", True,
                                                "client sent from 127.0.0.1, another address of this host")


# --- presets, parsed back ----------------------------------------------------------------------

def parse_dns_query(data: bytes):
    """(id, labels, qtype, qclass) of a one-question query; ValueError if it is not one."""
    ident, flags, qdcount, ancount, nscount, arcount = struct.unpack("!HHHHHH", data[:12])
    if flags & 0x8000 or (flags >> 11) & 0xF or (qdcount, ancount, nscount, arcount) != (1, 0, 0, 0):
        raise ValueError("not a standard one-question query")
    labels, offset = [], 12
    while data[offset]:
        length = data[offset]
        if length > 63:
            raise ValueError("label too long or compressed")
        labels.append(data[offset + 1:offset + 1 + length])
        offset += 1 + length
    qtype, qclass = struct.unpack("!HH", data[offset + 1:offset + 5])
    if offset + 5 != len(data):
        raise ValueError("trailing bytes")
    return ident, labels, qtype, qclass, flags


def dns_answer(data: bytes) -> Optional[bytes]:
    ident, _labels, _qtype, _qclass, flags = parse_dns_query(data)
    return struct.pack("!HHHHHH", ident, 0x8000 | (flags & 0x0100) | 0x0080 | 5, 1, 0, 0, 0) + data[12:]  # REFUSED


def parse_ntp_request(data: bytes):
    if len(data) != 48:
        raise ValueError("an NTP packet without extensions is 48 bytes")
    first, _stratum, _poll, _precision = struct.unpack("!BBbb", data[:4])
    transmit_seconds, transmit_fraction = struct.unpack("!II", data[40:48])
    return first >> 6, (first >> 3) & 7, first & 7, transmit_seconds + transmit_fraction / 2**32


def ntp_answer(data: bytes) -> Optional[bytes]:
    _leap, version, mode, _transmit = parse_ntp_request(data)
    if mode != 3:
        return None
    return bytes([(version << 3) | 4, 2, 0, 0]) + bytes(20) + data[40:48] + bytes(16)  # origin = their transmit


def parse_stun(data: bytes):
    kind, length, cookie = struct.unpack("!HHI", data[:8])
    if kind >> 14 or cookie != presets.STUN_MAGIC_COOKIE or length != len(data) - 20 or length % 4:
        raise ValueError("not a STUN message")
    return kind, data[8:20]


def stun_answer(data: bytes) -> Optional[bytes]:
    kind, transaction = parse_stun(data)
    return struct.pack("!HHI", 0x0101, 0, presets.STUN_MAGIC_COOKIE) + transaction if kind == 0x0001 else None


def ber_read(data: bytes, offset: int = 0):
    """(tag, body, next offset) of the BER element at offset (definite lengths only)."""
    tag, length, offset = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        size = length & 0x7F
        length, offset = int.from_bytes(data[offset:offset + size], "big"), offset + size
    if offset + length > len(data):
        raise ValueError("element runs past the end")
    return tag, data[offset:offset + length], offset + length


def ber_sequence(body: bytes):
    items, offset = [], 0
    while offset < len(body):
        tag, value, offset = ber_read(body, offset)
        items.append((tag, value))
    return items


def decode_oid(body: bytes):
    arcs, value = [body[0] // 40, body[0] % 40], 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return tuple(arcs)


def parse_snmp_get(data: bytes):
    tag, message, end = ber_read(data)
    if tag != 0x30 or end != len(data):
        raise ValueError("not one SEQUENCE")
    (version_tag, version), (community_tag, community), (pdu_tag, pdu) = ber_sequence(message)
    assert (version_tag, community_tag) == (0x02, 0x04)
    (id_tag, request_id), (_t1, error_status), (_t2, error_index), (list_tag, varbinds) = ber_sequence(pdu)
    ((bind_tag, varbind),) = ber_sequence(varbinds)
    (oid_tag, oid), (null_tag, null) = ber_sequence(varbind)
    assert (id_tag, list_tag, bind_tag, oid_tag, null_tag, null) == (0x02, 0x30, 0x30, 0x06, 0x05, b"")
    return {"version": int.from_bytes(version, "big"), "community": community, "pdu": pdu_tag,
            "request_id": request_id, "errors": (error_status, error_index), "oid": decode_oid(oid)}


def snmp_answer(data: bytes) -> Optional[bytes]:
    request = parse_snmp_get(data)
    if request["community"] != b"s3cret":  # like a real agent: a wrong community gets silence
        return None
    return b"\x30\x03\x02\x01\x01"  # any well-formed reply; only its source matters


def test_dns_query_is_a_standard_root_ns_query():
    _ident, labels, qtype, qclass, flags = parse_dns_query(presets.dns_query())
    assert labels == [] and (qtype, qclass) == (2, 1) and flags == 0x0100
    assert len({parse_dns_query(presets.dns_query())[0] for _ in range(8)}) > 1  # a fresh id per query


def test_ntp_request_is_a_v4_client_packet_stamped_now():
    leap, version, mode, transmit = parse_ntp_request(presets.ntp_request())
    assert (leap, version, mode) == (0, 4, 3)
    assert abs(transmit - presets.NTP_EPOCH_OFFSET - time.time()) < 5


def test_stun_request_is_a_binding_request():
    kind, transaction = parse_stun(presets.stun_binding_request())
    assert kind == 0x0001 and len(transaction) == 12


def test_snmp_request_is_a_v2c_get_of_sys_descr():
    request = parse_snmp_get(presets.snmp_get_sys_descr("public"))
    assert request["version"] == 1 and request["community"] == b"public" and request["pdu"] == 0xA0
    assert request["oid"] == (1, 3, 6, 1, 2, 1, 1, 1, 0) and request["errors"] == (b"\x00", b"\x00")
    long_community = "c" * 300  # a long-form BER length
    assert parse_snmp_get(presets.snmp_get_sys_descr(long_community))["community"] == long_community.encode()


def test_port_picks_the_preset():
    assert [presets.preset_for_port(port).name for port in (53, 123, 161, 3478, 7, 5000)] == [
        "dns", "ntp", "snmp", "stun", "echo", "echo"]


def strict_server(answer: Callable[[bytes], Optional[bytes]], rejected: List[str]) -> Answer:
    """Reply with answer(request); a request the parser rejects is remembered and gets no reply."""

    def handle(sock: socket.socket) -> None:
        data, peer = sock.recvfrom(2048)
        try:
            reply = answer(data)
        except (ValueError, AssertionError, IndexError, struct.error) as error:
            rejected.append(f"{type(error).__name__}: {error}")
            return
        if reply is not None:
            sock.sendto(reply, peer)

    return handle


@pytest.mark.parametrize("preset,answer,extra", [
    ("dns", dns_answer, []), ("ntp", ntp_answer, []), ("stun", stun_answer, []),
    ("snmp", snmp_answer, ["--community", "s3cret"]),
])
def test_presets_are_answered_by_strict_servers(capsys, preset, answer, extra):
    rejected: List[str] = []
    with udp_server("127.0.0.2", strict_server(answer, rejected)) as port:
        status, out, _err = run_cli(capsys, f"127.0.0.2:{port}", "--preset", preset, *extra, "--timeout", "1",
                                    "--format", "json")
    assert rejected == [] and status == 0, out
    assert json.loads(out)[0]["request"] == f"preset {preset}"


def test_snmp_with_the_wrong_community_gets_no_reply(capsys):
    rejected: List[str] = []
    with udp_server("127.0.0.2", strict_server(snmp_answer, rejected)) as port:
        status, out, _err = run_cli(capsys, f"127.0.0.2:{port}", "--preset", "snmp", "--timeout", "0.2",
                                    "--count", "1")
    assert rejected == [] and status == verdict.EXIT_NO_REPLY and "no-reply" in out
