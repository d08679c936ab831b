"""SARIF 2.1.0, for GitHub code scanning and any other SARIF viewer.

Every rule in the catalog is described once (summary, full docs as markdown help, docs URL), and
every result carries a content fingerprint (`partialFingerprints`) so an alert keeps its identity
when lines above it move, its related locations, and its fix when the fix has edits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional, Sequence
from urllib.parse import quote

from .. import __version__
from ..catalog import RULES
from ..findings import FILE_ERROR_PREFIXES, Edit, FileError, Finding, Location, printable
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
        "properties": _rule_properties(rule),
    }


def _rule_properties(rule) -> dict:
    """Code scanning sorts and labels alerts by `security-severity`; it reads it only for rules
    tagged `security`, so the two go together (UDP900, a parse failure, has neither)."""
    if rule.security_severity is None:
        return {"tags": ["correctness"], "precision": "very-high"}
    return {"tags": ["security", "correctness", "networking", "udp"], "precision": "high",
            "security-severity": rule.security_severity}


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


def _link_text(related) -> str:
    """`reply` for "reply sent here with sendto()": the first word (past an article) names the place."""
    words = [word for word in related.message.split() if word.lower() not in ("the", "a", "an")]
    return words[0].strip("[]()") if words else "related location"


def _message_with_links(finding: Finding) -> str:
    """SARIF's embedded links: `[text](N)` points at relatedLocations[].id N, so a viewer turns it
    into a link to that place. Brackets in the message itself are escaped, as the spec asks."""
    text = finding.message.replace("[", "\\[").replace("]", "\\]")
    links = [f"[{_link_text(related)}]({number})" for number, related in enumerate(finding.related, start=1)]
    return f"{text} (see {', '.join(links)})" if links else text


def _notification(error: FileError) -> dict:
    """A file that could not be checked, as a tool execution notification (and, for a syntax
    error, also a UDP900 result)."""
    location = {"physicalLocation": {"artifactLocation": _artifact(error.filename)}}
    if error.location is not None:
        location["physicalLocation"]["region"] = _region(error.location)
    return {
        "level": "error",
        "message": {"text": printable(FILE_ERROR_PREFIXES[error.kind] + error.reason)},
        "locations": [location],
        "descriptor": {"id": "UDP900" if error.is_syntax_error else "unreadable-file"},
    }


def _result(finding: Finding, rule_index: dict, fingerprint: tuple) -> dict:
    result = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": printable(_message_with_links(finding))},
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


def document(findings: List[Finding], errors: Sequence[FileError] = ()) -> dict:
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
            "invocations": [{
                "executionSuccessful": True,  # it ran to the end; files it could not read are listed
                "toolExecutionNotifications": [_notification(e) for e in errors],
            }],
            "results": [_result(f, rule_index, p) for f, p in zip(findings, prints)],
        }],
    }


def render(findings: List[Finding], errors: Sequence[FileError] = ()) -> str:
    return json.dumps(document(findings, errors), indent=2) + "\n"
