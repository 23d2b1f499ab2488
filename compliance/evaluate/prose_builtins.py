"""Builtins that read prose through ``compliance.text``: claims (with the vocabulary a ruleset
passes as a map of word families), contradictions of negative balance protection and opt-up
inducements, numbers stated in prose, and the language of a communication.

Registered in ``compliance.evaluate.builtins.REGISTRY`` on import; the text libraries load only
when one of these is first called.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from compliance.dsl import types as T
from compliance.dsl.units import Leverage, Percent, UnitError
from compliance.evaluate.builtins import SignatureError, _expect, _texts, builtin
from compliance.evaluate.values import MISSING, kind_of

_TEXT = {"string", "list"}
_VOCABULARY = {"map", "record"}
_KINDS = {"string", "list"}
_CLAIM_KINDS = ("guarantee", "no_risk", "compensation", "peizi")
_CONTRADICTION_KINDS = ("nbp_contradiction", "inducement")
_PERCENT_KINDS = ("close_out", "interest_rate")


def _vocabulary(value: Any) -> Any:
    from compliance.text.vocabulary import Vocabulary, VocabularyError
    if not isinstance(value, Mapping):
        raise UnitError(f"a vocabulary is a map of word lists, not {kind_of(value)}")
    try:
        return Vocabulary.of(value)
    except VocabularyError as error:
        raise UnitError(str(error)) from None


def _kinds(value: Any, known: tuple[str, ...]) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else tuple(value)
    unknown = [kind for kind in kinds if kind not in known]
    if unknown:
        raise UnitError(f"unknown kind {unknown[0]!r}; known: {', '.join(known)}")
    return kinds


def _check_vocabulary_type(given: T.Type) -> None:
    """A map of lists of text (or, when one list is empty, a record of lists)."""
    parts = [given.element] if given.kind == "map" else list(given.fields.values())
    for part in parts:
        if part is not None and part.kind not in ("list", "any"):
            raise SignatureError(f"the vocabulary must map each family to a list of text, not {part}")


def _claims_check(result: T.Type) -> Any:
    def check(types: Sequence[T.Type]) -> T.Type:
        if len(types) == 3:
            _expect(types, _TEXT, _VOCABULARY, _KINDS)
        else:
            _expect(types, _TEXT, _VOCABULARY)
        if types[1].kind != "any":
            _check_vocabulary_type(types[1])
        return result
    return check


def _first_claim(texts: Any, vocabulary: Any, kinds: Any) -> Any:
    from compliance.text.claims import analyse
    wanted = _kinds(kinds, _CLAIM_KINDS) if kinds is not None else _CLAIM_KINDS
    vocab = _vocabulary(vocabulary)
    for text in _texts(texts):
        found = analyse(text, vocab, wanted).claims
        if found:
            return found[0]
    return None


def _present(found: Any) -> Any:
    return found is not None


def _phrase(found: Any) -> Any:
    return MISSING if found is None else found.phrase


def _explanation(found: Any) -> Any:
    return MISSING if found is None else found.explanation


def _claim_builtin(name: str, signature: str, doc: str, result: T.Type, project: Any) -> None:
    def function(texts: Any, vocabulary: Any, kinds: Any = None) -> Any:
        if texts is MISSING or vocabulary is MISSING:
            return MISSING
        return project(_first_claim(texts, vocabulary, kinds))
    builtin(name, signature, doc, _claims_check(result), vectorisable=False)(function)


_claim_builtin(
    "claims", "claims(text, vocabulary [, kinds]) -> bool",
    "Whether the text (or any text of a list) makes a claim: a guaranteed return or principal, "
    "no risk or no loss, compensation of losses, or 配资, found by proximity and polarity with "
    "the vocabulary's word families (a map: the families it names replace the defaults).",
    T.BOOL, _present)
_claim_builtin(
    "first_claim", "first_claim(text, vocabulary [, kinds]) -> string",
    "The first claim's phrase, quoted as written (for messages); missing when none.",
    T.STRING, _phrase)
_claim_builtin(
    "claim_explanation", "claim_explanation(text, vocabulary [, kinds]) -> string",
    "Why the first claim is one: its trigger words and why it is not a disclaimer; missing when none.",
    T.STRING, _explanation)


def _contradiction_check(result: T.Type) -> Any:
    def check(types: Sequence[T.Type]) -> T.Type:
        if len(types) == 3:
            _expect(types, _TEXT, {"string"}, _VOCABULARY)
            if types[2].kind != "any":
                _check_vocabulary_type(types[2])
        else:
            _expect(types, _TEXT, {"string"})
        return result
    return check


def _first_contradiction(texts: Any, kind: Any, vocabulary: Any) -> Any:
    from compliance.text.contradictions import contradictions
    wanted = _kinds(kind, _CONTRADICTION_KINDS)
    if vocabulary is not None and not isinstance(vocabulary, Mapping):
        raise UnitError(f"a vocabulary is a map of word lists, not {kind_of(vocabulary)}")
    for text in _texts(texts):
        try:
            found = contradictions(text, vocabulary, wanted)
        except ValueError as error:
            raise UnitError(str(error)) from None
        if found:
            return found[0]
    return None


def _contradiction_builtin(name: str, signature: str, doc: str, result: T.Type, project: Any) -> None:
    def function(texts: Any, kind: Any, vocabulary: Any = None) -> Any:
        if texts is MISSING or kind is MISSING:
            return MISSING
        return project(_first_contradiction(texts, kind, vocabulary))
    builtin(name, signature, doc, _contradiction_check(result), vectorisable=False)(function)


_contradiction_builtin(
    "contradicts", "contradicts(text, kind [, vocabulary]) -> bool",
    "Whether the text states a contradiction of kind \"nbp_contradiction\" (set-off against "
    "other accounts, recovery of a deficit, losses that may exceed the deposit) or "
    "\"inducement\" (a reward or higher leverage for opting up to professional).",
    T.BOOL, _present)
_contradiction_builtin(
    "first_contradiction", "first_contradiction(text, kind [, vocabulary]) -> string",
    "The phrase of the first such contradiction, as written; missing when none.",
    T.STRING, _phrase)


def _text_check(result: T.Type, first: set[str], *extra: set[str]) -> Any:
    def check(types: Sequence[T.Type]) -> T.Type:
        _expect(types, first, *extra)
        return result
    return check


@builtin("language_of", "language_of(text) -> string",
         "The language the text is written in, as an ISO 639-1 code (\"en\", \"zh\", \"de\"); "
         "a text mixing English and Chinese is \"zh\" when its Chinese carries weight.",
         _text_check(T.STRING, {"string"}), vectorisable=False)
def language_of(text: Any) -> Any:
    if text is MISSING:
        return MISSING
    from compliance.text.language import detect_language
    return detect_language(text).code


@builtin("leverages_in", "leverages_in(text) -> list of leverage",
         "The leverage ratios the text states (30:1, 1:30, 30倍, 1比30), in order.",
         _text_check(T.list_of(T.LEVERAGE), _TEXT), vectorisable=False)
def leverages_in(texts: Any) -> Any:
    if texts is MISSING:
        return MISSING
    from compliance.text.numbers import numbers_in
    return [Leverage(n.value) for text in _texts(texts) for n in numbers_in(text, "leverage")]


@builtin("percentages_of", "percentages_of(text, kind) -> list of percent",
         "The percentages the text states of kind \"close_out\" (a close-out or stop-out level) or "
         "\"interest_rate\", in order.",
         _text_check(T.list_of(T.PERCENT), _TEXT, {"string"}), vectorisable=False)
def percentages_of(texts: Any, kind: Any) -> Any:
    if texts is MISSING or kind is MISSING:
        return MISSING
    from compliance.text.numbers import numbers_in
    _kinds(kind, _PERCENT_KINDS)
    return [Percent(n.value / Decimal(100)) for text in _texts(texts) for n in numbers_in(text, kind)]
