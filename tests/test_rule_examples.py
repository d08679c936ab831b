"""Each Python rule's own examples (Fixit style): every INVALID example gets exactly the findings
its `# expect: CODE` comments name, on those lines, and every VALID example gets none."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from udplint.api import RunOptions, check_paths
from udplint.python.rules import RULES

EXPECT_RE = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9, ]+)\s*$")


def _examples(kind: str):
    for rule in RULES:
        for number, source in enumerate(getattr(rule, kind)):
            yield pytest.param(textwrap.dedent(source).lstrip("\n"), id=f"{rule.CODE}-{kind.lower()}-{number}")


def _expected(source: str):
    found = set()
    for row, line in enumerate(source.splitlines(), start=1):
        match = EXPECT_RE.search(line)
        if match:
            found |= {(row, code.strip()) for code in match.group("codes").split(",")}
    return found


def _findings(source: str, tmp_path: Path):
    path = tmp_path / "example.py"
    path.write_text(source)
    result = check_paths([str(path)], polyglot=False, options=RunOptions(jobs=1, use_cache=False))
    assert not result.errors, result.errors
    return {(f.location.row, f.code) for f in result.findings}


@pytest.mark.parametrize("source", list(_examples("INVALID")))
def test_invalid_examples_are_flagged_where_they_say(source, tmp_path):
    expected = _expected(source)
    assert expected, "an INVALID example must say where it is flagged"
    assert _findings(source, tmp_path) == expected


@pytest.mark.parametrize("source", list(_examples("VALID")))
def test_valid_examples_are_left_alone(source, tmp_path):
    assert not _expected(source)
    assert _findings(source, tmp_path) == set()
