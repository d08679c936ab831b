"""FixTargets from today's analysis (`udplint.python.facts` + `rules.Violation`).

The only place the fixer touches the analysis' syntax trees: it reads spans off them with the
module's PositionProvider and hands the fixer plain data. The new engine replaces this module
with its own adapter.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from .target import FixTarget, Receive, Span


def span_of(module, node: cst.CSTNode) -> Span:
    where = module.positions[node]
    return Span(str(module.path), where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)


def _call_modules(facts) -> Dict[int, object]:
    """id(call node) -> the module it is in (the analysis keeps calls apart from modules)."""
    cached = getattr(facts, "_fix_call_modules", None)
    if cached is None:
        cached = {id(call.node): call.ctx.module for call in facts.flow.calls}
        facts._fix_call_modules = cached
    return cached


def _family(server) -> str:
    # Today's engine knows AF_INET / AF_INET6 but not the V6ONLY value: an AF_INET6 socket is
    # reported as "inet6", and the fixer treats it like a dual-stack one (it enables both).
    return server.family if server.family in ("inet", "inet6") else "unknown"


def _method(call: cst.Call) -> str:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else ""


def _receives(facts, server) -> Tuple[Receive, ...]:
    modules = _call_modules(facts)
    out = []
    for call in server.receives:
        module = modules.get(id(call))
        if module is not None:
            out.append(Receive(span_of(module, call), _method(call)))
    return tuple(out)


def _class_name(facts, index: int) -> Optional[str]:
    classes = facts.flow.project.classes
    return classes[index].name if 0 <= index < len(classes) and classes[index].index == index else None


def targets_from_legacy(facts, violation) -> FixTarget:
    reply, server, bind = violation.reply, violation.server, violation.bind
    site = server.site
    reply_module, bind_module = reply.ctx.module, bind.ctx.module
    same_module = reply_module is bind_module
    handlers = tuple(sorted(filter(None, (_class_name(facts, i) for i in site.handlers))))
    return FixTarget(
        code=violation.code,
        kind=site.kind,
        path=str((reply_module if same_module else bind_module).path),
        family=_family(server),
        options=frozenset(server.options),
        socket=span_of(site.ctx.module, site.node),
        bind=span_of(bind_module, bind.node),
        receives=_receives(facts, server),
        reply=span_of(reply_module, reply.node),
        reply_method=reply.method,
        same_module=same_module,
        server_class=site.server_class.name if site.server_class is not None else None,
        handler_classes=handlers,
    )


def anchor_key(violation) -> Tuple[str, int, int, str]:
    """The (file, line, column, code) of the finding a violation is reported as (see rules.py)."""
    reply, bind = violation.reply, violation.bind
    node, ctx = (reply.node, reply.ctx) if reply.ctx.module is bind.ctx.module else (bind.node, bind.ctx)
    start = ctx.module.positions[node].start
    return (ctx.module.display, start.line, start.column + 1, violation.code)


def targets_by_path(facts) -> Dict[str, Dict[Tuple[str, int, int, str], List[FixTarget]]]:
    """path -> {finding key: targets}: one target per socket the finding's reply serves."""
    from ..python.rules import violations

    out: Dict[str, Dict[Tuple[str, int, int, str], List[FixTarget]]] = {}
    for violation in violations(facts):
        key = anchor_key(violation)
        for each in [violation, *_other_servers(facts, violation)]:
            target = targets_from_legacy(facts, each)
            out.setdefault(target.path, {}).setdefault(key, []).append(target)
    return out


def _other_servers(facts, violation):
    """The same reply may answer peers of several wildcard sockets (one select() loop over an
    IPv4 and an IPv6 socket); the rules report it once, the fix must enable pktinfo on each."""
    from ..python.rules import Violation

    for site in sorted(violation.reply.peers):
        server = facts.sockets[site]
        bind = server.wildcard_bind
        if server is violation.server or bind is None or server.udp is False or server.connected:
            continue
        yield Violation(violation.code, violation.reply, server, bind)


def file_texts(facts) -> Dict[str, str]:
    """path -> text of every checked module (the text the analysis saw)."""
    return {str(m.path): m.source for m in facts.flow.project.modules if m.checked}
