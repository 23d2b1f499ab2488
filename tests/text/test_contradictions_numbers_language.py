"""Prose facts beside the claims: negative balance protection contradicted, opt-up inducements,
numbers stated in prose (with their offsets) and the language of a communication."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from compliance.text.contradictions import contradictions
from compliance.text.language import detect_language
from compliance.text.numbers import numbers_in


@pytest.mark.parametrize("text, kind, reason, phrase", [
    ("Any negative balance may be set off against any other account you hold with us.",
     "nbp_contradiction", "set_off", "set off against any other account"),
    ("We may pass the debt to a debt collection agency.", "nbp_contradiction", "recovery", "debt collection"),
    ("Your losses may exceed your deposit.", "nbp_contradiction", "losses_exceed_deposit", "losses may exceed your deposit"),
    ("您的亏损可能超过初始保证金。", "nbp_contradiction", "losses_exceed_deposit", "亏损可能超过初始保证金"),
    ("如账户出现负余额，本公司有权从您的其他账户中扣除。", "nbp_contradiction", "set_off", "其他账户中扣除"),
    ("Upgrade to Professional status and receive a $1,000 bonus.", "inducement", "reward", "Professional status and receive a $1,000 bonus"),
    ("Retail clients are capped at 1:30, Pro clients get leverage up to 1:500.", "inducement", "leverage_comparison", "Pro clients get leverage"),
    ("申请成为专业客户，即送500美元赠金！", "inducement", "reward", "专业客户，即送"),
])
def test_contradiction_found_where_the_text_says_it(text: str, kind: str, reason: str, phrase: str) -> None:
    found = [c for c in contradictions(text) if c.kind == kind]
    assert found and found[0].reason == reason
    at = text.index(phrase)
    assert found[0].start < at + len(phrase) and at < found[0].end
    assert text[found[0].start:found[0].end] == found[0].phrase


@pytest.mark.parametrize("text", [
    "Your losses will not exceed your deposits.",
    "You cannot lose more than your initial deposit.",
    "We will never set off a negative balance against money held in another account.",
    "本公司不会向客户追偿穿仓损失。",
    "Professional clients lose the protections available to retail clients.",
    "We do not offer any bonus for requesting professional client status.",
    "Our disaster recovery plan is tested every year.",
    "Fees may be deducted from the balance of the same account.",
])
def test_protections_stated_and_neutral_text_contradict_nothing(text: str) -> None:
    assert contradictions(text) == ()


@pytest.mark.parametrize("text, expected", [
    ("Maximum leverage is 30:1 for majors and 1:20 for gold.", [("leverage", "30", "30:1"), ("leverage", "20", "1:20")]),
    ("主要货币对最高杠杆为30倍，黄金二十倍。", [("leverage", "30", "30倍"), ("leverage", "20", "二十倍")]),
    ("Positions are closed out when your margin level falls to 50%.", [("close_out", "50", "50%")]),
    ("当保证金水平降至百分之五十时强制平仓。", [("close_out", "50", "百分之五十")]),
    ("The margin loan carries interest at 8.5% per annum.", [("interest_rate", "8.5", "8.5%")]),
    ("Call us between 9:30 and 17:00 on 020 7946 0123.", []),
    ("槓桿最高１：２０。", [("leverage", "20", "１：２０")]),
])
def test_numbers_in_prose_with_their_phrase(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = [(n.kind, n.value, n.phrase) for n in numbers_in(text)]
    assert found == [(kind, Decimal(value), phrase) for kind, value, phrase in expected]
    for number in numbers_in(text):
        assert text[number.start:number.end] == number.phrase


def test_numbers_of_one_kind() -> None:
    text = "Leverage 30:1; close-out at 50%; interest 6% a year."
    assert [n.kind for n in numbers_in(text, "close_out")] == ["close_out"]
    with pytest.raises(ValueError):
        numbers_in(text, "speed")


@pytest.mark.parametrize("text, code", [
    ("CFDs are complex instruments and come with a high risk of losing money rapidly.", "en"),
    ("CFDs sind komplexe Instrumente und gehen mit dem hohen Risiko einher, schnell Geld zu verlieren.", "de"),
    ("Les CFD sont des instruments complexes.", "fr"),
    ("保证收益", "zh"), ("穩賺不賠", "zh"),
    ("CFDは複雑な金融商品です。", "ja"), ("매달 수익 보장!", "ko"),
    ("Gold CFD 零风险交易 for new users", "zh"),   # Chinese carries weight: written for Chinese readers
    ("Trade now.", "en"),                          # too short to tell: English kept
])
def test_language_of_a_communication(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_mixed_text_names_its_other_language() -> None:
    detected = detect_language("XAUUSD copy trading every week, 保证收益，contact us on WeChat now")
    assert (detected.code, detected.mixed_with) == ("zh", "en")


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = ("import sys, compliance.text, compliance.text.claims, compliance.text.language; "
            "print(sorted(m for m in ('re2', 'opencc', 'fasttext', 'jieba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_front_names_each_analyser_and_nothing_else() -> None:
    import compliance.text as text
    from compliance.text.claims import analyse

    assert text.analyse is analyse
    assert text.detect_language("保证收益").code == "zh"
    with pytest.raises(AttributeError):
        text.not_a_function  # noqa: B018
