"""Dominance proofs: house rulesets stricter than esma_like are proved so; subtly looser ones are
not, each with a witness the scalar evaluator confirms passes the house and fails the law."""
from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("z3")

from compliance.analysis.prove import IMPLIED, NOT_ANALYSED, NOT_IMPLIED, prove  # noqa: E402
from compliance.dsl.loader import load_ruleset, load_ruleset_text  # noqa: E402
from compliance.evaluate.scalar import evaluate_document, overall  # noqa: E402

AS_OF = dt.date(2026, 1, 1)
HEADER = 'ruleset house\n  version "1"\n  extends esma_like\n\n'

STRICTER = {
    "higher close-out level": "override let close_out_level = 60% from 2018-08-01\n",
    "lower caps": "override let retail_cap = {fx_major: 20:1, fx_minor: 10:1, gold: 10:1, index_major: "
                  "10:1, index_minor: 5:1, commodity: 5:1, equity: 2:1, bond: 2:1, other: 2:1, "
                  "crypto: 1:1}\n",
    "fewer exempt clients": 'override let exempt_categories = ["eligible_counterparty"]\n',
    "measures from an earlier date": "override let cfd_measures_in_force = false, true from 2018-01-01\n",
}

LOOSER = {
    # name: (house text, the REG rule it must not imply, as of)
    "a lower close-out level from 2025": (
        "override let close_out_level = 50% from 2018-08-01, 45% from 2025-07-01\n", "ESMA-MCO-1", AS_OF),
    "an exemption for one more client category": (
        'exception HOUSE-LEV-1-EP to ESMA-LEV-1 "Elective professionals"\n'
        "  when exists client.elective_professional and client.elective_professional\n",
        "ESMA-LEV-1", AS_OF),
    "a cap raised for one class": (
        "override let retail_cap = {fx_major: 30:1, fx_minor: 20:1, gold: 25:1, index_major: 20:1, "
        "index_minor: 10:1, commodity: 10:1, equity: 5:1, bond: 5:1, other: 5:1, crypto: 2:1}\n",
        "ESMA-LEV-1", AS_OF),
    "a disabled rule": ('disable ESMA-NBP-1 because "house view"\n', "ESMA-NBP-1", AS_OF),
}


@pytest.fixture(scope="module")
def esma():
    return load_ruleset("esma_like")


def _house(body: str):
    return load_ruleset_text(HEADER + body, "house.rules")


def _outcomes(ruleset, document, as_of):
    results = evaluate_document(ruleset, document, as_of)
    by_rule = {}
    for result in results:
        by_rule.setdefault(result.rule.rule_id, []).append(result)
    return {rule.rule_id: overall(by_rule.get(rule.rule_id, [])) for rule in ruleset.rules
            if rule.target == document.kind}


@pytest.mark.parametrize("body", STRICTER.values(), ids=list(STRICTER))
def test_a_stricter_house_implies_every_analysed_rule(esma, body):
    result = prove(_house(body), esma, AS_OF)
    analysed = [v for v in result.verdicts if v.verdict != NOT_ANALYSED]
    assert analysed and all(v.verdict == IMPLIED for v in analysed), \
        [(v.rule_id, v.verdict) for v in analysed if v.verdict != IMPLIED]
    house_ids = {r.rule_id for r in _house(body).rules}
    assert all(set(v.implied_by) <= house_ids for v in analysed)


@pytest.mark.parametrize("body, rule_id, as_of", LOOSER.values(), ids=list(LOOSER))
def test_a_looser_house_is_caught_with_a_witness_the_evaluator_confirms(esma, body, rule_id, as_of):
    house = _house(body)
    result = prove(house, esma, as_of)
    verdict = next(v for v in result.verdicts if v.rule_id == rule_id)
    assert verdict.verdict == NOT_IMPLIED
    document = verdict.witness.document
    house_outcomes = _outcomes(house, document, as_of)
    assert all(outcome in ("passed", "not_applicable") for outcome in house_outcomes.values()), house_outcomes
    assert _outcomes(esma, document, as_of)[rule_id] not in ("passed", "not_applicable")
    others = [v for v in result.verdicts if v.rule_id != rule_id and v.verdict != NOT_ANALYSED]
    assert all(v.verdict == IMPLIED for v in others)


@pytest.mark.parametrize("as_of, verdict", [(dt.date(2025, 6, 30), IMPLIED), (AS_OF, NOT_IMPLIED)])
def test_the_lower_close_out_level_is_harmless_before_it_takes_effect(esma, as_of, verdict):
    house = _house(LOOSER["a lower close-out level from 2025"][0])
    result = prove(house, esma, as_of, target="account")
    assert next(v for v in result.verdicts if v.rule_id == "ESMA-ACC-MCO-1").verdict == verdict


def test_rules_with_text_functions_are_never_proved(esma):
    result = prove(esma, esma, AS_OF)
    by_id = {v.rule_id: v for v in result.verdicts}
    assert by_id["ESMA-RW-1"].verdict == NOT_ANALYSED and "mentions_all()" in by_id["ESMA-RW-1"].reason
    assert by_id["ESMA-RW-2"].verdict == NOT_ANALYSED and "matches()" in by_id["ESMA-RW-2"].reason
    assert by_id["ESMA-INC-3"].verdict == NOT_ANALYSED


def test_a_ruleset_implies_itself_rule_by_rule(esma):
    result = prove(esma, esma, AS_OF)
    for verdict in result.verdicts:
        if verdict.verdict == IMPLIED and verdict.implied_by:
            assert verdict.rule_id in verdict.implied_by


def test_account_rules_are_proved_over_snapshot_rows(esma):
    house = _house("override let close_out_level = 40% from 2018-08-01\n")
    result = prove(house, esma, AS_OF, target="account")
    verdict = next(v for v in result.verdicts if v.rule_id == "ESMA-ACC-MCO-1")
    assert verdict.verdict == NOT_IMPLIED
    document = verdict.witness.document
    assert _outcomes(esma, document, AS_OF)["ESMA-ACC-MCO-1"] == "failed"
    assert _outcomes(house, document, AS_OF)["ESMA-ACC-MCO-1"] in ("passed", "not_applicable")
