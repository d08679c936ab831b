"""The Python checker against the annotated fixtures in tests/fixtures/python/.

A fixture is a module (``<topic>_<name>.py``) or a package directory (``pkg_<name>/``, checked as
a whole). Every line where a finding must be reported ends with ``# expect: UDP001`` (several
codes: ``# expect: UDP001, UDP002``); every other line must have no finding. The comparison is
exact on (file, line, code): a missing finding and an extra finding both fail, with a diff.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "python"
EXPECT_RE = re.compile(r"#\s*expect:\s*(?P<codes>.*?)\s*$")
CODE_RE = re.compile(r"^UDP\d{3}$")
MINIMUM_FIXTURES = 60


def fixture_targets():
    """Paths handed to the checker: each top-level module and each pkg_* directory."""
    modules = sorted(FIXTURES.glob("*.py"))
    packages = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("pkg_"))
    return modules + packages


def source_files(target: Path):
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def parse_expectations(path: Path):
    """{(relative path, line, code)} from the file's ``# expect:`` comments (comments only)."""
    expected = set()
    problems = []
    rel = path.relative_to(FIXTURES).as_posix()
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        match = EXPECT_RE.search(tok.string)
        if match is None:
            continue
        codes = [c.strip() for c in match.group("codes").split(",")]
        if not codes or any(not CODE_RE.match(c) for c in codes):
            problems.append(f"{rel}:{tok.start[0]}: malformed annotation {tok.string!r}")
            continue
        if tok.line.lstrip().startswith("#"):
            problems.append(f"{rel}:{tok.start[0]}: annotation on a comment-only line")
        expected.update((rel, tok.start[0], code) for code in codes)
    return expected, problems


def expected_for(target: Path):
    expected, problems = set(), []
    for path in source_files(target):
        more, bad = parse_expectations(path)
        expected |= more
        problems += bad
    return expected, problems


def _relative(filename: str) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        return path.resolve().relative_to(FIXTURES).as_posix()
    except ValueError:
        return filename


def _format(triples) -> str:
    return "\n".join(f"    {f}:{row}: {code}" for f, row, code in sorted(triples)) or "    (none)"


TARGETS = fixture_targets()


@pytest.fixture(scope="module")
def check_paths():
    try:
        from udplint.api import check_paths as api_check_paths
    except ImportError as exc:  # the API is part of the checker; its absence is a failure
        pytest.fail(f"udplint.api.check_paths is not importable: {exc}")
    return api_check_paths


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_findings_match_annotations(target, check_paths):
    expected, problems = expected_for(target)
    assert not problems, "\n".join(problems)
    result = check_paths([str(target)])
    errors = list(getattr(result, "errors", ()) or ())
    assert not errors, "fixture could not be checked:\n" + "\n".join(map(str, errors))

    actual = set()
    messages = {}
    for finding in result.findings:
        key = (_relative(finding.filename), finding.location.row, finding.code)
        actual.add(key)
        messages[key] = finding.message
        assert finding.message and finding.message.strip(), f"empty message for {key}"

    missing = expected - actual
    extra = actual - expected
    if missing or extra:
        detail = [f"{target.name}: findings differ from the '# expect:' annotations"]
        detail.append("  missing (annotated, not reported):\n" + _format(missing))
        detail.append(
            "  extra (reported, not annotated):\n"
            + "\n".join(f"    {f}:{row}: {code} {messages[(f, row, code)]}" for f, row, code in sorted(extra))
            if extra
            else "  extra (reported, not annotated):\n    (none)"
        )
        pytest.fail("\n".join(detail), pytrace=False)


def test_annotations_use_known_rule_ids():
    from udplint.catalog import RULES

    unknown = []
    for target in TARGETS:
        expected, problems = expected_for(target)
        unknown += problems
        unknown += [f"{f}:{row}: unknown rule id {code}" for f, row, code in expected if code not in RULES]
    assert not unknown, "\n".join(unknown)


def test_fixtures_parse_and_say_what_they_show():
    """Every fixture is valid Python and starts with a docstring saying what it shows."""
    problems = []
    for target in TARGETS:
        for path in source_files(target):
            try:
                tree = ast.parse(path.read_text("utf-8"), str(path))
            except SyntaxError as exc:
                problems.append(f"{path.relative_to(FIXTURES)}: {exc}")
                continue
            described = path if target.is_file() else target / "__init__.py"
            if path == described and not ast.get_docstring(tree):
                problems.append(f"{path.relative_to(FIXTURES)}: no module docstring")
    assert not problems, "\n".join(problems)


def test_fixture_set_is_broad():
    """Positives and look-alike negatives both stay numerous."""
    positives = [t for t in TARGETS if expected_for(t)[0]]
    negatives = [t for t in TARGETS if not expected_for(t)[0]]
    assert len(TARGETS) >= MINIMUM_FIXTURES, f"only {len(TARGETS)} fixtures"
    assert len(positives) >= 35, f"only {len(positives)} fixtures with findings"
    assert len(negatives) >= 25, f"only {len(negatives)} fixtures without findings"
