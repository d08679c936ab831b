"""A JSON array with ruff's field names, so tools that read `ruff --output-format json` read this.

JSON strings must be Unicode: a file name's bytes that are not UTF-8 are spelt `\\xNN` in
`filename` (findings.printable), never written as lone surrogates that strict parsers reject."""
from __future__ import annotations

import json
from typing import List

from ..catalog import RULES
from ..findings import Finding, Fix, Location, printable


def _location(location: Location) -> dict:
    return {"row": location.row, "column": location.column}


def _fix(fix: Fix):
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {"content": e.content, "location": _location(e.location), "end_location": _location(e.end_location)}
            for e in fix.edits
        ],
    }


def as_dict(finding: Finding) -> dict:
    rule = RULES.get(finding.code)
    return {
        "code": finding.code,
        "filename": printable(finding.filename),
        "location": _location(finding.location),
        "end_location": _location(finding.end_location),
        "message": printable(finding.message),
        "fix": _fix(finding.fix),
        "url": rule.url if rule else None,
        "related": [
            {"filename": printable(r.filename), "location": _location(r.location), "message": printable(r.message)}
            for r in finding.related
        ],
    }


def render(findings: List[Finding]) -> str:
    return json.dumps([as_dict(f) for f in findings], indent=2) + "\n"
