"""`udplint probe TARGET [TARGET ...]`: the command line of the probe.

Exit status: 0 every target answered from its own address, 1 some target answered from another
address, 2 some target did not answer, or a usage error (nothing is sent then).
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import List, Optional

from .client_source import SourceError
from .presets import PRESETS
from .probe import DEFAULT_COUNT, DEFAULT_TIMEOUT, MAX_DATAGRAM, Request, Settings, probe_targets
from .report import REPORTERS
from .targets import Target, TargetError, parse_target
from .verdict import EXIT_NO_REPLY, exit_status

MAX_COUNT = 10  # requests per client socket; a target never gets more than 2 * MAX_COUNT datagrams
MAX_TIMEOUT = 60.0


class UsageError(ValueError):
    """A bad option value; one line for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="HOST:PORT or [IPv6]:PORT")
    request = parser.add_mutually_exclusive_group()
    request.add_argument("--payload", metavar="TEXT", help="send TEXT (UTF-8)")
    request.add_argument("--payload-hex", metavar="HEX", help="send these bytes, e.g. 'de ad be ef'")
    request.add_argument("--preset", choices=sorted(PRESETS),
                         help="a well-formed request for the service (default: by port; 53 dns, 123 ntp, "
                              "161 snmp, 3478 stun, otherwise echo)")
    parser.add_argument("--community", help="SNMP community for --preset snmp (default: public)")
    parser.add_argument("--from", dest="from_addresses", action="append", default=[], metavar="ADDR",
                        help="send from this local address (once per address family)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"wait this long for a reply to each request (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, metavar="N",
                        help=f"requests per client until one is answered (default: {DEFAULT_COUNT}, at most "
                             f"{MAX_COUNT}); each target gets two clients")
    parser.add_argument("--format", choices=sorted(REPORTERS), default="text", help="output format")


def _payload(args: argparse.Namespace) -> Optional[bytes]:
    if args.payload is not None:
        payload = args.payload.encode("utf-8")
    elif args.payload_hex is not None:
        digits = "".join(args.payload_hex.split())
        digits = digits[2:] if digits.lower().startswith("0x") else digits
        try:
            payload = bytes.fromhex(digits)
        except ValueError:
            raise UsageError(f"--payload-hex {args.payload_hex!r}: not an even number of hex digits") from None
    else:
        return None
    if not payload:
        raise UsageError("the payload is empty; many servers ignore an empty datagram")
    if len(payload) > MAX_DATAGRAM:
        raise UsageError(f"the payload is {len(payload)} bytes; a UDP datagram holds at most {MAX_DATAGRAM}")
    return payload


def _from_addresses(texts: List[str]) -> tuple:
    families = set()
    for text in texts:
        try:
            version = ipaddress.ip_address(text).version
        except ValueError:
            raise UsageError(f"--from {text!r}: give an IP address of this host") from None
        if version in families:
            raise UsageError(f"--from: give at most one IPv{version} address")
        families.add(version)
    return tuple(texts)


def settings_from(args: argparse.Namespace) -> Settings:
    if args.community is not None and args.preset != "snmp":
        raise UsageError("--community goes with --preset snmp")
    if not 1 <= args.count <= MAX_COUNT:
        raise UsageError(f"--count must be from 1 to {MAX_COUNT}")
    if not 0 < args.timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    request = Request(payload=_payload(args), preset=args.preset,
                      community=args.community if args.community is not None else "public")
    return Settings(request=request, timeout=args.timeout, count=args.count,
                    from_addresses=_from_addresses(args.from_addresses))


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        targets: List[Target] = [parse_target(text) for text in args.targets]
        results = probe_targets(targets, settings)
    except (UsageError, TargetError, SourceError) as error:
        print(f"udplint: error: {error}", file=sys.stderr)
        return EXIT_NO_REPLY  # the usage-error status; nothing was sent
    sys.stdout.write(REPORTERS[args.format](results))
    return exit_status([result.verdict.name for result in results])
