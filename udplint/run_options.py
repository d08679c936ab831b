"""The command line's side of how a run goes: workers, the cache, and `-v` stage statistics."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .api import CheckResult, RunOptions


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of jobs: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("jobs must be 0 (one per core) or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--jobs", type=_jobs, default=0, metavar="N",
                        help="worker processes for parsing (default: one per core; 1: in this process)")
    parser.add_argument("--no-cache", action="store_true", help="read and write no cache")
    parser.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="where the cache lives (default: .udplint_cache at the project root; "
                             "also UDPLINT_CACHE_DIR)")
    parser.add_argument("--whole-program", action="store_true",
                        help="analyse the whole project the given files belong to (the nearest directory with "
                             "pyproject.toml or .git) and report the findings that touch them (pre-commit)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print what each stage did and how long it took (on stderr)")


def options(args: argparse.Namespace) -> RunOptions:
    no_cache = getattr(args, "no_cache", False) or os.environ.get("UDPLINT_NO_CACHE", "") not in ("", "0")
    return RunOptions(jobs=getattr(args, "jobs", 0), cache_dir=getattr(args, "cache_dir", None),
                      use_cache=not no_cache)


def context(args: argparse.Namespace):
    """The project directory to analyse around the given files, with --whole-program."""
    if not getattr(args, "whole_program", False):
        return None
    from .cache import project_root

    return project_root()


def print_statistics(result: CheckResult) -> None:
    """`-v`: files seen, dropped by each stage, extracted, from the cache, and stage times."""
    out = sys.stderr
    print(f"udplint: {result.files_seen} files seen, {result.files_checked} checked", file=out)
    analysis = result.analysis
    cache = result.cache
    if cache is not None:
        where = cache.directory if cache.enabled else "off"
        stats = cache.stats
        print(f"  cache: {where} ({stats.hits} hits, {stats.misses} misses, {stats.rejected} rejected entries"
              f"{f', {stats.write_errors} failed writes' if stats.write_errors else ''})", file=out)
    if analysis is None:
        print("  python: answered from the whole-run cache (nothing changed)" if cache and cache.stats.hits
              else "  python: no Python file to analyse", file=out)
        return
    stats = analysis.stats
    print(f"  prefilter: {stats.seen} read, {stats.prefilter_dropped} dropped, {stats.drivers} kept as drivers "
          f"(they import a module with markers and pass a wildcard)", file=out)
    print(f"  screen: {stats.screen_dropped} dropped (markers only in strings or comments)", file=out)
    print(f"  summaries: {stats.extracted} extracted, {stats.cached} from the cache, {stats.on_demand} imported "
          f"modules on demand", file=out)
    shipped = analysis.program.shipped
    print(f"  settings files: {len(shipped.files_read)} read, {len(shipped.by_key)} address keys set to a wildcard"
          f"{' (' + ', '.join(sorted(shipped.by_key)) + ')' if shipped.by_key else ''}", file=out)
    print(f"  solver: {stats.solver_steps} rule runs over {len(analysis.program.modules)} modules", file=out)
    for budget in stats.budgets:
        print(f"  budget hit: {budget}: results may miss flows through these", file=out)
    if stats.times:
        times = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in stats.times.items())
        print(f"  time: {times}", file=out)
