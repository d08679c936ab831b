"""How well `--fix --unsafe-fixes` does on the project's own bug fixtures (tests/fixtures/python/).

For every `# oracle: bug` program: does the fixed program answer a client connect()ed to
127.0.0.2 from 127.0.0.2 (and v4-mapped / ::1 on dual-stack servers) without losing any probe the
original answered? Also: files touched that are not bug programs (look-alikes, must be 0), whether
a second run changes anything, and lines added per fixed program (diff `+` lines and net growth,
summed over the modules a fix across modules edits).

    .venv/bin/python bench/fix_stats.py [--json]
"""
from __future__ import annotations

import argparse
import difflib
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fix_oracle import fixed_correctly, observe_many, regressions  # noqa: E402
from udplint.fixing.apply import apply_fixes, plan_fixes_for_paths  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "python"


def _entry(path: Path, work: Path) -> str:
    return path.relative_to(work).parts[0]


def _main_file(entry: Path) -> Path:
    return entry / "__main__.py" if entry.is_dir() else entry


def _is_bug(entry: Path) -> bool:
    main = _main_file(entry)
    return main.is_file() and main.read_bytes().startswith(b"# oracle: bug")


def _is_lookalike(entry: Path) -> bool:
    """Not the bug: negatives (TCP, clients, specific binds, ...) and correct (ok_) programs."""
    return entry.name.startswith(("neg_", "ok_")) or b"Negative" in _main_file(entry).read_bytes()[:400]


def _dual(entry: Path) -> bool:
    return b"oracle-family: dual" in _main_file(entry).read_bytes()


def _argv(entry: Path, root: Path):
    return [sys.executable, "-m", entry.name] if entry.is_dir() else [sys.executable, str(root / entry.name)]


def lines_added(before: str, after: str):
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    plus = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    return plus, len(after.splitlines()) - len(before.splitlines())


def measure() -> dict:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp) / "corpus"
        shutil.copytree(CORPUS, work)
        outcome = apply_fixes(plan_fixes_for_paths([str(work)], unsafe=True))
        second = plan_fixes_for_paths([str(work)], unsafe=True)
        changed = {}
        for change in outcome.changes:
            changed.setdefault(_entry(change.path, work), []).append(change)
        bugs = [e for e in sorted(CORPUS.iterdir()) if _is_bug(e)]
        jobs = []
        for entry in bugs:
            for root in (CORPUS, work):
                jobs.append((_argv(entry, root), str(root), _dual(entry), None, True))
        results = observe_many(jobs, workers=4)
        per_program = {}
        for index, entry in enumerate(bugs):
            before, after = results[2 * index], results[2 * index + 1]
            problems = regressions(before, after) + fixed_correctly(after)
            if entry.name not in changed:
                verdict = "not fixed (suggestion)"
            elif "_error" in after or not after.get("_alive"):
                verdict = "broken"
            elif problems:
                verdict = "broken" if regressions(before, after) else "still buggy"
            else:
                verdict = "answers correctly"
            per_program[entry.name] = {"verdict": verdict, "problems": problems}
        # per fixed program: a fix across modules counts the lines it adds to all of them
        growth = [[sum(n) for n in zip(*(lines_added(c.before, c.after) for c in cs))] for cs in changed.values()]
        plus = [g[0] for g in growth]
        net = [g[1] for g in growth]
        lookalikes = sorted(name for name in changed if _is_lookalike(CORPUS / name))
        verdicts = [p["verdict"] for p in per_program.values()]
        return {
            "bug_programs": len(bugs),
            "answers_correctly": verdicts.count("answers correctly"),
            "broken": verdicts.count("broken"),
            "still_buggy": verdicts.count("still buggy"),
            "not_fixed": verdicts.count("not fixed (suggestion)"),
            "lookalikes_touched": lookalikes,
            "idempotent": not second.changes,
            "fixed_files": len(growth),
            "plus_lines_median": statistics.median(plus) if plus else 0,
            "plus_lines_max": max(plus, default=0),
            "net_lines_median": statistics.median(net) if net else 0,
            "net_lines_max": max(net, default=0),
            "programs": per_program,
            "errors": [str(e) for e in outcome.errors if "fix not" in e.reason],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stats = measure()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    for name, info in stats["programs"].items():
        print(f"{info['verdict']:24} {name}" + (f"  {info['problems']}" if info["problems"] else ""))
    print(f"\nbug programs {stats['bug_programs']}: {stats['answers_correctly']} answer correctly after the fix, "
          f"{stats['broken']} broken, {stats['still_buggy']} still buggy, {stats['not_fixed']} left with a suggestion")
    print(f"look-alikes touched: {len(stats['lookalikes_touched'])} {stats['lookalikes_touched']}")
    print(f"idempotent (second run changes nothing): {stats['idempotent']}")
    print(f"lines added per fixed program ({stats['fixed_files']}): diff + lines median {stats['plus_lines_median']}, "
          f"max {stats['plus_lines_max']}; net growth median {stats['net_lines_median']}, max {stats['net_lines_max']}")
    for error in stats["errors"]:
        print("error:", error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
