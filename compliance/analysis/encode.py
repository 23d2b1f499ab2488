"""Expressions of the rules language as symbolic values over one symbolic document: the
:class:`Encoder` that :mod:`compliance.analysis.outcomes` turns whole rules into formulas with.

Each construct follows the scalar evaluator (``compliance/evaluate/scalar.py``): Kleene logic over
present/value pairs, ``and``/``or`` that skip their right side when the left decides (so an error
on the right does not happen), the fields the ruleset's assumptions fill read as their defaults,
``stated()`` and ``either()``, calendar months on document dates, map lookups by category and
``any``/``all``/``count`` over closed collections. Anything else raises :class:`Unsupported`,
unless it is a function of one text or list field alone, which :mod:`compliance.analysis.texts`
tabulates.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Union

import z3

from compliance.analysis.calendar import shift_months
from compliance.analysis.document import SymbolicDocument
from compliance.analysis.schema import Field
from compliance.analysis.symbolic import (
    FALSE,
    TRUE,
    Const,
    Sym,
    Unsupported,
    absolute,
    arith,
    boolean,
    choose,
    compare,
    equal_const,
    lift,
    negate,
)
from compliance.analysis.texts import PROSE_FUNCTIONS, TEXT_FUNCTIONS, Tab, TextEncoding
from compliance.dsl import ast
from compliance.dsl.units import Duration
from compliance.evaluate.values import MISSING
from compliance.records import field, record, replace

Path = tuple[str, ...]


@record
class Node:
    """A record, map or list of the document, not yet read down to a value."""

    path: tuple[str, ...]
    field: Field


Value = Union[Sym, Const, Node]


@record(frozen=False)
class Encoder(TextEncoding):
    document: SymbolicDocument
    params: Mapping[str, Any]
    as_of: _dt.date
    # Fields the ruleset's assumptions fill when the document does not state them: path -> value.
    assumed: Mapping[Path, Any] = field(default_factory=dict)
    used_text: list[str] = field(default_factory=list)
    used_prose: list[str] = field(default_factory=list)
    restrictions: list[Any] = field(default_factory=list)

    # ---- the document as the rules read it (after the assumptions) -------------------------------
    def present(self, path: Path) -> Any:
        """Whether the field is there once the assumptions have filled the document in: a field
        an assumption covers, and each section on its way, always is."""
        if any(assumed[:len(path)] == path for assumed in self.assumed):
            return TRUE
        return self.document.present(path)

    def leaf(self, path: Path) -> Sym:
        raw = self.document.leaf(path)
        if path not in self.assumed:
            return raw
        default = self._lift(self.assumed[path])
        if isinstance(default, Const) or default.kind != raw.kind or default.margin is not None:
            raise Unsupported(f"assumes a {getattr(default, 'kind', 'list')} for {'.'.join(path)}")

        def pick(stated: Any, otherwise: Any) -> Any:
            return None if stated is None else z3.If(raw.present, stated, otherwise)
        return Sym(raw.kind, TRUE, z3.If(raw.present, raw.value, default.value), FALSE, None,
                   pick(raw.months, default.months), pick(raw.currency, default.currency), path=path)

    # ---- expressions -----------------------------------------------------------------------------
    def value(self, expr: ast.Expr, env: Mapping[str, Value]) -> Value:
        method = getattr(self, "v_" + type(expr).__name__.lower(), None)
        try:
            if method is None:
                raise Unsupported(f"uses {type(expr).__name__.lower()} expressions")
            return method(expr, env)  # type: ignore[no-any-return]
        except Unsupported:
            # Outside the fragment, but perhaps a function of one text or list field alone.
            found = self.tabulate(expr, env) if not isinstance(expr, (ast.Name, ast.Attr)) else None
            if found is None:
                raise
            return found  # type: ignore[no-any-return]

    def sym(self, expr: ast.Expr, env: Mapping[str, Value]) -> Sym:
        found = self.value(expr, env)
        if isinstance(found, Node):
            return self._read(found)
        if isinstance(found, Const):
            raise Unsupported("uses a list or map as a value")
        return found

    def condition(self, expr: ast.Expr, env: Mapping[str, Value]) -> Sym:
        found = self.sym(expr, env)
        if found.kind != "bool" and not z3.is_false(z3.simplify(found.present)):
            raise Unsupported("uses a value that is not true/false as a condition")
        if found.kind != "bool":   # a missing parameter: unknown
            return Sym("bool", FALSE, FALSE, found.err)
        return found

    def _read(self, node: Node) -> Sym:
        if node.field.kind in ("record", "map", "set", "list"):
            raise Unsupported(f"reads {'.'.join(node.path)} as a whole")
        return self.leaf(node.path)

    def _lift(self, value: Any) -> Sym | Const:
        return lift(value, self.document.strings)

    def v_literal(self, expr: ast.Literal, env: Mapping[str, Value]) -> Value:
        return self._lift(expr.value)

    def v_name(self, expr: ast.Name, env: Mapping[str, Value]) -> Value:
        if expr.name in env:
            return env[expr.name]
        if expr.name in self.params:
            return self._lift(self.params[expr.name])
        if expr.name == "as_of":
            return self._lift(self.as_of)
        return self._child(Node((), self.document.root), expr.name)

    def _child(self, node: Node, key: str) -> Value:
        inner = node.field.children.get(key) if node.field.kind in ("record", "map") else None
        if inner is None:
            return self._lift(MISSING)
        path = node.path + (key,)
        if inner.kind in ("record", "map", "set", "list"):
            return Node(path, inner)
        return self.leaf(path)

    def v_attr(self, expr: ast.Attr, env: Mapping[str, Value]) -> Value:
        target = self.value(expr.target, env)
        if isinstance(target, Node):
            return self._child(target, expr.name)
        if isinstance(target, Const):
            found = target.value.get(expr.name, MISSING) if isinstance(target.value, dict) else MISSING
            return self._lift(found)
        return self._lift(MISSING) if z3.is_false(z3.simplify(target.present)) else _no(
            "reads a field of a value")

    def v_index(self, expr: ast.Expr, env: Mapping[str, Value]) -> Value:
        assert isinstance(expr, ast.Index)
        target = self.value(expr.target, env)
        key = self.value(expr.index, env)
        if isinstance(key, (Node, Const)):
            raise Unsupported("indexes with a list or map")
        if key.const is not None and isinstance(key.const, str):
            if isinstance(target, Node):
                return self._child(target, key.const)
            if isinstance(target, Const) and isinstance(target.value, dict):
                return self._lift(target.value.get(key.const, MISSING))
        if isinstance(target, Const) and isinstance(target.value, dict) and key.kind == "string":
            cases = []
            for name, item in target.value.items():
                lifted = self._lift(item)
                if isinstance(lifted, Const):
                    raise Unsupported("looks up a list or map by a document value")
                cases.append((key.value == self.document.strings.code(name), lifted))
            found = choose(cases)
            return Sym(found.kind, z3.And(key.present, found.present), found.value,
                       z3.Or(key.err, z3.And(key.present, found.err)), found.margin, found.months,
                       found.currency)
        if isinstance(target, Node) and target.field.kind == "map" and key.kind == "string":
            cases = [(key.value == self.document.strings.code(name), self.leaf(target.path + (name,)))
                     for name in target.field.children]
            found = choose(cases)
            return Sym(found.kind, z3.And(key.present, found.present), found.value, key.err,
                       found.margin, found.months, found.currency)
        raise Unsupported("indexes a list, or a map by a computed key")

    def v_negate(self, expr: ast.Negate, env: Mapping[str, Value]) -> Value:
        return negate(self.sym(expr.operand, env))

    def v_arith(self, expr: ast.Arith, env: Mapping[str, Value]) -> Value:
        left, right = self.sym(expr.left, env), self.sym(expr.right, env)
        if left.kind == "date" and right.kind == "duration" and expr.op in "+-" and left.const is None \
                and isinstance(right.const, Duration) and right.const.unit == "months":
            return self._shift_months(left, right, expr.op)
        return arith(expr.op, left, right)

    def _shift_months(self, date: Sym, by: Sym, op: str) -> Sym:
        """A document date plus (or minus) a constant number of calendar months."""
        if date.path is None or date.path in self.assumed:
            raise Unsupported("adds calendar months to a computed date")
        year, month, day = self.document.civil(date.path)
        months = by.const.amount if op == "+" else -by.const.amount
        return Sym("date", z3.And(date.present, by.present), shift_months(year, month, day, months),
                   z3.Or(date.err, by.err))

    def v_compare(self, expr: ast.Compare, env: Mapping[str, Value]) -> Value:
        if expr.op in ("in", "not in"):
            found = self._member(expr, env)
            if expr.op == "not in":
                found = Sym("bool", found.present, z3.Not(found.value), found.err)
            return found
        left, right = self.value(expr.left, env), self.value(expr.right, env)
        if isinstance(left, Const) and isinstance(right, Const):
            from compliance.evaluate.values import compare_op
            return self._lift(compare_op(expr.op, left.value, right.value))
        left, right = self._as_sym(left), self._as_sym(right)
        if left.kind == right.kind == "leverage" and (left.margin is None) != (right.margin is None):
            left, right = self._in_margin(left), self._in_margin(right)
        return compare(expr.op, left, right)

    def _in_margin(self, sym: Sym) -> Sym:
        """A leverage ratio as the margin units.margin_for_leverage rounds it to (half-up to
        0.01 percentage point): k with (k - 1/2)·L <= 10000 < (k + 1/2)·L, margin k/10000."""
        if sym.margin is not None or sym.const is not None:
            return sym
        self.document.fresh += 1
        k = z3.Int(f"margin {self.document.fresh} in basis points")
        half = z3.RealVal("0.5")
        self.document.constraints.append(z3.Implies(sym.value > 0, z3.And(
            (z3.ToReal(k) - half) * sym.value <= 10000, 10000 < (z3.ToReal(k) + half) * sym.value)))
        return Sym(sym.kind, sym.present, sym.value, z3.Or(sym.err, z3.And(sym.present, sym.value <= 0)),
                   margin=z3.ToReal(k) / 10000, path=sym.path)

    def _as_sym(self, value: Value) -> Sym:
        if isinstance(value, Node):
            return self._read(value)
        if isinstance(value, Const):
            raise Unsupported("compares lists or maps")
        return value

    def _member(self, expr: ast.Compare, env: Mapping[str, Value]) -> Sym:
        item = self.sym(expr.left, env)
        collection = self.value(expr.right, env)
        strings = self.document.strings
        if isinstance(collection, Tab):
            return self.member_of_tab(item, collection)
        if isinstance(collection, Const):
            if isinstance(collection.value, dict):
                if item.kind != "string":
                    return Sym("bool", item.present, FALSE, item.err)
                holds = z3.Or([item.value == strings.code(k) for k in collection.value] or [FALSE])
            else:
                found = [equal_const(item, candidate, strings) for candidate in collection.value]
                holds = z3.Or([f for f in found if f is not None] or [FALSE])
            return Sym("bool", item.present, holds, item.err)
        if isinstance(collection, Node) and item.kind == "string":
            present = z3.And(item.present, self.present(collection.path))
            if collection.field.kind == "map":
                holds = z3.Or([z3.And(item.value == strings.code(k), self.present(collection.path + (k,)))
                               for k in collection.field.children] or [FALSE])
                return Sym("bool", present, holds, item.err)
            if collection.field.kind == "set":
                holds = z3.Or([z3.And(item.value == strings.code(k), self.document.member(collection.path, k))
                               for k in collection.field.domain or ()] or [FALSE])
                return Sym("bool", present, holds, item.err)
        if isinstance(collection, Sym) and z3.is_false(z3.simplify(collection.present)):
            return Sym("bool", FALSE, FALSE, item.err)
        raise Unsupported("looks for a value in a list of the document")

    def v_boolop(self, expr: ast.BoolOp, env: Mapping[str, Value]) -> Value:
        left = self.condition(expr.left, env)
        right = self.condition(expr.right, env)
        if expr.op == "and":
            return boolean(z3.And(left.true, right.true), z3.Or(left.false, right.false),
                           z3.Or(left.err, z3.And(z3.Not(left.false), right.err)))
        return boolean(z3.Or(left.true, right.true), z3.And(left.false, right.false),
                       z3.Or(left.err, z3.And(z3.Not(left.true), right.err)))

    def v_not(self, expr: ast.Not, env: Mapping[str, Value]) -> Value:
        inner = self.condition(expr.operand, env)
        return Sym("bool", inner.present, z3.Not(inner.value), inner.err)

    def v_exists(self, expr: ast.Exists, env: Mapping[str, Value]) -> Value:
        target = self.value(expr.target, env)
        if isinstance(target, Node):
            present = self.present(target.path)
            err = FALSE
        elif isinstance(target, Const):
            present, err = TRUE, FALSE
        else:
            present, err = target.present, target.err
        return Sym("bool", TRUE, z3.Not(present) if expr.negated else present, err)

    def v_listexpr(self, expr: ast.ListExpr, env: Mapping[str, Value]) -> Value:
        items = []
        for item in expr.items:
            found = self.value(item, env)
            if not isinstance(found, Sym) or found.const is None:
                raise Unsupported("builds a list of document values")
            items.append(found.const)
        return Const(items)

    def v_call(self, expr: ast.Call, env: Mapping[str, Value]) -> Value:
        from compliance.evaluate.builtins import REGISTRY

        if expr.name in TEXT_FUNCTIONS:
            return self.text_call(expr, env)
        if expr.name in PROSE_FUNCTIONS:
            raise Unsupported(f"uses {expr.name}()")
        args = [self.value(arg, env) for arg in expr.args]
        if expr.name == "stated":
            return self._stated(args[0])
        if expr.name == "either":
            return self._either(args[0], args[1])
        if all(isinstance(a, Const) or isinstance(a, Sym) and (a.const is not None or
                                                                z3.is_false(z3.simplify(a.present)))
               for a in args):
            values = [a.value if isinstance(a, Const) else a.const if a.const is not None else MISSING
                      for a in args]
            return self._lift(REGISTRY[expr.name].scalar(*values))
        if expr.name == "length" and isinstance(args[0], Node) and args[0].field.kind in ("set", "list"):
            node = args[0]
            return Sym("number", self.present(node.path), self.document.length(node.path))
        syms = [self._as_sym(a) for a in args]
        if expr.name == "length" and syms[0].kind == "string" and syms[0].path is not None:
            return self.text_length(syms[0])
        if expr.name == "leverage_of" and len(syms) == 1:
            margin = syms[0]
            return Sym("leverage", margin.present, 1 / margin.value,
                       z3.Or(margin.err, z3.And(margin.present, margin.value <= 0)), margin=margin.value)
        if expr.name == "leverage_of" and len(syms) == 2:
            exposure, equity = syms
            present = z3.And(exposure.present, equity.present)
            return Sym("leverage", z3.And(present, equity.value > 0), exposure.value / equity.value,
                       z3.Or(exposure.err, equity.err, z3.And(present, exposure.currency != equity.currency)))
        if expr.name == "margin_of" and syms[0].margin is not None:
            return Sym("percent", syms[0].present, syms[0].margin, syms[0].err)
        if expr.name == "abs":
            return absolute(syms[0])
        if expr.name == "days_between":
            start, end = syms
            return Sym("number", z3.And(start.present, end.present), z3.ToReal(end.value - start.value),
                       z3.Or(start.err, end.err))
        raise Unsupported(f"uses {expr.name}() on document values")

    def _stated(self, value: Value) -> Sym:
        """``stated(x)``: true when x is there, else missing (never false)."""
        if isinstance(value, Node):
            return Sym("bool", self.present(value.path), TRUE)
        if isinstance(value, Const):
            return Sym("bool", TRUE, TRUE, const=True)
        if isinstance(value, Tab):
            raise Unsupported("uses stated() of a value read from prose")
        return Sym("bool", value.present, TRUE, value.err)

    def _either(self, first: Value, second: Value) -> Sym:
        """``either(a, b)``: a when it is there, else b. The evaluator computes both arguments
        before the call, so an error in either one is an error."""
        a, b = self._as_sym(first), self._as_sym(second)
        err = z3.Or(a.err, b.err)
        if z3.is_true(z3.simplify(a.present)) or z3.is_false(z3.simplify(b.present)):
            return replace(a, err=err)
        if z3.is_false(z3.simplify(a.present)):
            return replace(b, err=err)
        if a.kind != b.kind or (a.margin is None) != (b.margin is None):
            raise Unsupported(f"uses either() on values of different units ({a.kind}, {b.kind})")

        def pick(x: Any, y: Any) -> Any:
            return None if x is None or y is None else z3.If(a.present, x, y)
        return Sym(a.kind, z3.Or(a.present, b.present), z3.If(a.present, a.value, b.value), err,
                   pick(a.margin, b.margin), pick(a.months, b.months), pick(a.currency, b.currency))

    def v_quantifier(self, expr: ast.Quantifier, env: Mapping[str, Value]) -> Value:
        collection = self.value(expr.collection, env)
        items, present = self.elements(collection)
        bodies = [(exists, self.value(expr.body, {**env, expr.var: element})) for exists, element in items]
        if expr.kind in ("any", "all"):
            conds = [(exists, self._cond_of(body)) for exists, body in bodies]
            err = z3.Or([z3.And(e, b.err) for e, b in conds] or [FALSE])
            some_true = z3.Or([z3.And(e, b.true) for e, b in conds] or [FALSE])
            some_false = z3.Or([z3.And(e, b.false) for e, b in conds] or [FALSE])
            some_unknown = z3.Or([z3.And(e, b.unknown) for e, b in conds] or [FALSE])
            if expr.kind == "any":
                true, false = some_true, z3.And(z3.Not(some_true), z3.Not(some_unknown))
            else:
                false, true = some_false, z3.And(z3.Not(some_false), z3.Not(some_unknown))
            return Sym("bool", z3.And(present, z3.Or(true, false)), true, z3.And(present, err))
        if expr.kind == "count":
            conds = [(exists, self._cond_of(body)) for exists, body in bodies]
            weights = self._multiplicities(collection, len(conds))
            total = z3.Sum([z3.If(z3.And(e, b.true), w, z3.RealVal(0)) for (e, b), w in zip(conds, weights)]
                           or [z3.RealVal(0)])
            err = z3.Or([z3.And(e, b.err) for e, b in conds] or [FALSE])
            return Sym("number", present, total, z3.And(present, err))
        raise Unsupported(f"uses {expr.kind}()")

    def _multiplicities(self, collection: Value, size: int) -> list[Any]:
        """How often each element occurs: once, except in a list of a closed vocabulary."""
        if isinstance(collection, Node) and collection.field.kind == "set":
            return [z3.ToReal(self.document.count(collection.path, k)) for k in collection.field.domain or ()]
        return [z3.RealVal(1)] * size

    def _cond_of(self, body: Value) -> Sym:
        if not isinstance(body, Sym) or body.kind != "bool":
            raise Unsupported("uses a quantifier whose condition is not true/false")
        return body

    def elements(self, collection: Value) -> tuple[list[tuple[Any, Value]], Any]:
        """(exists, element) pairs of a collection, and whether the collection is present."""
        if isinstance(collection, Const):
            values = collection.value.values() if isinstance(collection.value, dict) else collection.value
            return [(TRUE, self._lift(v)) for v in values], TRUE
        if isinstance(collection, Node):
            present = self.present(collection.path)
            if collection.field.kind == "map":
                return [(self.present(collection.path + (k,)), self._child(collection, k))
                        for k in collection.field.children], present
            if collection.field.kind == "set":
                return [(self.document.member(collection.path, k), self._lift(k))
                        for k in collection.field.domain or ()], present
            if collection.field.kind == "list" and collection.field.element is not None \
                    and collection.field.element.kind == "string":
                raise Unsupported(f"goes over the texts of {'.'.join(collection.path)}")
            raise Unsupported(f"goes over the list {'.'.join(collection.path)}, which has no bound")
        if isinstance(collection, Sym) and z3.is_false(z3.simplify(collection.present)):
            return [], FALSE
        raise Unsupported("goes over a value that is not a list or map")

    def keyed(self, collection: Value) -> list[tuple[Any, Any, Value]]:
        """(exists, key, element) for ``for each K, V in map``."""
        if isinstance(collection, Const) and isinstance(collection.value, dict):
            return [(TRUE, self._lift(k), self._lift(v)) for k, v in collection.value.items()]
        if isinstance(collection, Node) and collection.field.kind == "map":
            return [(self.present(collection.path + (k,)), self._lift(k), self._child(collection, k))
                    for k in collection.field.children]
        if isinstance(collection, Const):
            return [(TRUE, self._lift(i), self._lift(v)) for i, v in enumerate(collection.value)]
        items, _present = self.elements(collection)
        return [(exists, element, element) for exists, element in items]


def _no(reason: str) -> Any:
    raise Unsupported(reason)

