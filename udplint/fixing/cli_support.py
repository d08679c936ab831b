"""The command line's side of fixing: `check --fix`, `--unsafe-fixes`, `--diff`, `--show-fixes`,
`--exit-non-zero-on-fix`, `udplint fix`, and ruff's report after fixing."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import List, Optional

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - the fixer (and libcst) load only for a run that fixes
    from .apply import FixOutcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix or --diff)")
    parser.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff and change nothing (exit 1 if there are any)")
    parser.add_argument("--show-fixes", action="store_true", help="with --fix: list what was fixed, per file and rule")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="with --fix: exit 1 when anything was fixed, even if nothing is left")


def expand_fix_command(argv: List[str]) -> List[str]:
    """`udplint fix PATH...` is short for `udplint check --fix PATH...`."""
    if argv and argv[0] == "fix":
        return ["check", "--fix", *argv[1:]]
    return argv


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "fix", False) or getattr(args, "diff", False))


def run(args: argparse.Namespace, result) -> Optional[int]:
    """Apply or show the fixes of a check's result (its findings after selection, and the analysis
    they came from). Returns an exit status when the command is done (`--diff`), else None: the
    caller checks again and reports what is left (see `summary` and `exit_status`)."""
    if not wanted(args):
        return None
    from .apply import apply_fixes, plan_fixes

    outcome = plan_fixes(result.analysis, result.findings, unsafe=args.unsafe_fixes)
    if args.diff:
        for change in outcome.changes:
            sys.stdout.write(change.diff())
        for error in outcome.errors:
            print(error, file=sys.stderr)
        if not args.quiet:
            print(f"Would fix {_plural(outcome.fixed, 'finding')} in {_plural(len(outcome.changes), 'file')}.",
                  file=sys.stderr)
        return 1 if outcome.changes else 0
    apply_fixes(outcome)
    for error in outcome.errors:
        if error.kind == "fix":
            print(error, file=sys.stderr)
    args.fix_outcome = outcome
    return None


def show_fixes(outcome: "FixOutcome") -> str:
    """ruff's `--show-fixes` listing: `Fixed 2 errors:` then `- path:` and `    1 × UDP001`."""
    if not outcome.fixed:
        return "No errors fixed\n"
    lines = [f"Fixed {_plural(outcome.fixed, 'error')}:"]
    for change in outcome.changes:
        lines.append(f"- {change.display}:")
        for code, count in sorted(Counter(change.codes).items()):
            lines.append(f"    {count} \u00d7 {code}")
    return "\n".join(lines) + "\n"


def summary(args: argparse.Namespace, remaining: int) -> Optional[str]:
    """After `--fix`, ruff's line: `Found 3 errors (2 fixed, 1 remaining).` (None without --fix)."""
    outcome: Optional["FixOutcome"] = getattr(args, "fix_outcome", None)
    if outcome is None:
        return None
    text = ""
    if getattr(args, "show_fixes", False):
        text += show_fixes(outcome)
    if outcome.fixed == 0 and remaining == 0:
        return text + "All checks passed!"
    return text + (f"Found {_plural(outcome.fixed + remaining, 'error')} "
                   f"({outcome.fixed} fixed, {remaining} remaining).")


def exit_status(args: argparse.Namespace, status: int) -> int:
    outcome: Optional["FixOutcome"] = getattr(args, "fix_outcome", None)
    if outcome is not None and outcome.fixed and getattr(args, "exit_non_zero_on_fix", False):
        return max(status, 1)
    return status
