"""Parsing a module's text with libcst, with failures as one typed error."""
from __future__ import annotations

import libcst as cst


class ParseFailure(Exception):
    """libcst could not parse the text; str() says where and why."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def parse_module(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "syntax error"
        raise ParseFailure(f"syntax error at {error.raw_line}:{error.raw_column + 1}: {first}",
                           error.raw_line, error.raw_column + 1) from None
