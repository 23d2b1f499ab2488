"""In-file ruleset tests (like ``opa test``): each ``test`` block gives a document and the outcome
it expects from named rules; a failure shows expected against actual, with the explanations."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from compliance.documents.model import Document
from compliance.dsl import ast
from compliance.dsl.model import CheckedRule, Ruleset
from compliance.evaluate.scalar import Evaluator, Result, evaluate_document, overall

DEFAULT_AS_OF = _dt.date(2026, 1, 1)  # tests without 'as of' run on a fixed date: reproducible


@dataclass(frozen=True)
class ExpectationResult:
    rule_id: str
    expected: str
    actual: str
    explanations: tuple[str, ...]
    span: ast.Span

    @property
    def passed(self) -> bool:
        return self.expected == self.actual


@dataclass(frozen=True)
class TestResult:
    name: str
    ruleset: str
    span: ast.Span
    expectations: tuple[ExpectationResult, ...]

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.expectations)


def test_document(case: ast.TestCase, ruleset: Ruleset) -> Document:
    """The test's ``given`` map as a document (typed values straight from the literals)."""
    assert case.document is not None and case.target is not None
    evaluator = Evaluator(Document(case.target, case.span.path, {}), {}, DEFAULT_AS_OF, ruleset.sources)
    data = evaluator.value(case.document, {})
    return Document(case.target, case.span.path, data, {(): _position(case)})


def _position(case: ast.TestCase):  # type: ignore[no-untyped-def]
    from compliance.documents.model import Position
    return Position(case.span.line, case.span.column)


def run_test(case: ast.TestCase, ruleset: Ruleset) -> TestResult:
    document = test_document(case, ruleset)
    as_of = case.as_of or DEFAULT_AS_OF
    wanted = {expect.rule_id for expect in case.expectations}
    rules = [rule for rule in ruleset.rules if rule.rule_id in wanted]
    results = evaluate_document(ruleset, document, as_of, rules=rules)
    by_rule: dict[str, list[Result]] = {}
    for result in results:
        by_rule.setdefault(result.rule.rule_id, []).append(result)
    checked = []
    for expect in case.expectations:
        found = by_rule.get(expect.rule_id, [])
        explanations = tuple(f"{r.subject or '(contract)'}: {r.outcome}: {r.explanation}" for r in found)
        checked.append(ExpectationResult(expect.rule_id, expect.outcome, overall(found),
                                         explanations, expect.span))
    return TestResult(case.name, ruleset.name, case.span, tuple(checked))


def run_tests(ruleset: Ruleset) -> list[TestResult]:
    return [run_test(case, ruleset) for case in ruleset.tests]


# Clauses that only describe a rule: an override that changes no other clause (a citation for
# another jurisdiction) keeps the behaviour its parent's tests prove.
DESCRIPTIVE_CLAUSES = frozenset({"citation", "source", "confidence", "message", "fix", "topic"})


def _own_behaviour(rule: "CheckedRule", name: str) -> bool:
    if rule.ruleset != name:
        return False
    return not rule.inherited_from or not set(rule.overridden) <= DESCRIPTIVE_CLAUSES


def untested_rules(ruleset: Ruleset) -> dict[str, set[str]]:
    """For each own rule, which of a passing and a non-passing case (failed, or not stated for a
    rule that only asks for a term to be stated) the in-file tests never show."""
    seen: dict[str, set[str]] = {}
    for case in ruleset.tests:
        for expect in case.expectations:
            seen.setdefault(expect.rule_id, set()).add(expect.outcome)
    missing: dict[str, set[str]] = {}
    for rule in (rule for rule in ruleset.rules if _own_behaviour(rule, ruleset.name)):
        outcomes = seen.get(rule.rule_id, set())
        lacking = set() if "passed" in outcomes else {"passed"}
        if not outcomes & {"failed", "not_stated"}:
            lacking.add("failed")
        if lacking:
            missing[rule.rule_id] = lacking
    return missing
