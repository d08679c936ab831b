"""Recognise servers already rewritten by a udplint fix, so a fixed file checks clean.

The data flow sees through the injected helpers: the asyncio helper's fallback path still calls
`loop.create_datagram_endpoint`, and a socketserver handler's `self.wfile.write` still reaches the
server socket. Both are pinned at run time by the helpers (the fallback runs only where pktinfo
does not exist), so their violations are not reported.
"""
from __future__ import annotations

import libcst as cst

SERVER_MIXIN = "_PktinfoServerMixin"
ENDPOINT_HELPER = "_pktinfo_create_datagram_endpoint"


def pinned_by_fix(facts, violation) -> bool:
    site = violation.server.site
    if site.kind == "socketserver" and site.server_class is not None:
        chain, _ = facts.flow.ancestry(site.server_class.index)
        return any(cls.name == SERVER_MIXIN and "get_request" in cls.methods for cls in chain)
    if site.kind == "asyncio":
        function = getattr(site.ctx, "function", None) or getattr(site.ctx, "func", None)
        name = getattr(function, "name", None)
        if name is None:
            name = _enclosing_function_name(site.ctx.module, site.node)
        return name == ENDPOINT_HELPER
    return False


def _enclosing_function_name(module, node: cst.CSTNode):
    from .plain import parents

    table = parents(module)
    current = table.get(node)
    while current is not None and not isinstance(current, cst.FunctionDef):
        current = table.get(current)
    return current.name.value if current is not None else None


def fixed_keys(facts):
    """Anchor keys of findings that only come from servers a fix already pinned."""
    from ..python.rules import violations
    from . import anchor_key

    pinned, open_ = set(), set()
    for violation in violations(facts):
        (pinned if pinned_by_fix(facts, violation) else open_).add(anchor_key(violation))
    return pinned - open_
