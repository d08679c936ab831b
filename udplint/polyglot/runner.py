"""C, Go and Java: prefilter, one semgrep run over every survivor, facts per program, per-language joins.

1. A byte prefilter drops files (and, for C, whole programs) that cannot hold a fact a finding
   needs, so semgrep (seconds to start) only sees likely candidates and starts at most once.
2. C files whose preprocessor conditionals split braces or parameter lists are also handed over as
   resolved variants (`cpp_branches`), mapped back to the original path and lines.
3. Fact rules (`udplint.fact.<lang>.<kind>`, or metadata `udplint-fact`/`udplint-lang`) become
   `NativeFact`s, grouped per program: the C files of one directory, a Go package directory, a Java
   source tree. Each group goes to `udplint.polyglot.<lang>.join(facts, sources, notes)` (notes: the
   run's diagnostics, for a program whose analysis hit a budget); a slow join is reported too.
4. Rules with `metadata.udplint-code` (whole-finding rules from before the fact rules) still
   produce findings directly.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from udplint.sources import UnreadableSource, read_regular_bytes
from udplint.findings import FileError, Finding, Location
from udplint.polyglot import cpp_branches, semgrep
from udplint.polyglot.factmodel import _UNBOUND, NativeFact, parse_message

LANGUAGE_OF_SUFFIX = {".c": "c", ".h": "c", ".go": "go", ".java": "java"}

# C, per file: a file without any of these holds no socket call, no socket-address or msghdr
# type, no pktinfo field and no wildcard constant, so it has no fact a C finding can start from
# or end at (socket, bind, address, receive, send, option, pktinfo, connect, multicast), nor a
# function that takes or returns an address by a socket type.
C_FILE_PATTERN = re.compile(
    rb"\b(?:recvfrom|recvmsg|recvmmsg|sendto|sendmsg|sendmmsg|bind|connect|setsockopt|getaddrinfo|socket)\s*\("
    rb"|\bsockaddr|\bipi6?_\w+|\bmsghdr\b|\bmmsghdr\b|\bINADDR_ANY\b|\bin6addr_any\b|\bIN6ADDR_ANY_INIT\b"
    rb"|\bAI_PASSIVE\b|\bSOCK_DGRAM\b|\bcmsg_type\b")
# C, per program: UDP001/UDP002 need a receive and a send to an address (or a connect() to the
# sender, a UDP "accept") in the same program (a wrapper function or macro of the program calls
# them by these names too), UDP003 a pktinfo field; a program with neither is dropped whole.
C_RECEIVE_PATTERN = re.compile(rb"\brecv(?:from|msg|mmsg)\s*\(")
C_SEND_PATTERN = re.compile(rb"\b(?:send(?:to|msg|mmsg)|connect)\s*\(")
C_PKTINFO_PATTERN = re.compile(rb"\bipi6?_(?:spec_dst|addr|ifindex)\b")

# Go and Java, per file: a file without any of these names no datagram socket, peer address or
# control message, so it holds no fact a finding starts from or ends at; a joiner module may
# widen this with its own PREFILTER_NEEDLES. (Java's are type and handler names: `receive` alone
# is in half of any large Java tree, and semgrep's cost grows with every file it is handed.)
_LEGACY_NEEDLES = {
    # the listen and the reply are often in other files than the receive (a transport's
    # WriteTo(b, addr) called from the protocol's handler with a net.Addr it was given)
    "go": (b"ReadFrom", b"ReadMsg", b"WriteTo", b"WriteMsg", b"ListenUDP", b"ListenPacket", b"PacketConn",
           b"UDPAddr", b"UDPConn", b"net.Addr", b"IfIndex", b"Ifindex", b"Spec_dst", b"ControlMessage"),
    "java": (b"Datagram", b"SocketAddress", b"messageReceived", b"channelRead"),
}
# Java, per program: a source tree with no datagram type at all has no UDP socket to blame.
JAVA_PROGRAM_PATTERN = re.compile(rb"\b(?:Datagram(?:Packet|Socket|Channel|Acceptor)|MulticastSocket|"
                                  rb"(?:Nio|Epoll|KQueue|IoUring|Oio)DatagramChannel)\b")
# a program's join that takes longer than this is reported (it means a quadratic path came back)
SLOW_JOIN_SECONDS = 10.0
_CODE = re.compile(r"^UDP\d{3}$")
_PREFIX = re.compile(r"^UDP\d{3}:\s*")
_FACT_ID = re.compile(r"udplint\.fact\.(c|go|java)\.([A-Za-z_][\w-]*)")
_JAVA_PACKAGE = re.compile(rb"^\s*package\s+([\w.]+)\s*;", re.M)


@dataclass
class SourceText:
    given: str  # the name as the user gave it
    language: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class Target:
    """One file handed to semgrep: the original or a resolved variant of it."""

    scanned: str  # the path semgrep sees
    source: SourceText
    variant: bool = False


@dataclass
class NativeRun:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    facts: List[NativeFact] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # one-line diagnostics for stderr


def check_files(paths: Sequence[Path]) -> Tuple[List[Finding], List[FileError]]:
    """Check C/Go/Java files; findings name each file as it was given. Notes go to stderr."""
    run = run_native(paths)
    for note in run.notes:
        print(f"udplint: {note}", file=sys.stderr)
    return run.findings, run.errors


def run_native(paths: Sequence[Path], joiners: Optional[Mapping[str, Callable]] = None) -> NativeRun:
    run = NativeRun()
    sources = _read(paths, run)
    survivors = prefilter(sources)
    if not survivors:
        return run
    with tempfile.TemporaryDirectory(prefix="udplint-cpp-") as scratch:
        targets = _targets(survivors, Path(scratch), proactive=True)
        report = semgrep.scan([t.scanned for t in targets])
        retry = _syntax_failures(report, targets)
        retried = _targets([t.source for t in retry], Path(scratch) / "retry", proactive=False, force=True)
        reports = [(report, targets)]
        if retried:
            reports.append((semgrep.scan([t.scanned for t in retried]), retried))
        for one_report, one_targets in reports:
            _collect(one_report, one_targets, run)
    run.errors = _file_errors(reports, run)
    run.facts = _dedupe_facts(run.facts)
    run.findings += _join(run.facts, survivors, run, joiners)
    run.findings = _dedupe(run.findings)
    return run


def _read(paths: Sequence[Path], run: NativeRun) -> List[SourceText]:
    sources = []
    for path in paths:
        given = str(path)
        language = LANGUAGE_OF_SUFFIX.get(Path(given).suffix.lower())
        if language is None:
            continue
        try:
            data = read_regular_bytes(Path(path))  # a regular file, read no further than the size limit
        except UnreadableSource as exc:
            run.errors.append(exc.error(given))
            continue
        sources.append(SourceText(given, language, data))
    return sources


def prefilter(sources: Sequence[SourceText]) -> List[SourceText]:
    """The files worth a semgrep run (see the needle tables above)."""
    kept = []
    dropped = []
    for program in group_programs(sources, lambda s: s.language, lambda s: s.given, lambda s: s.data).values():
        language = program[0].language
        if language == "c":
            kept += _c_program_survivors(program)
        elif language == "java" and not any(JAVA_PROGRAM_PATTERN.search(s.data) for s in program):
            continue
        else:
            needles = _needles(language)
            for s in program:
                (kept if any(n in s.data for n in needles) else dropped).append(s)
    # a joiner may keep more of the dropped files (Go: a file that imports a package of the run
    # that receives datagrams hands that transport its handlers and reads what it delivers)
    for language in sorted({s.language for s in dropped}):
        module = _joiner_module(language)
        rescue = getattr(module, "prefilter_linked", None) if module else None
        if rescue is not None:
            mine = [s for s in dropped if s.language == language]
            wanted = rescue([(s.given, s.data) for s in mine],
                            [(s.given, s.data) for s in kept if s.language == language])
            kept += [s for s in mine if s.given in wanted]
    return kept


def _c_program_survivors(program: Sequence[SourceText]) -> List[SourceText]:
    def anywhere(pattern: re.Pattern) -> bool:
        return any(pattern.search(s.data) for s in program)

    if not ((anywhere(C_RECEIVE_PATTERN) and anywhere(C_SEND_PATTERN)) or anywhere(C_PKTINFO_PATTERN)):
        return []
    return [s for s in program if C_FILE_PATTERN.search(s.data)]


def _needles(language: str) -> Tuple[bytes, ...]:
    joiner = _joiner_module(language)
    extra = tuple(getattr(joiner, "PREFILTER_NEEDLES", ())) if joiner else ()
    return _LEGACY_NEEDLES.get(language, ()) + extra


def group_programs(items: Iterable, language_of: Callable, path_of: Callable,
                   data_of: Callable) -> Dict[Tuple[str, str], list]:
    """Group per program: C and Go by directory, Java by source root (the directory above the
    package path its `package` line names, else its directory)."""
    groups: Dict[Tuple[str, str], list] = defaultdict(list)
    roots: Dict[str, str] = {}
    for item in items:
        language, path = language_of(item), path_of(item)
        if language == "java":
            if path not in roots:
                roots[path] = _java_root(path, data_of(item))
            key = roots[path]
        else:
            key = os.path.dirname(os.path.abspath(path))
        groups[(language, key)].append(item)
    return dict(groups)


def _java_root(path: str, data: Optional[bytes]) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    match = _JAVA_PACKAGE.search(data or b"")
    if not match:
        return directory
    parts = match.group(1).decode("ascii", "replace").split(".")
    here = Path(directory)
    if len(here.parts) > len(parts) and list(here.parts[-len(parts):]) == parts:
        return str(Path(*here.parts[:-len(parts)]))
    return directory


def _targets(sources: Sequence[SourceText], scratch: Path, proactive: bool, force: bool = False) -> List[Target]:
    """The originals (unless `force`: only variants), plus the resolved variants of C files whose
    conditionals split code."""
    targets = [] if force else [Target(s.given, s) for s in sources]
    for number, source in enumerate(sources):
        if source.language != "c":
            continue
        text = source.text
        if proactive and not cpp_branches.needs_variants(text):
            continue
        for index, variant in enumerate(cpp_branches.variants(text)):
            where = scratch / f"{number}-{index}"
            where.mkdir(parents=True, exist_ok=True)
            scanned = where / Path(source.given).name
            scanned.write_text(variant, encoding="utf-8")
            targets.append(Target(str(scanned), source, variant=True))
    return targets


def _by_scanned_path(targets: Sequence[Target]) -> Dict[str, Target]:
    return {os.path.realpath(t.scanned): t for t in targets}


def _syntax_failures(report: dict, targets: Sequence[Target]) -> List[Target]:
    """Originals semgrep could not parse that were not already given as variants."""
    by_path = _by_scanned_path(targets)
    have_variants = {t.source.given for t in targets if t.variant}
    failed = []
    for entry in report.get("errors", []):
        target = by_path.get(os.path.realpath(_error_path(entry) or ""))
        if target and not target.variant and _is_parse_failure(entry) and target.source.language == "c" \
                and target.source.given not in have_variants and target not in failed:
            failed.append(target)
    return failed


def _error_path(entry: dict) -> str:
    return entry.get("path") or (entry.get("spans") or [{}])[0].get("file") or ""


def _is_parse_failure(entry: dict) -> bool:
    kind = str(entry.get("type", ""))
    kind = kind[0] if isinstance(entry.get("type"), list) and entry["type"] else kind
    return "Syntax" in str(kind) or "Lexical" in str(kind) or "Parse" in str(kind)


def _collect(report: dict, targets: Sequence[Target], run: NativeRun) -> None:
    by_path = _by_scanned_path(targets)
    for result in report.get("results", []):
        target = by_path.get(os.path.realpath(result.get("path", "")))
        if target is None:
            continue
        fact = _fact(result, target)
        if fact is not None:
            run.facts.append(fact)
            continue
        finding = _legacy_finding(result, target)
        if finding is not None:
            run.findings.append(finding)


def _fact(result: dict, target: Target) -> Optional[NativeFact]:
    extra = result.get("extra", {})
    metadata = extra.get("metadata", {}) or {}
    kind, language = metadata.get("udplint-fact"), metadata.get("udplint-lang")
    match = _FACT_ID.search(str(result.get("check_id", "")))
    if match:
        language = language or match.group(1)
        kind = kind or match.group(2)
    if not kind or not language:
        return None
    attrs = parse_message(str(extra.get("message", "")))
    if language != "c":  # the Go and Java joins read an unbound `$NAME` as absent (factmodel)
        attrs = {key: value for key, value in attrs.items() if not _UNBOUND.match(value)}
    start, end = result["start"], result["end"]
    return NativeFact(language=str(language), kind=str(kind), path=target.source.given, line=start["line"],
                      column=start["col"], end_line=end["line"], end_column=end["col"], attrs=attrs,
                      function=attrs.get("func", ""))


def _legacy_finding(result: dict, target: Target) -> Optional[Finding]:
    extra = result.get("extra", {})
    code = str((extra.get("metadata", {}) or {}).get("udplint-code", ""))
    if not _CODE.match(code):
        return None  # not one of ours
    start, end = result["start"], result["end"]
    message = " ".join(str(extra.get("message", "")).split())
    return Finding(code=code, filename=target.source.given, location=Location(start["line"], start["col"]),
                   end_location=Location(end["line"], end["col"]), message=_PREFIX.sub("", message),
                   source_line=source_line(target.source.text, start["line"]))


def source_line(text: str, row: int) -> str:
    lines = text.splitlines()
    return lines[row - 1] if 0 < row <= len(lines) else ""


def _file_errors(reports, run: NativeRun) -> List[FileError]:
    """One error per file that no version of could be parsed (a file rescued by one of its
    resolved variants is not an error); semgrep errors without a file stop the run."""
    errors = list(run.errors)
    parsed: Dict[str, bool] = {}
    failure: Dict[str, str] = {}
    timed_out: Set[str] = set()
    for report, targets in reports:
        by_path = _by_scanned_path(targets)
        failed_here = set()
        for entry in report.get("errors", []):
            path = _error_path(entry)
            level = entry.get("level", "error")
            message = " ".join(str(entry.get("message") or entry.get("type") or "semgrep error").split())
            if not path:
                if level == "error":
                    raise semgrep.SemgrepFailed(f"semgrep could not run udplint's rules: {message}")
                continue
            target = by_path.get(os.path.realpath(path))
            given = target.source.given if target else path
            if level == "error" or _is_parse_failure(entry):
                failed_here.add(os.path.realpath(path))
                failure.setdefault(given, _describe(entry, message, target))
                if entry.get("type") == "Timeout" and level == "error":
                    timed_out.add(given)  # no variant helps: semgrep never finished it
        for target in targets:
            ok = os.path.realpath(target.scanned) not in failed_here
            parsed[target.source.given] = parsed.get(target.source.given, False) or ok
    for given, reason in failure.items():
        if given in timed_out:
            errors.append(FileError(given, f"semgrep: {reason}", "too-complex"))
        elif not parsed.get(given, False):
            errors.append(FileError(given, f"semgrep: {reason}", "syntax"))
        else:
            run.notes.append(f"{given}: parsed with its preprocessor conditionals resolved ({reason})")
    return errors


def _describe(entry: dict, message: str, target: Optional[Target]) -> str:
    """A one-line reason: semgrep's parse errors quote whole code blocks, keep where it failed."""
    if _is_parse_failure(entry):
        start = ((entry.get("spans") or [{}])[0].get("start") or {})
        line = start.get("line")
        return f"syntax error at line {line}" if line else "syntax error"
    if target is not None:
        message = message.replace(target.scanned, target.source.given)
    return message[:200]


def _join(facts: Sequence[NativeFact], sources: Sequence[SourceText], run: NativeRun,
          joiners: Optional[Mapping[str, Callable]]) -> List[Finding]:
    texts = {s.given: s.text for s in sources}
    found: List[Finding] = []
    programs = group_programs(facts, lambda f: f.language, lambda f: f.path,
                              lambda f: texts.get(f.path, "").encode("utf-8", "replace"))
    # a program's sources are all its files that were checked, also those without a fact (a
    # header that only declares the sockaddr union the program's peers are stored in)
    checked = group_programs(sources, lambda s: s.language, lambda s: s.given, lambda s: s.data)
    missing = set()
    for (language, root), program_facts in sorted(programs.items()):
        join = (joiners or {}).get(language) or _joiner(language)
        if join is None:
            missing.add(language)
            continue
        paths = {f.path for f in program_facts} | {s.given for s in checked.get((language, root), ())}
        # Go: the packages this one imports that are in the run join with it (a server's handler
        # in one package replies through a transport another package opened)
        linked = _linked_programs(language, root, paths, texts, programs)
        if linked:
            every_fact = [f for other in linked for f in programs[(language, other)]]
            chooser = _linked_facts_chooser(language)
            if chooser is None:  # the whole linked programs, also their files without a fact
                program_facts = list(program_facts) + every_fact
                paths |= {f.path for f in every_fact} | {s.given for other in linked
                                                         for s in checked.get((language, other), ())}
            else:  # only what the joiner takes from them (Java: their transport files)
                brought = list(chooser(every_fact))
                program_facts = list(program_facts) + brought
                paths |= {f.path for f in brought}
        started = time.process_time()
        found += join(program_facts, {p: texts[p] for p in paths if p in texts}, run.notes)
        spent = time.process_time() - started
        if spent > SLOW_JOIN_SECONDS:
            run.notes.append(f"{root}: joining the {len(program_facts)} {language} facts of this program took "
                             f"{spent:.0f}s of CPU (please report: a join should take well under a second)")
    for language in sorted(missing):
        run.notes.append(f"{language}: fact rules matched but udplint has no {language} joiner "
                         f"(udplint/polyglot/{language}.py); only its whole-finding rules were applied")
    return found


def _linked_programs(language: str, root: str, paths, texts: Mapping[str, str],
                     programs: Mapping[Tuple[str, str], list]) -> List[str]:
    """The roots of the other programs of the run that the joiner links to this one (its
    `linked_programs(root, sources, {other root: its facts})`; none for a joiner without one)."""
    module = _joiner_module(language)
    linker = getattr(module, "linked_programs", None) if module else None
    if linker is None:
        return []
    others = {other: facts for (lang, other), facts in programs.items() if lang == language and other != root}
    return list(linker(root, {p: texts[p] for p in paths if p in texts}, others))


def _linked_facts_chooser(language: str) -> Optional[Callable]:
    """The joiner's `linked_facts(facts)`: which facts of linked programs it takes (None: all)."""
    module = _joiner_module(language)
    return getattr(module, "linked_facts", None) if module else None


def _joiner_module(language: str):
    try:
        return importlib.import_module(f"udplint.polyglot.{language}")
    except ModuleNotFoundError as exc:
        if exc.name != f"udplint.polyglot.{language}":
            raise
        return None


def _joiner(language: str) -> Optional[Callable]:
    module = _joiner_module(language)
    return getattr(module, "join", None) if module else None


def _dedupe_facts(facts: Iterable[NativeFact]) -> List[NativeFact]:
    """A fact found in the original and in a resolved variant is one fact."""
    seen = set()
    unique = []
    for fact in facts:
        key = (fact.language, fact.kind, fact.path, fact.line, fact.column, fact.end_line, fact.end_column,
               tuple(sorted(fact.attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(fact)
    return sorted(unique, key=lambda f: (f.path, f.line, f.column, f.kind))


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen = set()
    unique = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.code, finding.filename, finding.location)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
