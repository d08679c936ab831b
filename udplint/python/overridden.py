"""Wildcard defaults that no call can use.

`class Server: def __init__(self, host="0.0.0.0")` binds the wildcard only if something makes a
`Server` without a host. When every place a checked module names `Server` is a call that passes
the host (`Server(args.host)`, the CLI's default being
'127.0.0.1'), the default is dead code: giving it to the parameter would report a server that
never binds the wildcard. Anything less certain keeps the default: the name used anywhere other
than as such a call (a subclass, a factory, a thread target, a stored class), `*args`/`**kwargs`
at a call, a classmethod that may call `cls()`, or no call at all (an entry point, a callback,
a library's class that only its users make, or that another checked project uses).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from . import summary as s
from .program import ModuleInfo, Program, decorated_with
from .values import Const, is_wildcard


class DeadDefaults:
    """Which wildcard defaults no call can use, over the checked modules of one program."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._names: Optional[Dict[str, List[Tuple[int, Optional[s.Call]]]]] = None  # on the first candidate

    def unused(self, module: ModuleInfo, default: s.ParamDefault) -> bool:
        if type(default.default) is not s.Const or not is_wildcard(Const(default.default.value)):
            return False
        called = _called_name(module.summary, default.owner)
        if called is None:
            return False
        name, skipped = called
        params = [param for param, _ in module.summary.functions[default.owner].params][skipped:]
        if default.name not in params:
            return False
        position = params.index(default.name)
        references = self._references().get(name, ())
        return bool(references) and all(
            project == module.project and call is not None and _passes(call, default.name, position)
            for project, call in references)

    def _references(self) -> Dict[str, List[Tuple[int, Optional[s.Call]]]]:
        """Every place a checked module names something, with the module's project: the call
        when the name is its callee (`Server(...)`, `server.Server(...)`), else None. The checked
        modules are all in the program before the solver starts; modules loaded later are
        libraries it imports. A use in another project is a library's user: its default stays."""
        if self._names is None:
            self._names = {}
            for module in self.program.modules:
                if module.checked:
                    found: Dict[str, List[Optional[s.Call]]] = {}
                    _index_references(module.summary, found)
                    for name, calls in found.items():
                        self._names.setdefault(name, []).extend((module.project, call) for call in calls)
        return self._names


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
    if any(decorated_with(summary.functions[index], {"classmethod"}) for index in cls.methods.values()):
        return None  # `cls(...)` makes one without naming the class
    return cls.name, 1


def _passes(call: s.Call, name: str, position: int) -> bool:
    if any(arg.star for arg in call.args):
        return False  # `Server(*args)` may or may not pass it
    positional = sum(1 for arg in call.args if arg.keyword is None)
    return positional > position or any(arg.keyword == name for arg in call.args)


def _index_references(summary: s.ModuleSummary, names: Dict[str, List[Optional[s.Call]]]) -> None:
    seen = set()  # each call once, however many expressions embed it
    stack: List = [site.call for site in summary.calls]
    stack += [expr for constraint in summary.constraints for expr in _constraint_exprs(constraint)]
    stack += [base for cls in summary.classes for base in cls.bases]
    stack += [decorator for function in summary.functions if function is not None for decorator in function.decorators]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is s.Call:
            if node.site in seen:
                continue
            seen.add(node.site)
            func = node.func
            if type(func) is s.Name:
                names.setdefault(func.name, []).append(node)
            elif type(func) is s.Attr:
                names.setdefault(func.attr, []).append(node)
                stack.append(func.value)
            else:
                stack.append(func)
            stack.extend(arg.value for arg in node.args)
            continue
        if kind is s.Name:
            names.setdefault(node.name, []).append(None)
        elif kind is s.Attr:
            names.setdefault(node.attr, []).append(None)
        stack.extend(s.children(node))


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
