"""Pinning a symbolic document to one concrete document, for tests that ask the solver which
outcomes a rule can have on exactly that document."""
from __future__ import annotations

import datetime as dt
from typing import Any

import z3

from compliance.analysis.symbolic import lift
from compliance.analysis.witness import dsl_value
from compliance.dsl.loader import load_ruleset_text
from compliance.evaluate.scalar import params_as_of

OUTCOMES = ("failed", "passed", "not_applicable", "not_stated")


def lookup(data: Any, path: tuple[str, ...]) -> Any:
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def pin(solver: Any, symbolic: Any, data: dict[str, Any]) -> bool:
    """Fix every variable of ``symbolic`` to ``data``; whether each text it tabulates is absent or
    an entry of its corpus (where the encoding is exact)."""
    for path, variable in symbolic.presence.items():
        solver.add(variable == (lookup(data, path) is not None))
    exact = True
    for path, choice in symbolic.choices.items():
        value = lookup(data, path)
        entries = symbolic.corpus_of(path)
        if value is not None:
            index = next((n for n, entry in enumerate(entries) if entry == value), len(entries))
            exact = exact and index < len(entries)
            solver.add(choice == index)
    for path, (_field, sym) in symbolic.leaves.items():
        value = lookup(data, path)
        if value is None or isinstance(value, (dict, list)):
            continue
        if isinstance(value, str) and path in symbolic.choices:
            continue   # a text: its corpus choice says what it is
        literal = load_ruleset_text(f'ruleset v\n  version "1"\n\nlet v = {dsl_value(value)}\n', "v.rules")
        lifted = lift(params_as_of(literal, dt.date(2026, 1, 1))["v"], symbolic.strings)
        solver.add(sym.value == lifted.value)
        if sym.currency is not None:
            solver.add(sym.currency == lifted.currency)
    return exact


def outcomes(solver: Any, encoded: Any) -> list[str]:
    """The outcomes, in OUTCOMES order, the pinned solver still allows for the encoded rule."""
    return [o for o in OUTCOMES if solver.check(encoded.outcomes.of(o)) == z3.sat]
