"""`path:line:col: CODE message`, then an indented `fix:` hint, as ruff's full output does.

A file name's bytes that are not UTF-8 are printed as `\\xNN` (see findings.printable)."""
from __future__ import annotations

from typing import List

from ..catalog import RULES
from ..findings import Finding, printable


def _where(filename: str, row: int, column: int) -> str:
    return f"{printable(filename)}:{row}:{column}"


def _head(finding: Finding) -> str:
    return f"{_where(finding.filename, finding.location.row, finding.location.column)}: {finding.code} {finding.message}"


def render(findings: List[Finding]) -> str:
    lines = []
    for finding in findings:
        lines.append(_head(finding))
        for related in finding.related:
            where = _where(related.filename, related.location.row, related.location.column)
            lines.append(f"    note: {where}: {related.message}")
        rule = RULES.get(finding.code)
        if finding.fix is not None:
            message = finding.fix.message.replace("\n", "\n        ")  # a suggested code block stays indented
            lines.append(f"    fix ({finding.fix.applicability}): {message}")
        elif rule is not None:
            lines.append(f"    fix: {rule.fix_hint} (see `udplint rule {finding.code}`)")
    return "\n".join(lines) + ("\n" if lines else "")


def render_concise(findings: List[Finding]) -> str:
    return "".join(_head(f) + "\n" for f in findings)


def summary(count: int, files: int) -> str:
    if count == 0:
        return f"All checks passed ({files} file{'s' if files != 1 else ''} checked)."
    return f"Found {count} error{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''} checked."
