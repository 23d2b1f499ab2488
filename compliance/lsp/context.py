"""What a name at a position stands for: a loop variable, a parameter, ``as_of`` or a document
field. Read from the text of the item around the position, so that it works while the file is
being typed and does not parse."""
from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.lsp import fields
from compliance.lsp.analysis import Analysis
from compliance.lsp.source import Source

_PATH = r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*"
_FOR_EACH = re.compile(rf"\bfor\s+each\s+([a-z_]\w*)(?:\s*,\s*([a-z_]\w*))?\s+in\s+({_PATH})")
_QUANTIFIER = re.compile(rf"\b(?:any|all|count|sum|min|max)\s*\(\s*([a-z_]\w*)\s+in\s+({_PATH})\s*:")
_ACCOUNT = re.compile(r"^\s*(?:applies\s+to|given)\s+account\b", re.M)
_DOTTED_BEFORE = re.compile(r"((?:[a-z_][a-z0-9_]*\.)+)\Z")


@dataclass(frozen=True)
class Local:
    """A loop or quantifier variable: a key of the collection, or one of its values."""

    name: str
    collection: tuple[str, ...]
    is_key: bool


@dataclass(frozen=True)
class Meaning:
    kind: str                       # "local" | "param" | "context" | "field" | "unknown"
    path: tuple[str, ...]           # as written: ("margin", "close_out_level")
    target: str = "contract"
    field: fields.Field | None = None
    local: Local | None = None


def target_of(item_text: str) -> str:
    """Whether the item around reads a contract or an account row."""
    return "account" if _ACCOUNT.search(item_text) else "contract"


def locals_of(item_text: str) -> dict[str, Local]:
    found: dict[str, Local] = {}
    for match in _FOR_EACH.finditer(item_text):
        first, second, collection = match.groups()
        path = tuple(collection.split("."))
        if second is None:
            found[first] = Local(first, path, False)
        else:
            found[first] = Local(first, path, True)
            found[second] = Local(second, path, False)
    for match in _QUANTIFIER.finditer(item_text):
        name, collection = match.groups()
        found.setdefault(name, Local(name, tuple(collection.split(".")), False))
    return found


def path_before(text: str, start: int) -> tuple[str, ...]:
    """The names written before ``start`` and joined to it by dots: ``margin.`` -> ("margin",)."""
    match = _DOTTED_BEFORE.search(text[:start])
    if match is None:
        return ()
    return tuple(part for part in match.group(1).split(".") if part)


def field_path(meaning_root: str, rest: tuple[str, ...], item_text: str, target: str
               ) -> tuple[str, ...] | None:
    """The document path a written path stands for (loop variables replaced by their collection)."""
    local = locals_of(item_text).get(meaning_root)
    if local is None:
        return (meaning_root, *rest)
    if local.is_key:
        return None
    collection = field_path(local.collection[0], local.collection[1:], item_text, target)
    if collection is None:
        return None
    found = fields.lookup(target, collection)
    step: tuple[str, ...] = (fields.ANY_KEY,) if found is not None and found.type.startswith("map") else ()
    return (*collection, *step, *rest)


def meaning(analysis: Analysis, source: Source, line: int, path: tuple[str, ...]) -> Meaning:
    """What ``path`` (written in the item around ``line``) stands for."""
    item_text = source.item_text(line)
    target = target_of(item_text)
    root = path[0]
    local = locals_of(item_text).get(root)
    if local is not None:
        resolved = field_path(root, path[1:], item_text, target)
        found = fields.lookup(target, resolved) if resolved is not None else None
        return Meaning("local", path, target, found, local)
    if root in analysis.param_names() or root in _params_in_text(source):
        return Meaning("param", path, target)
    if root == "as_of":
        return Meaning("context", path, target)
    found = fields.lookup(target, path)
    return Meaning("field" if found is not None else "unknown", path, target, found)


_LET = re.compile(r"^\s*(?:override\s+)?let\s+([a-z_]\w*)", re.M)


def _params_in_text(source: Source) -> set[str]:
    """Parameter names written in the text (for a text that does not parse as it is typed)."""
    return set(_LET.findall(source.text))


def params_in_text(source: Source) -> list[str]:
    return list(dict.fromkeys(_LET.findall(source.text)))
