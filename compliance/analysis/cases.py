"""Witnesses for one rule: the smallest document on which it has a given outcome (or on which a
given exception decides it), re-checked by the scalar evaluator, and as an in-file test block."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from compliance.analysis.common import encode, new_document
from compliance.analysis.document import NO_CURRENCY
from compliance.analysis.symbolic import Unsupported
from compliance.analysis.witness import Found, dsl_value, search
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.dsl.units import Money
from compliance.evaluate.testing import DEFAULT_AS_OF


@dataclass(frozen=True)
class Case:
    rule: CheckedRule
    outcome: str
    found: Found | None
    reason: str = ""          # why there is none


def rule_case(ruleset: Ruleset, rule: CheckedRule, as_of: _dt.date, outcome: str,
              exception: str | None = None) -> Case:
    """A document on which ``rule`` comes out ``outcome`` (applying, unless the outcome is
    not_applicable), decided by ``exception`` when one is named."""
    document = new_document(rule.target, [ruleset])
    try:
        encoded = encode(ruleset, rule, document, as_of)
    except Unsupported as reason:
        return Case(rule, outcome, None, f"not analysed: {reason}")
    goal = [encoded.outcomes.of(outcome)]
    if outcome != "not_applicable" or exception is not None:
        goal.append(encoded.applies)
    if exception is not None:
        goal.append(encoded.exceptions[exception])

    def confirms(candidate):  # type: ignore[no-untyped-def]
        from compliance.evaluate.scalar import evaluate_document, overall

        results = [r for r in evaluate_document(ruleset, candidate, as_of, rules=[rule]) if r.rule is rule]
        return overall(results) == outcome and (exception is None or any(
            r.exception_id == exception for r in results))

    # Texts from the in-file tests first (where the encoding is exact), then any text.
    found = search(document, goal + [encoded.restriction], as_of, confirms, rule.target)
    if found is None and not encoded.exact:
        found = search(document, goal, as_of, confirms, rule.target)
    if found is None:
        return Case(rule, outcome, None, f"no {rule.target} has the outcome {outcome}"
                    + (f" through {exception}" if exception else ""))
    return Case(rule, outcome, found)


def test_block(case: Case, as_of: _dt.date, name: str | None = None) -> str:
    """The case as an in-file test (unformatted; the formatter lays it out)."""
    assert case.found is not None
    title = name or f"witness: {case.rule.rule_id} {case.outcome}"
    data = dict(case.found.data)
    if case.rule.target == "account":
        # A snapshot row without a currency column: a test writes its amounts in one currency.
        data = {key: Money(value.amount, "EUR") if isinstance(value, Money) and value.currency == NO_CURRENCY
                else value for key, value in data.items()}
    lines = [f"test {dsl_value(title)}",
             f"  given {case.rule.target} {dsl_value(data)}"]
    if as_of != DEFAULT_AS_OF:
        lines.append(f"  as of {as_of.isoformat()}")
    lines.append(f"  expect {case.rule.rule_id} {case.outcome}")
    return "\n".join(lines) + "\n"
