"""Autofixes: turn findings into small in-place rewrites of the source, or exact suggestions.

The fixer's input is plain data (`target.FixTarget`, built from the analysis by `from_analysis.py`) and
the text of the file it fixes; it re-parses that file, finds the nodes by span (`locate.py`) and
plans the changes (`plain.py`, `socketserver_fix.py`, `carry.py`; `plan.py` renders them).
"""
from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Dict, List, Sequence, Tuple

import libcst as cst

from ..findings import Edit, Finding, Fix, Location
from .locate import Source
from .plan import DISPLAY, SAFE, UNSAFE, Plan, merged, render, suggestion
from .target import FixTarget

__all__ = ["SAFE", "UNSAFE", "DISPLAY", "Plan", "plan_target", "plan_file", "attach_fixes"]

FindingKey = Tuple[str, int, int, str]

FRAMEWORK_HINTS = {
    "twisted": "Twisted's UDP transport has no sendmsg(): bind one port per local address "
               "(reactor.listenUDP(port, protocol, interface=address) for each address), or serve the port "
               "from a plain socket with the pattern below",
    "gevent": "gevent's DatagramServer replies with sendto(): receive and reply on the socket with the "
              "pattern below",
    "anyio": "anyio/trio UDP sockets have no sendmsg(): bind one socket per local address, or use a plain "
             "socket with the pattern below",
    "trio": "trio UDP sockets have no sendmsg() with ancillary data on every platform: use a plain socket "
            "with the pattern below",
}


def plan_target(source: Source, target: FixTarget) -> Plan:
    """The fix for one finding, against the re-parsed file it edits."""
    from . import asyncio_fix, plain, socketserver_fix

    if not target.same_module:
        return suggestion(plain.pattern("the socket is bound in one module and replies in another: no automatic fix"))
    if target.kind == "socket":
        return plain.plan(source, target)
    if target.kind == "socketserver":
        return socketserver_fix.plan(source, target)
    if target.kind == "asyncio":
        return asyncio_fix.plan(source, target)
    return suggestion(plain.pattern(FRAMEWORK_HINTS.get(target.kind, "no automatic fix for this framework")))


def plan_finding(source: Source, targets: Sequence[FixTarget]) -> Plan:
    """The fix for one finding: every socket its reply serves must be fixable."""
    plans = [plan_target(source, target) for target in targets]
    blocked = [p for p in plans if not p.applicable]
    return blocked[0] if blocked else merged(plans)


def plan_file(path: str, text: str, targets: Dict[FindingKey, Sequence[FixTarget]]) -> Tuple[Source, Dict[FindingKey, Plan]]:
    """Plans for every finding in one file, all against one parse of `text`."""
    source = Source(path, text)
    plans: Dict[FindingKey, Plan] = {}
    for key, found in targets.items():
        try:
            plans[key] = plan_finding(source, found)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
            # a fix we cannot plan must never hide the finding: it keeps the generic hint
            plans[key] = suggestion(f"no automatic fix ({type(error).__name__}: {error})")
    return source, plans


def edits_between(before: str, after: str) -> Tuple[Edit, ...]:
    """Line-granular edits that turn `before` into `after`."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    edits = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(Edit("".join(new[j1:j2]), Location(i1 + 1, 1), Location(i2 + 1, 1)))
    return tuple(edits)


def attach_fixes(findings: List[Finding], analysis) -> List[Finding]:
    """The findings with `fix` filled in where a fix or an exact suggestion exists."""
    from .from_analysis import file_texts, targets_by_path

    if not findings or analysis is None or analysis.facts is None:
        return findings
    texts = file_texts(analysis)
    fixes: Dict[FindingKey, Fix] = {}
    from ..python.parsing import ParseFailure

    for path, targets in targets_by_path(analysis).items():
        if path not in texts:
            continue
        try:
            source, plans = plan_file(path, texts[path], targets)
        except (ParseFailure, cst.ParserSyntaxError, RecursionError):
            continue  # the file does not parse for the fixer: its findings keep the rule's generic hint
        for key, plan in plans.items():
            edits: Tuple[Edit, ...] = ()
            applicability = plan.applicability
            if plan.applicable:
                edits = edits_between(source.text, render(source, [plan]))
                applicability = applicability if edits else DISPLAY
            fixes[key] = Fix(applicability, plan.message, edits)
    out = []
    for finding in findings:
        fix = fixes.get((finding.filename, finding.location.row, finding.location.column, finding.code))
        out.append(finding if fix is None else replace(finding, fix=fix))
    return out

