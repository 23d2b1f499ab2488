"""Rules as SMT formulas: for each rule, the documents on which it fails, passes, does not apply,
or cannot be decided because the document is silent (``not_stated``).

The encoding follows the scalar evaluator step by step (``compliance/evaluate/scalar.py``): Kleene
logic over present/value pairs, ``and``/``or`` that skip their right side when the left decides
(so an error on the right does not happen), the first exception whose ``when`` holds, a failed
subject on any ``UnitError``, and ``for each`` over a map of a closed key set (or a list of a closed
vocabulary) as one subject per key. Parameters are constants in force on the run's ``as_of``.
Anything else raises :class:`Unsupported`, and the rule is reported as not analysed.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import z3

from compliance.analysis.document import SymbolicDocument
from compliance.analysis.schema import Field
from compliance.analysis.symbolic import (FALSE, TRUE, Const, Sym, Unsupported, absolute, arith,
                                          boolean, choose, compare, equal_const, lift, negate)
from compliance.dsl import ast
from compliance.dsl.checker import CheckedRule
from compliance.evaluate.values import MISSING

TEXT_FUNCTIONS = ("mentions", "mentions_all", "matches")


@dataclass(frozen=True)
class Node:
    """A record, map or list of the document, not yet read down to a value."""

    path: tuple[str, ...]
    field: Field


Value = Union[Sym, Const, Node]


def silence_breaches(rule: Any) -> bool:
    """Whether an undecidable requirement is a breach (``failed``) rather than ``not_stated``:
    when the rule says silence is the breach, or when the evaluator knows no ``not_stated``."""
    from compliance.dsl.checker import OUTCOMES
    return "not_stated" not in OUTCOMES or getattr(rule, "silence", "warning") == "breach"


@dataclass(frozen=True)
class Outcomes:
    """Four mutually exclusive conditions on the document, one of which always holds."""

    failed: Any
    passed: Any
    not_applicable: Any
    not_stated: Any

    def passes(self, silence_passes: bool = False) -> Any:
        """A document passes a rule when it is passed or not applicable (and, with
        ``silence_passes``, when the document is silent on what the rule needs)."""
        ok = [self.passed, self.not_applicable] + ([self.not_stated] if silence_passes else [])
        return z3.Or(ok)

    def of(self, outcome: str) -> Any:
        return getattr(self, outcome)


@dataclass(frozen=True)
class EncodedRule:
    rule: CheckedRule
    outcomes: Outcomes
    exceptions: Mapping[str, Any]          # exception id -> it decides some subject
    applies: Any                           # some subject gets past the rule's `when`
    text_functions: tuple[str, ...] = ()   # mentions() and the like: abstracted, not decided
    errors: Any = FALSE


@dataclass
class Encoder:
    document: SymbolicDocument
    params: Mapping[str, Any]
    as_of: _dt.date
    used_text: list[str] = field(default_factory=list)

    # ---- expressions -----------------------------------------------------------------------------
    def value(self, expr: ast.Expr, env: Mapping[str, Value]) -> Value:
        method = getattr(self, "v_" + type(expr).__name__.lower(), None)
        if method is None:
            raise Unsupported(f"uses {type(expr).__name__.lower()} expressions")
        return method(expr, env)  # type: ignore[no-any-return]

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
        return self.document.leaf(node.path)

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
        return self.document.leaf(path)

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
            cases = [(key.value == self.document.strings.code(name), self.document.leaf(target.path + (name,)))
                     for name in target.field.children]
            found = choose(cases)
            return Sym(found.kind, z3.And(key.present, found.present), found.value, key.err,
                       found.margin, found.months, found.currency)
        raise Unsupported("indexes a list, or a map by a computed key")

    def v_negate(self, expr: ast.Negate, env: Mapping[str, Value]) -> Value:
        return negate(self.sym(expr.operand, env))

    def v_arith(self, expr: ast.Arith, env: Mapping[str, Value]) -> Value:
        return arith(expr.op, self.sym(expr.left, env), self.sym(expr.right, env))

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
            present = z3.And(item.present, self.document.present(collection.path))
            if collection.field.kind == "map":
                holds = z3.Or([z3.And(item.value == strings.code(k), self.document.present(collection.path + (k,)))
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
            present = self.document.present(target.path)
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
            return self._text_call(expr, env)
        args = [self.value(arg, env) for arg in expr.args]
        if all(isinstance(a, Const) or isinstance(a, Sym) and (a.const is not None or
                                                                z3.is_false(z3.simplify(a.present)))
               for a in args):
            values = [a.value if isinstance(a, Const) else a.const if a.const is not None else MISSING
                      for a in args]
            return self._lift(REGISTRY[expr.name].scalar(*values))
        if expr.name == "length" and isinstance(args[0], Node) and args[0].field.kind in ("set", "list"):
            node = args[0]
            return Sym("number", self.document.present(node.path), self.document.length(node.path))
        syms = [self._as_sym(a) for a in args]
        if expr.name == "length" and syms[0].kind == "string" and syms[0].path is not None:
            self.used_text.append("length()")
            text = syms[0]
            return Sym("number", text.present, self.document.text_length(text.path, text), text.err)
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

    def _text_call(self, expr: ast.Call, env: Mapping[str, Value]) -> Sym:
        self.used_text.append(f"{expr.name}()")
        text = self.value(expr.args[0], env)
        other = self.value(expr.args[1], env)
        if isinstance(text, Node) or not isinstance(text, Sym) or text.kind != "string" or text.path is None:
            raise Unsupported(f"uses {expr.name}() on a list of texts")
        if not isinstance(other, (Const, Sym)) or isinstance(other, Sym) and other.const is None:
            raise Unsupported(f"uses {expr.name}() with phrases from the document")
        given = other.value if isinstance(other, Const) else other.const
        if expr.name == "matches":
            holds = self.document.matches(text.path, str(given))
        else:
            phrases = [given] if isinstance(given, str) else [p for p in given if isinstance(p, str)]
            atoms = [self.document.contains(text.path, p) for p in phrases]
            holds = z3.Or(atoms or [FALSE]) if expr.name == "mentions" else z3.And(atoms or [TRUE])
        return Sym("bool", text.present, holds, text.err)

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
            present = self.document.present(collection.path)
            if collection.field.kind == "map":
                return [(self.document.present(collection.path + (k,)), self._child(collection, k))
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
            return [(self.document.present(collection.path + (k,)), self._lift(k), self._child(collection, k))
                    for k in collection.field.children]
        if isinstance(collection, Const):
            return [(TRUE, self._lift(i), self._lift(v)) for i, v in enumerate(collection.value)]
        items, _present = self.elements(collection)
        return [(exists, element, element) for exists, element in items]


def _no(reason: str) -> Any:
    raise Unsupported(reason)


# ---- rules ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Subject:
    exists: Any
    failed: Any
    passed: Any
    not_applicable: Any
    not_stated: Any
    applies: Any
    exceptions: Mapping[str, Any]
    err: Any


def encode_rule(rule: CheckedRule, document: SymbolicDocument, params: Mapping[str, Any],
                as_of: _dt.date) -> EncodedRule:
    """The four outcome conditions of ``rule`` over the symbolic document. Raises Unsupported."""
    encoder = Encoder(document, params, as_of)
    subjects = [_subject(rule, encoder, exists, env) for exists, env in _subject_envs(rule, encoder)]
    failed = z3.Or([z3.And(s.exists, s.failed) for s in subjects] or [FALSE])
    stated_silence = z3.Or([z3.And(s.exists, s.not_stated) for s in subjects] or [FALSE])
    not_stated = z3.And(z3.Not(failed), stated_silence)
    passed = z3.And(z3.Not(failed), z3.Not(stated_silence),
                    z3.Or([z3.And(s.exists, s.passed) for s in subjects] or [FALSE]))
    not_applicable = z3.Not(z3.Or(failed, not_stated, passed))
    exceptions = {e.rule_id: z3.Or([z3.And(s.exists, s.exceptions[e.rule_id]) for s in subjects] or [FALSE])
                  for e in rule.exceptions}
    applies = z3.Or([z3.And(s.exists, s.applies) for s in subjects] or [FALSE])
    errors = z3.Or([z3.And(s.exists, s.err) for s in subjects] or [FALSE])
    return EncodedRule(rule, Outcomes(failed, passed, not_applicable, not_stated), exceptions, applies,
                       tuple(dict.fromkeys(encoder.used_text)), errors)


def _subject_envs(rule: CheckedRule, encoder: Encoder) -> list[tuple[Any, dict[str, Value]]]:
    loop = rule.for_each
    if loop is None:
        return [(TRUE, {})]
    collection = encoder.value(loop.collection, {})
    if loop.value_var is None:
        items, present = encoder.elements(collection)
        return [(z3.And(present, exists), {loop.key_var: element}) for exists, element in items]
    present = encoder.document.present(collection.path) if isinstance(collection, Node) else TRUE
    return [(z3.And(present, exists), {loop.key_var: key, loop.value_var: element})
            for exists, key, element in encoder.keyed(collection)]


def _subject(rule: CheckedRule, encoder: Encoder, exists: Any, env: Mapping[str, Value]) -> _Subject:
    errors = []
    if rule.when is not None:
        when = encoder.condition(rule.when, env)
        errors.append(when.err)
        applies = z3.And(z3.Not(when.err), when.true)
    else:
        applies = TRUE
    reached = applies        # no exception decided yet
    exempt = FALSE
    decided: dict[str, Any] = {}
    branches: list[tuple[Any, Sym]] = []
    for exception in rule.exceptions:
        condition = encoder.condition(exception.when, env)
        errors.append(z3.And(reached, condition.err))
        hit = z3.And(reached, z3.Not(condition.err), condition.true)
        decided[exception.rule_id] = hit
        if exception.require is None:
            exempt = z3.Or(exempt, hit)
        else:
            branches.append((hit, encoder.condition(exception.require, env)))
        reached = z3.And(reached, z3.Not(hit))
    branches.append((reached, encoder.condition(rule.require, env)))
    passed, false, unknown = FALSE, FALSE, FALSE
    for taken, requirement in branches:
        errors.append(z3.And(taken, requirement.err))
        ok = z3.Not(requirement.err)
        passed = z3.Or(passed, z3.And(taken, ok, requirement.true))
        false = z3.Or(false, z3.And(taken, ok, requirement.false))
        unknown = z3.Or(unknown, z3.And(taken, ok, requirement.unknown))
    err = z3.Or(errors)
    breach = silence_breaches(rule)
    failed = z3.Or(err, false, unknown) if breach else z3.Or(err, false)
    not_stated = FALSE if breach else z3.And(z3.Not(err), unknown)
    passed = z3.And(z3.Not(err), passed)
    not_applicable = z3.And(z3.Not(err), z3.Or(z3.Not(applies), exempt))
    return _Subject(exists, failed, passed, not_applicable, not_stated, applies, decided, err)


def encode_rules(rules: Sequence[CheckedRule], document: SymbolicDocument, params: Mapping[str, Any],
                 as_of: _dt.date) -> tuple[dict[str, EncodedRule], dict[str, str]]:
    """Every rule that can be encoded, and for the others why not."""
    encoded, skipped = {}, {}
    for rule in rules:
        try:
            encoded[rule.rule_id] = encode_rule(rule, document, params, as_of)
        except Unsupported as reason:
            skipped[rule.rule_id] = str(reason)
    return encoded, skipped
