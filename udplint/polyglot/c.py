"""C: join the facts of one program (the .c/.h files of a directory) into UDP001/UDP002/UDP003.

The join, by name (see `c_program` for how expressions become keys):
  1. wildcard addresses: a sockaddr whose host is INADDR_ANY / in6addr_any / 0, a zeroed one whose
     port (non-zero) is set but never its host, a getaddrinfo() result with a NULL node or
     AI_PASSIVE; followed through assignments, copies, call arguments and parameters to bind();
  2. peers: the address recvfrom() fills in, the msg_name of a msghdr recvmsg()/recvmmsg() fill
     in; followed the same way (struct fields by name, parameters, msg_name of a reply msghdr);
  3. a reply is a sendto()/sendmsg()/sendmmsg() (or a wrapper macro's) to a peer, on a socket
     that is the wildcard-bound one or not known to be another: not connect()ed, not bound to a
     specific address, not a multicast member. A program without a wildcard bind of a
     non-stream socket has no server to blame (clients, library code that sends to whatever
     address its caller passes, one socket per enumerated local address).
  4. UDP001: no packet info anywhere; UDP002: packet info is enabled but no reply pktinfo
     control message is built; UDP003: the pktinfo control message is built from the wrong field
     or the received control buffer is sent back.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from udplint.catalog import rule
from udplint.findings import Finding, Location, Related
from udplint.polyglot import c_program
from udplint.polyglot.c_program import CProgram, Placed, Scope, functions_named, split_top_level
from udplint.polyglot.factmodel import NativeFact

PKTINFO_OPTIONS = frozenset(("IP_PKTINFO", "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "IPV6_2292PKTINFO",
                             "IP_RECVDSTADDR", "IP_RECVORIGDSTADDR", "IPV6_RECVORIGDSTADDR"))
REPLY_CMSG_TYPES = frozenset(("IP_PKTINFO", "IPV6_PKTINFO", "IP_SENDSRCADDR", "IPV6_2292PKTINFO"))
_HOST_FIELD = re.compile(r"(?:\.|->)\s*(?:sin_addr(?:\s*\.\s*s_addr)?|sin6_addr(?:\s*\.\s*s6_addr\w*)?|s_addr)\s*$")
_SOCKADDR_HOST = re.compile(r"(?:\.|->)\s*sin6?_addr\b")
_PORT_FIELD = re.compile(r"(?:\.|->)\s*sin6?_port\s*$")
_ADDRESS_TAIL = re.compile(r"(?:\s*(?:\.|->)\s*(?:sin6?_addr|s_addr|s6_addr\w*|sin6?_port|sin6?_family|sin6?_len|"
                           r"sin6_scope_id|sin6_flowinfo|ss_family|sa_family))+\s*$")
_WILDCARD_VALUE = re.compile(r"^\s*(?:\(\s*\w+\s*\)\s*)?&?\s*(?:INADDR_ANY|in6addr_any|IN6ADDR_ANY_INIT|0+|0x0+|"
                             r"htonl\s*\(\s*(?:INADDR_ANY|0+)\s*\)|\{\s*0?\s*\}|\{\s*\{\s*\{?\s*0?\s*\}?\s*\}\s*\})\s*$")
_ZERO_PORT = re.compile(r"^\s*(?:0+|htons\s*\(\s*0+\s*\))\s*$")
_PARSED_HOST = re.compile(r"^\s*(?:\(\s*\w+\s*\)\s*)?inet_addr\s*\((.*)\)\s*$", re.S)
_STRING = re.compile(r'"([^"\\]*)"')
_STRUCT_DEFINITION = re.compile(r"\bstruct\s+([A-Za-z_]\w*)\s*\{([^{}]*)\}")
# one member declaration: its name is the last word before the `;` (pointers, arrays and
# const qualifiers around it)
_MEMBER = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*;")
_WILDCARD_TEXTS = frozenset(("0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0", ""))
_NULL = re.compile(r"^\s*(?:NULL|0|nullptr|\(\s*(?:const\s+)?char\s*\*\s*\)\s*(?:NULL|0))\s*$")
_MSGHDR_MEMBERS = ("msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags")
_DESIGNATED = re.compile(r"\.\s*([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*=\s*(\{[^{}]*\}|[^,{}]+)")
_IFINDEX_WORD = re.compile(r"\b(?:\w*ifindex|if_index|iif|ifi)\b")
# sockaddr types of families with no IP source address (Unix, netlink, packet, IPX, ...)
_NON_IP_FAMILY = re.compile(r"^\s*(?:AF|PF)_(?:UNIX|LOCAL|NETLINK|PACKET|IPX|CAN|VSOCK|BLUETOOTH|ALG|TIPC)\s*$")
_NON_IP_SOCKADDR = re.compile(r"\bstruct\s+sockaddr_(?:un|nl|ll|ipx|can|vm|rc|l2|hci|alg|pppox|x25|ax25|at|tipc)\b")
_IP_SOCKADDR = re.compile(r"\b(?:sockaddr_in6?|sockaddr_storage|in6?_addr|addrinfo|in_pktinfo|in6_pktinfo)\b")
# what a file that handles IP addresses names (sockaddr_storage alone is any family's storage)
_IP_FILE_WORDS = re.compile(r"\b(?:sockaddr_in6?|addrinfo|INADDR_ANY|in6addr_any|in6?_pktinfo|AF_INET6?|PF_INET6?)\b")
_PLATFORM_IPI_ADDR = re.compile(r"\b(?:WSASendMsg|_WIN32|__NetBSD__)\b")


@dataclass(frozen=True)
class Assignment:
    """`to = from` (plain, a copy, or one member of an initializer), read in `scope`."""

    to: str
    source: str
    scope: Scope
    fact: NativeFact


def join(facts: List[NativeFact], sources: Mapping[str, str], notes: Optional[List[str]] = None) -> List[Finding]:
    """The findings of one C program. (`notes` is the joiners' shared signature; every step of
    this join is a closure over the program's finite set of keys, so it has no budget to report.)"""
    program = c_program.build([f for f in facts if f.language == "c"], sources)
    analysis = Analysis(program)
    return merge_related(analysis.udp001_002()) + analysis.udp003()


def merge_related(findings: List[Finding]) -> List[Finding]:
    """One finding per place and code: a wrapper call that reaches several sends of the wrapper
    (`handle(req, from)` answering on two paths) is one reply, related to each of them."""
    merged: Dict[tuple, Finding] = {}
    for finding in findings:
        key = (finding.filename, finding.location, finding.code)
        known = merged.get(key)
        if known is None:
            merged[key] = finding
        else:
            extra = tuple(r for r in finding.related if r not in known.related)
            merged[key] = dataclasses.replace(known, related=known.related + extra)
    return list(merged.values())


class Analysis:
    def __init__(self, program: CProgram) -> None:
        self.program = program
        self._successor_index: Optional[Dict[str, Set[str]]] = None
        self._socket_cache: Dict[int, FrozenSet[str]] = {}
        self._reply_cache: Dict[int, bool] = {}
        self._responder_parts: Dict[Scope, bool] = {}
        self._connect_places: Dict[int, List[Placed]] = {}
        self._multicast_parts: Dict[Scope, Set[str]] = {}
        self._wildcard_text_cache: Dict[str, bool] = {}
        self._source_lines: Dict[str, List[str]] = {}
        self._struct_places: Optional[Dict[str, List[Tuple[str, int]]]] = None
        self.assignments = list(self._assignments())
        self.wildcard = self._propagate(self._through_out_parameters(self._wildcard_seeds()))
        self.peers = self._with_callback_pairs(self._peer_seeds())
        self.options = program.of_kind("option")
        self.pktinfo = program.of_kind("pktinfo")
        self.components = Components(program, self.assignments)
        self.sends, self.wrapped = wrapper_sends(program)
        self.connects, wrapped_connects = wrapper_sites(program, "connect", lambda placed: "addr")
        self.wrapped.update(wrapped_connects)

    # --- assignments, calls, propagation ----------------------------------------------------
    def _assignments(self) -> Iterable[Assignment]:
        for placed in self.program.of_kind("assign"):
            to, source = placed.get("to"), placed.get("from")
            yield Assignment(to, source, placed.scope, placed.fact)
            if source.lstrip().startswith("{"):
                members = _DESIGNATED.findall(source) or self._positional_members(placed, to, source)
                for member, value in members:
                    yield Assignment(f"{to}.{member}", value.strip(), placed.scope, placed.fact)

    def _positional_members(self, placed: Placed, to: str, source: str) -> List[Tuple[str, str]]:
        """`struct msghdr m = { &peer, sizeof peer, &iov, 1, ... }`: a msghdr initialised in
        member order names its msg_name first (the only positional initializer a peer hides in)."""
        line = self._line(placed.fact.path, placed.fact.line)
        if not re.search(rf"\bstruct\s+msghdr\b[^;=]*\b{re.escape(to)}\s*=", line):
            return []
        values = split_top_level(source.strip()[1:-1])
        return list(zip(_MSGHDR_MEMBERS, values))

    def _line(self, path: str, row: int) -> str:
        if path not in self._source_lines:
            self._source_lines[path] = self.program.sources.get(path, "").split("\n")
        lines = self._source_lines[path]
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        return self.program.keys(expr, scope)

    def _propagate(self, seeds: Set[str]) -> Set[str]:
        """Close a set of keys over assignments (`to = from`, memcpy) and call arguments ->
        parameters, keeping a msghdr's msg_name (`N:` keys) attached through both. A worklist
        over an index of the edges by source key: each key is expanded once."""
        successors = self._successors()
        tainted = set(seeds)
        pending = list(seeds)
        while pending:
            key = pending.pop()
            reached = [target for target in successors.get(key, ())]
            if key.startswith("N:"):  # the msg_name of m travels wherever m goes
                reached += ["N:" + target for target in successors.get(key[2:], ())]
            for target in reached:
                if target not in tainted:
                    tainted.add(target)
                    pending.append(target)
        return tainted

    def _successors(self) -> Dict[str, Set[str]]:
        if self._successor_index is None:
            index: Dict[str, Set[str]] = {}
            for sources, targets in self._edges():
                for source in sources:
                    index.setdefault(source, set()).update(targets)
            self._successor_index = index
        return self._successor_index

    def _edges(self) -> List[tuple]:
        if hasattr(self, "_edge_cache"):
            return self._edge_cache
        edges = []
        for assignment in self.assignments:
            sources = self.keys(assignment.source, assignment.scope)
            targets = self.keys(assignment.to, assignment.scope)
            if sources and targets:
                edges.append((sources, targets))
                if any(k.startswith("N:") for k in targets):
                    # `m.msg_name = &peer`: what a receive writes through m lands in peer
                    edges.append((frozenset(k for k in targets if k.startswith("N:")), sources))
        copies = self._parameter_copies()
        for call in self.program.calls:
            for function in functions_named(self.program, call.callee, call.fact.path):
                for arg, param in zip(call.args, function.params):
                    sources = self.keys(arg, call.scope)
                    if sources and param:
                        edges.append((sources, frozenset((function.scope.local(param),))))
                for source, target in copies.get(function.scope, ()):
                    if max(source, target) < len(call.args):
                        sources = self.keys(call.args[source], call.scope)
                        targets = self.keys(call.args[target], call.scope)
                        if sources and targets:
                            edges.append((sources, targets))
        self._edge_cache = edges
        return edges

    def _parameter_copies(self) -> Dict[Scope, Set[tuple]]:
        """(i, j) for a function that stores what its parameter i holds into what its parameter j
        points at (`void to_peer(struct sockaddr_in *in, struct peer *out) { out->port =
        in->sin_port; ... }`): a call's argument i flows into its argument j, so an address
        converted into the program's own representation, and back, is still the peer."""
        copies: Dict[Scope, Set[tuple]] = {}
        for assignment in self.assignments:
            function = self.program.function_at(assignment.scope)
            target = c_program.normalize(assignment.to)
            if function is None or target is None:
                continue
            root = re.split(r"\.|->", target)[0]
            if root not in function.params:
                continue
            read = _words(assignment.source)
            for index, param in enumerate(function.params):
                if param and param != root and param in read:
                    copies.setdefault(assignment.scope, set()).add((index, function.params.index(root)))
        return copies

    # --- wildcard addresses and binds -------------------------------------------------------
    def _wildcard_seeds(self) -> Set[str]:
        self.wildcard_origins: List[Scope] = []  # where a wildcard sockaddr is made
        wildcard: Set[str] = set()
        specific: Set[str] = set()
        zeroed: Set[str] = set()
        port_set: Set[str] = set()
        enclosing_keys: Dict[str, Set[str]] = {}
        port_zero: Set[str] = set()
        host_roots: Set[str] = set()  # variables whose sockaddr member gets a host
        port_roots: Set[str] = set()  # variables whose sockaddr member gets a non-zero port
        aliases = self._pointer_aliases()
        for assignment in self.assignments:
            base = _ADDRESS_TAIL.sub("", assignment.to)
            keys = self.keys(base, assignment.scope)
            if _HOST_FIELD.search(assignment.to):
                parsed = _PARSED_HOST.match(assignment.source)  # inet_addr(text)
                is_wild = self._wildcard_text(parsed.group(1)) if parsed else _WILDCARD_VALUE.match(assignment.source)
                (wildcard if is_wild else specific).update(keys)
                (wildcard if is_wild else host_roots).update(self._root_keys(base, assignment.scope))
                if is_wild and _SOCKADDR_HOST.search(assignment.to):
                    self.wildcard_origins.append(assignment.scope)
            elif _PORT_FIELD.search(assignment.to):
                (port_zero if _ZERO_PORT.match(assignment.source) else port_set).update(keys)
                if not _ZERO_PORT.match(assignment.source):
                    # `a->addr.in.sin_port = ...` after memset(a): the member lies in zeroed storage
                    for key in keys:
                        enclosing_keys.setdefault(key, set()).update(self._root_keys(base, assignment.scope))
                    port_roots.update(self._root_keys(base, assignment.scope))
            elif assignment.source.lstrip().startswith("{"):
                zeroed.update(keys)  # an initializer zeroes every member it does not name
            elif base == assignment.to and (assignment.scope, assignment.fact.line, assignment.to) not in aliases:
                specific.update(keys)  # a whole address copied in: whatever it holds
        passive = self._passive_resolution()
        for placed in self.program.of_kind("address"):
            op = placed.get("op")
            if op.endswith(("memset", "bzero")):  # and project wrappers: os_memset, ...
                zeroed.update(self.keys(placed.get("var"), placed.scope))
            elif op in ("inet_pton", "inet_aton"):
                keys = self.keys(_ADDRESS_TAIL.sub("", placed.get("var")), placed.scope)
                if self._wildcard_text(placed.get("text")):  # "0.0.0.0", or a listen setting defaulting to it
                    wildcard.update(keys)
                    self.wildcard_origins.append(placed.scope)
                else:
                    specific.update(keys)
            elif op == "getaddrinfo" and (passive or _NULL.match(placed.get("node"))):
                wildcard.update(self.keys(placed.get("var"), placed.scope))
                wildcard.add("F:ai_addr")
                self.wildcard_origins.append(placed.scope)
        only_port = {k for k in port_set - specific if k in zeroed or enclosing_keys.get(k, set()) & zeroed}
        self.specific_keys, self.port_zero_keys = specific, port_zero
        # `memset(a, 0, ...); a->u.in.sin_port = htons(port)`: the record `a` itself is the wildcard
        only_port |= (port_roots & zeroed) - host_roots - specific
        return (wildcard | only_port) - port_zero

    def _wildcard_text(self, expr: str) -> bool:
        """The text an address is parsed from is a wildcard: a literal ("0.0.0.0", "::"), a macro
        defined as one, or a variable or member whose default anywhere in the program is one
        (`static const char *listen_addr = "0.0.0.0";`, `.listen = "::"`) that a command line
        or configuration file may override."""
        expr = expr.strip()
        literal = _STRING.fullmatch(expr)
        if literal:
            return literal.group(1) in _WILDCARD_TEXTS
        name = re.split(r"\.|->", c_program.normalize(expr) or "")[-1].strip()
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            return False
        if name not in self._wildcard_text_cache:
            default = re.compile(rf"(?:#\s*define\s+{name}\s+|(?<![\w>]){name}\s*=\s*|\.\s*{name}\s*=\s*)"
                                 rf"\(?\s*\"({'|'.join(map(re.escape, _WILDCARD_TEXTS - {''}))})\"")
            self._wildcard_text_cache[name] = any(default.search(text) for text in self.program.sources.values()) \
                or self._positional_default(name)
        return self._wildcard_text_cache[name]

    def _positional_default(self, member: str) -> bool:
        """`static struct config cfg = { "0.0.0.0", 514 };`: a struct initialised in member order
        whose `member` (found by its place in the struct's definition) starts out as a wildcard."""
        for struct, place in self._member_places().get(member, ()):
            initializer = re.compile(rf"\bstruct\s+{struct}\s+\w+\s*=\s*\{{([^{{}}]*)\}}")
            for source in self.program.sources.values():
                for found in initializer.finditer(source):
                    values = split_top_level(found.group(1))
                    literal = _STRING.fullmatch(values[place].strip()) if place < len(values) else None
                    if literal and literal.group(1) in _WILDCARD_TEXTS - {""}:
                        return True
        return False

    def _member_places(self) -> Dict[str, List[Tuple[str, int]]]:
        """member name -> (struct, its place in the struct's definition), read once per program."""
        if self._struct_places is None:
            self._struct_places = {}
            for text in self.program.sources.values():
                for definition in _STRUCT_DEFINITION.finditer(text):
                    body = c_program.without_comments(definition.group(2))
                    for place, member in enumerate(m.group(1) for m in _MEMBER.finditer(body)):
                        self._struct_places.setdefault(member, []).append((definition.group(1), place))
        return self._struct_places

    def _pointer_aliases(self) -> Set[tuple]:
        """(scope, line, to) of `p = (native_t *)q` and `p = &x`: `p` points at what it is given
        (another view of the caller's address), it is not an address copied in."""
        return {(a.scope, a.fact.line, a.to) for a in self.assignments
                if re.search(r"\*\s*\)", a.source) or a.source.lstrip().startswith("&")}

    def _through_out_parameters(self, seeds: Set[str]) -> Set[str]:
        """A helper that makes a wildcard address in what its parameter points at (`any_port(&local,
        port)` zeroes `*a` and sets only the port) makes its caller's argument one; also when it
        writes through a cast copy of the parameter (`native_t *a = (native_t *)va;`). The caller's
        own host assignment to that variable wins (it makes the address specific)."""
        found = set(seeds)
        for assignment in self.assignments:
            function = self.program.function_at(assignment.scope)
            source = c_program.normalize(assignment.source)
            if function is not None and source in function.params and \
                    self.keys(assignment.to, assignment.scope) & found:
                found.add(function.scope.local(source))
        changed = True
        while changed:
            changed = False
            for call in self.program.calls:
                for function in functions_named(self.program, call.callee, call.fact.path):
                    for arg, param in zip(call.args, function.params):
                        if param and function.scope.local(param) in found:
                            new = self.keys(arg, call.scope) - found - self.specific_keys
                            if new:
                                found |= new
                                changed = True
        return found

    def _root_keys(self, expr: str, scope: Scope) -> FrozenSet[str]:
        """The keys of the variable a member path starts from (`a` of `a->addr.in`)."""
        path = c_program.normalize(expr)
        if path is None or not re.search(r"\.|->", path):
            return frozenset()
        return self.keys(re.split(r"\.|->", path)[0], scope)

    def _passive_resolution(self) -> bool:
        return any("AI_PASSIVE" in a.source for a in self.assignments)

    def binds(self) -> List[Placed]:
        return self.program.of_kind("bind")

    def is_wildcard_bind(self, bind: Placed) -> bool:
        """The bind's address is a wildcard one; or nothing is known of it (it travelled through
        something the join does not follow) while its part of the program makes a wildcard
        address: a sockaddr host set to the wildcard, or a passive getaddrinfo()."""
        keys = self.keys(bind.get("addr"), bind.scope)
        if keys & self.wildcard:
            return True
        # `bind(fd, &local->addr.sock, ...)` where the whole record `local` points at is the wildcard:
        # the variable says more than the field names, which other records share
        root = self._root_keys(bind.get("addr"), bind.scope)
        if root & self.wildcard and not root & self.specific_keys:
            return True
        if keys & (self.specific_keys | self.port_zero_keys) or not keys:
            return False
        return any(self.components.related(scope, bind.scope) for scope in self.wildcard_origins)

    def _non_ip(self, placed: Placed) -> bool:
        """The call sits (or its wrapper's call does) in a function whose addresses are all of a
        non-IP family: a control socket's `struct sockaddr_un from`, a netlink `sockaddr_nl`."""
        scopes = [placed.scope] + [inner.scope for inner in self.wrapped.get(id(placed), [])]
        if any(self._non_ip_file(scope.path) for scope in scopes):
            return True
        for scope in scopes:
            function = self.program.function_at(scope)
            body = c_program.without_comments(function.body) if function is not None else ""
            if _NON_IP_SOCKADDR.search(body) and not _IP_SOCKADDR.search(body):
                return True
        return False

    def _non_ip_file(self, path: str) -> bool:
        """Every socket() of the file is of a non-IP family (`socket(PF_UNIX, SOCK_DGRAM, 0)` for a
        control interface) and the file names no IP address type."""
        families = [p.get("family") for p in self.program.of_kind("socket") if p.fact.path == path]
        return bool(families) and all(_NON_IP_FAMILY.match(f) for f in families) and \
            not _IP_FILE_WORDS.search(self.program.sources.get(path, ""))

    def _on_non_udp_socket(self, placed: Placed) -> bool:
        """`placed` is on a socket() of type SOCK_STREAM or SOCK_RAW (TCP, or ICMP as ping's):
        one whose own variable flows into it, or one of the same file stored in a field of the
        same name. A library's TCP transport in another file stores its socket in the same
        `t->sock` field as the UDP one."""
        sock = self.sockets(placed)
        if not sock:
            return False
        for socket_fact in self._non_udp_socket_facts():
            shared = self.keys(socket_fact.get("sock"), socket_fact.scope) & sock
            if any(not key.startswith("F:") for key in shared) or \
                    (shared and socket_fact.fact.path == placed.fact.path):
                return True
        return False

    def _non_udp_socket_facts(self) -> List[Placed]:
        return [p for p in self.program.of_kind("socket")
                if re.search(r"\bSOCK_(?:STREAM|RAW)\b", p.get("type")) and "SOCK_DGRAM" not in p.get("type")]

    def _stream_sockets(self) -> Set[str]:
        # `udp ? SOCK_DGRAM : SOCK_STREAM`: a socket() that may be either is not known to be TCP
        return self._socket_keys("socket", lambda p: "SOCK_STREAM" in p.get("type")
                                 and "SOCK_DGRAM" not in p.get("type"))

    def _socket_keys(self, kind: str, accept=lambda placed: True, near: Optional[Scope] = None) -> Set[str]:
        """Socket keys of the `kind` facts (in the part of the program `near` belongs to), with
        every name the same socket goes by (see `sockets`)."""
        keys: Set[str] = set()
        for placed in self.program.of_kind(kind):
            if accept(placed) and (near is None or self.components.related(placed.scope, near)):
                keys |= self.sockets(placed)
        return keys

    def sockets(self, placed: Placed) -> Set[str]:
        """A fact's socket as the set of names its value came from: its key, and every key that
        flows into it by assignment or as a call argument (`serve(fd)`: `serve`'s `fd` came from
        the caller's `fd`). Two facts are on the same socket when these sets meet; a helper
        that gets several sockets does not make them one."""
        cached = self._socket_cache.get(id(placed))
        if cached is None:
            cached = self._socket_cache[id(placed)] = frozenset(self._socket_names(placed))
        return set(cached)

    def _socket_names(self, placed: Placed) -> Set[str]:
        start = self.keys(placed.get("sock"), placed.scope)
        if not start:
            return set()
        if not hasattr(self, "_flows_into"):
            self._flows_into = _reverse(self._edges())
        found: Set[str] = set()
        pending = list(start)
        while pending:
            key = pending.pop()
            if key in found:
                continue
            found.add(key)
            pending += self._flows_into.get(key, ())
        return found

    # --- peers and replies ------------------------------------------------------------------
    def _peer_seeds(self) -> Set[str]:
        """What receives write: their peer argument, the msg_name of their msghdr, and, through
        receive wrappers (`Recvfrom_flags(fd, buf, n, &flags, &cli, &len)`), the caller's
        argument for a wrapper parameter a receive writes into."""
        written: Set[str] = set()
        for receive in self.program.of_kind("receive"):
            if receive.get("peer"):
                written |= self.keys(receive.get("peer"), receive.scope)
            if receive.get("msg"):
                written |= {"N:" + k for k in self.program.msghdr_keys(receive.get("msg"), receive.scope)}
        changed = True
        while changed:
            changed = False
            for call in self.program.calls:
                for function in functions_named(self.program, call.callee, call.fact.path):
                    for arg, param in zip(call.args, function.params):
                        out = function.scope.local(param)
                        found = {k for k in self.keys(arg, call.scope) if out in written} | \
                                {"N:" + k for k in self.program.msghdr_keys(arg, call.scope) if "N:" + out in written}
                        if not found <= written:
                            written |= found
                            changed = True
        return written

    def _with_callback_pairs(self, seeds: Set[str]) -> Set[str]:
        """The peers, also through a pair of callbacks installed side by side into one object
        (`t->f_recv = udp_recv; t->f_send = udp_send;`, `{ .recv = r, .send = s }`): the framework
        that calls them hands the send what the receive gave back through the parameter of the
        same name and place (`void **opaque`: "where the PDU came from, to send the reply there")."""
        peers = self._propagate(seeds)
        extra = set()
        for group in self._installed_together():
            for receiver in group:
                for sender in group:
                    if sender is receiver:
                        continue
                    for index, param in enumerate(sender.params):
                        if param and index < len(receiver.params) and receiver.params[index] == param \
                                and receiver.scope.local(param) in peers:
                            extra.add(sender.scope.local(param))
        return self._propagate(seeds | extra) if extra - peers else peers

    def _installed_together(self) -> List[List[c_program.Function]]:
        """Functions of one file stored into members of the same object in one function."""
        groups: Dict[tuple, List[c_program.Function]] = {}
        for assignment in self.assignments:
            target, source = c_program.normalize(assignment.to), c_program.normalize(assignment.source)
            if target is None or source is None or not re.search(r"\.|->", target):
                continue
            functions = [f for f in self.program.functions.get(source, ()) if f.path == assignment.scope.path]
            owner = re.sub(r"(?:\.|->)\w+$", "", target)
            for function in functions:
                group = groups.setdefault((assignment.scope, owner), [])
                if function not in group:
                    group.append(function)
        return [group for group in groups.values() if len(group) > 1]

    def is_reply(self, send: Placed) -> bool:
        known = self._reply_cache.get(id(send))
        if known is None:
            known = self._reply_cache[id(send)] = self._sends_to_peer(send)
        return known

    def _sends_to_peer(self, send: Placed) -> bool:
        if send.get("dest"):
            return bool(self.keys(send.get("dest"), send.scope) & self.peers)
        msg = self.program.msghdr_keys(send.get("msg"), send.scope)
        return any("N:" + k in self.peers for k in msg)

    def udp001_002(self) -> List[Finding]:
        binds = [b for b in self.binds() if self.is_wildcard_bind(b)]
        binds = [b for b in binds if not self._on_non_udp_socket(b) and not self._non_ip(b)]
        findings = []
        for send in self.sends:
            if not self.is_reply(send) or self._echoes_received_control(send):
                continue
            if self._reply_pktinfo_built(send.scope):
                continue
            sock = self.sockets(send)
            multicast = self._multicast_near(send.scope)
            if sock & multicast or self._on_non_udp_socket(send) or self._non_ip(send) or \
                    self._connected(send, sock):
                continue
            related_binds = [b for b in binds if self.components.related(b.scope, send.scope)]
            bind = self._bind_for(send, sock, related_binds, multicast)
            if bind is None and not self._bound_elsewhere_responder(send, multicast):
                continue
            half_fix = self._pktinfo_enabled_for(send, bind)
            findings.append(self._finding("UDP002" if half_fix else "UDP001", send, bind))
        return findings + self._connects_to_peers(binds)

    def _connects_to_peers(self, binds: List[Placed]) -> List[Finding]:
        """`recvfrom(fd, ..., &peer)` then `connect(fd, &peer)` on the wildcard-bound socket (a UDP
        "accept"): the kernel fixes the connected socket's source by route at connect time, so every
        later write() answers from that address, not the one the client sent to."""
        findings = []
        receives, _ = wrapper_sites(self.program, "receive", lambda placed: "peer")
        for connect in self.connects:
            if not self._connects_to_received_peer(connect, receives):
                continue
            sock = self.sockets(connect)
            multicast = self._multicast_near(connect.scope)
            if sock & multicast or self._on_non_udp_socket(connect) or self._reply_pktinfo_built(connect.scope):
                continue
            related_binds = [b for b in binds if self.components.related(b.scope, connect.scope)]
            bind = self._bind_for(connect, sock, related_binds, multicast)
            if bind is not None:
                findings.append(self._finding("UDP001", connect, bind))
        return findings

    def _connects_to_received_peer(self, connect: Placed, receives: List[Placed]) -> bool:
        """The connect() is to the address a receive of the same function just learned, on the same
        socket (`recvfrom(fd, ..., MSG_PEEK, &peer, &len); connect(fd, &peer, len)`): by the
        variable itself, not by a struct field that another function's peer shares a name with."""
        addr = self.keys(connect.get("addr"), connect.scope)
        sock = self.keys(connect.get("sock"), connect.scope)
        for receive in receives:
            if receive.scope != connect.scope or receive.fact.line > connect.fact.line:
                continue
            peer = self.keys(receive.get("peer"), receive.scope)
            if addr & peer and sock & self.keys(receive.get("sock"), receive.scope):
                return True
        return False

    def _pktinfo_enabled_for(self, send: Placed, bind: Optional[Placed]) -> bool:
        """Packet info is switched on where this reply's socket is made: in the reply's or the
        bind's file, or next to the reply by calls (not by another transport of the library)."""
        files = {send.fact.path} | ({bind.fact.path} if bind else set())
        near = self._call_neighbourhood(send.scope)
        return any(_words(o.get("opt")) & PKTINFO_OPTIONS for o in self.options
                   if self.components.related(o.scope, send.scope)
                   and (o.fact.path in files or o.scope in near))

    def _multicast_near(self, scope: Scope) -> Set[str]:
        part = self.components.root(scope)
        if part not in self._multicast_parts:
            self._multicast_parts[part] = self._socket_keys("multicast", near=scope)
        return self._multicast_parts[part]

    def _connected(self, send: Placed, sock: Set[str]) -> bool:
        """The reply's socket is connect()ed: shown by a connect() of the same file, or one whose
        socket reaches it through a variable or parameter of the reply's file (a struct field of
        the same name in another file may belong to another struct: a client's)."""
        return any(self._same_socket(place, send, sock) and self._named_alike(place, send, sock)
                   for connect in self.program.of_kind("connect") for place in self._connected_at(connect))

    def _named_alike(self, connect: Placed, send: Placed, sock: Set[str]) -> bool:
        """The connect() names the reply's socket as more than a struct field's name: a variable
        they share (the connect()'s own, not every name that flows into a field of that name), or
        the same path (`c->fd` both). A proxy's two sockets are often fields of one
        name in two members (`cnx->local.fd` connected to the backend, `cnx->remote.fd` answering
        the client), and only one of them is connected."""
        shared = self.keys(connect.get("sock"), connect.scope) & sock
        same_path = c_program.normalize(connect.get("sock")) == c_program.normalize(send.get("sock"))
        return same_path or any(not key.startswith("F:") for key in shared)

    def _connected_at(self, connect: Placed) -> List[Placed]:
        """Where a connect() says which socket it connects: itself; for a helper that connects the
        socket it is handed (`connect_socket(int fd, ...)`), each call of the helper, with the
        argument it hands over. A helper in a file the reply shares is not evidence that the
        reply's socket is connected: only a caller handing it that socket is."""
        # kept: sockets() caches by the identity of the Placed it is given
        known = self._connect_places.get(id(connect))
        if known is None:
            known = self._connect_places[id(connect)] = self._helper_calls(connect)
        return known

    def _helper_calls(self, connect: Placed) -> List[Placed]:
        function = self.program.function_at(connect.scope)
        sock = (connect.get("sock") or "").strip()
        if function is None or sock not in function.params:
            return [connect]
        index = function.params.index(sock)
        places = []
        for call in self.program.calls:
            if call.callee == function.name and len(call.args) > index and \
                    function in functions_named(self.program, call.callee, call.fact.path):
                attrs = dict(connect.fact.attrs, sock=call.args[index])
                fact = dataclasses.replace(call.fact, kind="connect", attrs=attrs)
                places.append(Placed(fact, call.scope))
        return places or [connect]

    def _same_socket(self, other: Placed, send: Placed, sock: Set[str]) -> bool:
        """`other` is on the reply's socket, by evidence from the reply's file: `other` is in that
        file, or their sockets meet in a variable or parameter of that file."""
        shared = self.sockets(other) & sock
        local = f"L:{send.fact.path}:"
        return bool(shared) and (other.fact.path == send.fact.path or any(k.startswith(local) for k in shared))

    def _bound_elsewhere_responder(self, send: Placed, multicast: Set[str]) -> bool:
        """A program that never calls bind() itself (its socket is bound by a library of another
        directory, or handed over by inetd) and only ever answers: every send of its part of the
        program goes to a peer it received from. Clients send to a server first, libraries to
        caller-supplied addresses, so neither is one; multicast members are left alone."""
        if multicast:
            return False
        part = self.components.root(send.scope)  # the answer is the same for every send of a part
        if part not in self._responder_parts:
            near = [s for s in self.sends if self.components.related(s.scope, send.scope)]
            self._responder_parts[part] = not any(self.components.related(b.scope, send.scope)
                                                  for b in self.binds()) \
                and all(self.is_reply(other) for other in near)
        return self._responder_parts[part]

    def _bind_for(self, send: Placed, sock: Set[str], wildcard_binds: List[Placed],
                  multicast: Set[str]) -> Optional[Placed]:
        """The wildcard bind of the reply's socket; when the socket is not known by name, a
        wildcard bind of the program that is not a multicast member's; None when the socket is
        known to be bound otherwise."""
        same = [b for b in self.binds() if self._same_socket(b, send, sock)]
        if same:
            wild = [b for b in same if b in wildcard_binds]
            return wild[0] if wild else None
        unicast = [b for b in wildcard_binds if not (self.sockets(b) & multicast)]
        # nearest first: a bind of the reply's own file before one of a client module beside it
        unicast.sort(key=lambda b: b.fact.path != send.fact.path)
        return unicast[0] if unicast else None

    def _reply_pktinfo_built(self, scope: Scope) -> bool:
        """A pktinfo control message for sending is built next to the reply: in its function, in
        what that function calls, or in what its callers call (a sendto() there is a fallback,
        e.g. for requests without packet info). Another transport of the same library that pins
        its source says nothing about this one."""
        near = self._call_neighbourhood(scope)
        for placed in self.pktinfo:
            if placed.scope not in near:
                continue
            target = placed.get("target")
            if target.endswith("cmsg_type") and _words(placed.get("value")) & REPLY_CMSG_TYPES:
                return True
            if re.search(r"\b(?:ipi_spec_dst|ipi6_addr)\b", target):
                return True
        return False

    def _call_neighbourhood(self, scope: Scope) -> Set[Scope]:
        if not hasattr(self, "_callees"):
            self._callees: Dict[Scope, Set[Scope]] = {}
            self._callers: Dict[Scope, Set[Scope]] = {}
            for call in self.program.calls:
                for function in functions_named(self.program, call.callee, call.fact.path):
                    self._callees.setdefault(call.scope, set()).add(function.scope)
                    self._callers.setdefault(function.scope, set()).add(call.scope)
        near: Set[Scope] = set()
        pending = [scope] + sorted(self._callers.get(scope, ()), key=str)
        while pending:
            current = pending.pop()
            if current not in near:
                near.add(current)
                pending += self._callees.get(current, ())
        return near

    def _finding(self, code: str, send: Placed, bind: Optional[Placed]) -> Finding:
        info = rule(code)
        call = send.get("call") or ("connect" if send.fact.kind == "connect" else "sendto")
        via = f" (through {send.get('via')}())" if send.get("via") else ""
        where = f"{bind.fact.path}:{bind.fact.line}" if bind else "outside this program (it never calls bind())"
        if send.fact.kind == "connect":
            what = (f"{call}(){via} of a UDP socket bound to a wildcard address ({where}) to the sender of a datagram "
                    f"fixes the source of every later reply by route, not to the address the client sent to")
        elif code == "UDP001":
            bound = f"bound to a wildcard address ({where})" if bind else f"bound {where}"
            what = f"reply with {call}(){via} to the sender of a UDP socket {bound} does not pin the source address"
        else:
            bound = f"bound to a wildcard address ({where})" if bind else f"bound {where}"
            what = (f"packet info is enabled but the reply with {call}(){via} to the sender of a UDP socket {bound} "
                    f"carries no pktinfo control message")
        related = (Related(bind.fact.path, Location(bind.fact.line, bind.fact.column), "socket bound to a wildcard "
                           "address here"),) if bind else ()
        for outer, inner in zip([send] + self.wrapped.get(id(send), []), self.wrapped.get(id(send), [])):
            what_call = inner.get("via") and f"{inner.get('via')}()" or f"{inner.get('call') or call}()"
            related += (Related(inner.fact.path, Location(inner.fact.line, inner.fact.column),
                                f"{outer.get('via')}() makes the {what_call} call here"),)
        return self._make(code, send.fact, f"{what}; {info.why}", related)

    def _make(self, code: str, fact: NativeFact, message: str, related: tuple = ()) -> Finding:
        return Finding(code=code, filename=fact.path, location=Location(fact.line, fact.column),
                       end_location=Location(fact.end_line, fact.end_column), message=message, related=related,
                       source_line=_line(self.program.sources.get(fact.path, ""), fact.line))

    # --- UDP003 -----------------------------------------------------------------------------
    def udp003(self) -> List[Finding]:
        findings = []
        sendmsgs = [s for s in self.program.of_kind("send") if s.get("msg")]
        builds_cmsg = any(p.get("target").endswith("cmsg_type") and _words(p.get("value")) & REPLY_CMSG_TYPES
                          for p in self.pktinfo)
        if sendmsgs and builds_cmsg:
            findings += self._wrong_fields(sendmsgs)
        if any(_words(o.get("opt")) & PKTINFO_OPTIONS for o in self.options):
            for send in sendmsgs:
                if self._echoes_received_control(send):
                    findings.append(self._make("UDP003", send.fact, (
                        f"the reply is sent with the msghdr recvmsg() filled in, so the whole received control buffer "
                        f"goes back into {send.get('call') or 'sendmsg'}(); {rule('UDP003').why}")))
        return findings

    def _wrong_fields(self, sendmsgs: List[Placed]) -> List[Finding]:
        findings = []
        spec_dst_set = any(re.search(r"\bipi_spec_dst\b", p.get("target")) for p in self.pktinfo)
        platform_guarded = any(_PLATFORM_IPI_ADDR.search(text) for text in self.program.sources.values())
        for placed in self.pktinfo:
            target, value = placed.get("target"), placed.get("value")
            problem = None
            if re.search(r"\bipi_spec_dst\b", target) and re.search(r"\bipi_addr\b", value):
                problem = "the reply's IP_PKTINFO source (ipi_spec_dst) is taken from the received ipi_addr"
            elif re.search(r"\bipi_addr\b", target) and not spec_dst_set and not platform_guarded \
                    and not _WILDCARD_VALUE.match(value):
                problem = "the reply's IP_PKTINFO control message sets ipi_addr but never ipi_spec_dst"
            elif re.search(r"\bipi6?_ifindex\b", target) and _IFINDEX_WORD.search(value):
                problem = "the reply's pktinfo control message copies the received interface index"
            if problem:
                related = self._nearest_send(placed, sendmsgs)
                findings.append(self._make("UDP003", placed.fact, f"{problem}; {rule('UDP003').why}", related))
        return findings

    def _nearest_send(self, placed: Placed, sendmsgs: List[Placed]) -> tuple:
        same = [s for s in sendmsgs if s.scope == placed.scope and s.fact.line >= placed.fact.line]
        if not same:
            return ()
        send = same[0].fact
        return (Related(send.path, Location(send.line, send.column), "the reply is sent here"),)

    def _echoes_received_control(self, send: Placed) -> bool:
        """sendmsg() of the very msghdr a recvmsg() of the same function filled in, with its
        control buffer neither replaced nor emptied after the receive."""
        if not send.get("msg") or not any(_words(o.get("opt")) & PKTINFO_OPTIONS for o in self.options):
            return False
        msg = self.program.msghdr_keys(send.get("msg"), send.scope)
        receives = [r for r in self.program.of_kind("receive") if r.scope == send.scope and r.get("msg")
                    and r.fact.line <= send.fact.line and self.program.msghdr_keys(r.get("msg"), r.scope) & msg]
        if not receives:
            return False
        received_at = max(r.fact.line for r in receives)
        for assignment in self.assignments:
            if assignment.scope != send.scope or not (received_at <= assignment.fact.line <= send.fact.line):
                continue
            if re.search(r"(?:\.|->)\s*msg_control(?:len)?\s*$", assignment.to) and \
                    self.program.msghdr_keys(re.sub(r"(?:\.|->)\s*msg_control(?:len)?\s*$", "", assignment.to),
                                             assignment.scope) & msg:
                return False
        return True


WRAPPER_DEPTH = 4  # wrappers of wrappers of ... sendto(): deeper chains are followed no further


def wrapper_sends(program: CProgram) -> Tuple[List[Placed], Dict[int, List[Placed]]]:
    """The program's sends as its replies are made: a send whose destination (or msghdr) is a
    parameter of its function (`Sendto(fd, buf, n, flags, to, tolen)`, `send_packet(sock, to,
    pkt)`) is the project's own wrapper, followed like any function: it sends at each call site,
    to that call's argument, on the call's socket argument when its socket is a parameter too.
    A finding then sits on the call that answers a peer, not once inside the wrapper for every
    caller. A function that learns the peer itself (`dg_echo(fd, cli, len)` receives into `cli`
    and answers it) is the handler, not a wrapper: its reply stays where it is.
    Returns the sends (wrapped ones replaced by their call sites, when there are any) and, for
    each call-site send (by id), the sends it goes through, innermost last."""
    receives, inside = wrapper_sites(program, "receive", lambda placed: "peer")
    every_level = receives + [r for site in receives for r in inside.get(id(site), [])]
    learned = {(r.scope, key) for r in every_level if r.get("peer") for key in program.keys(r.get("peer"), r.scope)}
    return wrapper_sites(program, "send", lambda placed: "dest" if placed.get("dest") else "msg",
                         stop=lambda function, target: (function.scope, function.scope.local(target)) in learned)


def wrapper_sites(program: CProgram, kind: str, role_of, stop=lambda function, target: False) \
        -> Tuple[List[Placed], Dict[int, List[Placed]]]:
    """The `kind` facts hoisted through the functions that wrap them (see `wrapper_sends`);
    `role_of(fact)` names the attribute that must be a parameter for the function to be a wrapper,
    `stop(function, parameter)` says when it is not one after all."""
    sites: List[Placed] = []
    wrapped: Dict[int, List[Placed]] = {}
    pending = [(placed, []) for placed in program.of_kind(kind)]
    while pending:
        placed, inside = pending.pop()
        callers = _call_sites(program, placed, role_of(placed), stop) if len(inside) < WRAPPER_DEPTH else []
        if not callers:
            sites.append(placed)
            if inside:
                wrapped[id(placed)] = inside
        pending += [(site, [placed] + inside) for site in callers]
    return sites, wrapped


def _call_sites(program: CProgram, placed: Placed, role: str, stop) -> List[Placed]:
    function = program.function_at(placed.scope)
    target = c_program.normalize(placed.get(role))
    if function is None or target is None or target not in function.params or stop(function, target):
        return []
    sock = c_program.normalize(placed.get("sock"))
    sites = []
    for call in program.calls:
        if call.callee != function.name or function not in functions_named(program, call.callee, call.fact.path):
            continue
        args = dict(zip(function.params, call.args))
        if target not in args:
            continue
        attrs = dict(placed.fact.attrs, via=function.name)
        attrs[role] = args[target]
        attrs["sock"] = args.get(sock, placed.get("sock")) if sock else placed.get("sock")
        sites.append(Placed(dataclasses.replace(call.fact, kind=placed.fact.kind, attrs=attrs), call.scope))
    return sites


class Components:
    """Parts of a program that call each other (directly, or by passing a function as a callback
    argument or storing it in a struct). A directory can hold several programs (each with its
    own main()): facts from two parts that both have a main() do not belong together."""

    def __init__(self, program: CProgram, assignments: Sequence[Assignment]) -> None:
        self.parent: dict = {}
        names = set(program.functions)
        for call in program.calls:
            for function in functions_named(program, call.callee, call.fact.path):
                self._union(call.scope, function.scope)
            for arg in call.args:
                self._link_named(program, call.scope, arg, names)
        for assignment in assignments:
            self._link_named(program, assignment.scope, assignment.source, names)
        for scope, name in program.references:
            self._link_named(program, scope, name, names)
        self.mains = {self._find(f.scope) for f in program.functions.get("main", [])}

    def _link_named(self, program: CProgram, scope: Scope, expr: str, names: Set[str]) -> None:
        """`register(fd, on_read)`, `h = on_read`, `{ .recv = on_read, ... }` tie on_read in."""
        values = [v for _, v in _DESIGNATED.findall(expr)] if expr.lstrip().startswith("{") else [expr]
        if expr.lstrip().startswith("{"):
            values += c_program.split_top_level(expr.strip()[1:-1])
        for value in values:
            name = value.strip().lstrip("&").strip()
            if name in names:
                for function in functions_named(program, name, scope.path):
                    self._union(scope, function.scope)

    def _find(self, scope: Scope) -> Scope:
        root = self.parent.setdefault(scope, scope)
        while root != self.parent[root]:
            root = self.parent[root]
        self.parent[scope] = root
        return root

    def _union(self, a: Scope, b: Scope) -> None:
        self.parent[self._find(a)] = self._find(b)

    def root(self, scope: Scope) -> Scope:
        """The part of the program `scope` is in (`related` depends on the parts alone)."""
        return self._find(scope)

    def related(self, a: Scope, b: Scope) -> bool:
        root_a, root_b = self._find(a), self._find(b)
        return root_a == root_b or not (root_a in self.mains and root_b in self.mains)


def _reverse(edges: Sequence[tuple]) -> dict:
    """target key -> the keys that flow into it (msg_name keys left out: they are no sockets)."""
    into: dict = {}
    for sources, targets in edges:
        for target in targets:
            if not target.startswith("N:"):
                into.setdefault(target, set()).update(s for s in sources if not s.startswith("N:"))
    return into


def _words(text: str) -> Set[str]:
    return set(c_program.words(text))


def _line(source: str, row: int) -> str:
    lines = source.splitlines()
    return lines[row - 1] if 0 < row <= len(lines) else ""

