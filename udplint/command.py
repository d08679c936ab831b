"""The `udplint` command (and `python -m udplint`): runs `udplint.cli.main` under one fixed
string-hash seed.

Why: the solver caps the values a slot holds, and which values a full slot keeps depends on the
order in which sets of values are walked. Strings hash with a per-process random seed, so the
same check on the same files followed different values from run to run (twisted's sdist: 410,445
rule runs with one seed, 385,312 with another; the findings happened to agree). Under one seed a
run repeats exactly. The command re-executes itself once with PYTHONHASHSEED set, before
importing anything heavy; calling `udplint.cli.main` in-process (tests, embedding) is unchanged.
"""
from __future__ import annotations

import os
import sys

HASH_SEED = "0"


def entry() -> int:
    _reexecute_with_fixed_hash_seed()
    from .cli import main  # after the seed is fixed: nothing hashed so far matters

    return main()


def _reexecute_with_fixed_hash_seed() -> None:
    if os.environ.get("PYTHONHASHSEED") == HASH_SEED or os.name != "posix" or not sys.executable:
        return  # already fixed; or no exec() that replaces this process (Windows): run as is
    # the udplint that is running now, not one a `-m` would find first in the working directory
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bootstrap = (f"import sys; sys.path.insert(0, {package_parent!r}); "
                 "from udplint.command import entry; sys.exit(entry())")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-c", bootstrap, *sys.argv[1:]],
              dict(os.environ, PYTHONHASHSEED=HASH_SEED))
