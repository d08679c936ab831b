"""The native corpus's manifest and cases stay consistent, and its scoring counts what it says.

The corpus itself (bench/realworld-native/) downloads Debian sources and is never run here; these
tests only read its two TOML files and feed the scorer hand-made findings.
"""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "realworld-native"


def _load_runner():
    spec = importlib.util.spec_from_file_location("realworld_native_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


corpus = _load_runner()


@pytest.fixture(scope="module")
def cases():
    packages = corpus.load_manifest(BENCH / "manifest.toml")
    return corpus.load_cases(BENCH / "cases.toml", packages)


def test_every_manifest_package_is_used_and_pinned(cases):
    packages = corpus.load_manifest(BENCH / "manifest.toml")
    assert {case.package for case in cases} == set(packages)
    assert all(package.version for package in packages.values())


def test_the_corpus_is_as_large_and_as_buggy_as_the_issue_asks(cases):
    per_language = Counter(case.language for case in cases)
    assert per_language["c"] >= 15 and per_language["go"] >= 12 and per_language["java"] >= 12
    bugs = sum(case.label == "bug" for case in cases)
    assert bugs / len(cases) >= 0.40
    look_alike_kinds = {case.kind for case in cases if case.label == "ok"}
    assert {"client", "specific", "pinned", "per-address", "multicast", "sink", "library"} <= look_alike_kinds


def _hit(case, line, related=()):
    return corpus.Hit(case.package, case.reply.path, line, "UDP001", tuple(related))


def test_a_finding_near_the_reply_finds_a_bug_and_flags_a_look_alike(cases):
    bug = next(c for c in cases if c.label == "bug")
    ok = next(c for c in cases if c.label == "ok" and c.package != bug.package)
    hits = [_hit(bug, bug.reply.line + corpus.LINE_TOLERANCE), _hit(ok, ok.reply.line - 1)]
    scores = corpus.score(cases, hits)["all"]
    assert bug in scores.found and ok in scores.false_alarms
    assert scores.precision() == 0.5


def test_a_finding_far_from_every_labelled_line_counts_for_nothing(cases):
    bug = next(c for c in cases if c.label == "bug")
    far = bug.reply.line + 10 * corpus.LINE_TOLERANCE + 100
    scores = corpus.score(cases, [_hit(bug, far)])["all"]
    assert not scores.found and not scores.false_alarms and bug in scores.missed


def test_a_related_location_at_a_shared_bind_does_not_credit_every_reply_of_that_server(cases):
    shared = corpus.shared_binds(cases)
    siblings = [c for c in cases if (c.package, c.bind) in shared]
    assert len(siblings) >= 2, "the corpus has servers with several labelled replies"
    first = siblings[0]
    elsewhere = [(first.bind.path, first.bind.line)]
    hit = corpus.Hit(first.package, first.reply.path, first.reply.line, "UDP001", tuple(elsewhere))
    credited = [c for c in siblings if hit.touches(c, shared)]
    assert credited == [first]


def test_places_must_name_a_line(cases):
    with pytest.raises(corpus.CorpusError):
        corpus.Place.parse("src/main.c", "src/main.c")
    assert corpus.Place.parse("12", "a.c") == corpus.Place("a.c", 12)
    assert corpus.Place.parse("lib/b.c:7", "a.c") == corpus.Place("lib/b.c", 7)
