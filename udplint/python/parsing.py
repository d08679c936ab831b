"""Parsing a module with libcst so that every file CPython accepts parses, and nothing crashes.

Two differences between CPython and libcst's native parser matter on real and hostile trees:

- Indentation. CPython compares indentation by column (a tab advances to the next multiple of 8,
  and the same comparison with tabs counted as 1 column must agree). libcst keeps each block's
  indentation as a string and requires a nested block's indentation to *extend* its parent's, so
  a block indented with a tab + 8 spaces inside a block indented with 4 spaces, which CPython
  accepts (columns 16 > 4, and 9 > 4), fails with a tokenizer error reported at 1:1. When CPython
  accepts the text and libcst does not, the leading tabs of every line that is not inside a
  string are expanded to CPython's columns and the parse is retried: the meaning is unchanged,
  line numbers are unchanged, and only columns on those lines move. A fix rendered from such a
  tree writes the expanded indentation back.
- Limits. libcst's parser recurses on nesting and crashes the process (segfault) near 1,400
  nested brackets, and takes minutes on a 50,000-link attribute chain or a 20,000-term sum.
  CPython refuses all of these (more than 200 nested brackets, 100 indentation levels, or an
  expression too deep for its own parser), so such text is not Python that any interpreter
  runs: it is rejected before libcst sees it, with CPython's message and position. One shape
  CPython accepts (it keeps it flat) crashes libcst too: an `and`/`or` chain of ~10,000
  operands; chains over MAX_BOOLEAN_OPERANDS are refused.

CPython's own parse (`ast.parse`, C speed, ~1/6 of libcst's parse time) runs first on every file.
A file CPython rejects with a plain syntax error may be newer Python than the interpreter udplint
runs on, so it is still given to libcst, unless it cannot be newer syntax (an indentation error)
or has a logical line so long that libcst's backtracking on the error would take minutes (more
than MAX_ERROR_LINE_TOKENS tokens): then CPython's error is the report.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, List, Optional, Set, Tuple

import libcst as cst
from libcst._nodes.base import CSTNode

# CPython's messages for a limit of its parser, not for wrong syntax.
_LIMIT_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too deeply nested")
TAB_SIZE = 8  # CPython's tokenizer: a tab advances to the next multiple of 8
MAX_BOOLEAN_OPERANDS = 3000  # libcst parses 3,000 in 0.3 s and segfaults near 10,000
MAX_RETRY_CHARS = 1_000_000
MAX_ERROR_LINE_TOKENS = 2000  # libcst needs ~1 s to reject a 1,000-call chain, minutes for 5,000
# A module is parsed in parts of about this many characters, each a run of whole top-level
# statements: libcst's tree takes ~430 bytes per source character (110 MB for a 250 KB test
# module), and a part's tree is dropped once it is summarised.
PART_CHARS = 16_000
_LINE_END = re.compile(r"\r\n|\r|\n")  # what CPython's tokenizer counts as a line end


@dataclass(eq=False)
class ParseFailure(Exception):
    """Text that cannot be parsed. `line` and `column` are 1-based; `kind` is a FileError kind."""

    message: str
    line: int
    column: int
    kind: str = "syntax"

    def __str__(self) -> str:
        if self.kind == "syntax":
            return f"syntax error at {self.line}:{self.column}: {self.message}"
        return f"{self.message} (at {self.line}:{self.column})"


def _cpython_verdict(text: str) -> Optional[ParseFailure]:
    """None when CPython parses `text`, else why not (kind "too-complex" for its limits)."""
    return cpython_parse(text)[1]


def cpython_parse(text: str) -> Tuple[Optional[ast.Module], Optional[ParseFailure]]:
    """CPython's tree of `text`, or why CPython refuses it (kind "too-complex" for its limits)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not our report
            return ast.parse(text), None
    except SyntaxError as error:
        message = error.msg or "invalid syntax"
        kind = "too-complex" if any(limit in message for limit in _LIMIT_MESSAGES) else "syntax"
        if "\0" in text and error.lineno is None:  # CPython gives no position for a NUL byte
            return None, _nul_failure(text, message)
        return None, ParseFailure(message, error.lineno or 1, error.offset or 1, kind)
    except (RecursionError, MemoryError):
        return None, ParseFailure("too deeply nested for CPython's parser", 1, 1, "too-complex")
    except ValueError as error:  # null bytes (some Python versions)
        return None, (_nul_failure(text, str(error)) if "\0" in text else ParseFailure(str(error), 1, 1))


def _nul_failure(text: str, message: str) -> ParseFailure:
    before = text[: text.index("\0")]
    return ParseFailure(message, before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)


def _boolean_chain_too_long(text: str) -> Optional[ParseFailure]:
    """CPython keeps `a or b or ...` flat; libcst nests it and crashes on long chains."""
    if text.count(" or ") + text.count(" and ") <= MAX_BOOLEAN_OPERANDS:
        return None  # the cheap count bounds every chain: no need to walk the tree
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOLEAN_OPERANDS:
            return ParseFailure(f"an and/or chain of {len(node.values)} operands (limit {MAX_BOOLEAN_OPERANDS})",
                                node.lineno, node.col_offset + 1, "too-complex")
    return None


def _worth_retrying_with_libcst(text: str, verdict: ParseFailure) -> bool:
    """After CPython's syntax error: could libcst accept it (newer syntax), at a bounded cost?"""
    if verdict.message.startswith(("unindent", "unexpected indent", "expected an indented block",
                                   "inconsistent use of tabs")):
        return False  # indentation rules are the same in every Python 3
    if "\0" in text:
        return False  # no Python accepts a NUL byte (libcst does, and its string values then break)
    if len(text) > MAX_RETRY_CHARS:
        return False  # tokenizing it in Python to decide would itself take seconds
    longest = tokens = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens += 1
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                longest, tokens = max(longest, tokens), 0
    except (tokenize.TokenError, SyntaxError):
        return len(text) < 100_000
    return max(longest, tokens) <= MAX_ERROR_LINE_TOKENS


def _string_interior_rows(text: str) -> Optional[Set[int]]:
    """Rows (1-based) that begin inside a multi-line string, whose leading whitespace is content."""
    rows: Set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                rows.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        return None
    return rows


def _expanded(indentation: str) -> str:
    column = 0
    for char in indentation:
        column = (column // TAB_SIZE + 1) * TAB_SIZE if char == "\t" else column + 1
    return " " * column


def expand_indentation_tabs(text: str) -> str:
    """`text` with the leading tabs of each line outside strings replaced by CPython's columns."""
    if "\t" not in text:
        return text
    inside = _string_interior_rows(text)
    if inside is None:
        return text
    lines = text.splitlines(keepends=True)
    for row, line in enumerate(lines, start=1):
        body = line.lstrip(" \t")
        indentation = line[: len(line) - len(body)]
        if "\t" in indentation and row not in inside:
            lines[row - 1] = _expanded(indentation) + body
    return "".join(lines)


def _libcst_failure(error: cst.ParserSyntaxError) -> ParseFailure:
    message = str(error).strip().splitlines()
    first = message[0] if message else "syntax error"
    detail = next((line for line in message[1:] if line.strip()), "")
    if detail.startswith("tokenizer error:"):
        first = detail
    return ParseFailure(first, error.raw_line, error.raw_column + 1)


@contextmanager
def _parser_built_nodes() -> Iterator[None]:
    """libcst validates every node it constructs (`CSTNode.__post_init__` runs `_validate`, regular
    expressions over each piece of whitespace): a quarter of the parse time, and redundant for
    nodes its own parser builds from text it has just tokenized and parsed (libcst's own comment
    there says as much). Skipped for the parse only: nodes the fixer builds are still validated."""
    validating = CSTNode.__dict__["__post_init__"]
    CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        yield
    finally:
        CSTNode.__post_init__ = validating  # type: ignore[method-assign]


def _no_validation(self: CSTNode) -> None:
    return None


def _libcst_parse(text: str) -> cst.Module:
    with _parser_built_nodes():
        return cst.parse_module(text)


def parse_module(text: str, cpython_accepts: bool = False) -> cst.Module:
    """libcst's Module for `text`, or ParseFailure with a real line:column.

    Accepts every text CPython accepts (see the module docstring for indentation), and rejects
    what CPython's parser refuses for its limits before libcst could crash on it.
    `cpython_accepts`: the caller has just parsed `text` with `ast.parse` without an error.
    """
    verdict = None if cpython_accepts else _cpython_verdict(text)
    if verdict is None:
        verdict_on_shape = _boolean_chain_too_long(text)
        if verdict_on_shape is not None:
            raise verdict_on_shape
    elif verdict.kind == "too-complex" or not _worth_retrying_with_libcst(text, verdict):
        raise verdict
    try:
        return _libcst_parse(text)
    except cst.ParserSyntaxError as error:
        failure = _libcst_failure(error)
    except RecursionError:
        failure = ParseFailure("too deeply nested to parse", 1, 1, "too-complex")
    if verdict is not None:
        raise verdict  # CPython rejects it too: its message and position are the precise ones
    normalised = expand_indentation_tabs(text)
    if normalised != text:
        try:
            return _libcst_parse(normalised)
        except (cst.ParserSyntaxError, RecursionError):
            pass
    raise failure


def top_level_parts(text: str, tree: ast.Module, part_chars: int = PART_CHARS) -> List[str]:
    """`text` cut, at lines where a top-level statement begins (its first decorator), into
    consecutive parts of about `part_chars` characters; joined, they are `text` again."""
    starts = sorted({min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
                     for node in tree.body})
    if len(text) <= part_chars or len(starts) < 2:
        return [text]
    line_offsets = [0] + [match.end() for match in _LINE_END.finditer(text)]
    parts: List[str] = []
    begin = 0
    for line in starts[1:]:
        offset = line_offsets[line - 1] if line - 1 < len(line_offsets) else len(text)
        if offset - begin >= part_chars:
            parts.append(text[begin:offset])
            begin = offset
    parts.append(text[begin:])
    return parts


def parse_in_parts(parts: List[str]) -> Iterator[cst.Module]:
    """libcst's tree of each part in turn (text CPython accepted as a whole). A part libcst
    refuses raises ParseFailure: the caller then parses the whole text for the precise report."""
    for part in parts:
        yield parse_module(part, cpython_accepts=True)
