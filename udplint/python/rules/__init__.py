"""Python rules: each one module (`udp001`, `udp002`) with its code, its condition over facts,
its wording, and examples of code it flags and code it leaves alone."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

from ..facts import Bind, ProgramFacts, Reply, SocketFacts
from . import udp001, udp002
from .common import Candidate, candidates

RULES = (udp001, udp002)


@dataclass(frozen=True)
class Violation:
    code: str
    reply: Reply
    server: SocketFacts
    bind: Bind
    problem: str  # what is wrong with the reply, in words


def violations(facts: ProgramFacts) -> List[Violation]:
    """At most one violation per reply and project: the nearest server whose peer it answers and a
    rule flags, for the reply's own project and for each other project whose server it answers
    (an application answering through a library's send helper, checked with the library)."""
    found: List[Violation] = []
    decided = set()
    modules = facts.solver.program.modules
    for candidate in candidates(facts):
        key = (id(candidate.reply), modules[candidate.server.site.ctx.module].project)
        if key in decided:
            continue
        for rule in RULES:
            if rule.applies(candidate):
                found.append(Violation(rule.CODE, candidate.reply, candidate.server, candidate.bind,
                                       rule.problem(candidate)))
                decided.add(key)
                break
    return found


__all__ = ["RULES", "Violation", "violations", "Candidate"]
