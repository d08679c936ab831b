"""One call of a socket-making helper, seen on its own.

The solver is context-insensitive: a helper's parameters and locals hold what every call passes.
That is right for data that flows on, but wrong for the helper's own socket when two calls make
two kinds of socket: hypercorn's `_create_sockets(binds, type_)` makes the TCP sockets from
`config.bind` and the QUIC sockets from `config.quic_bind`, and merged, the QUIC copy looks bound
to the TCP wildcard. A caller's copy of the socket (`SocketSite.origin`) is therefore described
by a `CallView`: the helper's locals worked out again from that one call's arguments, the rest of
the program as solved. The view only reads the solution; what the helper stores elsewhere
(attributes, containers) is already in it.
"""
from __future__ import annotations

from typing import Dict, Iterable, Optional, Set, Tuple

from . import summary as s
from .program import FunctionInfo
from .solver import MAX_SLOT_VALUES, Budget, Ctx, Solver, marked_arguments

MAX_VIEW_ROUNDS = 8  # passes over the helper's assignments; a helper that needs more is a loop of loops
_EMPTY: Set = frozenset()  # type: ignore[assignment]


class CallView:
    """Use as `with CallView.of(solver, helper, caller) as view:`; `solver.values(...)` inside
    the block evaluates the helper's names for that call alone."""

    def __init__(self, solver: Solver, info: FunctionInfo, skip_self: bool, call: s.Call, ctx: Ctx) -> None:
        self.solver = solver
        self.info = info
        self.skip_self = skip_self
        self.call = call
        self.ctx = ctx
        self.scopes = _own_scopes(self.info)
        self.locals: Dict[tuple, Set] = {}
        self._saved_memo = None

    @classmethod
    def of(cls, solver: Solver, helper: int, caller: Tuple[int, int]) -> Optional["CallView"]:
        """The view of the helper for the call `caller` (module, call ordinal); None when that
        call does not run the helper directly (its arguments would not be the helper's)."""
        module = solver.program.modules[caller[0]]
        site = module.summary.calls[caller[1]]
        ctx = Ctx(caller[0], module.function(site.func))
        info = solver.program.functions[helper]
        bound = [skip for callee, skip in solver.callees(site.call, ctx) if callee is info]
        if not bound:
            return None
        return cls(solver, info, bound[0], site.call, ctx)

    # -- the overlay ---------------------------------------------------------------------------
    def __enter__(self) -> "CallView":
        solver = self.solver
        self._saved_memo = solver._memo
        solver._memo = {}
        # instance attributes shadow the methods for the block: the solver's hot path keeps no check
        solver.read = self._read  # type: ignore[method-assign]
        solver.add = self._add  # type: ignore[method-assign]
        try:
            self._bind_parameters()
            self._settle()
        except BaseException:
            self.__exit__()  # `with` calls __exit__ only once __enter__ has returned
            raise
        return self

    def __exit__(self, *exc) -> None:
        solver = self.solver
        del solver.read
        del solver.add
        solver._memo = self._saved_memo

    def _is_local(self, slot: tuple) -> bool:
        return slot[0] == "v" and slot[1] == self.info.module.index and slot[2] in self.scopes

    def _read(self, slot: tuple) -> Set:
        if self._is_local(slot):
            return self.locals.get(slot, _EMPTY)
        return Solver.read(self.solver, slot)

    def _add(self, slot: tuple, values: Iterable) -> None:
        if not self._is_local(slot):
            return  # the solution already holds what the helper stores outside itself
        bucket = self.locals.setdefault(slot, set())
        if len(bucket) < MAX_SLOT_VALUES:
            bucket.update(values)
        elif not any(b.what == "call view values per slot" for b in self.solver.budgets):
            self.solver.budgets.append(Budget("call view values per slot", MAX_SLOT_VALUES))

    # -- filling it ----------------------------------------------------------------------------
    def _bind_parameters(self) -> None:
        """This call's arguments, and the defaults of the parameters it does not pass."""
        solver = self.solver
        args, kwargs = solver.arguments(self.call, self.ctx)
        if self.info.module.index != self.ctx.module:  # as _run_call hands them to another module
            args, kwargs = marked_arguments(args, kwargs, self.ctx.module, self.call.site)
        solver.bind_arguments(self.info, self.skip_self, args, kwargs)
        module = self.info.module
        for constraint in module.summary.constraints:
            if type(constraint) is s.ParamDefault and constraint.owner == self.info.local:
                slot = solver.param_slot(self.info, constraint.name)
                if slot not in self.locals:
                    self._add(slot, solver.values(constraint.default, Ctx(module.index, module.function(constraint.func))))

    def _settle(self) -> None:
        """Run the helper's assignments until its locals stop growing."""
        solver = self.solver
        module = self.info.module
        ctx = Ctx(module.index, self.info.index)
        statements = [c for c in module.summary.constraints
                      if type(c) in (s.Store, s.IterStore) and c.func == self.info.local]
        for _ in range(MAX_VIEW_ROUNDS):
            before = self._size()
            for statement in statements:  # as the solver's own rules do, into the overlay
                if type(statement) is s.Store:
                    solver._store_rule(statement.target, statement.value, ctx)
                else:
                    solver._iteration_rule(statement.target, statement.iterable, ctx)
            solver._memo.clear()
            if self._size() == before:
                return
        if not any(b.what == "call view rounds" for b in solver.budgets):
            solver.budgets.append(Budget("call view rounds", MAX_VIEW_ROUNDS))

    def _size(self) -> int:
        return sum(len(values) for values in self.locals.values())


def _own_scopes(info: FunctionInfo) -> Set[int]:
    """The helper's scope and the comprehension scopes inside it (their names are its locals)."""
    scopes = info.module.summary.scopes
    own = {info.summary.scope}
    for index, scope in enumerate(scopes):
        parent = scope.parent
        chain = [index]
        while scope.kind == "comprehension" and parent >= 0 and parent not in own:
            chain.append(parent)
            scope = scopes[parent]
            parent = scope.parent
        if scope.kind == "comprehension" and parent in own:
            own.update(chain)
    return own
