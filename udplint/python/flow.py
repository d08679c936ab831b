"""A small, flow-insensitive data flow over a whole project.

Every name, attribute, container and function result is a *slot* holding a set of abstract values
(`values.py`). Assignments, calls, loops and framework callbacks are constraints between slots;
`Flow.solve()` runs them until nothing changes. The questions rules ask afterwards ("which socket
is this?", "did this address come from recvfrom?") are answered by `Flow.values(expr, ctx)`.

Why flow-insensitive: real servers move the socket and the peer address through attributes,
queues, threads, helper functions and modules. Following every path is cheap here because the
value domain is tiny, and precision comes from what the values are (a socket site, a peer of a
socket site), not from the order of statements.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import BuiltinAssignment, GlobalScope, ImportAssignment

from . import frameworks as fw
from .project import ClassInfo, FunctionInfo, ModuleInfo, Project
from .values import AddrInfo, Cls, Const, Func, Inst, Method, Mod, Peer, Received, Sock, SockAddr, SockPair, Sym, Tup

MAX_ROUNDS = 60
MAX_SLOT_VALUES = 64  # a slot with more values than this is a catch-all; stop growing it


@dataclass(frozen=True)
class Ctx:
    module: ModuleInfo
    func: Optional[FunctionInfo]

    @property
    def cls(self) -> Optional[ClassInfo]:
        return self.func.cls if self.func is not None and self.func.is_method else None


@dataclass(eq=False)
class SocketSite:
    """Where a socket or framework endpoint comes into being."""

    index: int
    kind: str  # "socket" | "socketserver" | "asyncio" | "twisted" | "gevent" | "anyio"
    node: cst.Call
    ctx: Ctx
    server_class: Optional[ClassInfo] = None  # user subclass of a framework server
    handlers: Set[int] = field(default_factory=set)  # socketserver handler / protocol classes
    arg_offset: int = 0  # 1 when created by `Base.__init__(self, ...)`


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    ctx: Ctx


class Flow:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.slots: Dict[tuple, Set] = defaultdict(set)
        self.tuples: List[Tuple[cst.BaseExpression, Ctx]] = []
        self._tuple_ids: Dict[int, int] = {}
        self.sockets: List[SocketSite] = []
        self._socket_ids: Dict[int, int] = {}
        self.calls: List[CallSite] = []
        self.constraints: List[tuple] = []
        self.changed = False
        self._memo: Dict[Tuple[int, int], frozenset] = {}
        self._ancestry: Dict[int, Tuple[List[ClassInfo], Set[str]]] = {}
        self.class_sockets: Dict[Tuple[str, int], Set[int]] = defaultdict(set)
        self._subclasses_of: Dict = {}
        self.rounds = 0
        self._names: Dict[int, Tuple[frozenset, tuple]] = {}

    # -- driving -----------------------------------------------------------------------------
    def solve(self) -> "Flow":
        for _ in range(MAX_ROUNDS):
            while self.project.pending:
                _Collector(self, self.project.pending.pop(0)).run()
            self.changed = False
            self._memo.clear()
            for constraint in self.constraints:
                constraint[0](*constraint[1:])
            for call in self.calls:
                self._run_call(call.node, call.ctx)
            fw.link_sites(self)
            self.rounds += 1
            if not self.changed and not self.project.pending:
                break
        self._memo.clear()
        return self

    def add(self, slot: tuple, values: Iterable) -> None:
        bucket = self.slots[slot]
        if len(bucket) >= MAX_SLOT_VALUES:
            return
        before = len(bucket)
        bucket.update(values)
        if len(bucket) != before:
            self.changed = True

    # -- sites -------------------------------------------------------------------------------
    def socket_site(self, kind: str, node: cst.Call, ctx: Ctx, server_class: Optional[ClassInfo] = None) -> int:
        key = id(node)
        if key not in self._socket_ids:
            self._socket_ids[key] = len(self.sockets)
            self.sockets.append(SocketSite(len(self.sockets), kind, node, ctx, server_class))
            self.changed = True
        return self._socket_ids[key]

    def add_class_socket(self, role: str, cls_index: int, site: int) -> None:
        bucket = self.class_sockets[(role, cls_index)]
        if site not in bucket:
            bucket.add(site)
            self.changed = True

    def tuple_site(self, node: cst.BaseExpression, ctx: Ctx) -> int:
        key = id(node)
        if key not in self._tuple_ids:
            self._tuple_ids[key] = len(self.tuples)
            self.tuples.append((node, ctx))
        return self._tuple_ids[key]

    def tuple_item(self, site: int, index: int) -> Set:
        node, ctx = self.tuples[site]
        elements = [e for e in node.elements if not isinstance(e, cst.StarredElement)]
        if index < 0:
            index += len(elements)
        if any(isinstance(e, cst.StarredElement) for e in node.elements) or not 0 <= index < len(elements):
            return self.values_of_all(node, ctx)
        return set(self.values(elements[index].value, ctx))

    def values_of_all(self, node: cst.BaseExpression, ctx: Ctx) -> Set:
        out: Set = set()
        for element in node.elements:
            out |= self.values(element.value, ctx)
        return out

    # -- evaluation --------------------------------------------------------------------------
    def values(self, node: Optional[cst.BaseExpression], ctx: Ctx) -> frozenset:
        if node is None:
            return frozenset()
        key = (id(node), id(ctx.func))
        cached = self._memo.get(key)
        if cached is None:
            self._memo[key] = frozenset()  # cycle guard (e.g. a default that names itself)
            cached = frozenset(self._evaluate(node, ctx))
            self._memo[key] = cached
        return cached

    def _evaluate(self, node: cst.BaseExpression, ctx: Ctx) -> Set:
        if isinstance(node, cst.Name):
            return self.name_values(node, ctx)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return {Const(value)} if value is not None else set()
        if isinstance(node, cst.Integer):
            return {Const(node.evaluated_value)}
        if isinstance(node, cst.Attribute):
            return self.attribute_values(node, ctx)
        if isinstance(node, cst.Call):
            return self.call_values(node, ctx)
        if isinstance(node, (cst.Tuple, cst.List)):
            return {Tup(self.tuple_site(node, ctx))}
        if isinstance(node, (cst.Set,)):
            return self.values_of_all(node, ctx)
        if isinstance(node, cst.Dict):
            out: Set = set()
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    out |= self.values(element.key, ctx) | self.values(element.value, ctx)
            return out
        if isinstance(node, cst.Subscript):
            return self.subscript_values(node, ctx)
        if isinstance(node, (cst.Await, cst.Yield)):
            inner = node.expression if isinstance(node, cst.Await) else node.value
            return set(self.values(inner, ctx)) if isinstance(inner, cst.BaseExpression) else set()
        if isinstance(node, cst.BooleanOperation):
            return set(self.values(node.left, ctx) | self.values(node.right, ctx))
        if isinstance(node, cst.IfExp):
            return set(self.values(node.body, ctx) | self.values(node.orelse, ctx))
        if isinstance(node, cst.NamedExpr):
            return set(self.values(node.value, ctx))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return set(self.values(node.left, ctx) | self.values(node.right, ctx))
        if isinstance(node, cst.Lambda):
            return {Func(self._function_of(node).index)}
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return set(self.values(node.elt, ctx))
        return set()

    def _function_of(self, node: cst.CSTNode) -> FunctionInfo:
        return self.project.function_by_node[id(node)]

    # names ---------------------------------------------------------------------------------
    def name_values(self, node: cst.Name, ctx: Ctx) -> Set:
        name = node.value
        if name in ("True", "False", "None"):
            return {Const({"True": True, "False": False, "None": None}[name])}
        resolved = self._names.get(id(node))
        if resolved is None:
            resolved = self._names[id(node)] = self._resolve_name(node, ctx.module)
        static, slots = resolved
        out = set(static)
        for slot in slots:
            out.update(self.slots.get(slot, ()))
        if ctx.cls is not None and ctx.func is not None and ctx.func.params and ctx.func.params[0][0] == name:
            out.add(Inst(ctx.cls.index))
        return out

    def _resolve_name(self, node: cst.Name, module: ModuleInfo) -> Tuple[frozenset, tuple]:
        """What a name refers to: fixed values (imports, defs, builtins) and the slots it reads."""
        scope = module.scopes.get(node)
        if scope is None:
            return frozenset(), ()
        assignments = scope[node.value]
        if not assignments:
            return frozenset(self.unbound_name(node.value, module)), ()
        slots = tuple(sorted({
            scope_slot(a.scope, node.value, module) for a in assignments
            if not isinstance(a, (ImportAssignment, BuiltinAssignment))
        }))
        static = self.assignment_values(assignments, node.value, module, with_slots=False)
        return frozenset(static), slots

    def assignment_values(self, assignments, name: str, module: ModuleInfo, with_slots: bool = True) -> Set:
        out: Set = set()
        for assignment in assignments:
            if isinstance(assignment, ImportAssignment):
                out |= self.import_values(assignment.node, name, module)
                continue
            if isinstance(assignment, BuiltinAssignment):
                out |= self.unbound_name(name, module)
                continue
            defined = getattr(assignment, "node", None)
            if isinstance(defined, cst.FunctionDef):
                out.add(Func(self.project.function_by_node[id(defined)].index))
            elif isinstance(defined, cst.ClassDef):
                out |= {Cls(c.index) for c in module.classes if c.node is defined}
            if with_slots:
                out |= self.slots.get(scope_slot(assignment.scope, name, module), set())
        return out

    def unbound_name(self, name: str, module: ModuleInfo) -> Set:
        out: Set = set()
        for star in module.star_imports:
            target = self.project.find_module(star, module)
            if target is not None:
                out |= self.global_values(target, name)
            elif star.split(".")[0] in fw.STAR_SOURCES:
                out.add(Sym(f"{star}.{name}"))
        return out or {Sym(f"builtins.{name}")}

    def global_values(self, module: ModuleInfo, name: str) -> Set:
        scope = module.scopes.get(module.tree)
        if scope is None:
            return set()
        assignments = scope[name]
        if not assignments:
            sub = self.project.find_module(f"{module.name}.{name}", module) if module.is_package else None
            return {Mod(sub.index)} if sub is not None else set()
        return self.assignment_values(assignments, name, module)

    def import_values(self, node: cst.CSTNode, bound: str, module: ModuleInfo) -> Set:
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = code(alias.name)
                if alias.asname is not None and code(alias.asname.name) == bound:
                    return self.qualified_values(dotted, module)
                if alias.asname is None and dotted.split(".")[0] == bound:
                    return self.qualified_values(bound, module)
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            base = self.project.absolute(module, code(node.module) if node.module else "", len(node.relative))
            for alias in node.names:
                local = code(alias.asname.name) if alias.asname is not None else code(alias.name)
                if local == bound:
                    return self.qualified_values(f"{base}.{code(alias.name)}" if base else code(alias.name), module)
        return set()

    def qualified_values(self, dotted: str, importer: ModuleInfo) -> Set:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            target = self.project.find_module(".".join(parts[:cut]), importer)
            if target is None:
                continue
            rest = parts[cut:]
            if not rest:
                return {Mod(target.index)}
            values = self.global_values(target, rest[0])
            return values
        return {Sym(dotted)}

    # attributes ----------------------------------------------------------------------------
    def attribute_values(self, node: cst.Attribute, ctx: Ctx) -> Set:
        attr = node.attr.value
        receivers = self.values(node.value, ctx)
        out: Set = set(self.slots.get(("f", attr), ()))
        for value in receivers:
            if isinstance(value, Sym):
                out.add(Sym(f"{value.qualname}.{attr}"))
            elif isinstance(value, Mod):
                out |= self.global_values(self.project.modules[value.site], attr)
            elif isinstance(value, (Inst, Cls)):
                out |= self.class_attribute(value, attr)
            elif isinstance(value, Sock) and attr in fw.SOCKET_WRAPPER_ATTRS:
                out.add(value)
        if attr in fw.PASS_THROUGH_ATTRS:
            out |= receivers
        return out

    def class_attribute(self, value, attr: str) -> Set:
        out: Set = set()
        for cls in self.hierarchy(value.site):
            out |= self.slots.get(("a", cls.index, attr), set())
            method = cls.methods.get(attr)
            if method is not None:
                out.add(Method(method.index) if isinstance(value, Inst) else Func(method.index))
        if isinstance(value, Inst):
            out |= fw.framework_attribute(self, value.site, attr)
        return out

    def subscript_values(self, node: cst.Subscript, ctx: Ctx) -> Set:
        container = self.values(node.value, ctx)
        index = None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index_node = node.slice[0].slice.value
            if isinstance(index_node, cst.Integer):
                index = index_node.evaluated_value
            elif isinstance(index_node, cst.UnaryOperation) and isinstance(index_node.expression, cst.Integer):
                index = -index_node.expression.evaluated_value
        out: Set = set()
        for value in container:
            out |= self.item(value, index)
        return out

    def item(self, value, index: Optional[int]) -> Set:
        """What `value[index]` (or an unpacked position) holds; index None = any position."""
        if isinstance(value, Tup):
            node, ctx = self.tuples[value.site]
            if index is None:
                return self.values_of_all(node, ctx)
            return self.tuple_item(value.site, index)
        if isinstance(value, Received):
            if index is None or index == value.peer_index or (index == -1 and value.peer_index == 3):
                return {Peer(value.site)}
            return set()
        if isinstance(value, SockPair):
            return {Sock(value.site)} if index in (None, value.index) else set()
        if isinstance(value, Peer):
            return {value}  # addr[0] is still the peer's host
        if isinstance(value, (AddrInfo, SockAddr)):
            return fw.addrinfo_item(self, value, index)
        return {value}

    # calls ----------------------------------------------------------------------------------
    def call_values(self, node: cst.Call, ctx: Ctx) -> Set:
        out: Set = set()
        func = node.func
        if isinstance(func, cst.Attribute):
            receivers = self.values(func.value, ctx)
            out |= fw.method_result(self, node, func.attr.value, receivers, ctx)
        for callee in self.values(func, ctx):
            if isinstance(callee, (Func, Method)):
                out |= self.slots.get(("r", callee.site), set())
            elif isinstance(callee, Cls):
                out |= fw.instantiate(self, node, callee.site, ctx)
            elif isinstance(callee, Sym):
                out |= fw.external_call(self, node, callee.qualname, ctx)
        return out

    def callees(self, node: cst.Call, ctx: Ctx) -> List[Tuple[FunctionInfo, bool]]:
        """Project functions a call may run, and whether the first parameter is bound (`self`)."""
        found: List[Tuple[FunctionInfo, bool]] = []
        func = node.func
        if isinstance(func, cst.Attribute) and is_super_call(func.value) and ctx.cls is not None:
            for cls in self.ancestry(ctx.cls.index)[0][1:]:
                if func.attr.value in cls.methods:
                    return [(cls.methods[func.attr.value], True)]
            return []
        for callee in self.values(func, ctx):
            if isinstance(callee, Func):
                info = self.project.functions[callee.site]
                found.append((info, False))
            elif isinstance(callee, Method):
                found.append((self.project.functions[callee.site], True))
            elif isinstance(callee, Cls):
                for cls in self.ancestry(callee.site)[0]:
                    if "__init__" in cls.methods:
                        found.append((cls.methods["__init__"], True))
                        break
        if not found and isinstance(func, cst.Attribute):
            candidates = self.project.methods_by_name.get(func.attr.value, [])
            receivers = self.values(func.value, ctx)
            if len(candidates) == 1 and not func.attr.value.startswith("__") and not any(
                isinstance(v, (Sym, Sock, Mod)) for v in receivers
            ):
                found.append((candidates[0], True))
        return found

    def bind_arguments(self, info: FunctionInfo, skip_self: bool, args: List[Set], kwargs: Dict[str, Set]) -> None:
        params = info.params[1:] if skip_self and info.params else info.params
        for (name, _default), values in zip(params, args):
            self.add(param_slot(info, name), values)
        names = {name for name, _ in info.params}
        for name, values in kwargs.items():
            if name in names:
                self.add(param_slot(info, name), values)

    def _run_call(self, node: cst.Call, ctx: Ctx) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else None
        if name is None or name in fw.SITE_METHODS:
            self.values(node, ctx)  # creates the socket/endpoint sites a call makes, even unassigned
        callees = self.callees(node, ctx)
        classes = [c for c in self.values(func, ctx) if isinstance(c, Cls)] if not callees else []
        if not (callees or classes or fw.has_effects(node, name)):
            return  # most calls (logging, asserts, string methods) move nothing we track
        args, kwargs = self.arguments(node, ctx)
        for info, skip_self in callees:
            self.bind_arguments(info, skip_self, args, kwargs)
        for callee in classes:
            self.bind_fields(callee.site, args, kwargs)
        fw.call_effects(self, node, ctx, args, kwargs)

    def bind_fields(self, index: int, args: List[Set], kwargs: Dict[str, Set]) -> None:
        """A dataclass / NamedTuple constructor: arguments go to the annotated fields in order."""
        fields = [
            stmt.body[0].target.value
            for stmt in self.project.classes[index].node.body.body
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.AnnAssign)
            and isinstance(stmt.body[0].target, cst.Name)
        ]
        for name, values in zip(fields, args):
            self.add(("a", index, name), values)
        for name, values in kwargs.items():
            if name in fields:
                self.add(("a", index, name), values)

    def arguments(self, node: cst.Call, ctx: Ctx) -> Tuple[List[Set], Dict[str, Set]]:
        args: List[Set] = []
        kwargs: Dict[str, Set] = {}
        for arg in node.args:
            if arg.star:
                continue
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = set(self.values(arg.value, ctx))
            else:
                args.append(set(self.values(arg.value, ctx)))
        return args, kwargs

    # classes ---------------------------------------------------------------------------------
    def ancestry(self, index: int) -> Tuple[List[ClassInfo], Set[str]]:
        """The project classes in MRO-ish order (the class first) and external bases' qualnames."""
        cached = self._ancestry.get(index)
        if cached is not None:
            return cached
        self._ancestry[index] = ([self.project.classes[index]], set())  # cycle guard
        cls = self.project.classes[index]
        chain, external = [cls], set()
        ctx = Ctx(cls.module, None)
        for base in cls.node.bases:
            for value in self.values(base.value, ctx):
                if isinstance(value, Cls) and value.site != index:
                    more, ext = self.ancestry(value.site)
                    chain += [c for c in more if c not in chain]
                    external |= ext
                elif isinstance(value, Sym):
                    external.add(value.qualname)
        self._ancestry[index] = (chain, external)
        return chain, external

    def hierarchy(self, index: int) -> List[ClassInfo]:
        """The class, its project ancestors and its project subclasses: where `self.x` may live."""
        if len(self._subclasses_of) != len(self.project.classes) + 1:
            self._subclasses_of = {None: None}
            for cls in self.project.classes:
                for ancestor in self.ancestry(cls.index)[0][1:]:
                    self._subclasses_of.setdefault(ancestor.index, []).append(cls)
            self._subclasses_of.update({c.index: self._subclasses_of.get(c.index, []) for c in self.project.classes})
        chain = list(self.ancestry(index)[0])
        chain += [c for c in self._subclasses_of.get(index, []) if c not in chain]
        return chain

    def derives_from(self, index: int, qualnames: Iterable[str]) -> bool:
        external = self.ancestry(index)[1]
        return any(q in external for q in qualnames)

    # slots for stores --------------------------------------------------------------------------
    def target_slots(self, node: cst.BaseExpression, ctx: Ctx) -> List[tuple]:
        if isinstance(node, cst.Name):
            scope = ctx.module.scopes.get(node)
            if scope is None:
                return []
            assignments = scope[node.value]
            for assignment in assignments:
                if getattr(assignment, "node", None) is node:
                    return [scope_slot(assignment.scope, node.value, ctx.module)]
            # a mutation (`jobs.put(...)`) of a name defined in an enclosing scope
            slots = {scope_slot(a.scope, node.value, ctx.module) for a in assignments
                     if not isinstance(a, (BuiltinAssignment, ImportAssignment))}
            return sorted(slots) or [scope_slot(scope, node.value, ctx.module)]
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if is_self(node.value, ctx):
                return [("a", ctx.cls.index, attr)]
            slots = [("f", attr)]
            for value in self.values(node.value, ctx):
                if isinstance(value, (Inst, Cls)):
                    slots.append(("a", value.site, attr))
            return slots
        if isinstance(node, cst.Subscript):
            return self.target_slots(node.value, ctx)
        if isinstance(node, cst.StarredElement):
            return self.target_slots(node.value, ctx)
        return []

    def store(self, target: cst.BaseExpression, values: Iterable, ctx: Ctx) -> None:
        """Assign `values` to a target, unpacking tuples position by position."""
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            values = list(values)
            for position, element in enumerate(elements):
                inner: Set = set()
                for value in values:
                    inner |= self.item(value, None if starred else position)
                self.store(element.value, inner, ctx)
            return
        for slot in self.target_slots(target, ctx):
            self.add(slot, values)
        if isinstance(target, cst.Subscript):
            for element in target.slice:
                if isinstance(element.slice, cst.Index):
                    for slot in self.target_slots(target.value, ctx):
                        self.add(slot, self.values(element.slice.value, ctx))


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def scope_slot(scope, name: str, module: ModuleInfo) -> tuple:
    if isinstance(scope, GlobalScope):
        return ("g", module.index, name)
    return ("v", id(scope), name)


def param_slot(info: FunctionInfo, name: str) -> tuple:
    return ("v", id(info.scope), name)


def is_self(node: cst.BaseExpression, ctx: Ctx) -> bool:
    return (
        isinstance(node, cst.Name)
        and ctx.cls is not None
        and bool(ctx.func.params)
        and ctx.func.params[0][0] == node.value
    )


def is_super_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "super"


class _Collector(cst.CSTVisitor):
    """Turns one module's statements into constraints and call sites."""

    def __init__(self, flow: Flow, module: ModuleInfo) -> None:
        self.flow = flow
        self.module = module
        self.functions = {id(f.node): f for f in module.functions}
        self.stack: List[Ctx] = [Ctx(module, None)]
        self.class_stack: List[Optional[ClassInfo]] = [None]
        self.classes = {id(c.node): c for c in module.classes}

    def run(self) -> None:
        self.module.tree.visit(self)

    @property
    def ctx(self) -> Ctx:
        return self.stack[-1]

    def constrain(self, *constraint) -> None:
        self.flow.constraints.append(constraint)

    # scopes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.append(self.classes.get(id(node)))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        info = self.functions[id(node)]
        for name, default in info.params:
            if default is not None:
                self.constrain(self._store_param, info, name, default, self.ctx)
        self.stack.append(Ctx(self.module, info))
        self.class_stack.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()
        self.class_stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        info = self.functions[id(node)]
        self.stack.append(Ctx(self.module, info))
        self.constrain(self._store_slot, ("r", info.index), node.body, self.ctx)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    def _store_param(self, info: FunctionInfo, name: str, default, ctx: Ctx) -> None:
        self.flow.add(param_slot(info, name), self.flow.values(default, ctx))

    def _store_slot(self, slot: tuple, value, ctx: Ctx) -> None:
        self.flow.add(slot, self.flow.values(value, ctx))

    def _store(self, target, value, ctx: Ctx) -> None:
        self.flow.store(target, self.flow.values(value, ctx), ctx)

    def _store_class_attr(self, cls: ClassInfo, name: str, value, ctx: Ctx) -> None:
        self.flow.add(("a", cls.index, name), self.flow.values(value, ctx))

    def _store_iteration(self, target, iterable, ctx: Ctx, is_async: bool) -> None:
        items: Set = set()
        for value in self.flow.values(iterable, ctx):
            items |= fw.iteration_items(self.flow, value)
        self.flow.store(target, items, ctx)

    # statements
    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        cls = self.class_stack[-1]
        if cls is not None and isinstance(target, cst.Name):
            self.constrain(self._store_class_attr, cls, target.value, value, self.ctx)
        self.constrain(self._store, target, value, self.ctx)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.constrain(self._store, node.target, node.value, self.ctx)

    def visit_For(self, node: cst.For) -> None:
        self.constrain(self._store_iteration, node.target, node.iter, self.ctx, node.asynchronous is not None)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.constrain(self._store_iteration, node.target, node.iter, self.ctx, node.asynchronous is not None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.constrain(self._store, node.asname.name, node.item, self.ctx)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.ctx.func is not None:
            self.constrain(self._store_slot, ("r", self.ctx.func.index), node.value, self.ctx)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.BaseExpression) and self.ctx.func is not None:
            self.constrain(self._store_slot, ("r", self.ctx.func.index), node.value, self.ctx)

    def visit_Call(self, node: cst.Call) -> None:
        self.flow.calls.append(CallSite(node, self.ctx))
