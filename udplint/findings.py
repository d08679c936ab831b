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


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked: read error, bad encoding, syntax error, too large."""

    filename: str
    reason: str
    location: Optional[Location] = None  # where the parser gave up, for a syntax error

    @property
    def is_syntax_error(self) -> bool:
        return self.location is not None

    @property
    def internal(self) -> bool:
        """A failure of udplint's, not of the file: the run's exit status says so."""
        return self.reason.startswith("internal error")

    def __str__(self) -> str:
        if self.internal or self.reason.startswith("too large/complex"):
            return f"{self.filename}: {self.reason}"
        return f"{self.filename}: cannot parse: {self.reason}"
