"""The flake8 plugin: `flake8 --select UDP` reports udplint's Python findings.

flake8 hands a plugin one file at a time, but udplint's findings can span modules (a socket bound
in one module, answered in another). So the plugin analyses the file's whole package (the topmost
folder of `__init__.py` files above it) once per flake8 process and reports the findings that
land in the file being checked: the same results as `udplint check` on the package.

`# noqa` is left to flake8, so `--disable-noqa`, `--extend-ignore` and `per-file-ignores` behave
as for any other flake8 code.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from .. import __version__
from ..api import check_paths
from ..findings import Finding

# analysis root -> {resolved file path -> findings in that file}; one flake8 process, one analysis.
_CACHE: Dict[Path, Dict[Path, List[Finding]]] = {}
_STDIN_NAMES = {"stdin", "-", "/dev/stdin"}


def analysis_root(path: Path) -> Path:
    """The topmost package folder holding `path`, or the file itself when it is not in a package."""
    root = path
    folder = path.parent
    while (folder / "__init__.py").is_file():
        root = folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return root


def _shown(root: Path) -> str:
    """The root as the user would type it, so messages name other files as `udplint check` does."""
    relative = os.path.relpath(root)
    return root.as_posix() if relative.startswith("..") else relative


def _analyse(root: Path) -> Dict[Path, List[Finding]]:
    result = check_paths([_shown(root)], polyglot=False, noqa=False)
    by_file: Dict[Path, List[Finding]] = {}
    for finding in result.findings:
        by_file.setdefault(Path(finding.filename).resolve(), []).append(finding)
    return by_file


def findings_for(path: Path) -> List[Finding]:
    path = path.resolve()
    root = analysis_root(path)
    if root not in _CACHE:
        _CACHE[root] = _analyse(root)
    return _CACHE[root].get(path, [])


def _findings_for_text(lines: List[str]) -> List[Finding]:
    """Source read from stdin has no package around it: analyse it on its own."""
    handle, name = tempfile.mkstemp(suffix=".py", prefix="udplint-stdin-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(lines)
        return check_paths([name], polyglot=False, noqa=False).findings
    finally:
        os.unlink(name)


class UdpLintChecker:
    name = "udplint"
    version = __version__

    def __init__(self, tree, filename: str, lines: List[str]) -> None:
        # `tree` is unused, but flake8 runs a plugin once per file only if it asks for it.
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        path = Path(self.filename)
        if self.filename in _STDIN_NAMES or not path.is_file():
            found = _findings_for_text(self.lines)
        else:
            found = findings_for(path)
        for finding in found:
            # flake8 columns are 0-based; udplint's (like ruff's) are 1-based.
            yield finding.location.row, finding.location.column - 1, f"{finding.code} {finding.message}", type(self)
