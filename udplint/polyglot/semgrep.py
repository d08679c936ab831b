"""Run the bundled semgrep rules (C, Go, Java) and turn their results into udplint findings.

One semgrep process checks every file that survives a cheap byte-level prefilter: semgrep's
start-up costs seconds, so files that cannot match any rule are never handed to it.
Each rule's ``metadata['udplint-code']`` says which udplint rule id a result belongs to.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import udplint
from udplint.findings import FileError, Finding, Location
from udplint.sources import UnreadableSource, read_regular_bytes

SUFFIXES = (".c", ".h", ".go", ".java")

# Every rule needs one of these byte strings in the file: the receive call whose result the
# reply goes to, or the pktinfo field a UDP003 rule looks at. Keep in sync with rules/.
_NEEDLES = {
    ".c": (b"recvfrom", b"recvmsg", b"ipi_"),
    ".h": (b"recvfrom", b"recvmsg", b"ipi_"),
    ".go": (b"ReadFrom", b"ReadMsg", b"IfIndex", b"Ifindex", b"Spec_dst", b"ControlMessage"),
    ".java": (b"DatagramPacket", b"receive"),
}

INSTALL_HINT = "pip install semgrep  (or: pip install 'udplint[polyglot]')"
SEMGREP_TIMEOUT = 900  # seconds for the whole run; a hung semgrep must not hang CI
_ARG_BUDGET = 100_000  # bytes of file names per semgrep command line (well under ARG_MAX)
_CODE = re.compile(r"^UDP\d{3}$")
_PREFIX = re.compile(r"^UDP\d{3}:\s*")


class SemgrepMissing(Exception):
    """semgrep is not installed; str() says how to install it."""

    def __init__(self) -> None:
        super().__init__(f"semgrep is needed to check C, Go and Java files: {INSTALL_HINT}")


class SemgrepFailed(Exception):
    """semgrep ran but did not produce a usable result (crash, timeout, bad rules)."""


def rules_dir() -> Path:
    """The bundled rules: package data in an installed wheel, else <repo>/rules in a checkout."""
    package = Path(udplint.__file__).resolve().parent
    for candidate in (package / "semgrep_rules", package.parent / "rules"):
        if candidate.is_dir() and any(candidate.rglob("*.yaml")):
            return candidate
    raise SemgrepFailed(f"udplint's semgrep rules are missing (looked in {package / 'semgrep_rules'} "
                        f"and {package.parent / 'rules'}); reinstall udplint")


def semgrep_executable() -> str:
    """semgrep installed next to this Python (a virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / ("semgrep.exe" if os.name == "nt" else "semgrep")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("semgrep")
    if found:
        return found
    raise SemgrepMissing()


def might_match(data: bytes, suffix: str) -> bool:
    return any(needle in data for needle in _NEEDLES.get(suffix, ()))


def check_files(paths: Sequence[Path]) -> Tuple[List[Finding], List[FileError]]:
    """Check C/Go/Java files with the bundled rules. Findings name each file as it was given."""
    errors: List[FileError] = []
    targets: Dict[str, str] = {}  # resolved path -> the name as given
    for path in paths:
        given = str(path)
        try:
            data = read_regular_bytes(Path(path))
        except UnreadableSource as exc:
            errors.append(exc.error(given))
            continue
        if might_match(data, Path(path).suffix.lower()):
            targets[os.path.realpath(given)] = given
    if not targets:
        return [], errors
    executable = semgrep_executable()
    config = rules_dir()
    findings: List[Finding] = []
    for batch in _batches(list(targets.values())):
        found, failed = _run(executable, config, batch, targets)
        findings += found
        errors += failed
    return _dedupe(findings), errors


def _batches(files: List[str]) -> Iterable[List[str]]:
    batch: List[str] = []
    size = 0
    for name in files:
        if batch and size + len(name) + 1 > _ARG_BUDGET:
            yield batch
            batch, size = [], 0
        batch.append(name)
        size += len(name) + 1
    if batch:
        yield batch


def _command(executable: str, config: Path, files: Sequence[str]) -> List[str]:
    return [
        executable, "scan", "--config", str(config), "--json", "--metrics=off",
        "--disable-version-check", "--no-git-ignore", "--quiet", "--timeout", "60",
        # (a --config directory loads only its *.yaml files: the rules' test programs beside
        # them are never taken for rules)
        "--", *files,
    ]


def _run(executable: str, config: Path, files: Sequence[str],
         targets: Dict[str, str]) -> Tuple[List[Finding], List[FileError]]:
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    try:
        proc = subprocess.run(_command(executable, config, files), capture_output=True, text=True,
                              timeout=SEMGREP_TIMEOUT, env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise SemgrepMissing() from exc
    except subprocess.TimeoutExpired as exc:
        raise SemgrepFailed(f"semgrep did not finish within {SEMGREP_TIMEOUT}s") from exc
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise SemgrepFailed(f"semgrep failed (exit {proc.returncode}): {' | '.join(tail) or 'no output'}") from None
    findings = [f for f in (_finding(r, targets) for r in report.get("results", [])) if f is not None]
    return findings, _errors(report.get("errors", []), targets)


def _given_name(path: str, targets: Dict[str, str]) -> str:
    return targets.get(os.path.realpath(path), path)


def _finding(result: dict, targets: Dict[str, str]) -> Optional[Finding]:
    extra = result.get("extra", {})
    code = str(extra.get("metadata", {}).get("udplint-code", ""))
    if not _CODE.match(code):
        return None  # not one of ours (a rule without the udplint-code contract)
    filename = _given_name(result["path"], targets)
    start, end = result["start"], result["end"]
    message = " ".join(str(extra.get("message", "")).split())
    return Finding(
        code=code,
        filename=filename,
        location=Location(start["line"], start["col"]),
        end_location=Location(end["line"], end["col"]),
        message=_PREFIX.sub("", message),
        source_line=_line(filename, start["line"]),
    )


def _line(filename: str, row: int) -> str:
    try:
        with open(filename, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == row:
                    return text.rstrip("\r\n")
    except OSError:
        pass
    return ""


def _errors(entries: Sequence[dict], targets: Dict[str, str]) -> List[FileError]:
    errors: List[FileError] = []
    for entry in entries:
        level = entry.get("level", "error")
        path = entry.get("path") or (entry.get("spans") or [{}])[0].get("file")
        message = " ".join(str(entry.get("message") or entry.get("type") or "semgrep error").split())
        if path:
            if level == "error" or "Syntax" in str(entry.get("type", "")):
                errors.append(FileError(_given_name(path, targets), f"semgrep: {message}", "analysis"))
        elif level == "error":
            raise SemgrepFailed(f"semgrep could not run udplint's rules: {message}")
    return errors


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen = set()
    unique = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.code, finding.filename, finding.location, finding.end_location)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
