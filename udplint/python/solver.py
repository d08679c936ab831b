"""A small, flow-insensitive data flow over the summaries of a whole program.

Every name, attribute, container and function result is a *slot* holding a set of abstract values
(`values.py`). The statements of every summary are *rules* between slots; the solver runs them
from a worklist: a rule runs again only when a slot it read has grown. The questions the fact
layer asks afterwards ("which socket is this?", "did this address come from recvfrom?") are
answered by `Solver.values(expr, ctx)`.

Why flow-insensitive: real servers move the socket and the peer address through attributes,
queues, threads, helper functions and modules. Following every path is cheap because the value
domain is tiny, and precision comes from what the values are (a socket site, a peer of a socket
site), not from the order of statements.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from . import models, prefilter
from . import summary as s
from .overridden import DeadDefaults
from .program import ClassInfo, FunctionInfo, ModuleInfo, Program
from .shipped import setting_key
from .values import RANDOM_NUMBERS, AddrInfo, Cls, Const, Dct, DictItem, DictView, Func, Inst, Method, Mod, Peer, Received, Rest, Shipped, Sock, SockAddr, SockPair, Strs, Sym, Tup, Wild, WILDCARD_HOSTS, WILDCARD_SYMBOLS, mark_wildcards

MAX_SLOT_VALUES = 64  # a slot with more values than this is a catch-all; stop growing it
MAX_STEPS = 2_000_000  # rule runs; termination is guaranteed by finite slots, this bounds the cost
_ANCESTRY = -2  # pseudo-rule that reads the slots class hierarchies were computed from


class Ctx(NamedTuple):
    module: int
    func: int  # global function index, -1 at module level


@dataclass(eq=False)
class SocketSite:
    """Where a socket or framework endpoint comes into being."""

    index: int
    kind: str  # a model's kind: "socket" | "socketserver" | "asyncio" | "twisted" | "gevent" | "anyio"
    call: s.Call
    ctx: Ctx
    server_class: Optional[ClassInfo] = None  # user subclass of a framework server
    handlers: Set[int] = field(default_factory=set)  # socketserver handler / protocol classes
    arg_offset: int = 0  # 1 when created by `Base.__init__(self, ...)`
    synthetic: Dict = field(default_factory=dict)  # argument expressions made up for `*args` (models.base)
    answers_itself: bool = False  # the framework's own protocol replies to each sender (models.twisted)
    origin: int = -1  # a caller's own copy of the plain socket a helper makes: the helper's site
    caller: Optional[Tuple[int, int]] = None  # and the call (module, call ordinal) it was made by


@dataclass
class Budget:
    """A bound that was hit, for the run's diagnostics."""

    what: str
    limit: int


class Solver:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.slots: Dict[tuple, Set] = defaultdict(set)
        self.tuples: List[Tuple[object, Ctx]] = []
        self._tuple_ids: Dict[tuple, int] = {}
        self._spreads: Set[Tuple[int, int]] = set()  # (dict site, spread source) pairs with a rule
        self.dict_stores = 0  # stores into dict entries: the work dict-heavy code costs
        self.sockets: List[SocketSite] = []
        self._socket_ids: Dict[tuple, int] = {}
        self.calls: List[Tuple[s.Call, Ctx]] = []
        self.budgets: List[Budget] = []
        self.steps = 0
        self._rules: List[Tuple[Callable, tuple]] = []
        self._queue: Deque[int] = deque()
        self._queued: Set[int] = set()
        self._readers: Dict[tuple, Set[int]] = defaultdict(set)
        self._current = -1
        self._memo: Dict[Tuple[int, Ctx], frozenset] = {}  # (id of an expression, where): its values
        self._names: Dict[Tuple[int, int, str], Tuple[frozenset, tuple]] = {}
        self._globals: Dict[Tuple[int, str], Tuple[frozenset, tuple]] = {}
        self._ancestry: Dict[int, Tuple[List[ClassInfo], Set[str]]] = {}
        # rules that read the ancestry or hierarchy of a class, by class: when hierarchies are
        # recomputed only the readers of a class whose hierarchy changed run again (re-running every
        # reader on every module load was most of the solve on a large framework)
        self._hierarchy_users: Dict[int, Set[int]] = defaultdict(set)
        self._stale_ancestry: Dict[int, tuple] = {}  # what readers saw before the last invalidation
        self._stale_members: Dict[int, tuple] = {}
        self._recheck_rule = -1
        self._building_subclasses = False
        self._subclasses_of: Optional[Dict[int, List[ClassInfo]]] = None
        self._unfiled: List[int] = []  # classes loaded since the subclass table was built
        self._members: Dict[int, Tuple[List[ClassInfo], FrozenSet[int]]] = {}  # hierarchy(), remembered
        # which classes hold a value in a per-class slot, by (slot kind, key): reading an
        # attribute of an instance reads only the classes of its hierarchy that hold it (a base
        # class with two thousand subclasses made every attribute read visit all of them)
        self._holders: Dict[Tuple[str, str], Set[int]] = defaultdict(set)
        self._methods_by_name: Optional[Dict[str, Set[int]]] = None
        self._full_slots: Set[tuple] = set()
        # rules of modules loaded only because an import reached them, by (module, function):
        # they run once something asks for that module's globals or calls that function
        self._dormant: Dict[Tuple[int, int], List[int]] = {}
        self._group: Optional[Tuple[int, int]] = None
        # `x.name(...)` calls whose method name nothing in the program defines, stores or models
        # (`self.assertEqual(...)`): they can move no value, until a module defining the name loads
        self._callable_attrs: Set[str] = set(models.MODELLED_METHODS)
        self._parked: Dict[str, List[Tuple[s.Call, Ctx, Optional[Tuple[int, int]]]]] = defaultdict(list)
        # functions that return a parameter as it came (`def to_str(s): ... return s`), by global
        # index: a call's result is what that call passes, not what every caller passes
        self._passthrough: Dict[int, Set[str]] = {}
        # tuples a helper returns, as seen by one call of it: (module, call ordinal, helper)
        self._tuple_callers: Dict[int, Tuple[int, int, int]] = {}
        self._socket_makers: Set[int] = set()  # functions that make a plain socket (global index)
        # parameters that a call leaves without any value the solver knows (`start(host,
        # literal_eval(text))`), by parameter slot: the rules of those calls. A port known only
        # from other calls (a test's `start('127.0.0.1', 0)`) is then not every call's port
        self._unknown_arguments: Dict[tuple, Set[int]] = {}
        self._dead_defaults = DeadDefaults(program)
        program.listeners.append(self._module_added)
        for module in program.modules:
            self._module_added(module)

    # -- driving -------------------------------------------------------------------------------
    def solve(self) -> "Solver":
        while self._queue:
            if self.steps >= MAX_STEPS:
                if not any(b.what == "data-flow steps" for b in self.budgets):
                    self.budgets.append(Budget("data-flow steps", MAX_STEPS))
                self._queue.clear()  # nothing more runs: `pending()` must not ask for another round
                self._queued.clear()
                break
            rule = self._queue.popleft()
            self._queued.discard(rule)
            self._run(rule)
        self._memo.clear()
        self._current = -1
        if self._full_slots:  # one entry, however often the solver is run again
            self.budgets = [b for b in self.budgets if not b.what.startswith("values per slot")]
            self.budgets.append(Budget(f"values per slot ({len(self._full_slots)} slots)", MAX_SLOT_VALUES))
        return self

    def pending(self) -> bool:
        """Rules woken since the last solve (by evaluations made outside it)."""
        return bool(self._queue)

    def _run(self, rule: int) -> None:
        self.steps += 1
        self._current = rule
        self._memo.clear()
        function, args = self._rules[rule]
        function(*args)
        self._current = -1

    def _rule(self, function: Callable, *args) -> None:
        index = len(self._rules)
        self._rules.append((function, args))
        if self._group is not None:
            self._dormant.setdefault(self._group, []).append(index)
        else:
            self._enqueue(index)

    def activate(self, module: int, func: int = -1) -> None:
        """Run the rules of a dormant group: module-level code (`func` -1) or one function."""
        rules = self._dormant.pop((module, func), None)
        if rules:
            for rule in rules:
                self._enqueue(rule)

    def is_dormant(self, ctx: Ctx) -> bool:
        return bool(self._dormant) and (ctx.module, ctx.func) in self._dormant

    def activate_function(self, info: FunctionInfo) -> None:
        if self._dormant:
            self.activate(info.module.index, info.index)

    def _enqueue(self, rule: int) -> None:
        if rule not in self._queued:
            self._queued.add(rule)
            self._queue.append(rule)

    def _group_of(self, module: ModuleInfo, func: int, eager: FrozenSet[int]) -> Optional[Tuple[int, int]]:
        """The dormant group the code of `func` (global index, -1: module level) waits in, None
        when it runs from the start: all code of a checked module, an imported module's only
        when reached. A driver is checked for the wildcard it hands over: its module-level code
        and the functions holding a wildcard run from the start, and the rest when called (a
        test method passing `''` to a helper holds one; the thousands that do not are most of a
        large library's code, and only pass on what their callers give them)."""
        if module.checked and (not module.driver or func == -1 or func in eager):
            return None
        return (module.index, func)

    def _eager_functions(self, module: ModuleInfo) -> FrozenSet[int]:
        """A driver's functions (global indexes) that run from the start: those holding a wildcard."""
        if not module.driver:
            return frozenset()
        held = wildcard_functions(module, self._wildcard_imports(module))
        return frozenset(module.function(local) for local in held)

    def _wildcard_imports(self, module: ModuleInfo) -> Set[str]:
        """The names of wildcard settings of the modules a module imports (`HOST` of `import
        config` or of `from settings import HOST`)."""
        wanted = self.program.wildcard_settings
        if not wanted:
            return set()
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        names: Set[str] = set()
        for name, bindings in module.summary.scopes[0].bindings.items():
            for binding in bindings:
                if binding.kind not in ("import", "from"):
                    continue
                # named as the prefilter named the modules it found the settings in
                bases = prefilter.absolute_names(binding.dotted, binding.level, package)
                targets = bases + [f"{base}.{binding.member}" for base in bases] if binding.kind == "from" else bases
                for target in targets:
                    names |= wanted.get(target, set())
        return names

    def _module_added(self, module: ModuleInfo) -> None:
        summary = module.summary
        eager = self._eager_functions(module)
        for constraint in summary.constraints:
            kind = type(constraint)
            ctx = Ctx(module.index, module.function(constraint.func))
            self._group = self._group_of(module, ctx.func, eager)
            if kind is s.Store:
                self._rule(self._store_rule, constraint.target, constraint.value, ctx)
            elif kind is s.ClassStore:
                self._rule(self._slot_rule, ("a", module.class_offset + constraint.cls, constraint.name),
                           constraint.value, ctx)
            elif kind is s.IterStore:
                self._rule(self._iteration_rule, constraint.target, constraint.iterable, ctx)
            elif kind is s.ParamDefault:
                if self._dead_defaults.unused(module, constraint):
                    continue  # every call passes it (overridden.py)
                owner = self.program.functions[module.function(constraint.owner)]
                self._rule(self._slot_rule, self.param_slot(owner, constraint.name), constraint.default, ctx)
            elif kind is s.ReturnValue:
                returned = self._returned_parameter(module, constraint)
                if returned is not None:
                    self._passthrough.setdefault(ctx.func, set()).add(returned)
                else:
                    self._rule(self._slot_rule, ("r", ctx.func), constraint.value, ctx)
        self._learn_callable_attrs(module)
        for local, function in enumerate(summary.functions):
            if function.decorators:
                info = self.program.functions[module.function(local)]
                ctx = Ctx(module.index, module.function(module.defined_in(local)))
                self._group = self._group_of(module, ctx.func, eager)
                for decorator in function.decorators:
                    self._rule(models.decorator_effects, self, info, decorator, ctx)
        for site in summary.calls:
            ctx = Ctx(module.index, module.function(site.func))
            group = self._group_of(module, ctx.func, eager)
            self.calls.append((site.call, ctx))
            func = site.call.func
            if type(func) is s.Attr and func.attr not in self._callable_attrs \
                    and not any(a.keyword == "target" for a in site.call.args):
                self._parked[func.attr].append((site.call, ctx, group))
                continue
            self._group = group
            self._rule(self._run_call, site.call, ctx)
        self._group = None
        self._classes_added(module)

    def _returned_parameter(self, module: ModuleInfo, constraint: s.ReturnValue) -> Optional[str]:
        """The parameter a `return name` gives back unchanged (never rebound in the body), or None."""
        value = constraint.value
        if type(value) is not s.Name or constraint.func < 0:
            return None
        function = module.summary.functions[constraint.func]
        if value.scope != function.scope or value.name not in (name for name, _ in function.params):
            return None
        bindings = module.summary.scopes[function.scope].bindings.get(value.name, ())
        return value.name if len(bindings) == 1 else None

    def returned(self, index: int) -> Set:
        """What function `index` may return, over every call of it."""
        out = set(self.read(("r", index)))
        info = self.program.functions[index]
        for name in self._passthrough.get(index, ()):
            out |= self.read(self.param_slot(info, name))
        return out

    def _call_result(self, node: s.Call, ctx: Ctx, callee) -> Set:
        """What this call of a project function returns: its return values, and for a parameter
        it returns unchanged, what this call passes there."""
        out = self._callers_own(set(self.read(("r", callee.site))), (ctx.module, node.site, callee.site))
        names = self._passthrough.get(callee.site)
        if not names:
            return out
        info = self.program.functions[callee.site]
        params = info.params[1:] if isinstance(callee, Method) and info.params else info.params
        args, kwargs = self.arguments(node, ctx)
        for name in names:
            if name in kwargs:
                out |= kwargs[name]
            elif name in params and params.index(name) < len(args):
                out |= args[params.index(name)]
            elif name == info.summary.star_arg or name not in params:
                continue
            else:
                out |= self.read(self.param_slot(info, name))  # its default
        return out

    def _callers_own(self, values: Set, call: Tuple[int, int, int]) -> Set:
        """A plain socket a helper makes and returns is its caller's own: each call of
        `make_socket()` gets a copy of it (what one caller binds is not what another binds; the
        copy inherits what the helper itself does to it, see facts). `call` is (module, call
        ordinal, helper); a tuple the helper returns gives its caller's copies by position."""
        if call[2] not in self._socket_makers:
            return values  # nearly every call: the callee makes no plain socket
        out = values
        for value in values:
            kind = type(value)
            if kind is Sock or (kind is Tup and self.tuples[value.site][1].func == call[2]):
                own = self._own_socket(value, call) if kind is Sock else self._own_tuple(value, call)
                if own != value:
                    out = (out - {value}) | {own}  # a new set: `values` may be a slot's own
        return out

    def _own_socket(self, value: Sock, call: Tuple[int, int, int]) -> Sock:
        made = self.sockets[value.site]
        if made.kind != "socket" or made.ctx.func != call[2] or made.origin >= 0:
            return value
        key = (call[0], call[1], value.site)
        if key not in self._socket_ids:
            copy = SocketSite(len(self.sockets), made.kind, made.call, made.ctx, origin=value.site,
                              caller=(call[0], call[1]))
            self._socket_ids[key] = copy.index
            self.sockets.append(copy)
        return Sock(self._socket_ids[key])

    def _own_tuple(self, value: Tup, call: Tuple[int, int, int]) -> Tup:
        node, made_in = self.tuples[value.site]
        key = (call[0], "Own", call[1], value.site)
        if key not in self._tuple_ids:
            self._tuple_ids[key] = len(self.tuples)
            self.tuples.append((node, made_in))
            self._tuple_callers[self._tuple_ids[key]] = call
        return Tup(self._tuple_ids[key])

    def _as_callers_own(self, site: int, values: Set) -> Set:
        call = self._tuple_callers.get(site) if self._tuple_callers else None
        return values if call is None else self._callers_own(values, call)

    def _learn_callable_attrs(self, module: ModuleInfo) -> None:
        """Method and attribute names a module defines or stores: calls of them may run project code."""
        names: Set[str] = set()
        for cls in module.summary.classes:
            names.update(cls.methods)
            names.add(cls.name)  # `relay.UDPRelay(config)`: a class reached through its module
        for binding_name, bindings in module.summary.scopes[0].bindings.items():
            if any(b.kind == "def" for b in bindings):
                names.add(binding_name)  # `shell.get_config(False)`: a function reached through its module
        for constraint in module.summary.constraints:
            kind = type(constraint)
            if kind is s.ClassStore:
                names.add(constraint.name)
            elif kind in (s.Store, s.IterStore) and type(constraint.target) is s.Attr:
                names.add(constraint.target.attr)
        for name in names - self._callable_attrs:
            self._callable_attrs.add(name)
            for call, ctx, group in self._parked.pop(name, ()):
                self._group = group
                self._rule(self._run_call, call, ctx)
        self._group = None

    # -- slots -----------------------------------------------------------------------------------
    def read(self, slot: tuple) -> Set:
        if self._current != -1:
            self._readers[slot].add(self._current)
        return self.slots.get(slot, _EMPTY)

    def add(self, slot: tuple, values: Iterable) -> None:
        if not values:
            return  # storing nothing keeps no empty set for the slot (a read of a missing slot gives _EMPTY)
        bucket = self.slots[slot]
        if len(bucket) >= MAX_SLOT_VALUES:
            self._full_slots.add(slot)
            # a catch-all still takes sockets and peers (as many as there are socket sites):
            # which of them arrive before the slot fills is an accident of the rule order
            # (most adds to a full slot bring what it already has: the set difference, in C, first)
            fresh = (values if isinstance(values, (set, frozenset)) else set(values)) - bucket
            values = [v for v in fresh if type(v) in _ALWAYS_KEPT]
            if not values:
                return
        before = len(bucket)
        bucket.update(values)
        if len(bucket) != before:
            if before == 0 and slot[0] in _PER_CLASS_SLOTS:
                self._note_holder(slot)
            readers = self._readers.get(slot)
            if readers:
                if _ANCESTRY in readers:
                    self._invalidate_ancestry()
                for reader in readers:
                    if reader >= 0:
                        self._enqueue(reader)

    def _note_holder(self, slot: tuple) -> None:
        kind, cls, key = _per_class_parts(slot)
        self._holders[(kind, key)].add(cls)
        readers = self._readers.get(("holders", kind, key))
        if readers:
            for reader in readers:
                if reader >= 0:
                    self._enqueue(reader)

    def hierarchy_values(self, kind: str, key: str, index: int) -> Set:
        """The union of a per-class slot (`"a"` attribute `key`, `"cs"` sockets of role `key`)
        over the hierarchy of class `index`."""
        return self.members_values(kind, key, self.hierarchy_members(index))

    def members_values(self, kind: str, key: str, members: FrozenSet[int]) -> Set:
        """The union of a per-class slot over the classes `members`."""
        if self._current != -1:
            self._readers[("holders", kind, key)].add(self._current)
        holders = self._holders.get((kind, key))
        out: Set = set()
        if holders:
            for cls in sorted(holders & members):
                out |= self.read((kind, cls, key) if kind == "a" else (kind, key, cls))
        return out

    def classes_with_method(self, name: str) -> Set[int]:
        if self._methods_by_name is None:
            table: Dict[str, Set[int]] = defaultdict(set)
            for cls in self.program.classes:
                for method in cls.methods:
                    table[method].add(cls.index)
            self._methods_by_name = table
        return self._methods_by_name.get(name, _EMPTY)

    def _classes_added(self, module: ModuleInfo) -> None:
        """A new module's classes extend hierarchies; they change no ancestry already known (a base
        naming a module not yet loaded loads it while the base is evaluated). They are filed into the
        subclass table at the next hierarchy read or recheck, forgetting only their ancestors'
        hierarchies: forgetting all of them on every on-demand load was most of a large solve."""
        start = module.class_offset
        new = self.program.classes[start:start + len(module.summary.classes)]
        if self._methods_by_name is not None:
            for cls in new:
                for method in cls.methods:
                    self._methods_by_name[method].add(cls.index)
        if self._subclasses_of is None or self._building_subclasses:
            return  # the table is built from every class when next asked for (a build in progress sees them too)
        if new:
            self._unfiled.extend(cls.index for cls in new)
            self._enqueue_recheck()

    def _file_new_classes(self) -> None:
        """Add classes loaded since the subclass table was built to their ancestors' entries."""
        while self._unfiled and self._subclasses_of is not None:
            index = self._unfiled.pop()
            reader, self._current = self._current, -1  # the reader depends on one hierarchy, not on this class's
            try:
                chain = self.ancestry(index)[0]
            finally:
                self._current = reader
            if self._subclasses_of is None:
                break  # evaluating its bases forgot every hierarchy: the rebuilt table holds it
            cls = self.program.classes[index]
            for ancestor in chain[1:]:
                self._subclasses_of.setdefault(ancestor.index, []).append(cls)
                known = self._members.pop(ancestor.index, None)
                if known is not None:
                    self._stale_members.setdefault(ancestor.index, _members_shape(known))
        if self._subclasses_of is None:
            self._unfiled.clear()

    def _invalidate_ancestry(self) -> None:
        """Forget every hierarchy; the recheck rule then wakes the readers of those that changed."""
        for index, entry in self._ancestry.items():
            self._stale_ancestry.setdefault(index, _ancestry_shape(entry))
        for index, entry in self._members.items():
            self._stale_members.setdefault(index, _members_shape(entry))
        for index, users in self._hierarchy_users.items():  # read but not remembered: assume changed
            if users:
                if index not in self._ancestry:
                    self._stale_ancestry.setdefault(index, None)
                if index not in self._members:
                    self._stale_members.setdefault(index, None)
        self._ancestry.clear()
        self._subclasses_of = None
        self._members.clear()
        self._unfiled.clear()
        self._enqueue_recheck()

    def _enqueue_recheck(self) -> None:
        if self._recheck_rule < 0:
            self._recheck_rule = len(self._rules)
            self._rules.append((self._recheck_hierarchies, ()))
        self._enqueue(self._recheck_rule)

    def _recheck_hierarchies(self) -> None:
        """Run again the readers of each class whose ancestry or hierarchy is not what they saw.
        Hierarchies only grow (bases gain values, modules add subclasses), so comparing with the
        oldest version a reader may have seen is enough. A class in neither stale table kept its
        entries, so what its readers saw still holds."""
        self._current = -1  # these recomputations are no rule's reads
        self._file_new_classes()
        stale_ancestry, stale_members = self._stale_ancestry, self._stale_members
        self._stale_ancestry, self._stale_members = {}, {}
        for index in set(stale_ancestry) | set(stale_members):
            users = self._hierarchy_users.get(index)
            if not users:
                continue
            changed = _differs(stale_ancestry, index, lambda: _ancestry_shape(self.ancestry(index)))
            changed = changed or _differs(stale_members, index, lambda: _members_shape(self._hierarchy(index)))
            if changed:
                for user in users:
                    if user >= 0:
                        self._enqueue(user)

    # -- sites -----------------------------------------------------------------------------------
    def socket_site(self, kind: str, call: s.Call, ctx: Ctx, server_class: Optional[ClassInfo] = None) -> int:
        key = (ctx.module, call.site)
        if key not in self._socket_ids:
            site = SocketSite(len(self.sockets), kind, call, ctx, server_class)
            self._socket_ids[key] = site.index
            self.sockets.append(site)
            if kind == "socket" and ctx.func >= 0 and ctx.func not in self._socket_makers:
                self._socket_makers.add(ctx.func)
                for reader in self._readers.get(("r", ctx.func), ()):  # its callers: copies now
                    if reader >= 0:
                        self._enqueue(reader)
            self._rule(models.link_site, self, site)
        return self._socket_ids[key]

    def add_class_socket(self, role: str, cls_index: int, site: int) -> None:
        self.add(("cs", role, cls_index), {site})

    def class_sockets(self, role: str, cls_index: int) -> Set[int]:
        return self.read(("cs", role, cls_index))

    def hierarchy_sockets(self, role: str, cls_index: int) -> Set[int]:
        """`class_sockets` over the hierarchy of the class."""
        return self.hierarchy_values("cs", role, cls_index)

    def tuple_site(self, node, ctx: Ctx) -> int:
        key = (ctx.module, type(node).__name__, node.site)
        if key not in self._tuple_ids:
            self._tuple_ids[key] = len(self.tuples)
            self.tuples.append((node, ctx))
        return self._tuple_ids[key]

    # dicts: keyed slots ("d", site, key); ANY_KEY holds stores under keys not known here,
    # ALL_KEYS every stored value, KEYS the known keys themselves
    ANY_KEY, ALL_KEYS, KEYS = "\0any", "\0all", "\0keys"

    def dict_site(self, node, ctx: Ctx) -> int:
        key = (ctx.module, "Dict", node.site)
        if key not in self._tuple_ids:
            self._tuple_ids[key] = len(self.tuples)
            self.tuples.append((node, ctx))
            self._rule(self._dict_display_rule, self._tuple_ids[key], node, ctx)
        return self._tuple_ids[key]

    def dict_call_site(self, call: s.Call, ctx: Ctx, positional_is_mapping: bool = True) -> int:
        """A mapping made by a call: its keyword arguments are its entries, `**other` and a
        positional mapping spread theirs (not `defaultdict(list)`'s factory)."""
        key = (ctx.module, "DictCall", call.site)
        if key not in self._tuple_ids:
            keys, values = [], []
            for arg in call.args:
                if arg.keyword is not None:
                    keys.append(s.Const(arg.keyword))
                    values.append(arg.value)
                elif arg.star == "**" or (not arg.star and positional_is_mapping):
                    keys.append(None)
                    values.append(arg.value)
            node = s.DictDisplay(tuple(keys), tuple(values), call.site)
            self._tuple_ids[key] = len(self.tuples)
            self.tuples.append((node, ctx))
            self._rule(self._dict_display_rule, self._tuple_ids[key], node, ctx)
        return self._tuple_ids[key]

    def _dict_display_rule(self, site: int, node, ctx: Ctx) -> None:
        for key, value in zip(node.keys, node.values):
            values = self.values(value, ctx)
            if key is None:  # `**other`: its entries, under their keys
                for inner in values:
                    if isinstance(inner, Dct):
                        self.spread_into(site, inner.site)
                continue
            self.store_key(site, self.values(key, ctx), values)

    def store_key(self, site: int, keys: Iterable, values: Iterable) -> None:
        self.dict_stores += 1
        keys = list(keys)
        if not isinstance(values, (set, frozenset)):
            values = set(values)
        texts = [k.value for k in keys if isinstance(k, Const) and isinstance(k.value, str)]
        for text in texts:
            self.add(("d", site, text), values)
        if len(texts) != len(keys) or not keys:
            self.add(("d", site, self.ANY_KEY), values)
        self.add(("d", site, self.ALL_KEYS), values)
        self.add(("d", site, self.KEYS), keys)

    def spread_into(self, site: int, source: int) -> None:
        """`{**source}`, `dict(source)`, `d.update(source)`: each entry of `source` is stored
        under its own key (a read of "host" must not see what was stored under "password").
        Each pair is a rule of its own, run again only when `source` grows: done inline, every
        run of the rule making the call redid every pair, and a merge helper that dozens of
        dicts flow through (`into.update(other)` both ways) made that dicts x dicts x keys."""
        if site == source:
            return  # `d.update(d)` adds nothing
        if self._current == -1:  # evaluated outside a rule (collecting facts): copied now, as it stands
            self._spread_rule(site, source)
            return
        pair = (site, source)
        if pair not in self._spreads:
            self._spreads.add(pair)
            group, self._group = self._group, None
            self._rule(self._spread_rule, site, source)
            self._group = group

    def _spread_rule(self, site: int, source: int) -> None:
        keys = self.read(("d", source, self.KEYS))
        if len(keys) >= MAX_SLOT_VALUES:
            # a catch-all (its keys hit the budget): its entries go in under any key, one add
            # instead of a store per key, each repeated whenever any entry grows
            self.store_key(site, (), self.read(("d", source, self.ALL_KEYS)))
            self.add(("d", site, self.KEYS), keys)
            return
        for key in keys:
            if isinstance(key, Const) and isinstance(key.value, str):
                self.store_key(site, (key,), self.read(("d", source, key.value)))
        unkeyed = self.read(("d", source, self.ANY_KEY))
        if unkeyed:
            self.store_key(site, (), unkeyed)

    def read_key(self, site: int, keys: Optional[Iterable]) -> Set:
        """What `d[key]` may be; keys None: any entry."""
        if keys is None:
            return set(self.read(("d", site, self.ALL_KEYS)))
        keys = list(keys)
        texts = [k.value for k in keys if isinstance(k, Const) and isinstance(k.value, str)]
        if len(texts) != len(keys) or not keys:
            return set(self.read(("d", site, self.ALL_KEYS)))
        out = set(self.read(("d", site, self.ANY_KEY)))
        for text in texts:
            out |= self.read(("d", site, text))
        return out

    def tuple_item(self, site: int, index: int) -> Set:
        node, ctx = self.tuples[site]
        elements = [e for e, starred in zip(node.elements, node.starred) if not starred]
        if index < 0:
            index += len(elements)
        if any(node.starred) or not 0 <= index < len(elements):
            return self._as_callers_own(site, self.values_of_all(node, ctx))
        return self._as_callers_own(site, set(self.values(elements[index], ctx)))

    def values_of_all(self, node, ctx: Ctx) -> Set:
        out: Set = set()
        for element in node.elements:
            out |= self.values(element, ctx)
        return out

    # -- evaluation --------------------------------------------------------------------------------
    def values(self, node, ctx: Ctx) -> frozenset:
        if node is None:
            return _EMPTY
        key = (id(node), ctx)  # equal expressions are one object (summary.dumps), so where is part of the key
        cached = self._memo.get(key)
        if cached is None:
            self._memo[key] = _EMPTY  # cycle guard (e.g. a default that names itself)
            cached = frozenset(self._evaluate(node, ctx))
            self._memo[key] = cached
        return cached

    def _evaluate(self, node, ctx: Ctx) -> Set:
        kind = type(node)
        if kind is s.Name:
            return self.name_values(node, ctx)
        if kind is s.Const:
            return {Const(node.value)}
        if kind is s.Attr:
            return self.attribute_values(node, ctx)
        if kind is s.Call:
            return self.call_values(node, ctx)
        if kind is s.Seq:
            return {Tup(self.tuple_site(node, ctx))}
        if kind is s.DictDisplay:
            return {Dct(self.dict_site(node, ctx))}
        if kind is s.Union:
            out: Set = set()
            for item in node.items:
                out |= self.values(item, ctx)
            return out
        if kind is s.Subscript:
            return self.subscript_values(node, ctx)
        if kind is s.Lambda:
            return {Func(self.program.modules[ctx.module].function(node.func))}
        if kind is s.Concat:
            return self._concat_values(node, ctx)
        return set()

    def _concat_values(self, node: s.Concat, ctx: Ctx) -> Set:
        if node.text is not None:
            return {Const(node.text)}
        parts = [self.values(item, ctx) for item in node.items]
        out: Set = set()
        for values in parts:  # `[sock] + others`: the items of both lists
            out |= {value for value in values if isinstance(value, Tup)}
        if out:
            # `recvfrom(...) + (sock,)`: the received pair keeps its positions at the front
            return out | {value for value in parts[0] if isinstance(value, Received)}
        random = {value for values in parts for value in values
                  if type(value) is Sym and value.qualname in RANDOM_NUMBERS}
        return random or _joined_texts(parts)  # `1025 + randrange(n)` is still a random number

    def function(self, index: int) -> Optional[FunctionInfo]:
        return self.program.functions[index] if index >= 0 else None

    def ctx_class(self, ctx: Ctx) -> Optional[ClassInfo]:
        func = self.function(ctx.func)
        return func.cls if func is not None and func.is_method else None

    def is_self(self, node, ctx: Ctx) -> bool:
        return (type(node) is s.Name and ctx.func >= 0
                and self.program.functions[ctx.func].self_name == node.name)

    # names ---------------------------------------------------------------------------------------
    def name_values(self, node: s.Name, ctx: Ctx) -> Set:
        static, slots = self.resolve_name(ctx.module, node.scope, node.name)
        out = set(static)
        for slot in slots:
            out.update(self.read(slot))
        if self.is_self(node, ctx):  # a classmethod's `cls` is the class: `cls(conf)` makes one
            index = self.ctx_class(ctx).index
            out.add(Cls(index) if self.program.functions[ctx.func].is_classmethod else Inst(index))
        return out

    def resolve_name(self, module_index: int, scope: int, name: str) -> Tuple[frozenset, tuple]:
        key = (module_index, scope, name)
        cached = self._names.get(key)
        if cached is None:
            self._names[key] = (frozenset(), ())  # cycle guard
            cached = self._names[key] = self._resolve(module_index, scope, name)
        return cached

    def _resolve(self, module_index: int, scope_index: int, name: str) -> Tuple[frozenset, tuple]:
        module = self.program.modules[module_index]
        scopes = module.summary.scopes
        found = _lookup(scopes, scope_index, name)
        if found is None:
            return frozenset(self.unbound_name(name, module)), ()
        where, bindings = found
        static, slots = self.binding_values(module, where, name, bindings)
        owner = self._scope_owner(module, where)
        if where != scope_index and owner is not None and owner.is_method and owner.params \
                and owner.params[0] == name:
            # `lambda: self` inside a method (`lambda: cls` inside a classmethod)
            static = static | {Cls(owner.cls.index) if owner.is_classmethod else Inst(owner.cls.index)}
        return static, slots

    def _scope_owner(self, module: ModuleInfo, scope: int) -> Optional[FunctionInfo]:
        """The function whose own scope `scope` is."""
        local = module.scope_owners().get(scope)
        return self.program.functions[module.function(local)] if local is not None else None

    def binding_values(self, module: ModuleInfo, where: int, name: str, bindings) -> Tuple[frozenset, tuple]:
        static: Set = set()
        slots: Set[tuple] = set()
        for binding in bindings:
            if binding.kind == "import":
                more, more_slots = self.qualified(binding.dotted, module)
            elif binding.kind == "from":
                base = self.program.absolute(module, binding.dotted, binding.level)
                package = self._package_defining(base, binding.member, module)
                if package is not None:  # `from . import config` where __init__ says `config = Config()`
                    more, more_slots = self.global_ref(package, binding.member)
                else:
                    more, more_slots = self.qualified(f"{base}.{binding.member}" if base else binding.member, module)
            else:
                if binding.kind == "def":
                    static.add(Func(module.function(binding.index)))
                elif binding.kind == "class":
                    static.add(Cls(module.class_offset + binding.index))
                slots.add(self.scope_slot(module, where, name))
                continue
            static |= more
            slots |= set(more_slots)
        return frozenset(static), tuple(sorted(slots, key=repr))

    def _package_defining(self, base: str, member: str, importer: ModuleInfo) -> Optional[ModuleInfo]:
        """The package `base` when its __init__ itself assigns, defines or makes `member`: Python's
        `from base import member` takes that attribute before a submodule of the same name."""
        if not base:
            return None
        package = self.program.find_module(base, importer)
        if package is None or not package.is_package:
            return None
        bindings = package.summary.scopes[0].bindings.get(member, ())
        return package if any(b.kind in ("assign", "def", "class") for b in bindings) else None

    def scope_slot(self, module: ModuleInfo, scope: int, name: str) -> tuple:
        if scope == 0:
            return ("g", module.index, name)
        return ("v", module.index, scope, name)

    def param_slot(self, info: FunctionInfo, name: str) -> tuple:
        return ("v", info.module.index, info.summary.scope, name)

    def unbound_name(self, name: str, module: ModuleInfo) -> Set:
        out: Set = set()
        for star, level in module.summary.star_imports:
            dotted = self.program.absolute(module, star, level)
            target = self.program.find_module(dotted, module)
            if target is not None:
                static, slots = self.global_ref(target, name)
                out |= static
                for slot in slots:
                    out |= self.read(slot)
            elif dotted.split(".")[0] in models.STAR_SOURCES:
                out.add(Sym(f"{dotted}.{name}"))
        return out or {Sym(f"builtins.{name}")}

    def global_ref(self, module: ModuleInfo, name: str) -> Tuple[frozenset, tuple]:
        """What module-level `name` of `module` is: fixed values and the slots to read."""
        key = (module.index, name)
        if self._dormant:
            self.activate(module.index)
        cached = self._globals.get(key)
        if cached is not None:
            return cached
        self._globals[key] = (frozenset(), ())  # cycle guard (`from . import x` inside x's package)
        bindings = module.summary.scopes[0].bindings.get(name)
        if bindings:
            result = self.binding_values(module, 0, name, bindings)
        else:
            sub = self.program.find_module(f"{module.name}.{name}", module) if module.is_package else None
            if sub is not None:
                result = (frozenset({Mod(sub.index)}), ())
            elif module.summary.star_imports:
                result = (frozenset(self.unbound_name(name, module) - {Sym(f"builtins.{name}")}), ())
            else:
                result = (frozenset(), ())
        self._globals[key] = result
        return result

    def global_values(self, module: ModuleInfo, name: str) -> Set:
        static, slots = self.global_ref(module, name)
        out = set(static)
        for slot in slots:
            out |= self.read(slot)
        return out

    def qualified(self, dotted: str, importer: ModuleInfo) -> Tuple[frozenset, tuple]:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            target = self.program.find_module(".".join(parts[:cut]), importer)
            if target is None:
                continue
            rest = parts[cut:]
            if not rest:
                return frozenset({Mod(target.index)}), ()
            return self.global_ref(target, rest[0])  # further parts resolve as attributes
        return frozenset({Sym(models.library_name(dotted))}), ()

    # attributes ------------------------------------------------------------------------------------
    def attribute_values(self, node: s.Attr, ctx: Ctx) -> Set:
        attr = node.attr
        receivers = self.values(node.value, ctx)
        out: Set = set(self.read(("f", self.program.modules[ctx.module].project, attr)))
        instances: List[int] = []  # class indexes, read together below
        classes: List[int] = []
        for value in receivers:
            kind = type(value)
            if kind is Inst:
                instances.append(value.site)
            elif kind is Cls:
                classes.append(value.site)
            elif kind is Sym:
                out.add(Sym(f"{value.qualname}.{attr}"))
                out |= models.namespace_attribute(self, value, attr)
            elif kind is Mod:
                out |= self.global_values(self.program.modules[value.site], attr)
            elif kind is Sock and attr in models.SOCKET_WRAPPER_ATTRS:
                out.add(value)
        if instances or classes:
            out |= self.class_attribute(instances, classes, attr)
        if attr in models.PASS_THROUGH_ATTRS:
            out |= receivers
        return out

    def class_attribute(self, instances: List[int], classes: List[int], attr: str) -> Set:
        """`attr` of instances and of classes of the project (class indexes). A receiver is often
        dozens of instances of one hierarchy: each class of their hierarchies is visited once."""
        of_instances = self._members_of(instances)
        of_classes = self._members_of(classes)
        out: Set = self.members_values("a", attr, of_instances | of_classes)
        with_method = self.classes_with_method(attr)
        for index in sorted(with_method & of_instances):
            method = self.program.classes[index].methods[attr]
            if method.is_property:  # `config.host` runs the getter
                self.activate_function(method)
                out |= self.returned(method.index)
            else:
                out.add(Method(method.index) if method.is_method else Func(method.index))
        for index in sorted(with_method & of_classes):
            method = self.program.classes[index].methods[attr]
            if not method.is_property:
                out.add(Method(method.index) if method.is_classmethod else Func(method.index))
        if instances:
            out |= models.framework_attribute(self, of_instances, attr)
        return out

    def _members_of(self, indexes: List[int]) -> FrozenSet[int]:
        """The classes of the hierarchies of classes `indexes`."""
        if len(indexes) == 1:
            return self.hierarchy_members(indexes[0])
        members: Set[int] = set()
        for index in indexes:
            members |= self.hierarchy_members(index)
        return frozenset(members)

    def subscript_values(self, node: s.Subscript, ctx: Ctx) -> Set:
        out: Set = set()
        keys = None
        container = self.values(node.value, ctx)
        if not container and self.program.shipped.by_key:
            return self.shipped_value(node.keys, ctx)
        for value in container:
            kind = type(value)
            if kind is Dct:
                if keys is None:
                    keys = self.values(node.keys[0], ctx) if len(node.keys) == 1 else frozenset()
                out |= self.read_key(value.site, keys or None)
            elif kind is Inst and self._getitem(value, node, ctx, out):
                continue
            else:
                out |= self.item(value, node.index)
        return out

    def shipped_value(self, key_nodes: Sequence, ctx: Ctx) -> Set:
        """A lookup by key in a document nothing here knows (`cfg["server"]["host"]`,
        `dom.xpath("//bacnet/@host")`): the wildcard a settings file shipped in the tree sets
        that key to, if one does (see `shipped`)."""
        shipped = self.program.shipped
        for node in key_nodes:
            text = _literal_text(node)
            key = setting_key(text) if text is not None else None
            found = shipped.lookup(key, self.program.modules[ctx.module].path) if key is not None else None
            if found is not None:
                return {Shipped(found.text, found.path, found.line, found.files)}
        return set()

    def _getitem(self, value: Inst, node: s.Subscript, ctx: Ctx, out: Set) -> bool:
        """`config['listen']` on an instance of a project class with `__getitem__`: what the
        method returns for that key (adds to `out`); False when the class has none."""
        getters = sorted(self.classes_with_method("__getitem__") & self.hierarchy_members(value.site))
        if not getters:
            return False
        keys = self.values(node.keys[0], ctx) if len(node.keys) == 1 else set()
        for index in getters:
            method = self.program.classes[index].methods["__getitem__"]
            self.bind_arguments(method, True, [set(keys)], {})
            out |= self.returned(method.index)
        return True

    def item(self, value, index: Optional[int]) -> Set:
        """What `value[index]` (or an unpacked position) holds; index None = any position."""
        kind = type(value)  # value types have no subclasses: `is` is isinstance, at a fraction of the cost
        if kind is Const:
            return set()  # a character of a string (or nothing): never a whole host or socket
        if kind is Tup:
            node, ctx = self.tuples[value.site]
            if type(node) is not s.Seq:
                return set()
            if index is None:
                return self._as_callers_own(value.site, self.values_of_all(node, ctx))
            return self.tuple_item(value.site, index)
        if kind in _ITEM_IS_ITSELF:
            return {value}
        if kind is Received:
            if index is None or index == value.peer_index or (index == -1 and value.peer_index == 3):
                return {Peer(value.site)}
            return set()
        if kind is SockPair:
            return {Sock(value.site)} if index in (None, value.index) else set()
        if kind is Dct:  # iterating or unpacking a dict: its keys and values
            return self.read_key(value.site, None) | set(self.read(("d", value.site, self.KEYS)))
        if kind is DictView:
            if value.part == "items":
                return {DictItem(value.site)}
            key = self.KEYS if value.part == "keys" else self.ALL_KEYS
            return set(self.read(("d", value.site, key)))
        if kind is DictItem:
            keys = set(self.read(("d", value.site, self.KEYS))) if index in (None, 0) else set()
            return keys | (set(self.read(("d", value.site, self.ALL_KEYS))) if index in (None, 1, -1) else set())
        if kind is Rest:
            if index is None:
                return set().union(*value.items) if value.items else set()
            return set(value.items[index]) if -len(value.items) <= index < len(value.items) else set()
        if kind is Strs:
            if index is None:
                return {Const(part) for part in value.parts}
            return {Const(value.parts[index])} if -len(value.parts) <= index < len(value.parts) else set()
        if kind is AddrInfo or kind is SockAddr:
            return models.addrinfo_item(self, value, index)
        return {value}

    # calls -------------------------------------------------------------------------------------------
    def call_values(self, node: s.Call, ctx: Ctx) -> Set:
        out: Set = set()
        func = node.func
        if type(func) is s.Attr:
            receivers = self.values(func.value, ctx)
            out |= models.method_result(self, node, func.attr, receivers, ctx)
        for callee in self.values(func, ctx):
            if isinstance(callee, (Func, Method)):
                self.activate_function(self.program.functions[callee.site])
                out |= self._call_result(node, ctx, callee)
            elif isinstance(callee, Cls):
                out |= models.instantiate(self, node, callee.site, ctx)
            elif isinstance(callee, Sym):
                out |= models.external_call(self, node, callee.qualname, ctx)
        return out

    def callees(self, node: s.Call, ctx: Ctx) -> List[Tuple[FunctionInfo, bool]]:
        """Project functions a call may run, and whether the first parameter is bound (`self`)."""
        found: List[Tuple[FunctionInfo, bool]] = []
        func = node.func
        cls = self.ctx_class(ctx)
        if type(func) is s.Attr and is_super_call(func.value) and cls is not None:
            for base in self.ancestry(cls.index)[0][1:]:
                if func.attr in base.methods:
                    return [(base.methods[func.attr], True)]
            return []
        for callee in self.values(func, ctx):
            if isinstance(callee, Func):
                found.append((self.program.functions[callee.site], False))
            elif isinstance(callee, Method):
                found.append((self.program.functions[callee.site], True))
            elif isinstance(callee, Cls):
                for ancestor in self.ancestry(callee.site)[0]:
                    if "__init__" in ancestor.methods:
                        found.append((ancestor.methods["__init__"], True))
                        break
        if not found and type(func) is s.Attr:
            candidates = self.program.methods_by_name.get((self.program.modules[ctx.module].project, func.attr), [])
            receivers = self.values(func.value, ctx)
            if len(candidates) == 1 and not func.attr.startswith("__") and not any(
                isinstance(v, (Sym, Sock, Mod)) for v in receivers
            ):
                found.append((candidates[0], candidates[0].is_method))
        for info, _ in found:
            self.activate_function(info)
        return found

    def bind_arguments(self, info: FunctionInfo, skip_self: bool, args: List[Set], kwargs: Dict[str, Set]) -> None:
        """Arguments to parameters (a call from another module marks its wildcards first: `_run_call`)."""
        self.activate_function(info)
        params = info.params
        positional = params[1:] if skip_self and params else params
        for name, values in zip(positional, args):
            self._pass_argument(self.param_slot(info, name), values)
        if info.summary.star_arg and len(args) > len(positional):
            self.add(self.param_slot(info, info.summary.star_arg), {Rest(tuple(frozenset(v) for v in args[len(positional):]))})
        for name, values in kwargs.items():
            if name in params:
                self._pass_argument(self.param_slot(info, name), values)

    def _pass_argument(self, slot: tuple, values: Set) -> None:
        if self._current != -1:  # a call's rule (not a CallView's evaluation after the solve)
            if values:
                callers = self._unknown_arguments.get(slot)
                if callers:
                    callers.discard(self._current)
            else:
                self._unknown_arguments.setdefault(slot, set()).add(self._current)
        self.add(slot, values)

    def left_unknown(self, slot: tuple) -> bool:
        """Whether some call passes the parameter `slot` a value the solver knows nothing of."""
        return bool(self._unknown_arguments.get(slot))

    def _run_call(self, node: s.Call, ctx: Ctx) -> None:
        func = node.func
        name = func.attr if type(func) is s.Attr else None
        if name is None or name in models.SITE_METHODS:
            self.values(node, ctx)  # creates the socket/endpoint sites a call makes, even unassigned
        callees = self.callees(node, ctx)
        classes = [c for c in self.values(func, ctx) if isinstance(c, Cls)] if not callees else []
        if not (callees or classes or models.has_effects(node, name)):
            return  # most calls (logging, asserts, string methods) move nothing we track
        args, kwargs = self.arguments(node, ctx)
        marked: Optional[Tuple[List[Set], Dict[str, Set]]] = None  # for callees in other modules
        for info, skip_self in callees:
            if info.module.index == ctx.module:
                self.bind_arguments(info, skip_self, args, kwargs)
                continue
            if marked is None:  # once, however many callees the call may run (dozens of methods)
                marked = marked_arguments(args, kwargs, ctx.module, node.site)
            self.bind_arguments(info, skip_self, *marked)
        for callee in classes:
            self.bind_fields(callee.site, args, kwargs)
        models.call_effects(self, node, ctx, args, kwargs)

    def bind_fields(self, index: int, args: List[Set], kwargs: Dict[str, Set]) -> None:
        """A dataclass / NamedTuple constructor: arguments go to the annotated fields in order."""
        fields = self.program.classes[index].summary.fields
        for name, values in zip(fields, args):
            self.add(("a", index, name), values)
        for name, values in kwargs.items():
            if name in fields:
                self.add(("a", index, name), values)

    def arguments(self, node: s.Call, ctx: Ctx) -> Tuple[List[Set], Dict[str, Set]]:
        args: List[Set] = []
        kwargs: Dict[str, Set] = {}
        for arg in node.args:
            if arg.star == "**":  # `f(**config)`: a dict of ours passes its entries by key
                for value in self.values(arg.value, ctx):
                    if isinstance(value, Dct):
                        for key in self.read(("d", value.site, self.KEYS)):
                            if isinstance(key, Const) and isinstance(key.value, str):
                                kwargs.setdefault(key.value, set()).update(self.read_key(value.site, [key]))
                continue
            if arg.star:
                continue
            if arg.keyword is not None:
                kwargs[arg.keyword] = set(self.values(arg.value, ctx))
            else:
                args.append(set(self.values(arg.value, ctx)))
        return args, kwargs

    # classes ---------------------------------------------------------------------------------------
    def ancestry(self, index: int) -> Tuple[List[ClassInfo], Set[str]]:
        """The project classes in MRO-ish order (the class first) and external bases' qualnames."""
        if self._current >= 0:
            self._hierarchy_users[index].add(self._current)
        cached = self._ancestry.get(index)
        if cached is not None:
            return cached
        self._ancestry[index] = ([self.program.classes[index]], set())  # cycle guard
        cls = self.program.classes[index]
        chain, external = [cls], set()
        ctx = Ctx(cls.module.index, -1)
        outer, memo = self._current, self._memo
        self._current, self._memo = _ANCESTRY, {}
        try:
            bases = [self.values(base, ctx) for base in cls.summary.bases]
        finally:
            self._current, self._memo = outer, memo
        for values in bases:
            for value in values:
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
        return self._hierarchy(index)[0]

    def hierarchy_members(self, index: int) -> FrozenSet[int]:
        return self._hierarchy(index)[1]

    def _hierarchy(self, index: int) -> Tuple[List[ClassInfo], FrozenSet[int]]:
        if self._current >= 0:
            self._hierarchy_users[index].add(self._current)  # remembered below: the reader still depends on it
        if self._unfiled:
            self._file_new_classes()
        known = self._members.get(index)
        if known is not None:
            return known
        if self._subclasses_of is None:
            if self._building_subclasses:
                # asked again while the table is being built: a base named through an attribute
                # whose value reads a hierarchy (`class A(registry.base)`). Its ancestors alone, not
                # remembered (its readers are rechecked once the table is built); building the
                # table again here recursed once per class of the program
                self._stale_members.setdefault(index, None)
                self._enqueue_recheck()
                chain = list(self.ancestry(index)[0])
                return chain, frozenset(c.index for c in chain)
            subclasses: Dict[int, List[ClassInfo]] = {}
            reader, self._current = self._current, -1  # the reader depends on `index`'s hierarchy, not on every class's
            self._building_subclasses = True
            try:
                for cls in self.program.classes:
                    for ancestor in self.ancestry(cls.index)[0][1:]:
                        subclasses.setdefault(ancestor.index, []).append(cls)
            finally:
                self._current = reader
                self._building_subclasses = False
            self._subclasses_of = subclasses
        chain = list(self.ancestry(index)[0])
        seen = {c.index for c in chain}
        for cls in self._subclasses_of.get(index, []):
            if cls.index not in seen:
                seen.add(cls.index)
                chain.append(cls)
        self._members[index] = (chain, frozenset(seen))
        return self._members[index]

    def derives_from(self, index: int, qualnames: Iterable[str]) -> bool:
        external = self.ancestry(index)[1]
        return any(q in external for q in qualnames)

    # stores ------------------------------------------------------------------------------------------
    def target_slots(self, node, ctx: Ctx) -> List[tuple]:
        kind = type(node)
        if kind is s.Name:
            module = self.program.modules[ctx.module]
            found = _lookup(module.summary.scopes, node.scope, node.name)
            if found is None:
                return [self.scope_slot(module, node.scope, node.name)]
            where, bindings = found
            if any(b.kind not in ("import", "from") for b in bindings):
                return [self.scope_slot(module, where, node.name)]
            return []
        if kind is s.Attr:
            attr = node.attr
            if self.is_self(node.value, ctx):
                return [("a", self.ctx_class(ctx).index, attr)]
            slots = [("f", self.program.modules[ctx.module].project, attr)]
            for value in self.values(node.value, ctx):
                if isinstance(value, (Inst, Cls)):
                    slots.append(("a", value.site, attr))
            return slots
        if kind is s.Subscript:
            return self.target_slots(node.value, ctx)
        if kind is s.Starred:
            return self.target_slots(node.value, ctx)
        return []

    def store(self, target, values: Iterable, ctx: Ctx) -> None:
        """Assign `values` to a target, unpacking tuples position by position."""
        kind = type(target)
        values = values if isinstance(values, (set, frozenset)) else set(values)
        if kind is s.Seq:
            starred = any(target.starred)
            values = list(values)
            for position, element in enumerate(target.elements):
                inner: Set = set()
                for value in values:
                    inner |= self.item(value, None if starred else position)
                self.store(element, inner, ctx)
            return
        if kind is s.Subscript:
            # a constant (`d.get(k)`'s None default) holds no entries: it does not make the store untracked
            containers = [v for v in self.values(target.value, ctx) if not isinstance(v, Const)]
            dicts = [v for v in containers if isinstance(v, Dct)]
            keys = self.values(target.keys[0], ctx) if len(target.keys) == 1 else frozenset()
            for container in dicts:
                self.store_key(container.site, keys, values)
            if len(dicts) == len(containers):
                # only dicts of ours: their keyed slots hold the entry. No container known yet
                # (a parameter before its callers ran): this rule runs again when one arrives,
                # and the name must not keep the keys and values as if it were a list
                return
        for slot in self.target_slots(target, ctx):
            self.add(slot, values)
        if kind is s.Subscript:
            for key in target.keys:
                for slot in self.target_slots(target.value, ctx):
                    self.add(slot, self.values(key, ctx))

    # rules ---------------------------------------------------------------------------------------------
    def _store_rule(self, target, value, ctx: Ctx) -> None:
        self.store(target, self.values(value, ctx), ctx)

    def _slot_rule(self, slot: tuple, value, ctx: Ctx) -> None:
        self.add(slot, self.values(value, ctx))

    def _iteration_rule(self, target, iterable, ctx: Ctx) -> None:
        items: Set = set()
        for value in self.values(iterable, ctx):
            items |= models.iteration_items(self, value)
        self.store(target, items, ctx)


_EMPTY: Set = frozenset()  # type: ignore[assignment]


def marked_arguments(args: List[Set], kwargs: Dict[str, Set], module: int,
                     call: int) -> Tuple[List[Set], Dict[str, Set]]:
    """A call's arguments as a function of another module receives them: wildcards marked with
    the call (`values.Wild`)."""
    return ([mark_wildcards(values, module, call) for values in args],
            {name: mark_wildcards(values, module, call) for name, values in kwargs.items()})


_MAX_TEXTS = 16
_MAX_TEXT_LENGTH = 255  # longer than any host name or listener text: a buffer, not an address
UNKNOWN_PART = "{}"  # a part of a built string whose value is not known: `f"0.0.0.0:{port}"`


_ALWAYS_KEPT = frozenset({Sock, Peer, Received, SockPair})  # values a full slot still takes
# values whose items are themselves (`addr[0]` of a peer is still the peer's host; an instance's
# item is modelled as the instance)
_ITEM_IS_ITSELF = frozenset({Sym, Sock, Peer, Func, Cls, Inst, Method, Wild, Mod, Shipped})


def _literal_text(node) -> Optional[str]:
    """The text of a string literal, or of the template of `"//{0}/@host".format(name)`."""
    if type(node) is s.Const:
        return node.value if isinstance(node.value, str) else None
    if type(node) is s.Call and type(node.func) is s.Attr and node.func.attr == "format":
        template = node.func.value
        if type(template) is s.Const and isinstance(template.value, str):
            return template.value
    return None
_PER_CLASS_SLOTS = frozenset({"a", "cs"})  # ("a", class, attribute) and ("cs", role, class)


def _ancestry_shape(entry: Tuple[List[ClassInfo], Set[str]]) -> tuple:
    return tuple(cls.index for cls in entry[0]), frozenset(entry[1])


def _differs(stale: Dict[int, Optional[tuple]], index: int, now: Callable[[], tuple]) -> bool:
    """Whether a class's entry differs from what its readers saw (None: they saw one not remembered)."""
    if index not in stale:
        return False
    seen = stale[index]
    return seen is None or now() != seen


def _members_shape(entry: Tuple[List[ClassInfo], FrozenSet[int]]) -> tuple:
    return tuple(cls.index for cls in entry[0])


def _per_class_parts(slot: tuple) -> Tuple[str, int, str]:
    if slot[0] == "a":
        return "a", slot[1], slot[2]
    return slot[0], slot[2], slot[1]


def _joined_texts(parts) -> Set:
    """The strings `"a" + b` or `f"{host}:{port}"` can be, when its parts are constants (unknown
    parts kept as a placeholder, so `f"0.0.0.0:{port}"` still says where it binds)."""
    texts = [""]
    for values in parts:
        options = sorted({str(v.value) for v in values if isinstance(v, Const) and isinstance(v.value, (str, int))
                          and not isinstance(v.value, bool)}) or [UNKNOWN_PART]
        texts = [_append_part(text, option) for text in texts for option in options]
        if len(texts) > _MAX_TEXTS:
            return set()
    texts = [text for text in texts if len(text) <= _MAX_TEXT_LENGTH]
    if all(text.replace(UNKNOWN_PART, "") == "" for text in texts):
        return set()
    return {Const(text) for text in texts}


def _append_part(text: str, part: str) -> str:
    """One unknown part stands for any run of them: `s += chunk` in a loop builds the same
    value again instead of a longer one each time round."""
    if part == UNKNOWN_PART and text.endswith(UNKNOWN_PART):
        return text
    return text + part


def _lookup(scopes, scope_index: int, name: str):
    """Python's name resolution: (scope index, bindings) of `name` seen from a scope, or None."""
    scope = scopes[scope_index]
    if name in scope.globals:
        bindings = scopes[0].bindings.get(name)
        return (0, bindings) if bindings else None
    if name in scope.bindings and name not in scope.nonlocals:
        return scope_index, scope.bindings[name]
    index = scope.parent
    while index >= 0:
        outer = scopes[index]
        if outer.kind != "class" and name in outer.bindings:
            return index, outer.bindings[name]
        index = outer.parent
    return None


def is_super_call(node) -> bool:
    return type(node) is s.Call and type(node.func) is s.Name and node.func.name == "super"


def wildcard_functions(module: ModuleInfo, imported: Iterable[str] = ()) -> Set[int]:
    """The functions of a module (local indexes) that hold a wildcard: a literal or INADDR_ANY in
    their code or in a parameter default, a module-level name bound to a wildcard literal, or one
    of the `imported` setting names (as a name or an attribute: `settings.HOST`); and the
    functions they are nested in (which define and usually call them)."""
    summary = module.summary
    global_wildcards = set(imported) | {
        constraint.target.name for constraint in summary.constraints
        if type(constraint) is s.Store and type(constraint.target) is s.Name and constraint.target.scope == 0
        and _holds_wildcard(constraint.value, ())
    }
    found: Set[int] = set()
    for constraint in summary.constraints:
        if type(constraint) is s.ParamDefault:
            if constraint.owner >= 0 and _holds_wildcard(constraint.default, global_wildcards):
                found.add(constraint.owner)
            continue
        func = constraint.func
        if func >= 0 and func not in found:
            value = constraint.iterable if type(constraint) is s.IterStore else constraint.value
            if _holds_wildcard(value, global_wildcards):
                found.add(func)
    for site in summary.calls:
        if site.func >= 0 and site.func not in found and _holds_wildcard(site.call, global_wildcards):
            found.add(site.func)
    for index in list(found):
        outer = module.defined_in(index)
        while outer >= 0:
            found.add(outer)
            outer = module.defined_in(outer)
    return found


def _holds_wildcard(expr: object, names: Iterable[str]) -> bool:
    """Whether `expr` holds a wildcard host literal, a wildcard symbol, or one of `names`
    (loops, not recursion: expressions nest deep)."""
    stack = [expr]
    while stack:
        part = stack.pop()
        kind = type(part)
        if kind is s.Const:
            if isinstance(part.value, str) and part.value in WILDCARD_HOSTS:
                return True
        elif kind is s.Name:
            if part.name in WILDCARD_SYMBOLS or part.name in names:
                return True
        elif kind is s.Attr and (part.attr in WILDCARD_SYMBOLS or part.attr in names):
            return True
        stack.extend(s.children(part))
    return False
