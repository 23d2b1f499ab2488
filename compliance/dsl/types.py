"""The static types of the rules language, and of the documents rules read.

Units are part of the type: money carries its currency where it is known statically, so comparing
EUR with USD, or a percentage with money, is rejected by the checker before anything is evaluated.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
