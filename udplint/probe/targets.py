"""Parse probe targets: `HOST:PORT`, `[V6]:PORT`, `[fe80::1%eth0]:PORT`.

A host name is resolved once, with the system resolver, to its first address; everything after
that uses the address, so the probe sends to exactly one address per target.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Tuple

SockAddr = Tuple  # (host, port) or (host, port, flowinfo, scope_id)


class TargetError(ValueError):
    """A target that cannot be probed; the message is one line for the user."""


@dataclass(frozen=True)
class Target:
    text: str  # as given on the command line
    family: socket.AddressFamily
    sockaddr: SockAddr  # what sendto()/connect() get

    @property
    def host(self) -> str:
        return self.sockaddr[0]

    @property
    def port(self) -> int:
        return self.sockaddr[1]

    @property
    def address(self) -> str:
        """The address in `HOST:PORT` / `[V6]:PORT` form."""
        return format_sockaddr(self.sockaddr)


def format_sockaddr(sockaddr: SockAddr) -> str:
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def same_host(left: str, right: str) -> bool:
    """True when two addresses name the same host (`::ffff:127.0.0.2` is `127.0.0.2`)."""
    return _canonical(left) == _canonical(right)


def _canonical(host: str) -> str:
    plain, _, scope = host.partition("%")
    ip = ipaddress.ip_address(plain)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip) + (f"%{scope}" if scope else "")


def _split(text: str) -> Tuple[str, str]:
    """'host:port' / '[v6]:port' -> (host, port text)."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise TargetError(f"{text!r}: write an IPv6 target as [ADDRESS]:PORT")
        return host, rest[1:]
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise TargetError(f"{text!r}: give HOST:PORT (or [IPv6]:PORT)")
    if ":" in host:
        raise TargetError(f"{text!r}: put an IPv6 address in brackets, [ADDRESS]:PORT")
    return host, port


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise TargetError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(port_text)


def _refuse_unprobeable(text: str, host: str) -> None:
    ip = ipaddress.ip_address(host.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        raise TargetError(f"{text!r}: {host} is the wildcard; give an address the service is reached at")
    if ip.is_multicast or str(ip) == "255.255.255.255":
        raise TargetError(f"{text!r}: {host} is not a unicast address; probe one server address at a time")


def parse_target(text: str) -> Target:
    host, port_text = _split(text.strip())
    port = _port(text, port_text)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP,
                                   flags=socket.AI_NUMERICSERV)
    except socket.gaierror as error:
        raise TargetError(f"{text!r}: cannot resolve {host!r}: {error.strerror}") from None
    family, _type, _proto, _name, sockaddr = infos[0]
    if family not in (socket.AF_INET, socket.AF_INET6):
        raise TargetError(f"{text!r}: not an IPv4 or IPv6 address")
    _refuse_unprobeable(text, sockaddr[0])
    return Target(text=text, family=socket.AddressFamily(family), sockaddr=tuple(sockaddr))
