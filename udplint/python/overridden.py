"""Wildcard defaults that no call can use.

`class Server: def __init__(self, host="0.0.0.0")` binds the wildcard only if something makes a
`Server` without a host. When the module itself is the only place that names `Server`, and every
one of those places is a call that passes the host (`Server(args.host)`, the CLI's default being
'127.0.0.1'), the default is dead code: giving it to the parameter would report a server that
never binds the wildcard. Anything less certain keeps the default: another module importing this
one (a library's users, its tests), the name used other than as such a call (a subclass, a
factory, a thread target, a stored class), `*args`/`**kwargs` at a call, a classmethod that may
call `cls()`, or no call at all (an entry point, a callback).
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

from . import summary as s
from .program import ModuleInfo, Program
from .values import Const, is_wildcard


def unused_wildcard_default(program: Program, module: ModuleInfo, default: s.ParamDefault) -> bool:
    if type(default.default) is not s.Const or not is_wildcard(Const(default.default.value)):
        return False
    called = _called_name(module.summary, default.owner)
    if called is None or _imported_elsewhere(program, module):
        return False
    name, skipped = called
    params = [param for param, _ in module.summary.functions[default.owner].params][skipped:]
    if default.name not in params:
        return False
    position = params.index(default.name)
    calls = 0
    for call in _references(module.summary, name):
        if call is None or not _passes(call, default.name, position):
            return False
        calls += 1
    return calls > 0


def _called_name(summary: s.ModuleSummary, local: int) -> Optional[Tuple[str, int]]:
    """The name a call of function `local` is written with, and how many leading parameters the
    call does not pass: a module-level class's `__init__` (`self`), or a module-level function."""
    function = summary.functions[local]
    if function.cls < 0:
        module_level = summary.scopes[function.scope].parent == 0 and function.name != "<lambda>"
        return (function.name, 0) if module_level else None
    cls = summary.classes[function.cls]
    if function.name != "__init__" or summary.scopes[cls.scope].parent != 0:
        return None
    if any(_is_classmethod(summary.functions[index]) for index in cls.methods.values()):
        return None  # `cls(...)` makes one without naming the class
    return cls.name, 1


def _is_classmethod(function: s.Function) -> bool:
    return any((type(d) is s.Name and d.name == "classmethod") or (type(d) is s.Attr and d.attr == "classmethod")
               for d in function.decorators)


def _imported_elsewhere(program: Program, module: ModuleInfo) -> bool:
    last = module.name.rpartition(".")[2]
    for other in program.modules:
        if other is module or not other.checked:
            continue
        for text, level in other.summary.imports:
            imported = program.absolute(other, text, level)
            if imported == module.name or imported.rpartition(".")[2] == last:
                return True
    return False


def _passes(call: s.Call, name: str, position: int) -> bool:
    if any(arg.star for arg in call.args):
        return False  # `Server(*args)` may or may not pass it
    positional = sum(1 for arg in call.args if arg.keyword is None)
    return positional > position or any(arg.keyword == name for arg in call.args)


def _references(summary: s.ModuleSummary, name: str) -> Iterator[Optional[s.Call]]:
    """Every place the module names `name`: the call when it is a call's callee, else None.
    Each call is seen once, however many expressions embed it."""
    seen = set()
    roots = [site.call for site in summary.calls]
    roots += [expr for constraint in summary.constraints for expr in _constraint_exprs(constraint)]
    roots += [base for cls in summary.classes for base in cls.bases]
    roots += [decorator for function in summary.functions if function is not None for decorator in function.decorators]
    stack = list(roots)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is s.Call:
            if node.site in seen:
                continue
            seen.add(node.site)
            if type(node.func) is s.Name and node.func.name == name:
                yield node
            else:
                stack.append(node.func)
            stack.extend(arg.value for arg in node.args)
        elif kind is s.Name:
            if node.name == name:
                yield None
        elif kind in (s.Attr, s.Starred):
            stack.append(node.value)
        elif kind is s.Subscript:
            stack.append(node.value)
            stack.extend(node.keys)
        elif kind is s.Seq:
            stack.extend(node.elements)
        elif kind is s.DictDisplay:
            stack.extend(key for key in node.keys if key is not None)
            stack.extend(node.values)
        elif kind in (s.Union, s.Concat):
            stack.extend(node.items)


def _constraint_exprs(constraint) -> Tuple:
    kind = type(constraint)
    if kind is s.Store:
        return constraint.target, constraint.value
    if kind is s.IterStore:
        return constraint.target, constraint.iterable
    if kind is s.ClassStore:
        return (constraint.value,)
    if kind is s.ParamDefault:
        return (constraint.default,)
    if kind is s.ReturnValue:
        return (constraint.value,)
    return ()
