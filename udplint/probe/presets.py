"""Well-formed requests for common UDP services, so a real server answers the probe.

Each builder returns one datagram; random fields (DNS id, STUN transaction id, SNMP request id)
are fresh per call. Any reply at all is enough for the probe: it only looks at where the reply
came from, never at what it says.
"""
from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence

ECHO_PAYLOAD = b"udplint probe\n"
SYS_DESCR_OID = (1, 3, 6, 1, 2, 1, 1, 1, 0)  # SNMPv2-MIB::sysDescr.0
NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
STUN_MAGIC_COOKIE = 0x2112A442


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    well_known_port: Optional[int]
    build: Callable[[str], bytes]  # community -> datagram (only snmp uses the community)


def dns_query(_community: str = "") -> bytes:
    """A standard recursive query for the root's NS records (`. IN NS`), as `dig . NS` sends."""
    header = struct.pack("!HHHHHH", _random_u16(), 0x0100, 1, 0, 0, 0)  # RD=1, QDCOUNT=1
    root_name = b"\x00"
    return header + root_name + struct.pack("!HH", 2, 1)  # QTYPE NS, QCLASS IN


def ntp_request(_community: str = "") -> bytes:
    """An NTPv4 client-mode packet (48 bytes) whose transmit timestamp is now."""
    now = time.time() + NTP_EPOCH_OFFSET
    seconds, fraction = int(now), int((now % 1) * 2**32)
    first_byte = (0 << 6) | (4 << 3) | 3  # LI 0, version 4, mode 3 (client)
    return struct.pack("!BBbb11I", first_byte, 0, 0, 0, *([0] * 9), seconds & 0xFFFFFFFF, fraction)


def stun_binding_request(_community: str = "") -> bytes:
    """An RFC 5389 Binding request without attributes."""
    return struct.pack("!HHI", 0x0001, 0, STUN_MAGIC_COOKIE) + os.urandom(12)


def snmp_get_sys_descr(community: str = "public") -> bytes:
    """An SNMPv2c GetRequest for sysDescr.0 with the given community."""
    varbind = _ber(0x30, _ber(0x06, _oid_body(SYS_DESCR_OID)) + b"\x05\x00")  # OID, NULL
    pdu = _ber(0xA0, _ber_int(_random_u16()) + _ber_int(0) + _ber_int(0) + _ber(0x30, varbind))
    version_v2c = _ber_int(1)
    return _ber(0x30, version_v2c + _ber(0x04, community.encode("utf-8")) + pdu)


def echo_request(_community: str = "") -> bytes:
    return ECHO_PAYLOAD


PRESETS: Dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("dns", "DNS standard query for `. NS`", 53, dns_query),
        Preset("ntp", "NTPv4 client request", 123, ntp_request),
        Preset("snmp", "SNMPv2c get of sysDescr.0 (community from --community)", 161, snmp_get_sys_descr),
        Preset("stun", "STUN binding request", 3478, stun_binding_request),
        Preset("echo", f"the text {ECHO_PAYLOAD!r}", 7, echo_request),
    )
}


def preset_for_port(port: int) -> Preset:
    """The preset of a well-known port, `echo` for any other port."""
    for preset in PRESETS.values():
        if preset.well_known_port == port:
            return preset
    return PRESETS["echo"]


def _random_u16() -> int:
    return int.from_bytes(os.urandom(2), "big")


def _ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _ber(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _ber_length(len(body)) + body


def _ber_int(value: int) -> bytes:
    """A non-negative INTEGER in the fewest octets that keep it positive."""
    return _ber(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid_body(arcs: Sequence[int]) -> bytes:
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)
