"""Resolve C preprocessor conditionals so that semgrep can parse files that split code across them.

Real servers write `#ifdef HAVE_IPV6 ... { ... #else ... { ... #endif` inside functions and parameter
lists; semgrep parses the file without preprocessing and rejects it. Like `unifdef`, this module
produces variants of the file with every conditional resolved: one takes the first branch of every
`#if`/`#ifdef` chain, the other the last branch (the `#else`, when there is one). Removed lines,
and the directive lines themselves, are blanked rather than deleted, so every line and column of a
variant is the line and column of the original file.

`#if 0` is always resolved to its other branch and `#if 1` to its first: those are comments.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional

_DIRECTIVE = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")


@dataclass
class Conditional:
    """One `#if ... #endif` chain: the line index where each branch starts, and of its `#endif`."""

    starts: List[int] = field(default_factory=list)
    condition: str = ""  # the first branch's condition text (for #if 0 / #if 1)
    has_else: bool = False
    end: int = -1


def _conditionals(lines: List[str]) -> Optional[List[tuple]]:
    """(conditional, branch index) for each line, innermost last; None if the nesting is broken."""
    stack: List[tuple] = []  # (Conditional, branch index)
    per_line: List[tuple] = []
    continued: Optional[tuple] = None  # frames of a directive whose line ends with a backslash
    for index, line in enumerate(lines):
        if continued is not None:
            per_line.append(continued)
            continued = continued if line.rstrip().endswith("\\") else None
            continue
        match = _DIRECTIVE.match(line)
        if match and line.rstrip().endswith("\\"):
            continued = tuple(stack) + ((Conditional(), -1),)
        kind = match.group(1) if match else ""
        if kind in ("if", "ifdef", "ifndef"):
            cond = Conditional(starts=[index], condition=(match.group(2).strip() if kind == "if" else kind))
            per_line.append(tuple(stack) + ((cond, -1),))  # the directive line: blanked in every variant
            stack.append((cond, 0))
            continue
        if kind in ("elif", "else", "endif"):
            if not stack:
                return None
            cond, branch = stack.pop()
            per_line.append(tuple(stack) + ((cond, -1),))
            if kind == "endif":
                cond.end = index
                continue
            cond.starts.append(index)
            cond.has_else = cond.has_else or kind == "else"
            stack.append((cond, branch + 1))
            continue
        per_line.append(tuple(stack))
    if stack:
        return None
    return per_line


def _chosen(cond: Conditional, prefer_last: bool) -> int:
    count = len(cond.starts)
    condition = re.sub(r"/\*.*?\*/|//.*", "", cond.condition).strip()
    if condition == "0":
        return count - 1 if cond.has_else else -2  # -2: no branch is kept
    if condition == "1":
        return 0
    if prefer_last and cond.has_else:
        return count - 1
    return 0


def resolve(text: str, prefer_last: bool) -> Optional[str]:
    """The file with every conditional resolved (see the module doc); None if #if/#endif do not pair."""
    lines = text.split("\n")
    per_line = _conditionals(lines)
    if per_line is None:
        return None
    out = []
    for line, frames in zip(lines, per_line):
        keep = all(branch >= 0 and branch == _chosen(cond, prefer_last) for cond, branch in frames)
        out.append(line if keep else "")
    return "\n".join(out)


def variants(text: str) -> List[str]:
    """The distinct resolved variants of `text` (empty when it has no conditionals or they do not pair)."""
    found: List[str] = []
    for prefer_last in (False, True):
        variant = resolve(text, prefer_last)
        if variant is not None and variant != text and variant not in found:
            found.append(variant)
    return found


_CODE_NOISE = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)


def needs_variants(text: str) -> bool:
    """True when a conditional sits inside braces or parentheses, or one of its branches opens or
    closes more than it balances: the shapes that make an unpreprocessed parse fail or lose code."""
    if "#if" not in text and "# if" not in text:
        return False
    depth = 0
    branch_delta: List[int] = []
    for raw in _CODE_NOISE.sub(lambda m: "\n" * m.group(0).count("\n"), text).split("\n"):
        match = _DIRECTIVE.match(raw)
        if match:
            kind = match.group(1)
            if depth > 0:
                return True
            if kind in ("if", "ifdef", "ifndef"):
                branch_delta.append(0)
            elif branch_delta:
                if branch_delta[-1] != 0:
                    return True
                if kind == "endif":
                    branch_delta.pop()
            continue
        if raw.lstrip().startswith("#"):
            continue  # #define bodies do not count
        delta = raw.count("{") + raw.count("(") - raw.count("}") - raw.count(")")
        depth += delta
        if branch_delta:
            branch_delta[-1] += delta
    return False
