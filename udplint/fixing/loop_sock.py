"""asyncio's `loop.sock_recvfrom()` / `loop.sock_sendto()` on a plain non-blocking socket.

asyncio has no `loop.sock_recvmsg()` / `sock_sendmsg()` (CPython PR #114857 was closed), so the
receive waits with `loop.add_reader` until the socket is readable and then calls `recvmsg()`,
and the reply is a `sendmsg()`: on a UDP socket it does not wait, and a full send buffer drops
the reply (as UDP may) instead of ending the server's loop.

    readable = asyncio.Event()  # asyncio has no sock_recvmsg(): wait until readable, then recvmsg()
    loop.add_reader(sock, readable.set)
    try:
        await readable.wait()
    finally:
        loop.remove_reader(sock)
    data, ancdata, _flags, addr = sock.recvmsg(2048, socket.CMSG_SPACE(12))   # was await loop.sock_recvfrom(sock, 2048)
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from . import snippets
from .locate import Source, fresh_name, imported_as, names_in

RECEIVE, REPLY = "sock_recvfrom", "sock_sendto"


def plan_receive(plan, source: Source, call: cst.Call, statement: cst.SimpleStatementLine, target: cst.Tuple,
                 prefix: str, ipv6: bool):
    """`data, addr = await loop.sock_recvfrom(sock, n)`: wait for readability, then recvmsg.
    Returns (ancdata name, names the receive binds), or None for another shape."""
    from .plain import insert_elements, plain_positional

    asyncio = imported_as(source.file_of(call), "asyncio")
    if asyncio is None or len(call.args) != 2 or not plain_positional(call) or len(target.elements) != 2 \
            or not isinstance(statement.body[0].value, cst.Await):
        return None
    loop, sock, size = (source.code(n) for n in (call.func.value, call.args[0].value, call.args[1].value))
    scope = source.scope(call)
    ancdata = fresh_name(scope, "ancdata")
    flags = fresh_name(scope, "_flags", {ancdata})
    readable = fresh_name(scope, "readable", {ancdata, flags})
    plan.insert_before(statement, [
        f"{readable} = {asyncio}.Event()  # asyncio has no sock_recvmsg(): wait until readable, then recvmsg()\n",
        f"{loop}.add_reader({sock}, {readable}.set)\n",
        f"try:\n    await {readable}.wait()\nfinally:\n    {loop}.remove_reader({sock})\n",
    ])
    receive = cst.parse_expression(f"{sock}.recvmsg({size}, {snippets.ancillary_size(prefix, ipv6)})")
    new_target = insert_elements(target, 1, [ancdata, flags])

    def rebuild(updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        assign = updated.body[0]
        return updated.with_changes(body=[assign.with_changes(
            targets=[assign.targets[0].with_changes(target=new_target)], value=receive)])

    plan.rebuild[statement] = rebuild
    return ancdata, names_in(target)


def reply_address(source: Source, call: cst.Call) -> Optional[cst.BaseExpression]:
    """The peer of `await loop.sock_sendto(sock, data, addr)` as a statement of its own."""
    from .plain import plain_positional

    statement = source.line_of(call)
    if len(call.args) != 3 or not plain_positional(call) or statement is None \
            or not isinstance(statement.body[0], cst.Expr) or statement.body[0].value is not source.parent(call):
        return None
    return call.args[2].value


def plan_reply(plan, source: Source, call: cst.Call, control_code: str) -> None:
    """`await loop.sock_sendto(sock, data, addr)` -> a sendmsg() that a full buffer cannot end the loop with."""
    statement = source.line_of(call)
    sock, data, addr = (source.code(a.value) for a in call.args)
    comment = source.code(statement.trailing_whitespace).strip()
    code = (f"try:\n"
            f"    {sock}.sendmsg([{data}], {control_code}, 0, {addr}){'  ' + comment if comment else ''}\n"
            f"except BlockingIOError:\n"
            f"    pass  # the send buffer is full: the reply is dropped, as UDP may\n")

    def rebuild(updated: cst.SimpleStatementLine) -> cst.BaseStatement:
        return cst.parse_statement(code).with_changes(leading_lines=updated.leading_lines)

    plan.rebuild[statement] = rebuild
