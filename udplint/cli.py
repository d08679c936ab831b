"""Command line: `udplint check [PATH ...]`, `udplint rule CODE | --all`.

Exit status (ruff's convention): 0 no findings, 1 findings, 2 usage error, internal error, or
nothing could be checked.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

from . import __version__, config, gate
from .api import check_paths
from .fixing import cli_support as fixing
from .catalog import RULES
from .reporting import REPORTERS
from .reporting.text import summary
from .polyglot.semgrep import SemgrepFailed, SemgrepMissing
from .sources import PathNotFound

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(text: str) -> List[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="udplint",
        description="Find UDP servers that answer from the wrong source address on multi-homed hosts.",
    )
    parser.add_argument("--version", action="version", version=f"udplint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files and folders (default: .)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", type=_codes, default=None, help="comma-separated rule codes or prefixes to report")
    check.add_argument("--ignore", type=_codes, default=[], help="comma-separated rule codes or prefixes to skip")
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="skip files and folders matching GLOB (repeatable)")
    check.add_argument("--format", choices=sorted(REPORTERS), default="text", help="output format (default: text)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    check.add_argument("--no-polyglot", action="store_true", help="check Python files only (skip C, Go, Java)")
    gate.add_arguments(check)
    fixing.add_arguments(check)
    commands.add_parser("fix", help="apply the available fixes (short for `check --fix`)", add_help=False)

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="rule code, e.g. UDP001")
    rule.add_argument("--all", action="store_true", help="print every rule's documentation")
    return parser


def run_check(args: argparse.Namespace) -> int:
    try:
        settings = config.resolve(args)  # [tool.udplint] fills in what the command line left unset
        fixed = fixing.run(args)  # --fix writes, then the check below reports what is left
        if fixed is not None:
            return fixed
        result = check_paths(args.paths, select=args.select, ignore=args.ignore, exclude=args.exclude,
                             polyglot=not args.no_polyglot)
        result.findings = gate.narrow(config.apply_per_file_ignores(result.findings, settings), args,
                                      settings.baseline)
    except (PathNotFound, config.ConfigError, gate.GateError, SemgrepMissing, SemgrepFailed) as error:
        print(f"udplint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    for error in result.errors:
        print(error, file=sys.stderr)
    sys.stdout.write(REPORTERS[args.format](result.findings))
    if args.format == "text" and not args.quiet:
        print(fixing.summary(args, len(result.findings)) or summary(len(result.findings), result.files_checked))
    if result.errors and result.files_checked == 0:
        return EXIT_ERROR
    if result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return fixing.exit_status(args, EXIT_CLEAN)


def run_rule(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.all:
        print("\n\n".join(rule.docs().rstrip() for rule in RULES.values()))
        return EXIT_CLEAN
    if not args.code:
        parser.error("rule: give a rule code (e.g. UDP001) or --all")
    code = args.code.upper()
    if code not in RULES:
        print(f"udplint: error: unknown rule {args.code!r}; known rules: {', '.join(RULES)}", file=sys.stderr)
        return EXIT_ERROR
    print(RULES[code].docs().rstrip())
    return EXIT_CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(fixing.expand_fix_command(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            return run_rule(args, parser)
        parser.print_help()
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as error:  # an internal error must still be one clear line, never a traceback
        print(f"udplint: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
