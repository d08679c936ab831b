#!/usr/bin/env python3
"""Fuzz `udplint check` with mutated fixtures: no input may crash, hang or lose the bug beside it.

Each variant is a mutation of one of the project's own Python fixtures (truncation, byte flips,
deep nesting, long lines, tab indentation, encodings, NUL bytes, ...). Variants are checked in
batches, each batch a real `udplint check` process with a timeout, in a folder that also holds a
known buggy server: its finding must be in every report. A batch that crashes or times out is
re-run one variant at a time, so each failure is pinned on its input.

Counted per variant: internal errors (an `internal error` line or a traceback), crashes (killed by
a signal), timeouts, and "bug lost" (the buggy server beside it went unreported).

    python bench/fuzz.py --seconds 300          # a few minutes; --keep DIR saves failing inputs
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures"
BUG_FILE = "zz_known_bug.py"
BUG = """import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 9999))
while True:
    data, addr = sock.recvfrom(2048)
    sock.sendto(data, addr)
"""


# ---------------------------------------------------------------------------------------------
# Mutations: each takes the seed's bytes and a random source, and returns the variant's bytes


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def delete_span(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data) + 1)
    return data[:start] + data[start + rng.randint(1, 200):]


def _random_line(data: bytes, rng: random.Random) -> int:
    return rng.randrange(max(1, data.count(b"\n")))


def _insert_line(data: bytes, rng: random.Random, line: bytes) -> bytes:
    lines = data.split(b"\n")
    at = _random_line(data, rng)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at, indent + line)
    return b"\n".join(lines)


def nest(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([20, 100, 199, 201, 400, 1400, 3000, 6000])
    opening, closing = rng.choice([(b"(", b")"), (b"[", b"]"), (b"{", b"}"), (b"f(", b")")])
    return _insert_line(data, rng, b"x = " + opening * depth + b"sendto" + closing * depth)


def long_chain(data: bytes, rng: random.Random) -> bytes:
    count = rng.choice([1000, 5000, 20000, 50000])
    kind = rng.choice([b".a", b"+1", b" or x", b"[0]", b"()"])
    return _insert_line(data, rng, b"x = sock.sendto" + kind * count)


# A flat literal of thousands of elements is valid Python that libcst's metadata takes seconds
# per thousand elements to resolve (5,000: ~6 s; 100,000: ~75 s): the per-file time budget of the
# engine's worker pool is what bounds it. Left out unless --heavy, so a run measures the rest.
HEAVY = False


def long_line(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice([10_000, 200_000, 1_000_000])
    elements = rng.choice([100, 2_000] + ([20_000, 500_000] if HEAVY else []))
    payload = rng.choice([b"x = '" + b"a" * size + b"'", b"# " + b"x" * size, b"x = [" + b"1," * elements + b"]"])
    return _insert_line(data, rng, payload)


def deep_blocks(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([50, 99, 101, 300])
    block = b"".join(b" " * i + b"if x:\n" for i in range(depth)) + b" " * depth + b"sock.sendto(d, a)\n"
    return data + b"\n" + block


def tabs(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"    ") and rng.random() < 0.5:
            lines[i] = rng.choice([b"\t", b"\t    ", b"  \t"]) + line[4:]
    return b"\n".join(lines)


def encodings(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return data.decode("utf-8", "replace").encode("utf-16")
    if choice == 1:
        return b"\xef\xbb\xbf" + data
    if choice == 2:
        return b"# -*- coding: " + rng.choice([b"latin-1", b"klingon", b"utf-16", b"rot13"]) + b" -*-\n" + data
    if choice == 3:
        return _insert_line(data, rng, b"x = '\xff\xfe\xc3'")
    return data.replace(b"\n", b"\r", rng.randint(1, 20))


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]


def splice(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    rng.shuffle(lines)
    return b"\n".join(lines[: rng.randint(1, len(lines))])


MUTATIONS: Dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": truncate, "flip": flip_bytes, "delete": delete_span, "nest": nest, "chain": long_chain,
    "long-line": long_line, "blocks": deep_blocks, "tabs": tabs, "encoding": encodings, "nul": nul_bytes,
    "splice": splice,
}


# ---------------------------------------------------------------------------------------------
# Running and classifying


@dataclass
class Variant:
    name: str
    mutation: str
    seed_file: str
    data: bytes


@dataclass
class Tally:
    variants: int = 0
    processes: int = 0
    failures: Counter = field(default_factory=Counter)
    by_mutation: Counter = field(default_factory=Counter)
    failing: List[str] = field(default_factory=list)
    slowest: float = 0.0


def classify(run: Optional[subprocess.CompletedProcess]) -> Optional[str]:
    """None when the run is healthy, else what went wrong."""
    if run is None:
        return "timeout"
    if run.returncode < 0:
        return "crash"
    if b"internal error" in run.stderr or b"Traceback" in run.stderr:
        return "internal-error"
    try:
        findings = json.loads(run.stdout.decode("utf-8"))
    except ValueError:
        return "bad-output"
    if not any(f["filename"].endswith(BUG_FILE) for f in findings):
        return "bug-lost"
    return None


def run_batch(folder: Path, variants: List[Variant], timeout: float, tally: Tally) -> Optional[str]:
    for old in folder.iterdir():
        if old.name != BUG_FILE:
            old.unlink()
    for variant in variants:
        (folder / variant.name).write_bytes(variant.data)
    command = [sys.executable, "-m", "udplint", "check", "--no-polyglot", "--format", "json", "--exit-zero", "."]
    tally.processes += 1
    started = time.monotonic()
    try:
        run = subprocess.run(command, cwd=folder, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        run = None
    tally.slowest = max(tally.slowest, time.monotonic() - started)
    return classify(run)


def check(folder: Path, batch: List[Variant], timeout: float, tally: Tally, keep: Optional[Path]) -> None:
    tally.variants += len(batch)
    if run_batch(folder, batch, timeout, tally) is None:
        return
    for variant in batch:  # pin the failure on its input
        verdict = run_batch(folder, [variant], timeout, tally)
        if verdict is not None:
            tally.failures[verdict] += 1
            tally.by_mutation[f"{variant.mutation}:{verdict}"] += 1
            tally.failing.append(f"{verdict}: {variant.mutation} of {variant.seed_file}")
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"{verdict}-{variant.name}").write_bytes(variant.data)


def seeds() -> List[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if p.is_file())


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="stop starting batches after this long")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--batch", type=int, default=25, help="variants per udplint process")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one udplint process may take")
    parser.add_argument("--keep", type=Path, help="save failing inputs to this folder")
    parser.add_argument("--heavy", action="store_true", help="also flat literals of 20,000+ elements")
    args = parser.parse_args(argv)
    global HEAVY
    HEAVY = args.heavy
    rng = random.Random(args.seed)
    corpus = [(p.name, p.read_bytes()) for p in seeds()]
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="udplint-fuzz-") as tmp:
        folder = Path(tmp)
        (folder / BUG_FILE).write_text(BUG)
        number = 0
        while time.monotonic() - started < args.seconds:
            batch = []
            for _ in range(args.batch):
                seed_name, data = rng.choice(corpus)
                mutation = rng.choice(sorted(MUTATIONS))
                batch.append(Variant(f"v{number:06d}.py", mutation, seed_name, MUTATIONS[mutation](data, rng)))
                number += 1
            check(folder, batch, args.timeout, tally, args.keep)
    elapsed = time.monotonic() - started
    print(f"variants: {tally.variants} in {tally.processes} udplint processes, {elapsed:.0f} s "
          f"(slowest process {tally.slowest:.1f} s); seed {args.seed}, {len(corpus)} fixtures, "
          f"{len(MUTATIONS)} mutations")
    for kind in ("internal-error", "crash", "timeout", "bug-lost", "bad-output"):
        print(f"  {kind}: {tally.failures[kind]}")
    for line in tally.failing[:20]:
        print(f"    {line}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
