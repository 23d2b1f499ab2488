"""Symbolic values: what an expression of the rules language is, for every document at once.

Each value is a pair *present / value* (a missing field is ``present = false``), an ``err``
condition (the scalar evaluator raises ``UnitError`` and the subject fails: a division by zero, two
currencies, days against months) and its unit, known statically as in the checker. Numbers are z3
rationals (``Real``), never floats; dates are day ordinals, durations whole days or months, strings
codes of a :class:`Strings` table, money an amount with a currency code.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import z3

from compliance.dsl.units import Duration, Leverage, Money, Percent, margin_for_leverage
from compliance.errors import ComplianceError
from compliance.evaluate.values import MISSING

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
NUMERIC = ("number", "percent", "leverage", "money")
DIMENSIONLESS = ("number", "percent", "leverage")


class Unsupported(ComplianceError):
    """An expression outside the analysed fragment; the message says what (``uses mentions()``)."""


@dataclass(frozen=True)
class Sym:
    kind: str                     # number percent leverage money date duration string bool
    present: Any                  # z3 Bool
    value: Any                    # z3 Real / Int / Bool
    err: Any = FALSE              # evaluating it raises a UnitError
    margin: Any = None            # a leverage stated as a margin: that margin's fraction
    months: Any = None            # a duration: whether it counts months (else days)
    currency: Any = None          # money: the currency's code
    const: Any = None             # the Python value when it is a constant
    path: tuple[Any, ...] | None = None   # the document field it was read from

    @property
    def true(self) -> Any:
        return z3.And(self.present, self.value)

    @property
    def false(self) -> Any:
        return z3.And(self.present, z3.Not(self.value))

    @property
    def unknown(self) -> Any:
        return z3.Not(self.present)


@dataclass(frozen=True)
class Const:
    """A constant that is not a scalar: a list or a map from a parameter or a literal."""

    value: Any


def boolean(true: Any, false: Any, err: Any = FALSE) -> Sym:
    return Sym("bool", z3.Or(true, false), true, err)


class Strings:
    """Codes for strings. Codes below ``len(self)`` name known strings; higher ones stand for texts
    no rule mentions (shown as ``"text N"``), so equality of codes is equality of strings."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, text: str) -> int:
        if text not in self.codes:
            self.codes[text] = len(self.codes)
        return self.codes[text]

    def __len__(self) -> int:
        return len(self.codes)

    def text(self, code: int) -> str:
        for text, known in self.codes.items():
            if known == code:
                return text
        return f"text {code - len(self.codes) + 1}"


def z3_number(value: Decimal | int) -> Any:
    return z3.RealVal(str(value)) if isinstance(value, Decimal) else z3.RealVal(value)


def lift(value: Any, strings: Strings) -> Sym | Const:
    """A Python value of the evaluator as a constant symbolic value."""
    if value is MISSING or value is None:
        return Sym("number", FALSE, z3.RealVal(0))
    if isinstance(value, bool):
        return Sym("bool", TRUE, z3.BoolVal(value), const=value)
    if isinstance(value, Percent):
        return Sym("percent", TRUE, z3_number(value.fraction), const=value)
    if isinstance(value, Leverage):
        margin = None if value.from_margin is None else z3_number(value.from_margin.fraction)
        return Sym("leverage", TRUE, z3_number(value.times), margin=margin, const=value)
    if isinstance(value, Money):
        return Sym("money", TRUE, z3_number(value.amount), currency=z3.IntVal(strings.code(value.currency)),
                   const=value)
    if isinstance(value, (Decimal, int)):
        return Sym("number", TRUE, z3_number(Decimal(value)), const=Decimal(value))
    if isinstance(value, _dt.date):
        return Sym("date", TRUE, z3.IntVal(value.toordinal()), const=value)
    if isinstance(value, Duration):
        return Sym("duration", TRUE, z3.IntVal(value.amount), months=z3.BoolVal(value.unit == "months"),
                   const=value)
    if isinstance(value, str):
        return Sym("string", TRUE, z3.IntVal(strings.code(value)), const=value)
    if isinstance(value, (list, tuple, dict)):
        return Const(value)
    raise Unsupported(f"uses a value of type {type(value).__name__}")


def is_zero(sym: Sym) -> bool:
    return sym.kind == "number" and sym.const is not None and sym.const == 0


# ---- comparison ---------------------------------------------------------------------------------

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def compare(op: str, left: Sym, right: Sym) -> Sym:
    """``left op right`` as the scalar evaluator decides it (values.compare_op)."""
    present = z3.And(left.present, right.present)
    err = z3.Or(left.err, right.err)
    holds, unit_err = _compare(op, left, right)
    return Sym("bool", present, holds, z3.Or(err, z3.And(present, unit_err)))


def _compare(op: str, left: Sym, right: Sym) -> tuple[Any, Any]:
    order = _ORDER[op]
    lk, rk = left.kind, right.kind
    if lk == rk == "leverage":
        if left.margin is None and right.margin is None:
            return order(left.value, right.value), FALSE
        # In margin space, reversed: a higher leverage is a lower margin (units.compare_leverage).
        return order(margin_expr(right), margin_expr(left)), FALSE
    if "money" in (lk, rk):
        if lk == rk == "money":
            return order(left.value, right.value), left.currency != right.currency
        if is_zero(right) or is_zero(left):
            return order(left.value, right.value), FALSE
        return FALSE, TRUE
    if lk in DIMENSIONLESS and rk in DIMENSIONLESS:
        if {lk, rk} == {"percent", "leverage"}:
            return FALSE, TRUE
        return order(left.value, right.value), FALSE
    if lk == rk == "date":
        return order(left.value, right.value), FALSE
    if lk == rk == "duration":
        return order(left.value, right.value), left.months != right.months
    if lk == rk and lk in ("string", "bool"):
        if op not in ("==", "!="):
            raise Unsupported(f"orders {lk}s")
        return order(left.value, right.value), FALSE
    return FALSE, TRUE


def margin_expr(sym: Sym) -> Any:
    """The margin a leverage stands for, as units.margin_for_leverage rounds it."""
    if sym.margin is not None:
        return sym.margin
    if isinstance(sym.const, Leverage):
        return z3_number(margin_for_leverage(sym.const).fraction)
    raise Unsupported("compares a document's leverage with a leverage stated as a margin")


def equal_const(left: Sym, value: Any, strings: Strings) -> Any | None:
    """``left == value`` for a constant candidate of a list, or None when their units differ
    (values.member skips such candidates)."""
    other = lift(value, strings)
    if isinstance(other, Const):
        return None
    holds, err = _compare("==", left, other)
    if z3.is_true(z3.simplify(err)):
        return None
    if not z3.is_false(z3.simplify(err)):
        raise Unsupported("looks for a value among candidates of other units")
    return holds


# ---- arithmetic ---------------------------------------------------------------------------------

def arith(op: str, left: Sym, right: Sym) -> Sym:
    """``left op right`` (values.arith): missing when either side is; errors as the evaluator."""
    present = z3.And(left.present, right.present)
    err = z3.Or(left.err, right.err)
    if left.const is not None and right.const is not None:
        return _constant_arith(op, left, right, present, err)
    kind, value, unit_err, extra = _arith(op, left, right)
    return Sym(kind, present, value, z3.Or(err, z3.And(present, unit_err)), **extra)


def _constant_arith(op: str, left: Sym, right: Sym, present: Any, err: Any) -> Sym:
    from compliance.dsl.units import UnitError
    from compliance.evaluate.values import arith as exact

    try:
        result = exact(op, left.const, right.const)
    except UnitError:
        return Sym("number", present, z3.RealVal(0), TRUE)
    lifted = lift(result, _SCRATCH)
    if isinstance(lifted, Const) or lifted.kind == "string":
        raise Unsupported("computes text")
    if lifted.kind == "money":
        lifted = replace(lifted, currency=left.currency if left.kind == "money" else right.currency)
    return replace(lifted, present=present, err=err)


_SCRATCH = Strings()


def _arith(op: str, left: Sym, right: Sym) -> tuple[str, Any, Any, dict[str, Any]]:
    lk, rk = left.kind, right.kind
    a, b = left.value, right.value
    divide_err = b == 0 if op == "/" else FALSE
    if lk == rk == "money":
        mismatch = left.currency != right.currency
        if op in "+-":
            return "money", a + b if op == "+" else a - b, mismatch, {"currency": left.currency}
        if op == "/":
            return "percent", a / b, z3.Or(mismatch, divide_err), {}
        return "money", a, TRUE, {"currency": left.currency}
    if lk == "money" and rk in DIMENSIONLESS:
        if op in "*/":
            return "money", a * b if op == "*" else a / b, divide_err, {"currency": left.currency}
        return "money", a, FALSE if is_zero(right) else TRUE, {"currency": left.currency}
    if rk == "money" and lk in DIMENSIONLESS:
        if op == "*":
            return "money", a * b, FALSE, {"currency": right.currency}
        if is_zero(left) and op in "+-":
            return "money", b if op == "+" else -b, FALSE, {"currency": right.currency}
        return "money", b, TRUE, {"currency": right.currency}
    if lk == "date" and rk == "duration" and op in "+-":
        if right.const is not None and right.const.unit == "days":
            return "date", a + b if op == "+" else a - b, FALSE, {}
        raise Unsupported("adds calendar months to a date")
    if lk == rk == "date" and op == "-":
        return "duration", a - b, FALSE, {"months": FALSE}
    if lk == rk == "duration" and op in "+-":
        return "duration", a + b if op == "+" else a - b, left.months != right.months, {"months": left.months}
    if lk in DIMENSIONLESS and rk in DIMENSIONLESS:
        value = a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
        return _dimensionless_kind(op, left, right), value, divide_err, {}
    if lk == rk == "string" and op == "+":
        raise Unsupported("joins texts")
    return "number", z3.RealVal(0), TRUE, {}


def _dimensionless_kind(op: str, left: Sym, right: Sym) -> str:
    lk, rk = left.kind, right.kind
    if lk == rk == "percent":
        return "percent" if op in "+-*" else "number"
    if lk == "percent" and op in "*/" and rk != "leverage":
        return "percent"
    if rk == "percent" and op == "*" and lk != "leverage":
        return "percent"
    if lk == "percent" and op in "+-" and is_zero(right):
        return "percent"
    return "number"


def negate(sym: Sym) -> Sym:
    if sym.kind not in ("number", "percent", "money"):
        return replace(sym, err=z3.Or(sym.err, sym.present))
    if sym.const is not None:
        from compliance.evaluate.values import negate as exact
        lifted = lift(exact(sym.const), _SCRATCH)
        assert isinstance(lifted, Sym)
        return replace(lifted, present=sym.present, err=sym.err, currency=sym.currency)
    return replace(sym, value=-sym.value, path=None)


def absolute(sym: Sym) -> Sym:
    if sym.kind not in ("number", "percent", "money"):
        raise Unsupported("takes abs() of a value that is not a number")
    return replace(sym, value=z3.If(sym.value >= 0, sym.value, -sym.value), const=None)


def choose(cases: list[tuple[Any, Sym]]) -> Sym:
    """``If(c1, s1, If(c2, s2, ... missing))`` over symbolic values of one unit: a lookup by key."""
    if not cases:
        return Sym("number", FALSE, z3.RealVal(0))
    kinds = {sym.kind for _c, sym in cases}
    if len(kinds) > 1:
        raise Unsupported("looks up values of different units")
    if len({sym.margin is None for _c, sym in cases}) > 1:
        raise Unsupported("looks up leverages stated partly as margins")
    last = cases[-1][1]
    result = Sym(last.kind, FALSE, last.value, FALSE, last.margin, last.months, last.currency)
    for condition, sym in reversed(cases):
        def pick(a: Any, b: Any) -> Any:
            return None if a is None else z3.If(condition, a, b)
        result = Sym(sym.kind, z3.If(condition, sym.present, result.present),
                     z3.If(condition, sym.value, result.value), z3.If(condition, sym.err, result.err),
                     pick(sym.margin, result.margin), pick(sym.months, result.months),
                     pick(sym.currency, result.currency))
    return result
