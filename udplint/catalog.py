"""The rule catalog: one place for every rule id, shared by the Python checker and the semgrep
rules for C, Go and Java. Ids never change meaning; retired ids are never reused.

Each rule's documentation (ruff layout: What it does / Why is this bad? / Example / Use instead /
Fix safety) is the markdown in `udplint/ruledocs/<ID>.md`; `docs/rules/` is generated from it
(`python -m udplint.docs`) and a test keeps the two identical.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Optional

DOCS_URL = "https://github.com/udplint/udplint/blob/main/docs/rules/{code}.md"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # the "what" of a finding, one line
    why: str  # the "why", one line, appended to messages
    fix_hint: str  # the short "fix:" line printed under a text finding
    # GitHub code scanning's `security-severity` (CVSS-like 0.0-10.0; 4.0-6.9 shows as "medium"),
    # which it sorts alerts by. A reply from the wrong address is an availability bug; None for a
    # rule that is not about the program's behaviour (UDP900).
    security_severity: Optional[str] = None

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)

    def docs(self) -> str:
        """The rule page: the shared text, then what the rule finds in each semgrep language."""
        base = resources.files("udplint.ruledocs").joinpath(f"{self.code}.md").read_text("utf-8").rstrip()
        sections = [_language_section(lang, self.code) for lang in LANGUAGES]
        sections = [s for s in sections if s]
        if not sections:
            return base + "\n"
        return base + "\n\n## In C, Go and Java\n\n" + "\n\n".join(sections) + "\n"


LANGUAGES = ("c", "go", "java")


def _language_section(lang: str, code: str) -> str:
    """The `### CODE` part of ruledocs/lang/<lang>.md, retitled with the language name."""
    text = resources.files("udplint.ruledocs").joinpath("lang", f"{lang}.md").read_text("utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    parts = text.split(f"### {code}\n", 1)
    if len(parts) < 2:
        return ""
    body = parts[1].split("\n### ", 1)[0].strip()
    return f"### {title}\n\n{body}"


RULES = {
    rule.code: rule
    for rule in (
        Rule(
            code="UDP001",
            name="wildcard-udp-reply-unpinned-source",
            summary="UDP server bound to a wildcard address replies to the sender without pinning the source address",
            why="the kernel picks the reply's source by route, so on a multi-homed host it can differ from the "
            "address the client sent to and the client drops the reply",
            fix_hint="enable IP_PKTINFO/IPV6_RECVPKTINFO, receive with recvmsg() and reply with sendmsg() carrying "
            "an IP_PKTINFO/IPV6_PKTINFO control message whose source is the request's destination",
            security_severity="5.3",
        ),
        Rule(
            code="UDP002",
            name="pktinfo-half-fix",
            summary="UDP server prepares packet info but the reply still does not pin the source address",
            why="enabling IP_PKTINFO or switching to recvmsg()/sendmsg() changes nothing unless the reply "
            "carries a pktinfo control message with the request's destination",
            fix_hint="send the reply with sendmsg() and one fresh IP_PKTINFO (ipi_spec_dst = the received "
            "ipi_spec_dst, ifindex 0) or IPV6_PKTINFO (ipi6_addr = the received address) control message",
            security_severity="5.3",
        ),
        Rule(
            code="UDP003",
            name="pktinfo-reply-wrong-field",
            summary="reply control message is built from the wrong pktinfo field or echoes the received control data",
            why="ipi_addr is the header destination (a broadcast address for broadcast requests, and ignored by "
            "Linux on send), a non-zero ifindex bypasses routing, and echoing the whole control buffer makes "
            "sendmsg() fail when other IP_RECV* options are on",
            fix_hint="build one fresh control message: IPv4 ipi_spec_dst = received ipi_spec_dst, ipi_addr = 0, "
            "ipi_ifindex = 0; IPv6 ipi6_addr = received ipi6_addr (skip multicast), ipi6_ifindex = 0",
            security_severity="4.3",
        ),
        Rule(
            code="UDP900",
            name="invalid-syntax",
            summary="file cannot be parsed, so it was not checked",
            why="a file that does not parse hides whatever UDP server it holds, and a run that passed over it "
            "would look clean",
            fix_hint="fix the syntax error (or exclude the file, or ignore UDP900 for it in per-file-ignores)",
        ),
    )
}


def rule(code: str) -> Rule:
    return RULES[code]
