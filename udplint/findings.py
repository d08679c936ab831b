"""Plain data for findings, shared by every checker (Python, semgrep) and every reporter."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True, order=True)
class Location:
    """1-based line, 1-based column (as ruff and flake8 print them)."""

    row: int
    column: int


@dataclass(frozen=True)
class Related:
    """A second place that explains a finding (e.g. the reply site of a cross-module flow)."""

    filename: str
    location: Location
    message: str


@dataclass(frozen=True)
class Edit:
    """Replace the text between two locations (end exclusive) with `content`."""

    content: str
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" | "unsafe" | "display-only" (suggestion, never applied)
    message: str
    edits: tuple = ()


@dataclass(frozen=True)
class Finding:
    code: str
    filename: str
    location: Location
    end_location: Location
    message: str
    related: tuple = ()  # tuple[Related, ...]
    fix: Optional[Fix] = None
    source_line: str = field(default="", compare=False)  # the reported line's text, for fingerprints

    def sort_key(self):
        return (self.filename, self.location, self.code)


# What each kind of file problem says after the path: the reason follows the prefix.
FILE_ERROR_PREFIXES = {
    "missing": "",  # the reason says it all: "no such file or directory"
    "read": "cannot read: ",
    "decode": "cannot decode: ",
    "syntax": "cannot parse: ",
    "too-large": "too large to check: ",
    "too-complex": "too large/complex to analyse: ",
    "skipped": "skipped: ",
    "analysis": "cannot analyse: ",
    "fix": "cannot fix: ",
    "internal": "internal error: ",  # udplint's own failure on this file: exit 2, please report
}


def printable(text: str) -> str:
    """`text` with the undecodable bytes of a file name (surrogate escapes) spelt `\\xNN`.

    Paths come from the file system as str with surrogateescape; printed or encoded as UTF-8 they
    would raise. Every output (terminal, JSON, SARIF, baseline) uses this spelling.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte: spell it out as is
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked or fixed. `kind` is one of FILE_ERROR_PREFIXES."""

    filename: str
    reason: str
    kind: str = "read"
    location: Optional[Location] = None  # where the parser gave up, for a syntax error

    def __post_init__(self) -> None:
        if self.kind not in FILE_ERROR_PREFIXES:
            raise ValueError(f"unknown FileError kind {self.kind!r}")

    @property
    def is_syntax_error(self) -> bool:
        return self.location is not None

    @property
    def internal(self) -> bool:
        """A failure of udplint's, not of the file: the run's exit status says so."""
        return self.kind == "internal"

    @property
    def fatal(self) -> bool:
        """A path the user named that does not exist: the run goes on, then exits 2."""
        return self.kind == "missing"

    def __str__(self) -> str:
        reason = " ".join(self.reason.split())  # one line, whatever the reason carried
        return f"{printable(self.filename)}: {FILE_ERROR_PREFIXES[self.kind]}{printable(reason)}"
