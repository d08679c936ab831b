"""Violations -> findings: positions, wording and placement.

Positions are worked out only here, for the sites a finding names: the module is parsed again
and each site's call is found by its ordinal (`extract.call_nodes`); its position comes from the
one top-level statement that holds it, so a finding in a large module does not pay for the
positions of everything else in it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from ..catalog import rule
from ..findings import Finding, Location, Related
from . import models
from .facts import Site
from .program import ModuleInfo, Program
from .rules import Violation
from .values import Const, Shipped, Sym, Wild, is_wildcard
from .workers import decode

if TYPE_CHECKING:  # libcst (and extraction) load only when a finding needs its position
    import libcst as cst

Span = Tuple[Location, Location]


class Positions:
    def __init__(self, program: Program, texts: Optional[Dict] = None) -> None:
        self.program = program
        self.texts = texts or {}  # resolved path -> bytes the analysis saw (an editor's buffer, stdin)
        self._trees: Dict[int, Optional[Tuple[cst.Module, List[cst.Call], List[str]]]] = {}
        self._spans: Dict[Site, Span] = {}

    def module(self, index: int) -> ModuleInfo:
        return self.program.modules[index]

    def lines(self, index: int) -> List[str]:
        loaded = self._load(index)
        return loaded[2] if loaded else []

    def span(self, site: Site) -> Span:
        if site not in self._spans:
            self._spans[site] = self._locate(site)
        return self._spans[site]

    def _load(self, index: int):
        from .extract import call_nodes
        from .parsing import ParseFailure, parse_module

        if index not in self._trees:
            module = self.program.modules[index]
            try:
                data = self.texts.get(module.path.resolve())
                text = decode(data if data is not None else module.path.read_bytes())
                tree = parse_module(text)
                self._trees[index] = (tree, call_nodes(tree), text.splitlines())
            except (OSError, SyntaxError, UnicodeDecodeError, LookupError, ParseFailure):
                self._trees[index] = None  # changed under us since extraction: no position to give
        return self._trees[index]

    def _locate(self, site: Site) -> Span:
        from libcst.metadata import MetadataWrapper, PositionProvider

        loaded = self._load(site.module)
        if loaded is None or site.call >= len(loaded[1]):
            return Location(1, 1), Location(1, 1)
        tree, calls, _ = loaded
        node = calls[site.call]
        for position, statement in enumerate(tree.body):
            if _contains(statement, node):
                # (an empty body still prints a newline: the header alone is counted for the first;
                # the statements before this one end with a newline even when the file does not)
                offset = len(tree.header) if position == 0 else \
                    tree.with_changes(body=tree.body[:position], footer=(), has_trailing_newline=True).code.count("\n")
                # the module's own indentation and newline, so columns on tab-indented lines are right
                alone = MetadataWrapper(tree.with_changes(body=[statement], header=(), footer=()), unsafe_skip_copy=True)
                where = alone.resolve(PositionProvider)[node]
                return (Location(where.start.line + offset, where.start.column + 1),
                        Location(where.end.line + offset, where.end.column + 1))
        return Location(1, 1), Location(1, 1)


def _contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    stack = [root]
    while stack:
        current = stack.pop()
        if current is node:
            return True
        stack.extend(current.children)
    return False


def findings(program: Program, found: List[Violation], texts: Optional[Dict] = None) -> List[Finding]:
    positions = Positions(program, texts)
    out: Dict[Tuple[str, int, int, str], Finding] = {}
    for violation in found:
        for site in anchors(positions, violation):
            finding = _finding(positions, violation, site)
            if finding is not None:
                key = (finding.filename, finding.location.row, finding.location.column, finding.code)
                out.setdefault(key, finding)
    return sorted(out.values(), key=Finding.sort_key)


def anchor(positions: "Positions", violation: Violation) -> Site:
    """Where a finding sits: where the application decides the wildcard when another module's
    call hands it to the bind; else on the reply when bind and reply share a module, else on the
    bind. The reply is then a related location."""
    return anchors(positions, violation)[0]


def anchors(positions: "Positions", violation: Violation) -> List[Site]:
    """`anchor`, per checked project: a library checked together with the applications that
    use it gets one finding where each application hands it the wildcard (the first such call
    of each project), and one of its own where its own code picks the wildcard (a default
    reaching the bind without any call from another module), however the others start it."""
    reply, bind = violation.reply, violation.bind
    own = reply.site if reply.site.module == bind.site.module else bind.site
    chosen: Dict[int, Site] = {}
    for site in bind.decided_at:
        if site.module != bind.site.module and positions.module(site.module).checked:
            chosen.setdefault(positions.module(site.module).project, site)
    if not chosen:
        return [own]
    out = list(chosen.values())
    if positions.module(own.module).project not in chosen and any(
            is_wildcard(host) and not isinstance(host, Wild) for host in bind.hosts):
        out.append(own)
    return out


def _finding(positions: Positions, violation: Violation, site: Site) -> Optional[Finding]:
    reply, bind = violation.reply, violation.bind
    same_module = reply.site.module == site.module
    module = positions.module(site.module)
    if not module.checked:
        return None
    start, end = positions.span(site)
    related = ()
    if not same_module:
        where, _ = positions.span(reply.site)
        related = (Related(positions.module(reply.site.module).display, where,
                           f"reply sent here with {_call_name(violation)}"),)
    lines = positions.lines(site.module)
    return Finding(
        code=violation.code,
        filename=module.display,
        location=start,
        end_location=end,
        message=_message(positions, violation, same_module, site not in (bind.site, reply.site)),
        related=related,
        source_line=lines[start.row - 1] if 0 < start.row <= len(lines) else "",
    )


def _message(positions: Positions, violation: Violation, same_module: bool, site_is_decision: bool = False) -> str:
    reply, bind, server = violation.reply, violation.bind, violation.server
    host = _host_text(bind.wildcard_host)
    what = models.label(server.kind)
    bind_line = positions.span(bind.site)[0].row
    call = _call_name(violation)
    if same_module:
        subject = f"reply with {call} to the sender of {what} bound to {host} (line {bind_line})"
    elif site_is_decision:
        reply_at = positions.span(reply.site)[0]
        subject = (f"{what[0].upper()}{what[1:]} bound to {host} here replies to its sender with {call} in "
                   f"{positions.module(reply.site.module).display}:{reply_at.row}:{reply_at.column}")
    else:
        reply_at = positions.span(reply.site)[0]
        subject = (f"{what[0].upper()}{what[1:]} bound to {host} replies to its sender with {call} in "
                   f"{positions.module(reply.site.module).display}:{reply_at.row}:{reply_at.column}")
    return f"{subject} {violation.problem}; {rule(violation.code).why}"


def _host_text(value) -> str:
    if isinstance(value, Wild):
        return value.text
    if isinstance(value, Shipped):
        others = f" and {value.files - 1} more shipped file{'s' if value.files > 2 else ''}" if value.files > 1 else ""
        return f"{value.text} from {value.path}:{value.line}{others}"
    if isinstance(value, Sym):
        return value.qualname.rsplit(".", 1)[-1]
    if isinstance(value, Const):
        return repr(value.value)
    return "a wildcard address"


def _call_name(violation: Violation) -> str:
    reply = violation.reply
    if reply.method == "wfile.write":
        return "self.wfile.write()"
    if reply.via_transport:
        return f"transport.{reply.method}()"
    return f"{reply.method}()"
