"""Choose the local address the probe's client sends from.

A wildcard-bound server without pktinfo answers from the address the kernel's route lookup picks
for the *client's* address. When the target is on this host, a client sending from the default
address often gets that same address back by luck (a lone host address answers itself). Sending
from another local address C makes the bug show: the buggy reply comes from route_source(C),
which is not the target, while a correct server still answers from the target.

route_source() asks the kernel with connect() on a UDP socket: that sends nothing, it only picks
the source the kernel would use, which is exactly what a buggy server on this host gets.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

from .targets import Target, same_host

LOOPBACK_SOURCES = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}
V4_LOCAL_TABLE = Path("/proc/net/fib_trie")
V6_ADDRESSES = Path("/proc/net/if_inet6")
V6_SCOPE_GLOBAL, V6_SCOPE_HOST = "00", "10"


class SourceError(ValueError):
    """--from names an address the client cannot send from; one line for the user."""


@dataclass(frozen=True)
class ClientSource:
    address: Optional[str]  # bind the client here; None: let the kernel choose
    reveals: bool  # a wildcard server without pktinfo would answer from another address
    why: str  # one phrase for the report


def route_source(family: int, host: str) -> Optional[str]:
    """The source address the kernel picks for packets to ``host`` (None if there is no route)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((host, 9))
            return sock.getsockname()[0]
    except OSError:  # no route, or no such address family on this host
        return None


def is_local(target: Target) -> bool:
    """True when the target address belongs to this host (all of 127.0.0.0/8 does)."""
    ip = ipaddress.ip_address(target.host.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return True
    source = route_source(target.family, target.host)
    return source is not None and same_host(source, target.host)


def can_bind(family: int, host: str) -> bool:
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((host, 0))
    except OSError:  # not an address of this host
        return False
    return True


def _local_v4_addresses() -> Iterator[str]:
    """Host addresses from the kernel's local routing table (Linux), loopback first."""
    yield "127.0.0.1"
    try:
        lines = V4_LOCAL_TABLE.read_text().splitlines()
    except OSError:
        return
    for previous, line in zip(lines, lines[1:]):
        if line.strip() == "/32 host LOCAL" and "|--" in previous:
            yield previous.split("|--", 1)[1].strip()


def _local_v6_addresses() -> Iterator[str]:
    """Host and global IPv6 addresses (Linux); link-local ones would need a scope id."""
    yield "::1"
    try:
        lines = V6_ADDRESSES.read_text().splitlines()
    except OSError:
        return
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[3] in (V6_SCOPE_GLOBAL, V6_SCOPE_HOST):
            yield str(ipaddress.IPv6Address(bytes.fromhex(fields[0])))


def _mapped(addresses: Iterator[str]) -> Iterator[str]:
    for address in addresses:
        yield f"::ffff:{address}"


def local_candidates(target: Target) -> List[str]:
    """Local addresses of the target's family, without duplicates, loopback first."""
    if target.family == socket.AF_INET:
        found = _local_v4_addresses()
    elif ipaddress.IPv6Address(target.host.partition("%")[0]).ipv4_mapped is not None:
        found = _mapped(_local_v4_addresses())  # a v4-mapped target: the client is IPv4 inside
    else:
        found = _local_v6_addresses()
    return list(dict.fromkeys(found))


def reveals(target: Target, source: str) -> bool:
    """Would a server that lets the kernel choose answer a client at ``source`` from elsewhere?"""
    answer_from = route_source(target.family, source)
    return answer_from is not None and not same_host(answer_from, target.host)


def _family_matches(target: Target, address: str) -> bool:
    return (":" in address) == (target.family == socket.AF_INET6)


CANNOT_SHOW = "so a wrong source cannot show here"


def from_option(target: Target, choices: Sequence[str]) -> Optional[ClientSource]:
    """The --from address for this target's family, checked to be bindable."""
    for address in choices:
        if not _family_matches(target, address):
            continue
        if not can_bind(target.family, address):
            raise SourceError(f"--from {address}: cannot send from it (not an address of this host)")
        if same_host(address, target.host):
            return ClientSource(address, False,
                                f"client sent from the target address itself (--from), {CANNOT_SHOW}")
        if not reveals(target, address):
            return ClientSource(address, False, f"client sent from {address} (--from), whose route source is "
                                                f"the target, {CANNOT_SHOW}")
        return ClientSource(address, True, f"client sent from {address} (--from)")
    return None


def choose(target: Target, from_addresses: Sequence[str] = ()) -> ClientSource:
    chosen = from_option(target, from_addresses)
    if chosen is not None:
        return chosen
    if not is_local(target):
        return ClientSource(None, True, "client address chosen by the kernel (the target is not on this host)")
    for candidate in local_candidates(target):
        if same_host(candidate, target.host) or not can_bind(target.family, candidate):
            continue
        if reveals(target, candidate):
            return ClientSource(candidate, True, f"client sent from {candidate}, another address of this host")
    return ClientSource(None, False, f"no other address of this host to send from, {CANNOT_SHOW} "
                                     "(--from ADDR picks one)")
