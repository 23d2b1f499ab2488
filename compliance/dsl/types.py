"""The static types of the rules language, and of the documents rules read.

Units are part of the type: money carries its currency where it is known statically, so comparing
EUR with USD, or a percentage with money, is rejected by the checker before anything is evaluated.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Type:
    """A type of the language. ``kind`` is one of the names below; containers carry their parts."""

    kind: str
    currency: str | None = None             # money: "EUR", or None when only known at run time
    element: "Type | None" = None           # list and map: the type of the elements / values
    fields: Mapping[str, "Type"] = field(default_factory=dict)  # record: its fields
    optional: bool = False                  # a document field that may be absent

    def __str__(self) -> str:
        if self.kind == "money" and self.currency:
            return f"money ({self.currency})"
        if self.kind in ("list", "map") and self.element is not None:
            return f"{self.kind} of {self.element}"
        return self.kind

    def __hash__(self) -> int:
        return hash((self.kind, self.currency, self.element))

    def required(self) -> "Type":
        return Type(self.kind, self.currency, self.element, self.fields, optional=False)


NUMBER = Type("number")
PERCENT = Type("percent")
LEVERAGE = Type("leverage")
MONEY = Type("money")
DATE = Type("date")
DURATION = Type("duration")
STRING = Type("string")
BOOL = Type("bool")
ANY = Type("any")   # an empty list literal, or a value whose type is decided at run time


def money(currency: str | None = None) -> Type:
    return Type("money", currency=currency)


def list_of(element: Type) -> Type:
    return Type("list", element=element)


def map_of(element: Type) -> Type:
    return Type("map", element=element)


def record(fields: Mapping[str, Type], optional: bool = False) -> Type:
    return Type("record", fields=dict(fields), optional=optional)


def optional(t: Type) -> Type:
    return Type(t.kind, t.currency, t.element, t.fields, optional=True)


# Quantities that are plain dimensionless numbers underneath and may be compared with each other.
DIMENSIONLESS = frozenset({"number", "percent"})
ORDERED = frozenset({"number", "percent", "leverage", "money", "date", "duration", "string"})


# ---- the type algebra: which values combine, compare and iterate -----------------------------

_UNIT_TYPES = {"percent": PERCENT, "leverage": LEVERAGE, "duration": DURATION}


def literal_type(value: Any) -> Type:
    unit = getattr(value, "kind", None)   # the unit types name their kind themselves
    if unit == "money":
        return money(value.currency)
    if unit in _UNIT_TYPES:
        return _UNIT_TYPES[unit]
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, str):
        return STRING
    return NUMBER


def is_quantity(t: Type) -> bool:
    return t.kind in ("number", "percent", "leverage", "money", "any")


def compatible(left: Type, right: Type) -> bool:
    """Whether values of the two types may be compared or mixed in a list."""
    if "any" in (left.kind, right.kind):
        return True
    if left.kind == "money" and right.kind == "money":
        return not (left.currency and right.currency and left.currency != right.currency)
    if left.kind in DIMENSIONLESS and right.kind in DIMENSIONLESS:
        return True
    if {left.kind, right.kind} == {"number", "leverage"}:
        return True
    if left.kind != right.kind:
        return False
    if left.kind in ("list", "map"):
        return compatible(left.element or ANY, right.element or ANY)
    return True


def common(types: list[Type]) -> Type:
    if types and all(compatible(types[0], t) for t in types):
        return optional(types[0])
    return ANY


def arith_type(op: str, left: Type, right: Type, left_zero: bool = False,
               right_zero: bool = False) -> Type | None:
    """The unit algebra: what ``left op right`` is, or None when the units do not combine."""
    lk, rk = left.kind, right.kind
    if "any" in (lk, rk):
        return left if rk == "any" else right
    if lk == "money" and rk == "money":
        if left.currency and right.currency and left.currency != right.currency:
            return None
        if op in "+-":
            return money(left.currency or right.currency)
        return PERCENT if op == "/" else None
    if lk == "money" and rk in ("number", "percent", "leverage"):
        if op in "*/":
            return money(left.currency)
        return left if right_zero else None
    if rk == "money" and lk in ("number", "percent", "leverage"):
        if op == "*":
            return money(right.currency)
        return right if left_zero else None
    if lk == "date" and rk == "duration" and op in "+-":
        return DATE
    if lk == "date" and rk == "date" and op == "-":
        return DURATION
    if lk == "duration" and rk == "duration" and op in "+-":
        return DURATION
    if lk == "string" and rk == "string" and op == "+":
        return STRING
    numeric = ("number", "percent", "leverage")
    if lk not in numeric or rk not in numeric:
        return None
    if lk == "percent" and rk == "percent":
        return PERCENT if op in "+-*" else NUMBER
    if lk == "percent" and rk == "number" and (op in "*/" or right_zero):
        return PERCENT
    if rk == "percent" and lk == "number" and op == "*":
        return PERCENT
    if "percent" in (lk, rk) and op in "+-":
        return None  # 50% + 3 is almost certainly a mistake: write 50% + 300%
    return NUMBER


def iteration_types(collection: Type) -> tuple[Type | None, Type | None]:
    """(key type, element type) when iterating over a collection."""
    if collection.kind == "list":
        return NUMBER, (collection.element or ANY).required()
    if collection.kind == "map":
        return STRING, (collection.element or ANY).required()
    if collection.kind == "record":
        return STRING, common(list(collection.fields.values())).required()
    if collection.kind == "any":
        return ANY, ANY
    return None, None


# ---- names in scope ----------------------------------------------------------------------------

# Names every rule may read besides parameters and document fields.
CONTEXT_NAMES = {"as_of": DATE}


class Scope:
    """Names visible in an expression: loop and quantifier variables over params and fields."""

    def __init__(self, params: Mapping[str, Type], document: Type,
                 local: Mapping[str, Type] | None = None):
        self.params = params
        self.document = document
        self.local = dict(local or {})

    def bind(self, **names: Type) -> "Scope":
        return Scope(self.params, self.document, {**self.local, **names})
