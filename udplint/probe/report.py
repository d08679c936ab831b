"""Probe results as text (one line per target) or JSON (a list, one object per target)."""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Sequence

from .probe import Exchange, ProbeResult
from .targets import SockAddr, format_sockaddr


def _shown_target(result: ProbeResult) -> str:
    """The target as given, with the address it resolved to when that differs."""
    target = result.target
    return target.text if target.text == target.address else f"{target.text} ({target.address})"


def text(results: Sequence[ProbeResult]) -> str:
    return "".join(f"{_shown_target(r)}: {r.verdict.name}: {r.verdict.explanation}\n" for r in results)


def _address(sockaddr: Optional[SockAddr]) -> Optional[str]:
    return None if sockaddr is None else format_sockaddr(sockaddr)


def _exchange(exchange: Exchange) -> Dict[str, object]:
    return {
        "requests": exchange.requests,
        "reply_from": _address(exchange.reply_from),
        "port_unreachable": exchange.refused,
        "error": exchange.error,
    }


def _result(result: ProbeResult) -> Dict[str, object]:
    target = result.target
    return {
        "target": target.text,
        "address": target.host,
        "port": target.port,
        "verdict": result.verdict.name,
        "explanation": result.verdict.explanation,
        "request": result.request,
        "client_address": result.source.address,
        "can_show_wrong_source": result.source.reveals,
        "unconnected": _exchange(result.unconnected),
        "connected": _exchange(result.connected),
    }


def as_json(results: Sequence[ProbeResult]) -> str:
    rows: List[Dict[str, object]] = [_result(r) for r in results]
    return json.dumps(rows, indent=2) + "\n"


REPORTERS = {"text": text, "json": as_json}
