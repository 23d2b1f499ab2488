"""The rulesets' prose rules on the labelled corpus, end to end (compliance.text.verdicts): every
text placed in a contract as a marketing item, as a clause and where the corpus found it, each
built-in ruleset evaluated, its verdicts scored per language. The floors are the figures measured,
rounded down, so a regression fails; the placements and the rule groups are checked too."""
from __future__ import annotations

import datetime as dt
import glob
import os

import pytest

from compliance.dsl.loader import load_ruleset
from compliance.text.evaluation import load
from compliance.text.verdicts import (
    GROUPS,
    RULESETS,
    failed_groups,
    placed,
    placements_of,
    score_ruleset,
)

HERE = os.path.join(os.path.dirname(__file__), "..", "corpus", "prose")
AS_OF = dt.date(2026, 1, 1)
# part -> (precision, recall) floor per language, for every ruleset
FLOORS = {"dev": (0.99, 0.99), "final": (0.99, 0.99), "untouched": (0.99, 0.86), "untouched2": (0.99, 0.92)}


def _items(part: str) -> list[dict]:
    return load(glob.glob(os.path.join(HERE, part, "*.yaml")))


@pytest.mark.parametrize("part", sorted(FLOORS))
@pytest.mark.parametrize("name", sorted(RULESETS))
def test_the_rulesets_decide_on_the_corpus(name: str, part: str) -> None:
    result = score_ruleset(name, _items(part), AS_OF)
    precision_floor, recall_floor = FLOORS[part]
    for language, tally in sorted(result.by["language"].items()):
        assert tally.precision >= precision_floor and tally.recall >= recall_floor, \
            (name, part, language, tally, result.misses)


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_the_scored_rules_exist_and_name_their_group(name: str) -> None:
    rule_ids = {rule.rule_id for rule in load_ruleset(name).rules}
    groups, _base = RULESETS[name]
    assert set(groups) <= rule_ids
    assert set(groups.values()) <= set(GROUPS)


def test_a_text_is_placed_where_the_rules_read_it() -> None:
    item = {"placement": "incentive"}
    assert placements_of(item) == ("marketing", "clause", "incentive")
    assert placed("t", "incentive", {})["incentives"] == [{"type": "gift", "description": "t"}]
    assert placed("t", "product_name", {"product": {"type": "cfd"}})["product"] == {"type": "cfd", "name": "t"}
    with pytest.raises(ValueError):
        placed("t", "footnote", {})


@pytest.mark.parametrize("name, text, placement, group, kind", [
    ("platform_default", "We refund every losing trade in full.", "clause", "claims", "compensation"),
    ("csrc_like", "股票配资一比十，当天到账。", "marketing", "peizi", "peizi"),
    ("esma_like", "You may lose more than your initial margin.", "risk_warning", "nbp_contradiction",
     "nbp_contradiction"),
    ("fca_like", "Upgrade to professional status and get a $300 bonus.", "marketing", "inducement", "inducement"),
])
def test_a_failed_rule_is_read_as_its_group_and_the_kind_it_names(name: str, text: str, placement: str,
                                                                   group: str, kind: str) -> None:
    assert failed_groups(name, text, placement, AS_OF) == {group: kind}
    assert failed_groups(name, "Trading CFDs involves risk.", placement, AS_OF) == {}
