"""Run-time arithmetic and comparison of exact values, with units.

The checker rejects most unit errors before evaluation; what only shows at run time (a contract in
EUR against a cap in USD) raises ``UnitError`` here. ``MISSING`` stands for an absent optional field.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any

from compliance.dsl.units import (
    CalendarError,
    Duration,
    Leverage,
    Money,
    Percent,
    UnitError,
    compare_leverage,
    margin_for_leverage,
)


class _Missing:
    """An absent optional field. Comparisons with it are unknown (neither true nor false)."""

    _instance: "_Missing | None" = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:  # pragma: no cover - guarded: callers test ``is MISSING``
        raise TypeError("MISSING has no truth value")


MISSING: Any = _Missing()
PRECISION = 34


def _num(value: Any) -> Decimal | None:
    """The plain number behind a dimensionless value (number, percent, leverage), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Percent):
        return value.fraction
    if isinstance(value, Leverage):
        return value.times
    return None


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (Decimal, int)):
        return "number"
    unit = getattr(value, "kind", None)   # the unit types name their kind themselves
    if unit == "money":
        return f"money ({value.currency})" if value.currency else "money"
    if unit is not None:
        return str(unit)
    if isinstance(value, _dt.date):
        return "date"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def _same_currency(left: Money, right: Money) -> None:
    if left.currency and right.currency and left.currency != right.currency:
        raise UnitError(f"cannot combine {left} with {right}: the currencies differ")


def _is_zero(value: Any) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool) and value == 0


def arith(op: str, left: Any, right: Any) -> Any:
    if left is MISSING or right is MISSING:
        return MISSING
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[DivisionByZero] = True
        ctx.traps[InvalidOperation] = True
        try:
            return _arith(op, left, right)
        except (DivisionByZero, InvalidOperation):
            if op == "/":
                raise UnitError(f"division by zero ({left} / {right})") from None
            raise UnitError(f"cannot compute {left} {op} {right}") from None


def _arith(op: str, left: Any, right: Any) -> Any:
    lk, rk = type(left), type(right)
    # money
    if isinstance(left, Money) and isinstance(right, Money):
        _same_currency(left, right)
        currency = left.currency or right.currency
        if op == "+":
            return Money(left.amount + right.amount, currency)
        if op == "-":
            return Money(left.amount - right.amount, currency)
        if op == "/":
            return Percent(left.amount / right.amount)
        raise UnitError(f"cannot multiply {left} by {right}")
    if isinstance(left, Money) and _num(right) is not None and op in "*/":
        factor = _num(right)
        return Money(left.amount * factor if op == "*" else left.amount / factor, left.currency)
    if isinstance(right, Money) and _num(left) is not None and op == "*":
        return Money(right.amount * _num(left), right.currency)
    if isinstance(left, Money) and _is_zero(right) and op in "+-":
        return left
    if isinstance(right, Money) and _is_zero(left) and op in "+-":
        return right if op == "+" else Money(-right.amount, right.currency)
    # dates and durations
    if isinstance(left, _dt.date) and isinstance(right, Duration) and op in "+-":
        return shift_date(left, right if op == "+" else Duration(-right.amount, right.unit))
    if isinstance(left, _dt.date) and isinstance(right, _dt.date) and op == "-":
        return Duration((left - right).days, "days")
    if isinstance(left, Duration) and isinstance(right, Duration) and op in "+-":
        if left.unit != right.unit:
            raise UnitError(f"cannot combine {left} with {right}")
        return Duration(left.amount + right.amount if op == "+" else left.amount - right.amount, left.unit)
    if isinstance(left, str) and isinstance(right, str) and op == "+":
        return left + right
    # dimensionless quantities
    a, b = _num(left), _num(right)
    if a is None or b is None:
        raise UnitError(f"cannot compute {kind_of(left)} {op} {kind_of(right)}")
    result = a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
    if lk is Percent and rk is Percent:
        return Percent(result) if op in "+-*" else result
    if lk is Percent and op in "*/" and rk is not Leverage:
        return Percent(result)
    if rk is Percent and op == "*" and lk is not Leverage:
        return Percent(result)
    if lk is Percent and op in "+-" and _is_zero(right):
        return left
    return result


def negate(value: Any) -> Any:
    if value is MISSING:
        return MISSING
    if isinstance(value, Money):
        return Money(-value.amount, value.currency)
    if isinstance(value, Percent):
        return Percent(-value.fraction)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return -value
    raise UnitError(f"cannot negate {kind_of(value)}")


def shift_date(date: _dt.date, by: Duration) -> _dt.date:
    """``date`` moved by ``by``; CalendarError beyond the calendar (years 1 to 9999)."""
    beyond = CalendarError(f"{date.isoformat()} {'+' if by.amount >= 0 else '-'} "
                         f"{Duration(abs(by.amount), by.unit)} is beyond the calendar "
                         f"({_dt.date.min.isoformat()} to {_dt.date.max.isoformat()})")
    if by.unit == "days":
        try:
            return date + _dt.timedelta(days=by.amount)
        except OverflowError:
            raise beyond from None
    month_index = date.year * 12 + (date.month - 1) + by.amount
    year, month = divmod(month_index, 12)
    month += 1
    if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
        raise beyond
    # The last day of a shorter month stands in for a day it lacks (Jan 31 + 1 month = Feb 28).
    for day in range(date.day, 27, -1):
        try:
            return _dt.date(year, month, day)
        except ValueError:
            continue
    return _dt.date(year, month, min(date.day, 28))


_PLAIN = (str, Decimal)   # compared as themselves: the most common comparisons, checked first


def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1. Raises UnitError for values of different units."""
    if type(left) is type(right) and type(left) in _PLAIN:
        return (left > right) - (left < right)
    if isinstance(left, Leverage) and isinstance(right, Leverage):
        return compare_leverage(left, right)
    if isinstance(left, Leverage) and isinstance(right, Percent) or \
            isinstance(left, Percent) and isinstance(right, Leverage):
        raise UnitError(f"cannot compare {kind_of(left)} {left} with {kind_of(right)} {right}; "
                        "convert with margin_of() or leverage_of()")
    if isinstance(left, Money) or isinstance(right, Money):
        if isinstance(left, Money) and isinstance(right, Money):
            _same_currency(left, right)
            a, b = left.amount, right.amount
        elif isinstance(left, Money) and _is_zero(right):
            a, b = left.amount, Decimal(0)
        elif isinstance(right, Money) and _is_zero(left):
            a, b = Decimal(0), right.amount
        else:
            raise UnitError(f"cannot compare {kind_of(left)} with {kind_of(right)}")
        return (a > b) - (a < b)
    if isinstance(left, _dt.date) and isinstance(right, _dt.date):
        return (left > right) - (left < right)
    if isinstance(left, Duration) and isinstance(right, Duration):
        if left.unit != right.unit:
            raise UnitError(f"cannot compare {left} with {right}: days and months differ in length")
        return (left.amount > right.amount) - (left.amount < right.amount)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    if isinstance(left, bool) and isinstance(right, bool):
        return (left > right) - (left < right)
    a, b = _num(left), _num(right)
    if a is None or b is None or isinstance(left, bool) or isinstance(right, bool):
        raise UnitError(f"cannot compare {kind_of(left)} with {kind_of(right)}")
    return (a > b) - (a < b)


def equal(left: Any, right: Any) -> bool:
    if type(left) is type(right) and type(left) in _PLAIN:
        return bool(left == right)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return compare(left, right) == 0


def compare_op(op: str, left: Any, right: Any) -> Any:
    """True, False, or MISSING when either side is absent."""
    if left is MISSING or right is MISSING:
        return MISSING
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    order = compare(left, right)
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]


def member(item: Any, collection: Any) -> Any:
    if item is MISSING or collection is MISSING:
        return MISSING
    if isinstance(collection, dict):
        return item in collection
    if isinstance(collection, (list, tuple)):
        if type(item) is str:  # a text equals only a text (any other pairing is a unit error, skipped)
            return any(type(candidate) is str and candidate == item for candidate in collection)
        for candidate in collection:
            try:
                if equal(item, candidate):
                    return True
            except UnitError:
                continue
        return False
    raise UnitError(f"cannot look for a value in {kind_of(collection)}")


def as_margin(value: Leverage) -> Percent:
    return margin_for_leverage(value)


def quantify(kind: str, results: list[Any]) -> Any:
    """any / all / count / sum / min / max over a quantifier body's values (unknowns included)."""
    if kind == "any":
        return True if any(r is True for r in results) else MISSING if MISSING in results else False
    if kind == "all":
        return False if any(r is False for r in results) else MISSING if MISSING in results else True
    if kind == "count":
        return Decimal(sum(r is True for r in results))
    present = [r for r in results if r is not MISSING]
    if kind == "sum":
        total: Any = Decimal(0)
        for item in present:
            total = arith("+", total, item)
        return total
    if not present:
        return MISSING
    best = present[0]
    for item in present[1:]:
        order = compare(item, best)
        if (order < 0) if kind == "min" else (order > 0):
            best = item
    return best
