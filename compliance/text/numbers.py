"""Numbers stated in prose, with their offsets: leverage (30:1, 1:30, 30倍, 1比30), a close-out
percentage and an interest rate, so that a rule can compare them with the structured terms.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from compliance.records import record
from compliance.text.normalise import normalise

KINDS = ("leverage", "close_out", "interest_rate")
_CONTEXT_WINDOW = 60  # normalised characters between a percentage and the word that names it

_ENGLISH_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                    "nine": 9, "ten": 10, "twenty": 20}
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                   "九": 9, "十": 10}

# Words that say what a percentage is; the nearest one in the sentence decides.
CONTEXT = {
    "close_out": ("close out", "closed out", "close-out", "closeout", "stop out", "stop-out",
                  "stopout", "liquidat", "margin call", "强平", "强制平仓", "平仓", "爆仓", "维持担保比例",
                  "止损线", "平仓线"),
    "interest_rate": ("interest", "financing rate", "annual rate", "rate of", "rate is", "apr",
                      "per annum", "p.a.", "利率", "利息", "计息", "日息", "月息", "年息", "费率",
                      "rate"),
}


@record
class StatedNumber:
    """A number as the prose states it: ``value`` in the kind's unit (times for leverage, percent
    for the others) and the original offsets of the phrase."""

    kind: str
    value: Decimal
    start: int
    end: int
    phrase: str


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    import re2
    return {
        # 1:30 and 30:1 (a clock time such as 9:30 or 17:00 has neither side equal to 1)
        "one_to": re2.compile(r"(?:^|[^\d.:])1\s?(?::|比)\s?([1-9]\d{0,3})(?:[^\d:]|$)"),
        "to_one": re2.compile(r"(?:^|[^\d.:])([1-9]\d{0,3}(?:\.\d+)?)\s?:\s?1(?:[^\d:]|$)"),
        "times": re2.compile(r"([1-9]\d{0,3}(?:\.\d+)?|[一二两三四五六七八九十]{1,3})\s?(?:倍|x\b|times\b)"),
        "funds": re2.compile(r"(\d+)万(?:本金)?[可能]?(?:变成|变|操作|操盘|做|放大到|放大至|撬动|买)(\d+)万"),
        "words": re2.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|twenty)\s(?:times|x)\b"),
        # A rate of return: a percentage with its period ("3% weekly", "每月8%", "年化12%").
        "rate": re2.compile(r"\d+(?:\.\d+)?\s?%\s?(?:a |per |every |each )?(?:day|week|month|year|annum|"
                            r"daily|weekly|monthly|annually|yearly|p\.?a\.?)\b|"
                            r"(?:每月|每天|每日|每周|每年|月|日|周|年化|年)\s?\d+(?:\.\d+)?\s?%"),
        "percent": re2.compile(r"(\d+(?:\.\d+)?)\s?%|百分之([\d.]+|[一二两三四五六七八九十百]+)"),
    }


def _chinese_number(text: str) -> Decimal | None:
    if text.isdigit() or text.replace(".", "", 1).isdigit():
        return Decimal(text)
    if not text or any(c not in _CHINESE_DIGITS and c != "百" for c in text):
        return None
    if text == "百":
        return Decimal(100)
    if "十" in text:
        tens, _, units = text.partition("十")
        return Decimal((_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CHINESE_DIGITS.get(units, 0) if units else 0))
    return Decimal(_CHINESE_DIGITS[text]) if len(text) == 1 else None


def _may_state_numbers(text: str) -> bool:
    return any(c.isdigit() for c in text) or "倍" in text or "times" in text or "百分之" in text


@lru_cache(maxsize=4096)
def multiples(text: str) -> list[tuple[int, int, Decimal]]:
    """Leverage-like multiples in a *normalised* text: (start, end, times), left to right."""
    found: list[tuple[int, int, Decimal]] = []
    if not _may_state_numbers(text):
        return found
    patterns = _patterns()
    for name in ("one_to", "to_one", "times", "funds", "words"):
        for match in patterns[name].finditer(text):
            if name == "words":
                value, start, end = Decimal(_ENGLISH_NUMBERS[match.group(1)]), match.start(), match.end()
            elif name == "funds":
                value = Decimal(match.group(2)) / Decimal(match.group(1)) if match.group(1) != "0" else None
                start, end = match.start(), match.end()
            else:
                value = _chinese_number(match.group(1))
                start, end = match.start(1), match.end(1)
                if name == "one_to":
                    start = text.rfind("1", 0, start)
                elif name == "to_one":
                    end = text.find("1", end) + 1
                else:
                    end = match.end()
            if value is not None and value > 1 and not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, value))
    return sorted(found)


@lru_cache(maxsize=4096)
def rates_of_return(text: str) -> list[tuple[int, int]]:
    """Spans of percentages stated with a period ("2% per week") in a *normalised* text."""
    if "%" not in text:
        return []
    return [(m.start(), m.end()) for m in _patterns()["rate"].finditer(text)]


def numbers_in(text: str, kind: str | None = None) -> tuple[StatedNumber, ...]:
    """The numbers of ``kind`` (or of every kind) that ``text`` states, left to right."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind of number {kind!r}; known: {', '.join(KINDS)}")
    found = _numbers_in(text, None)   # every kind at once (each number's kind does not depend on
    return found if kind is None else tuple(n for n in found if n.kind == kind)   # the one asked for)


@lru_cache(maxsize=4096)
def _numbers_in(text: str, kind: str | None) -> tuple[StatedNumber, ...]:
    normalised = normalise(text)
    body = normalised.text
    out: list[StatedNumber] = []
    if kind in (None, "leverage"):
        for start, end, value in multiples(body):
            if not _is_ratio(body[start:end]) and not _leverage_context(body, start, end):
                continue   # "four times your margin excess", "2x the fee": a multiple, not a leverage
            first, last = normalised.span(start, end)
            out.append(StatedNumber("leverage", value, first, last, text[first:last]))
    if kind in (None, "close_out", "interest_rate"):
        for match in _patterns()["percent"].finditer(body):
            value = _chinese_number(match.group(1) or match.group(2))
            named = _percent_kind(body, match.start(), match.end())
            if value is None or named is None or (kind is not None and named != kind):
                continue
            first, last = normalised.span(match.start(), match.end())
            out.append(StatedNumber(named, value, first, last, text[first:last]))
    return tuple(sorted(out, key=lambda n: (n.start, n.kind)))


# Words that make "N times", "Nx" or N倍 a leverage rather than any multiple.
LEVERAGE_CONTEXT = ("leverage", "levered", "gearing", "geared", "杠杆", "配资", "放大")


def _is_ratio(phrase: str) -> bool:
    return ":" in phrase or "比" in phrase


def _leverage_context(text: str, start: int, end: int) -> bool:
    left, right = _sentence_bounds(text, start, end)
    return any(word in text[left:right] for word in LEVERAGE_CONTEXT)


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(0, start - _CONTEXT_WINDOW)
    right = min(len(text), end + _CONTEXT_WINDOW)
    for stop in "。!?;\n":
        cut = text.rfind(stop, left, start)
        left = cut + 1 if cut >= 0 else left
        cut = text.find(stop, end, right)
        right = cut if cut >= 0 else right
    return left, right


def _percent_kind(text: str, start: int, end: int) -> str | None:
    """The kind whose context word stands nearest the percentage, in the same sentence."""
    left, right = _sentence_bounds(text, start, end)
    best: tuple[int, str] | None = None
    for kind, words in CONTEXT.items():
        for word in words:
            for position in _all(text, word, left, right):
                distance = start - (position + len(word)) if position < start else position - end
                if best is None or distance < best[0]:
                    best = (distance, kind)
    return best[1] if best else None


def _all(text: str, word: str, left: int, right: int) -> list[int]:
    out = []
    index = text.find(word, left, right)
    while index >= 0:
        out.append(index)
        index = text.find(word, index + 1, right)
    return out



@lru_cache(maxsize=1)
def _pair_pattern() -> Any:
    import re
    # Fixed width, no nested repetition: linear on any input.
    return re.compile(r"\s*([A-Za-z]{3})\s?[/\-.:_ ]?\s?([A-Za-z]{3})(?![A-Za-z])")


def currency_pair(text: str) -> tuple[str, ...]:
    """The two currency codes of an instrument named as a currency pair ("EUR/USD", "EURUSD",
    "eur-usd", "GBP JPY CFD", full-width letters too), upper case; () when the name does not
    start with a pair."""
    import unicodedata
    found = _pair_pattern().match(unicodedata.normalize("NFKC", text[:200]))
    return (found.group(1).upper(), found.group(2).upper()) if found else ()
