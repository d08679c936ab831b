"""Fixes for anyio's `create_udp_socket()`: its UDP socket has no recvmsg()/sendmsg().

anyio's socket reads with recvfrom() and writes with sendto() (an asyncio transport, or a trio
socket), so nothing set on it can pin a reply's source. The smallest correct shape is the plain
socket anyio would have made, bound where anyio would have bound it, awaited with
`anyio.wait_readable()` (anyio >= 4.7; asyncio and trio alike), receiving with recvmsg() and
replying with sendmsg() and the request's control message:

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:  # was: await anyio.create_udp_socket(...)
        udp.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        udp.setblocking(False)
        udp.bind(("0.0.0.0", port))
        while True:  # was: async for packet, (host, port) in udp:
            await anyio.wait_readable(udp)
            try:
                packet, ancdata, _flags, (host, port) = udp.recvmsg(65535, socket.CMSG_SPACE(12))
            except BlockingIOError:
                continue  # woken without a datagram to read
            ...
            udp.sendmsg([reply], reply_pktinfo(ancdata), 0, (host, port))  # was: await udp.sendto(...)

The socket object changes type, so the fix applies only when every use of it is one the fix
rewrites: `async with` it, pass it to a function of this file (a call or `start_soon`), receive
once (`receive()` or `async for`), and reply once, in the receive's loop, to the host and port
that receive unpacked. Anything else keeps the suggestion.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

import libcst as cst

from . import snippets
from .locate import Source, assigned_names, fresh_name, imported_as
from .plain import add_common_code, blocking_options, existing_helper_problem, pattern, socket_module
from .plan import UNSAFE, Plan, suggestion
from .target import FixTarget

INTRO = "anyio/trio UDP sockets have no sendmsg(): bind one socket per local address, or use a plain socket"
WILDCARDS = {"0.0.0.0": "AF_INET", "::": "AF_INET6"}
MAX_HOPS = 3
WHY = "# anyio's UDP socket cannot pin a reply's source"
Problem = str


def _suggest(why: str) -> Plan:
    return suggestion(pattern(f"{why}; {INTRO} (awaited with anyio.wait_readable())"))


def _string(expr: Optional[cst.BaseExpression]):
    """The value of a literal string or None; `...` (Ellipsis) when it is something else."""
    if expr is None or isinstance(expr, cst.Name) and expr.value == "None":
        return None
    if isinstance(expr, cst.SimpleString):
        return expr.evaluated_value
    return ...


def _bind(source: Source, creation: cst.Call, prefix: str) -> Union[Problem, Tuple[str, str, str]]:
    """(family code, host, port code) of the socket anyio's create_udp_socket() would make."""
    if any(a.keyword is None or a.star for a in creation.args):
        return "create_udp_socket() with positional arguments"
    given = {a.keyword.value: a.value for a in creation.args}
    if not set(given) <= {"family", "local_host", "local_port"}:
        return "create_udp_socket() with options the fix does not carry over"
    host = _string(given.get("local_host"))
    if host is ... or host not in (None, "", *WILDCARDS):
        return "the local host is not a literal wildcard address"
    family = given.get("family")
    named = None
    if family is not None:
        code = source.code(family)
        named = next((f for f in ("AF_INET6", "AF_INET") if code in (f"{prefix}.{f}", f"{prefix}.AddressFamily.{f}")), None)
        if named is None:
            return "the address family is not socket.AF_INET or socket.AF_INET6"
    if host and named is not None and WILDCARDS[host] != named:
        return "the local host does not match the address family"
    named = named or WILDCARDS.get(host or "")
    if named is None:
        return "create_udp_socket() without a family or a host"
    port = given.get("local_port")
    # anyio binds the host getaddrinfo() gives for a non-empty one, else the family's wildcard
    return f"{prefix}.{named}", host or ("::" if named == "AF_INET6" else "0.0.0.0"), \
        source.code(port) if port is not None else "0"


@dataclass
class _Uses:
    """Every use of the anyio socket, where its name is bound and wherever it is passed."""

    withs: List[Tuple[cst.With, str]] = field(default_factory=list)  # (statement, socket name)
    receives: List[Tuple[cst.CSTNode, cst.FunctionDef, str]] = field(default_factory=list)  # (node, scope, name)
    sends: List[cst.Call] = field(default_factory=list)


def _module_function(source: Source, name: str) -> Optional[cst.FunctionDef]:
    found = [s for s in source.tree.body if isinstance(s, cst.FunctionDef) and s.name.value == name]
    return found[0] if len(found) == 1 else None


def _references(source: Source, name: str) -> int:
    """How often the file reads `name` (not counting attribute names, keywords and definitions)."""
    count = 0
    for node in source.positions:
        if not isinstance(node, cst.Name) or node.value != name:
            continue
        parent = source.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node or isinstance(parent, cst.Arg) \
                and parent.keyword is node or isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node:
            continue
        count += 1
    return count


def _collect(source: Source, scope: cst.FunctionDef, name: str, binding: cst.CSTNode, uses: _Uses,
             hops: int) -> Optional[Problem]:
    """Classify every read of `name` in `scope` (bound only at `binding`); a reason if one is unknown."""
    if len(assigned_names(scope).get(name, ())) != 1:
        return f"`{name}` is bound more than once"
    reads = []

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                reads.append(node)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

    scope.body.visit(_Reads())
    for node in reads:
        parent = source.parent(node)
        if parent is binding or isinstance(parent, cst.AsName) and source.parent(parent) is binding:  # its binding
            continue
        if source.scope(node) is not scope:
            return f"`{name}` is used in a nested function"
        grand = source.parent(parent)
        if isinstance(parent, cst.Attribute) and isinstance(grand, cst.Call) and grand.func is parent \
                and source.awaited(grand) and parent.attr.value in ("receive", "sendto"):
            if parent.attr.value == "receive":
                uses.receives.append((grand, scope, name))
            else:
                uses.sends.append(grand)
        elif isinstance(parent, cst.For) and parent.iter is node and parent.asynchronous is not None:
            uses.receives.append((parent, scope, name))
        elif isinstance(parent, cst.WithItem) and parent.item is node and parent.asname is None \
                and isinstance(grand, cst.With) and grand.asynchronous is not None and grand.items[0] is parent:
            # first: `with sock:` around the other items enters and leaves them in the same order
            uses.withs.append((grand, name))
        elif isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star \
                and isinstance(grand, cst.Call):
            problem = _passed(source, grand, parent, uses, hops)
            if problem:
                return problem
        else:
            return f"`{name}` is used as an anyio socket in a way the fix does not rewrite"
    return None


def _passed(source: Source, call: cst.Call, arg: cst.Arg, uses: _Uses, hops: int) -> Optional[Problem]:
    """`f(sock)` / `await f(sock)` / `tg.start_soon(f, sock)` with `f` a function of this file."""
    args = list(call.args)
    if any(a.keyword is not None or a.star for a in args):
        return "the socket is passed with keyword or starred arguments"
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "start_soon" and args[0] is not arg:
        function, index = args[0].value, next(i for i, a in enumerate(args) if a is arg) - 1
    else:
        function, index = call.func, next(i for i, a in enumerate(args) if a is arg)
    callee = _module_function(source, function.value) if isinstance(function, cst.Name) else None
    if callee is None or hops == 0 or callee.asynchronous is None:
        return "the socket is passed to code the fix does not follow"
    if _references(source, callee.name.value) != 1:
        # another caller may pass it an anyio socket, which the rewritten function cannot serve
        return f"{callee.name.value}() is used elsewhere too"
    scope = source.scope(call)
    for node in source.ancestors(call):
        if node is scope:
            break
        if isinstance(node, (cst.For, cst.While, cst.CompFor)):
            # two tasks cannot wait on one socket (anyio raises BusyResourceError)
            return "the socket is passed on in a loop"
    params = callee.params
    if params.posonly_params or params.kwonly_params or params.star_kwarg is not None \
            or not isinstance(params.star_arg, cst.MaybeSentinel) or len(params.params) != len(args) - (call.func is not function):
        return "the socket is passed to a function with parameters of another shape"
    param = params.params[index]
    return _collect(source, callee, param.name.value, param, uses, hops - 1)


def plan(source: Source, target: FixTarget) -> Plan:
    blocked = blocking_options(target, source)
    if blocked:
        return _suggest(blocked)
    creation, reply = source.find(target.socket), source.find(target.reply)
    anyio = imported_as(source, "anyio")
    if creation is None or reply is None or anyio is None or not source.awaited(creation) \
            or not isinstance(creation.func, cst.Attribute) or source.code(creation.func) != f"{anyio}.create_udp_socket":
        return _suggest("the socket is not made by `await anyio.create_udp_socket()` in this file")
    module = socket_module(source)
    bind = _bind(source, creation, module.prefix)
    if isinstance(bind, str):
        return _suggest(bind)
    dual = bind[0].endswith("AF_INET6")  # anyio leaves IPV6_V6ONLY alone: dual-stack on Linux
    existing = existing_helper_problem(source, dual)
    if existing:
        return _suggest(existing)
    result = Plan(UNSAFE, "serve the port from the plain socket anyio would have made: wait with "
                          "anyio.wait_readable() (anyio >= 4.7), receive with recvmsg() and reply with "
                          "sendmsg() and a control message that pins the source to the request's destination")
    problem = _plan(result, source, target, creation, reply, anyio, module.prefix, bind, dual)
    if problem:
        return _suggest(problem)
    add_common_code(result, source, module, dual)
    return result


def _plan(result: Plan, source: Source, target: FixTarget, creation: cst.Call, reply: cst.Call, anyio: str,
          S: str, bind: Tuple[str, str, str], dual: bool) -> Optional[Problem]:
    family, host, port = bind
    awaited = source.parent(creation)
    holder = source.parent(awaited)
    uses = _Uses()
    new_socket = f"{S}.socket({family}, {S}.SOCK_DGRAM)"
    if isinstance(holder, cst.WithItem) and isinstance(holder.asname, cst.AsName) \
            and isinstance(holder.asname.name, cst.Name):
        statement = source.parent(holder)
        if not isinstance(statement, cst.With) or statement.asynchronous is None or len(statement.items) != 1 \
                or not isinstance(statement.body, cst.IndentedBlock):
            return "the socket's `async with` has other items"
        name, scope = holder.asname.name.value, source.scope(statement)
        problem = _collect(source, scope, name, holder, uses, MAX_HOPS) if isinstance(scope, cst.FunctionDef) \
            else "the socket is made outside a function"
        setup_at = statement.body.body[0]
        setup = result.insert_before
        result.rebuild[statement] = lambda updated: updated.with_changes(
            asynchronous=None, items=[updated.items[0].with_changes(item=cst.parse_expression(new_socket))],
            body=updated.body.with_changes(header=_explained(updated.body.header)))
    else:
        statement = source.line_of(creation)
        small = statement.body[0] if statement is not None else None
        if not isinstance(small, cst.Assign) or small.value is not awaited or len(small.targets) != 1 \
                or not isinstance(small.targets[0].target, cst.Name):
            return "the socket is not assigned to a name or used in `async with` where it is made"
        name, scope = small.targets[0].target.value, source.scope(statement)
        problem = _collect(source, scope, name, small.targets[0], uses, MAX_HOPS) if isinstance(scope, cst.FunctionDef) \
            else "the socket is made outside a function"
        setup_at, setup = statement, result.insert_after
        result.rebuild[statement] = lambda updated: updated.with_changes(
            body=[updated.body[0].with_changes(value=cst.parse_expression(new_socket))],
            trailing_whitespace=_explained(updated.trailing_whitespace))
    if problem:
        return problem
    if len(uses.receives) != 1 or uses.sends != [reply]:
        return "the socket is not received from once and replied on once"
    setup(setup_at, [*snippets.enable_lines(S, name, "dual" if dual else "inet", target.options),
                     f"{name}.setblocking(False)  # awaited with {anyio}.wait_readable()\n",
                     f'{name}.bind(("{host}", {port}))\n'])
    for statement, sock in uses.withs:
        result.rebuild[statement] = _sync_with(sock)
    return _plan_exchange(result, source, uses.receives[0], reply, anyio, S, dual)


def _explained(whitespace: cst.TrailingWhitespace) -> cst.TrailingWhitespace:
    """The line's comment, or why its socket is now a plain one."""
    if whitespace.comment is not None:
        return whitespace
    return whitespace.with_changes(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(WHY))


def _sync_with(sock: str):
    """`async with sock, other as x:` -> `with sock:` around `async with other as x:`."""
    def rebuild(updated: cst.With) -> cst.With:
        rest = list(updated.items[1:])  # the socket is the first item (see _collect)
        if not rest:
            return updated.with_changes(asynchronous=None)
        rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        inner = updated.with_changes(items=rest, leading_lines=[])
        return cst.With(items=[cst.WithItem(cst.Name(sock))], body=cst.IndentedBlock([inner]),
                        leading_lines=updated.leading_lines)
    return rebuild


def _address_names(target: cst.BaseExpression) -> Optional[Tuple[cst.BaseExpression, cst.Tuple]]:
    """`data, (host, port)`: the data target and the (host, port) tuple."""
    if not isinstance(target, cst.Tuple) or len(target.elements) != 2:
        return None
    peer = target.elements[1].value
    if not isinstance(peer, cst.Tuple) or len(peer.elements) != 2 \
            or not all(isinstance(e.value, cst.Name) for e in peer.elements):
        return None
    return target.elements[0].value, peer


def _plan_exchange(result: Plan, source: Source, receive, reply: cst.Call, anyio: str, S: str,
                   inet6: bool) -> Optional[Problem]:
    """The receive in a loop, and the reply in that loop to the host and port it unpacked."""
    node, scope, sock = receive
    if isinstance(node, cst.For):
        loop, target = node, node.target
        if node.orelse is not None or not isinstance(node.body, cst.IndentedBlock):
            return "the socket's `async for` has an `else` clause or its body on one line"
        first = node.body.body[0]
        result.rebuild[loop] = lambda updated: cst.While(test=cst.Name("True"), body=updated.body,
                                                         leading_lines=updated.leading_lines)
    else:
        first = source.line_of(node)
        small = first.body[0] if first is not None else None
        block = source.parent(first) if first is not None else None
        loop = source.parent(block) if block is not None else None
        if not isinstance(small, cst.Assign) or small.value is not source.parent(node) or len(small.targets) != 1 \
                or not isinstance(loop, cst.While) or loop.orelse is not None or block.body[0] is not first:
            return "the receive is not the first statement of a `while` loop"
        target = small.targets[0].target
    unpacked = _address_names(target)
    if unpacked is None:
        return "the receive is not unpacked as `data, (host, port)`"
    data, peer = unpacked
    host, port = (e.value.value for e in peer.elements)
    bindings = assigned_names(scope)
    if source.scope(reply) is not scope or not any(a is loop for a in source.ancestors(reply)) \
            or any(len(bindings.get(n, ())) != 1 for n in (host, port)):
        return "the reply is not in the receive's loop, to the host and port it unpacked"
    args = reply.args
    statement = source.line_of(reply)
    if len(args) != 3 or any(a.keyword is not None or a.star for a in args) or statement is None \
            or not isinstance(statement.body[0], cst.Expr) or statement.body[0].value is not source.parent(reply) \
            or [source.code(a.value) for a in args[1:]] != [host, port]:
        return "the reply is not `await sock.sendto(data, host, port)` to the unpacked host and port"
    ancdata = fresh_name(scope, "ancdata")
    flags = fresh_name(scope, "_flags", {ancdata})
    address = fresh_name(scope, "peer", {ancdata, flags}) if inet6 else f"({host}, {port})"
    size = snippets.ancillary_size(S, inet6)
    lines = [f"await {anyio}.wait_readable({sock})  # then read with recvmsg(), which does not wait\n",
             f"try:\n"
             f"    {source.code(data)}, {ancdata}, {flags}, {address if inet6 else source.code(peer)} = "
             f"{sock}.recvmsg(65535, {size})\n"
             f"except BlockingIOError:\n"
             f"    continue  # woken without a datagram to read\n"]
    if inet6:  # recvmsg gives (host, port, flowinfo, scope_id); the reply goes to all of it
        lines.append(f"{host}, {port} = {address}[:2]\n")
    if isinstance(node, cst.For):
        result.insert_before(first, lines)
    else:  # the receive statement becomes these
        def rebuild(updated: cst.SimpleStatementLine) -> cst.FlattenSentinel:
            new = [cst.parse_statement(line) for line in lines]
            return cst.FlattenSentinel([new[0].with_changes(leading_lines=updated.leading_lines), *new[1:]])
        result.rebuild[first] = rebuild
    comment = source.code(statement.trailing_whitespace).strip()
    code = (f"try:\n"
            f"    {sock}.sendmsg([{source.code(args[0].value)}], {snippets.HELPER}({ancdata}), 0, {address})"
            f"{'  ' + comment if comment else ''}\n"
            f"except BlockingIOError:\n"
            f"    pass  # the send buffer is full: the reply is dropped, as UDP may\n")
    result.rebuild[statement] = lambda updated: cst.parse_statement(code).with_changes(leading_lines=updated.leading_lines)
    return None
