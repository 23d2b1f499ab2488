"""The claims analyser: claims found by proximity and polarity, with the phrase they point at;
disclaimers, warnings, terms of art and negative-balance wording judged clean, with the reason."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.text.claims import analyse, claims
from compliance.text.vocabulary import Vocabulary, VocabularyError

# text, kind, the phrase the claim must quote (as written in the text)
POSITIVES = [
    ("Guaranteed monthly returns for every client.", "guarantee", "Guaranteed monthly returns"),
    ("Returns guaranteed, withdraw any time.", "guarantee", "Returns guaranteed"),
    ("We guarantee you will earn 2% a week.", "guarantee", "guarantee you will earn"),
    ("Your capital is safe with our hedged accounts.", "guarantee", "capital is safe"),
    ("专业团队，本金无忧。", "guarantee", "本金无忧"),
    ("跟单交易，保证每月收益8%以上！", "guarantee", "保证每月收益"),
    ("外汇跟单 保 本 保 息", "guarantee", "保 本 保 息"),
    ("專業分析師帶單，保證收益。", "guarantee", "保證收益"),
    ("Members get a guaranteed 3% weekly.", "guarantee", "guaranteed 3% weekly"),
    ("Earn a gu\u0430ranteed income from FX.", "guarantee", "gu\u0430ranteed income"),
    ("Trade with zero risk and tight spreads.", "no_risk", "zero risk"),
    ("With our system you can't lose.", "no_risk", "can't lose"),
    ("跟着老师操作，稳赚不赔。", "no_risk", "稳赚不赔"),
    ("您的账户永远不会亏损。", "no_risk", "不会亏损"),
    ("入金即送策略，保证不亏！", "no_risk", "保证不亏"),
    ("We refund your losses up to $500.", "compensation", "refund your losses"),
    ("首单亏损全额赔付。", "compensation", "亏损全额赔付"),
    ("平台兜底，放心做。", "compensation", "兜底"),
    ("股票配资，1比10，当天到账！", "peizi", "股票配资"),
    ("炒股资金放大1:8，随借随还。", "peizi", "资金放大1:8"),
    ("首月免息配资！", "peizi", "免息配资"),
]

# text, the reason it is clean
NEGATIVES = [
    ("Returns are not guaranteed.", "negated"),
    ("We do not, under any circumstances, guarantee returns.", "negated"),
    ("There is no guarantee that you will make a profit.", "negated"),
    ("本公司不承诺保本。", "negated"),
    ("投资有风险，没有保底。", "negated"),
    ("我们无法保证您的本金安全。", "negated"),
    ("No investment is risk-free.", "negated"),
    ("天下没有零风险的投资。", "negated"),
    ("We will not compensate you for losses arising from market movements.", "negated"),
    ("客户不得将账户用于配资。", "negated"),
    ("We do not provide stock financing, margin lending or sub-accounts.", "negated"),
    ("Beware of firms that promise guaranteed returns.", "warning_frame"),
    ("警惕承诺保本的平台。", "warning_frame"),
    ("凡是宣称“稳赚不赔”的都是骗局。", "warning_frame"),
    ("You cannot lose more than your deposit.", "negative_balance_protection"),
    ("The Guarantor guarantees repayment of principal and interest.", "debt"),
    ("We will compensate you for any loss caused by our negligence.", "fault"),
]

# clean with no would-be claim at all: the words of a claim used as terms of art
TERMS_OF_ART = [
    "A guaranteed stop-loss order closes your position at your price.",
    "Financing is charged at the risk-free rate plus 2%.",
    "融资利率参照无风险利率加点确定。",
    "保本点是指收入恰好覆盖成本时的价格。",
    "客户应合理分配资金。",
    "Only trade with money you can afford to lose.",
    "亏损根据负余额保护不会超过账户资金。",
]


@pytest.mark.parametrize("text, kind, phrase", POSITIVES)
def test_claim_found_with_its_phrase(text: str, kind: str, phrase: str) -> None:
    found = [c for c in claims(text) if c.kind == kind]
    assert found, f"no {kind} claim in {text!r}"
    claim = found[0]
    assert text[claim.start:claim.end] == claim.phrase
    at = text.index(phrase)
    assert claim.start < at + len(phrase) and at < claim.end, (claim.phrase, phrase)
    assert all(trigger in text for trigger in claim.triggers)
    assert any(trigger in claim.explanation for trigger in claim.triggers)


@pytest.mark.parametrize("text, reason", NEGATIVES)
def test_disclaimers_and_frames_are_clean_with_the_reason(text: str, reason: str) -> None:
    analysis = analyse(text)
    assert analysis.claims == ()
    reasons = {c.reason for c in analysis.cleared}
    assert reason in reasons, (text, analysis.cleared)
    cleared = next(c for c in analysis.cleared if c.reason == reason)
    assert cleared.cue in text and cleared.cue in cleared.explanation


@pytest.mark.parametrize("text", TERMS_OF_ART)
def test_terms_of_art_make_no_claim(text: str) -> None:
    assert claims(text) == ()


def test_a_negated_loss_is_a_claim_and_a_negated_guarantee_a_disclaimer() -> None:
    assert [c.kind for c in claims("You will never lose.")] == ["no_risk"]
    assert claims("We cannot guarantee you will not lose.") == ()
    assert [c.kind for c in claims("保证不亏损")] == ["no_risk"]
    assert claims("任何机构均不能保证投资不亏损。") == ()


def test_the_phrase_points_into_the_original_text_at_the_right_place() -> None:
    text = "Intro line.\nSecond line: guaranteed returns, every month."
    [claim] = claims(text)
    assert text[claim.start:claim.end] == claim.phrase == "guaranteed returns"
    assert text.count("\n", 0, claim.start) == 1


def test_only_the_kinds_asked_for() -> None:
    text = "Guaranteed returns and zero risk."
    assert {c.kind for c in claims(text)} == {"guarantee", "no_risk"}
    assert {c.kind for c in claims(text, kinds=["no_risk"])} == {"no_risk"}
    with pytest.raises(ValueError):
        claims(text, kinds=["nonsense"])


def test_the_vocabulary_is_data() -> None:
    house = {"guarantee": ["vouch*"], "object": ["payout*"]}
    assert claims("We vouch for monthly payouts.", house)
    assert not claims("We vouch for monthly payouts.")       # not a default guarantee word
    assert not claims("Guaranteed returns.", house)           # the house list replaced the default
    assert claims("Zero risk.", {"no_risk_terms": []})        # other families keep their defaults
    assert not claims("Zero risk.", {"none": [], "no_risk_terms": []})
    with pytest.raises(VocabularyError):
        Vocabulary.of({"guarantees": ["x"]})
    with pytest.raises(VocabularyError):
        Vocabulary.of({"guarantee": "guaranteed"})


_CLAIMS = ["guaranteed returns", "zero risk", "you can't lose", "we refund your losses"]
_FRAMES = ["Beware of firms that say '{}'.", "Be wary of anyone promising {}.",
           "Regulators warn that '{}' is a classic scam line.", "'{}' is a red flag."]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(_CLAIMS), st.sampled_from(_FRAMES))
def test_a_claim_quoted_in_a_warning_is_clean(claim: str, frame: str) -> None:
    assert claims(claim), claim
    assert claims(frame.format(claim)) == ()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["保本保息", "保证收益", "零风险", "稳赚不赔", "配资"]),
       st.lists(st.sampled_from([" ", ".", "-", "*", "·"]), min_size=1, max_size=2))
def test_fillers_inside_a_chinese_claim_do_not_hide_it(word: str, fillers: list[str]) -> None:
    text = "限时" + word[0] + "".join(fillers) + word[1:] + "，名额有限"
    found = claims(text)
    assert found
    assert found[0].phrase.startswith(word[0])
