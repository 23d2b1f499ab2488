"""The fields a rule may read, with their types and descriptions: a contract's from the declarations
of :mod:`compliance.documents.models`, an account row's from the snapshot schema."""
from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from compliance.dsl import types as T


ANY_KEY = "*"   # a path step to any value of a map (what ``for each k, v in map`` binds v to)


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]
    type: str
    description: str
    allowed: tuple[str, ...] = ()      # the values a text field may take
    children: tuple[str, ...] = ()     # the fields (or map keys) below it


def lookup(target: str, path: tuple[str, ...]) -> Field | None:
    """The field at ``path`` of a contract (``target == "contract"``) or an account row; a list's
    elements are looked through (``clauses.text``), a map's keys step to its values."""
    if target == "account":
        return _account_fields().get(path)
    return _contract_field(path)


def top_level(target: str) -> list[Field]:
    if target == "account":
        return [field for path, field in _account_fields().items() if len(path) == 1]
    root = _contract_field(())
    assert root is not None
    return [f for f in (_contract_field((name,)) for name in root.children) if f is not None]


def children(target: str, path: tuple[str, ...]) -> list[Field]:
    """The fields right below ``path`` (the top-level fields for an empty path)."""
    if not path:
        return top_level(target)
    found = lookup(target, path)
    if found is None:
        return []
    return [f for f in (lookup(target, path + (name,)) for name in found.children) if f is not None]


# ---- contracts ------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _contract_field(path: tuple[str, ...]) -> Field | None:
    from compliance.documents.contract import contract_type
    from compliance.documents.models import Contract

    annotation: Any = Contract
    kind: T.Type = contract_type()
    description = " ".join((Contract.__doc__ or "").split())
    for step in path:
        annotation, kind = _element(annotation, kind)
        step_to = _step(annotation, kind, step, description)
        if step_to is None:
            return None
        annotation, kind, description = step_to
    shown = _type_text(kind)
    annotation, kind = _element(annotation, kind)
    return Field(path, shown, description, _allowed(annotation), _names(annotation, kind))


def _bare(annotation: Any) -> Any:
    from compliance.documents.models import strip_optional

    annotation = strip_optional(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _element(annotation: Any, kind: T.Type) -> tuple[Any, T.Type]:
    """A list is looked through to its element: rules read ``clause.text`` of each clause."""
    annotation = _bare(annotation)
    if typing.get_origin(annotation) is list:
        return _bare(typing.get_args(annotation)[0]), (kind.element or T.ANY)
    return annotation, kind


def _step(annotation: Any, kind: T.Type, name: str, description: str
          ) -> tuple[Any, T.Type, str] | None:
    """One step down: a section's field, or a map's entry (``*``: any key, for loop variables)."""
    from compliance.documents.models import Section

    if isinstance(annotation, type) and issubclass(annotation, Section):
        spec = annotation.fields().get(name)
        if spec is None:
            return None
        return spec.annotation, kind.fields.get(name, T.ANY), spec.description
    if typing.get_origin(annotation) is dict:
        keys = typing.get_args(typing.get_args(annotation)[0])
        if keys and name not in keys and name != ANY_KEY:
            return None
        entry = "An entry of" if name == ANY_KEY else f"The {name} entry of"
        return typing.get_args(annotation)[1], kind.element or T.ANY, f"{entry}: {description}"
    return None


def _names(annotation: Any, kind: T.Type) -> tuple[str, ...]:
    from compliance.documents.models import Section

    if isinstance(annotation, type) and issubclass(annotation, Section):
        return tuple(annotation.fields())
    if typing.get_origin(annotation) is dict:
        return tuple(typing.get_args(typing.get_args(annotation)[0]))
    return ()


def _allowed(annotation: Any) -> tuple[str, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(value) for value in typing.get_args(annotation))
    return ()


def _type_text(kind: T.Type) -> str:
    return str(kind).replace("record", "section")


# ---- account rows ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _account_fields() -> dict[tuple[str, ...], Field]:
    from compliance.commands.schema import snapshot_schema
    from compliance.documents.snapshot_fields import snapshot_type

    properties = snapshot_schema()["properties"]
    found = {}
    for name, kind in snapshot_type().fields.items():
        spec = properties.get(name, {})
        allowed = tuple(str(value) for value in spec.get("enum", ()))
        found[(name,)] = Field((name,), _type_text(kind), spec.get("description", ""), allowed)
    return found
