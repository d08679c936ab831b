"""What the fixer is told about one finding: plain data with source spans, no syntax trees.

The analysis decides what is a bug and which socket, bind, receive and reply belong to it; the
fixer never re-runs or second-guesses that. It re-parses only the file it fixes and finds the
nodes again by position (`locate.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

KINDS = ("socket", "socketserver", "asyncio", "twisted", "gevent", "anyio", "trio")
FAMILIES = ("inet", "inet6", "dual", "unknown")


@dataclass(frozen=True)
class Span:
    """A node's place in a file: 1-based line and column, end exclusive (libcst's
    PositionProvider with 1 added to both columns)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Receive:
    """A call that receives on the server socket: `recvfrom`, `recvfrom_into`, `recvmsg`, ..."""

    span: Span
    method: str


@dataclass(frozen=True)
class FixTarget:
    """One finding as the fixer needs it.

    code:            the rule (UDP001 no pinning at all, UDP002 a half fix).
    kind:            what made the server: socket | socketserver | asyncio | twisted | gevent | anyio | trio.
    path:            the file the fix edits (the reply's file when bind and reply share one).
    family:          inet | inet6 (V6ONLY set) | dual (AF_INET6 without V6ONLY) | unknown.
    options:         socket option names set on the socket (IP_PKTINFO, IP_TRANSPARENT, ...).
    socket:          the call creating the socket, server or endpoint.
    bind:            the wildcard bind (for frameworks: the creation call carrying the address).
    receives:        every receive on the socket the analysis saw.
    reply:           the call that replies to the peer; reply_method its method name
                     (sendto, sendmsg, wfile.write, sock_sendto, ...).
    same_module:     bind and reply are in one file (else the fix edits several: `paths()`).
    server_class:    the user's server subclass (socketserver), if any.
    handler_classes: the request handler / protocol classes the analysis tied to the server.
    """

    code: str
    kind: str
    path: str
    family: str
    options: FrozenSet[str]
    socket: Span
    bind: Span
    receives: Tuple[Receive, ...]
    reply: Span
    reply_method: str
    same_module: bool
    server_class: Optional[str] = None
    handler_classes: Tuple[str, ...] = ()

    @property
    def ipv6(self) -> bool:
        """The socket may be AF_INET6 (then IPv6 and, dual-stack, IPv4 pktinfo are both needed)."""
        return self.family in ("inet6", "dual", "unknown")

    def paths(self) -> Tuple[str, ...]:
        """Every file the fix may edit: the one it is reported for first, then where the socket
        is made and bound, where it receives and where it replies."""
        spans = [self.socket, self.bind, self.reply, *(r.span for r in self.receives)]
        return tuple(dict.fromkeys([self.path, *(span.path for span in spans)]))
