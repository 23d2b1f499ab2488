"""The compiled rules (compliance.evaluate.compiled) decide exactly what the interpreter decides:
every in-file test of every built-in ruleset, and hypothesis-mutated contracts, give the same
results (outcome, subject, explanation, message, fix, position, exception, citation) both ways;
and each compiled expression computes the interpreter's value."""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.documents.model import Document
from compliance.documents.platform import load_document
from compliance.dsl import ast
from compliance.dsl.loader import builtin_names, load_ruleset
from compliance.dsl.units import Leverage, Money, Percent, UnitError
from compliance.evaluate.compiled import compile_expression
from compliance.evaluate.scalar import Evaluator, evaluate_document, params_as_of
from compliance.evaluate import testing as in_file
from compliance.evaluate.values import MISSING

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "contract_templates").glob("*.yaml"))
CASES = [(name, index) for name in builtin_names() for index in range(len(load_ruleset(name).tests))]


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_in_file_test_gives_the_same_results_both_ways(name, index):
    ruleset = load_ruleset(name)
    case = ruleset.tests[index]
    document = in_file.test_document(case, ruleset)
    as_of = case.as_of or in_file.DEFAULT_AS_OF
    compiled = evaluate_document(ruleset, document, as_of, compiled=True)
    interpreted = evaluate_document(ruleset, document, as_of, compiled=False)
    assert compiled == interpreted


def test_the_fast_path_is_taken():
    """Without this the agreement above would hold trivially (everything interpreted)."""
    import compliance.evaluate.scalar as scalar

    ruleset = load_ruleset("esma_like")
    document = load_document(str(ROOT / "contract_templates" / "eu_retail_cfd.yaml"))
    calls = []
    real = scalar._evaluate_subject
    scalar._evaluate_subject = lambda *a, **k: calls.append(a[0].rule_id) or real(*a, **k)
    try:
        results = evaluate_document(ruleset, document, in_file.DEFAULT_AS_OF)
    finally:
        scalar._evaluate_subject = real
    passed = [r for r in results if r.outcome == "passed"]
    assert passed and not {r.rule.rule_id for r in passed} & set(calls)


# ---- mutated contracts --------------------------------------------------------------------------

def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))] or [path]
    if isinstance(data, list):
        return [leaf for index, value in enumerate(data) for leaf in _leaves(value, (*path, index))] or [path]
    return [path]


def _set(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if value is MISSING and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _set(copy.get(head), rest, value)
        return copy
    if isinstance(data, list):
        copy = list(data)
        if value is MISSING and not rest:
            del copy[head]
        else:
            copy[head] = _set(copy[head], rest, value)
        return copy
    return data


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same kind as ``value``, or none (the field left out): what validation lets a
    contract hold there."""
    numbers = st.decimals(min_value=-5, max_value=500, places=2, allow_nan=False, allow_infinity=False)
    if isinstance(value, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(value, Percent):
        same = st.sampled_from(["0", "0.02", "0.05", "0.1", "0.2", "0.5", "0.8", "1", "1.3", "1.5"]).map(
            lambda text: Percent(Decimal(text)))
    elif isinstance(value, Leverage):
        same = st.sampled_from(["1", "2", "2.25", "3", "5", "10", "20", "30", "50", "100"]).map(
            lambda text: Leverage(Decimal(text)))
    elif isinstance(value, Money):
        same = numbers.map(lambda amount: Money(amount, value.currency))
    elif isinstance(value, Decimal):
        same = numbers
    elif isinstance(value, _dt.date):
        same = st.dates(_dt.date(2005, 1, 1), _dt.date(2030, 12, 31))
    elif isinstance(value, str):
        same = st.sampled_from(["retail", "professional", "cfd", "margin_loan", "margin_account", "EU", "CN",
                                "UK", "US", "保本保收益", "guaranteed returns", "risk warning", value, ""])
    else:
        same = st.just(value)
    return st.one_of(same, same, same, st.just(MISSING))


@st.composite
def mutated_contract(draw: st.DrawFn) -> tuple[Document, _dt.date]:
    template = draw(st.sampled_from(TEMPLATES))
    document = load_document(str(template))
    data: Any = dict(document.data)
    leaves = _leaves(data)
    for _ in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(leaves))
        current: Any = data
        for part in path:
            current = current.get(part) if isinstance(current, dict) else current[part] \
                if isinstance(current, list) and isinstance(part, int) and part < len(current) else None
        data = _set(data, path, draw(_like(current)))
        leaves = _leaves(data)
    as_of = draw(st.sampled_from([_dt.date(2010, 1, 1), _dt.date(2018, 8, 1), _dt.date(2023, 9, 11),
                                  _dt.date(2026, 1, 14), _dt.date(2026, 12, 2)]))
    return Document("contract", document.path, data, document.positions, document.sha256, document.lines), as_of


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_contract(), st.sampled_from([n for n in builtin_names() if n != "platform_due_diligence"]))
def test_mutated_contracts_give_the_same_results_both_ways(drawn, name):
    document, as_of = drawn
    ruleset = load_ruleset(name)
    assert evaluate_document(ruleset, document, as_of, compiled=True) == \
        evaluate_document(ruleset, document, as_of, compiled=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_contract(), st.sampled_from(["esma_like", "csrc_like", "finra_like", "platform_default"]))
def test_each_compiled_expression_computes_the_interpreters_value(drawn, name):
    document, as_of = drawn
    ruleset = load_ruleset(name)
    params = params_as_of(ruleset, as_of, document)
    for rule in ruleset.rules:
        if rule.target != "contract" or rule.for_each is not None:
            continue
        for expr in {id(e): e for root in (rule.require, rule.when, *rule.scope) if root is not None
                     for e in ast.walk(root)}.values():
            interpreted = compiled = None
            try:
                interpreted = Evaluator(document, params, as_of, ruleset.sources).value(expr, {})
            except UnitError:
                interpreted = UnitError
            try:
                compiled = compile_expression(expr)(Evaluator(document, params, as_of, ruleset.sources), {})
            except UnitError:
                compiled = UnitError
            assert compiled == interpreted or (compiled is MISSING and interpreted is MISSING), \
                (rule.rule_id, expr)
