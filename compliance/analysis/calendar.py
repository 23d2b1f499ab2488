"""Calendar months on symbolic dates: ``date + N months`` exactly as ``values.shift_date`` computes
it (the last day of a shorter month stands in for a day it lacks), in linear integer arithmetic.

A date is its proleptic Gregorian ordinal (``date.toordinal()``). A document date that is shifted
by months gets year, month and day variables tied to its ordinal (:func:`civil_constraints`); the
shifted date is then an expression of those (:func:`shift_months`). Only constant numbers of
months are encoded: the year carry then depends on the month alone.
"""
from __future__ import annotations

from typing import Any

import z3

_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def is_leap(year: Any) -> Any:
    return z3.And(year % 4 == 0, z3.Or(year % 100 != 0, year % 400 == 0))


def days_in_month(year: Any, month: Any) -> Any:
    short = z3.Or(month == 4, month == 6, month == 9, month == 11)
    return z3.If(month == 2, z3.If(is_leap(year), 29, 28), z3.If(short, 30, 31))


def _table(month: Any, values: list[Any]) -> Any:
    """``values[month - 1]`` for a month 1-12, as a chain of ifs."""
    found = values[-1]
    for number in range(len(values) - 1, 0, -1):
        found = z3.If(month == number, values[number - 1], found)
    return found


def ordinal(year: Any, month: Any, day: Any) -> Any:
    """``date(year, month, day).toordinal()`` for a valid date."""
    before = year - 1
    leap_day = z3.If(z3.And(month > 2, is_leap(year)), 1, 0)
    return (365 * before + before / 4 - before / 100 + before / 400
            + _table(month, [z3.IntVal(n) for n in _DAYS_BEFORE_MONTH]) + leap_day + day)


def civil_constraints(date: Any, year: Any, month: Any, day: Any) -> list[Any]:
    """``date`` (an ordinal) is the day ``day`` of month ``month`` of ``year``."""
    return [month >= 1, month <= 12, day >= 1, day <= days_in_month(year, month),
            ordinal(year, month, day) == date]


def shift_months(year: Any, month: Any, day: Any, months: int) -> Any:
    """The ordinal of (year, month, day) plus ``months`` calendar months (negative: back)."""
    new_year = _table(month, [year + (m - 1 + months) // 12 for m in range(1, 13)])
    new_month = _table(month, [z3.IntVal((m - 1 + months) % 12 + 1) for m in range(1, 13)])
    last = days_in_month(new_year, new_month)
    return ordinal(new_year, new_month, z3.If(day < last, day, last))
