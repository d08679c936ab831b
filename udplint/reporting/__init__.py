"""Output formats. Each reporter takes plain findings (and, where the format has a place for
them, the files that could not be checked) and returns the text to print."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Dict, List

from ..findings import FileError, Finding
from . import github, jsonfmt, sarif, text
from .style import PLAIN, Style

REPORTERS: Dict[str, Callable[[List[Finding]], str]] = {
    "text": text.render,
    "concise": text.render_concise,
    "json": jsonfmt.render,
    "sarif": sarif.render,
    "github": github.render,
}
# The formats ruff ends with a summary line ("Found 3 errors."); the machine-readable ones have none.
FORMATS_WITH_SUMMARY = frozenset({"text", "concise"})


@dataclass
class Report:
    findings: List[Finding]
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0
    style: Style = PLAIN


def render(format_name: str, report: Report) -> str:
    """The findings in `format_name`, without the summary line."""
    if format_name in ("text", "concise"):
        return REPORTERS[format_name](report.findings, report.style)
    if format_name == "sarif":
        return sarif.render(report.findings, report.errors)
    return REPORTERS[format_name](report.findings)


def render_summary(format_name: str, report: Report) -> str:
    if format_name not in FORMATS_WITH_SUMMARY:
        return ""
    return text.summary(len(report.findings), report.files_checked) + "\n"


def render_statistics(format_name: str, report: Report) -> str:
    """`--statistics`: per-rule counts instead of findings; JSON for `--format json`, as in ruff."""
    if format_name == "json":
        return json.dumps(text.statistics(report.findings), indent=2) + "\n"
    return text.render_statistics(report.findings, report.style)
