"""Rules compiled once into closures: the fast path that decides when a subject passes, without
walking the AST again for every document.

Most subjects pass (85% on the bundled templates), and a pass needs only the values, not the
explanation, positions or fields read that a failure reports. So a compiled rule answers one
question: does this subject pass, and under which exception? Anything else — a condition that
does not hold, an exemption, a requirement that fails or cannot be decided, a value outside a
formula's domain — is handed back to the interpreter (``scalar.py``), which evaluates that subject
again and explains it. The outcomes and explanations are therefore the interpreter's by
construction; the closures compute exactly the interpreter's values (``tests/evaluate`` runs every
in-file test and a hypothesis property through both).
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from compliance.dsl import ast
from compliance.dsl.model import CheckedException, CheckedRule
from compliance.dsl.units import UnitError
from compliance.errors import DomainError
from compliance.evaluate import values as V
from compliance.evaluate.builtins import REGISTRY
from compliance.evaluate.values import MISSING, quantify
from compliance.records import record

# A compiled expression: (evaluator, environment of bound names) -> value, as Evaluator.value.
Compiled = Callable[[Any, Mapping[str, Any]], Any]


@record(eq=False)
class CompiledRule:
    conditions: tuple[Compiled, ...]                                   # section conditions, then when
    exceptions: tuple[tuple[Compiled, Compiled | None, CheckedException], ...]
    require: Compiled


PASSED = object()   # passed under the rule's own requirement (no exception)

_RULES: dict[int, tuple[CheckedRule, CompiledRule]] = {}


def compiled_rule(rule: CheckedRule) -> CompiledRule:
    """The rule compiled, once per checked rule (kept with the rule, so its id stays its own)."""
    entry = _RULES.get(id(rule))
    if entry is None or entry[0] is not rule:
        bound = _loop_names(rule)
        compiled = CompiledRule(
            conditions=tuple(compile_expression(c, bound) for c in
                             (*rule.scope, *((rule.when,) if rule.when is not None else ()))),
            exceptions=tuple((compile_expression(e.when, bound),
                              None if e.require is None else compile_expression(e.require, bound), e)
                             for e in rule.exceptions),
            require=compile_expression(rule.require, bound))
        if len(_RULES) > 20_000:   # rulesets built again and again (an editor session)
            _RULES.clear()
        entry = _RULES[id(rule)] = (rule, compiled)
    return entry[1]


def passes(compiled: CompiledRule, evaluator: Any, env: Mapping[str, Any]) -> object | None:
    """PASSED, or the exception under whose requirement the subject passed; None when the subject
    does not simply pass and the interpreter has to say what it is."""
    try:
        for condition in compiled.conditions:
            if condition(evaluator, env) is not True:
                return None
        requirement, exception = compiled.require, PASSED
        for when, require, candidate in compiled.exceptions:
            if when(evaluator, env) is True:
                if require is None:
                    return None
                requirement, exception = require, candidate
                break
        return exception if requirement(evaluator, env) is True else None
    except (DomainError, ValueError, ArithmeticError):
        return None   # the interpreter says what went wrong, and where


def _loop_names(rule: CheckedRule) -> frozenset[str]:
    loop = rule.for_each
    if loop is None:
        return frozenset()
    return frozenset(name for name in (loop.key_var, loop.value_var) if name is not None)


# ---- expressions ------------------------------------------------------------------------------

def compile_expression(expr: ast.Expr, bound: frozenset[str] = frozenset()) -> Compiled:
    """``expr`` as a closure; ``bound`` are the names a loop binds around it."""
    return _COMPILE[type(expr)](expr, bound)


def _compile_literal(expr: ast.Literal, bound: frozenset[str]) -> Compiled:
    value = expr.value
    return lambda ev, env: value


def _locator(expr: ast.Expr, bound: frozenset[str]) -> Compiled:
    """A field path's value, as Evaluator.located(...).value (None reads as missing)."""
    if isinstance(expr, ast.Name):
        name = expr.name
        if name in bound:
            return lambda ev, env: env[name].value

        def name_value(ev: Any, env: Mapping[str, Any]) -> Any:
            if name in env:
                return env[name].value
            params = ev.params
            if name in params:
                return params[name]
            if name == "as_of":
                return ev.as_of
            found = ev.document.data.get(name, MISSING)
            return MISSING if found is None else found
        return name_value
    if isinstance(expr, ast.Attr):
        parent = _locator(expr.target, bound)
        key = expr.name

        def attr_value(ev: Any, env: Mapping[str, Any]) -> Any:
            container = parent(ev, env)
            found = container.get(key, MISSING) if isinstance(container, dict) else MISSING
            return MISSING if found is None else found
        return attr_value
    if isinstance(expr, ast.Index):
        parent = _locator(expr.target, bound)
        index = compile_expression(expr.index, bound)

        def index_value(ev: Any, env: Mapping[str, Any]) -> Any:
            container = parent(ev, env)
            key = index(ev, env)
            if key is MISSING:
                return MISSING
            if isinstance(container, (list, tuple)):
                if not isinstance(key, V.Decimal) or key != key.to_integral_value():
                    raise UnitError("a list index must be a whole number")
                position = int(key)
                found = container[position] if 0 <= position < len(container) else MISSING
            elif isinstance(container, dict) and isinstance(key, str):
                found = container.get(key, MISSING)
            else:
                found = MISSING
            return MISSING if found is None else found
        return index_value
    return compile_expression(expr, bound)


def _compile_name(expr: ast.Name, bound: frozenset[str]) -> Compiled:
    return _locator(expr, bound)


_compile_attr = _compile_name
_compile_index = _compile_name


def _compile_negate(expr: ast.Negate, bound: frozenset[str]) -> Compiled:
    operand, negate = compile_expression(expr.operand, bound), V.negate
    return lambda ev, env: negate(operand(ev, env))


def _compile_arith(expr: ast.Arith, bound: frozenset[str]) -> Compiled:
    op, arith = expr.op, V.arith
    left, right = compile_expression(expr.left, bound), compile_expression(expr.right, bound)
    return lambda ev, env: arith(op, left(ev, env), right(ev, env))


def _compile_compare(expr: ast.Compare, bound: frozenset[str]) -> Compiled:
    op = expr.op
    left, right = compile_expression(expr.left, bound), compile_expression(expr.right, bound)
    member, compare_op = V.member, V.compare_op
    if op == "in":
        return lambda ev, env: member(left(ev, env), right(ev, env))
    if op == "not in":
        def not_in(ev: Any, env: Mapping[str, Any]) -> Any:
            found = member(left(ev, env), right(ev, env))
            return MISSING if found is MISSING else not found
        return not_in
    return lambda ev, env: compare_op(op, left(ev, env), right(ev, env))


def _compile_boolop(expr: ast.BoolOp, bound: frozenset[str]) -> Compiled:
    left, right = compile_expression(expr.left, bound), compile_expression(expr.right, bound)
    decisive = expr.op != "and"

    def boolean(ev: Any, env: Mapping[str, Any]) -> Any:
        first = left(ev, env)
        if first is decisive:
            return decisive
        second = right(ev, env)
        if second is decisive:
            return decisive
        if first is MISSING or second is MISSING:
            return MISSING
        return not decisive
    return boolean


def _compile_not(expr: ast.Not, bound: frozenset[str]) -> Compiled:
    operand = compile_expression(expr.operand, bound)

    def negation(ev: Any, env: Mapping[str, Any]) -> Any:
        inner = operand(ev, env)
        return MISSING if inner is MISSING else not inner
    return negation


def _compile_exists(expr: ast.Exists, bound: frozenset[str]) -> Compiled:
    target, negated = _locator(expr.target, bound), expr.negated

    def exists(ev: Any, env: Mapping[str, Any]) -> Any:
        present = target(ev, env) is not MISSING
        return not present if negated else present
    return exists


def _compile_call(expr: ast.Call, bound: frozenset[str]) -> Compiled:
    function = REGISTRY[expr.name].scalar
    arguments = tuple(compile_expression(arg, bound) for arg in expr.args)
    if len(arguments) == 1:
        (only,) = arguments
        return lambda ev, env: function(only(ev, env))
    if len(arguments) == 2:
        first, second = arguments
        return lambda ev, env: function(first(ev, env), second(ev, env))
    return lambda ev, env: function(*(argument(ev, env) for argument in arguments))


def _compile_listexpr(expr: ast.ListExpr, bound: frozenset[str]) -> Compiled:
    items = tuple(compile_expression(item, bound) for item in expr.items)
    return lambda ev, env: [item(ev, env) for item in items]


def _compile_mapexpr(expr: ast.MapExpr, bound: frozenset[str]) -> Compiled:
    entries = tuple((key, compile_expression(value, bound)) for key, value in expr.entries)
    return lambda ev, env: {key: value(ev, env) for key, value in entries}


def _compile_quantifier(expr: ast.Quantifier, bound: frozenset[str]) -> Compiled:
    collection = _locator(expr.collection, bound)
    body = compile_expression(expr.body, bound | {expr.var})
    var, kind = expr.var, expr.kind
    from compliance.evaluate.scalar import Bound

    def quantified(ev: Any, env: Mapping[str, Any]) -> Any:
        container = collection(ev, env)
        if container is MISSING:
            return MISSING
        if isinstance(container, dict):
            elements = container.values()
        elif isinstance(container, (list, tuple)):
            elements = container
        else:
            elements = ()
        results = [body(ev, {**env, var: Bound(element, None)}) for element in elements]
        return quantify(kind, results)
    return quantified


_COMPILE: dict[type, Callable[[Any, frozenset[str]], Compiled]] = ast.dispatch_table(
    sys.modules[__name__], "_compile_")
