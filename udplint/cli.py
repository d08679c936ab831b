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
from .sources import WalkOptions

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
                       help="skip files and folders matching GLOB (repeatable; replaces [tool.udplint] exclude)")
    check.add_argument("--extend-exclude", action="append", default=[], metavar="GLOB",
                       help="skip files and folders matching GLOB, on top of exclude (repeatable)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply the excludes and .gitignore to paths named on the command line too")
    check.add_argument("--no-respect-gitignore", action="store_true",
                       help="check files that .gitignore ignores")
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
        result = check_paths(args.paths, select=args.select, ignore=args.ignore, walk=WalkOptions.from_args(args),
                             polyglot=not args.no_polyglot)
        result.findings = gate.narrow(config.apply_per_file_ignores(result.findings, settings), args,
                                      settings.baseline)
    except (config.ConfigError, gate.GateError, SemgrepMissing, SemgrepFailed) as error:
        print(f"udplint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    for error in result.errors:
        print(error, file=sys.stderr)
    sys.stdout.write(REPORTERS[args.format](result.findings))
    if args.format == "text" and not args.quiet:
        print(summary(len(result.findings), result.files_checked))
    if result.errors and result.files_checked == 0:
        return EXIT_ERROR
    if any(error.fatal for error in result.errors):
        return EXIT_ERROR  # a path the user named does not exist: the rest was reported, still a failure
    if result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


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


def _tolerant_output() -> None:
    """Never crash on a terminal that cannot show a character (a file name's byte, a C locale):
    write what cannot be encoded as a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Optional[Sequence[str]] = None) -> int:
    _tolerant_output()
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
