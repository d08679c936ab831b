"""The socket work: per target, one client socket that is not connected (it accepts a reply from any
address, so it shows where the reply really comes from) and one connect()ed to the target (the
kernel drops a reply from any other address, as a real client or conntrack would).

Each client sends at most `count` requests, one per `timeout`, and stops at the first reply, so
a target gets at most 2 * count datagrams. Nothing is ever sent anywhere but to the targets.
"""
from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Optional, Sequence

from . import client_source, verdict
from .client_source import ClientSource
from .presets import PRESETS, Preset, preset_for_port
from .targets import SockAddr, Target

DEFAULT_TIMEOUT = 1.0  # seconds to wait for a reply to each request
DEFAULT_COUNT = 2  # requests per client socket, at most: a target gets at most 4 datagrams
MAX_DATAGRAM = 65507  # the largest UDP payload over IPv4
MAX_PARALLEL_CLIENTS = 16
RECEIVE_BUFFER = 65535


@dataclass(frozen=True)
class Request:
    """What to send: a fixed payload, a named preset, or (neither) the preset of the target's port."""

    payload: Optional[bytes] = None
    preset: Optional[str] = None
    community: str = "public"

    def preset_for(self, target: Target) -> Optional[Preset]:
        if self.payload is not None:
            return None
        return PRESETS[self.preset] if self.preset else preset_for_port(target.port)

    def describe(self, target: Target) -> str:
        preset = self.preset_for(target)
        return f"preset {preset.name}" if preset else f"payload of {len(self.payload)} bytes"

    def build(self, target: Target) -> bytes:
        preset = self.preset_for(target)
        return preset.build(self.community) if preset else self.payload


@dataclass(frozen=True)
class Settings:
    request: Request
    timeout: float = DEFAULT_TIMEOUT
    count: int = DEFAULT_COUNT
    from_addresses: Sequence[str] = ()


@dataclass
class Exchange:
    """What one client socket sent and got back."""

    connected: bool
    requests: int = 0
    reply_from: Optional[SockAddr] = None
    refused: bool = False  # ICMP port unreachable: nothing listens at the target
    error: Optional[str] = None  # the request could not be sent


@dataclass
class ProbeResult:
    target: Target
    source: ClientSource
    request: str
    unconnected: Exchange
    connected: Exchange
    verdict: verdict.Verdict


def _await_reply(sock: socket.socket, timeout: float, exchange: Exchange) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            _data, sender = sock.recvfrom(RECEIVE_BUFFER)
        except socket.timeout:
            return False
        except ConnectionRefusedError:
            exchange.refused = True
            return False
        except InterruptedError:
            continue
        exchange.reply_from = tuple(sender)
        return True


def _client_socket(target: Target, source: ClientSource, connected: bool) -> socket.socket:
    sock = socket.socket(target.family, socket.SOCK_DGRAM)
    try:
        if source.address is not None:
            sock.bind((source.address, 0))
        if connected:
            sock.connect(target.sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


def _send(sock: socket.socket, target: Target, payload: bytes, exchange: Exchange) -> bool:
    """Send one request; False (with the reason recorded) when it could not be sent."""
    try:
        if exchange.connected:
            sock.send(payload)
        else:
            sock.sendto(payload, target.sockaddr)
    except ConnectionRefusedError:  # the ICMP error of an earlier request
        exchange.refused = True
        return False
    except OSError as error:
        exchange.error = f"cannot send: {error.strerror or error}"
        return False
    exchange.requests += 1
    return True


def run_exchange(target: Target, source: ClientSource, payload: bytes, settings: Settings,
                 connected: bool) -> Exchange:
    exchange = Exchange(connected=connected)
    try:
        sock = _client_socket(target, source, connected)
    except OSError as error:
        exchange.error = f"cannot set up the client: {error.strerror or error}"
        return exchange
    with sock:
        for _attempt in range(settings.count):
            if not _send(sock, target, payload, exchange):
                break
            if _await_reply(sock, settings.timeout, exchange) or exchange.refused:
                break
    return exchange


@dataclass(frozen=True)
class _Plan:
    target: Target
    source: ClientSource
    payloads: tuple  # (unconnected request, connected request)


def plan(targets: Sequence[Target], settings: Settings) -> List[_Plan]:
    """Choose every client address before anything is sent (a bad --from stops the run first)."""
    plans = []
    for target in targets:
        payloads = (settings.request.build(target), settings.request.build(target))
        plans.append(_Plan(target, client_source.choose(target, settings.from_addresses), payloads))
    return plans


def probe_targets(targets: Sequence[Target], settings: Settings) -> List[ProbeResult]:
    """Probe every target (all clients run in parallel); results in the order of ``targets``."""
    plans = plan(targets, settings)
    if not plans:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CLIENTS, 2 * len(plans))) as pool:
        futures = [(item, [pool.submit(run_exchange, item.target, item.source, payload, settings, connected)
                           for payload, connected in zip(item.payloads, (False, True))])
                   for item in plans]
        results = []
        for item, (unconnected, connected) in futures:
            unconnected, connected = unconnected.result(), connected.result()
            results.append(ProbeResult(item.target, item.source, settings.request.describe(item.target),
                                       unconnected, connected,
                                       verdict.judge(item.target, item.source, unconnected, connected, settings)))
    return results
