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
    # The file's lines, for positions inside a text (a phrase in a clause); empty when unknown.
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def position_in(self, path: FieldPath, offset: int) -> Position | None:
        """The position of character ``offset`` of the text at ``path``: the phrase itself,
        inside a plain, quoted or block scalar; the key's position when that cannot be told."""
        if self.lines and path in self.positions:
            from compliance.documents.scalar_offsets import scalar_position

            found = scalar_position(self.lines, path, offset)
            if found is not None:
                return found
        return self.position_of(path)

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
