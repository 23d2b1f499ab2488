"""The prose rules of the built-in rulesets, end to end: a contract file with a text in it, checked
by the ruleset, fails the rule meant for it and points at the phrase (line and column inside plain,
quoted and block scalars); the message quotes the phrase that matched (never a negated one, never
"MISSING" or "not stated") and says why it is no disclaimer; mentions() and matches() read CJK
spacing alike."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.documents.contract import load_contract
from compliance.dsl.loader import load_ruleset
from compliance.evaluate.builtins import REGISTRY
from compliance.evaluate.scalar import evaluate_document

AS_OF = dt.date(2026, 1, 1)
HEAD = "kind: contract\nid: T\nclient: {category: retail}\n"


def _findings(tmp_path: Path, ruleset: str, body: str, rule: str, outcome: str = "failed") -> list:
    path = tmp_path / "contract.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    results = evaluate_document(load_ruleset(ruleset), load_contract(str(path)), AS_OF)
    return [r for r in results if r.rule.rule_id == rule and r.outcome == outcome]


def _at(tmp_path: Path, line: int, column: int) -> str:
    return (tmp_path / "contract.yaml").read_text(encoding="utf-8").split("\n")[line - 1][column - 1:]


# ---- the finding points at the phrase: plain, quoted and block scalars, through the rulesets ------------
POSITIONS = [
    # ruleset, rule, the YAML after the head, line, the text the column starts at
    ("platform_default", "PD-CLAIM-1",
     "product: {type: margin_loan}\nclauses:\n  - id: r\n    title: 收益\n    text: >-\n      本产品不保本，\n"
     "      但保证每月收益不低于8%。\n", 10, "保证每月收益"),
    ("platform_default", "PD-CLAIM-2",
     'marketing:\n  - {id: m, text: "Trade with us. Returns guaranteed, every month."}\n', 5, "Returns guaranteed"),
    ("platform_default", "PD-CLAIM-4",
     "marketing:\n  - id: m\n    text: |\n      开户送好礼\n      十倍杠杆炒股，按天配资\n", 8, "十倍杠杆炒股"),
    ("csrc_like", "CSRC-CLAIM-2",
     "marketing:\n  - id: m\n    text: '本金无忧，''稳赚''的好机会'\n", 6, "本金无忧"),
    ("esma_like", "ESMA-CLAIM-1",
     "product: {type: cfd}\nclauses:\n  - id: c\n    text: >-\n      Trading is simple and the Company\n"
     "      guarantees a fixed return of 2% per month.\n", 9, "guarantees a fixed return"),
    ("esma_like", "ESMA-NBP-3",
     "product: {type: cfd}\nnegative_balance_protection: true\ndisclosures:\n  risk_warning:\n"
     '    text: "CFDs are risky and\n      your losses may exceed your deposit."\n', 9, "losses may exceed"),
    ("esma_like", "ESMA-TEXT-2",
     "product: {type: cfd}\nleverage: {fx_major: 30:1}\nclauses:\n  - id: c\n    text: |\n"
     "      Leverage is at most 30:1 on majors,\n      and up to 1:500 on minors.\n", 10, "1:500"),
    ("platform_default", "PD-TERM-6",
     "product: {type: margin_loan}\nfinancing: {annual_rate: 6.5%, day_count: ACT/365}\nclauses:\n"
     "  - {id: rate, title: 利息, text: 融资年利率为8.6%，按日计息。}\n", 7, "8.6%"),
]


@pytest.mark.parametrize("ruleset, rule, body, line, starts", POSITIONS, ids=[p[1] for p in POSITIONS])
def test_the_finding_points_at_the_phrase(tmp_path: Path, ruleset: str, rule: str, body: str, line: int,
                                          starts: str) -> None:
    [finding, *_] = _findings(tmp_path, ruleset, body, rule)
    assert finding.position.line == line
    assert _at(tmp_path, line, finding.position.column).startswith(starts)


# ---- claims found and cleared, one text at a time -------------------------------------------------------
CLAIMS = [
    "Guaranteed monthly returns for every member.", "Returns guaranteed, whatever the market does.",
    "We guarantee you will earn 2% a week.", "Zero risk: your capital is safe with us.",
    "Lose on your first trade and we refund your losses.", "本金无忧，收益稳稳的。", "跟单亏损，平台全额赔付。",
    "保 本 保 收 益，放心投资", "穩賺不賠的黃金策略", "Guаrаnteed prоfits every day",
]
CLEAN = [
    "本公司不承诺保本，也没有保底收益。", "We do not, in any way, guarantee returns.",
    "Beware of firms that promise guaranteed returns or zero risk.", "警惕承诺保本保收益的非法平台。",
    "Guaranteed stop-loss orders carry a premium.", "保本点是指覆盖融资利息所需的涨幅。",
    "With negative balance protection you can never lose more than your deposit.",
]


@pytest.mark.parametrize("ruleset, rule", [("platform_default", "PD-CLAIM-2"), ("csrc_like", "CSRC-CLAIM-2"),
                                           ("esma_like", "ESMA-CLAIM-2"), ("fca_like", "ESMA-CLAIM-2")])
@pytest.mark.parametrize("text", CLAIMS + CLEAN)
def test_marketing_claims_are_found_and_disclaimers_are_not(tmp_path: Path, ruleset: str, rule: str,
                                                            text: str) -> None:
    body = f"product: {{type: cfd}}\nmarketing:\n  - id: m\n    text: {text!r}\n".replace("'", '"')
    failed = _findings(tmp_path, ruleset, body, rule)
    assert bool(failed) == (text in CLAIMS), [f.message for f in failed]


# ---- messages: the phrase that matched, its trigger words, never a placeholder --------------------------
@pytest.mark.parametrize("ruleset, rule, text, quoted, not_quoted", [
    # the negated 保本 comes first; the message quotes the promise that matched
    ("platform_default", "PD-CLAIM-1", "本产品不保本，但保证每月收益8%。", "保证每月收益", "保本"),
    ("csrc_like", "CSRC-CLAIM-1", "Returns are not guaranteed, but your capital is 100% safe.", "capital is 100% safe", "guaranteed"),
    # a claim the old phrase list did not name: the message quoted "MISSING" or "not stated"
    ("platform_default", "PD-CLAIM-1", "We promise a steady return on your capital.", "promise a steady return on", None),
])
def test_the_message_quotes_the_phrase_that_matched(tmp_path: Path, ruleset: str, rule: str, text: str,
                                                    quoted: str, not_quoted: str | None) -> None:
    body = f"product: {{type: margin_loan}}\nclauses:\n  - id: c\n    text: \"{text}\"\n"
    [finding] = _findings(tmp_path, ruleset, body, rule)
    phrase = re.search(r'"([^"]+)"', finding.message).group(1)
    assert phrase == quoted and phrase in text
    if not_quoted:
        assert f'"{not_quoted}"' not in finding.message
    assert "not a disclaimer" in finding.message
    for placeholder in ("MISSING", "not stated", "<"):
        assert placeholder not in finding.message and placeholder not in finding.fix


# ---- language: checked where a warning text is sourced, "cannot verify" elsewhere -----------------------
WARNING = ("CFDs are complex instruments and come with a high risk of losing money rapidly due to leverage. "
           "72% of retail investor accounts lose money when trading CFDs with this provider. You should "
           "consider whether you understand how CFDs work and whether you can afford to take the high risk "
           "of losing your money.")


@pytest.mark.parametrize("ad, outcome", [
    ("Handeln Sie Gold, Öl und Indizes mit engen Spreads und schneller Ausführung. " + WARNING, "failed"),
    ("Handeln Sie Gold und Öl mit engen Spreads. CFD sind komplexe Instrumente.", "not_stated"),
    ("Tradez l'or et le pétrole avec des spreads serrés.", "not_stated"),
    ("Trade gold and oil with tight spreads. " + WARNING, "passed"),
])
def test_the_warning_is_judged_in_the_language_of_the_communication(tmp_path: Path, ad: str, outcome: str) -> None:
    body = f'product: {{type: cfd}}\nmarketing:\n  - id: m\n    text: "{ad}"\n'
    [result] = _findings(tmp_path, "esma_like", body, "ESMA-RW-9", outcome)
    if outcome == "not_stated":
        assert "cannot verify" in result.message
        language = REGISTRY["language_of"].scalar(ad)
        assert language in ("de", "fr") and f"in {language}" in result.fix


# ---- mentions() and matches() read CJK spacing alike ---------------------------------------------------
_HAN = st.sampled_from("保本收益稳赚不赔配资杠杆倍本金风险")
_PIECE = st.one_of(_HAN, st.sampled_from(["5", "x", "a", "%", "!"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_HAN, min_size=1, max_size=3).map("".join),
       st.lists(st.tuples(_PIECE, st.sampled_from(["", "", " ", "  "])), max_size=12))
def test_mentions_and_matches_agree_on_cjk_spacing(phrase: str, pieces: list[tuple[str, str]]) -> None:
    text = "".join(char + space for char, space in pieces)
    mentions = REGISTRY["mentions"].scalar(text, [phrase])
    matches = REGISTRY["matches"].scalar(text, re.escape(phrase))
    assert mentions == matches
    spaced = " ".join(phrase)   # a stray space between every character
    assert REGISTRY["mentions"].scalar(spaced, [phrase]) and REGISTRY["matches"].scalar(spaced, phrase)
