"""Exceptions (default logic), extends chains with override/disable, and dated parameters."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from compliance.documents.model import Document
from compliance.dsl.loader import load_ruleset, load_ruleset_text
from compliance.dsl.parser import parse_expression
from compliance.evaluate.scalar import Evaluator, evaluate_document, overall, params_as_of
from compliance.evaluate.testing import run_tests

BASE = '''ruleset base
  version "1"

let retail_cap = {fx_major: 30:1, gold: 20:1}
let close_out_level = 50% from 2018-08-01, 40% from 2030-01-01

rule BASE-LEV-1 "Leverage caps"
  topic leverage_cap
  severity error
  citation "Art. 2"
  for each class, offered in leverage
  when class in retail_cap
  require offered <= retail_cap[class]

rule BASE-MCO-1 "Close-out"
  topic margin_close_out
  severity error
  citation "Art. 2(b)"
  require margin.close_out_level >= close_out_level

rule BASE-NBP-1 "Negative balance protection"
  topic negative_balance_protection
  severity error
  citation "Art. 2(c)"
  require negative_balance_protection == true

exception BASE-LEV-1-PRO to BASE-LEV-1 "Professional clients"
  when client.category in ["professional", "eligible_counterparty"]

exception BASE-LEV-1-ECP to BASE-LEV-1 "Gold for counterparties: 50:1"
  when client.category == "retail_plus" and class == "gold"
  require offered <= 50:1
  message "gold leverage {offered} above 50:1"
'''


def contract(ruleset, text: str) -> Document:  # type: ignore[no-untyped-def]
    data = Evaluator(Document("contract", "t", {}), {}, _dt.date(2026, 1, 1)).value(parse_expression(text), {})
    return Document("contract", "t", data)


def outcomes(ruleset, document: Document, as_of: _dt.date = _dt.date(2026, 1, 1)) -> dict[str, str]:  # type: ignore[no-untyped-def]
    results = evaluate_document(ruleset, document, as_of)
    by_rule: dict[str, list] = {}
    for result in results:
        by_rule.setdefault(result.rule.rule_id, []).append(result)
    return {rule_id: overall(found) for rule_id, found in by_rule.items()}


@pytest.fixture()
def base():  # type: ignore[no-untyped-def]
    return load_ruleset_text(BASE, "base.rules")


def test_professional_is_exempt(base) -> None:  # type: ignore[no-untyped-def]
    document = contract(base, '{client: {category: "professional"}, leverage: {fx_major: 100:1}}')
    results = [r for r in evaluate_document(base, document, _dt.date(2026, 1, 1)) if r.rule.rule_id == "BASE-LEV-1"]
    assert [r.outcome for r in results] == ["not_applicable"]
    assert results[0].explanation.startswith("exempt under BASE-LEV-1-PRO")
    assert results[0].exception_id == "BASE-LEV-1-PRO"


def test_retail_is_not_exempt(base) -> None:  # type: ignore[no-untyped-def]
    document = contract(base, '{client: {category: "retail"}, leverage: {fx_major: 100:1}}')
    assert outcomes(base, document)["BASE-LEV-1"] == "failed"


@pytest.mark.parametrize("gold, outcome", [("50:1", "passed"), ("51:1", "failed")])
def test_exception_with_its_own_require_replaces_the_base_requirement(base, gold: str, outcome: str) -> None:  # type: ignore[no-untyped-def]
    document = contract(base, f'{{client: {{category: "retail_plus"}}, leverage: {{gold: {gold}}}}}')
    results = [r for r in evaluate_document(base, document, _dt.date(2026, 1, 1)) if r.rule.rule_id == "BASE-LEV-1"]
    assert [r.outcome for r in results] == [outcome]
    assert results[0].exception_id == "BASE-LEV-1-ECP"
    if outcome == "failed":
        assert results[0].message == "gold leverage 51:1 above 50:1"


@pytest.mark.parametrize("as_of, level", [
    (_dt.date(2018, 7, 31), None),                # before the first value: no value in force
    (_dt.date(2018, 8, 1), "50%"),                # on the change date
    (_dt.date(2029, 12, 31), "50%"),
    (_dt.date(2030, 1, 1), "40%"),                # on the second change date
    (_dt.date(2031, 6, 1), "40%"),                # after it
])
def test_dated_parameters_are_selected_by_as_of(base, as_of: _dt.date, level: str | None) -> None:  # type: ignore[no-untyped-def]
    from compliance.dsl.units import parse_percent
    from compliance.evaluate.values import MISSING

    value = params_as_of(base, as_of)["close_out_level"]
    assert value == (parse_percent(level) if level else MISSING)


@pytest.mark.parametrize("as_of, outcome", [(_dt.date(2026, 1, 1), "failed"), (_dt.date(2030, 1, 1), "passed")])
def test_rule_outcome_follows_the_dated_threshold(base, as_of: _dt.date, outcome: str) -> None:  # type: ignore[no-untyped-def]
    document = contract(base, "{margin: {close_out_level: 45%}}")
    assert outcomes(base, document, as_of)["BASE-MCO-1"] == outcome


# ---- a chain of three files ---------------------------------------------------------------------

MIDDLE = '''ruleset middle
  version "1"
  extends base

# tighten: gold 10:1 in this jurisdiction
override let retail_cap = {fx_major: 30:1, gold: 10:1}

override rule BASE-MCO-1 "Close-out at 60%"
  require margin.close_out_level >= 60%
'''

LEAF = '''ruleset leaf
  version "1"
  extends middle

disable BASE-NBP-1 because "NBP is given by statute here, not by contract"

test "tightened gold cap"
  given contract {client: {category: "retail"}, leverage: {gold: 15:1}}
  expect BASE-LEV-1 failed

test "override keeps the parent's other clauses"
  given contract {margin: {close_out_level: 55%}}
  expect BASE-MCO-1 failed
'''


@pytest.fixture()
def leaf(tmp_path: Path):  # type: ignore[no-untyped-def]
    for name, text in (("base", BASE), ("middle", MIDDLE), ("leaf", LEAF)):
        (tmp_path / f"{name}.rules").write_text(text, encoding="utf-8")
    return load_ruleset(str(tmp_path / "leaf.rules"))


def test_chain_is_recorded(leaf) -> None:  # type: ignore[no-untyped-def]
    assert leaf.chain == ("leaf", "middle", "base")


def test_override_let_tightens_a_threshold(leaf) -> None:  # type: ignore[no-untyped-def]
    assert leaf.params["retail_cap"].ruleset == "middle"
    document = contract(leaf, '{client: {category: "retail"}, leverage: {gold: 15:1}}')
    assert outcomes(leaf, document)["BASE-LEV-1"] == "failed"


def test_override_rule_replaces_only_the_require(leaf) -> None:  # type: ignore[no-untyped-def]
    rule = leaf.rule("BASE-MCO-1")
    assert rule.title == "Close-out at 60%"
    assert (rule.topic, rule.citation, rule.ruleset) == ("margin_close_out", "Art. 2(b)", "middle")
    document = contract(leaf, "{margin: {close_out_level: 55%}}")
    assert outcomes(leaf, document)["BASE-MCO-1"] == "failed"


def test_exceptions_survive_the_chain(leaf) -> None:  # type: ignore[no-untyped-def]
    assert {e.rule_id for e in leaf.rule("BASE-LEV-1").exceptions} == {"BASE-LEV-1-PRO", "BASE-LEV-1-ECP"}


def test_disable_with_reason_is_listed(leaf) -> None:  # type: ignore[no-untyped-def]
    assert leaf.rule("BASE-NBP-1") is None
    assert leaf.disabled == (("BASE-NBP-1", "NBP is given by statute here, not by contract", "leaf"),)


def test_in_file_tests_of_the_leaf_pass(leaf) -> None:  # type: ignore[no-untyped-def]
    results = run_tests(leaf)
    assert [r.name for r in results] == ["tightened gold cap", "override keeps the parent's other clauses"]
    assert all(r.passed for r in results), [e for r in results for e in r.expectations]


def test_disable_needs_a_reason(tmp_path: Path) -> None:
    from compliance.errors import InputError

    (tmp_path / "base.rules").write_text(BASE, encoding="utf-8")
    (tmp_path / "leaf.rules").write_text('ruleset leaf\n  version "1"\n  extends base\n\n'
                                         'disable BASE-NBP-1 because "  "\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "leaf.rules"))
    assert caught.value.diagnostics[0].message == "disabling BASE-NBP-1 needs a stated reason"


def test_expecting_a_disabled_rule_says_so(tmp_path: Path) -> None:
    from compliance.errors import InputError

    (tmp_path / "base.rules").write_text(BASE, encoding="utf-8")
    (tmp_path / "leaf.rules").write_text(
        'ruleset leaf\n  version "1"\n  extends base\n\ndisable BASE-NBP-1 because "statute"\n\n'
        'test "t"\n  given contract {}\n  expect BASE-NBP-1 failed\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "leaf.rules"))
    assert caught.value.diagnostics[0].message == "test expects an unknown rule BASE-NBP-1 (it is disabled)"
