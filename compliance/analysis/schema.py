"""What a document may hold, as the analysis sees it: every field's kind, closed vocabulary and range.

A witness must be a document the loaders accept, and a proof must cover every such document and no
other, so the shapes come from the declarations the loaders validate against: the contract sections
of ``compliance.documents.models`` and the snapshot columns of ``compliance.documents.snapshot``.
"""
from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Leaf kinds, as the DSL's types name them; containers: record, map (closed keys), set (a list of a
# closed vocabulary, read only as a set), list (anything else: outside the fragment).
LEAVES = ("number", "percent", "leverage", "money", "date", "duration", "string", "bool")


@dataclass(frozen=True)
class Field:
    kind: str
    required: bool = False
    domain: tuple[str, ...] | None = None          # string leaves and set elements: the vocabulary
    children: Mapping[str, "Field"] = field(default_factory=dict)   # record fields, map values by key
    element: "Field | None" = None                  # list elements
    positive: bool = False                          # leverage: > 0
    non_negative: bool = False                      # snapshot amounts that cannot be negative
    integer: bool = False                           # counts


def schema(target: str) -> Field:
    return _contract() if target == "contract" else _account()


@functools.lru_cache(maxsize=1)
def _contract() -> Field:
    from compliance.documents.models import Contract
    return _section(Contract, required=True)


def _section(section: Any, required: bool) -> Field:
    children = {name: _annotation(spec.annotation, spec.required)
                for name, spec in section.fields().items()}
    return Field("record", required=required, children=children)


def _annotation(annotation: Any, required: bool) -> Field:
    import datetime as dt
    from decimal import Decimal

    from compliance.documents.models import Section, strip_optional
    from compliance.dsl.units import Duration, Leverage, Money, Percent

    annotation = strip_optional(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return Field("string", required, domain=tuple(typing.get_args(annotation)))
    if origin is list:
        element = _annotation(typing.get_args(annotation)[0], True)
        if element.kind == "string" and element.domain is not None:
            return Field("set", required, domain=element.domain)
        return Field("list", required, element=element)
    if origin is dict:
        key, value = typing.get_args(annotation)
        keys = typing.get_args(key) if typing.get_origin(key) is typing.Literal else None
        if keys is None:
            return Field("list", required)
        item = _annotation(value, True)
        return Field("map", required, children={name: item for name in keys})
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _section(annotation, required)
    kinds = {Percent: "percent", Leverage: "leverage", Money: "money", dt.date: "date",
             Duration: "duration", str: "string", bool: "bool", Decimal: "number", int: "number"}
    kind = kinds[annotation]
    return Field(kind, required, positive=kind == "leverage")


@functools.lru_cache(maxsize=1)
def _account() -> Field:
    from compliance.documents import snapshot as S
    from compliance.documents.snapshot_fields import snapshot_type

    children = {}
    for name, kind in snapshot_type().fields.items():
        required = name in S.REQUIRED_COLUMNS
        if name in S.VOCABULARIES:
            children[name] = Field("string", required, domain=S.VOCABULARIES[name])
        elif name == "currency":
            children[name] = Field("string", required)
        else:
            children[name] = Field(kind.kind, required, non_negative=name in S.NON_NEGATIVE_COLUMNS
                                   or name in S.COUNT_COLUMNS, integer=name in S.COUNT_COLUMNS)
    return Field("record", required=True, children=children)


def child(node: Field, key: str) -> Field | None:
    return node.children.get(key) if node.kind in ("record", "map") else None
