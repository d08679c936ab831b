"""Autofixes: turn rule violations into rewrites of the source (or exact suggestions).

A `Plan` says, for one violation, what to change in one module: calls to route through an
injected helper, expressions to replace, statements to insert, and which helper parts the module
needs. Plans are rendered with a libcst transform of the module's tree; a module's plans are
rendered together, so shared helpers are inserted once.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..findings import Edit, Finding, Fix, Location
from . import templates

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"


@dataclass(eq=False)
class Plan:
    module: object  # udplint.python.project.ModuleInfo
    applicability: str
    message: str
    calls: Dict[cst.Call, str] = field(default_factory=dict)  # `r.m(a)` -> `helper(r, a)`
    replacements: Dict[cst.CSTNode, cst.BaseExpression] = field(default_factory=dict)
    before: Dict[cst.SimpleStatementLine, List[str]] = field(default_factory=dict)
    parts: Set[str] = field(default_factory=set)

    @property
    def applicable(self) -> bool:
        return self.applicability in (SAFE, UNSAFE) and bool(self.calls or self.replacements)


def suggestion(module, message: str) -> Plan:
    return Plan(module, DISPLAY, message)


# -- rendering ----------------------------------------------------------------------------------
class _Rewriter(cst.CSTTransformer):
    def __init__(self, plans: Sequence[Plan], parts: Sequence[str]) -> None:
        super().__init__()
        self.calls: Dict[cst.Call, str] = {}
        self.replacements: Dict[cst.CSTNode, cst.BaseExpression] = {}
        self.before: Dict[cst.SimpleStatementLine, List[str]] = {}
        for plan in plans:
            self.calls.update(plan.calls)
            self.replacements.update(plan.replacements)
            for stmt, lines in plan.before.items():
                known = self.before.setdefault(stmt, [])
                known.extend(line for line in lines if line not in known)
        self.parts = parts

    def on_leave(self, original_node, updated_node):
        updated = super().on_leave(original_node, updated_node)
        if original_node in self.replacements:
            return self.replacements[original_node]
        if original_node in self.calls and isinstance(updated, cst.Call):
            return _helper_call(updated, self.calls[original_node])
        if original_node in self.before and isinstance(updated, cst.SimpleStatementLine):
            inserted = [cst.parse_statement(line + "\n") for line in self.before[original_node]]
            inserted[0] = inserted[0].with_changes(leading_lines=updated.leading_lines)
            return cst.FlattenSentinel([*inserted, updated.with_changes(leading_lines=())])
        return updated

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.parts:
            return updated_node
        return insert_helpers(updated_node, self.parts)


def _helper_call(call: cst.Call, helper: str) -> cst.Call:
    """`recv.method(args)` -> `helper(recv, args)`, keeping the arguments' text as it was."""
    receiver = call.func.value  # type: ignore[attr-defined]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if call.args else cst.MaybeSentinel.DEFAULT
    first = cst.Arg(value=receiver, comma=comma)
    return call.with_changes(func=cst.Name(helper), args=[first, *call.args])


def _is_prelude(stmt: cst.CSTNode, index: int) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            continue
        if index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue
        return False
    return True


def insert_helpers(module: cst.Module, parts: Sequence[str]) -> cst.Module:
    """Insert the helper block after the module's leading docstring and imports."""
    body = list(module.body)
    at = 0
    while at < len(body) and _is_prelude(body[at], at):
        at += 1
    block = cst.parse_module(templates.helper_block(parts))
    banner = [cst.EmptyLine(), cst.EmptyLine()] if at else []
    header = [*banner, *block.header]
    new = list(block.body)
    new[0] = new[0].with_changes(leading_lines=[*header, *new[0].leading_lines])
    footer = list(block.footer)
    if at < len(body):
        nxt = body[at]
        body[at] = nxt.with_changes(leading_lines=[*footer, cst.EmptyLine(), cst.EmptyLine(), *_strip_blank(nxt.leading_lines)])
        return module.with_changes(body=[*body[:at], *new, *body[at:]])
    return module.with_changes(body=[*body, *new], footer=[*footer, *module.footer])


def _strip_blank(lines):
    lines = list(lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines


def render(module, plans: Sequence[Plan]) -> str:
    """The module's source with `plans` applied (helpers inserted once)."""
    plans = [p for p in plans if p.applicable]
    if not plans:
        return module.source
    wanted: Set[str] = set()
    for plan in plans:
        wanted |= plan.parts
    parts = templates.missing_parts(module.source, sorted(wanted))
    tree: cst.Module = module.tree
    return tree.visit(_Rewriter(plans, parts)).code


def edits_between(before: str, after: str) -> Tuple[Edit, ...]:
    """Line-granular edits that turn `before` into `after`."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    edits = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(Edit("".join(new[j1:j2]), Location(i1 + 1, 1), Location(i2 + 1, 1)))
    return tuple(edits)


# -- planning -----------------------------------------------------------------------------------
def plan_violation(facts, violation) -> Optional[Plan]:
    from . import asyncio_fix, plain, socketserver_fix

    kind = violation.server.kind
    if kind == "socket":
        return plain.plan(facts, violation)
    if kind == "socketserver":
        return socketserver_fix.plan(facts, violation)
    if kind == "asyncio":
        return asyncio_fix.plan(facts, violation)
    return plain.framework_suggestion(facts, violation)


def anchor_key(violation) -> Tuple[str, int, int, str]:
    reply, bind = violation.reply, violation.bind
    node, ctx = (reply.node, reply.ctx) if reply.ctx.module is bind.ctx.module else (bind.node, bind.ctx)
    start = ctx.module.positions[node].start
    return (ctx.module.display, start.line, start.column + 1, violation.code)


def plans_by_finding(facts) -> Dict[Tuple[str, int, int, str], Plan]:
    from ..python.rules import violations

    plans: Dict[Tuple[str, int, int, str], Plan] = {}
    for violation in violations(facts):
        key = anchor_key(violation)
        if key in plans:
            continue
        try:
            plan = plan_violation(facts, violation)
        except Exception:  # a fix we cannot plan must never hide the finding
            plan = None
        if plan is not None:
            plans[key] = plan
    return plans


def attach_fixes(findings: List[Finding], facts) -> List[Finding]:
    """The findings with `fix` filled in where a fix or an exact suggestion exists."""
    plans = plans_by_finding(facts)
    out = []
    for finding in findings:
        plan = plans.get((finding.filename, finding.location.row, finding.location.column, finding.code))
        if plan is None:
            out.append(finding)
            continue
        edits: Tuple[Edit, ...] = ()
        if plan.applicable:
            try:
                edits = edits_between(plan.module.source, render(plan.module, [plan]))
            except Exception:
                plan = replace(plan, applicability=DISPLAY)
        out.append(replace(finding, fix=Fix(plan.applicability, plan.message, edits)))
    return out


def finish_findings(findings: List[Finding], facts) -> List[Finding]:
    """Drop findings a fix already resolved (see recognize.py), then attach fixes."""
    from .recognize import fixed_keys

    try:
        done = fixed_keys(facts)
    except Exception:
        done = set()
    kept = [f for f in findings if (f.filename, f.location.row, f.location.column, f.code) not in done]
    return attach_fixes(kept, facts)
