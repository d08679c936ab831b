"""FixTargets from the analysis' result: the only place the fixer reads the engine's facts.

The engine's facts name sites by module and call ordinal; here they become spans (positions are
worked out for these sites only) and the plain `FixTarget` the fixer plans from. Nothing is
analysed again: the violations are the ones the findings were made from.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Tuple

from ..python import summary as s
from ..python.report import Positions, anchor
from ..python.rules import Violation
from ..python.workers import decode
from .target import FixTarget, Receive, Span

FindingKey = Tuple[str, int, int, str]


def _span(positions: Positions, site) -> Span:
    start, end = positions.span(site)
    return Span(str(positions.module(site.module).path), start.row, start.column, end.row, end.column)


def _method(analysis, site) -> str:
    call = analysis.program.modules[site.module].summary.calls[site.call].call
    return call.func.attr if type(call.func) is s.Attr else ""


def _family(server) -> str:
    if server.family == "inet6":
        return "inet6" if "IPV6_V6ONLY" in server.options else "dual"
    return server.family if server.family in ("inet", "unknown") else "unknown"


def target(analysis, positions: Positions, violation: Violation) -> FixTarget:
    reply, server, bind = violation.reply, violation.server, violation.bind
    site = server.site
    same_module = reply.site.module == bind.site.module
    edited = reply.site.module if same_module else bind.site.module
    classes = analysis.program.classes
    return FixTarget(
        code=violation.code,
        kind=site.kind,
        path=str(analysis.program.modules[edited].path),
        family=_family(server),
        options=frozenset(server.options),
        socket=_span(positions, server.created),
        bind=_span(positions, bind.site),
        receives=tuple(Receive(_span(positions, r), _method(analysis, r)) for r in server.receives),
        reply=_span(positions, reply.site),
        reply_method=reply.method,
        same_module=same_module,
        server_class=site.server_class.name if site.server_class is not None else None,
        handler_classes=tuple(sorted(classes[i].name for i in site.handlers)),
    )


def finding_key(positions: Positions, violation: Violation) -> FindingKey:
    site = anchor(positions, violation)
    start, _ = positions.span(site)
    return (positions.module(site.module).display, start.row, start.column, violation.code)


def _other_servers(analysis, violation: Violation) -> Iterator[Violation]:
    """The same reply may answer peers of several wildcard sockets (one select() loop over an
    IPv4 and an IPv6 socket); the rules report it once, the fix must enable pktinfo on each."""
    facts = analysis.facts
    for index in sorted(violation.reply.peers):
        server = facts.sockets[index]
        bind = server.wildcard_bind
        if server is violation.server or bind is None or server.udp is False or server.connected:
            continue
        yield Violation(violation.code, violation.reply, server, bind, violation.problem)


def targets_by_finding(analysis) -> Dict[FindingKey, Tuple[str, List[FixTarget]]]:
    """finding key -> (path of the finding's file, targets): one target per socket its reply serves."""
    positions = Positions(analysis.program, analysis.texts)
    out: Dict[FindingKey, Tuple[str, List[FixTarget]]] = {}
    for violation in analysis.violations:
        key = finding_key(positions, violation)
        path = str(analysis.program.modules[anchor(positions, violation).module].path)
        for each in [violation, *_other_servers(analysis, violation)]:
            out.setdefault(key, (path, []))[1].append(target(analysis, positions, each))
    return out


def file_texts(analysis) -> Dict[str, str]:
    """path -> text of every checked module, as the analysis saw it."""
    out: Dict[str, str] = {}
    for module in analysis.program.modules:
        if not module.checked:
            continue
        data = analysis.texts.get(module.path.resolve())
        try:
            out[str(module.path)] = decode(data if data is not None else module.path.read_bytes())
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
            continue  # changed or gone since it was analysed: no fix is planned against it
    return out
