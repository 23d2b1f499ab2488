"""Prose analysis that decides verdicts: normalisation, claims, contradictions, numbers, language.

Importing this package is cheap: OpenCC, RE2 and the language detector are loaded the first time a
function needs them, so a check whose rules read no prose never pays for them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["analyse", "claims", "Claim", "Clearance", "Analysis", "Vocabulary", "normalise",
           "detect_language", "numbers_in", "contradictions", "preload"]

_LAZY = {
    "analyse": "compliance.text.claims", "claims": "compliance.text.claims",
    "Claim": "compliance.text.claims", "Clearance": "compliance.text.claims",
    "Analysis": "compliance.text.claims", "Vocabulary": "compliance.text.vocabulary",
    "normalise": "compliance.text.normalise", "detect_language": "compliance.text.language",
    "numbers_in": "compliance.text.numbers", "contradictions": "compliance.text.contradictions",
}

if TYPE_CHECKING:  # pragma: no cover
    from compliance.text.claims import Analysis, Claim, Clearance, analyse, claims
    from compliance.text.contradictions import contradictions
    from compliance.text.language import detect_language
    from compliance.text.normalise import normalise
    from compliance.text.numbers import numbers_in
    from compliance.text.vocabulary import Vocabulary


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compliance.text' has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(module), name)


def preload() -> None:
    """Load what the first text of a check would load (RE2, OpenCC, the language model, the
    analysers' lexers for the default vocabularies): called before a review forks its workers, so
    that they inherit it instead of each loading it again."""
    from compliance.text.claims import analyse
    from compliance.text.contradictions import contradictions
    from compliance.text.language import detect_language
    from compliance.text.numbers import numbers_in

    for text in ("Guaranteed returns of 5% a month.", "保证收益，本金无忧。"):
        analyse(text)
        contradictions(text)
        numbers_in(text)
    detect_language("Trade gold and oil with tight spreads.")
