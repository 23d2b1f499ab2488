"""What the analysis commands share: the symbolic document for a set of rulesets, and the
scalar evaluator's verdicts on a concrete document (every witness is re-checked with them)."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compliance.analysis.document import SymbolicDocument
from compliance.analysis.outcomes import EncodedRule, assumed_fields, encode_rule, encode_rules
from compliance.analysis.symbolic import Strings
from compliance.documents.model import Document
from compliance.dsl import ast
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.dsl.units import Money

PASSING = ("passed", "not_applicable")


def rules_for(ruleset: Ruleset, target: str) -> list[CheckedRule]:
    return [rule for rule in ruleset.rules if rule.target == target]


MAX_CORPUS = 32   # entries per field: the solver's choice grows with it


def new_document(target: str, rulesets: Iterable[Ruleset]) -> SymbolicDocument:
    chosen = list(rulesets)
    return SymbolicDocument(target, Strings(), tuple(sorted(named_currencies(chosen))),
                            corpus(chosen, target))


def corpus(rulesets: Sequence[Ruleset], target: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """Per field, the texts and lists the rulesets' in-file tests write there (in file order,
    without repeats): the values a tabulated text may take in a witness."""
    from compliance.evaluate.testing import test_document

    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for ruleset in rulesets:
        for case in ruleset.tests:
            if case.document is None or case.target != target:
                continue
            for path, value in _texts_and_lists(test_document(case, ruleset).data, ()):
                entries = found.setdefault(path, {})
                if len(entries) < MAX_CORPUS:
                    entries.setdefault(repr(value), value)
    return {path: tuple(entries.values()) for path, entries in found.items()}


def _texts_and_lists(data: Any, path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield from _texts_and_lists(value, (*path, key))
    elif isinstance(data, (str, list)) and path:
        yield path, data


def named_currencies(rulesets: Iterable[Ruleset]) -> set[str]:
    """Currencies of the money the rulesets write (parameters and literals)."""
    found: set[str] = set()
    for ruleset in rulesets:
        for assumption in ruleset.assumptions:
            found |= _currencies(assumption.value)
        for param in ruleset.params.values():
            for dated in param.values:
                found |= _currencies(dated.value)
        for rule in ruleset.rules:
            for expr in _rule_exprs(rule):
                found |= _currencies(expr)
    return found


def encode(ruleset: Ruleset, rule: CheckedRule, document: SymbolicDocument, as_of: _dt.date) -> EncodedRule:
    """``rule`` of ``ruleset`` over the symbolic document: the parameters in force on ``as_of``
    and the ruleset's assumptions. Raises Unsupported."""
    in_force = params(ruleset, as_of)
    return encode_rule(rule, document, in_force, as_of,
                       assumed_fields(ruleset.assumptions, rule.target, in_force, as_of))


def encode_all(ruleset: Ruleset, rules: Sequence[CheckedRule], document: SymbolicDocument,
               as_of: _dt.date) -> tuple[dict[str, EncodedRule], dict[str, str]]:
    """Every rule of ``rules`` (all of one target) that can be encoded, and for the others why not."""
    in_force = params(ruleset, as_of)
    assumed = assumed_fields(ruleset.assumptions, document.target, in_force, as_of)
    return encode_rules(rules, document, in_force, as_of, assumed)


def _rule_exprs(rule: CheckedRule) -> list[Any]:
    exprs: list[Any] = [*rule.scope, rule.when, rule.require]
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
        if result.rule.rule_id in by_rule:  # an assumption's own not_stated is not a rule's verdict
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
