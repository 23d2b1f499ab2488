"""What the analysis commands share: the symbolic document for a set of rulesets, and the
scalar evaluator's verdicts on a concrete document (every witness is re-checked with them)."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compliance.analysis.document import SymbolicDocument
from compliance.analysis.symbolic import Strings
from compliance.documents.model import Document
from compliance.dsl import ast
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.dsl.units import Money

PASSING = ("passed", "not_applicable")


def rules_for(ruleset: Ruleset, target: str) -> list[CheckedRule]:
    return [rule for rule in ruleset.rules if rule.target == target]


def new_document(target: str, rulesets: Iterable[Ruleset]) -> SymbolicDocument:
    return SymbolicDocument(target, Strings(), tuple(sorted(named_currencies(rulesets))))


def named_currencies(rulesets: Iterable[Ruleset]) -> set[str]:
    """Currencies of the money the rulesets write (parameters and literals)."""
    found: set[str] = set()
    for ruleset in rulesets:
        for param in ruleset.params.values():
            for dated in param.values:
                found |= _currencies(dated.value)
        for rule in ruleset.rules:
            for expr in _rule_exprs(rule):
                found |= _currencies(expr)
    return found


def _rule_exprs(rule: CheckedRule) -> list[Any]:
    exprs: list[Any] = [rule.when, rule.require]
    if rule.for_each is not None:
        exprs.append(rule.for_each.collection)
    for exception in rule.exceptions:
        exprs += [exception.when, exception.require]
    return [e for e in exprs if e is not None]


def walk(expr: Any) -> Iterable[Any]:
    stack = [expr]
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, (str, bool)):
            continue
        yield node
        for name in ("target", "index", "operand", "left", "right", "collection", "body"):
            stack.append(getattr(node, name, None))
        stack.extend(getattr(node, "args", ()) or getattr(node, "items", ()) or ())
        stack.extend(value for _key, value in getattr(node, "entries", ()))


def _currencies(expr: Any) -> set[str]:
    return {node.value.currency for node in walk(expr)
            if isinstance(node, ast.Literal) and isinstance(node.value, Money)}


def verdicts(ruleset: Ruleset, document: Document, as_of: _dt.date,
             rules: Sequence[CheckedRule] | None = None) -> dict[str, str]:
    """Each rule's overall outcome on the document, by the scalar evaluator."""
    from compliance.evaluate.scalar import evaluate_document, overall

    chosen = rules if rules is not None else rules_for(ruleset, document.kind)
    results = evaluate_document(ruleset, document, as_of, rules=chosen)
    by_rule: dict[str, list[Any]] = {rule.rule_id: [] for rule in chosen}
    for result in results:
        by_rule[result.rule.rule_id].append(result)
    return {rule_id: overall(found) for rule_id, found in by_rule.items()}


def explanations(ruleset: Ruleset, document: Document, as_of: _dt.date,
                 rule: CheckedRule) -> list[str]:
    from compliance.evaluate.scalar import evaluate_document

    return [f"{r.subject or '(document)'}: {r.outcome}: {r.explanation}"
            for r in evaluate_document(ruleset, document, as_of, rules=[rule])]


def passing(silence_passes: bool) -> tuple[str, ...]:
    return PASSING + (("not_stated",) if silence_passes else ())


def params(ruleset: Ruleset, as_of: _dt.date) -> Mapping[str, Any]:
    from compliance.evaluate.scalar import params_as_of
    return params_as_of(ruleset, as_of)
