"""Rules: turn socket facts into findings.

UDP001  a reply to the peer of a wildcard-bound UDP server, with nothing pinning its source.
UDP002  the same reply after a half fix (pktinfo enabled but sendto used; sendmsg without pktinfo).
Where the bind and the reply are in one module the finding sits on the reply; across modules it
sits on the bind (or server/endpoint creation) and names the reply as a related location.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..catalog import rule
from ..findings import Finding, Location, Related
from .facts import Bind, ProjectFacts, Reply, SocketFacts
from .flow import Ctx
from .values import Const, Sym, Tup

_EMPTY = object()


@dataclass(frozen=True)
class Violation:
    code: str
    reply: Reply
    server: SocketFacts
    bind: Bind


def violations(facts: ProjectFacts) -> List[Violation]:
    found: List[Violation] = []
    pinned_functions = {
        id(r.ctx.func) for r in facts.replies if r.method == "sendmsg" and _carries_control_data(facts, r)
    }
    for reply in facts.replies:
        if reply.method != "sendmsg" and id(reply.ctx.func) in pinned_functions and reply.ctx.func is not None:
            continue  # the plain path beside a pinned sendmsg() is the fallback for missing pktinfo
        for peer_site in sorted(reply.peers):
            server = facts.sockets[peer_site]
            bind = _serving_bind(server)
            if bind is None or not _sender_ok(facts, reply, server):
                continue
            code = _classify(facts, reply, server)
            if code is not None:
                found.append(Violation(code, reply, server, bind))
                break
    return found


def _serving_bind(server: SocketFacts) -> Optional[Bind]:
    if server.udp is False or server.connected or server.family == "unix":
        return None
    return server.wildcard_bind


def _sender_ok(facts: ProjectFacts, reply: Reply, server: SocketFacts) -> bool:
    """The reply leaves from the server socket, or from another unpinned UDP socket (TFTP style)."""
    if not reply.senders or server.site.index in reply.senders:
        return True
    for site in reply.senders:
        sender = facts.sockets[site]
        if sender.udp is not False and not sender.connected and not sender.specific_bind:
            return True
    return False


def _classify(facts: ProjectFacts, reply: Reply, server: SocketFacts) -> Optional[str]:
    senders = [facts.sockets[s] for s in reply.senders] or [server]
    prepared = server.pktinfo or any(s.pktinfo for s in senders)
    if reply.method == "sendmsg":
        if _carries_control_data(facts, reply):
            return None
        return "UDP002"
    return "UDP002" if prepared else "UDP001"


def _carries_control_data(facts: ProjectFacts, reply: Reply) -> bool:
    if reply.ancillary is None:
        return False
    values = facts.flow.values(reply.ancillary, reply.ctx)
    if not values:
        return True  # built somewhere we cannot see: trust it
    for value in values:
        if isinstance(value, Tup):
            node, _ = facts.flow.tuples[value.site]
            if node.elements:
                return True
        elif not (isinstance(value, Const) and value.value in (None, b"", "")):
            return True
    return False


# -- findings -------------------------------------------------------------------------------------
def findings(facts: ProjectFacts) -> List[Finding]:
    out: Dict[Tuple[str, int, int, str], Finding] = {}
    for violation in violations(facts):
        finding = _finding(violation)
        if finding is not None:
            key = (finding.filename, finding.location.row, finding.location.column, finding.code)
            out.setdefault(key, finding)
    return sorted(out.values(), key=Finding.sort_key)


def _finding(violation: Violation) -> Optional[Finding]:
    reply, bind = violation.reply, violation.bind
    same_module = reply.ctx.module is bind.ctx.module
    anchor_node, anchor_ctx = (reply.node, reply.ctx) if same_module else (bind.node, bind.ctx)
    if not anchor_ctx.module.checked:
        return None
    start, end = _span(anchor_node, anchor_ctx)
    related = ()
    if not same_module:
        where, _ = _span(reply.node, reply.ctx)
        related = (Related(reply.ctx.module.display, where, f"reply sent here with {_call_name(reply)}"),)
    return Finding(
        code=violation.code,
        filename=anchor_ctx.module.display,
        location=start,
        end_location=end,
        message=_message(violation, same_module),
        related=related,
        source_line=_line(anchor_ctx, start.row),
    )


def _message(violation: Violation, same_module: bool) -> str:
    reply, bind, server = violation.reply, violation.bind, violation.server
    host = _host_text(bind.wildcard_host)
    what = _server_text(server)
    bind_line = _span(bind.node, bind.ctx)[0].row
    call = _call_name(reply)
    if same_module:
        where = f"{what} bound to {host} (line {bind_line})"
        subject = f"reply with {call} to the sender of {where}"
    else:
        reply_at = _span(reply.node, reply.ctx)[0]
        subject = (f"{what[0].upper()}{what[1:]} bound to {host} replies to its sender with {call} in "
                   f"{reply.ctx.module.display}:{reply_at.row}:{reply_at.column}")
    if violation.code == "UDP001":
        return f"{subject} does not pin the source address; {rule('UDP001').why}"
    if reply.method == "sendmsg":
        return f"{subject} carries no IP_PKTINFO/IPV6_PKTINFO control message; {rule('UDP002').why}"
    return f"{subject} ignores the packet info the socket enables; {rule('UDP002').why}"


def _server_text(server: SocketFacts) -> str:
    return {
        "socket": "a UDP socket",
        "socketserver": "a socketserver UDP server",
        "asyncio": "an asyncio datagram endpoint",
        "twisted": "a Twisted UDP port",
        "gevent": "a gevent DatagramServer",
        "anyio": "an anyio UDP socket",
    }[server.kind]


def _host_text(value) -> str:
    if isinstance(value, Sym):
        return value.qualname.rsplit(".", 1)[-1]
    if isinstance(value, Const):
        return repr(value.value)
    return "a wildcard address"


def _call_name(reply: Reply) -> str:
    if reply.method == "wfile.write":
        return "self.wfile.write()"
    func = reply.node.func
    owner = func.value
    if isinstance(owner, cst.Attribute) and owner.attr.value == "transport":
        return f"transport.{reply.method}()"
    return f"{reply.method}()"


def _span(node: cst.CSTNode, ctx: Ctx) -> Tuple[Location, Location]:
    code_range = ctx.module.positions[node]
    return (
        Location(code_range.start.line, code_range.start.column + 1),
        Location(code_range.end.line, code_range.end.column + 1),
    )


def _line(ctx: Ctx, row: int) -> str:
    lines = ctx.module.lines()
    return lines[row - 1] if 0 < row <= len(lines) else ""
