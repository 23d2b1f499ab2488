"""Text normalised for matching, with every normalised character mapped back to a span of the
original text (so a finding points at the phrase as written, not at its normalised form).

Steps, in order: zero-width and combining characters dropped; Latin look-alikes from other scripts
(Cyrillic, Greek, Armenian, small capitals) read as the Latin letter; NFKC (full-width and styled
letters and digits); Latin diacritics stripped; case folded; typographic dashes, quotes and
apostrophes made plain; emoji and symbols read as spaces; traditional Chinese read as simplified
(OpenCC ``t2s``, loaded on first use); spaces and light punctuation inside a run of Chinese
characters dropped ("保 本", "保-本", "保.本"); spaced-out Latin letters joined ("g u a r a n t e e
d"); digits and signs standing for letters inside a word read as letters ("r1sk", "guar@nteed");
runs of white space made one space.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_TEXT_CHARS = 100_000  # a contract text field is a few kilobytes; longer input is cut, not read

# Derived from Unicode's confusables data (confusables.txt, via the confusable-homoglyphs package):
# letters of Cyrillic, Greek, Armenian and the Latin small capitals whose prototype is one Latin
# letter, with the case kept; plus Greek letters the data leaves out but that pass for Latin in
# words (ε, κ, η, ω, τ) and capital I look-alikes the data files under "l".
_CONFUSABLE_FROM = ("ıɡɪʏͺͿΑΒΕΖΗΙΚΜΝΟΡΤΥΧαγινορσυϒϜϱϲϳϹϺЅІЈАВЕКМНОРСТУХЬагеорсухѕіјѡѴѵҮүһҽӀӏ"
                    "ԁԌԛԜԝՍՏՕագզհոռսցքօᴄᴏᴜᴠᴡᴢᴦιꙇꜱεκηωτ")
_CONFUSABLE_TO = ("igiyijabezhikmnoptyxayivopouyfpcjcmsijabekmhopctyxbareopcyxsijwvvyyheiidgqwwuso"
                  "wqqhnnugfocouvwzriisekrwt")
CONFUSABLES = dict(zip(_CONFUSABLE_FROM, _CONFUSABLE_TO))

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u300c\u300d\u300e\u300f\u301d\u301e\u2033\uff02"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\uff07`\u00b4"
_TYPOGRAPHIC = {**{c: "-" for c in _DASHES}, **{c: '"' for c in _DOUBLE_QUOTES},
                **{c: "'" for c in _SINGLE_QUOTES}, "\u2026": "...", "\u3000": " "}
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e")
# Characters dropped between two Chinese characters: obfuscation, not punctuation. Full-width
# commas and stops are kept, since they end a clause.
_CJK_FILLERS = frozenset(" .-_*~|/+^=#'\"`·•・")
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s"}
_SPACED_SEPARATORS = frozenset(" .-_*")
_VARIANTS = {"帐": "账", "於": "于"}  # OpenCC keeps these; the vocabulary writes the common form


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F)


def _is_latin_letter(char: str) -> bool:
    return "a" <= char <= "z"


@dataclass(frozen=True)
class Normalised:
    """The normalised ``text`` and, for each of its characters, the original span it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised characters ``start:end`` (end exclusive)."""
        if not self.text:
            return (0, 0)
        start = min(max(start, 0), len(self.text) - 1)
        end = min(max(end, start + 1), len(self.text))
        return self.starts[start], self.ends[end - 1]

    def quote(self, start: int, end: int) -> str:
        """The original text behind the normalised characters ``start:end``."""
        first, last = self.span(start, end)
        return self.original[first:last]


@lru_cache(maxsize=8192)
def _fold(char: str) -> str:
    """One character as matched: look-alikes, NFKC, diacritics, case, typography, symbols."""
    if char in _ZERO_WIDTH or unicodedata.combining(char):
        return ""
    char = CONFUSABLES.get(char, char)
    folded = unicodedata.normalize("NFKC", char)
    if any(not c.isascii() for c in folded):
        stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
        if stripped.isascii() and stripped:
            folded = stripped
    folded = folded.casefold()
    out = []
    for c in folded:
        c = _TYPOGRAPHIC.get(c, c)
        c = CONFUSABLES.get(c, c)
        if c.isspace():
            c = " "
        elif unicodedata.category(c) in ("So", "Sk", "Cs", "Co", "Cn") and not c.isascii():
            c = " "  # emoji and pictographs separate words; they never carry the claim
        out.append(c)
    return "".join(out)


def normalise(text: str) -> Normalised:
    """``text`` normalised for matching (see the module docstring), with offsets kept."""
    return _normalise_cached(text[:MAX_TEXT_CHARS])


@lru_cache(maxsize=4096)
def _normalise_cached(text: str) -> Normalised:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        if char.isascii() and not char.isupper():
            folded = " " if char.isspace() else char
        else:
            folded = _fold(char)
        for out in folded:
            chars.append(out)
            starts.append(index)
            ends.append(index + 1)
    if not text.isascii() and any(is_cjk(c) for c in chars):
        _to_simplified(chars)
        chars, starts, ends = _drop_cjk_fillers(chars, starts, ends)
    if _may_be_spaced("".join(chars)):
        chars, starts, ends = _join_spaced_letters(chars, starts, ends)
    _read_leet(chars)
    chars, starts, ends = _squeeze_spaces(chars, starts, ends)
    return Normalised(text, "".join(chars), tuple(starts), tuple(ends))


@lru_cache(maxsize=1)
def _opencc() -> Any:
    import opencc  # loaded on first Chinese text: most contracts never need it
    return opencc.OpenCC("t2s")


def _to_simplified(chars: list[str]) -> None:
    """Traditional characters to simplified, in place: a run of Chinese characters is converted as
    a whole (OpenCC's phrase table sees its context) when the length is kept, else one by one."""
    converter = _opencc()
    index = 0
    while index < len(chars):
        if not is_cjk(chars[index]):
            index += 1
            continue
        end = index
        while end < len(chars) and is_cjk(chars[end]):
            end += 1
        run = "".join(chars[index:end])
        converted = converter.convert(run)
        if len(converted) != len(run):
            converted = "".join(c if len(c := converter.convert(ch)) == 1 else ch for ch in run)
        chars[index:end] = [_VARIANTS.get(c, c) for c in converted]
        index = end


def _drop_cjk_fillers(chars: list[str], starts: list[int], ends: list[int]
                      ) -> tuple[list[str], list[int], list[int]]:
    keep = [True] * len(chars)
    index = 0
    while index < len(chars):
        if is_cjk(chars[index]):
            run = index + 1
            while run < len(chars) and chars[run] in _CJK_FILLERS:
                run += 1
            if run > index + 1 and run < len(chars) and is_cjk(chars[run]) and run - index <= 4:
                for filler in range(index + 1, run):
                    keep[filler] = False
            index = run if run > index + 1 else index + 1
        else:
            index += 1
    return _filter(chars, starts, ends, keep)


@lru_cache(maxsize=1)
def _spaced_pattern() -> Any:
    import re2
    return re2.compile(r"(?:^|[^a-z0-9])[a-z][ .\-_*][a-z][ .\-_*][a-z][ .\-_*][a-z](?:[^a-z0-9]|$)")


def _may_be_spaced(text: str) -> bool:
    """A cheap test before the letter-by-letter pass: four single letters, one separator apart."""
    return _spaced_pattern().search(text) is not None


def _join_spaced_letters(chars: list[str], starts: list[int], ends: list[int]
                         ) -> tuple[list[str], list[int], list[int]]:
    """"g u a r a n t e e d" -> "guaranteed": four or more single letters, one separator apart."""
    keep = [True] * len(chars)
    n = len(chars)
    index = 0
    while index < n:
        if _is_latin_letter(chars[index]) and (index == 0 or not chars[index - 1].isalnum()):
            letters = [index]
            probe = index
            while (probe + 2 < n and chars[probe + 1] in _SPACED_SEPARATORS
                   and _is_latin_letter(chars[probe + 2])
                   and (probe + 3 >= n or not chars[probe + 3].isalnum())):
                letters.append(probe + 2)
                probe += 2
            if len(letters) >= 4:
                for separator in range(letters[0] + 1, letters[-1], 2):
                    keep[separator] = False
                index = probe + 1
                continue
        index += 1
    return _filter(chars, starts, ends, keep)


def _read_leet(chars: list[str]) -> None:
    if not any(c in _LEET for c in chars):
        return
    for index in range(1, len(chars) - 1):
        if chars[index] in _LEET and _is_latin_letter(chars[index - 1]) and _is_latin_letter(chars[index + 1]):
            chars[index] = _LEET[chars[index]]


def _squeeze_spaces(chars: list[str], starts: list[int], ends: list[int]
                    ) -> tuple[list[str], list[int], list[int]]:
    keep = [not (c == " " and (i == 0 or chars[i - 1] == " ")) for i, c in enumerate(chars)]
    out = _filter(chars, starts, ends, keep)
    while out[0] and out[0][-1] == " ":
        for part in out:
            part.pop()
    return out


def _filter(chars: list[str], starts: list[int], ends: list[int], keep: list[bool]
            ) -> tuple[list[str], list[int], list[int]]:
    if all(keep):
        return chars, starts, ends
    return ([c for c, k in zip(chars, keep) if k], [s for s, k in zip(starts, keep) if k],
            [e for e, k in zip(ends, keep) if k])
