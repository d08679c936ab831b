"""Loopback probes for autofixed programs, built on tests/oracle.py.

`observe(argv, cwd, dual)` starts a server program (port in sys.argv[1]) and records, for each
probe, the reply's source address (None: nothing arrived). The fix tests compare the original
program's observations with the fixed program's: the fixed one must answer the client
connect()ed to 127.0.0.2 (and ::ffff:127.0.0.2 / ::1 on dual-stack servers) and answer every
other probe at least as well as the original did.
"""
from __future__ import annotations

import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Optional, Sequence

from oracle import OracleError, check_loopback, free_port, normalize_host, probe_connected, probe_unconnected, run_server, wait_ready

BROADCAST = "127.255.255.255"
START_ATTEMPTS = 3


def probe_broadcast(port: int, timeout: float = 1.0) -> Optional[tuple]:
    """Send to the loopback broadcast address with SO_BROADCAST; the reply's source or None."""
    check_loopback(BROADCAST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.settimeout(timeout)
        sock.sendto(b"probe-broadcast", (BROADCAST, port))
        try:
            return sock.recvfrom(65535)[1]
        except socket.timeout:
            return None


def probe_two_at_once(port: int, timeout: float = 1.0):
    """From one client port, send to 127.0.0.1 and 127.0.0.2 back to back; the sorted sources of
    the replies (a fixed server answers each from the address it was sent to, also when a
    threaded server handles both at once)."""
    check_loopback("127.0.0.2")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        for destination in ("127.0.0.1", "127.0.0.2"):
            sock.sendto(f"to {destination}".encode(), (destination, port))
        sources = []
        try:
            while len(sources) < 2:
                sources.append(normalize_host(sock.recvfrom(65535)[1][0]))
        except socket.timeout:
            pass
        return tuple(sorted(sources))


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def server_env() -> Dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _source(got) -> object:
    if isinstance(got, Exception):
        return type(got).__name__
    if got is None or isinstance(got, tuple) and all(isinstance(g, str) for g in got):
        return got  # nothing arrived, or the sources of several replies (already normalized)
    return normalize_host(got[0])


def observe(argv: Sequence[str], cwd=None, dual: bool = False, env=None, concurrent: bool = False) -> Dict[str, object]:
    """{probe label: normalized reply source | None | exception name}; '_error' if it never ran."""
    last: Dict[str, object] = {}
    for _ in range(START_ATTEMPTS):
        port = free_port()
        with run_server([*argv, str(port)], cwd=cwd, env=env or server_env()) as server:
            try:
                wait_ready(port, server=server)
            except OracleError as error:
                last = {"_error": str(error), "_log": server.output()}
                if "Address already in use" in server.output():
                    continue
                return last
            probes = {
                "connected 127.0.0.2": lambda: probe_connected("127.0.0.2", port),
                "unconnected 127.0.0.1": lambda: probe_unconnected("127.0.0.1", port),
                "broadcast": lambda: probe_broadcast(port),
            }
            if concurrent:
                probes["two at once"] = lambda: probe_two_at_once(port)
            if dual:
                probes["connected ::ffff:127.0.0.2"] = lambda: probe_connected("::ffff:127.0.0.2", port, socket.AF_INET6)
                if _has_ipv6_loopback():
                    probes["connected ::1"] = lambda: probe_connected("::1", port, socket.AF_INET6)
            results = {}
            for label, probe in probes.items():
                try:
                    results[label] = _source(probe())
                except Exception as error:  # judged by the caller
                    results[label] = type(error).__name__
            time.sleep(0.05)
            results["_alive"] = server.alive()
            results["_log"] = server.output()
            return results
    return last


def observe_many(jobs, workers: int = 6):
    """Run observe(*job) for many jobs concurrently (each server is its own process)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: observe(*job), jobs))


EXPECTED_CONNECTED = {"connected 127.0.0.2": "127.0.0.2", "connected ::ffff:127.0.0.2": "127.0.0.2", "connected ::1": "::1",
                      "two at once": ("127.0.0.1", "127.0.0.2")}


def regressions(before: Dict[str, object], after: Dict[str, object]):
    """Probes the original answered that the fixed program does not (or answers worse)."""
    problems = []
    for label, got in before.items():
        if label.startswith("_"):
            continue
        if got is not None and not isinstance(got, str) or got is None:
            pass
        if got not in (None,) and after.get(label) is None:
            problems.append(f"{label}: original answered from {got}, fixed did not answer")
    if not after.get("_alive", False):
        problems.append("the fixed server died")
    return problems


def fixed_correctly(after: Dict[str, object]):
    return [f"{label}: got {after.get(label)!r}, want {want}" for label, want in EXPECTED_CONNECTED.items()
            if label in after and after[label] != want]
