"""Facts that semgrep fact rules report for C, Go and Java, as plain data.

A fact rule finds one kind of fact (a wildcard bind, a receive that learns a peer, a send to an
address, a pktinfo option, a connect, ...). Semgrep CE's JSON output carries no metavariable
bindings, so each rule puts what the join needs into its message as `key=value` pairs separated by
`;` (semgrep interpolates `$X` there). The rule id's last dotted part is the fact kind:
`udplint.fact.c.bind` -> kind "bind"; `metadata: {udplint-fact: bind, udplint-lang: c}` says the same
explicitly. Per-language joiners (`udplint/polyglot/<lang>.py`) turn a list of NativeFact into
findings; nothing downstream sees semgrep's JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping


@dataclass(frozen=True)
class NativeFact:
    language: str  # "c" | "go" | "java"
    kind: str  # "socket" | "bind" | "receive" | "send" | "option" | "connect" | "multicast" | ...
    path: str  # the file as the user named it
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int
    attrs: Mapping[str, str] = field(default_factory=dict)  # parsed from the rule message
    function: str = ""  # enclosing function/method name when the rule reports it (attrs["func"])

    def get(self, key: str, default: str = "") -> str:
        return self.attrs.get(key, default)


def parse_message(message: str) -> Dict[str, str]:
    """`"sock=fd; host=INADDR_ANY"` -> {"sock": "fd", "host": "INADDR_ANY"}; values are stripped.

    A value may itself contain `=`; only the first `=` of each `;`-separated part splits."""
    attrs: Dict[str, str] = {}
    for part in message.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            attrs[key.strip()] = value.strip()
    return attrs


def facts_by_kind(facts: Iterable[NativeFact]) -> Dict[str, List[NativeFact]]:
    grouped: Dict[str, List[NativeFact]] = {}
    for fact in facts:
        grouped.setdefault(fact.kind, []).append(fact)
    return grouped


import re  # noqa: E402  (kept below the shared code so merges stay simple)

_UNBOUND = re.compile(r"^\$(?:\.\.\.)?[A-Z][A-Z0-9_]*$")


def facts_from_semgrep_json(doc: Mapping) -> List[NativeFact]:
    """The fact rules' results of one `semgrep --json` run as NativeFact.

    The kind and language come from the rule's metadata (`udplint-fact`, `udplint-lang`), else
    from the rule id `...udplint.fact.<lang>.<kind>` (semgrep prefixes ids with the config path).
    Results of other rules are skipped. A metavariable that the matching pattern did not bind
    stays in the message as `$NAME`; such values are dropped, so `attrs.get(key)` is "" for them.
    """
    facts: List[NativeFact] = []
    for result in doc.get("results", []):
        extra = result.get("extra", {})
        meta = extra.get("metadata", {}) or {}
        rule_id = str(result.get("check_id", ""))
        _, marker, tail = rule_id.rpartition("udplint.fact.")
        lang, _, kind = tail.partition(".") if marker else ("", "", "")
        kind = str(meta.get("udplint-fact") or kind)
        lang = str(meta.get("udplint-lang") or lang)
        if not kind or not lang:
            continue
        attrs = {key: value for key, value in parse_message(str(extra.get("message", ""))).items()
                 if not _UNBOUND.match(value)}
        start, end = result["start"], result["end"]
        facts.append(NativeFact(
            language=lang, kind=kind, path=str(result["path"]),
            line=int(start["line"]), column=int(start["col"]),
            end_line=int(end["line"]), end_column=int(end["col"]),
            attrs=attrs, function=attrs.get("func", ""),
        ))
    return facts
