"""Pausing Python's cycle collector while udplint builds large acyclic structures.

Parsing a module with libcst allocates hundreds of thousands of nodes, and the solver as many
small tuples and sets. Each allocation burst triggers generation-0 collections that walk the
young objects and find nothing to free: the trees hold no reference cycles, and reference
counting frees them when they are dropped. Measured on the standard library's largest modules,
parsing takes a quarter less time with the collector paused. The collector is resumed (and was
never turned off for the process as a whole) when the block ends, so an unexpected cycle is
still collected later.
"""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
