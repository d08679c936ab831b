"""UDP001 for one Java source tree, from the facts of `rules/java/fact_*.yaml`.

The JDK has no way to learn a datagram's destination or to choose a reply's source, so every
reply to the sender of a request that came in on a wildcard-bound socket is UDP001, and the only
fix is one socket per local address (fix-patterns.md section 5). The join follows by name
(udplint.polyglot.nameflow): the received `DatagramPacket` (its `getSocketAddress()`,
`getAddress()`, `getPort()`), the `SocketAddress` a `DatagramChannel.receive` returns, Netty's
`DatagramPacket.sender()` in a `channelRead0` handler, and a MINA `IoSession` in
`messageReceived`; and the socket (`new DatagramSocket(port)`, `bind(new InetSocketAddress(port))`,
`DatagramChannel.open().bind(...)`, Netty `Bootstrap...bind(port)`, MINA `acceptor.bind(...)`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from udplint.findings import Finding, Location, Related
from udplint.polyglot.factmodel import NativeFact, facts_by_kind
from udplint.polyglot.nameflow import (budget_note, EMPTY, Call, Enclosing, Flow, FuncDef, Labels, NameFlow, PathRef, SourceText,
                                       assigned_to, matching_paren, outer_functions,
                                       split_top_level, target_names)

WILDCARD, SPECIFIC, EPHEMERAL, UNKNOWN, UNBOUND = "wildcard", "specific", "ephemeral", "unknown", "unbound"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "[::]"}
_PEER_METHODS = {"getSocketAddress", "getAddress", "getPort", "sender", "getRemoteAddress", "remoteAddress"}
_NETTY_CHANNELS = re.compile(r"(?:Nio|Epoll|KQueue|IoUring|Oio)DatagramChannel")
_HANDLERS = {"channelRead0": "netty", "channelRead": "netty", "messageReceived": "mina"}
_MAX_DEPTH = 5
# `DatagramPacket packet;`, `byte[] buf = ...`, `final int n = ...`, `for (Job j : jobs)`
_DECLARATION = re.compile(r"(?<![\w.])(?:final\s+)?(?!(?:return|throw|else|new|case|yield|assert)\b)"
                          r"[A-Za-z_][\w.]*(?:<[^;()]*?>)?(?:\[\])*\s+([a-z_$][\w$]*)\s*(?=[;=,:)])")
_CHANNEL_SOCKET = re.compile(r"\s*\.\s*socket\s*\(\s*\)\s*$")
_CONTAINER_ADDERS = {"put", "offer", "add", "addLast", "addFirst", "push", "execute", "submit", "set"}


@dataclass(frozen=True)
class Binding:
    kind: str
    how: str


@dataclass
class Socket:
    fact: NativeFact
    framework: str  # "jdk" | "netty" | "mina"
    binding: Binding
    connected: bool = False
    multicast: bool = False

    @property
    def serves(self) -> bool:
        return self.binding.kind in (WILDCARD, UNKNOWN) and not self.connected and not self.multicast


@dataclass(frozen=True)
class Replier:
    """The socket a finding blames: the one the reply leaves from, or, for a reply from a
    per-transfer socket, the wildcard-bound one the request came in on."""

    socket: Socket
    per_transfer: bool = False


_OPENS_SOCKET = re.compile(r"\bnew\s+(?:Datagram|Multicast)Socket\s*\(|\bDatagramChannel\s*\.\s*open\s*\(|"
                           r"\bnew\s+NioDatagramAcceptor\s*\(|\b(?:Nio|Epoll|KQueue|IoUring|Oio)DatagramChannel\s*\.\s*class\b")
_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+?)(\.\*)?\s*;", re.M)


def linked_programs(root: str, sources: Mapping[str, str], others: Mapping[str, Sequence[NativeFact]]) -> List[str]:
    """The source trees among `others` whose packages this tree imports and that open a datagram
    socket, for a tree that opens none of its own: a multi-module build keeps its transport (a MINA
    acceptor, a socket wrapper) in one module and the servers that bind it and answer through it
    in others. (A tree with sockets of its own, as a project's tests beside its library, is judged
    on those: joining the whole library to it only buries its own sockets.)"""
    if any(_OPENS_SOCKET.search(text) for text in sources.values()):
        return []
    wanted = {match.group(1) if match.group(2) else match.group(1).rpartition(".")[0]
              for text in sources.values() for match in _IMPORT.finditer(text)}
    wanted |= {name.rpartition(".")[0] for name in wanted}  # a static import names a member of a class
    linked = []
    for other, facts in sorted(others.items()):
        if not any(f.kind == "socket" for f in facts):
            continue
        if _packages_of(other, facts) & wanted:
            linked.append(other)
    return linked


def linked_facts(facts: Sequence[NativeFact]) -> List[NativeFact]:
    """What a linked tree brings to the trees that import it: the files that open its datagram
    sockets (the transport: its socket, where it is bound, what hands it out), not the rest of a
    library that may be much larger than the server using it."""
    transport = {f.path for f in facts if f.kind == "socket"}
    return [f for f in facts if f.path in transport]


def _packages_of(root: str, facts: Sequence[NativeFact]) -> Set[str]:
    """The packages of a source tree's files with facts: their directories under the tree's root."""
    packages = set()
    for fact in facts:
        relative = os.path.relpath(os.path.dirname(os.path.abspath(fact.path)), root)
        if not relative.startswith(".."):
            packages.add(relative.replace(os.sep, "."))
    return packages


def join(facts: Sequence[NativeFact], sources: Mapping[str, str],
         notes: Optional[List[str]] = None) -> List[Finding]:
    """The findings of one Java source tree; a program the solver could not finish gets a line in `notes`."""
    facts = [f for f in facts if f.language == "java"]
    if not facts:
        return []
    program = JavaProgram(facts, sources)
    if not program.converged and notes is not None:
        notes.append(budget_note(os.path.dirname(min(f.path for f in facts)) or ".", "Java"))
    return program.findings()


def _peer_call(flow: NameFlow, ref: PathRef, receiver: Labels) -> Labels:
    """`packet.getSocketAddress()` of a received packet, `session.getRemoteAddress()`: the peer."""
    if ref.last not in _PEER_METHODS:
        return EMPTY
    peers = set()
    for label in receiver:
        kind, _, index = label.partition(":")
        if kind in ("rxpacket", "session"):
            peers.add(f"peer:{index}")
    return frozenset(peers)


class JavaProgram:
    def __init__(self, facts: Sequence[NativeFact], sources: Mapping[str, str]) -> None:
        self.text = SourceText(sources)
        self.sources = sources
        self.by_kind = facts_by_kind(facts)
        self.funcs = self._funcs()
        self._enclosing = Enclosing(self.funcs)
        self.flow = NameFlow(keep_args=lambda name: name[:1].isupper() or name in ("list", "of", "asList"),
                             call_labels=_peer_call, bare_fields=True)
        for func in self.funcs:
            self.flow.funcs.setdefault(func.name, []).append(func)
        self.flow.outer = outer_functions(self.funcs)
        self.handlers: List[Tuple[FuncDef, str]] = []
        self._declared_cache: Dict[Tuple[str, str], Set[str]] = {}
        self._declare_locals()
        self._assignments_by_name: Optional[Dict[str, List[Tuple[str, NativeFact]]]] = None
        # host and address kinds are asked for the same names many times over: a field assigned in
        # dozens of places, each followed MAX_DEPTH levels, took minutes on a large tree unmemoised
        self._host_kinds: Dict[Tuple[str, str, str, int], str] = {}
        self._address_kinds: Dict[Tuple[str, str, str, int], str] = {}
        self._null_checked: Dict[Tuple[str, str], bool] = {}
        self._load_flows()
        self._seed()
        self.converged = self.flow.solve()
        self.sockets = [self._socket(index, fact) for index, fact in enumerate(self.kind("socket"))]
        self._apply_binds()

    def kind(self, name: str) -> List[NativeFact]:
        return self.by_kind.get(name, [])

    def func_of(self, fact: NativeFact) -> str:
        return fact.function or self._enclosing(fact.path, fact.line)

    # --- facts -> flows ------------------------------------------------------------------------
    def _funcs(self) -> List[FuncDef]:
        out = {}
        for fact in self.kind("func"):
            text = self.text.after(fact.path, fact.line, fact.column)
            params = _java_params(text, fact.get("name"))
            out[(fact.path, fact.line, fact.get("name"))] = FuncDef(fact.path, fact.get("name"), fact.line,
                                                                    fact.end_line, params)
        return list(out.values())

    def _load_flows(self) -> None:
        receive_lines = {(f.path, f.line) for f in self.kind("receive")}
        for fact in self.kind("assign"):
            if (fact.path, fact.line) in receive_lines and "receive" in fact.get("from"):
                continue
            func = self.func_of(fact)
            targets = tuple(self._java_target(fact.path, func, t, self.text.span(fact))
                            for t in target_names(fact.get("to")))
            self.flow.flows.append(Flow(fact.path, func, targets, fact.get("from")))
        for fact in self.kind("global"):
            self.flow.flows.append(Flow(fact.path, "", tuple(target_names(fact.get("to"))), fact.get("from")))
        for fact in self.kind("setaddr"):
            if fact.get("method") != "setPort":
                self.flow.flows.append(Flow(fact.path, self.func_of(fact), (fact.get("packet"),), fact.get("value")))
        for fact in self.kind("return"):
            self.flow.returns_of.append(Flow(fact.path, self.func_of(fact), (), fact.get("values")))
        records = {f.name: f for f in self.funcs if self._is_record(f)}
        for fact in self.kind("call"):
            callee = fact.get("callee")
            args = tuple(split_top_level(fact.get("args")))
            call = Call(fact.path, self.func_of(fact), callee, args)
            self.flow.calls.append(call)
            receiver, _, method = callee.rpartition(".")
            if receiver and method in _CONTAINER_ADDERS:  # queue.put(req): the queue now holds req
                target = self._java_target(fact.path, call.func, receiver, receiver + " =")
                self.flow.flows.append(Flow(fact.path, call.func, (target,), ", ".join(args)))
            record = records.get(callee.split(".")[-1])
            if record is not None and len(record.params) == len(args):
                for param, arg in zip(record.params, args):  # record components are fields
                    self.flow.flows.append(Flow(fact.path, call.func, ("." + param,), arg))

    def _java_target(self, path: str, func: str, name: str, statement: str) -> str:
        """`socket = new DatagramSocket(port)` in a constructor assigns the field `socket` unless
        the method declares a local or has a parameter of that name."""
        if "." in name or not func:
            return name
        if not re.match(rf"^\s*{re.escape(name)}\s*=", statement):
            return name  # a declaration: `DatagramSocket socket = ...`
        if name in self._declared(path, func):
            return name
        return "this." + name

    def _declare_locals(self) -> None:
        """A method's parameters and declared locals shadow the fields of the same name, also
        while nothing labelled them yet: `DatagramPacket packet;` built for a multicast group is not
        some other class's `packet` field that holds a request (fields are followed by name)."""
        for func in self.funcs:
            for name in self._declared(func.path, func.name):
                self.flow.locals.setdefault((func.path, func.name, name), set())

    def _declared(self, path: str, func: str) -> Set[str]:
        key = (path, func)
        if key not in self._declared_cache:
            names: Set[str] = set()
            for fdef in self.flow.funcs.get(func, []):
                if fdef.path == path:
                    names |= set(fdef.params)
            for fdef in self.flow.funcs.get(func, []):
                if fdef.path != path:
                    continue
                body = "\n".join(self.text.line(path, n) for n in range(fdef.line, fdef.end_line + 1))
                names |= set(_DECLARATION.findall(body))
            self._declared_cache[key] = names
        return self._declared_cache[key]

    def _is_record(self, func: FuncDef) -> bool:
        return re.search(rf"\brecord\s+{re.escape(func.name)}\s*[(<]", self.text.line(func.path, func.line)) is not None

    def _seed(self) -> None:
        for index, fact in enumerate(self.kind("socket")):
            self._seed_socket(index, fact)
        for index, fact in enumerate(self.kind("receive")):
            func = self.func_of(fact)
            targets = assigned_to(self.text.before(fact))
            if targets:  # SocketAddress from = channel.receive(buf)
                self.flow.add(fact.path, func, targets[0], {f"peer:{index}"})
            else:  # socket.receive(packet): the packet now holds the sender
                self.flow.seed(fact.path, func, fact.get("arg"), f"rxpacket:{index}")
        for func in self.funcs:
            framework = _HANDLERS.get(func.name)
            if framework is None or len(func.params) < 2:
                continue
            signature = self.text.after(func.path, func.line, 1, max_lines=4)
            if framework == "netty" and "DatagramPacket" not in signature and func.name == "channelRead0":
                continue
            key = f"h{len(self.handlers)}"
            self.handlers.append((func, framework))
            self.flow.add(func.path, func.name, func.params[1], {f"rxpacket:{key}"})
            self.flow.add(func.path, func.name, func.params[0],
                          {f"session:{key}"} if framework == "mina" else {f"ctx:{key}"})

    def _seed_socket(self, index: int, fact: NativeFact) -> None:
        func = self.func_of(fact)
        before = self.text.before(fact)
        targets = assigned_to(before)
        if targets:
            self.flow.add(fact.path, func, self._java_target(fact.path, func, targets[0], before.strip()),
                          {f"sock:{index}"})
        if fact.get("api").endswith("DatagramChannel") and not fact.get("api").startswith(("java", "Datagram")):
            root = re.match(r"\s*([A-Za-z_$][\w$]*)", self.text.span(fact))
            if root:  # the bootstrap the Netty channel type was set on
                self.flow.add(fact.path, func, root.group(1), {f"sock:{index}"})
        elif self.text.before(fact).rstrip().endswith("return"):
            self.flow.returns.setdefault(func, set()).add(f"sock:{index}")

    # --- sockets -------------------------------------------------------------------------------
    def _socket(self, index: int, fact: NativeFact) -> Socket:
        api = fact.get("api").split(".")[-1]
        args = split_top_level(fact.get("args"))
        factory = re.match(r"^create(Multicast|Datagram)Socket$", api)
        if factory:  # factory.createMulticastSocket(name, port): the name is a label, not an address
            api = factory.group(1) + "Socket"
            args = [a for a in args if not a.strip().startswith('"') and not re.search(r"(?i)name|_SOCK\b", a)]
            args = args[-1:] if len(args) > 1 and not _looks_like_host(args[0]) else args
        func = self.func_of(fact)
        if _NETTY_CHANNELS.fullmatch(api):
            return Socket(fact, "netty", Binding(UNBOUND, api))
        if api == "NioDatagramAcceptor":
            return Socket(fact, "mina", Binding(UNBOUND, api))
        needs_bind = not args and api not in ("DatagramSocket", "MulticastSocket")
        if api == "DatagramChannel" or args == ["null"] or needs_bind:
            return Socket(fact, "jdk", Binding(UNBOUND, f"{api}.open()" if api == "DatagramChannel" else api))
        if not args:
            return Socket(fact, "jdk", Binding(EPHEMERAL, f"new {api}()"))
        binding = self._classify_args(args, fact.path, func, port_first=True)
        socket = Socket(fact, "jdk", binding)
        socket.multicast = api == "MulticastSocket" and self._joined(index)
        return socket

    def _joined(self, index: int) -> bool:
        label = f"sock:{index}"
        return any(label in self.flow.labels(f.path, self.func_of(f), f.get("conn")) for f in self.kind("multicast"))

    def _apply_binds(self) -> None:
        for fact in self.kind("bind"):
            targets = self._sockets_for(fact)
            args = split_top_level(fact.get("args"))
            if not targets or not args:
                continue
            binding = self._classify_args(args, fact.path, self.func_of(fact), port_first=True)
            for socket in targets:
                if socket.binding.kind in (UNBOUND, EPHEMERAL) or binding.kind == WILDCARD:
                    socket.binding = binding
                    socket.fact = fact if socket.binding.kind != UNBOUND else socket.fact
        for fact in self.kind("connect"):
            span = self.text.span(fact)
            target = span[span.find("(") + 1:] if "(" in span else ""
            if any(label.startswith(("peer:", "rxpacket:"))
                   for label in self.flow.labels(fact.path, self.func_of(fact), target)):
                continue  # connect() to the client that just wrote: still a server (and still routed)
            for socket in self._sockets_for(fact):
                socket.connected = True

    def _sockets_for(self, fact: NativeFact) -> List[Socket]:
        # channel.socket() is the channel's own DatagramSocket: binding it binds the channel
        conn = _CHANNEL_SOCKET.sub("", fact.get("conn"))
        labels = self.flow.labels(fact.path, self.func_of(fact), conn)
        found = [self.sockets[int(label.split(":")[1])] for label in sorted(labels) if label.startswith("sock:")]
        for index, socket in enumerate(self.sockets):  # chained: DatagramChannel.open().bind(...)
            origin = self.kind("socket")[index]
            if origin.path == fact.path and origin.line == fact.line and origin.column >= fact.column \
                    and socket not in found:
                found.append(socket)
        return found

    def _classify_args(self, args: List[str], path: str, func: str, port_first: bool) -> Binding:
        how = ", ".join(args)
        if len(args) == 1:
            return self._classify_address(args[0], path, func, 0, how)
        host = args[1] if port_first and not _looks_like_host(args[0]) else args[0]
        port = args[0] if host is args[1] else args[1]
        kind = self._classify_host(host, path, func, 0)
        if kind == WILDCARD and port.strip() == "0":
            kind = EPHEMERAL
        return Binding(kind, how)

    def _classify_address(self, expr: str, path: str, func: str, depth: int, how: str) -> Binding:
        """One argument: a port (`new DatagramSocket(port)`, Netty `bind(port)`) or a SocketAddress."""
        return Binding(self._address_kind(expr, path, func, depth), how)

    def _address_kind(self, expr: str, path: str, func: str, depth: int) -> str:
        key = (expr, path, func, depth)
        if key not in self._address_kinds:
            self._address_kinds[key] = self._address_kind_of(expr, path, func, depth)
        return self._address_kinds[key]

    def _address_kind_of(self, expr: str, path: str, func: str, depth: int) -> str:
        expr = expr.strip()
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if expr == "null":
            return EPHEMERAL
        branches = _ternary(expr)
        if branches:  # port = args.length > 0 ? parse(args[0]) : 7686
            kinds = [self._address_kind(b, path, func, depth + 1) for b in branches]
            return WILDCARD if WILDCARD in kinds else kinds[0]
        created = re.match(r"^new\s+(?:java\.net\.)?InetSocketAddress\s*\(", expr)
        if created:
            inner = split_top_level(expr[created.end() - 1 + 1:matching_paren(expr, created.end() - 1)])
            if len(inner) == 1:
                return EPHEMERAL if inner[0].strip() == "0" else WILDCARD
            if len(inner) == 2:
                kind = self._classify_host(inner[0], path, func, depth + 1)
                return EPHEMERAL if kind == WILDCARD and inner[1].strip() == "0" else kind
            return UNKNOWN
        if re.match(r"^\d+$", expr):
            return EPHEMERAL if expr == "0" else WILDCARD
        if re.match(r"^[A-Za-z_$][\w$.]*(?:\(\))?$", expr):
            values = self._values(expr.rstrip("()"), path, func)
            kinds = [self._address_kind(v, vp, vf, depth + 1) for v, vp, vf in values]
            if WILDCARD in kinds:
                return WILDCARD
            if kinds and all(k in (SPECIFIC, EPHEMERAL) for k in kinds):
                return SPECIFIC if SPECIFIC in kinds else EPHEMERAL
            if not kinds and not re.search(r"(?i)addr|address|endpoint|local|bind", expr):
                return WILDCARD  # an int port from configuration
            return UNKNOWN
        if re.match(r"^Integer\.(?:parseInt|valueOf)\(", expr):
            return WILDCARD
        return UNKNOWN

    def _classify_host(self, expr: str, path: str, func: str, depth: int) -> str:
        key = (expr, path, func, depth)
        if key not in self._host_kinds:
            self._host_kinds[key] = self._host_kind(expr, path, func, depth)
        return self._host_kinds[key]

    def _host_kind(self, expr: str, path: str, func: str, depth: int) -> str:
        expr = re.sub(r"^\(\s*(?:String|InetAddress)\s*\)\s*", "", expr.strip())
        if depth > _MAX_DEPTH:
            return SPECIFIC
        if expr == "null" or re.search(r"\banyLocalAddress\b|\bInetAddress\.getByAddress\(\s*new byte\[\]\s*\{\s*0",
                                       expr):
            return WILDCARD
        if expr.startswith('"'):
            return WILDCARD if expr.strip('"') in _WILDCARD_HOSTS else SPECIFIC
        lookup = re.match(r"^(?:InetAddress|Inet4Address|Inet6Address)\.getByName\s*\((.*)\)$", expr, re.S)
        if lookup:
            return self._classify_host(lookup.group(1), path, func, depth + 1)
        if re.match(r"^[A-Za-z_$][\w$.]*(?:\(\))?$", expr):
            values = self._values(expr.rstrip("()"), path, func)
            if self._replaced_when_null(expr.rstrip("()").split(".")[-1], path):
                values = [v for v in values if v[0].strip() != "null"]  # `if (host == null) host = ...`
            wildcard = any(self._classify_host(v, vp, vf, depth + 1) == WILDCARD for v, vp, vf in values)
            return WILDCARD if wildcard else SPECIFIC
        return SPECIFIC  # an enumerated or configured address: one socket per address is the fix

    def _replaced_when_null(self, name: str, path: str) -> bool:
        if (name, path) not in self._null_checked:
            self._null_checked[(name, path)] = self._null_check_in(name, path)
        return self._null_checked[(name, path)]

    def _null_check_in(self, name: str, path: str) -> bool:
        text = self.sources.get(path, "")
        return re.search(rf"\b{re.escape(name)}\s*==\s*null\b|\bnull\s*==\s*{re.escape(name)}\b", text) is not None

    def _assigned_to(self, name: str) -> List[Tuple[str, NativeFact]]:
        """(target, assignment) of every assignment whose target's last name is `name`."""
        if self._assignments_by_name is None:
            self._assignments_by_name = {}
            for fact in self.kind("assign"):
                for target in target_names(fact.get("to")):
                    self._assignments_by_name.setdefault(target.split(".")[-1], []).append((target, fact))
        return self._assignments_by_name.get(name, [])

    def _values(self, name: str, path: str, func: str) -> List[Tuple[str, str, str]]:
        parts = name.split(".")
        last = parts[-1]
        last = re.sub(r"^get([A-Z])", lambda m: m.group(1).lower(), last)
        found = []
        for target, fact in self._assigned_to(last) + (self._assigned_to(name) if name != last else []):
            tparts = target.split(".")
            same_local = len(parts) == 1 and len(tparts) == 1 and target == name and self.func_of(fact) == func \
                and fact.path == path
            same_field = tparts[-1] == last and (len(tparts) > 1 or len(parts) > 1)
            if same_local or same_field:
                found.append((fact.get("from"), fact.path, self.func_of(fact)))
        for fact in self.kind("global"):
            if fact.get("to") == last:
                found.append((fact.get("from"), fact.path, ""))
        found += self.flow.arguments_for(name, path, func)
        return found

    # --- replies -------------------------------------------------------------------------------
    def findings(self) -> List[Finding]:
        """One finding per reply (a send nested in two functions is matched once per function)."""
        out: Dict[Tuple[str, int, int], Finding] = {}
        for send in self.kind("send"):
            finding = self._judge(send)
            if finding is not None:
                out.setdefault((finding.filename, finding.location.row, finding.location.column), finding)
        return list(out.values())

    def _judge(self, send: NativeFact) -> Optional[Finding]:
        func = self.func_of(send)
        args = split_top_level(send.get("args"))
        conn = self.flow.labels(send.path, func, send.get("conn"))
        peers = self._reply_peers(send, func, args, conn)
        if not peers:
            return None
        replier = self._reply_socket(send, conn, peers)
        if replier is None:
            return None
        return self._finding(send, replier)

    def _reply_peers(self, send: NativeFact, func: str, args: List[str], conn: Labels) -> Set[str]:
        api = send.get("api")
        if api == "send" and len(args) == 2:
            dest = self.flow.labels(send.path, func, args[1])
        elif api == "send" and len(args) == 1:
            dest = self.flow.labels(send.path, func, args[0])
            received = {f"peer:{label.split(':')[1]}" for label in dest if label.startswith("rxpacket:")}
            if not self._datagram(send, func, args[0]):
                dest = frozenset()  # send(x) of something that is not a DatagramPacket built here
            if received and not self._readdressed(send, func, args[0]):
                dest |= received
        elif api in ("write", "writeAndFlush") and len(args) >= 1:
            sessions = {f"peer:{label.split(':')[1]}" for label in conn if label.startswith("session:")}
            dest = self.flow.labels(send.path, func, args[0]) if self._datagram(send, func, args[0]) else EMPTY
            dest |= sessions
        else:
            return set()
        return {label for label in dest if label.startswith("peer:")}

    def _datagram(self, send: NativeFact, func: str, arg: str) -> bool:
        """The argument is a datagram built in this method: `new DatagramPacket(...)` inline or in
        a local assigned from one (a generic send(msg) of some other object is not a reply)."""
        if "DatagramPacket" in arg:
            return True
        name = arg.strip()
        return any(fact.path == send.path and self.func_of(fact) == func and name in target_names(fact.get("to"))
                   and "DatagramPacket" in fact.get("from") for fact in self.kind("assign"))

    def _readdressed(self, send: NativeFact, func: str, packet: str) -> bool:
        """The received packet is re-pointed at another address before it is sent."""
        for fact in self.kind("setaddr"):
            if fact.path == send.path and self.func_of(fact) == func and fact.get("packet") == packet.strip():
                if not any(label.startswith(("peer:", "rxpacket:"))
                           for label in self.flow.labels(fact.path, func, fact.get("value"))):
                    return True
        return False

    def _reply_socket(self, send: NativeFact, conn: Labels, peers: Set[str]) -> Optional[Replier]:
        sockets = self._own_class_first(send, send.get("conn"), self._labelled(conn))
        frameworks = {"jdk"}
        for peer in sorted(peers):
            index = peer.split(":")[1]
            if index.startswith("h"):
                frameworks = {self.handlers[int(index[1:])][1]}
                continue
            receive = self.kind("receive")[int(index)]
            if not sockets:
                sockets = self._own_class_first(receive, receive.get("conn"), self._labelled(
                    self.flow.labels(receive.path, self.func_of(receive), receive.get("conn"))))
        if not sockets:
            # the socket could not be followed: a framework's sockets anywhere in the tree (Netty and
            # MINA handlers never see theirs), JDK sockets only in the files of the send and receive
            files = {send.path} | {self.kind("receive")[int(p.split(":")[1])].path for p in peers
                                   if not p.split(":")[1].startswith("h")}
            sockets = [s for s in self.sockets if s.framework in frameworks
                       and (s.framework != "jdk" or s.fact.path in files)]
        serving = [s for s in sockets if s.serves]
        per_transfer = False
        if not serving and sockets and all(s.binding.kind == EPHEMERAL and s.framework == "jdk"
                                           and s.fact.path == send.path for s in sockets):
            # a per-transfer socket (TFTP style): never bound to an address, so the reply to the
            # peer a wildcard-bound server socket heard leaves from whatever address routing picks.
            # It is opened where the reply is made: a socket handed in from elsewhere is followed
            # by name, and so is the peer; together they guess too much.
            serving = [s for s in self._receiving_sockets(peers) if s.serves]
            per_transfer = bool(serving)
        if not serving:
            return None
        chosen = min(serving, key=lambda s: (s.binding.kind != WILDCARD, s.fact.path, s.fact.line))
        return Replier(chosen, per_transfer)

    def _receiving_sockets(self, peers: Set[str]) -> List[Socket]:
        """The sockets the receives behind `peers` read from (framework handlers have none to name)."""
        found: List[Socket] = []
        for peer in sorted(peers):
            index = peer.split(":")[1]
            if index.startswith("h"):
                continue
            receive = self.kind("receive")[int(index)]
            labels = self.flow.labels(receive.path, self.func_of(receive), _CHANNEL_SOCKET.sub("", receive.get("conn")))
            found += [s for s in self._labelled(labels) if s not in found]
        return found

    @staticmethod
    def _own_class_first(use: NativeFact, conn: str, sockets: List[Socket]) -> List[Socket]:
        """Fields are followed by name across the tree, so `sock` also holds the sockets of other
        classes with a field of that name. A bare field or `this.x` names this class's own field:
        when this file opens one of the sockets, those are the ones it means (a socket of an
        inherited field, opened in another file, is still found when this file opens none)."""
        own_field = re.fullmatch(r"(?:this\.)?[A-Za-z_$][\w$]*", conn.strip()) is not None
        mine = [s for s in sockets if s.fact.path == use.path]
        return mine if own_field and mine else sockets

    def _labelled(self, labels: Labels) -> List[Socket]:
        return [self.sockets[int(label.split(":")[1])] for label in sorted(labels) if label.startswith("sock:")]

    def _learns_destination(self) -> bool:
        return any("IP_RECVORIGDSTADDR" in text for text in self.sources.values())

    def _finding(self, send: NativeFact, replier: Replier) -> Finding:
        socket = replier.socket
        bind = socket.fact
        code = "UDP002" if socket.framework == "netty" and self._learns_destination() else "UDP001"
        where = "a wildcard address" if socket.binding.kind == WILDCARD else "an address not known to be specific"
        what = {"jdk": "the request's sender", "netty": "the datagram's sender()", "mina": "the session's peer"}
        if replier.per_transfer:
            heard = (f"from a per-transfer socket that was never bound to an address; the request came in on "
                     f"a socket bound to {where} ({socket.binding.how}, line {bind.line})")
        else:
            heard = f"on a socket bound to {where} ({socket.binding.how}, line {bind.line})"
        message = (f"this {send.get('api')} answers {what[socket.framework]} {heard}, so the kernel picks the "
                   f"reply's source address by route; on a multi-homed host it can differ from the address the "
                   f"client sent to, and a connected client or conntrack drops the reply. "
                   f"{_TRANSFER_FIX if replier.per_transfer else _FIX}")
        if code == "UDP002":
            message = ("the destination is read (IP_RECVORIGDSTADDR, recipient()) but Netty cannot send from it: "
                       + message)
        related = (Related(bind.path, Location(bind.line, bind.column), f"socket bound here ({socket.binding.how})"),)
        return Finding(code=code, filename=send.path, location=Location(send.line, send.column),
                       end_location=Location(send.end_line, send.end_column), message=message, related=related,
                       source_line=self.text.line(send.path, send.line))


_TRANSFER_FIX = ("Fix: bind the transfer socket to the local address the request came in on "
                 "(new DatagramSocket(new InetSocketAddress(listener.getLocalAddress(), 0))), which needs a "
                 "listening socket per local address: the JDK cannot learn a wildcard socket's destination.")
_FIX = ("Fix: the JDK cannot set IP_PKTINFO, so bind one socket (or channel) per local address "
        "(NetworkInterface.getNetworkInterfaces(), setReuseAddress(true), bind(new InetSocketAddress(addr, port))) "
        "and reply from the socket that received the request; re-scan when addresses change.")


def _ternary(expr: str) -> List[str]:
    """`c ? a : b` -> [a, b] (top level only), else []."""
    parts = split_top_level(expr, "?")
    if len(parts) != 2:
        return []
    branches = split_top_level(parts[1], ":")
    return branches if len(branches) == 2 else []


def _looks_like_host(expr: str) -> bool:
    expr = expr.strip()
    return expr.startswith('"') or expr == "null" or bool(re.search(r"(?i)host|addr|inet|getByName|ip\b", expr))


def _java_params(text: str, name: str) -> Tuple[str, ...]:
    """Parameter names of `void name(final DatagramPacket p, byte[] data)` / `record R(A a, B b)`."""
    at = re.search(rf"\b{re.escape(name)}\s*\(", text)
    if not at:
        return ()
    open_at = at.end() - 1
    inner = text[open_at + 1:matching_paren(text, open_at)]
    names = []
    for part in split_top_level(re.sub(r"@\w+(?:\([^)]*\))?", "", inner)):
        words = re.findall(r"[A-Za-z_$][\w$]*", part.split("=")[0])
        if words:
            names.append(words[-1])
    return tuple(names)
