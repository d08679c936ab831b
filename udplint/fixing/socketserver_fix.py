"""Fixes for socketserver: a server that receives with recvmsg, handlers that reply with sendmsg.

The server (the user's own subclass, or a short named subclass of the stdlib class at the
creation call) gets `server_activate` to enable pktinfo and `get_request` to receive with
recvmsg; its requests become `(data, socket, control message)`, the message built once per
request by the module's `reply_pktinfo`. Handlers unpack the third item and reply with
`sendmsg([data], cmsgs, 0, self.client_address)`; a DatagramRequestHandler gets `setup` and
`finish` that do the same for what it wrote to `self.wfile`. Nothing is keyed by peer and the
message is per request, so threading and forking servers are correct too.
"""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from . import snippets
from .locate import Source, fresh_name
from .plain import add_common_code, blocking_options, existing_helper_problem, insert_elements, plan_pinned_reply, reply_address, socket_module
from .plan import CLASS, SAFE, Plan, suggestion
from .target import FixTarget

STDLIB_SERVERS = ("UDPServer", "ThreadingUDPServer", "ForkingUDPServer")
SERVER_INTERNALS = ("get_request", "server_activate", "finish_request", "verify_request")
HANDLER_INTERNALS = ("setup", "finish")

PATTERN = """\
class PktinfoUDPServer(socketserver.UDPServer):
    def server_activate(self):
        self.socket.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_PKTINFO", 8), 1)  # AF_INET6: IPV6_RECVPKTINFO too
        super().server_activate()

    def get_request(self):
        data, ancdata, _flags, client_address = self.socket.recvmsg(self.max_packet_size, socket.CMSG_SPACE(12))
        return (data, self.socket, reply_pktinfo(ancdata)), client_address  # reply_pktinfo: ipi_spec_dst, ifindex 0

# handler: data, sock, cmsgs = self.request; sock.sendmsg([reply], cmsgs, 0, self.client_address)"""


def _suggest(why: str) -> Plan:
    return suggestion(f"{why}; serve with a server class that pins each reply's source:\n{PATTERN}")


def _tail(source: Source, expr: cst.BaseExpression) -> str:
    return source.code(expr).rsplit(".", 1)[-1]


def _methods(cls: cst.ClassDef) -> List[str]:
    return [s.name.value for s in cls.body.body if isinstance(s, cst.FunctionDef)]


def _one_class(source: Source, name: str) -> Optional[cst.ClassDef]:
    found = source.classes(name)
    return found[0] if len(found) == 1 else None


def plan(source: Source, target: FixTarget) -> Plan:
    blocked = blocking_options(target, source)
    if blocked:
        return _suggest(blocked)
    creation = source.find(target.socket)
    reply = source.find(target.reply)
    if creation is None or reply is None:
        return _suggest("the server or its reply is not where the analysis saw it")
    handlers = [_one_class(source, name) for name in target.handler_classes]
    if not handlers or None in handlers:
        return _suggest("a request handler of this server is not defined once in this file")
    module = socket_module(source)
    family = "inet" if target.family == "inet" else "dual"
    existing = existing_helper_problem(source, family != "inet")
    if existing:
        return _suggest(existing)
    result = Plan(SAFE, "receive with recvmsg() in the server and reply with sendmsg() and the request's own "
                        "control message, which pins the source to the address the request was sent to")
    problem = _plan_server(result, source, target, creation, module, family)
    problem = problem or _plan_reply(result, source, target, reply, handlers)
    pinned_reply = reply if target.reply_method == "sendto" else None
    for handler in handlers:
        problem = problem or _plan_unpacking(result, source, handler, pinned_reply)
    if problem:
        return _suggest(problem)
    add_common_code(result, source, module, family != "inet")
    return result


def _plan_server(result: Plan, source: Source, target: FixTarget, creation: cst.Call, module, family: str) -> Optional[str]:
    if target.server_class is not None:
        cls = _one_class(source, target.server_class)
        if cls is None:
            return "the server class is not defined once in this file"
        if set(_methods(cls)) & set(SERVER_INTERNALS):
            return "the server class already overrides how requests are received"
        result.methods[cls] = [snippets.server_methods(module.prefix, family)]
        return None
    base = creation.func
    name = _tail(source, base)
    if name not in STDLIB_SERVERS:
        return f"the server is made by {source.code(base)}(): no automatic fix"
    new_name = fresh_name(source.tree, "Pktinfo" + name)
    code = snippets.server_class(new_name, source.code(base), module.prefix, family)
    result.add_module_code(source.file_of(creation).path, f"class {new_name}", CLASS, code)
    result.rebuild[creation] = lambda updated: updated.with_changes(func=cst.Name(new_name))
    return None


def _plan_reply(result: Plan, source: Source, target: FixTarget, reply: cst.Call, handlers) -> Optional[str]:
    cls = source.enclosing_class(reply)
    if cls not in handlers:
        return "the reply is not sent by a request handler of this file"
    if target.reply_method == "wfile.write":
        if set(_methods(cls)) & set(HANDLER_INTERNALS):
            return "the handler already overrides setup() or finish()"
        result.methods[cls] = [snippets.DATAGRAM_HANDLER_METHODS]
        return None
    address = reply_address(reply, target.reply_method)
    if target.reply_method != "sendto" or address is None or source.code(address) != "self.client_address":
        return "the reply does not go to self.client_address with sendto()"
    plan_pinned_reply(result, reply, "sendto", "self.request[2]")
    return None


def _plan_unpacking(result: Plan, source: Source, handler: cst.ClassDef, reply: Optional[cst.Call]) -> Optional[str]:
    """`data, sock = self.request` -> `data, sock, cmsgs = self.request` in the method that
    sends `reply` (which then uses the name); elsewhere `self.request[:2]`."""
    for node in list(source.positions):
        if not (isinstance(node, cst.Assign) and source.code(node.value) == "self.request"
                and source.enclosing_class(node) is handler):
            continue
        target = node.targets[0].target if len(node.targets) == 1 else None
        if not isinstance(target, cst.Tuple) or len(target.elements) != 2:
            return "the handler unpacks self.request in a way the fix does not know"
        if reply is not None and source.scope(node) is source.scope(reply):
            name = fresh_name(source.scope(node), "cmsgs")
            result.rebuild[node] = lambda updated, name=name: updated.with_changes(
                targets=[updated.targets[0].with_changes(target=insert_elements(updated.targets[0].target, 2, [name]))])
            plan_pinned_reply(result, reply, "sendto", name)
        else:
            result.rebuild[node.value] = lambda updated: cst.parse_expression("self.request[:2]")
    return None
