"""The command line's side of fixing: `check --fix`, `--unsafe-fixes`, `--diff`, `udplint fix`."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ..sources import WalkOptions
from .apply import apply_fixes, plan_fixes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (with --fix or --diff)")
    parser.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff and change nothing (exit 1 if there are any)")


def expand_fix_command(argv: List[str]) -> List[str]:
    """`udplint fix PATH...` is short for `udplint check --fix PATH...`."""
    if argv and argv[0] == "fix":
        return ["check", "--fix", *argv[1:]]
    return argv


def run(args: argparse.Namespace) -> Optional[int]:
    """Apply or show fixes. Returns an exit status when the command is done (`--diff`), else None."""
    if not (getattr(args, "fix", False) or getattr(args, "diff", False)):
        return None
    outcome = plan_fixes(args.paths, unsafe=args.unsafe_fixes, select=args.select, ignore=args.ignore,
                         walk=WalkOptions.from_args(args))
    if args.diff:
        for change in outcome.changes:
            sys.stdout.write(change.diff())
        for error in outcome.errors:
            print(error, file=sys.stderr)
        if not args.quiet:
            files = len(outcome.changes)
            print(f"Would fix {outcome.fixed} finding{'s' * (outcome.fixed != 1)} in {files} file{'s' * (files != 1)}.",
                  file=sys.stderr)
        return 1 if outcome.changes else 0
    apply_fixes(outcome)
    for error in outcome.errors:
        if error.kind == "fix":
            print(error, file=sys.stderr)
    if not args.quiet and outcome.changes:
        files = len(outcome.changes)
        print(f"Fixed {outcome.fixed} finding{'s' * (outcome.fixed != 1)} in {files} file{'s' * (files != 1)}.",
              file=sys.stderr)
    return None
