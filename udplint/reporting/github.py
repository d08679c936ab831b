"""GitHub Actions workflow commands: one `::error` line per finding, shown inline on the PR diff."""
from __future__ import annotations

from typing import List

from ..catalog import RULES
from ..findings import Finding, printable


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding) -> str:
    properties = {
        "file": printable(finding.filename),
        "line": finding.location.row,
        "col": finding.location.column,
        "endLine": finding.end_location.row,
        "endColumn": finding.end_location.column,
        "title": finding.code,
    }
    rule = RULES.get(finding.code)
    message = printable(finding.message)
    if finding.fix is not None:
        message += f"\nfix ({finding.fix.applicability}): {finding.fix.message}"
    elif rule is not None:
        message += f"\nfix: {rule.fix_hint} ({rule.url})"
    head = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {head}::{escape_data(message)}"


def render(findings: List[Finding]) -> str:
    return "".join(_command(f) + "\n" for f in findings)
