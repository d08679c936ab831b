"""Fixes for plain sockets, in place: the option where the socket is bound, recvmsg where it
receives, sendmsg with this request's control message where it replies.

    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)               # inserted before the bind
    data, ancdata, _flags, addr = sock.recvmsg(2048, socket.CMSG_SPACE(12))   # was recvfrom(2048)
    sock.sendmsg([reply], reply_pktinfo(ancdata), 0, addr)          # was sendto(reply, addr)

The control data travels with the address only as far as the code already carries it: the
receive and the reply in one function, or the address handed on to a function, a thread or a
queue of this file (see `carry.py`). Anything else gets the same pattern as a suggestion.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Set

import libcst as cst

from . import loop_sock, snippets
from .locate import Source, assigned_names, fresh_name, names_in
from .plan import CONSTANT, HELPER, IMPORT, SAFE, UNSAFE, Plan, suggestion
from .target import FixTarget

OTHER_ANCILLARY_PREFIXES = ("IP_RECV", "IPV6_RECV", "IP_ORIGDSTADDR", "SO_TIMESTAMP", "IPV6_HOPLIMIT", "IP_TTL")
PKTINFO_OPTIONS = {"IP_PKTINFO", "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "IP_RECVDSTADDR", "IPV6_2292PKTINFO"}
RECEIVES = ("recvfrom", "recvfrom_into", "recvmsg")

PATTERN = """\
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # the Linux value; Python names it from 3.12
sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)  # AF_INET6: also IPPROTO_IPV6, IPV6_RECVPKTINFO
data, ancdata, _flags, addr = sock.recvmsg(2048, socket.CMSG_SPACE(12))
pktinfo = [(socket.IPPROTO_IP, IP_PKTINFO, bytes(4) + d[4:8] + bytes(4))  # ipi_spec_dst, ifindex 0
           for level, kind, d in ancdata if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(d) >= 12]
sock.sendmsg([reply], pktinfo, 0, addr)  # AF_INET6: IPV6_PKTINFO (ipi6_addr, ifindex 0) unless multicast"""


def pattern(intro: str) -> str:
    return f"{intro}; write instead (Linux):\n{PATTERN}"


# -- how the file names the socket module -------------------------------------------------------
@dataclass(frozen=True)
class SocketModule:
    prefix: str  # `socket`, or the alias the file imports it as
    import_line: Optional[str]  # a line to add when the file imports only names from it


def socket_module(source: Source) -> SocketModule:
    bound = set()
    for statement in source.tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if source.code(alias.name) == "socket":
                        return SocketModule(alias.asname.name.value if alias.asname else "socket", None)
            elif isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                bound.add("socket")  # `from socket import *` binds the class `socket`
            elif isinstance(small, cst.ImportFrom):
                bound |= {(a.asname.name.value if a.asname else source.code(a.name)) for a in small.names}
    if "socket" in bound or "socket" in assigned_names(source.tree):
        return SocketModule("socket_module", "import socket as socket_module")
    return SocketModule("socket", "import socket")


def existing_helper_problem(source: Source, ipv6: bool) -> Optional[str]:
    """A `reply_pktinfo` the file already has (a fix of another server) must do what this fix needs."""
    for statement in source.tree.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == snippets.HELPER:
            code = source.code(statement)
            if "spec_dst" not in code:
                return f"the module already defines a different {snippets.HELPER}(): no automatic fix"
            if ipv6 and "IPV6_PKTINFO" not in code:
                return f"the module's {snippets.HELPER}() handles IPv4 only; extend it for IPv6 by hand"
    return None


def add_common_code(plan: Plan, source: Source, module: SocketModule, ipv6: bool) -> None:
    """The import, the IP_PKTINFO constant and the helper, each unless the file has it already."""
    add_constant(plan, source, module)
    if snippets.HELPER not in _top_level_names(source):
        key = (source.path, "helper")
        dual = snippets.HELPER_DUAL.format(S=module.prefix)
        needs_dual = ipv6 or plan.module_code.get(key, (HELPER, ""))[1] == dual  # dual covers IPv4 too
        plan.module_code[key] = (HELPER, dual if needs_dual else snippets.HELPER_INET.format(S=module.prefix))


def add_constant(plan: Plan, source: Source, module: SocketModule) -> None:
    """The import and the IP_PKTINFO constant (a file that enables the option but never replies)."""
    add_import(plan, source, module)
    if snippets.CONSTANT not in _top_level_names(source):
        plan.add_module_code(source.path, "constant", CONSTANT, snippets.CONSTANT_LINE.format(S=module.prefix))


def add_import(plan: Plan, source: Source, module: SocketModule) -> None:
    """The socket module's import (a file that only receives needs `socket.CMSG_SPACE`)."""
    if module.import_line:
        plan.add_module_code(source.path, "import", IMPORT, module.import_line + "\n")


def _top_level_names(source: Source) -> Set[str]:
    names = set()
    for statement in source.tree.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        names |= names_in(target.target)
                elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(getattr(small, "names", None), cst.ImportStar):
                    for alias in small.names:
                        names.add(alias.asname.name.value if alias.asname else source.code(alias.name).split(".")[0])
    return names


# -- syntax helpers -----------------------------------------------------------------------------
COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def with_args(call: cst.Call, values: List[cst.CSTNode]) -> cst.Call:
    """`call` with these arguments, in the call's own layout. Args keep their commas (and the
    comments on them); a new expression gets `, ` on one line, or its own line where the
    arguments are one per line; the trailing comma before a `)` on its own line stays last."""
    line = _argument_line(call)  # newline + indentation between arguments, if one per line
    trailing = call.args[-1].comma if call.args else cst.MaybeSentinel.DEFAULT
    trailing_newline = isinstance(trailing, cst.Comma) and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace)
    between = cst.Comma(whitespace_after=line) if line is not None else COMMA
    args = []
    for index, value in enumerate(values):
        last = index == len(values) - 1
        if isinstance(value, cst.Arg):
            arg = value
            if not last and arg.comma is trailing and trailing_newline and line is not None:
                # the old last argument is followed now: its comment stays, the next line is indented
                arg = arg.with_changes(comma=arg.comma.with_changes(
                    whitespace_after=arg.comma.whitespace_after.with_changes(last_line=line.last_line)))
            elif not last and not isinstance(arg.comma, cst.Comma):
                arg = arg.with_changes(comma=between)
            elif last and arg.comma is not trailing and not isinstance(trailing, cst.MaybeSentinel):
                arg = arg.with_changes(comma=_trailing(trailing))
        else:
            arg = cst.Arg(value=value, comma=between if not last else _trailing(trailing))
        args.append(arg)
    return call.with_changes(args=args)


def _argument_line(call: cst.Call) -> Optional[cst.ParenthesizedWhitespace]:
    """The whitespace that starts an argument on its own line (comment-free), if the call has one."""
    candidates = [call.whitespace_before_args] + [a.comma.whitespace_after for a in call.args[:-1]
                                                  if isinstance(a.comma, cst.Comma)]
    for whitespace in candidates:
        if isinstance(whitespace, cst.ParenthesizedWhitespace):
            return whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return None


def _trailing(comma) -> cst.Comma:
    """A trailing comma on its own line stays one (without the comment the old one carried)."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=comma.whitespace_after.with_changes(first_line=cst.TrailingWhitespace()))
    return cst.MaybeSentinel.DEFAULT


def renamed(call: cst.Call, method: str) -> cst.Call:
    return call.with_changes(func=call.func.with_changes(attr=cst.Name(method)))


def plain_positional(call: cst.Call) -> bool:
    return all(a.keyword is None and not a.star for a in call.args)


def tuple_target(statement: cst.SimpleStatementLine) -> Optional[cst.Tuple]:
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Tuple):
        target = small.targets[0].target
        if not any(isinstance(e, cst.StarredElement) for e in target.elements):
            return target
    return None


def insert_elements(target: cst.Tuple, at: int, names: List[str]) -> cst.Tuple:
    elements = list(target.elements)
    for offset, name in enumerate(names):
        elements.insert(at + offset, cst.Element(cst.Name(name), comma=COMMA))
    if not isinstance(elements[at - 1].comma, cst.Comma):
        elements[at - 1] = elements[at - 1].with_changes(comma=COMMA)
    if at + len(names) == len(elements):  # appended: no trailing comma
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return target.with_changes(elements=elements)


# -- the receive --------------------------------------------------------------------------------
@dataclass
class ReceivePlan:
    """How one receive becomes recvmsg: the control data's name and the names it binds."""

    statement: cst.SimpleStatementLine
    call: cst.Call
    ancdata: str
    bound: Set[str]  # names the receive statement binds (data, the peer address, ...)


def plan_receive(plan: Plan, source: Source, call: cst.Call, module: SocketModule, ipv6: bool,
                 enlarge: bool) -> Optional[ReceivePlan]:
    """Rewrite `a, addr = s.recvfrom(n)` (or recvfrom_into / a recvmsg without room for control
    data) to recvmsg with room for the pktinfo message. None when the shape is not one we know."""
    statement = source.line_of(call)
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    if method == loop_sock.RECEIVE and statement is not None and source.awaited(call):
        return _plan_loop_receive(plan, source, call, statement, module, ipv6)
    if statement is None or method not in RECEIVES or not plain_positional(call) or source.awaited(call):
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or small.value is not call:
        return None
    scope = source.scope(call)
    size = cst.parse_expression(snippets.ancillary_size(module.prefix, ipv6))
    target = tuple_target(statement)
    if target is None:
        return _plan_whole_result(plan, source, statement, call, method, size)
    if method in ("recvfrom", "recvfrom_into"):
        if len(target.elements) != 2 or not 1 <= len(call.args) <= (2 if method == "recvfrom" else 1):
            return None
        ancdata = fresh_name(scope, "ancdata")
        flags = fresh_name(scope, "_flags", {ancdata})
        new_target = insert_elements(target, 1, [ancdata, flags])
        new_method = "recvmsg" if method == "recvfrom" else "recvmsg_into"

        def rebuild(updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
            assign = updated.body[0]
            args = list(assign.value.args)
            if new_method == "recvmsg":
                values = [args[0], size, *args[1:]]
            else:
                values = [args[0].with_changes(value=cst.List([cst.Element(args[0].value)])), size]
            value = with_args(renamed(assign.value, new_method), values)
            target_node = assign.targets[0].with_changes(target=new_target)
            return updated.with_changes(body=[assign.with_changes(targets=[target_node], value=value)])

        plan.rebuild[statement] = rebuild
        return ReceivePlan(statement, call, ancdata, names_in(target))
    # recvmsg already: reuse its control data, make room for it if there is none
    if len(target.elements) != 4:
        return None
    anc_node = target.elements[1].value
    ancdata = anc_node.value if isinstance(anc_node, cst.Name) and anc_node.value != "_" else None
    args = list(call.args)
    room = args[1].value if len(args) > 1 else None
    too_small = room is None or _smaller_than(room, 72 if ipv6 else 32)
    if ancdata is not None and not (too_small or enlarge and not _at_least(room, 72 if ipv6 else 32)):
        return ReceivePlan(statement, call, ancdata, names_in(target))
    ancdata = ancdata or fresh_name(scope, "ancdata")
    name = ancdata
    def rebuild_recvmsg(updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        assign = updated.body[0]
        current = list(assign.value.args)
        values = [current[0], size, *current[2:]]
        elements = list(assign.targets[0].target.elements)
        elements[1] = elements[1].with_changes(value=cst.Name(name))
        target_node = assign.targets[0].with_changes(target=assign.targets[0].target.with_changes(elements=elements))
        return updated.with_changes(body=[assign.with_changes(targets=[target_node], value=with_args(assign.value, values))])

    plan.rebuild[statement] = rebuild_recvmsg
    return ReceivePlan(statement, call, ancdata, names_in(target))


def _plan_loop_receive(plan: Plan, source: Source, call: cst.Call, statement, module: SocketModule,
                       ipv6: bool) -> Optional[ReceivePlan]:
    """`data, addr = await loop.sock_recvfrom(sock, n)` (see loop_sock.py)."""
    small, target = statement.body[0], tuple_target(statement)
    if target is None or not isinstance(small, cst.Assign) or small.value is not source.parent(call):
        return None
    planned = loop_sock.plan_receive(plan, source, call, statement, target, module.prefix, ipv6)
    return ReceivePlan(statement, call, *planned) if planned is not None else None


def _plan_whole_result(plan: Plan, source: Source, statement, call: cst.Call, method: str, size) -> Optional[ReceivePlan]:
    """`msg = s.recvfrom(n)` used only as `msg[0]` and `msg[1]`: receive with recvmsg into the same
    name and read the address as `msg[3]`; the control data is `msg[1]`."""
    small = statement.body[0]
    if method != "recvfrom" or len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
        return None
    name = small.targets[0].target.value
    scope = source.scope(call)
    if len(assigned_names(scope).get(name, ())) != 1:
        return None
    uses = [n for n in source.positions if isinstance(n, cst.Name) and n.value == name
            and source.scope(n) is scope and n is not small.targets[0].target]
    addresses = []
    for use in uses:
        parent = source.parent(use)
        index = _literal_index(parent) if isinstance(parent, cst.Subscript) and parent.value is use else None
        if index not in (0, 1):
            return None
        if index == 1:
            addresses.append(parent)
    for subscript in addresses:
        plan.rebuild[subscript] = lambda updated: updated.with_changes(
            slice=[updated.slice[0].with_changes(slice=cst.Index(cst.Integer("3")))])
    plan.rebuild[call] = lambda updated: with_args(renamed(updated, "recvmsg"), [updated.args[0], size, *updated.args[1:]])
    return ReceivePlan(statement, call, f"{name}[1]", {name})


def _literal_index(subscript: cst.Subscript) -> Optional[int]:
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return None
    value = subscript.slice[0].slice.value
    return value.evaluated_value if isinstance(value, cst.Integer) else None


def _smaller_than(expr: cst.BaseExpression, size: int) -> bool:
    return isinstance(expr, cst.Integer) and expr.evaluated_value < size


def _at_least(expr: Optional[cst.BaseExpression], size: int) -> bool:
    return isinstance(expr, cst.Integer) and expr.evaluated_value >= size


# -- the reply ----------------------------------------------------------------------------------
def reply_address(call: cst.Call, method: str) -> Optional[cst.BaseExpression]:
    if not plain_positional(call):
        return None
    if method == "sendto" and len(call.args) in (2, 3):
        return call.args[-1].value
    if method == "sendmsg" and len(call.args) == 4:
        return call.args[3].value
    return None


def plan_reply(plan: Plan, source: Source, call: cst.Call, method: str, ancdata_expr: str) -> None:
    control = f"{snippets.HELPER}({ancdata_expr})"
    if method == loop_sock.REPLY:
        loop_sock.plan_reply(plan, source, call, control)
    else:
        plan_pinned_reply(plan, call, method, control)


def plan_pinned_reply(plan: Plan, call: cst.Call, method: str, control_code: str) -> None:
    """`s.sendto(data[, flags], addr)` -> `s.sendmsg([data], <control>, flags or 0, addr)`."""
    control = cst.parse_expression(control_code)

    def rebuild_sendto(updated: cst.Call) -> cst.Call:
        data = updated.args[0]
        data = data.with_changes(value=cst.List([cst.Element(data.value)]))
        flags = updated.args[1] if len(updated.args) == 3 else cst.Integer("0")
        return with_args(renamed(updated, "sendmsg"), [data, control, flags, updated.args[-1]])

    def rebuild_sendmsg(updated: cst.Call) -> cst.Call:
        return with_args(updated, [updated.args[0], updated.args[1].with_changes(value=control), *updated.args[2:]])

    plan.rebuild[call] = rebuild_sendto if method == "sendto" else rebuild_sendmsg


# -- the whole fix ------------------------------------------------------------------------------
def blocking_options(target: FixTarget, source: Source) -> Optional[str]:
    options = set(target.options) | _mentioned_options(source.text)
    if "IP_TRANSPARENT" in options:
        return "IP_TRANSPARENT socket (TPROXY): pin the reply to the original destination by hand"
    other = sorted(o for o in options if o.startswith(OTHER_ANCILLARY_PREFIXES) and o not in PKTINFO_OPTIONS)
    if other:
        return (f"the socket already receives other control data ({', '.join(other)}): add IP_PKTINFO by hand "
                "and send only a fresh IP_PKTINFO/IPV6_PKTINFO message, never the received control data")
    return None


def _mentioned_options(text: str) -> Set[str]:
    """Option names the file spells anywhere (also through its own constants, which the analysis
    may not resolve to option names): enough to stay away from TPROXY and other cmsg code."""
    import re

    return set(re.findall(r"\b(IP_TRANSPARENT|IP_ORIGDSTADDR|IPV?6?_RECV[A-Z0-9_]+|SO_TIMESTAMP[A-Z]*)\b", text))


def plan(source: Source, target: FixTarget) -> Plan:
    blocked = blocking_options(target, source)
    if blocked:
        return suggestion(pattern(blocked))
    reply = source.find(target.reply)
    replies = ("sendto", "sendmsg", loop_sock.REPLY)
    if reply is None or not isinstance(reply.func, cst.Attribute) or target.reply_method not in replies:
        return suggestion(pattern(f"the reply is sent with {target.reply_method}(): no automatic fix"))
    if source.awaited(reply) != (target.reply_method == loop_sock.REPLY):
        return suggestion(pattern("the reply is awaited (an async socket API without sendmsg): no automatic fix"))
    if target.reply_method == loop_sock.REPLY:
        address = loop_sock.reply_address(source, reply)
    else:
        address = reply_address(reply, target.reply_method)
    if address is None:
        return suggestion(pattern(f"{target.reply_method}() with arguments of an unusual shape: no automatic fix"))
    bind = source.find(target.bind)
    bind_line = source.line_of(bind) if bind is not None else None
    if bind_line is None or not isinstance(bind.func, cst.Attribute):
        return suggestion(pattern("the bind is not a statement of its own: no automatic fix"))
    module = socket_module_of(source)
    if module is None:
        return suggestion(pattern("the modules of this fix import the socket module differently: no automatic fix"))
    existing = existing_helper_problem(source.file_of(reply), target.ipv6)
    if existing:
        return suggestion(pattern(existing))
    result = Plan(SAFE, "enable IP_PKTINFO where the socket is bound, receive with recvmsg() and reply with "
                        "sendmsg() and a control message that pins the source to the request's destination")
    enable = snippets.enable_lines(module.prefix, source.code(bind.func.value), target.family, target.options)
    from .carry import route_control_data

    problem = route_control_data(result, source, target, reply, address, module, enlarge=bool(enable))
    if problem:
        return suggestion(pattern(problem))
    if enable:
        result.insert_before(bind_line, enable)
        add_constant(result, source.file_of(bind), socket_module(source.file_of(bind)))
    receiving = {r.span.path for r in target.receives}
    for other in source.files():  # a module that only receives needs the socket module for CMSG_SPACE
        if other.path in receiving and result.paths([other]):
            add_import(result, other, socket_module(other))
    add_common_code(result, source.file_of(reply), socket_module(source.file_of(reply)), target.ipv6)
    if target.reply_method == loop_sock.REPLY:
        result.applicability = UNSAFE  # a full send buffer now drops the reply where sock_sendto() waited
        result.message += "; asyncio has no sock_recvmsg(): the receive waits with loop.add_reader()"
    return result


def socket_module_of(source: Source) -> Optional[SocketModule]:
    """How the fix's files name the socket module; None when they disagree (one aliases it)."""
    prefixes = {socket_module(each).prefix for each in source.files()}
    return socket_module(source.file_of(source.tree)) if len(prefixes) == 1 else None
