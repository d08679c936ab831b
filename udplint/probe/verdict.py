"""From what the two clients got back to a verdict and its one-line explanation.

* ``wrong-source``: some reply came from an address (or port) other than the target's; a client
  connect()ed to the target drops such a reply.
* ``ok``: every reply came from the target.
* ``no-reply``: nothing came back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional

from .targets import SockAddr, Target, format_sockaddr, same_host

if TYPE_CHECKING:  # the socket side imports this module
    from .client_source import ClientSource
    from .probe import Exchange, Settings

OK, WRONG_SOURCE, NO_REPLY = "ok", "wrong-source", "no-reply"
VERDICTS = (OK, WRONG_SOURCE, NO_REPLY)
EXIT_OK, EXIT_WRONG_SOURCE, EXIT_NO_REPLY = 0, 1, 2


@dataclass(frozen=True)
class Verdict:
    name: str
    explanation: str


def from_target(reply: SockAddr, target: Target) -> bool:
    return same_host(reply[0], target.host) and reply[1] == target.port


def judge(target: Target, source: "ClientSource", unconnected: "Exchange", connected: "Exchange",
          settings: "Settings") -> Verdict:
    replies = [e.reply_from for e in (unconnected, connected) if e.reply_from is not None]
    wrong = [reply for reply in replies if not from_target(reply, target)]
    if wrong:
        return Verdict(WRONG_SOURCE, _wrong_source(target, wrong[0], connected))
    if replies:
        return Verdict(OK, _ok(target, source, connected, settings))
    return Verdict(NO_REPLY, _no_reply(target, unconnected, connected, settings))


def _wrong_source(target: Target, wrong: SockAddr, connected: "Exchange") -> str:
    if same_host(wrong[0], target.host):
        text = f"the reply came from port {wrong[1]}, not {target.port}"
        cause = "the server answers from another socket, which a connected client drops"
    else:
        text = f"the reply came from {format_sockaddr(wrong)}, not {target.address}"
        cause = ("the server lets the kernel pick the reply's source: a wildcard bind without "
                 "IP_PKTINFO, see `udplint rule UDP001`")
    if connected.reply_from is None:
        text += f"; a client connect()ed to {target.address} got nothing"
    elif from_target(connected.reply_from, target):
        text += f"; the connected client's reply did come from {target.address}, so the source varies"
    return f"{text} ({cause})"


def _ok(target: Target, source: "ClientSource", connected: "Exchange", settings: "Settings") -> str:
    text = f"the reply came from {target.address}, the address the request was sent to"
    if connected.reply_from is not None:
        text += ", and a client connect()ed to it got its reply"
    elif connected.refused:
        text += ", but the connected client got ICMP port unreachable"
    else:
        text += f", but the connected client got none within {settings.timeout:g} s (lost?)"
    return f"{text}; {source.why}"


def _no_reply(target: Target, unconnected: "Exchange", connected: "Exchange", settings: "Settings") -> str:
    errors: List[Optional[str]] = [e.error for e in (unconnected, connected) if e.error]
    if errors:
        return f"no reply: {errors[0]}"
    if unconnected.refused or connected.refused:
        return f"no reply; ICMP port unreachable: nothing listens on {target.address}"
    sent = unconnected.requests + connected.requests
    plural = "request" if sent == 1 else "requests"
    return (f"no reply to {sent} {plural} within {settings.timeout:g} s each (the server is down or "
            f"filtered, or did not understand the request: try --preset or --payload)")


def exit_status(verdicts: List[str]) -> int:
    """1 if any target answered from a wrong source, else 2 if any gave no reply, else 0."""
    if WRONG_SOURCE in verdicts:
        return EXIT_WRONG_SOURCE
    if NO_REPLY in verdicts:
        return EXIT_NO_REPLY
    return EXIT_OK
