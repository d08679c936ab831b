"""SARIF 2.1.0, for GitHub code scanning and any other SARIF viewer.

Every rule in the catalog is described once (summary, full docs as markdown help, docs URL), and
every result carries a content fingerprint (`partialFingerprints`) so an alert keeps its identity
when lines above it move, its related locations, and its fix when the fix has edits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional
from urllib.parse import quote

from .. import __version__
from ..catalog import RULES
from ..findings import Edit, Finding, Location, printable
from ..gate import fingerprints, posix_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "udplintContentHash/v1"
INFORMATION_URI = "https://github.com/udplint/udplint"


def _rule(code: str) -> dict:
    rule = RULES[code]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary}: {rule.why}."},
        "help": {"text": f"{rule.fix_hint}. See {rule.url}", "markdown": rule.docs()},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["correctness", "networking", "udp"], "precision": "high"},
    }


def _artifact(filename: str) -> dict:
    """A URI percent-encodes the file name's bytes, whatever they are (RFC 3986, as git stores them)."""
    path = posix_path(filename)
    if path.startswith("/"):  # outside the directory udplint ran in: no base to be relative to
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(os.fsencode(path)), "uriBaseId": "%SRCROOT%"}


def _region(start: Location, end: Optional[Location] = None) -> dict:
    region = {"startLine": start.row, "startColumn": start.column}
    if end is not None and (end.row, end.column) >= (start.row, start.column):
        region.update(endLine=end.row, endColumn=end.column)
    return region


def _replacement(edit: Edit) -> dict:
    return {"deletedRegion": _region(edit.location, edit.end_location), "insertedContent": {"text": edit.content}}


def _result(finding: Finding, rule_index: dict, fingerprint: tuple) -> dict:
    result = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": printable(finding.message)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": _artifact(finding.filename),
                "region": _region(finding.location, finding.end_location),
            }
        }],
        "partialFingerprints": {FINGERPRINT_KEY: f"{fingerprint[0]}:{fingerprint[1]}"},
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "message": {"text": printable(related.message)},
                "physicalLocation": {
                    "artifactLocation": _artifact(related.filename),
                    "region": _region(related.location),
                },
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [{
            "description": {"text": f"{finding.fix.message} ({finding.fix.applicability})"},
            "artifactChanges": [{
                "artifactLocation": _artifact(finding.filename),
                "replacements": [_replacement(edit) for edit in finding.fix.edits],
            }],
        }]
    return result


def document(findings: List[Finding]) -> dict:
    codes = sorted(set(RULES) | {f.code for f in findings if f.code in RULES})
    rule_index = {code: index for index, code in enumerate(codes)}
    prints = fingerprints(findings)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "udplint",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "informationUri": INFORMATION_URI,
                    "rules": [_rule(code) for code in codes],
                }
            },
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, rule_index, p) for f, p in zip(findings, prints)],
        }],
    }


def render(findings: List[Finding]) -> str:
    return json.dumps(document(findings), indent=2) + "\n"
