"""Carry a request's control data to its reply, the way the code already carries the address.

The reply's destination must come from one receive (certain: the names it uses are bound only by
that receive, or by plain assignments from them). When the receive is in the reply's function the
control data is simply the receive's `ancdata`. When the address arrived as a parameter, the
control data is passed beside it at each call of that function in this file (a new last
parameter `ancdata=()`, so other callers keep working and reply unpinned as before); through
`threading.Thread(target=f, args=(...))` it joins the `args`; through a queue it joins the tuple
that is put and got. Nothing else: no state keyed by peer, no wrappers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set

import libcst as cst

from .locate import Source, assigned_names, fresh_name, names_in
from .plain import COMMA, ReceivePlan, SocketModule, insert_elements, plan_receive, plan_reply
from .plan import UNSAFE, Plan
from .target import FixTarget

MAX_HOPS = 3


@dataclass
class _Route:
    source: Source
    target: FixTarget
    plan: Plan
    module: SocketModule
    enlarge: bool
    receives: List[cst.Call]
    planned: Dict[cst.Call, Optional[ReceivePlan]] = field(default_factory=dict)
    new_params: Dict[cst.FunctionDef, str] = field(default_factory=dict)
    through_queue: bool = False
    new_fields: Dict[cst.ClassDef, str] = field(default_factory=dict)
    roots: Dict[cst.FunctionDef, str] = field(default_factory=dict)  # callback -> its address parameter


def route_control_data(plan: Plan, source: Source, target: FixTarget, reply: cst.Call,
                       address: cst.BaseExpression, module: SocketModule, enlarge: bool) -> Optional[str]:
    """Plan the receive(s), the carrying and the reply; a reason when it cannot be done."""
    receives = [c for c in (source.find(r.span) for r in target.receives) if c is not None]
    if not receives:
        return "the socket's receive is not in the files of this fix: no automatic fix"
    route = _Route(source, target, plan, module, enlarge, receives)
    ancdata = _control_for(route, source.scope(reply), address, MAX_HOPS)
    if ancdata is None:
        return _stored_peer(source, source.scope(reply), address) or (
            "the reply's address does not come straight from a receive on this socket (through this "
            "file's calls, threads or queues): no automatic fix")
    plan_reply(plan, source, reply, target.reply_method, ancdata)
    for function, name in route.new_params.items():
        plan.rebuild[function] = _with_param(name)
    if route.new_params or route.through_queue or route.new_fields:
        # a new parameter or a longer queue item changes what other code in the project may rely on
        plan.applicability = UNSAFE
        plan.message += ("; the control data is passed on beside the address (a new `ancdata` parameter, "
                         "attribute or queue item)")
    return None


def _stored_peer(source: Source, scope, address: cst.BaseExpression) -> Optional[str]:
    """What to do by hand when the reply goes to each peer of a collection the code keeps: the
    source to pin is per peer (the destination of the request it last sent), so it belongs in
    what the code stores for that peer, which only its author can change."""
    if not isinstance(address, cst.Name):
        return None
    bindings = assigned_names(scope).get(address.value, [])
    if len(bindings) != 1 or not isinstance(bindings[0], cst.For):
        return None
    peer, store = address.value, source.code(bindings[0].iter)
    return (f"the reply goes to `{peer}`, each peer of `{store}`, later than its request: keep each peer's "
            f"`pktinfo` (below, from the request it sent last) where the code stores that peer, and reply with "
            f"`sock.sendmsg([reply], <that peer's pktinfo>, 0, {peer})`; no automatic fix (it changes what the "
            "code stores)")


def carry_from_callbacks(plan: Plan, source: Source, target: FixTarget, reply: cst.Call,
                         address: cst.BaseExpression, module: SocketModule, roots) -> Optional[str]:
    """The control data's name at `reply`, when `address` comes from the address parameter of
    one of `roots` (callbacks that will be given the control data as a new last parameter)."""
    route = _Route(source, target, plan, module, False, [], roots=dict(roots))
    ancdata = _control_for(route, source.scope(reply), address, MAX_HOPS)
    if ancdata is None:
        return None
    for function, name in route.new_params.items():
        plan.rebuild[function] = _with_param(name)
    return ancdata


def _control_for(route: _Route, scope: cst.CSTNode, expr: cst.BaseExpression, hops: int) -> Optional[str]:
    """The name of the control data that belongs to the address `expr`, valid in `scope`."""
    if scope in route.roots:
        param = route.roots[scope]
        origin = next((p for p in _parameters(scope) if p.name.value == param), None)
        if origin is not None and _derived(route.source, scope, expr, {param}, origin):
            route.new_params.setdefault(scope, fresh_name(scope, "ancdata"))
            return route.new_params[scope]
    enclosing = _closure_scope(route.source, scope, expr)
    if enclosing is not None:
        return _control_for(route, enclosing, expr, hops)
    for call in route.receives:
        if route.source.scope(call) is not scope:
            continue
        statement = route.source.line_of(call)
        if statement is None or not _derived_from(route.source, scope, expr, statement):
            continue
        if call not in route.planned:
            route.planned[call] = plan_receive(route.plan, route.source, call, route.module, route.target.ipv6,
                                               route.enlarge)
        planned = route.planned[call]
        if planned is not None:
            return planned.ancdata
    if hops == 0 or not isinstance(scope, cst.FunctionDef):
        return None
    return (_through_attribute(route, scope, expr, hops) or _through_parameter(route, scope, expr, hops)
            or _through_queue(route, scope, expr, hops))


def _closure_scope(source: Source, scope, expr) -> Optional[cst.FunctionDef]:
    """The enclosing function, when `expr` only reads names a nested function does not bind."""
    if not isinstance(scope, cst.FunctionDef) or names_in(expr) & set(assigned_names(scope)):
        return None
    outer = source.scope(scope)
    return outer if isinstance(outer, cst.FunctionDef) else None


def _derived_from(source: Source, scope, expr, statement: cst.SimpleStatementLine) -> bool:
    """`expr` is built from names the receive `statement` binds, and those names are bound
    nowhere else in `scope` (directly, or through plain assignments from them)."""
    received = names_in(statement.body[0].targets[0].target) if isinstance(statement.body[0], cst.Assign) else set()
    return _derived(source, scope, expr, received, statement)


def _derived(source: Source, scope, expr, roots: Set[str], origin: cst.CSTNode, depth: int = 3) -> bool:
    """Every name of `expr` that `scope` binds is a root bound only at `origin` (the receive, or
    the parameter), or is bound only by plain assignments of expressions derived from them."""
    bindings = assigned_names(scope)
    derived = False
    for name in names_in(expr):
        if name in roots:
            if not all(_inside(source, node, origin) for node in bindings.get(name, ())):
                return False
            derived = True
        elif name in bindings:
            for node in bindings[name]:
                value = _assigned_value(source, node)
                if value is None or depth == 0 or not _derived(source, scope, value, roots, origin, depth - 1):
                    return False
            derived = True
    return derived


def _inside(source: Source, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in source.ancestors(node))


def _assigned_value(source: Source, node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    parent = source.parent(node)
    if isinstance(node, cst.AssignTarget) and isinstance(parent, cst.Assign):
        return parent.value
    return None


# -- through a function's parameter -------------------------------------------------------------
def _parameters(function: cst.FunctionDef) -> List[cst.Param]:
    return list(function.params.posonly_params) + list(function.params.params)


def _is_method(source: Source, function: cst.FunctionDef) -> bool:
    return isinstance(source.parent(source.parent(function)), cst.ClassDef) and not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)


def _through_parameter(route: _Route, function: cst.FunctionDef, expr, hops: int) -> Optional[str]:
    source = route.source
    params = _parameters(function)
    names = [p.name.value for p in params]
    used = names_in(expr) & set(names)
    bindings = assigned_names(function)
    if len(used) != 1 or not isinstance(function.params.star_arg, cst.MaybeSentinel) or function.params.kwonly_params \
            or function.params.star_kwarg is not None:
        return None
    param = used.pop()
    if param == "self" and _is_method(source, function):
        return None
    if len(bindings.get(param, ())) != 1:  # reassigned in the body: not the caller's address any more
        return None
    if sum(1 for n in source.positions if isinstance(n, cst.FunctionDef) and n.name.value == function.name.value) != 1:
        return None  # two functions of that name in this file: calls cannot be told apart
    method = _is_method(source, function)
    index = names.index(param) - (1 if method else 0)
    anc_param = route.new_params.get(function) or fresh_name(function, "ancdata")
    routed = False
    owner = source.enclosing_class(function) if method else None
    for call in _calls_of(source, function.name.value):
        caller = source.scope(call)
        if _calls_it(source, call, method, owner, function):
            argument = _argument(call, index, param)
            if argument is None:
                continue
            ancdata = _control_for(route, caller, argument, hops - 1)
            if ancdata is None:
                continue
            route.plan.rebuild[call] = _with_keyword(anc_param, ancdata)
            routed = True
    for call, args in _scheduled(source, function.name.value):
        positional = len(names) - (1 if method else 0)
        if len(args) != positional or index >= positional or not _sees_function(source, call, function):
            continue
        ancdata = _control_for(route, source.scope(call), args[index].value, hops - 1)
        if ancdata is None:
            continue
        route.plan.rebuild[call] = _with_keyword(None, ancdata)
        routed = True
    for call, args in _thread_starts(source, function.name.value):
        positional = len(names) - (1 if method else 0)
        if len(args.elements) != positional or index >= positional or not _sees_function(source, call, function):
            continue
        ancdata = _control_for(route, source.scope(call), args.elements[index].value, hops - 1)
        if ancdata is None:
            continue
        route.plan.rebuild[args] = _with_element(ancdata)
        routed = True
    if not routed:
        return None
    route.new_params[function] = anc_param
    return anc_param


def _calls_it(source: Source, call: cst.Call, method: bool, owner: Optional[cst.ClassDef],
              function: cst.FunctionDef) -> bool:
    """Certainly a call of the function: `name(...)` for a function (in its module, or in one that
    imports it by name from there), `self.name(...)` inside its class for a method (another
    object's method of the same name is left alone)."""
    if not method:
        return isinstance(call.func, cst.Name) and _sees_function(source, call, function)
    return (isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
            and call.func.value.value == "self" and source.enclosing_class(call) is owner)


def _sees_function(source: Source, node: cst.CSTNode, function: cst.FunctionDef) -> bool:
    """`function`'s name at `node` is that function: same module, or `from .module import name`."""
    home, here = source.file_of(function), source.file_of(node)
    if home is here:
        return True
    module_name = Path(home.path).stem
    for statement in here.tree.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and small.module is not None and not isinstance(small.names, cst.ImportStar) \
                    and here.code(small.module).rsplit(".", 1)[-1] == module_name \
                    and any(a.asname is None and here.code(a.name) == function.name.value for a in small.names):
                return True
    return False


def _calls_of(source: Source, name: str) -> List[cst.Call]:
    out = []
    for node in source.positions:
        if isinstance(node, cst.Call):
            func = node.func
            if (isinstance(func, cst.Name) and func.value == name) or (
                    isinstance(func, cst.Attribute) and func.attr.value == name):
                out.append(node)
    return out


def _thread_starts(source: Source, name: str):
    """`Thread(target=name or x.name, args=(...))` calls, with their args tuple."""
    out = []
    for node in source.positions:
        if not isinstance(node, cst.Call):
            continue
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        func_name = node.func.attr.value if isinstance(node.func, cst.Attribute) else getattr(node.func, "value", "")
        started = keywords.get("target")
        args = keywords.get("args")
        if func_name != "Thread" or started is None or not isinstance(args, (cst.Tuple, cst.List)):
            continue
        started_name = started.attr.value if isinstance(started, cst.Attribute) else getattr(started, "value", None)
        if started_name == name:
            out.append((node, args))
    return out


# callback position in `loop.call_later(delay, f, *args)`, `executor.submit(f, *args)`, ...
SCHEDULERS = {"call_soon": 0, "call_soon_threadsafe": 0, "call_later": 1, "call_at": 1, "run_in_executor": 1,
              "submit": 0}


def _scheduled(source: Source, name: str):
    """`loop.call_later(delay, name or x.name, *args)` and the like, with the callback's args."""
    out = []
    for node in source.positions:
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
            continue
        at = SCHEDULERS.get(node.func.attr.value)
        if at is None or len(node.args) <= at or any(a.keyword is not None or a.star for a in node.args):
            continue
        callback = node.args[at].value
        callback_name = callback.attr.value if isinstance(callback, cst.Attribute) else getattr(callback, "value", None)
        if callback_name == name:
            out.append((node, node.args[at + 1:]))
    return out


def _argument(call: cst.Call, index: int, param: str) -> Optional[cst.BaseExpression]:
    if any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg.value
    if 0 <= index < len(positional):
        return positional[index].value
    return None


def _with_keyword(name: Optional[str], value: str):
    def rebuild(updated: cst.Call) -> cst.Call:
        from .plain import with_args

        if name is None:  # positional: a scheduled callback's arguments
            return with_args(updated, [*updated.args, cst.Name(value)])
        keyword = cst.Arg(value=cst.Name(value), keyword=cst.Name(name),
                          equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                whitespace_after=cst.SimpleWhitespace("")))
        return with_args(updated, [*updated.args, keyword])

    return rebuild


def _with_element(name: str):
    def rebuild(updated):  # a Tuple or a List
        elements = list(updated.elements)
        last = elements[-1]
        elements[-1] = last.with_changes(comma=COMMA)
        elements.append(cst.Element(cst.Name(name)))
        return updated.with_changes(elements=elements)

    return rebuild


def _with_param(name: str):
    def rebuild(updated: cst.FunctionDef) -> cst.FunctionDef:
        params = list(updated.params.params)
        if params:
            params[-1] = params[-1].with_changes(comma=COMMA)
        params.append(cst.Param(cst.Name(name), default=cst.Tuple([]),
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                      whitespace_after=cst.SimpleWhitespace(""))))
        return updated.with_changes(params=updated.params.with_changes(params=params))

    return rebuild


# -- through a queue ----------------------------------------------------------------------------
def _through_queue(route: _Route, function: cst.FunctionDef, expr, hops: int) -> Optional[str]:
    """`data, addr = jobs.get()` here and `jobs.put((data, addr))` where it was received."""
    source = route.source
    bindings = assigned_names(function)
    names = names_in(expr) & set(bindings)
    if len(names) != 1:
        return None
    (name,) = names
    if len(bindings[name]) != 1:
        return None
    value = _assigned_value(source, bindings[name][0])
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("get", "get_nowait")):
        return None
    target = bindings[name][0].target
    if not isinstance(target, cst.Tuple) or any(isinstance(e, cst.StarredElement) for e in target.elements):
        return None
    queue_text = source.code(value.func.value)
    position = next((i for i, e in enumerate(target.elements) if name in names_in(e.value)), None)
    gets = [c for c in _method_calls(source, ("get", "get_nowait")) if source.code(c.func.value) == queue_text]
    puts = [c for c in _method_calls(source, ("put", "put_nowait")) if source.code(c.func.value) == queue_text]
    if len(gets) != 1 or not puts or position is None:
        return None
    items = [put.args[0].value if put.args and put.args[0].keyword is None else None for put in puts]
    if len(items) == 1 and items[0] in route.receives:
        return _received_into_queue(route, function, items[0], bindings[name][0], position)
    routes = []
    for put in puts:
        item = put.args[0].value if put.args and put.args[0].keyword is None else None
        if not isinstance(item, cst.Tuple) or len(item.elements) != len(target.elements):
            return None  # every put must carry the control data, or the get's unpacking breaks
        ancdata = _control_for(route, source.scope(put), item.elements[position].value, hops - 1)
        if ancdata is None:
            return None
        routes.append((item, ancdata))
    route.through_queue = True
    for item, ancdata in routes:
        route.plan.rebuild[item] = _with_element(ancdata)
    anc_name = fresh_name(function, "ancdata")
    assign_target = bindings[name][0]
    route.plan.rebuild[assign_target] = lambda updated: updated.with_changes(
        target=insert_elements(updated.target, len(updated.target.elements), [anc_name]))
    return anc_name


def _method_calls(source: Source, methods) -> List[cst.Call]:
    return [n for n in source.positions if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
            and n.func.attr.value in methods]


def _received_into_queue(route: _Route, function, receive: cst.Call, assign_target: cst.AssignTarget,
                         position: int) -> Optional[str]:
    """`jobs.put(sock.recvfrom(n))` ... `data, addr = jobs.get()`: put what recvmsg returns and
    unpack its four items."""
    from . import snippets
    from .plain import renamed, with_args

    method = receive.func.attr.value if isinstance(receive.func, cst.Attribute) else ""
    if method != "recvfrom" or position != 1 or len(assign_target.target.elements) != 2 or not 1 <= len(receive.args) <= 2:
        return None
    size = cst.parse_expression(snippets.ancillary_size(route.module.prefix, route.target.ipv6))
    route.through_queue = True
    route.plan.rebuild[receive] = lambda updated: with_args(renamed(updated, "recvmsg"), [updated.args[0], size, *updated.args[1:]])
    anc_name = fresh_name(function, "ancdata")
    flags = fresh_name(function, "_flags", {anc_name})
    route.plan.rebuild[assign_target] = lambda updated: updated.with_changes(
        target=insert_elements(updated.target, 1, [anc_name, flags]))
    return anc_name


# -- through an object's attribute --------------------------------------------------------------
def _is_dataclass(cls: cst.ClassDef) -> bool:
    for decorator in cls.decorators:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        tail = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", "")
        if tail == "dataclass":
            return True
    return False


def _fields(cls: cst.ClassDef) -> List[cst.AnnAssign]:
    return [small for line in cls.body.body if isinstance(line, cst.SimpleStatementLine)
            for small in line.body if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)]


def _through_attribute(route: _Route, method: cst.FunctionDef, expr, hops: int) -> Optional[str]:
    """`self.addr` in a method, where `addr` is what the object was made with: a dataclass field
    or an `__init__` parameter stored as `self.addr = addr`. The control data becomes one more
    field (or parameter and attribute) `ancdata`, given where the object is made."""
    source = route.source
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"
            and _is_method(source, method)):
        return None
    cls = source.enclosing_class(method)
    if cls is None or len(source.classes(cls.name.value)) != 1:
        return None
    attribute = expr.attr.value
    if cls in route.new_fields:
        return f"self.{route.new_fields[cls]}"
    taken = {n.attr.value for n in source.positions if isinstance(n, cst.Attribute)
             and isinstance(n.value, cst.Name) and n.value.value == "self" and source.enclosing_class(n) is cls}
    name = fresh_name(cls, "ancdata", taken)
    made_with = _constructor_slot(source, cls, attribute)
    if made_with is None:
        return None
    index, keyword, init, store = made_with
    routed = False
    for call in _calls_of(source, cls.name.value):
        if not isinstance(call.func, cst.Name):
            continue
        argument = _argument(call, index, keyword)
        ancdata = _control_for(route, source.scope(call), argument, hops - 1) if argument is not None else None
        if ancdata is not None:
            route.plan.rebuild[call] = _with_keyword(name, ancdata)
            routed = True
    if not routed:
        return None
    if init is None:  # a dataclass: one more field, last, with a default
        last = _fields(cls)[-1]
        line = next(l for l in cls.body.body if isinstance(l, cst.SimpleStatementLine) and last in l.body)
        route.plan.insert_after(line, [f"{name}: tuple = ()  # the request's control data, to pin the reply's source\n"])
    else:
        route.new_params[init] = name
        route.plan.insert_after(store, [f"self.{name} = {name}\n"])
    route.new_fields[cls] = name
    return f"self.{name}"


def _constructor_slot(source: Source, cls: cst.ClassDef, attribute: str):
    """(positional index, keyword, __init__ or None, the `self.attr = param` line) by which a
    new object gets `attribute`, or None when it is set some other way too."""
    stores = [n for n in source.positions if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Attribute)
              and source.code(n.target) == f"self.{attribute}" and source.enclosing_class(n) is cls]
    if _is_dataclass(cls):
        names = [f.target.value for f in _fields(cls)]
        if attribute not in names or stores:
            return None
        return names.index(attribute), attribute, None, None
    inits = [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"]
    if len(inits) != 1 or len(stores) != 1 or source.scope(stores[0]) is not inits[0]:
        return None
    value = _assigned_value(source, stores[0])
    params = [p.name.value for p in _parameters(inits[0])]
    if not isinstance(value, cst.Name) or value.value not in params[1:]:
        return None
    init = inits[0]
    if not isinstance(init.params.star_arg, cst.MaybeSentinel) or init.params.kwonly_params or init.params.star_kwarg:
        return None
    store_line = source.line_of(stores[0])
    if store_line is None:
        return None
    return params.index(value.value) - 1, value.value, init, store_line
