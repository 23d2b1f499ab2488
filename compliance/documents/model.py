"""The documents rules read: a contract, or one account row of a snapshot.

A document is plain typed data (dicts, lists, and the exact values of ``compliance.dsl.units``)
plus the source position of every key, so that a finding can point into the YAML file.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A path into a document: ("leverage", "fx_major") or ("clauses", 2, "text").
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    line: int    # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Document:
    kind: str                                   # "contract" | "account"
    path: str                                   # the file as the user named it
    data: Mapping[str, Any]
    positions: Mapping[FieldPath, Position] = field(default_factory=dict)
    sha256: str = ""

    def position_of(self, path: FieldPath) -> Position | None:
        """The position of a key, or of its nearest ancestor that has one."""
        while path:
            found = self.positions.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.positions.get(())


def render_path(path: FieldPath) -> str:
    """``("clauses", 2, "text")`` -> ``clauses[2].text``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
