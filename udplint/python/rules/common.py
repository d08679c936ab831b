"""What every Python rule shares: which replies go to the peer of a wildcard-bound UDP server."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional, Set, Tuple

from .. import models
from ..facts import Bind, ProgramFacts, Reply, SocketFacts


@dataclass(frozen=True)
class Candidate:
    """A reply to the sender of a wildcard-bound UDP server: what a rule decides about."""

    reply: Reply
    server: SocketFacts
    bind: Bind

    sender_pktinfo: tuple = ()  # per socket the reply leaves from: whether it enables pktinfo

    @property
    def prepared(self) -> bool:
        """pktinfo is enabled on the server or on the socket the reply leaves from."""
        return self.server.pktinfo or any(self.sender_pktinfo)


def candidates(facts: ProgramFacts) -> Iterator[Candidate]:
    """Per reply, the servers whose peer it answers, in site order."""
    pinned_functions = {
        r.ctx.func for r in facts.replies if r.method == "sendmsg" and r.carries_control_data and r.ctx.func >= 0
    }
    for reply in facts.replies:
        if reply.method != "sendmsg" and reply.ctx.func in pinned_functions:
            continue  # the plain path beside a pinned sendmsg() is the fallback for missing pktinfo
        for peer_site in sorted(paired_peers(reply), key=lambda index: _distance(facts, reply, index)):
            server = facts.sockets[peer_site]
            bind = serving_bind(server)
            if bind is None or not sender_ok(facts, reply, server) or inside_transport(facts, reply, server):
                continue
            senders = [facts.sockets[s] for s in reply.senders] or [server]
            yield Candidate(reply, server, bind, tuple(s.pktinfo for s in senders))


def _distance(facts: ProgramFacts, reply: Reply, index: int) -> Tuple[int, int]:
    """How far a server is from a reply: the module's own sockets first, then its project's, then
    others' (a library checked with an application that reuses its session code answers its
    own peers; the application's server answers the application's), in site order."""
    modules = facts.solver.program.modules
    server_module = facts.sockets[index].site.ctx.module
    if server_module == reply.site.module:
        return 0, index
    return (1 if modules[server_module].project == modules[reply.site.module].project else 2), index


def paired_peers(reply: Reply) -> Set[int]:
    """The servers whose peer a reply answers. When the data flow cannot tell the peers of several
    sockets apart (one handler serving many), the socket the reply leaves from answers its own
    peers: pair it with them rather than with the other sockets'."""
    own = reply.peers & reply.senders
    return own or reply.peers


def inside_transport(facts: ProgramFacts, reply: Reply, server: SocketFacts) -> bool:
    """A plain send in the framework's own transport code (twisted.internet.udp), for a server
    made through the framework: the application's `transport.write()` is that reply."""
    transports = models.MODELS[server.site.kind].transport_modules
    return bool(transports) and facts.solver.program.modules[reply.site.module].name in transports


def serving_bind(server: SocketFacts) -> Optional[Bind]:
    if server.udp is False or server.connected or server.family == "unix":
        return None
    return server.wildcard_bind


def sender_ok(facts: ProgramFacts, reply: Reply, server: SocketFacts) -> bool:
    """The reply leaves from the server socket, or from another unpinned UDP socket (TFTP style)."""
    if not reply.senders or server.site.index in reply.senders:
        return True
    for index in reply.senders:
        sender = facts.sockets[index]
        if sender.udp is not False and not sender.connected and not sender.specific_bind:
            return True
    return False
