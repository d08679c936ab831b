"""The flake8 plugin: `flake8 --select UDP` reports udplint's Python findings.

flake8 hands a plugin one file at a time, but udplint's findings can span modules (a socket bound
in one module, answered in another). So the plugin analyses the file's whole package (the topmost
folder of `__init__.py` files above it) once per flake8 process and reports the findings that
land in the file being checked: the same results as `udplint check` on the package.

flake8 also hands the plugin the file's `lines`: an editor's unsaved buffer when it runs
`flake8 - --stdin-display-name path.py`. Those lines are what is checked: when they differ from
the file on disk, the package is analysed again with the buffer in place of the file.

`# noqa` is left to flake8, so `--disable-noqa`, `--extend-ignore` and `per-file-ignores` behave
as for any other flake8 code.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from .. import __version__
from ..api import check_paths
from ..findings import Finding
from ..sources import UnreadableSource, read_python

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


def _analyse(root: Path, buffers: Optional[Dict[str, str]] = None) -> Dict[Path, List[Finding]]:
    paths = [_shown(root)] if root.exists() else []
    # a file that is only in the editor so far is named on its own: no walk would find it
    paths += [name for name in buffers or {} if not Path(name).is_file()]
    return _by_file(check_paths(paths, polyglot=False, noqa=False, buffers=buffers).findings)


def findings_for(path: Path) -> List[Finding]:
    """The findings in the file as it is on disk (one analysis per package and process)."""
    path = path.resolve()
    root = analysis_root(path)
    if root not in _CACHE:
        _CACHE[root] = _analyse(root)
    return _CACHE[root].get(path, [])


def _same_as_disk(path: Path, text: str) -> bool:
    try:
        return path.is_file() and read_python(path)[1] == text
    except UnreadableSource:
        return False


def findings_for_buffer(filename: str, text: str) -> List[Finding]:
    """The findings in `text`, the content of `filename` as flake8 was given it."""
    path = Path(filename)
    if _same_as_disk(path, text):
        return findings_for(path)
    if filename in _STDIN_NAMES:  # no name, so no package around it: the buffer on its own
        found = check_paths(["stdin.py"], polyglot=False, noqa=False, buffers={"stdin.py": text}).findings
        return [f for f in found if f.filename == "stdin.py"]
    found = _analyse(analysis_root(path.resolve()), buffers={filename: text})
    return found.get(path.resolve(), [])


def _by_file(findings: List[Finding]) -> Dict[Path, List[Finding]]:
    by_file: Dict[Path, List[Finding]] = {}
    for finding in findings:
        by_file.setdefault(Path(finding.filename).resolve(), []).append(finding)
    return by_file


class UdpLintChecker:
    name = "udplint"
    version = __version__

    def __init__(self, tree, filename: str, lines: List[str]) -> None:
        # `tree` is unused, but flake8 runs a plugin once per file only if it asks for it.
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        for finding in findings_for_buffer(self.filename, "".join(self.lines)):
            # flake8 columns are 0-based; udplint's (like ruff's) are 1-based.
            yield finding.location.row, finding.location.column - 1, f"{finding.code} {finding.message}", type(self)
