"""Builtins that read prose through ``compliance.text``: claims (with the vocabulary a ruleset
passes as a map of word families), contradictions of negative balance protection and opt-up
inducements, numbers stated in prose (and those that differ from the structured terms), currency
pairs, and the language of a communication.

Registered in ``compliance.evaluate.builtins.REGISTRY`` on import; the text libraries load only
when one of these is first called. Each builtin that finds a phrase also says where it stands
(``Builtin.locate``), so a failed rule's finding points at the phrase inside the YAML scalar.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from compliance.dsl import types as T
from compliance.dsl.units import Leverage, Percent, UnitError
from compliance.evaluate.builtins import Hit, SignatureError, _expect, _texts, builtin
from compliance.evaluate.values import MISSING, kind_of

_TEXT = {"string", "list"}
_VOCABULARY = {"map", "record"}
_KINDS = {"string", "list"}
_CLAIM_KINDS = ("guarantee", "no_risk", "compensation", "peizi")
_CONTRADICTION_KINDS = ("nbp_contradiction", "inducement")
_PERCENT_KINDS = ("close_out", "interest_rate")


_LAST_VOCABULARY: list[Any] = [None, None]   # the map a rule passed last, and its Vocabulary


def _vocabulary(value: Any) -> Any:
    # A ruleset passes the same parameter map for every text of a document: merge it once.
    if value is _LAST_VOCABULARY[0]:
        return _LAST_VOCABULARY[1]
    from compliance.text.vocabulary import Vocabulary, VocabularyError
    if not isinstance(value, Mapping):
        raise UnitError(f"a vocabulary is a map of word lists, not {kind_of(value)}")
    try:
        vocabulary = Vocabulary.of(value)
    except VocabularyError as error:
        raise UnitError(str(error)) from None
    _LAST_VOCABULARY[:] = [value, vocabulary]
    return vocabulary


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


def _indexed(texts: Any) -> list[tuple[int | None, str]]:
    """Each text with its index in the list as given (None for a single text): a missing text
    of a list keeps its place, so a position names the right item."""
    if isinstance(texts, str):
        return [(None, texts)]
    if isinstance(texts, (list, tuple)):
        return [(index, text) for index, text in enumerate(texts) if isinstance(text, str)]
    _texts(texts)   # raises the usual error for anything else
    return []


def _first_claim_at(texts: Any, vocabulary: Any, kinds: Any) -> tuple[int | None, Any] | None:
    from compliance.text.claims import analyse
    wanted = _kinds(kinds, _CLAIM_KINDS) if kinds is not None else _CLAIM_KINDS
    vocab = _vocabulary(vocabulary)
    for index, text in _indexed(texts):
        found = analyse(text, vocab, wanted).claims
        if found:
            return index, found[0]
    return None


def _first_claim(texts: Any, vocabulary: Any, kinds: Any) -> Any:
    found = _first_claim_at(texts, vocabulary, kinds)
    return None if found is None else found[1]


def _locate_claim(texts: Any, vocabulary: Any, kinds: Any = None) -> Hit | None:
    if texts is MISSING or vocabulary is MISSING:
        return None
    found = _first_claim_at(texts, vocabulary, kinds)
    return None if found is None else (0, found[0], found[1].start)


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
    builtin(name, signature, doc, _claims_check(result), vectorisable=False,
            locate=_locate_claim)(function)


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


def _first_contradiction_at(texts: Any, kind: Any, vocabulary: Any) -> tuple[int | None, Any] | None:
    from compliance.text.contradictions import contradictions
    wanted = _kinds(kind, _CONTRADICTION_KINDS)
    if vocabulary is not None and not isinstance(vocabulary, Mapping):
        raise UnitError(f"a vocabulary is a map of word lists, not {kind_of(vocabulary)}")
    for index, text in _indexed(texts):
        try:
            found = contradictions(text, vocabulary, wanted)
        except ValueError as error:
            raise UnitError(str(error)) from None
        if found:
            return index, found[0]
    return None


def _first_contradiction(texts: Any, kind: Any, vocabulary: Any) -> Any:
    found = _first_contradiction_at(texts, kind, vocabulary)
    return None if found is None else found[1]


def _locate_contradiction(texts: Any, kind: Any, vocabulary: Any = None) -> Hit | None:
    if texts is MISSING or kind is MISSING:
        return None
    found = _first_contradiction_at(texts, kind, vocabulary)
    return None if found is None else (0, found[0], found[1].start)


def _contradiction_builtin(name: str, signature: str, doc: str, result: T.Type, project: Any) -> None:
    def function(texts: Any, kind: Any, vocabulary: Any = None) -> Any:
        if texts is MISSING or kind is MISSING:
            return MISSING
        return project(_first_contradiction(texts, kind, vocabulary))
    builtin(name, signature, doc, _contradiction_check(result), vectorisable=False,
            locate=_locate_contradiction)(function)


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
_contradiction_builtin(
    "contradiction_explanation", "contradiction_explanation(text, kind [, vocabulary]) -> string",
    "Why the first such contradiction is one: its trigger words and what they undo; missing "
    "when none.",
    T.STRING, _explanation)


def _text_check(result: T.Type, first: set[str], *extra: set[str]) -> Any:
    def check(types: Sequence[T.Type]) -> T.Type:
        _expect(types, first, *extra)
        return result
    return check


@builtin("language_of", "language_of(text) -> string",
         "The language the text (or the texts of a list, read together) is written in, as an "
         "ISO 639-1 code (\"en\", \"zh\", \"de\"); a text mixing English and Chinese is \"zh\" "
         "when its Chinese carries weight; missing for a text without words, which states no "
         "language.",
         _text_check(T.STRING, _TEXT), vectorisable=False)
def language_of(texts: Any) -> Any:
    if texts is MISSING:
        return MISSING
    from compliance.text.language import detect_language
    code = detect_language("\n".join(text for _index, text in _indexed(texts))).code
    return MISSING if code == "und" else code


def _stated(texts: Any, kind: str) -> list[tuple[int | None, Any]]:
    """Every number of ``kind`` the texts state, with the index of its text."""
    from compliance.text.numbers import numbers_in
    return [(index, number) for index, text in _indexed(texts) for number in numbers_in(text, kind)]


def _value(number: Any) -> Any:
    if number.kind == "leverage":
        return Leverage(number.value)
    return Percent(number.value / Decimal(100))


def _same(stated: Any, expected: Any) -> bool:
    if isinstance(stated, Leverage):
        return isinstance(expected, Leverage) and stated.times == expected.times
    return isinstance(expected, Percent) and stated.fraction == expected.fraction


def _expected(values: Any) -> list[Any]:
    """The structured terms a stated number may equal: one value, a list, or a map's values
    (``leverage``); terms the document does not state are left out."""
    if isinstance(values, Mapping):
        values = list(values.values())
    elif not isinstance(values, (list, tuple)):
        values = [values]
    return [value for value in values if value is not MISSING and value is not None]


def _unlike(texts: Any, kind: str, values: Any) -> list[tuple[int | None, Any]]:
    expected = _expected(values)
    return [(index, number) for index, number in _stated(texts, kind)
            if not any(_same(_value(number), term) for term in expected)]


def _locate_first(found: list[tuple[int | None, Any]]) -> Hit | None:
    return None if not found else (0, found[0][0], found[0][1].start)


def _locate_leverages(texts: Any, *_rest: Any) -> Hit | None:
    return None if texts is MISSING else _locate_first(_stated(texts, "leverage"))


def _locate_percentages(texts: Any, kind: Any, *_rest: Any) -> Hit | None:
    if texts is MISSING or kind not in _PERCENT_KINDS:
        return None
    return _locate_first(_stated(texts, kind))


@builtin("leverages_in", "leverages_in(text) -> list of leverage",
         "The leverage ratios the text states (30:1, 1:30, 30倍, 1比30), in order.",
         _text_check(T.list_of(T.LEVERAGE), _TEXT), vectorisable=False, locate=_locate_leverages)
def leverages_in(texts: Any) -> Any:
    if texts is MISSING:
        return MISSING
    return [_value(number) for _index, number in _stated(texts, "leverage")]


@builtin("percentages_of", "percentages_of(text, kind) -> list of percent",
         "The percentages the text states of kind \"close_out\" (a close-out or stop-out level) or "
         "\"interest_rate\", in order.",
         _text_check(T.list_of(T.PERCENT), _TEXT, {"string"}), vectorisable=False,
         locate=_locate_percentages)
def percentages_of(texts: Any, kind: Any) -> Any:
    if texts is MISSING or kind is MISSING:
        return MISSING
    _kinds(kind, _PERCENT_KINDS)
    return [_value(number) for _index, number in _stated(texts, kind)]


def _locate_leverages_other_than(texts: Any, values: Any) -> Hit | None:
    if texts is MISSING or values is MISSING:
        return None
    return _locate_first(_unlike(texts, "leverage", values))


@builtin("leverages_other_than", "leverages_other_than(text, terms) -> list of leverage",
         "The leverage ratios the text states that are none of the terms (a leverage, a list, or "
         "a map such as leverage, whose values count): prose that contradicts the structured "
         "terms; the finding points at the first of them.",
         _text_check(T.list_of(T.LEVERAGE), _TEXT, {"leverage", "list", "map", "record"}),
         vectorisable=False, locate=_locate_leverages_other_than)
def leverages_other_than(texts: Any, values: Any) -> Any:
    if texts is MISSING or values is MISSING:
        return MISSING
    return [_value(number) for _index, number in _unlike(texts, "leverage", values)]


def _locate_percentages_other_than(texts: Any, kind: Any, values: Any) -> Hit | None:
    if texts is MISSING or values is MISSING or kind not in _PERCENT_KINDS:
        return None
    return _locate_first(_unlike(texts, kind, values))


@builtin("percentages_other_than", "percentages_other_than(text, kind, terms) -> list of percent",
         "The percentages of kind \"close_out\" or \"interest_rate\" the text states that are none "
         "of the terms (a percentage or a list): a close-out level or a rate in a clause that "
         "differs from the structured terms; the finding points at the first of them.",
         _text_check(T.list_of(T.PERCENT), _TEXT, {"string"}, {"percent", "list"}),
         vectorisable=False, locate=_locate_percentages_other_than)
def percentages_other_than(texts: Any, kind: Any, values: Any) -> Any:
    if texts is MISSING or kind is MISSING or values is MISSING:
        return MISSING
    _kinds(kind, _PERCENT_KINDS)
    return [_value(number) for _index, number in _unlike(texts, kind, values)]


@builtin("currency_pair", "currency_pair(text) -> list of string",
         "The two ISO currency codes of a currency pair as instruments are named (EUR/USD, "
         "EURUSD, eur-usd, EUR USD), upper case; empty when the text names no pair.",
         _text_check(T.list_of(T.STRING), {"string"}), vectorisable=False)
def currency_pair(text: Any) -> Any:
    if text is MISSING:
        return MISSING
    from compliance.text.numbers import currency_pair as pair
    return list(pair(text))
