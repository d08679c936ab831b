"""Extraction: one module's libcst tree -> its `ModuleSummary` (plain data, see summary.py).

One pass over the tree, hand-written rather than a `CSTVisitor` and without libcst's scope
metadata: both cost more than the parse itself on large modules, and the flow needs only which
scope each name occurs in and how each scope binds its names (Python's rules, resolved by the
solver). Calls get an ordinal in the order this walk meets them; `call_nodes()` walks a fresh
parse the same way to find the node of an ordinal again (for positions and fixes).
"""
from __future__ import annotations

import re
import sys
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from . import summary as s

_BUILTIN_CONSTANTS = {"True": True, "False": False, "None": None}
# Names and attributes repeat thousands of times in a module (`self`, `sock`): one string object
# each, so the pickled summary stores each once and the solver's lookups compare identities.
_intern = sys.intern


class _ScopeBuilder:
    __slots__ = ("kind", "parent", "bindings", "globals", "nonlocals")

    def __init__(self, kind: str, parent: int) -> None:
        self.kind = kind
        self.parent = parent
        self.bindings: Dict[str, List[s.Binding]] = {}
        self.globals: List[str] = []
        self.nonlocals: List[str] = []

    def freeze(self) -> s.Scope:
        return s.Scope(self.kind, self.parent, {k: tuple(v) for k, v in self.bindings.items()},
                       tuple(self.globals), tuple(self.nonlocals))


class Extractor:
    def __init__(self, record_nodes: bool = False) -> None:
        self.scopes: List[_ScopeBuilder] = [_ScopeBuilder("module", -1)]
        self.functions: List[s.Function] = []
        self.classes: List[s.Class] = []
        self.constraints: List[s.Constraint] = []
        self.calls: List[s.CallSite] = []
        self.star_imports: List[Tuple[str, int]] = []
        self.imports: List[Tuple[str, int]] = []
        self.seqs = 0
        self.scope = 0
        self.func = -1
        self.cls = -1  # the class whose body is being walked directly
        self.call_nodes: Optional[List[cst.Call]] = [] if record_nodes else None
        self._class_fields: List[str] = []
        # a for loop's variable inside the loop's body: name -> (scope, the body's own name for it)
        self._loop_names: Dict[str, Tuple[int, str]] = {}
        self._loops = 0
        self._expr: Dict[type, Callable] = {
            cst.Name: self._name, cst.Attribute: self._attribute, cst.Call: self._call,
            cst.SimpleString: self._string, cst.ConcatenatedString: self._string,
            cst.FormattedString: self._fstring, cst.Integer: self._integer,
            cst.Tuple: self._seq, cst.List: self._seq, cst.Set: self._set, cst.Dict: self._dict,
            cst.Subscript: self._subscript, cst.Await: self._await, cst.Yield: self._yield,
            cst.BooleanOperation: self._boolean, cst.IfExp: self._ifexp, cst.NamedExpr: self._named,
            cst.BinaryOperation: self._binary, cst.UnaryOperation: self._unary,
            cst.Comparison: self._comparison, cst.Lambda: self._lambda,
            cst.ListComp: self._comprehension, cst.SetComp: self._comprehension,
            cst.GeneratorExp: self._comprehension, cst.DictComp: self._comprehension,
            cst.StarredElement: self._starred_value, cst.Ellipsis: self._nothing,
            cst.Float: self._nothing, cst.Imaginary: self._nothing,
        }

    # -- driving ---------------------------------------------------------------------------
    def module(self, tree: cst.Module) -> s.ModuleSummary:
        self.statements(tree.body)
        return self.summary()

    def statements(self, body: Sequence[cst.CSTNode]) -> None:
        """The next top-level statements of the module, in order (a module parsed in parts
        gives its parts one after another: the walk, and so every ordinal, is the same)."""
        self._body(body)

    def summary(self) -> s.ModuleSummary:
        return s.ModuleSummary(
            scopes=tuple(scope.freeze() for scope in self.scopes),
            functions=tuple(self.functions),
            classes=tuple(self.classes),
            constraints=tuple(self.constraints),
            calls=tuple(self.calls),
            star_imports=tuple(self.star_imports),
            imports=tuple(dict.fromkeys(self.imports)),
            seq_count=self.seqs,
        )

    def _body(self, statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            self._statement(statement)

    def _block(self, block) -> None:
        if isinstance(block, cst.IndentedBlock):
            self._body(block.body)
        elif isinstance(block, cst.SimpleStatementSuite):
            self._body(block.body)

    # -- bindings ----------------------------------------------------------------------------
    def _bind(self, name: str, binding: s.Binding, scope: Optional[int] = None) -> None:
        index = self.scope if scope is None else scope
        if name in self.scopes[index].globals:
            index = 0
        self.scopes[index].bindings.setdefault(name, []).append(binding)

    def _binding_scope(self) -> int:
        """Where a walrus binds: the nearest scope that is not a comprehension."""
        index = self.scope
        while self.scopes[index].kind == "comprehension":
            index = self.scopes[index].parent
        return index

    def _new_scope(self, kind: str) -> int:
        self.scopes.append(_ScopeBuilder(kind, self.scope))
        return len(self.scopes) - 1

    # -- statements --------------------------------------------------------------------------
    def _statement(self, node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.SimpleStatementLine:
            for small in node.body:
                self._small(small)
        elif kind is cst.FunctionDef:
            self._function_def(node)
        elif kind is cst.ClassDef:
            self._class_def(node)
        elif kind in (cst.If, cst.While):
            self.expr(node.test)
            self._block(node.body)
            if node.orelse is not None:
                self._statement(node.orelse)
        elif kind is cst.Else:
            self._block(node.body)
        elif kind is cst.For:
            self._for(node)
            if node.orelse is not None:
                self._statement(node.orelse)
        elif kind is cst.With:
            for item in node.items:
                value = self.expr(item.item)
                if item.asname is not None:
                    self.constraints.append(s.Store(self.target(item.asname.name), value, self.func))
            self._block(node.body)
        elif kind in (cst.Try, getattr(cst, "TryStar", cst.Try)):
            self._block(node.body)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self._bind(handler.name.name.value, s.Binding("assign"))
                self._block(handler.body)
            if node.orelse is not None:
                self._statement(node.orelse)
            if node.finalbody is not None:
                self._block(node.finalbody.body)
        elif kind is cst.Finally:
            self._block(node.body)
        elif hasattr(cst, "Match") and kind is cst.Match:
            self.expr(node.subject)
            for case in node.cases:
                self._pattern_names(case.pattern)
                if case.guard is not None:
                    self.expr(case.guard)
                self._block(case.body)

    def _for(self, node: cst.For) -> None:
        """`for name in iterable:` binds `name` for the whole function, but inside the body it is
        this loop's item (or what the body assigns to it): the body reads and writes a name of its
        own, copied into `name` for the code after the loop. A function that loops over its TCP
        sockets and then over its UDP sockets with one `sock` keeps the two apart."""
        iterable = self.expr(node.iter)
        name = node.target.value if isinstance(node.target, cst.Name) else None
        if name is None or self._loop_private(name) is not None or _bound_untracked(node.body, name):
            self.constraints.append(s.IterStore(self.target(node.target), iterable, self.func))
            self._block(node.body)
            return
        self._loops += 1
        private = f"{name}@for{self._loops}"  # not an identifier: no source name can meet it
        self._bind(name, s.Binding("assign"))
        self._bind(private, s.Binding("assign"))
        public_name, private_name = s.Name(_intern(name), self.scope), s.Name(private, self.scope)
        self.constraints.append(s.IterStore(private_name, iterable, self.func))
        self.constraints.append(s.Store(public_name, private_name, self.func))
        self._loop_names[name] = (self.scope, private)
        self._block(node.body)
        del self._loop_names[name]

    def _loop_private(self, name: str, scope: Optional[int] = None) -> Optional[str]:
        """The body's own name for a loop variable, when `name` is one in `scope` (default: here;
        not in a nested function: it reads the variable later, when the loop may have moved on)."""
        loop = self._loop_names.get(name)
        return loop[1] if loop is not None and loop[0] == (self.scope if scope is None else scope) else None

    def _pattern_names(self, pattern: cst.CSTNode) -> None:
        """Capture names of a `case` pattern are plain local bindings."""
        stack = [pattern]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.MatchAs) and node.name is not None:
                self._bind(node.name.value, s.Binding("assign"))
            elif isinstance(node, cst.MatchStar) and node.name is not None:
                self._bind(node.name.value, s.Binding("assign"))
            elif isinstance(node, cst.MatchMapping) and node.rest is not None:
                self._bind(node.rest.value, s.Binding("assign"))
            stack.extend(child for child in node.children if isinstance(child, cst.CSTNode))

    def _small(self, node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.Assign:
            value = self.expr(node.value)
            for target in node.targets:
                self._assign(target.target, value)
        elif kind is cst.Expr:
            self.expr(node.value)
        elif kind is cst.AnnAssign:
            if self.cls >= 0 and self.scopes[self.scope].kind == "class" and isinstance(node.target, cst.Name):
                self._class_fields.append(node.target.value)
            if node.value is not None:
                self._assign(node.target, self.expr(node.value))
            elif isinstance(node.target, cst.Name):
                self._bind(node.target.value, s.Binding("assign"))
        elif kind is cst.AugAssign:
            value = self.expr(node.value)
            target = self.target(node.target)
            if isinstance(node.operator, cst.AddAssign):  # `xs += [sock]` extends what xs holds
                self.constraints.append(s.Store(target, value, self.func))
        elif kind is cst.Return:
            if node.value is not None:
                value = self.expr(node.value)
                if self.func >= 0:
                    self.constraints.append(s.ReturnValue(self.func, value))
        elif kind is cst.Import:
            self._import(node)
        elif kind is cst.ImportFrom:
            self._import_from(node)
        elif kind is cst.Global:
            self.scopes[self.scope].globals.extend(item.name.value for item in node.names)
        elif kind is cst.Nonlocal:
            self.scopes[self.scope].nonlocals.extend(item.name.value for item in node.names)
        elif kind is cst.Raise:
            if node.exc is not None:
                self.expr(node.exc)
            if node.cause is not None:
                self.expr(node.cause.item)
        elif kind is cst.Assert:
            self.expr(node.test)
            if node.msg is not None:
                self.expr(node.msg)
        elif kind is cst.Del:
            self.expr(node.target)

    def _assign(self, target_node: cst.BaseExpression, value: s.Expr) -> None:
        target = self.target(target_node)
        if self.cls >= 0 and self.scopes[self.scope].kind == "class" and isinstance(target_node, cst.Name):
            self.constraints.append(s.ClassStore(self.cls, target_node.value, value, self.func))
        self.constraints.append(s.Store(target, value, self.func))

    def _import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            self.imports.append((dotted, 0))
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, s.Binding("import", dotted=dotted))
            else:
                top = dotted.split(".")[0]
                self._bind(top, s.Binding("import", dotted=top))

    def _import_from(self, node: cst.ImportFrom) -> None:
        module = _dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        self.imports.append((module, level))
        if isinstance(node.names, cst.ImportStar):
            self.star_imports.append((module, level))
            return
        for alias in node.names:
            member = _dotted(alias.name)
            self.imports.append((f"{module}.{member}" if module else member, level))
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                else member
            self._bind(local, s.Binding("from", dotted=module, level=level, member=member))

    def _params(self, params: cst.Parameters, owner: int) -> Tuple[Tuple[str, bool], ...]:
        out = []
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            has_default = param.default is not None
            if has_default:
                # defaults are evaluated where the function is defined
                self.constraints.append(s.ParamDefault(owner, param.name.value, self.expr(param.default), self.func))
            out.append((param.name.value, has_default))
        return tuple(out)

    def _function_def(self, node: cst.FunctionDef) -> None:
        decorators = []
        decorator_exprs = []
        for decorator in node.decorators:
            decorator_exprs.append(self.expr(decorator.decorator))
            decorators.append(_decorator_name(decorator))
        index = len(self.functions)
        self.functions.append(None)  # reserve the index: the body may define more functions
        params = self._params(node.params, index)
        self._bind(node.name.value, s.Binding("def", index=index))
        outer = (self.scope, self.func, self.cls)
        scope = self._new_scope("function")
        self.scope, self.func, self.cls = scope, index, -1
        for name, _ in params:
            self._bind(name, s.Binding("assign"))
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                self._bind(star.name.value, s.Binding("assign"))
        self._block(node.body)
        self.scope, self.func, self.cls = outer
        star = node.params.star_arg.name.value if isinstance(node.params.star_arg, cst.Param) else ""
        self.functions[index] = s.Function(node.name.value, self.cls if self.scopes[self.scope].kind == "class" else -1,
                                           params, scope, "staticmethod" in decorators, tuple(decorator_exprs), star)

    def _class_def(self, node: cst.ClassDef) -> None:
        for decorator in node.decorators:
            self.expr(decorator.decorator)
        bases = tuple(self.expr(arg.value) for arg in node.bases)
        for keyword in node.keywords:
            self.expr(keyword.value)
        index = len(self.classes)
        self.classes.append(None)
        self._bind(node.name.value, s.Binding("class", index=index))
        outer = (self.scope, self.func, self.cls, getattr(self, "_class_fields", None))
        scope = self._new_scope("class")
        self.scope, self.cls = scope, index
        self._class_fields: List[str] = []
        first_function = len(self.functions)
        self._block(node.body)
        fields = tuple(self._class_fields)
        self.scope, self.func, self.cls, self._class_fields = outer
        methods: Dict[str, int] = {}
        for position in range(first_function, len(self.functions)):
            function = self.functions[position]
            if function is not None and function.cls == index:
                methods.setdefault(function.name, position)
        self.classes[index] = s.Class(node.name.value, bases, methods, fields, scope)

    # -- assignment targets --------------------------------------------------------------------
    def target(self, node: cst.BaseExpression):
        kind = type(node)
        if kind is cst.Name:
            private = self._loop_private(node.value) if self._loop_names else None
            self._bind(private or node.value, s.Binding("assign"))
            return s.Name(private or _intern(node.value), self.scope)
        if kind in (cst.Tuple, cst.List):
            elements = tuple(self.target(e.value) for e in node.elements)
            starred = tuple(isinstance(e, cst.StarredElement) for e in node.elements)
            return s.Seq(elements, starred, -1)
        if kind is cst.StarredElement:
            return s.Starred(self.target(node.value))
        if kind is cst.Attribute:
            return s.Attr(self.expr(node.value), _intern(node.attr.value))
        if kind is cst.Subscript:
            return self._subscript(node)
        self.expr(node)
        return s.OTHER

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node: Optional[cst.BaseExpression]) -> s.Expr:
        if node is None:
            return s.OTHER
        handler = self._expr.get(type(node))
        if handler is None:
            return s.OTHER
        return handler(node)

    def _nothing(self, node) -> s.Expr:
        return s.OTHER

    def _name(self, node: cst.Name) -> s.Expr:
        if node.value in _BUILTIN_CONSTANTS:
            return s.Const(_BUILTIN_CONSTANTS[node.value])
        private = self._loop_private(node.value) if self._loop_names else None
        return s.Name(private or _intern(node.value), self.scope)

    def _attribute(self, node: cst.Attribute) -> s.Expr:
        return s.Attr(self.expr(node.value), _intern(node.attr.value))

    def _call(self, node: cst.Call) -> s.Expr:
        site = len(self.calls)
        self.calls.append(None)  # reserve: nested calls come after this one
        if self.call_nodes is not None:
            self.call_nodes.append(node)
        func = self.expr(node.func)
        args = tuple(s.Arg(self.expr(a.value), a.keyword.value if a.keyword is not None else None, a.star)
                     for a in node.args)
        call = s.Call(func, args, site)
        self.calls[site] = s.CallSite(call, self.func)
        return call

    def _string(self, node) -> s.Expr:
        try:
            value = node.evaluated_value
        except Exception:  # a literal libcst cannot evaluate (odd escapes) carries no value for us
            return s.OTHER
        if isinstance(value, bytes):
            return s.Const("") if value == b"" else s.OTHER
        return s.Const(value) if isinstance(value, str) else s.OTHER

    def _fstring(self, node: cst.FormattedString) -> s.Expr:
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                parts.append(self.expr(part.expression))
            elif isinstance(part, cst.FormattedStringText):
                parts.append(s.Const(part.value))
        return s.Concat(tuple(parts), None)

    def _integer(self, node: cst.Integer) -> s.Expr:
        try:
            return s.Const(node.evaluated_value)
        except ValueError:
            return s.OTHER

    def _seq(self, node) -> s.Expr:
        elements = tuple(self.expr(e.value) for e in node.elements)
        starred = tuple(isinstance(e, cst.StarredElement) for e in node.elements)
        site = self.seqs
        self.seqs += 1
        return s.Seq(elements, starred, site)

    def _set(self, node: cst.Set) -> s.Expr:
        return s.Union(tuple(self.expr(e.value) for e in node.elements))

    def _dict(self, node: cst.Dict) -> s.Expr:
        keys, values = [], []
        for element in node.elements:
            keys.append(self.expr(element.key) if isinstance(element, cst.DictElement) else None)
            values.append(self.expr(element.value))
        site = self.seqs
        self.seqs += 1
        return s.DictDisplay(tuple(keys), tuple(values), site)

    def _subscript(self, node: cst.Subscript) -> s.Expr:
        value = self.expr(node.value)
        index = None
        keys = []
        for element in node.slice:
            inner = element.slice
            if isinstance(inner, cst.Index):
                keys.append(self.expr(inner.value))
            elif isinstance(inner, cst.Slice):
                for part in (inner.lower, inner.upper, inner.step):
                    self.expr(part)
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            literal = node.slice[0].slice.value
            if isinstance(literal, cst.Integer):
                index = _int(literal)
            elif isinstance(literal, cst.UnaryOperation) and isinstance(literal.operator, cst.Minus) \
                    and isinstance(literal.expression, cst.Integer):
                inner_value = _int(literal.expression)
                index = -inner_value if inner_value is not None else None
        return s.Subscript(value, index, tuple(keys))

    def _await(self, node: cst.Await) -> s.Expr:
        return s.Union((self.expr(node.expression),))

    def _yield(self, node: cst.Yield) -> s.Expr:
        value = node.value
        if isinstance(value, cst.From):
            return s.Union((self.expr(value.item),))
        inner = self.expr(value) if isinstance(value, cst.BaseExpression) else s.OTHER
        if self.func >= 0 and inner is not s.OTHER:
            self.constraints.append(s.ReturnValue(self.func, inner))
        return s.Union((inner,))

    def _boolean(self, node: cst.BooleanOperation) -> s.Expr:
        return s.Union((self.expr(node.left), self.expr(node.right)))

    def _ifexp(self, node: cst.IfExp) -> s.Expr:
        self.expr(node.test)
        return s.Union((self.expr(node.body), self.expr(node.orelse)))

    def _named(self, node: cst.NamedExpr) -> s.Expr:
        value = self.expr(node.value)
        if isinstance(node.target, cst.Name):
            scope = self._binding_scope()
            name = self._loop_private(node.target.value, scope) or node.target.value
            self._bind(name, s.Binding("assign"), scope)
            self.constraints.append(s.Store(s.Name(name, scope), value, self.func))
        return s.Union((value,))

    def _binary(self, node: cst.BinaryOperation) -> s.Expr:
        left, right = self.expr(node.left), self.expr(node.right)
        operator = type(node.operator)
        if operator is cst.BitOr:
            return s.Union((left, right))
        if operator is cst.Add:
            text = left.value + right.value if _both_text(left, right) else None
            return s.Concat((left, right), text)
        if operator is cst.Modulo and isinstance(left, s.Const) and isinstance(left.value, str):
            parts = _percent_parts(left.value, right)
            return s.Concat(parts, _format_percent(left.value, right)) if parts is not None else s.OTHER
        return s.OTHER

    def _unary(self, node: cst.UnaryOperation) -> s.Expr:
        inner = self.expr(node.expression)
        if isinstance(node.operator, cst.Minus) and isinstance(inner, s.Const) and type(inner.value) is int:
            return s.Const(-inner.value)
        return s.OTHER

    def _comparison(self, node: cst.Comparison) -> s.Expr:
        self.expr(node.left)
        for target in node.comparisons:
            self.expr(target.comparator)
        return s.OTHER

    def _lambda(self, node: cst.Lambda) -> s.Expr:
        index = len(self.functions)
        self.functions.append(None)
        params = self._params(node.params, index)
        outer = (self.scope, self.func)
        scope = self._new_scope("function")
        self.scope, self.func = scope, index
        for name, _ in params:
            self._bind(name, s.Binding("assign"))
        body = self.expr(node.body)
        self.constraints.append(s.ReturnValue(index, body))
        self.scope, self.func = outer
        self.functions[index] = s.Function("<lambda>", -1, params, scope, False)
        return s.Lambda(index)

    def _comprehension(self, node) -> s.Expr:
        outer = self.scope
        first = node.for_in
        first_iter = self.expr(first.iter)  # the first iterable is evaluated outside
        self.scope = self._new_scope("comprehension")
        clause, iterable = first, first_iter
        while clause is not None:
            if clause is not first:
                iterable = self.expr(clause.iter)
            target = self.target(clause.target)
            self.constraints.append(s.IterStore(target, iterable, self.func))
            for condition in clause.ifs:
                self.expr(condition.test)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            result = s.Union((self.expr(node.key), self.expr(node.value)))
        else:
            result = s.Union((self.expr(node.elt),))
        self.scope = outer
        return result

    def _starred_value(self, node: cst.StarredElement) -> s.Expr:
        return self.expr(node.value)


def _int(node: cst.Integer) -> Optional[int]:
    try:
        return node.evaluated_value
    except ValueError:
        return None


def _both_text(left: s.Expr, right: s.Expr) -> bool:
    return isinstance(left, s.Const) and isinstance(right, s.Const) and isinstance(left.value, str) \
        and isinstance(right.value, str)


def _format_percent(template: str, right: s.Expr) -> Optional[str]:
    values = right.elements if isinstance(right, s.Seq) else (right,)
    if not all(isinstance(v, s.Const) for v in values):
        return None
    try:
        return template % tuple(v.value for v in values)
    except (TypeError, ValueError):
        return None


_CONVERSION = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdirfxXoeEgGc%]")


def _percent_parts(template: str, right: s.Expr) -> Optional[Tuple[s.Expr, ...]]:
    """`"%s:%d" % (host, port)` as the parts of an f-string: the template's text and the values
    in order. None for what this does not read (`%(name)s`, `*` widths, a count that differs)."""
    values = right.elements if isinstance(right, s.Seq) and not any(right.starred) else (right,)
    parts: List[s.Expr] = []
    position = 0
    for match in _CONVERSION.finditer(template):
        text = template[position:match.start()]
        position = match.end()
        if match.group() == "%%":
            text += "%"
        elif not values:
            return None
        if text:
            parts.append(s.Const(text))
        if match.group() != "%%":
            parts.append(values[0])
            values = values[1:]
    if values or "%" in template[position:].replace("%%", ""):
        return None
    if template[position:]:
        parts.append(s.Const(template[position:].replace("%%", "%")))
    return tuple(parts)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def summarise(tree: cst.Module) -> s.ModuleSummary:
    return Extractor().module(tree)


def summarise_parts(parts: Iterable[cst.Module]) -> s.ModuleSummary:
    """The summary of a module parsed as consecutive parts of its top-level statements
    (`parsing.parse_in_parts`): each part's tree is walked and dropped before the next is parsed."""
    extractor = Extractor()
    for part in parts:
        extractor.statements(part.body)
    return extractor.summary()


def call_nodes(tree: cst.Module) -> List[cst.Call]:
    """The tree's calls by ordinal, as `summarise` numbers them."""
    extractor = Extractor(record_nodes=True)
    extractor.module(tree)
    return extractor.call_nodes or []


# -- loop bodies -----------------------------------------------------------------------------------
_HANDLERS = (cst.ExceptHandler,) + ((cst.ExceptStarHandler,) if hasattr(cst, "ExceptStarHandler") else ())
_NESTED_STATEMENTS = (cst.BaseCompoundStatement, cst.BaseSuite, cst.Else, cst.Finally, cst.SimpleStatementLine) + _HANDLERS


def _bound_untracked(body: cst.BaseSuite, name: str) -> bool:
    """Whether the loop body binds `name` other than by an assignment target (imports,
    definitions, `global`, `except ... as`, match patterns, an inner loop over the same name):
    those bind the function's name itself, so the body cannot have a name of its own for it."""
    stack: List[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            if any(name in _small_untracked_names(small) for small in node.body):
                return True
            continue
        if name in _compound_untracked_names(node):
            return True
        if hasattr(cst, "Match") and isinstance(node, cst.Match):
            return True  # capture patterns bind names: not worth telling apart
        stack.extend(child for child in node.children if isinstance(child, _NESTED_STATEMENTS))
    return False


def _small_untracked_names(node: cst.CSTNode) -> List[str]:
    kind = type(node)
    if kind in (cst.Global, cst.Nonlocal):
        return [item.name.value for item in node.names]
    if kind in (cst.Import, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        return [_alias_name(alias) for alias in node.names]
    return []


def _compound_untracked_names(node: cst.CSTNode) -> List[str]:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return [node.name.value]
    if isinstance(node, cst.For):
        return _target_names(node.target)
    if isinstance(node, _HANDLERS) and node.name is not None and isinstance(node.name.name, cst.Name):
        return [node.name.name.value]
    return []



def _target_names(node: cst.CSTNode) -> List[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for element in node.elements for n in _target_names(element.value)]
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return []  # an attribute or a subscript binds no name


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = alias.name
    while isinstance(name, cst.Attribute):  # `import a.b` binds `a`
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""
