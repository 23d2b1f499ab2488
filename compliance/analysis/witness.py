"""Witness documents: the smallest readable document satisfying a formula, re-checked by the
scalar evaluator before anyone sees it.

"Readable" is a lexicographic goal: first as few stated fields as possible, then round numbers
(whole amounts, whole percentages, whole leverage ratios, tried first as hard grids, then finer),
then values close to zero. Grids only guide the search for a witness; proofs never use them.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import z3

from compliance.analysis.document import SymbolicDocument
from compliance.documents.model import Document
from compliance.dsl.units import Duration, Leverage, Money, Percent

# Scale per kind and grid level: value * scale must be a whole number.
GRIDS: tuple[dict[str, int], ...] = (
    {"money": 1, "percent": 100, "leverage": 1, "number": 1},
    {"money": 100, "percent": 10_000, "leverage": 100, "number": 10_000},
    {"money": 10 ** 8, "percent": 10 ** 10, "leverage": 10 ** 8, "number": 10 ** 8},
)
SEARCH_TIMEOUT_MS = 4000

Check = Callable[[Document], bool]


@dataclass(frozen=True)
class Found:
    data: Mapping[str, Any]      # the witness document's data (typed values)
    document: Document


def search(document: SymbolicDocument, goal: Iterable[Any], as_of: _dt.date, check: Check,
           target: str) -> Found | None:
    """A document satisfying ``goal`` that ``check`` (the scalar evaluator) confirms, or None."""
    base = [*document.all_constraints(), *goal]
    for grid in (*GRIDS, None):
        model = _model(document, base + _grid(document, grid))
        if model is None:
            continue
        data = complete(document.document(model, as_of), target)
        candidate = as_document(data, target)
        if check(candidate):
            return Found(data, candidate)
        # A model the evaluator disagrees with (text the analysis cannot build): try without
        # the text patterns it could not realise.
        blocked = [z3.Not(v) for v in document.patterns.values()]
        if blocked:
            model = _model(document, base + blocked + _grid(document, grid))
            if model is not None:
                data = complete(document.document(model, as_of), target)
                candidate = as_document(data, target)
                if check(candidate):
                    return Found(data, candidate)
    return None


def _grid(document: SymbolicDocument, grid: dict[str, int] | None) -> list[Any]:
    if grid is None:
        return []
    found = []
    for _path, (node, sym) in document.leaves.items():
        if node.kind in grid and sym.value.sort() == z3.RealSort():
            found.append(z3.IsInt(sym.value * grid[node.kind]))
    return found


def _model(document: SymbolicDocument, constraints: list[Any]) -> Any | None:
    """A model, then greedily one with as few stated fields as the constraints allow (each
    field tried once, sections before their fields: cheap, and minimal under inclusion)."""
    solver = z3.Solver()
    solver.set(timeout=SEARCH_TIMEOUT_MS)
    solver.add(constraints)
    if solver.check() != z3.sat:
        return None
    kept: list[Any] = []
    for goal in document.soft_goals():
        if z3.is_true(solver.model().eval(goal, model_completion=True)):
            kept.append(goal)
            continue
        if solver.check(*kept, goal) == z3.sat:
            kept.append(goal)
        else:
            solver.check(*kept)
    for choices in _small_values(document, solver.model()):
        for goal in choices:
            if solver.check(*kept, goal) == z3.sat:
                kept.append(goal)
                break
    if solver.check(*kept) != z3.sat:   # pragma: no cover - kept is satisfiable by construction
        return None
    return solver.model()


def _small_values(document: SymbolicDocument, model: Any) -> list[list[Any]]:
    """Per stated number, goals tried in turn: 0, 1, 10, 100 of its unit, -1, else at most 1000."""
    goals = []
    for _path, (node, sym) in document.leaves.items():
        if node.kind not in ("number", "percent", "leverage", "money"):
            continue
        if not z3.is_true(model.eval(sym.present, model_completion=True)):
            continue
        unit = z3.RealVal("0.01") if node.kind == "percent" else z3.RealVal(1)
        magnitude = z3.If(sym.value >= 0, sym.value, -sym.value)
        goals.append([sym.value == unit * k for k in (0, 1, 10, 100, -1)] + [magnitude <= unit * 1000])
    return goals


# ---- documents ------------------------------------------------------------------------------------

ACCOUNT_DEFAULTS = {"account_id": "W1", "client_category": "retail"}
ACCOUNT_AMOUNTS = ("balance", "equity", "margin_used", "exposure")


def complete(data: dict[str, Any], target: str) -> dict[str, Any]:
    """The keys every document of its kind must have, where the rules left them out."""
    if target == "contract":
        return {"kind": "contract", "id": "witness", **data}
    currency = next((v.currency for v in data.values() if isinstance(v, Money)), "XXX")
    out = dict(ACCOUNT_DEFAULTS)
    out.update({name: Money(Decimal(0), currency) for name in ACCOUNT_AMOUNTS})
    out.update(data)
    return out


def as_document(data: Mapping[str, Any], target: str) -> Document:
    return Document(target, "(witness)", data)


def to_yaml(data: Mapping[str, Any], target: str) -> str:
    """The witness as a file the loaders read: a contract, or a one-row YAML snapshot."""
    if target == "account":
        row = {key: _plain(value) for key, value in data.items() if key != "currency"}
        currency = next((v.currency for v in data.values() if isinstance(v, Money)), "XXX")
        if currency != "XXX":
            row["currency"] = currency
        lines = _yaml_lines(row, 2)
        return "\n".join(["accounts:", "  - " + lines[0].strip(), *lines[1:]]) + "\n"
    return "\n".join(_yaml_lines(data, 0)) + "\n"


def _plain(value: Any) -> Any:
    return value.amount if isinstance(value, Money) else value


def _yaml_lines(data: Mapping[str, Any], depth: int) -> list[str]:
    lines = []
    pad = "  " * depth
    for key, value in data.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            lines += _yaml_lines(value, depth + 1)
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{key}:")
            for item in value:
                if isinstance(item, dict):
                    inner = _yaml_lines(item, depth + 2)
                    lines.append(f"{pad}  - {inner[0].strip()}")
                    lines += inner[1:]
                else:
                    lines.append(f"{pad}  - {yaml_scalar(item)}")
        else:
            lines.append(f"{pad}{key}: {yaml_scalar(value)}")
    return lines


def yaml_scalar(value: Any) -> str:
    import json
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return f'"{value.currency} {_number(value.amount)}"'
    if isinstance(value, (Percent, Leverage, Duration)):
        return f'"{dsl_value(value)}"'
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _number(Decimal(value))


def _number(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def dsl_value(value: Any) -> str:
    """A typed value as a literal of the rules language (for in-file tests)."""
    from compliance.dsl.formatter import quote

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Percent):
        return f"{_number(value.fraction * 100)}%"
    if isinstance(value, Leverage):
        return f"{_number(value.times)}:1"
    if isinstance(value, Money):
        return f"{value.currency} {_number(value.amount)}"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {dsl_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dsl_value(v) for v in value) + "]"
    return _number(Decimal(value))


def _key(key: str) -> str:
    from compliance.dsl.formatter import map_key
    return map_key(key)
