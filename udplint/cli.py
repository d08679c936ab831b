"""Command line: `udplint check [PATH ...]`, `udplint rule CODE | --all`.

Exit status (ruff's convention, plus one): 0 no findings, 1 findings, 2 usage error, internal
error, or nothing could be checked, 3 no findings but C/Go/Java files were skipped because
semgrep is not installed (the check is incomplete; with findings the status stays 1).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO

from . import __version__, config, gate, run_options
from .api import CheckResult, check_paths
from .catalog import RULES
from .fixing import cli_support as fixing
from .polyglot.semgrep import SemgrepFailed, SemgrepMissing
from .probe import command as probe_command
from .reporting import REPORTERS, Report, render, render_statistics, render_summary
from .reporting.style import Style, wants_color
from .sources import PathNotFound, WalkOptions, discover

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
STDIN_PATHS = ("-", "/dev/stdin")
QUIET, SILENT = 1, 2  # -q: findings only; -qq / --silent: nothing


class UsageError(Exception):
    """A command line that cannot run: one line on stderr, exit 2."""


def _codes(text: str) -> List[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _add_selection_arguments(check: argparse.ArgumentParser) -> None:
    group = check.add_argument_group("rule selection")
    group.add_argument("--select", type=_codes, default=None,
                       help="comma-separated rule codes or prefixes to report (replaces the configured set)")
    group.add_argument("--extend-select", type=_codes, default=[], metavar="CODES",
                       help="rule codes or prefixes to add to the selected set")
    group.add_argument("--ignore", type=_codes, default=[], help="comma-separated rule codes or prefixes to skip")
    group.add_argument("--extend-ignore", type=_codes, default=[], metavar="CODES",
                       help="rule codes or prefixes to skip, on top of the configured ignores")


def _add_file_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                       help="files and folders to check (default: .); `-` reads the source from stdin")
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="skip files and folders matching GLOB (repeatable; replaces [tool.udplint] exclude)")
    check.add_argument("--extend-exclude", action="append", default=[], metavar="GLOB",
                       help="skip files and folders matching GLOB, on top of exclude (repeatable)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply the excludes and .gitignore to paths named on the command line too")
    check.add_argument("--no-respect-gitignore", action="store_true",
                       help="check files that .gitignore ignores")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="the name of the file read from stdin: findings are reported under it, and its "
                            "package's modules are read from disk")
    check.add_argument("--show-files", action="store_true", help="print the files that would be checked, and exit")
    check.add_argument("--no-polyglot", action="store_true", help="check Python files only (skip C, Go, Java)")
    check.add_argument("--config", action="append", default=[], metavar="FILE | 'KEY = VALUE'",
                       help="read the settings from FILE (pyproject.toml or a TOML file of [tool.udplint] "
                            "keys) instead of the closest pyproject.toml, or override one setting (repeatable)")
    check.add_argument("--isolated", action="store_true", help="ignore every configuration file")


def _add_output_arguments(check: argparse.ArgumentParser) -> None:
    group = check.add_argument_group("output")
    group.add_argument("--format", "--output-format", dest="format", choices=sorted(REPORTERS), default="text",
                       help="output format (default: text)")
    group.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    group.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead")
    group.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text output (auto: on a terminal, unless NO_COLOR is set)")
    group.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    group.add_argument("-q", "--quiet", action="count", default=0,
                       help="print findings only (no summary); twice (-qq) is --silent")
    group.add_argument("-s", "--silent", action="store_const", const=SILENT, dest="quiet",
                       help="print nothing; the exit status tells")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="udplint",
        description="Find UDP servers that answer from the wrong source address on multi-homed hosts.",
    )
    parser.add_argument("--version", action="version", version=f"udplint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files and folders (default: .)")
    _add_file_arguments(check)
    _add_selection_arguments(check)
    _add_output_arguments(check)
    gate.add_arguments(check)
    run_options.add_arguments(check)
    fixing.add_arguments(check)
    commands.add_parser("fix", help="apply the available fixes (short for `check --fix`)", add_help=False)

    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="rule code, e.g. UDP001")
    rule.add_argument("--all", action="store_true", help="print every rule's documentation")

    probe = commands.add_parser("probe", help="ask running UDP services which address they answer from")
    probe_command.add_arguments(probe)
    parser.set_defaults(check_parser=check)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: List[str]) -> argparse.Namespace:
    """Paths and options in any order (`check a.py --select UDP001 b.py`), as ruff takes them."""
    if argv and argv[0] == "check":
        check = parser.get_default("check_parser")
        args = check.parse_intermixed_args(argv[1:])
        args.command = "check"
        return args
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# stdin


@dataclass
class Targets:
    paths: List[str]
    buffers: Optional[Dict[str, str]] = None  # path -> text read from stdin


def _reads_stdin(args: argparse.Namespace) -> bool:
    if any(path in STDIN_PATHS for path in args.paths):
        if len(args.paths) > 1:
            raise UsageError("`-` (stdin) must be the only path")
        return True
    # `--stdin-filename NAME` with no path reads stdin, as in ruff
    return bool(args.stdin_filename) and args.paths == ["."]


def targets(args: argparse.Namespace, stdin: TextIO) -> Targets:
    if not _reads_stdin(args):
        return Targets(list(args.paths))
    if getattr(args, "fix", False) or getattr(args, "diff", False):
        raise UsageError("--fix and --diff need files; they cannot read the source from stdin")
    name = args.stdin_filename or "-"
    return Targets([name], {name: stdin.read()})


# ---------------------------------------------------------------------------------------------
# check


def run_check(args: argparse.Namespace, stdin: Optional[TextIO] = None) -> int:
    try:
        settings = config.resolve(args)  # [tool.udplint] fills in what the command line left unset
        if args.show_files:
            return show_files(args)
        wanted = targets(args, stdin or sys.stdin)
        result = _check(args, settings, wanted)
        if fixing.wanted(args):
            done = fixing.run(args, result)  # --diff is done here; --fix wrote, so check again
            if done is not None:
                return done
            result = _check(args, settings, wanted)
        report(result, args)
    except (PathNotFound, config.ConfigError, gate.GateError, SemgrepMissing, SemgrepFailed, UsageError) as error:
        print(f"udplint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    return exit_status(result, args)


def _check(args: argparse.Namespace, settings, wanted: "Targets") -> CheckResult:
    """One analysis and one selection (noqa, select/ignore, per-file-ignores, baseline)."""
    result = check_paths(wanted.paths, select=args.select, ignore=args.ignore, walk=WalkOptions.from_args(args),
                         polyglot=not args.no_polyglot, buffers=wanted.buffers,
                         options=run_options.options(args), context=run_options.context(args),
                         need_analysis=fixing.wanted(args) and not getattr(args, "fix_outcome", None))
    result.findings = gate.narrow(config.apply_per_file_ignores(result.findings, settings), args,
                                  settings.baseline)
    return result


def show_files(args: argparse.Namespace) -> int:
    """`--show-files`: the files a check of these paths would read, one per line."""
    paths = [path for path in args.paths if path not in STDIN_PATHS]
    out = "".join(f"{source.display}\n" for source in discover(paths, exclude=args.exclude))
    write_output(out, args)
    return EXIT_CLEAN


def _warn(args: argparse.Namespace, text: str) -> None:
    if args.quiet < SILENT:
        print(text, file=sys.stderr)


def report(result: CheckResult, args: argparse.Namespace) -> None:
    for error in result.errors:
        _warn(args, str(error))
    if args.verbose:
        run_options.print_statistics(result)
    if result.skipped_native:
        count = len(result.skipped_native)
        _warn(args, f"udplint: warning: skipped {count} C/Go/Java file{'s' * (count != 1)} "
                    f"({result.skipped_native[0]}{', ...' if count > 1 else ''}): {result.skipped_reason}")
    if args.quiet >= SILENT:
        return
    colored = wants_color(args.color, None if args.output_file else sys.stdout)
    outcome = Report(result.findings, result.errors, result.files_checked, Style(colored))
    text = render_statistics(args.format, outcome) if args.statistics else render(args.format, outcome)
    if not args.quiet and not (args.statistics and args.format == "json"):
        fixed = fixing.summary(args, len(result.findings))  # after --fix: "Found 3 errors (2 fixed, 1 remaining)."
        text += f"{fixed}\n" if fixed else render_summary("text" if args.statistics else args.format, outcome)
    write_output(text, args)


def write_output(text: str, args: argparse.Namespace) -> None:
    if not args.output_file:
        sys.stdout.write(text)
        return
    target = Path(args.output_file)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write --output-file {target}: {error.strerror or error}") from None


def exit_status(result: CheckResult, args: argparse.Namespace) -> int:
    if any(error.internal for error in result.errors):
        return EXIT_ERROR  # a bug of ours hid part of the result: CI must notice
    if any(error.fatal for error in result.errors):
        return EXIT_ERROR  # a path the user named does not exist: the rest was reported, still a failure
    if result.findings:
        return EXIT_CLEAN if args.exit_zero else EXIT_FINDINGS
    if result.skipped_native:
        return EXIT_INCOMPLETE  # not even --exit-zero hides that part of the tree was never checked
    if result.errors and result.files_checked == 0:
        return EXIT_ERROR
    return fixing.exit_status(args, EXIT_CLEAN)


# ---------------------------------------------------------------------------------------------
# rule docs and main


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
    args = parse_arguments(parser, fixing.expand_fix_command(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            return run_rule(args, parser)
        if args.command == "probe":
            return probe_command.run(args)
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
