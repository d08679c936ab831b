"""ruff's "full" text output: `path:line:col: CODE message`, the source line with a caret under the
finding, related notes, then an indented `fix:` hint; and the one-line `concise` format.

A file name's bytes that are not UTF-8 are printed as `\\xNN` (see findings.printable)."""
from __future__ import annotations

from collections import Counter
from typing import List

from ..catalog import RULES
from ..findings import Finding, printable
from .style import PLAIN, Style


def _where(filename: str, row: int, column: int) -> str:
    return f"{printable(filename)}:{row}:{column}"


def _head(finding: Finding, style: Style) -> str:
    where = f"{finding.location.row}:{finding.location.column}:"
    return f"{style(printable(finding.filename), 'bold')}:{where} {style(finding.code, 'bold', 'red')} {finding.message}"


def _caret_width(finding: Finding, line: str) -> int:
    """Up to the end column on a one-line finding, else to the end of the line; at least one."""
    start = finding.location.column - 1
    if finding.end_location.row == finding.location.row:
        end = finding.end_location.column - 1
    else:
        end = len(line.rstrip())
    return max(end - start, 1)


MAX_EXCERPT = 500  # characters of a source line worth printing


def excerpt(finding: Finding, style: Style = PLAIN) -> List[str]:
    """The reported line, numbered, with `^^^` under the reported span (ruff's full output)."""
    line = finding.source_line.rstrip("\r\n")
    if not line.strip():  # no text to show (a finding made without it, or a blank line at EOF)
        return []
    if len(line) > MAX_EXCERPT:  # a generated one-line file: show the part around the finding
        return []
    number = str(finding.location.row)
    gutter = " " * len(number) + " |"
    # Keep the line's own tabs in the caret's indent so the caret stays under the code.
    start = min(finding.location.column - 1, len(line))
    indent = "".join(ch if ch == "\t" else " " for ch in line[:start])
    carets = style("^" * _caret_width(finding, line), "bold", "red")
    return [
        style(gutter, "blue"),
        f"{style(number + ' |', 'blue')} {line}",
        f"{style(gutter, 'blue')} {indent}{carets} {style(finding.code, 'bold', 'red')}",
        style(gutter, "blue"),
    ]


def _notes(finding: Finding) -> List[str]:
    lines = [
        f"    note: {_where(related.filename, related.location.row, related.location.column)}: {related.message}"
        for related in finding.related
    ]
    rule = RULES.get(finding.code)
    if finding.fix is not None:
        message = finding.fix.message.replace("\n", "\n        ")  # a suggested code block stays indented
        lines.append(f"    fix ({finding.fix.applicability}): {message}")
    elif rule is not None:
        lines.append(f"    fix: {rule.fix_hint} (see `udplint rule {finding.code}`)")
    return lines


def render(findings: List[Finding], style: Style = PLAIN) -> str:
    blocks = []
    for finding in findings:
        blocks.append("\n".join([_head(finding, style), *excerpt(finding, style), *_notes(finding)]))
    return "".join(block + "\n\n" for block in blocks)


def render_concise(findings: List[Finding], style: Style = PLAIN) -> str:
    return "".join(_head(f, style) + "\n" for f in findings)


def summary(count: int, files: int) -> str:
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    if count == 0:
        return f"All checks passed ({checked})."
    return f"Found {count} error{'s' if count != 1 else ''} in {checked}."


def _fixable(finding: Finding) -> bool:
    return finding.fix is not None and bool(finding.fix.edits) and finding.fix.applicability in ("safe", "unsafe")


def statistics(findings: List[Finding]) -> List[dict]:
    """Per-rule counts, most frequent first (ties by code), as `ruff --statistics` lists them."""
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if _fixable(f))
    return [
        {"code": code, "name": RULES[code].name if code in RULES else "", "count": count,
         "fixable": fixable[code] == count}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_statistics(findings: List[Finding], style: Style = PLAIN) -> str:
    """`COUNT CODE [*] name` rows, aligned; `[*]` marks rules whose findings all have a fix."""
    rows = statistics(findings)
    if not rows:
        return ""
    count_width = max(len(str(row["count"])) for row in rows)
    code_width = max(len(row["code"]) for row in rows)
    return "".join(
        f"{str(row['count']).rjust(count_width)}\t{style(row['code'].ljust(code_width), 'bold', 'red')}\t"
        f"{'[*]' if row['fixable'] else '[ ]'} {row['name']}\n"
        for row in rows
    )
