"""The whole-run cache: a re-run over unchanged files returns the last run's findings.

Summaries are cached by content; this second level saves reading, hashing and solving when
nothing changed at all. It is keyed by every checked file's path, size, modification time and
inode, plus each module the solver loaded on demand (checked again on lookup), udplint's version
and the settings. Entries are JSON (data, never code); anything that does not match exactly is a
miss.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..cache import Cache
from ..findings import Edit, FileError, Finding, Fix, Location, Related

KIND = "runs"


def _stat_key(path: Path) -> Optional[str]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def run_key(cache: Cache, files: Sequence[Tuple[str, Path]]) -> Optional[str]:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(cache.stamp + b"\0")
    for display, path in files:
        stat = _stat_key(path)
        if stat is None:
            return None
        digest.update(f"{display}\0{stat}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@dataclass
class CachedRun:
    findings: List[Finding]
    errors: List[FileError]
    checked: int


def load(cache: Cache, key: str) -> Optional[CachedRun]:
    data = cache.get(KIND, key)
    if data is None:
        return None
    try:
        document = json.loads(data)
        for path, stat in document["on_demand"]:
            if _stat_key(Path(path)) != stat:
                return None
        return CachedRun([_finding(f) for f in document["findings"]],
                         [FileError(e["filename"], e["reason"], e["kind"],
                                    location=Location(*e["at"]) if e.get("at") else None)
                          for e in document["errors"]],
                         int(document["checked"]))
    except (ValueError, KeyError, TypeError):
        cache.stats.rejected += 1
        return None


def store(cache: Cache, key: str, run: CachedRun, on_demand: Sequence[Path]) -> None:
    document = {
        "findings": [_plain(f) for f in run.findings],
        "errors": [{"filename": e.filename, "reason": e.reason, "kind": e.kind,
                    "at": [e.location.row, e.location.column] if e.location else None} for e in run.errors],
        "checked": run.checked,
        "on_demand": [[str(p), _stat_key(p)] for p in on_demand],
    }
    cache.put(KIND, key, json.dumps(document, ensure_ascii=True, default=str).encode())


def _plain(finding: Finding) -> dict:
    return {
        "code": finding.code, "filename": finding.filename, "message": finding.message,
        "location": [finding.location.row, finding.location.column],
        "end": [finding.end_location.row, finding.end_location.column],
        "related": [[r.filename, r.location.row, r.location.column, r.message] for r in finding.related],
        "line": finding.source_line,
        "fix": None if finding.fix is None else {
            "applicability": finding.fix.applicability, "message": finding.fix.message,
            "edits": [[e.content, e.location.row, e.location.column, e.end_location.row, e.end_location.column]
                      for e in finding.fix.edits],
        },
    }


def _finding(data: dict) -> Finding:
    return Finding(
        code=str(data["code"]), filename=str(data["filename"]), message=str(data["message"]),
        location=Location(*map(int, data["location"])), end_location=Location(*map(int, data["end"])),
        related=tuple(Related(str(f), Location(int(r), int(c)), str(m)) for f, r, c, m in data["related"]),
        source_line=str(data["line"]),
        fix=_fix(data.get("fix")),
    )


def _fix(data) -> "Fix | None":
    if data is None:
        return None
    edits = tuple(Edit(str(c), Location(int(r), int(col)), Location(int(er), int(ec)))
                  for c, r, col, er, ec in data["edits"])
    return Fix(str(data["applicability"]), str(data["message"]), edits)
