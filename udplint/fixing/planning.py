"""Planning the fix of each finding (the entry points of the fixer): a `Workspace` of parsed files,
the plan per finding, and the fixes attached to findings for output."""
from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from ..findings import Edit, Finding, Fix, Location
from .locate import Project, Source
from .plan import DISPLAY, SAFE, UNSAFE, Plan, merged, render, suggestion
from .target import FixTarget

__all__ = ["SAFE", "UNSAFE", "DISPLAY", "Plan", "Workspace", "plan_target", "plan_findings", "attach_fixes"]

FindingKey = Tuple[str, int, int, str]

FRAMEWORK_HINTS = {
    "twisted": "Twisted's UDP transport has no sendmsg(): bind one port per local address "
               "(reactor.listenUDP(port, protocol, interface=address) for each address), or serve the port "
               "from a plain socket with the pattern below",
    "gevent": "gevent's DatagramServer replies with sendto(): receive and reply on the socket with the "
              "pattern below",
    "trio": "trio UDP sockets have no sendmsg() with ancillary data on every platform: use a plain socket "
            "with the pattern below",
}


def plan_target(source: Source, target: FixTarget) -> Plan:
    """The fix for one finding, against the re-parsed file (or files: a `Project`) it edits."""
    from . import anyio_fix, asyncio_fix, plain, socketserver_fix

    if target.kind == "socket":
        return plain.plan(source, target)
    if target.kind == "socketserver":
        return socketserver_fix.plan(source, target)
    if target.kind == "asyncio":
        return asyncio_fix.plan(source, target)
    if target.kind == "anyio":
        return anyio_fix.plan(source, target)
    return suggestion(plain.pattern(FRAMEWORK_HINTS.get(target.kind, "no automatic fix for this framework")))


class Workspace:
    """The files one run fixes, each parsed once: the plans of every finding (and a fix that
    spans modules) name the nodes of one tree per file, so a file's plans render together."""

    def __init__(self, texts: Dict[str, str]) -> None:
        self.texts = texts
        self._sources: Dict[str, Optional[Source]] = {}

    def source(self, path: str) -> Optional[Source]:
        from ..python.parsing import ParseFailure

        if path not in self._sources:
            try:
                self._sources[path] = Source(path, self.texts[path]) if path in self.texts else None
            except (ParseFailure, cst.ParserSyntaxError, RecursionError):
                self._sources[path] = None  # the file does not parse for the fixer: no fix touches it
        return self._sources[path]

    def for_target(self, target: FixTarget) -> Optional[Source]:
        """The file the fix edits, or every file it edits when bind, receive and reply are apart."""
        sources = [self.source(path) for path in target.paths()]
        if None in sources:
            return None
        primary = self.source(target.path)
        return primary if len(sources) == 1 else Project(sources, primary)

    def sources(self) -> List[Source]:
        return [s for s in self._sources.values() if s is not None]


def plan_finding(workspace: Workspace, targets: Sequence[FixTarget]) -> Optional[Plan]:
    """The fix for one finding: every socket its reply serves must be fixable. None when a file
    it needs cannot be read or parsed (the finding keeps the rule's generic hint)."""
    plans = []
    for target in targets:
        source = workspace.for_target(target)
        if source is None:
            return None
        try:
            plans.append(plan_target(source, target))
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
            # a fix we cannot plan must never hide the finding: it keeps the generic hint
            plans.append(suggestion(f"no automatic fix ({type(error).__name__}: {error})"))
    blocked = [p for p in plans if not p.applicable]
    if blocked:
        return blocked[0]
    plan = merged(plans)
    if len(plan.paths(workspace.sources())) > 1 and plan.applicability == SAFE:
        # code elsewhere in the project may use the edited functions or handlers the old way
        plan.applicability = UNSAFE
        plan.message += "; the fix edits several modules"
    return plan


def plan_findings(texts: Dict[str, str], targets: Dict[FindingKey, Sequence[FixTarget]]) -> Tuple[Workspace, Dict[FindingKey, Plan]]:
    """Plans for every finding, all against one parse of each file."""
    workspace = Workspace(texts)
    plans: Dict[FindingKey, Plan] = {}
    for key, found in targets.items():
        planned = plan_finding(workspace, found)
        if planned is not None:
            plans[key] = planned
    return workspace, plans


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


def _displayed_fix(workspace: Workspace, plan: Plan, path: str) -> Fix:
    """What a finding shows as its fix. Edits are for the finding's own file only, so a fix that
    also changes other modules is shown, not offered as edits (`--fix` applies it whole)."""
    if not plan.applicable:
        return Fix(plan.applicability, plan.message, ())
    touched = plan.paths(workspace.sources())
    source = workspace.source(path)
    if touched != [path] or source is None:
        others = ", ".join(sorted(touched))
        return Fix(DISPLAY, f"{plan.message} (`--fix{' --unsafe-fixes' if plan.applicability == UNSAFE else ''}` "
                            f"edits {others})", ())
    edits = edits_between(source.text, render(source, [plan]))
    return Fix(plan.applicability if edits else DISPLAY, plan.message, edits)


def attach_fixes(findings: List[Finding], analysis) -> List[Finding]:
    """The findings with `fix` filled in where a fix or an exact suggestion exists."""
    from .from_analysis import file_texts, targets_by_finding

    if not findings or analysis is None or analysis.facts is None:
        return findings
    found = targets_by_finding(analysis)
    workspace, plans = plan_findings(file_texts(analysis), {key: targets for key, (_, targets) in found.items()})
    fixes = {key: _displayed_fix(workspace, plan, found[key][0]) for key, plan in plans.items()}
    out = []
    for finding in findings:
        fix = fixes.get((finding.filename, finding.location.row, finding.location.column, finding.code))
        out.append(finding if fix is None else replace(finding, fix=fix))
    return out
