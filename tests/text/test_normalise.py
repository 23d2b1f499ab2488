"""Normalisation for matching: each obfuscation is read as the plain word, and every normalised
character maps back to a span of the original text (so findings point at the phrase as written)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.text.normalise import normalise


@pytest.mark.parametrize("text, expected", [
    ("G U A R A N T E E D profit", "guaranteed profit"),
    ("g.u.a.r.a.n.t.e.e.d returns", "guaranteed returns"),
    ("Earn a gu\u0430ranteed income", "earn a guaranteed income"),      # Cyrillic а
    ("\u03bf risk", "o risk"),                                           # Greek omicron
    ("ＧＵＡＲＡＮＴＥＥＤ", "guaranteed"),                               # full-width
    ("𝐆𝐮𝐚𝐫𝐚𝐧𝐭𝐞𝐞𝐝", "guaranteed"),                                     # mathematical bold
    ("gu\u200baranteed", "guaranteed"),                                  # zero-width space
    ("r1sk-free guar@nteed pr0fit", "risk-free guaranteed profit"),
    ("risk\u2011free \u201creturns\u201d \u2014 ok", 'risk-free "returns" - ok'),
    ("garantíe", "garantie"),                                            # diacritics
    ("保 本", "保本"), ("保-本", "保本"), ("保.本", "保本"), ("保_本", "保本"), ("保 . 本", "保本"),
    ("穩賺不賠", "稳赚不赔"), ("保證收益", "保证收益"), ("帳戶", "账户"),    # traditional
    ("🔥零 风 险🔥", "零风险"),
    ("不保本，收益高", "不保本,收益高"),                                    # a clause comma is kept
    ("  many   spaces\n\there ", "many spaces here"),
    ("I am a b c", "i am a b c"),                                        # three letters stay apart
])
def test_normalised_text(text: str, expected: str) -> None:
    assert normalise(text).text == expected


@pytest.mark.parametrize("text, word", [
    ("Try 𝐆𝐮𝐚𝐫𝐚𝐧𝐭𝐞𝐞𝐝 returns", "guaranteed"),
    ("外汇 保 本 计划", "保本"),
    ("專業 保證收益", "保证收益"),
    ("G U A R A N T E E D profit", "guaranteed"),
])
def test_a_normalised_word_quotes_the_original_spelling(text: str, word: str) -> None:
    normalised = normalise(text)
    start = normalised.text.index(word)
    quoted = normalised.quote(start, start + len(word))
    assert normalise(quoted).text == word
    assert quoted == text[text.index(quoted[0]):text.index(quoted[0]) + len(quoted)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_offsets_map_inside_the_original_in_order(text: str) -> None:
    normalised = normalise(text)
    assert len(normalised.starts) == len(normalised.ends) == len(normalised.text)
    previous = 0
    for start, end in zip(normalised.starts, normalised.ends):
        assert 0 <= start < end <= len(text)
        assert start >= previous
        previous = start


_CJK_CLAIMS = ["保本", "保证收益", "零风险", "稳赚不赔", "配资", "本金无忧"]
_FILLERS = [" ", ".", "-", "_", "*", "·", "~", "/"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_CJK_CLAIMS), st.lists(st.sampled_from(_FILLERS), min_size=1, max_size=3))
def test_fillers_inside_a_chinese_word_do_not_hide_it(word: str, fillers: list[str]) -> None:
    spaced = word[0] + "".join(fillers) + word[1:]
    assert word in normalise(f"限时 {spaced} 计划").text
