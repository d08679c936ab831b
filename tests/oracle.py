"""Real-socket probes for UDP servers, on loopback only.

The bug udplint looks for shows up on loopback without root: a server bound to a wildcard
address that answers with ``sendto(reply, addr)`` sends the reply from 127.0.0.1 even when the
client sent its request to 127.0.0.2, so a client ``connect()``ed to 127.0.0.2 never sees it.
A server that pins the reply's source (IP_PKTINFO / IPV6_PKTINFO with sendmsg, or one socket
per local address) answers from 127.0.0.2.

This module starts a server program, waits until it answers, and sends probes:

* ``probe_connected(addr, port)`` -> the reply's source, or ``None`` when nothing arrived;
* ``probe_unconnected(addr, port)`` -> the reply's source (shows *where* a reply came from).

Every address is checked to be loopback (127.0.0.0/8, ::1, or ::ffff:127.x.y.z); every wait is
bounded; every server runs in its own process group and is killed when the context exits.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Tuple

DEFAULT_TIMEOUT = 1.0
READY_TIMEOUT = 5.0
_BUFSIZE = 65535

Address = Tuple  # (host, port) or (host, port, flowinfo, scope_id)


class OracleError(RuntimeError):
    """The probe could not be run as asked (bad address, server died, never became ready)."""


def check_loopback(addr: str) -> str:
    """Return ``addr`` unchanged if it is a loopback address; refuse anything else."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError as exc:
        raise OracleError(f"not an IP address: {addr!r}") from exc
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise OracleError(f"refusing non-loopback address {addr!r}")
    return addr


def family_of(addr: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def normalize_host(host: str) -> str:
    """'::ffff:127.0.0.2' -> '127.0.0.2'; other addresses in their canonical text form."""
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def free_port() -> int:
    """A UDP port free on 0.0.0.0 and :: at the time of the call (small race accepted)."""
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running server process; ``output()`` returns what it wrote so far (stdout + stderr)."""

    argv: Sequence[str]
    proc: subprocess.Popen
    _log: object

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        self._log.seek(0, os.SEEK_END)
        return text

    def describe(self) -> str:
        rc = self.proc.poll()
        state = "running" if rc is None else f"exited with {rc}"
        out = self.output().strip()
        tail = "\n".join(out.splitlines()[-20:]) if out else "(no output)"
        return f"server {' '.join(map(str, self.argv))} {state}; output:\n{tail}"


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL if it is still there after 3 s."""
    pgid = proc.pid  # start_new_session=True: the server leads its own group
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
            # Children (ForkingUDPServer) may outlive the leader: make sure the group is gone.
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait(timeout=5.0)


@contextlib.contextmanager
def run_server(argv: Sequence[str], cwd=None, env=None) -> Iterator[Server]:
    """Start ``argv`` in its own process group; kill the whole group when the block exits."""
    log = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(
            list(map(str, argv)),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield Server(argv, proc, log)
        finally:
            _stop(proc)
    finally:
        log.close()


def _recv_reply(sock: socket.socket, deadline: float) -> Optional[Tuple[bytes, Address]]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    sock.settimeout(remaining)
    try:
        return sock.recvfrom(_BUFSIZE)
    except socket.timeout:
        return None


def wait_ready(
    port: int,
    host: str = "127.0.0.1",
    timeout: float = READY_TIMEOUT,
    server: Optional[Server] = None,
    payload: bytes = b"ready?",
) -> Address:
    """Send from an unconnected client until the server answers; return the reply's source.

    Raises OracleError if no answer arrives within ``timeout`` or the server process exits.
    """
    check_loopback(host)
    deadline = time.monotonic() + timeout
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as sock:
        while time.monotonic() < deadline:
            if server is not None and not server.alive():
                raise OracleError("server exited before answering\n" + server.describe())
            sock.sendto(payload, (host, port))
            got = _recv_reply(sock, min(deadline, time.monotonic() + 0.1))
            if got is not None:
                return got[1]
    detail = "\n" + server.describe() if server is not None else ""
    raise OracleError(f"no answer from {host}:{port} within {timeout:.1f}s{detail}")


def probe_connected(
    addr: str,
    port: int,
    family: Optional[int] = None,
    timeout: float = DEFAULT_TIMEOUT,
    payload: bytes = b"probe-connected",
) -> Optional[Address]:
    """Send one datagram from a client connect()ed to addr:port.

    Returns the reply's source address, or None if no reply was delivered within ``timeout``
    (the kernel drops a reply whose source is not the connected address). An ICMP port
    unreachable (nothing listening on addr:port) raises ConnectionRefusedError: that is not
    the bug, and a caller must not mistake it for a dropped reply.
    """
    check_loopback(addr)
    family = family or family_of(addr)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((addr, port))
        sock.send(payload)
        got = _recv_reply(sock, time.monotonic() + timeout)
        return None if got is None else got[1]


def probe_unconnected(
    addr: str,
    port: int,
    family: Optional[int] = None,
    timeout: float = DEFAULT_TIMEOUT,
    payload: bytes = b"probe-unconnected",
) -> Optional[Address]:
    """Send one datagram to addr:port from an unconnected client; return the reply's source.

    An unconnected socket accepts a reply from any address, so this shows where the server's
    reply really comes from (None if nothing arrived within ``timeout``).
    """
    check_loopback(addr)
    family = family or family_of(addr)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, (addr, port))
        got = _recv_reply(sock, time.monotonic() + timeout)
        return None if got is None else got[1]
