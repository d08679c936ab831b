#!/usr/bin/env python3
"""Demonstrate corpus labels on loopback: start a corpus server from the cache, probe it.

For each probe the server runs unmodified from bench/.cache/realworld/src/ (run.py unpacks it),
bound the way its code binds by default, in its own process group, killed when the probe ends.
Then:

* a client connect()ed to 127.0.0.2 sends one request: a server that pins the reply's source
  answers it; a wildcard server that replies with plain sendto() does not (the reply leaves
  from 127.0.0.1 and the kernel drops it on the connected socket);
* an unconnected client sends the same request to 127.0.0.2 and prints where the reply came from.

Loopback only, bounded timeouts. The results are the `probe` lines of cases.toml.

    python bench/realworld/probe.py
"""
from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests"))
import oracle  # noqa: E402  (tests/oracle.py: loopback-only probe helpers)

SOURCES = REPO / "bench" / ".cache" / "realworld" / "src"
TFTP_READ_REQUEST = b"\x00\x01probe.txt\x00octet\x00"


@dataclass
class Probe:
    case_id: str
    folder: str  # NAME-VERSION under SOURCES
    argv: Callable[[Path, int], List[str]]
    payload: bytes
    fixed_port: Optional[int] = None  # servers that cannot be told another port
    # a proxy that gives each new client its own upstream port (port+1, port+2, ...): run that
    # many loopback echo servers behind it (ready check, connected probe, unconnected probe)
    upstream_echoes: int = 0


@dataclass
class Outcome:
    case_id: str
    connected: Optional[tuple]
    unconnected: Optional[tuple]

    def describe(self) -> str:
        seen = "no reply within 1 s" if self.connected is None else f"reply from {self.connected[0]}"
        src = "no reply" if self.unconnected is None else f"reply from {self.unconnected[0]}"
        return (f"{self.case_id}: client connected to 127.0.0.2: {seen}; "
                f"unconnected client sending to 127.0.0.2: {src}")


def _echo_upstream(port: int, stop: threading.Event) -> threading.Thread:
    """A loopback echo server on 127.0.0.1:port: the upstream a proxy forwards to."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.2)

    def serve() -> None:
        with sock:
            while not stop.is_set():
                try:
                    data, peer = sock.recvfrom(2048)
                except socket.timeout:
                    continue
                sock.sendto(data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


PROBES: Sequence[Probe] = (
    Probe("udp-test-server", "udp-test-0.1.1",
          lambda src, port: [sys.executable, str(src / "udp_test.py"), "server", "-p", str(port)],
          b"hello"),
    Probe("minimumtftp-server", "minimumtftp-20110917",
          lambda src, port: [sys.executable, "-c",
                             "import sys; sys.path.insert(0, sys.argv[1]); import minimumTFTP; "
                             "minimumTFTP.Server(sys.argv[2]).run()",
                             str(src / "minimumTFTP"), tempfile.mkdtemp(prefix="tftproot-")],
          TFTP_READ_REQUEST, fixed_port=69),
    Probe("simple-udp-proxy-back", "simple-udp-proxy-0.0.4",
          lambda src, port: [sys.executable, str(src / "simple_udp_proxy" / "simple_udp_proxy.py"),
                             "--i", str(port), "--o", str(port + 1)],
          b"hello", upstream_echoes=3),
)


def run_probe(probe: Probe) -> Outcome:
    src = SOURCES / probe.folder
    if not src.exists():
        raise oracle.OracleError(f"{src} is missing: run bench/realworld/run.py first")
    port = probe.fixed_port or oracle.free_port()
    stop = threading.Event()
    for offset in range(1, probe.upstream_echoes + 1):
        _echo_upstream(port + offset, stop)
    try:
        with oracle.run_server(probe.argv(src, port), cwd=src) as server:
            oracle.wait_ready(port, server=server, payload=probe.payload)
            connected = oracle.probe_connected("127.0.0.2", port, payload=probe.payload)
            unconnected = oracle.probe_unconnected("127.0.0.2", port, payload=probe.payload)
    finally:
        stop.set()
    return Outcome(probe.case_id, connected, unconnected)


def _udp_client(connect_to: Optional[tuple] = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    if connect_to is not None:
        oracle.check_loopback(connect_to[0])
        sock.connect(connect_to)
    return sock


def _receive(sock: socket.socket, timeout: float = oracle.DEFAULT_TIMEOUT) -> Optional[tuple]:
    sock.settimeout(timeout)
    try:
        return sock.recvfrom(2048)
    except socket.timeout:
        return None


def probe_chat_relay() -> Outcome:
    """async-udp-chat relays each message to the other registered senders, never back to the
    author: register listeners (one connected to 127.0.0.2, one unconnected sending to
    127.0.0.2), then have a third client talk."""
    src = SOURCES / "async-udp-chat-0.1.0" / "src"
    port = oracle.free_port()
    argv = [sys.executable, "-c",
            "import asyncio, sys; sys.path.insert(0, sys.argv[1]); "
            "from async_udp_chat.udp_server import runServer; asyncio.run(runServer(int(sys.argv[2])))",
            str(src), str(port)]
    with oracle.run_server(argv, cwd=src) as server, _udp_client() as speaker, \
            _udp_client() as ready_listener, _udp_client(("127.0.0.2", port)) as connected, \
            _udp_client() as unconnected:
        deadline = time.monotonic() + oracle.READY_TIMEOUT
        ready_listener.sendto(b"CONNECT ready", ("127.0.0.1", port))
        speaker.sendto(b"CONNECT speaker", ("127.0.0.1", port))
        while _receive(ready_listener, 0.1) is None:
            if time.monotonic() > deadline or not server.alive():
                raise oracle.OracleError("chat server never relayed\n" + server.describe())
            ready_listener.sendto(b"CONNECT ready", ("127.0.0.1", port))
            speaker.sendto(b"CONNECT speaker", ("127.0.0.1", port))
            speaker.sendto(b"ping", ("127.0.0.1", port))
        connected.send(b"CONNECT connected")
        unconnected.sendto(b"CONNECT unconnected", ("127.0.0.2", port))
        time.sleep(0.2)  # let both registrations land before the message
        speaker.sendto(b"hello", ("127.0.0.1", port))
        got_connected = _receive(connected)
        got_unconnected = _receive(unconnected)
    return Outcome("async-udp-chat-server",
                   None if got_connected is None else got_connected[1],
                   None if got_unconnected is None else got_unconnected[1])


def main() -> int:
    failed = 0
    runs: List[Callable[[], Outcome]] = [lambda probe=probe: run_probe(probe) for probe in PROBES]
    runs.append(probe_chat_relay)
    for run in runs:
        try:
            print(run().describe())
        except (oracle.OracleError, OSError) as exc:
            failed += 1
            print(f"probe could not run: {str(exc).splitlines()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
