"""UDP001-UDP003 for one Go package, from the facts of `rules/go/fact_*.yaml`.

The join follows two kinds of values by name (udplint.polyglot.nameflow): the peer a receive
returned (`n, peer, err := c.ReadFromUDP(b)`) and the socket a listen call returned. A send whose
destination carries a peer is a reply; the socket it goes out on (or, when that cannot be
followed, the socket the request came in on) says where it was bound. The listen address is
resolved by name too: literals, `":"+port`, `fmt.Sprintf(":%d", p)`, `&net.UDPAddr{Port: p}`,
package constants, flag defaults and keyed config fields.

A program is one package directory joined with the packages of the same run that it imports and
that do datagram I/O themselves (`linked_programs`): a handler in one package often replies
through a transport another package opened, received on and wraps (`hub.WriteTo(b, src)`). Within
such a program an unexported field or function is its package's own (Go's visibility), exported
ones are shared by name. Four shapes of project code are modelled: a function that returns a read
API's results (`return c.ReadMsgUDP(b, oob)`) makes each of its calls a receive; an address
constructor (`NewEndpoint(ip, port)`, `UDPDestination(...)`) holds its arguments and its body is not
followed; a function handed over as a value (`conn.ListenOut(f.handle)`) is called wherever the
parameter it lands in is called; a local whose field is assigned a peer (`a.IP = from.IP`) carries
it when handed over whole.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from udplint.findings import Finding, Location, Related
from udplint.polyglot.factmodel import NativeFact, facts_by_kind
from udplint.polyglot.nameflow import (budget_note, Call, Enclosing, Flow, FuncDef, NameFlow, SourceText, assigned_to,
                                       matching_paren, split_top_level, strip_strings, target_names)

# calls whose result still holds their arguments (the rest compute something new)
# (ResolveUDPAddr of a peer's String() is that peer; a configured address carries no label anyway)
_WRAPPERS = frozenset({"append", "NewPacketConn", "UDPAddrFromAddrPort", "AddrPortFrom", "Addr", "AddrPort",
                       "ResolveUDPAddr", "ParseAddrPort", "MustParseAddrPort"})

# an address built from an address (`UDPDestination(IPAddress(peer.IP), Port(peer.Port))`,
# `NewAddr(ip, port)`, `AddrFromUDPAddr(peer)`): a constructor of the address type holds the peer
_ADDRESS_MAKER = re.compile(r"^(?:New|Make|To)?(?:UDP|IP|Net|Sock|Peer|Remote)?(?:Addr|Address|Destination|Endpoint)"
                            r"(?:From\w*)?$")


def _address_maker(name: str) -> bool:
    return name not in _WRAPPERS and bool(_ADDRESS_MAKER.match(name))


def _keeps_args(name: str) -> bool:
    return name in _WRAPPERS or _address_maker(name)


WILDCARD, SPECIFIC, EPHEMERAL, UNKNOWN = "wildcard", "specific", "ephemeral", "unknown"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"}
_WILDCARD_IPS = re.compile(r"^(?:net\.)?(?:IPv4zero|IPv6zero|IPv6unspecified|IPv4\(\s*0\s*,\s*0\s*,\s*0\s*,\s*0\s*\))$"
                           r"|^netip\.(?:IPv4Unspecified|IPv6Unspecified)\(\)$|^nil$")
_MAX_DEPTH = 5


@dataclass(frozen=True)
class Binding:
    kind: str  # WILDCARD | SPECIFIC | EPHEMERAL | UNKNOWN
    how: str  # what the address was, for the message: `":53"`, `&net.UDPAddr{Port: port}`


@dataclass(frozen=True)
class Socket:
    fact: NativeFact
    binding: Binding
    multicast: bool

    @property
    def serves(self) -> bool:
        return self.binding.kind in (WILDCARD, UNKNOWN) and not self.multicast


def join(facts: Sequence[NativeFact], sources: Mapping[str, str],
         notes: Optional[List[str]] = None) -> List[Finding]:
    """The findings of one Go package (a directory's .go files); a program the solver could not finish gets a line in `notes`."""
    facts = [f for f in facts if f.language == "go"]
    if not facts:
        return []
    program = GoProgram(facts, sources)
    if not program.converged and notes is not None:
        notes.append(budget_note(os.path.dirname(facts[0].path) or ".", "Go"))  # the package's own facts come first
    return program.findings()


_IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)", re.M)
_IMPORT_LINE = re.compile(r'^import\s+(?:[\w.]+\s+)?"([^"]+)"', re.M)
_IMPORT_SPEC = re.compile(r'^\s*(?:[\w.]+\s+)?"([^"]+)"', re.M)


def imports_of(text: str) -> List[str]:
    """The import paths one Go file names (`import "a"`, `import ( b "x/y"; "z" )`)."""
    found = _IMPORT_LINE.findall(text)
    for block in _IMPORT_BLOCK.findall(text):
        found += _IMPORT_SPEC.findall(block)
    return found


_IO_KINDS = ("receive", "send", "listen")


def linked_programs(root: str, sources: Mapping[str, str], others: Mapping[str, Sequence[NativeFact]]) -> List[str]:
    """The package directories among `others` that the package at `root` imports and that do
    datagram I/O themselves (a receive, a send or a listen: the transport a handler replies
    through); a package of helpers only would hand every caller's values to every other caller.
    A directory is an import path when the path is its module's path (the nearest go.mod's
    `module`) plus the directory under it, or when the directory ends with the import path (a
    GOPATH-style tree like Debian's /usr/share/gocode/src). A `_test.go` file's imports are not
    followed (the package's callers do not run them)."""
    wanted = {path for name, text in sources.items() if not _is_test(name) for path in imports_of(text)}
    if not wanted:
        return []
    linked = []
    for other, facts in others.items():
        if not any(f.kind in _IO_KINDS and not _is_test(f.path) for f in facts):
            continue
        names = {_module_import_path(other)} | {path for path in wanted if other.replace(os.sep, "/").endswith("/" + path)}
        if names & wanted:
            linked.append(other)
    return linked


_RECEIVES = (b"ReadFrom", b"ReadMsg")


def prefilter_linked(dropped: Sequence[Tuple[str, bytes]], kept: Sequence[Tuple[str, bytes]]) -> set:
    """The files the prefilter dropped, of a package with a kept file, that import a package of
    the run that receives datagrams (a file of it names ReadFrom/ReadMsg): they hand that
    transport their handlers (`conn.ListenOut(f.handle)`) and read the packets it delivers."""
    receiving = {os.path.dirname(os.path.abspath(path)) for path, data in kept
                 if not _is_test(path) and any(n in data for n in _RECEIVES)}
    if not receiving:
        return set()
    packages = {os.path.dirname(os.path.abspath(path)) for path, _ in kept if not _is_test(path)}
    names = {}
    for directory in receiving:
        names[directory] = {_module_import_path(directory)} - {""}
    wanted = set()
    for path, data in dropped:
        if _is_test(path):
            continue
        here = os.path.dirname(os.path.abspath(path))
        if here not in packages:
            continue
        imports = imports_of(data.decode("utf-8", "replace"))
        for directory in receiving:
            if directory != here and any(i in names[directory] or directory.replace(os.sep, "/").endswith("/" + i)
                                         for i in imports):
                wanted.add(path)
                break
    return wanted


@functools.lru_cache(maxsize=4096)
def _module_import_path(directory: str) -> str:
    parts = os.path.abspath(directory).split(os.sep)
    for depth in range(len(parts), 1, -1):
        mod = os.sep.join(parts[:depth] + ["go.mod"])
        if os.path.isfile(mod):
            try:
                with open(mod, encoding="utf-8", errors="replace") as handle:
                    match = re.search(r"^module\s+\"?([^\s\"]+)", handle.read(), re.M)
            except OSError:
                return ""
            if not match:
                return ""
            return "/".join([match.group(1)] + parts[depth:])
    return ""


class GoProgram:
    def __init__(self, facts: Sequence[NativeFact], sources: Mapping[str, str]) -> None:
        self.text = SourceText(sources)
        self.text_sources = sources
        self.by_kind = facts_by_kind(facts)
        self.funcs = self._funcs()
        self._enclosing = Enclosing(self.funcs)
        self.flow = NameFlow(keep_args=_keeps_args, call_labels=_interface_call, hold_fields=True,
                             package_of=os.path.dirname, calls_read_fields=False, summarised=_address_maker)
        for func in self.funcs:
            self.flow.funcs.setdefault(func.name, []).append(func)
        self.sockets: List[Socket] = []
        self._load_flows()
        self._receive_wrapper_calls()
        self._function_value_calls()
        self._seed()
        self.converged = self.flow.solve()
        self.sockets = [self._socket(f) for f in self.kind("listen")]

    def kind(self, name: str) -> List[NativeFact]:
        return self.by_kind.get(name, [])

    def func_of(self, fact: NativeFact) -> str:
        return fact.function or self._enclosing(fact.path, fact.line)

    # --- facts -> flows ------------------------------------------------------------------------
    def _funcs(self) -> List[FuncDef]:
        seen: Dict[Tuple[str, int], FuncDef] = {}
        for fact in self.kind("func"):
            key = (fact.path, fact.line)
            if key in seen and not fact.get("recv"):
                continue  # a method matches the plain-function pattern too; keep the method one
            params = _go_params(self.text.after(fact.path, fact.line, fact.column), bool(fact.get("recv")))
            seen[key] = FuncDef(fact.path, fact.get("name"), fact.line, fact.end_line, params)
        return list(seen.values())

    def _special_lines(self) -> set:
        kinds = ("listen", "receive", "connect", "multicast")
        return {(f.path, f.line) for k in kinds for f in self.kind(k)}

    def _load_flows(self) -> None:
        special = self._special_lines()
        for fact in self.kind("assign"):
            if (fact.path, fact.line) in special:
                continue  # the receive/listen seeds say exactly which target gets what
            targets = tuple(target_names(fact.get("to")))
            self.flow.flows.append(Flow(fact.path, self.func_of(fact), targets, fact.get("from")))
        for fact in self.kind("global"):
            self.flow.flows.append(Flow(fact.path, "", tuple(target_names(fact.get("to"))), fact.get("from")))
        for fact in self.kind("field"):
            self.flow.flows.append(Flow(fact.path, self.func_of(fact), ("." + fact.get("field"),),
                                        self.text.span(fact) or fact.get("from")))
        for fact in self.kind("return"):
            self.flow.returns_of.append(Flow(fact.path, self.func_of(fact), (), fact.get("values")))
        self._load_positional_literals()
        for fact in self.kind("call"):
            self.flow.calls.append(self._call(fact))

    def _receive_wrapper_calls(self) -> None:
        """`return c.ReadMsgUDP(b, oob)` makes its function a receive wrapper: each call of it
        whose results are assigned (`n, _, _, from, err := readMsg(conn, b, oob)`) is a receive,
        its peer the second-to-last target (every read API returns `..., peer, err`)."""
        wrappers: Dict[str, NativeFact] = {}
        for fact in self.kind("receive"):
            returned = self.text.span(fact).lstrip().startswith("return") or self.text.before(fact).strip().endswith("return")
            if not fact.get("peer") and returned and self.func_of(fact):
                wrappers.setdefault(self.func_of(fact), fact)
        if not wrappers:
            return
        added = []
        for fact in self.kind("call"):
            callee = fact.get("callee").strip()
            inner = wrappers.get(callee.split(".")[-1])
            if inner is None:
                continue
            targets = [t.strip() for t in split_top_level(_assigned_text(self.text.before(fact)))]
            if len(targets) < 3 or targets[-2] == "_":
                continue
            conn = self._wrapped_conn(inner, fact, callee)
            attrs = {"api": inner.get("api"), "conn": conn, "peer": targets[-2], "func": self.func_of(fact)}
            added.append(NativeFact(fact.language, "receive", fact.path, fact.line, fact.column,
                                    fact.end_line, fact.end_column, attrs, attrs["func"]))
        self.by_kind.setdefault("receive", []).extend(added)

    def _wrapped_conn(self, inner: NativeFact, call: NativeFact, callee: str) -> str:
        """The conn a wrapper call reads from: the argument for the wrapper's conn parameter, else
        the call's receiver (`h.ReadPacket(b)` -> `h`)."""
        root = inner.get("conn").split(".")[0].strip()
        for func in self.flow.funcs.get(self.func_of(inner), []):
            if func.path == inner.path and root in func.params:
                args = _call_args(self.text.span(call)[len(callee):])
                index = func.params.index(root)
                if len(args) == len(func.params):
                    return args[index]
        return callee.rpartition(".")[0]

    def _function_value_calls(self) -> None:
        """A function handed over as a value (`conn.ListenOut(f.handlePacket, q)`): each call of
        the parameter it lands in (`r(addr, b)` inside ListenOut) is a call of that function."""
        extra = []
        for call in list(self.flow.calls):
            for index, arg in enumerate(call.args):
                name = arg.strip()
                if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", name):
                    continue
                short = name.split(".")[-1]
                if short not in self.flow.funcs:
                    continue
                callee = call.callee.split(".")[-1].strip()
                for target in self.flow.funcs.get(callee, []):
                    if len(target.params) != len(call.args) or not self.flow.visible(call.path, target.path, callee):
                        continue
                    param = target.params[index]
                    for inner in self.flow.calls_of(param):
                        if inner.path == target.path and inner.func == target.name and inner.callee.strip() == param:
                            extra.append(Call(inner.path, inner.func, short, inner.args, value_from=call.path))
        self.flow.calls.extend(extra)
        if extra:
            self.flow._calls_by_callee = None

    def _load_positional_literals(self) -> None:
        """`Server{conn, nil, false}` fills the struct's fields in declaration order (the field
        rule sees only keyed literals): each value flows into its field by name."""
        structs = _struct_fields(self.text_sources)
        if not structs:
            return
        for kind, key in (("return", "values"), ("assign", "from"), ("call", "args")):
            for fact in self.kind(kind):
                for type_name, values in _positional_literals(fact.get(key), structs):
                    for name, value in zip(structs[type_name], values):
                        self.flow.flows.append(Flow(fact.path, self.func_of(fact), ("." + name,), value))

    def _call(self, fact: NativeFact) -> Call:
        callee = fact.get("callee")
        func = self.func_of(fact)
        if callee.startswith("func"):  # go func(a *net.UDPAddr) { ... }(peer)
            text = self.text.after(fact.path, fact.line, fact.column)
            params = _go_params(text, False)
            body_end = matching_paren(text, text.index("{")) if "{" in text else -1
            args_text = text[body_end + 1:] if body_end >= 0 else ""
            args = _call_args(args_text)
            return Call(fact.path, func, callee, tuple(args), literal_params=params)
        args = _call_args(self.text.span(fact)[len(callee):]) or split_top_level(fact.get("args"))
        return Call(fact.path, func, callee, tuple(args))

    def _seed(self) -> None:
        for index, fact in enumerate(self.kind("listen")):
            self._seed_result(fact, f"sock:{index}", position=0)
        for index, fact in enumerate(self.kind("multicast")):
            if fact.get("api") == "ListenMulticastUDP":
                self._seed_result(fact, f"mcast:{index}", position=0)
            elif fact.get("conn"):
                self.flow.seed(fact.path, self.func_of(fact), fact.get("conn"), "joined")
        for fact in self.kind("connect"):
            self._seed_result(fact, "connect", position=0)
        for index, fact in enumerate(self.kind("receive")):
            func = self.func_of(fact)
            if fact.get("peer"):
                self.flow.seed(fact.path, func, fact.get("peer"), f"peer:{index}")
            if fact.get("oob"):
                self.flow.seed(fact.path, func, fact.get("oob"), f"oob:{index}")

    def _seed_result(self, fact: NativeFact, label: str, position: int) -> None:
        targets = assigned_to(self.text.before(fact))
        func = self.func_of(fact)
        if len(targets) > position:
            self.flow.add(fact.path, func, targets[position], {label})
        elif self.text.before(fact).strip().endswith("return") and func:
            self.flow.returns.setdefault(self.flow._scoped(fact.path, func), set()).add(label)

    # --- listen addresses ----------------------------------------------------------------------
    def _socket(self, fact: NativeFact) -> Socket:
        network = fact.get("network").strip()
        if network.startswith('"') and not network.startswith('"udp'):
            binding = Binding(SPECIFIC, network)  # not UDP ("ip4:icmp", "unixgram")
        else:
            binding = self.classify(fact.get("laddr"), fact.path, self.func_of(fact), 0)
        if fact.get("api") == "ListenUDP" and fact.get("laddr").strip() == "nil":
            binding = Binding(EPHEMERAL, "nil")
        return Socket(fact, binding, multicast=False)

    def classify(self, expr: str, path: str, func: str, depth: int) -> Binding:
        expr = expr.strip()
        while expr.startswith(("&", "*")) or (expr.startswith("(") and matching_paren(expr, 0) == len(expr) - 1):
            expr = expr[1:-1].strip() if expr.startswith("(") else expr[1:].strip()
        if not expr or depth > _MAX_DEPTH:
            return Binding(UNKNOWN, expr)
        if expr.startswith(('"', "`")):
            return _classify_hostport(_unquote(expr), expr)
        if "+" in strip_strings(expr):
            return self._classify_concat(expr, path, func, depth)
        call = re.match(r"^([\w.]+)\s*\(", expr)
        if call:
            return self._classify_call(call.group(1), expr, path, func, depth)
        literal = re.match(r"^(?:net\.)?UDPAddr\s*\{", expr)
        if literal:
            return self._classify_udpaddr(expr, path, func, depth)
        if re.match(r"^[A-Za-z_][\w.]*$", expr):
            return self._classify_name(expr, path, func, depth)
        return Binding(UNKNOWN, expr)

    def _classify_concat(self, expr: str, path: str, func: str, depth: int) -> Binding:
        head = split_top_level(expr, "+")[0]
        if head.startswith('"'):
            host = _unquote(head)
            if host.endswith(":"):
                return Binding(WILDCARD if _host(host[:-1]) in _WILDCARD_HOSTS else SPECIFIC, expr)
            if host in ("", "[") or host.rstrip("]:") in _WILDCARD_HOSTS:
                return Binding(WILDCARD, expr)
            return Binding(SPECIFIC, expr)
        host = self.classify_host(head, path, func, depth + 1)
        return Binding(host.kind, expr) if host.kind != UNKNOWN else Binding(UNKNOWN, expr)

    def _classify_call(self, name: str, expr: str, path: str, func: str, depth: int) -> Binding:
        args = _call_args(expr[len(name):])
        short = name.split(".")[-1]
        if short == "Sprintf" and args:
            return self._classify_sprintf(args, expr, path, func, depth)
        if short == "JoinHostPort" and len(args) == 2:
            host = self.classify_host(args[0], path, func, depth + 1)
            if host.kind == WILDCARD and re.match(r'^"0"$|^0$', args[1].strip()):
                return Binding(EPHEMERAL, expr)
            return Binding(host.kind, expr)
        if short in ("ResolveUDPAddr", "ResolveIPAddr") and len(args) == 2:
            return self.classify(args[1], path, func, depth + 1)
        if short in ("String", "StringVar", "Getenv", "LookupEnv") and args:
            default = args[-2] if short in ("String", "StringVar") and len(args) >= 3 else ""
            return self.classify(default, path, func, depth + 1) if default else Binding(UNKNOWN, expr)
        if short == "AddrPortFrom" and args:
            host = self.classify_host(args[0], path, func, depth + 1)
            return Binding(host.kind, expr)
        return Binding(UNKNOWN, expr)

    def _classify_sprintf(self, args: List[str], expr: str, path: str, func: str, depth: int) -> Binding:
        fmt = _unquote(args[0]) if args[0].startswith('"') else ""
        if not fmt:
            return Binding(UNKNOWN, expr)
        host, _, _port = fmt.rpartition(":")
        if "%" not in host:
            return Binding(WILDCARD if _host(host) in _WILDCARD_HOSTS else SPECIFIC, expr)
        if host in ("%s", "[%s]") and len(args) > 1:
            return Binding(self.classify_host(args[1], path, func, depth + 1).kind, expr)
        return Binding(UNKNOWN, expr)

    def _classify_udpaddr(self, expr: str, path: str, func: str, depth: int) -> Binding:
        body = expr[expr.index("{") + 1:matching_paren(expr, expr.index("{"))]
        fields = _keyed_fields(body)
        if not fields and body.strip():
            values = split_top_level(body)  # positional: UDPAddr{ip, port, zone}
            fields = {"IP": values[0], "Port": values[1] if len(values) > 1 else "0"}
        port = fields.get("Port", "0").strip()
        ip = fields.get("IP", "nil").strip()
        host = self.classify_host(ip, path, func, depth + 1) if ip != "nil" else Binding(WILDCARD, "nil")
        if host.kind == WILDCARD and port == "0":
            return Binding(EPHEMERAL, expr)
        if host.kind == UNKNOWN and port == "0":
            # an address that is named but on no fixed port: nobody listens there; it is a client's
            # or a per-transfer conn's, opened on the address it was given (the request's cm.Dst)
            return Binding(SPECIFIC, expr)
        return Binding(host.kind, expr)

    def classify_host(self, expr: str, path: str, func: str, depth: int) -> Binding:
        """A host part alone: "" / "0.0.0.0" / net.IPv4zero are wildcards; a name is resolved."""
        expr = expr.strip()
        if depth > _MAX_DEPTH:
            return Binding(UNKNOWN, expr)
        if expr.startswith('"'):
            return Binding(WILDCARD if _host(_unquote(expr)) in _WILDCARD_HOSTS else SPECIFIC, expr)
        if _WILDCARD_IPS.match(expr):
            return Binding(WILDCARD, expr)
        octets = re.match(r"^(?:\[\]byte|net\.IP)\s*\{([\d\s,x]*)\}$", expr)
        if octets:  # net.IP{127, 0, 0, 1}; all zero is the wildcard
            values = [v.strip() for v in octets.group(1).split(",") if v.strip()]
            return Binding(WILDCARD if all(v in ("0", "0x0", "0x00") for v in values) else SPECIFIC, expr)
        getter = re.match(r"^[\w.]+\.GetString\s*\(", expr)
        if getter:  # a config lookup with a default, `c.GetString("listen.host", "0.0.0.0")`
            args = _call_args(expr[getter.end() - 1:])
            return self.classify_host(args[1], path, func, depth + 1) if len(args) == 2 else Binding(UNKNOWN, expr)
        parse = re.match(r"^(?:net\.ParseIP|netip\.MustParseAddr)\s*\((.*)\)$", expr, re.S)
        if parse:
            return self.classify_host(parse.group(1), path, func, depth + 1)
        if re.match(r"^net\.(?:IPv4|IPv6loopback|IPv4bcast|IPv4allsys)", expr):
            return Binding(SPECIFIC, expr)
        if re.match(r"^[A-Za-z_][\w.]*$", expr):
            if LOCAL_ADDRESS in self.flow.labels(path, func, expr):
                return Binding(SPECIFIC, f"{expr} (one of the host's enumerated addresses)")
            values = self._values(expr, path, func)
            kinds = [self.classify_host(v, vpath, vfunc, depth + 1) for v, vpath, vfunc in values]
            return _combine(kinds, expr)
        return Binding(UNKNOWN, expr)

    def _classify_name(self, name: str, path: str, func: str, depth: int) -> Binding:
        values = self._values(name, path, func)
        return _combine([self.classify(v, vpath, vfunc, depth + 1) for v, vpath, vfunc in values], name)

    def _values(self, name: str, path: str, func: str) -> List[Tuple[str, str, str]]:
        """Every expression assigned to `name` that can reach this use: locals of the function,
        package-level values, keyed fields of the same name, the arguments of a parameter, and
        flag.StringVar defaults."""
        parts = name.split(".")
        found: List[Tuple[str, str, str]] = []
        if len(parts) == 1:
            for fact in self.kind("assign"):
                if self.func_of(fact) == func and fact.path == path and name in target_names(fact.get("to")):
                    found.append((fact.get("from"), fact.path, func))
            for fact in self.kind("global"):
                if fact.get("to") == name:
                    found.append((fact.get("from"), fact.path, ""))
            found += self._argument_values(name, path, func)
        else:
            last = parts[-1]
            for fact in self.kind("field"):
                if fact.get("field") == last:
                    found.append((fact.get("from"), fact.path, self.func_of(fact)))
            for fact in self.kind("assign"):
                if any(t.split(".")[-1] == last and "." in t for t in target_names(fact.get("to"))):
                    found.append((fact.get("from"), fact.path, self.func_of(fact)))
        for fact in self.kind("call"):
            if fact.get("callee").endswith("StringVar"):
                args = split_top_level(fact.get("args"))
                if len(args) >= 3 and args[0].lstrip("&").split(".")[-1] == parts[-1]:
                    found.append((args[2], fact.path, self.func_of(fact)))
        return found

    def _argument_values(self, name: str, path: str, func: str) -> List[Tuple[str, str, str]]:
        """The arguments of the calls that pass parameter `name`. A `_test.go` file is a program of
        its own: the loopback address a test hands a package's API says nothing of what the
        package's callers pass, so tests count only for test code (a test helper package)."""
        found = self.flow.arguments_for(name, path, func)
        if _is_test_code(path):
            return found
        return [value for value in found if not _is_test(value[1])]

    # --- replies -------------------------------------------------------------------------------
    def findings(self) -> List[Finding]:
        """One finding per reply (a send nested in two functions is matched once per function)."""
        out: Dict[Tuple[str, int, int], Finding] = {}
        judged = [self._judge(send) for send in self.kind("send")]
        judged += [self._judge_dial(dial) for dial in self.kind("connect")]
        for finding in judged:
            if finding is not None:
                out.setdefault((finding.filename, finding.location.row, finding.location.column), finding)
        return list(out.values())

    def _judge_dial(self, dial: NativeFact) -> Optional[Finding]:
        """`net.DialUDP("udp", nil, peer)`: a per-transfer conn connected to the sender of a request
        a wildcard-bound listener heard, with no local address: routing picks its source."""
        if dial.get("api") != "DialUDP":
            return None
        rest = split_top_level(dial.get("rest"))
        func = self.func_of(dial)
        if len(rest) != 2:
            return None
        unbound = rest[0].strip() == "nil" or self.classify(rest[0], dial.path, func, 0).kind in (EPHEMERAL, WILDCARD)
        if not unbound:
            return None
        peers = sorted(label for label in self.flow.labels(dial.path, func, rest[1]) if label.startswith("peer:"))
        if not peers:
            return None
        listener = self._listener_of(peers, _is_test(dial.path))
        if listener is None:
            return None
        detail = ("DialUDP connects a per-transfer conn to the sender with no local address, for a request that "
                  "came in on the listening socket")
        return self._finding(dial, listener, "UDP001", detail, _TRANSFER_FIX + _DIAL_ON_DESTINATION)

    def _judge(self, send: NativeFact) -> Optional[Finding]:
        func = self.func_of(send)
        dest = self.flow.labels(send.path, func, send.get("dest"))
        peers = sorted(label for label in dest if label.startswith("peer:"))
        if not peers:
            return None
        conn = self.flow.labels(send.path, func, send.get("conn"))
        if conn & {"joined"} or any(label.startswith("mcast:") for label in conn):
            return None  # a multicast responder: its clients sent to a group, not to us
        socket = self._reply_socket(conn, peers, _is_test(send.path))
        if socket is None:
            listener = self._per_transfer_listener(conn, peers, _is_test(send.path), send.path)
            if listener is None:
                return None
            detail = (f"{send.get('api')} answers the sender from a per-transfer conn that is never bound to an "
                      f"address, for a request that came in on the listening socket")
            return self._finding(send, listener, "UDP001", detail, _TRANSFER_FIX + _LISTEN_ON_DESTINATION)
        verdict = self._pinning(send, func, socket)
        if verdict is None:
            return None
        code, detail = verdict
        return self._finding(send, socket, code, detail)

    def _per_transfer_listener(self, conn_labels, peers: List[str], in_test: bool,
                               send_path: str) -> Optional[Socket]:
        """TFTP style: the reply leaves from a conn of its own that was never bound to an address
        (ListenUDP("udp", nil), ":0"), to the peer a wildcard-bound socket heard: routing picks
        its source. The finding blames that listening socket."""
        own = self._sockets_of(conn_labels)
        if not own or not all(s.binding.kind == EPHEMERAL and not s.multicast for s in own):
            return None
        # the transfer conn is opened where the reply is made (a conn handed in from elsewhere, as
        # a STUN client's, is followed by name, and so is the peer: together they guess too much)
        if not all(s.fact.path == send_path for s in own):
            return None
        return self._listener_of(peers, in_test)

    def _listener_of(self, peers: List[str], in_test: bool) -> Optional[Socket]:
        """The serving socket one of the receives behind `peers` read the request from."""
        for peer in peers:
            receive = self.kind("receive")[int(peer.split(":")[1])]
            labels = self.flow.labels(receive.path, self.func_of(receive), receive.get("conn"))
            serving = [s for s in self._sockets_of(labels) if s.serves and (in_test or not _is_test(s.fact.path))]
            if serving:
                return min(serving, key=lambda s: (s.binding.kind != WILDCARD, s.fact.path, s.fact.line))
        return None

    def _reply_socket(self, conn_labels, peers: List[str], in_test: bool = False) -> Optional[Socket]:
        # A package's _test.go files are a program of their own (`go test`): a socket one of them
        # opens says nothing of the sockets the package's own callers hand to its code.
        own = (lambda found: found) if in_test else (lambda found: [s for s in found if not _is_test(s.fact.path)])
        sockets = own(self._sockets_of(conn_labels))
        if not sockets:
            for peer in peers:
                receive = self.kind("receive")[int(peer.split(":")[1])]
                labels = self.flow.labels(receive.path, self.func_of(receive), receive.get("conn"))
                if any(label.startswith("mcast:") for label in labels) or "joined" in labels:
                    return None
                sockets += own(self._sockets_of(labels))
        if not sockets:
            if "connect" in conn_labels:
                return None
            sockets = own(self.sockets)  # the socket could not be followed: any server socket of the package
        if not sockets:
            return self._handed_in_socket(peers)
        serving = [s for s in sockets if s.serves]
        if not serving:
            return None
        return min(serving, key=lambda s: (s.binding.kind != WILDCARD, s.fact.path, s.fact.line))

    def _handed_in_socket(self, peers: List[str]) -> Optional[Socket]:
        """A package that opens no socket but is handed one (a proxy's `Listener *net.UDPConn`
        field, a `Serve(conn net.PacketConn)`) and only ever answers: every send of the package
        goes to a peer one of its receives learned. Its bind is the caller's, not known to be
        specific; a client sends first, to an address it was given, so it is none of these."""
        if self.kind("multicast") or self.kind("connect"):
            return None
        for send in self.kind("send"):
            dest = self.flow.labels(send.path, self.func_of(send), send.get("dest"))
            if not any(label.startswith("peer:") for label in dest):
                return None
        receive = self.kind("receive")[int(peers[0].split(":")[1])]
        return Socket(receive, Binding(UNKNOWN, "a socket opened outside this package"), multicast=False)

    def _sockets_of(self, labels) -> List[Socket]:
        return [self.sockets[int(label.split(":")[1])] for label in sorted(labels) if label.startswith("sock:")]

    def _pinning(self, send: NativeFact, func: str, socket: Socket) -> Optional[Tuple[str, str]]:
        """None when the reply pins its source; else (code, what is wrong)."""
        api = send.get("api")
        prepared = self._pktinfo_prepared(socket)
        if send.get("cm"):
            return self._judge_control_message(send, func, socket, prepared)
        if send.get("oob") or api.startswith("WriteMsgUDP"):
            return self._judge_oob(send, func)
        if prepared:
            return "UDP002", f"packet info is prepared ({prepared}) but {api} carries no control message"
        return "UDP001", f"{api} answers the sender without pinning the source address"

    def _pktinfo_prepared(self, socket: Socket) -> str:
        """What packet-info set-up applies to this socket (options on a conn that cannot be
        followed, e.g. setsockopt inside SyscallConn().Control, count for every socket)."""
        for fact in self.kind("option"):
            if not self._concerns(fact, socket):
                continue
            if fact.get("api") == "SetControlMessage" and "FlagDst" in fact.get("flags"):
                return "SetControlMessage(FlagDst)"
            if fact.get("opt"):
                return fact.get("opt").split(".")[-1]
        for fact in self.kind("receive"):
            if fact.get("api").startswith("ReadMsgUDP") and self._concerns(fact, socket):
                return fact.get("api")
        return ""

    def _concerns(self, fact: NativeFact, socket: Socket) -> bool:
        if not fact.get("conn"):
            return True
        sockets = self._sockets_of(self.flow.labels(fact.path, self.func_of(fact), fact.get("conn")))
        return not sockets or socket in sockets

    def _judge_oob(self, send: NativeFact, func: str) -> Optional[Tuple[str, str]]:
        oob = send.get("oob").strip()
        api = send.get("api")
        if oob in ("nil", "[]byte{}", "[]byte(nil)") or re.match(r"^\w+\[:0\]$", oob):
            return "UDP002", f"{api} is given no control message, so nothing pins the source"
        if any(label.startswith("oob:") for label in self.flow.labels(send.path, func, oob)):
            return "UDP003", (f"{api} sends back the control data ReadMsgUDP received (its interface index, "
                              "and any other IP_RECV* message, which makes the write fail)")
        for fact in self._cmsgs_near(send, func):
            wrong = _wrong_pktinfo(self.text.span(fact), fact)
            if wrong:
                return "UDP003", wrong
        return None

    def _cmsgs_near(self, send: NativeFact, func: str) -> List[NativeFact]:
        same = [f for f in self.kind("cmsg") if f.path == send.path and self.func_of(f) == func]
        return same or self.kind("cmsg")

    def _judge_control_message(self, send: NativeFact, func: str, socket: Socket,
                               prepared: str) -> Optional[Tuple[str, str]]:
        cm = send.get("cm").strip()
        if cm == "nil":
            if prepared:
                return "UDP002", "the reply's control message is nil, so nothing pins the source"
            return "UDP001", "WriteTo with a nil control message answers the sender without pinning the source"
        family = self._wrap_family()
        if family == "ipv6" and _dual_stack(socket):
            return "UDP002", ('an x/net/ipv6 control message on a dual-stack "udp" socket does not pin the '
                              "source of replies to IPv4 clients (ipv6 ignores a v4 Src)")
        fields = self._control_fields(send, func, cm)
        if fields is None:
            return None  # built elsewhere: nothing to judge
        src, ifindex = fields.get("Src", "").strip(), fields.get("IfIndex", "").strip()
        if not src or src == "nil":
            if ifindex and ifindex != "0":
                return "UDP003", ("the reply's control message sets only IfIndex: that forces the output "
                                  "interface but leaves the source to the routing table")
            return "UDP002", "the reply's control message has no Src, so nothing pins the source"
        src_labels = self.flow.labels(send.path, func, src)
        if re.search(r"\.Src\b", src) or any(label.startswith("peer:") for label in src_labels):
            return "UDP003", f"the reply's Src is {src}, not the request's destination (cm.Dst)"
        if ifindex and ifindex != "0":
            return "UDP003", (f"the reply's control message copies IfIndex ({ifindex}): a non-zero IfIndex "
                              "forces the output interface, bypasses routing and makes macOS ignore Src")
        return None

    def _wrap_family(self) -> str:
        families = {f.get("family") for f in self.kind("wrap")}
        return "ipv6" if families == {"ipv6"} else ("ipv4" if "ipv4" in families else "")

    def _control_fields(self, send: NativeFact, func: str, cm: str) -> Optional[Dict[str, str]]:
        literals = [f for f in self.kind("cmsg") if f.get("type").endswith("ControlMessage")
                    and _inside(f, send)]
        name = cm.lstrip("&*").strip()
        if not literals and re.match(r"^\w+$", name):
            for fact in self.kind("cmsg"):
                if fact.path != send.path or self.func_of(fact) != func:
                    continue
                if fact.get("type").endswith("ControlMessage") and name in assigned_to(self.text.before(fact)):
                    literals.append(fact)
                elif fact.get("type").endswith("ControlMessage") and re.search(
                        rf"\bvar\s+{re.escape(name)}\b", self.text.before(fact)):
                    literals.append(fact)
            for fact in self.kind("assign"):
                if fact.path == send.path and self.func_of(fact) == func and fact.get("to") == name \
                        and "ControlMessage" in fact.get("from"):
                    literals.append(fact)
            declared = re.search(rf"\bvar\s+{re.escape(name)}\s+\*?ipv[46]\.ControlMessage\b",
                                 "\n".join(self.text.line(send.path, n) for n in range(1, send.line)))
            if not literals and not declared:
                return None
        elif not literals:
            return None
        fields: Dict[str, str] = {}
        for fact in literals:
            text = self.text.span(fact)
            if "{" in text:
                fields.update(_keyed_fields(text[text.index("{") + 1:matching_paren(text, text.index("{"))]))
        for fact in self.kind("cmsg"):
            if fact.get("target") == name and fact.path == send.path and self.func_of(fact) == func:
                fields[fact.get("field")] = fact.get("value")
        return fields

    def _finding(self, send: NativeFact, socket: Socket, code: str, detail: str, fix: str = "") -> Finding:
        bind = socket.fact
        where = "a wildcard address" if socket.binding.kind == WILDCARD else "an address not known to be specific"
        bound = f"the socket is bound to {where} ({socket.binding.how}, line {bind.line})"
        if bind.kind == "receive":
            bound = (f"the socket is opened outside this package (the request is received at line {bind.line}), "
                     f"bound to an address not known to be specific")
        message = (f"{detail}; {bound}, so on a multi-homed host the reply can leave from another address than the client sent to, and a "
                   f"connected client or conntrack drops it. {fix or _FIX[code]}")
        if bind.kind == "receive":  # the socket was opened by another package
            related = (Related(bind.path, Location(bind.line, bind.column),
                               f"the request is received here, on {socket.binding.how}"),)
        else:
            related = (Related(bind.path, Location(bind.line, bind.column),
                               f"socket bound here: {bind.get('api')}({socket.binding.how})"),)
        return Finding(code=code, filename=send.path, location=Location(send.line, send.column),
                       end_location=Location(send.end_line, send.end_column), message=message,
                       related=related, source_line=self.text.line(send.path, send.line))


_TRANSFER_FIX = ("Fix: learn each request's destination on the listening socket (golang.org/x/net/ipv4 "
                 "SetControlMessage(ipv4.FlagDst, true), ReadFrom's cm.Dst) and open the transfer conn on it: ")
_LISTEN_ON_DESTINATION = "net.ListenUDP(\"udp\", &net.UDPAddr{IP: cm.Dst})."
_DIAL_ON_DESTINATION = "net.DialUDP(\"udp\", &net.UDPAddr{IP: cm.Dst}, peer)."
_FIX = {
    "UDP001": ("Fix: wrap the conn with golang.org/x/net/ipv4.NewPacketConn, SetControlMessage(ipv4.FlagDst, "
               "true) and reply with p.WriteTo(b, &ipv4.ControlMessage{Src: cm.Dst}, src) when cm.Dst is "
               "unicast; or enable IP_PKTINFO/IPV6_RECVPKTINFO via SyscallConn and use ReadMsgUDP + "
               "WriteMsgUDP with one fresh pktinfo control message (ipi_spec_dst / ipi6_addr, ifindex 0)."),
    "UDP002": ("Fix: reply with p.WriteTo(b, &ipv4.ControlMessage{Src: cm.Dst}, src) (x/net/ipv4, also on a "
               "dual-stack socket) or WriteMsgUDP(b, oob, src) with one fresh IP_PKTINFO/IPV6_PKTINFO message."),
    "UDP003": ("Fix: build one fresh control message for the reply: Src = the request's cm.Dst (ipi_spec_dst "
               "for syscall pktinfo), IfIndex 0, nothing echoed."),
}


def _go_params(text: str, method: bool) -> Tuple[str, ...]:
    """Parameter names of `func (r *T) name(a, b *net.UDPAddr, c int) ...` (text from `func`)."""
    opens = [i for i, ch in enumerate(text) if ch == "("]
    if not opens:
        return ()
    first = opens[0]
    if method:
        after_recv = matching_paren(text, first) + 1
        nxt = text.find("(", after_recv)
        if nxt < 0:
            return ()
        first = nxt
    inner = text[first + 1:matching_paren(text, first)]
    parts = split_top_level(inner)
    named = any(len(p.split()) >= 2 for p in parts)
    if not named:
        return ()
    return tuple(p.split()[0] for p in parts)


_STRUCT_DECL = re.compile(r"\btype\s+([A-Za-z_]\w*)\s+struct\s*\{")


def _struct_fields(sources: Mapping[str, str]) -> Dict[str, Tuple[str, ...]]:
    """Each struct type of the package -> its field names in declaration order (an embedded
    `*net.UDPConn` is the field `UDPConn`). A name declared twice (build-tagged files) is dropped."""
    found: Dict[str, Tuple[str, ...]] = {}
    twice = set()
    for text in sources.values():
        for match in _STRUCT_DECL.finditer(text):
            open_at = match.end() - 1
            body = strip_strings(text[open_at + 1:matching_paren(text, open_at)])
            names: List[str] = []
            for line in body.splitlines():
                line = re.sub(r"//.*", "", line).strip()
                embedded = re.fullmatch(r"\*?(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)", line)
                declared = re.match(r"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+\S", line)
                if embedded:
                    names.append(embedded.group(1))
                elif declared:
                    names += [n.strip() for n in declared.group(1).split(",")]
            name = match.group(1)
            if name in found:
                twice.add(name)
            found[name] = tuple(names)
    return {name: fields for name, fields in found.items() if name not in twice and fields}


def _positional_literals(text: str, structs: Mapping[str, Tuple[str, ...]]) -> List[Tuple[str, List[str]]]:
    """(type, values) of each unkeyed `T{a, b, c}` of a known struct type in `text` whose values
    are as many as its fields."""
    found = []
    for match in re.finditer(r"(?<![\w.])(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)\s*\{", text or ""):
        fields = structs.get(match.group(1))
        if not fields:
            continue
        open_at = match.end() - 1
        values = split_top_level(text[open_at + 1:matching_paren(text, open_at)])
        if len(values) == len(fields) and not any(_keyed_fields(v) for v in values if ":" in v):
            found.append((match.group(1), values))
    return found


def _assigned_text(before: str) -> str:
    """`n, _, _, from, err := ` -> `n, _, _, from, err` (blank identifiers kept)."""
    match = re.search(r"([\w.\[\]]+(?:\s*,\s*[\w.\[\]]+)*)\s*(?::=|=(?!=))\s*$", before.rstrip() + " ")
    return match.group(1) if match else ""


def _call_args(text: str) -> List[str]:
    text = text.lstrip()
    if not text.startswith("("):
        return []
    return split_top_level(text[1:matching_paren(text, 0)])


def _keyed_fields(body: str) -> Dict[str, str]:
    fields = {}
    for part in split_top_level(body):
        key, sep, value = part.partition(":")
        if sep and re.match(r"^\s*\w+\s*$", key):
            fields[key.strip()] = value.strip()
    return fields


def _unquote(literal: str) -> str:
    literal = literal.strip()
    return literal[1:-1] if len(literal) >= 2 else ""


def _host(host: str) -> str:
    return host.strip()


# calls that list the host's own interfaces and their addresses: a socket bound to one of these
# is bound to a specific address (one socket per local address answers from the right one)
LOCAL_ADDRESS = "local-address"
_INTERFACE_LISTS = frozenset({"Interfaces", "InterfaceAddrs", "InterfaceByName", "InterfaceByIndex"})


def _interface_call(flow: NameFlow, ref, receiver_labels) -> frozenset:
    """`net.Interfaces()`, `net.InterfaceAddrs()`, and `iface.Addrs()` of an interface they listed."""
    if ref.last in _INTERFACE_LISTS or (ref.last == "Addrs" and LOCAL_ADDRESS in receiver_labels):
        return frozenset({LOCAL_ADDRESS})
    return frozenset()


def _is_test(path: str) -> bool:
    return path.endswith("_test.go")


# directories of test helper packages: `integrationtests/tools/proxy`, `internal/testutil`,
# Go's `<name>test` convention (`httptest`, `stuntest`), `e2e`
_TEST_TREE = re.compile(r"(?:tests?|testing|testdata|testutils?|testhelpers?|integrationtests?|e2e|[a-z0-9]+test)")


def _is_test_code(path: str) -> bool:
    """A `_test.go` file, or a file of a package that lives in a test tree (a helper that only
    tests import: its sockets are bound where those tests say)."""
    return _is_test(path) or any(_TEST_TREE.fullmatch(part) for part in _package_dirs(os.path.dirname(path)))


@functools.lru_cache(maxsize=1024)
def _package_dirs(directory: str) -> Tuple[str, ...]:
    """The directories from the module root (the nearest go.mod above) down to the package; without
    a go.mod, the last three (a checkout's own `test/` parent says nothing of the package)."""
    parts = os.path.abspath(directory).split(os.sep)
    for depth in range(len(parts), 1, -1):
        if os.path.isfile(os.sep.join(parts[:depth] + ["go.mod"])):
            return tuple(parts[depth:])
    return tuple(parts[-3:])


def _classify_hostport(address: str, how: str) -> Binding:
    host, sep, port = address.rpartition(":")
    if not sep:
        return Binding(UNKNOWN, how)
    if host.strip("[]") in ("127.0.0.1", "::1", "localhost") or host.strip("[]") not in _WILDCARD_HOSTS:
        return Binding(SPECIFIC, how)
    return Binding(EPHEMERAL if port in ("", "0") else WILDCARD, how)


def _combine(bindings: List[Binding], how: str) -> Binding:
    kinds = [b.kind for b in bindings]
    if WILDCARD in kinds:
        return Binding(WILDCARD, next(b.how for b in bindings if b.kind == WILDCARD))
    if kinds and all(k == SPECIFIC for k in kinds):
        return Binding(SPECIFIC, how)
    if kinds and all(k in (EPHEMERAL, SPECIFIC) for k in kinds):
        return Binding(EPHEMERAL, how)
    return Binding(UNKNOWN, how)


def _dual_stack(socket: Socket) -> bool:
    return socket.fact.get("network").strip() == '"udp"'


def _inside(inner: NativeFact, outer: NativeFact) -> bool:
    return inner.path == outer.path and (outer.line, outer.column) <= (inner.line, inner.column) \
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _wrong_pktinfo(text: str, fact: NativeFact) -> str:
    """UDP003 reasons for a syscall/unix pktinfo struct or field assignment built for a reply."""
    if fact.get("field") == "Spec_dst" and fact.get("value").endswith(".Addr"):
        return "the reply's Spec_dst is the received Addr (ipi_addr, the header destination)"
    if fact.get("field") in ("Ifindex", "IfIndex") and re.search(r"\.If[iI]ndex\b", fact.get("value")):
        return f"the reply's pktinfo copies the received interface index ({fact.get('value')})"
    if "{" not in text:
        return ""
    fields = _keyed_fields(text[text.index("{") + 1:matching_paren(text, text.index("{"))])
    if fields.get("Spec_dst", "").endswith(".Addr"):
        return "the reply's Spec_dst is the received Addr (ipi_addr, the header destination)"
    index = fields.get("Ifindex", fields.get("IfIndex", ""))
    if re.search(r"\.If[iI]ndex\b", index):
        return f"the reply's pktinfo copies the received interface index ({index})"
    return ""
