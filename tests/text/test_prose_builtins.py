"""The prose builtins as rules call them: a vocabulary written as a DSL map, in-file tests that
pass and fail, and errors for a vocabulary the analyser cannot use."""
from __future__ import annotations

from decimal import Decimal

import pytest

from compliance.dsl.loader import load_ruleset_text
from compliance.dsl.units import Leverage, Percent, UnitError
from compliance.evaluate.builtins import REGISTRY
from compliance.evaluate.testing import run_tests
from compliance.evaluate.values import MISSING

RULESET = '''
ruleset prose_demo
  version "1"

let house_words = {guarantee: ["pledge*", "guarantee*"], object: ["payout*", "return*"]}

rule PD-CLAIM-1 "No promised returns in marketing"
  topic prohibited_claim
  severity error
  citation "demo"
  for each item in marketing
  require not claims(item.text, house_words)
  subject item.text
  message "marketing item {item.id} promises a return: \\"{first_claim(item.text, house_words)}\\""

rule PD-LANG-1 "Marketing in the language of the warning"
  topic risk_warning
  severity error
  citation "demo"
  for each item in marketing
  require language_of(item.text) == "en"
  message "marketing item {item.id} is in {language_of(item.text)}"

test "a pledge of payouts fails"
  given contract {marketing: [{id: "m1", text: "We pledge monthly payouts."}]}
  expect PD-CLAIM-1 failed

test "a disclaimer passes"
  given contract {marketing: [{id: "m1", text: "Payouts are not guaranteed."}]}
  expect PD-CLAIM-1 passed

test "a German advertisement is not English"
  given contract {marketing: [{id: "m1", text: "Handeln Sie jetzt Gold und Öl mit engen Spreads."}]}
  expect PD-LANG-1 failed
'''


def test_rules_read_prose_with_a_vocabulary_map() -> None:
    results = run_tests(load_ruleset_text(RULESET, "demo.rules"))
    assert len(results) == 3
    assert all(result.passed for result in results), [r.expectations for r in results]


def call(name: str, *args: object) -> object:
    return REGISTRY[name].scalar(*args)


def test_first_claim_quotes_the_phrase_and_missing_when_none() -> None:
    words = {"guarantee": ["guarantee*"], "object": ["return*"]}
    assert call("first_claim", "Intro. Guaranteed monthly returns!", words) == "Guaranteed monthly returns"
    assert call("first_claim", ["Nothing here.", "保证收益"], {}) == "保证收益"
    assert call("first_claim", "Returns are not guaranteed.", words) is MISSING
    assert call("claims", MISSING, words) is MISSING
    assert call("claims", "Zero risk!", {}, "peizi") is False
    assert call("claims", "Zero risk!", {}, ["no_risk"]) is True
    assert "guaranteed" in str(call("claim_explanation", "guaranteed returns", {})).lower()


def test_an_unusable_vocabulary_is_an_error_for_the_rule_author() -> None:
    with pytest.raises(UnitError, match="unknown vocabulary family"):
        call("claims", "text", {"guarantees": ["x"]})
    with pytest.raises(UnitError, match="unknown kind"):
        call("claims", "text", {}, "promises")


def test_contradictions_numbers_and_language() -> None:
    assert call("contradicts", "Your losses may exceed your deposit.", "nbp_contradiction") is True
    assert call("contradicts", "Your losses will not exceed your deposit.", "nbp_contradiction") is False
    assert call("first_contradiction", "Opt up to professional and get a bonus.", "inducement") \
        == "Opt up to professional and get a bonus"
    assert call("leverages_in", "Leverage is 30:1, and 20倍 for gold.") == [Leverage(Decimal(30)), Leverage(Decimal(20))]
    assert call("percentages_of", "Close-out at 50%; interest 6% a year.", "close_out") == [Percent(Decimal("0.5"))]
    assert call("language_of", "保证收益") == "zh"
