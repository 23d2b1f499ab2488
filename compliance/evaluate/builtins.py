"""The builtin functions of the rules language: one registry with each builtin's signature
(checked before evaluation), its scalar implementation and, where it can run over snapshot
columns, its vector implementation (``compliance.evaluate.vector`` fills those in).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any

from compliance.dsl import types as T
from compliance.dsl.units import (
    Leverage,
    Money,
    Percent,
    UnitError,
    leverage_from_margin,
    margin_for_leverage,
)
from compliance.errors import ComplianceError
from compliance.evaluate.values import MISSING, PRECISION, kind_of
from compliance.records import record

TypeCheck = Callable[[Sequence[T.Type]], T.Type]


class SignatureError(ComplianceError):
    """Arguments of the wrong type or number; the message is shown to the rule author."""


# Where a text builtin found what it looked for: (the argument it was in, the item of that
# argument when it is a list of texts, or None, the character offset in that text).
Hit = tuple[int, "int | None", int]


@record
class Builtin:
    name: str
    signature: str                     # as shown in docs and errors
    doc: str
    check: TypeCheck
    scalar: Callable[..., Any]
    vectorisable: bool = True          # False: account rules may not use it (text, lists)
    # For a text builtin: where in its arguments the phrase it reports stands, so a finding can
    # point at the phrase inside a long text rather than at the key (called only for findings).
    locate: Callable[..., Hit | None] | None = None


REGISTRY: dict[str, Builtin] = {}


def builtin(name: str, signature: str, doc: str, check: TypeCheck, vectorisable: bool = True,
            locate: Callable[..., Hit | None] | None = None
            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = Builtin(name, signature, doc, check, function, vectorisable, locate)
        return function
    return register


# ---- signature helpers ------------------------------------------------------------------------

def _kinds(types: Sequence[T.Type]) -> list[str]:
    return [t.kind for t in types]


def _expect(types: Sequence[T.Type], *allowed: Sequence[set[str]]) -> None:
    """Each argument's kind must be in the matching set (``any`` always passes)."""
    if len(types) != len(allowed):
        raise SignatureError(f"takes {len(allowed)} argument(s), {len(types)} given")
    for position, (given, kinds) in enumerate(zip(types, allowed), start=1):
        if given.kind != "any" and given.kind not in kinds:
            raise SignatureError(f"argument {position} must be {' or '.join(sorted(kinds))}, not {given}")


_LEVERAGE_LIKE = {"leverage", "number"}
_SHARE = {"percent", "number"}
_TEXT = {"string", "list"}


def _returns(result: T.Type, *allowed: Sequence[set[str]]) -> TypeCheck:
    def check(types: Sequence[T.Type]) -> T.Type:
        _expect(types, *allowed)
        return result
    return check


def _times(value: Any) -> Decimal:
    if isinstance(value, Leverage):
        return value.times
    if isinstance(value, Decimal):
        return value
    raise UnitError(f"expected a leverage, got {kind_of(value)}")


def _share(value: Any) -> Decimal:
    if isinstance(value, Percent):
        return value.fraction
    if isinstance(value, Decimal):
        return value
    raise UnitError(f"expected a percentage, got {kind_of(value)}")


def _missing(*values: Any) -> bool:
    return any(value is MISSING for value in values)


# ---- leverage and margin ------------------------------------------------------------------------

@builtin("margin_of", "margin_of(leverage) -> percent",
         "The initial margin a leverage cap stands for, as regulators publish it: 30:1 -> 3.33%.",
         _returns(T.PERCENT, {"leverage"}))
def margin_of(leverage: Any) -> Any:
    return MISSING if leverage is MISSING else margin_for_leverage(leverage)


def _check_leverage_of(types: Sequence[T.Type]) -> T.Type:
    if len(types) == 1:
        _expect(types, {"percent"})
    else:
        _expect(types, {"money"}, {"money"})
        _same_currency_types(types[0], types[1])
    return T.LEVERAGE


def _same_currency_types(left: T.Type, right: T.Type) -> None:
    if left.currency and right.currency and left.currency != right.currency:
        raise SignatureError(f"cannot combine {left} with {right}")


@builtin("leverage_of", "leverage_of(margin) -> leverage | leverage_of(exposure, equity) -> leverage",
         "The leverage an initial margin allows (3.33% -> 30.03:1, compared in margin terms), or "
         "the leverage of a position: exposure divided by equity (missing when equity <= 0).",
         _check_leverage_of)
def leverage_of(first: Any, second: Any = None) -> Any:
    if second is None:
        if first is MISSING:
            return MISSING
        return leverage_from_margin(first)
    if _missing(first, second):
        return MISSING
    if not isinstance(first, Money) or not isinstance(second, Money):
        raise UnitError("leverage_of(exposure, equity) takes two amounts of money")
    if first.currency and second.currency and first.currency != second.currency:
        raise UnitError(f"cannot divide {first} by {second}: the currencies differ")
    if second.amount <= 0:
        return MISSING  # no leverage is defined without positive equity
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Leverage(first.amount / second.amount)


# ---- liquidation maths (docs/sources.md, formulas; the numbers live in compliance.risk) -----------------

@builtin("liquidation_drop", "liquidation_drop(leverage, maintenance) -> percent",
         "How far the price can fall before a margin loan at this leverage reaches its maintenance "
         "ratio: p* = (1 - m*L) / (L*(1 - m)); 0% when m*L >= 1 (no room at all).",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE))
def liquidation_drop(leverage: Any, maintenance: Any) -> Any:
    if _missing(leverage, maintenance):
        return MISSING
    from compliance.risk.liquidation import liquidation_drop as exact
    return _drop(exact, leverage, maintenance)


def _drop(formula: Callable[[Decimal, Decimal], Decimal], leverage: Any, line: Any) -> Percent:
    """A liquidation formula at ``leverage`` and ``line``. A leverage of 0 is an account with no
    position: nothing can be liquidated, so the room is the whole price (100%). A line outside the
    formula's domain is a rule error at the call, not a crash."""
    from compliance.risk.liquidation import RiskInputError

    times = _times(leverage)
    if times == 0:
        return Percent(Decimal(1))
    try:
        return Percent(formula(times, _share(line)))
    except RiskInputError as error:
        raise UnitError(str(error)) from None


@builtin("warning_drop", "warning_drop(leverage, warning_level) -> percent",
         "How far the price can fall before the warning line (the same formula with the warning "
         "ratio in place of the maintenance ratio).",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE))
def warning_drop(leverage: Any, warning_level: Any) -> Any:
    return liquidation_drop(leverage, warning_level)


@builtin("close_out_drop", "close_out_drop(leverage, close_out_level) -> percent",
         "How far the price can fall before a CFD position opened with the full leverage reaches "
         "the margin close-out level (equity against initial margin).",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE))
def close_out_drop(leverage: Any, close_out_level: Any) -> Any:
    if _missing(leverage, close_out_level):
        return MISSING
    from compliance.risk.liquidation import close_out_drop as exact
    return _drop(exact, leverage, close_out_level)


@builtin("collateral_ratio_drop", "collateral_ratio_drop(leverage, collateral_ratio) -> percent",
         "How far the price can fall before the maintenance collateral ratio (维持担保比例: assets "
         "over liabilities) reaches a line: p = 1 - R*(L-1)/L.",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE))
def collateral_ratio_drop(leverage: Any, ratio: Any) -> Any:
    if _missing(leverage, ratio):
        return MISSING
    from compliance.risk.liquidation import collateral_ratio_drop as exact
    return _drop(exact, leverage, ratio)


@builtin("levered_return", "levered_return(leverage, asset_return, financing_rate) -> percent",
         "The return on the client's own money: L*r - (L-1)*c.",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE, _SHARE))
def levered_return(leverage: Any, asset_return: Any, rate: Any) -> Any:
    if _missing(leverage, asset_return, rate):
        return MISSING
    from compliance.risk.returns import levered_return as exact
    return Percent(exact(_times(leverage), _share(asset_return), _share(rate)))


@builtin("break_even_return", "break_even_return(leverage, financing_rate) -> percent",
         "The asset return at which the levered position just pays its financing: (L-1)*c/L.",
         _returns(T.PERCENT, _LEVERAGE_LIKE, _SHARE))
def break_even_return(leverage: Any, rate: Any) -> Any:
    if _missing(leverage, rate):
        return MISSING
    from compliance.risk.returns import break_even_return as exact
    return Percent(exact(_times(leverage), _share(rate)))


# ---- text predicates for prohibited claims and mandatory wording --------------------------------

MAX_TEXT_CHARS = 1_000_000  # longer texts are refused by the document loaders; this is a backstop
_CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]")
_SPACES = re.compile(r"\s+")


# A space that touches a CJK character: stray spacing, since CJK text has no word spaces.
_CJK_SPACE = re.compile(r" (?=[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef])|(?<=[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]) ")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Case-insensitive, width-insensitive text for phrase matching: NFKC, casefold, one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).casefold()).strip()


@lru_cache(maxsize=4096)
def cjk_joined(text: str) -> str:
    """The normalised text without the spaces that touch a CJK character ("保 本" reads "保本"):
    what mentions() compares a Chinese phrase with and what matches() runs its pattern on, so
    the two agree on spacing."""
    return _CJK_SPACE.sub("", normalise(text))


def _texts(value: Any) -> list[str]:
    if value is MISSING:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    raise UnitError(f"expected text, got {kind_of(value)}")


def _phrases(value: Any) -> list[str]:
    return _texts(value)


def find_phrase(texts: Any, phrases: Any) -> str | None:
    """The first phrase (in the list's order) found in any of the texts, or None.

    Chinese phrases also match across stray spaces ("保 本"), since CJK text has no word spaces:
    both sides are compared as cjk_joined() reads them, as matches() does.
    """
    items = _texts(texts)
    normalised = [normalise(text) for text in items]
    joined = [cjk_joined(text) for text in items]
    for phrase in _phrases(phrases):
        wanted = normalise(phrase)
        if not wanted:
            continue
        chinese = _CJK.search(wanted) is not None
        pool = joined if chinese else normalised
        target = cjk_joined(phrase) if chinese else wanted
        if any(target in text for text in pool):
            return phrase
    return None


_TEXT_CHECK = _returns(T.BOOL, _TEXT, {"list", "string"})


def locate_phrase(texts: Any, phrases: Any, *_rest: Any) -> Hit | None:
    """Where the phrase find_phrase reports stands: in which text of the list, at which offset
    of the text as written (found again on the offset-keeping normalisation of compliance.text)."""
    found = find_phrase(texts, phrases)
    if found is None:
        return None
    from compliance.text.normalise import normalise as normalise_with_offsets

    wanted = normalise_with_offsets(found).text.replace(" ", "")
    items = [texts] if isinstance(texts, str) else list(texts)
    for index, text in enumerate(items):   # indices of the list as given: a missing text keeps its place
        if not isinstance(text, str):
            continue
        normalised = normalise_with_offsets(text)
        squeezed, origin = [], []
        for position, char in enumerate(normalised.text):
            if char != " ":
                squeezed.append(char)
                origin.append(position)
        at = "".join(squeezed).find(wanted)
        if at >= 0 and wanted:
            start, _end = normalised.span(origin[at], origin[at] + 1)
            return 0, (index if not isinstance(texts, str) else None), start
    return None


@builtin("mentions", "mentions(text, phrases) -> bool",
         "Whether the text (or any text of a list) contains one of the phrases, ignoring case, "
         "width and spacing.", _TEXT_CHECK, vectorisable=False, locate=locate_phrase)
def mentions(texts: Any, phrases: Any) -> Any:
    if texts is MISSING:
        return MISSING
    return find_phrase(texts, phrases) is not None


@builtin("mentions_all", "mentions_all(text, phrases) -> bool",
         "Whether the text contains every one of the phrases.", _TEXT_CHECK, vectorisable=False)
def mentions_all(texts: Any, phrases: Any) -> Any:
    if texts is MISSING:
        return MISSING
    return all(find_phrase(texts, [phrase]) is not None for phrase in _phrases(phrases))


@builtin("first_mention", "first_mention(text, phrases) -> string",
         "The first of the phrases the text contains (for messages); missing when none.",
         _returns(T.STRING, _TEXT, {"list", "string"}), vectorisable=False, locate=locate_phrase)
def first_mention(texts: Any, phrases: Any) -> Any:
    found = find_phrase(texts, phrases)
    return MISSING if found is None else found


@builtin("missing_phrases", "missing_phrases(text, phrases) -> list of string",
         "The phrases the text lacks (for messages and fixes).",
         _returns(T.list_of(T.STRING), _TEXT, {"list", "string"}), vectorisable=False)
def missing_phrases(texts: Any, phrases: Any) -> Any:
    return [phrase for phrase in _phrases(phrases) if find_phrase(texts, [phrase]) is None]


@builtin("matches", "matches(text, pattern) -> bool",
         "Whether the text matches a regular expression (RE2 syntax), ignoring case. Patterns "
         "run on Google's RE2 in linear time (no backtracking), so a hostile pattern cannot hang "
         "a check.",
         _returns(T.BOOL, _TEXT, {"string"}), vectorisable=False)
def matches(texts: Any, pattern: Any) -> Any:
    if texts is MISSING or pattern is MISSING:
        return MISSING
    compiled = compile_pattern(pattern)
    return any(compiled.search(cjk_joined(text)) for text in _texts(texts))


def _check_without(types: Sequence[T.Type]) -> T.Type:
    _expect(types, _TEXT, {"list", "string"})
    return T.STRING if types[0].kind == "string" else T.list_of(T.STRING)


@builtin("without", "without(text, phrases) -> text",
         "The text (or each text of a list) with the phrases taken out, ignoring case, width and "
         "spacing: a disclaimer ('not risk-free', 'cannot lose more than') is not read as the "
         "claim inside it. The result is the normalised text, for mentions() and matches().",
         _check_without, vectorisable=False)
def without(texts: Any, phrases: Any) -> Any:
    if texts is MISSING:
        return MISSING
    pattern = _phrases_pattern(tuple(normalise(phrase) for phrase in _phrases(phrases)))
    # A separator where a phrase was, so the words on either side do not join into a new phrase.
    cleaned = [_SPACES.sub(" ", pattern.sub(" | ", normalise(text))).strip() if pattern else normalise(text)
               for text in _texts(texts)]
    return cleaned[0] if isinstance(texts, str) else cleaned


@lru_cache(maxsize=64)
def _phrases_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """Literal phrases, longest first; a CJK phrase also across single spaces (as find_phrase).
    Only escaped literals and optional single spaces: no nested repetition, no backtracking blow-up."""
    alternatives = []
    for phrase in sorted({p for p in phrases if p}, key=lambda p: (-len(p), p)):
        if _CJK.search(phrase):
            alternatives.append(" ?".join(re.escape(char) for char in phrase.replace(" ", "")))
        else:
            alternatives.append(re.escape(phrase))
    return re.compile("|".join(alternatives)) if alternatives else None


def compile_pattern(pattern: str) -> Any:
    """The pattern as matches() runs it: normalised like the text it is matched against, on RE2."""
    from compliance.dsl.patterns import PatternError
    from compliance.dsl.patterns import compile_pattern as compile_re2

    # NFKC only: full-width characters read as the text is read; case is RE2's to ignore, since
    # casefolding a pattern would turn \S into \s and \p{Han} into an unknown class.
    try:
        return compile_re2(unicodedata.normalize("NFKC", pattern))
    except PatternError as error:
        raise UnitError(f"regular expression: {error}") from None


@builtin("lower", "lower(text) -> string", "The text in lower case.",
         _returns(T.STRING, {"string"}), vectorisable=False)
def lower(text: Any) -> Any:
    return MISSING if text is MISSING else text.casefold()


# ---- collections and dates ----------------------------------------------------------------------

def _check_length(types: Sequence[T.Type]) -> T.Type:
    _expect(types, {"list", "string", "map", "record"})
    return T.NUMBER


@builtin("length", "length(list | text | map) -> number", "How many items (or characters).",
         _check_length, vectorisable=False)
def length(value: Any) -> Any:
    return MISSING if value is MISSING else Decimal(len(value))


def _check_keys(types: Sequence[T.Type]) -> T.Type:
    _expect(types, {"map", "record"})
    return T.list_of(T.STRING)


@builtin("keys", "keys(map) -> list of string", "The keys of a map, in their written order.",
         _check_keys, vectorisable=False)
def keys(value: Any) -> Any:
    return MISSING if value is MISSING else list(value.keys())


def _check_join(types: Sequence[T.Type]) -> T.Type:
    _expect(types, {"list"}, {"string"})
    return T.STRING


@builtin("join", "join(list, separator) -> string", "The items as text, for messages.",
         _check_join, vectorisable=False)
def join(items: Any, separator: Any) -> Any:
    from compliance.dsl.units import format_value
    if items is MISSING:
        return MISSING
    return separator.join(item if isinstance(item, str) else format_value(item) for item in items)


def _check_abs(types: Sequence[T.Type]) -> T.Type:
    _expect(types, {"number", "percent", "money"})
    return types[0]


@builtin("abs", "abs(x) -> x", "The absolute value of a number, percentage or amount.", _check_abs)
def abs_(value: Any) -> Any:
    if value is MISSING:
        return MISSING
    if isinstance(value, Money):
        return Money(abs(value.amount), value.currency)
    if isinstance(value, Percent):
        return Percent(abs(value.fraction))
    return abs(value)


@builtin("days_between", "days_between(start, end) -> number", "Calendar days from start to end.",
         _returns(T.NUMBER, {"date"}, {"date"}), vectorisable=False)
def days_between(start: Any, end: Any) -> Any:
    if _missing(start, end):
        return MISSING
    return Decimal((end - start).days)


# ---- reading facts from what the document states ------------------------------------------------

def _check_either(types: Sequence[T.Type]) -> T.Type:
    if len(types) != 2:
        raise SignatureError(f"takes 2 arguments, {len(types)} given")
    first, second = types
    if "any" not in (first.kind, second.kind) and first.kind != second.kind:
        raise SignatureError(f"both arguments must be of one kind, not {first} and {second}")
    return first if first.kind != "any" else second


@builtin("either", "either(value, otherwise) -> value",
         "The first value when the document states it, else the second: a term read from its key, "
         "or failing that from the contract's text.", _check_either, vectorisable=False)
def either(value: Any, otherwise: Any) -> Any:
    return otherwise if value is MISSING else value


def _check_pluck(types: Sequence[T.Type]) -> T.Type:
    _expect(types, {"list"}, {"string"})
    element = types[0].element
    if element is not None and element.kind == "record":
        return T.list_of(_common_field(element))
    return T.list_of(T.ANY)


def _common_field(record: T.Type) -> T.Type:
    kinds = {field.required().kind for field in record.fields.values()}
    return T.STRING if kinds == {"string"} else T.ANY


@builtin("pluck", "pluck(list, field) -> list",
         "The given field of each item of a list, leaving out items that do not state it: "
         "pluck(clauses, \"text\") is the text of every clause.", _check_pluck, vectorisable=False)
def pluck(items: Any, name: Any) -> Any:
    if items is MISSING or name is MISSING:
        return MISSING
    picked = [item.get(name) for item in items if isinstance(item, dict)]
    return [value for value in picked if value is not None and value is not MISSING]


# A percentage as prose writes it: 50%, 50 %, 50.5%, 50％ (NFKC makes the full-width sign '%').
_PERCENT_IN_TEXT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,4})?)\s?%")
_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|[。；！？\n]")  # not the point of 50.5%


def _percent_matches(text: str) -> list[tuple[int, Percent]]:
    return [(found.start(), Percent(Decimal(found.group(1)) / 100))
            for found in _PERCENT_IN_TEXT.finditer(normalise(text))]


@builtin("percentages_in", "percentages_in(text) -> list of percent",
         "Every percentage the text (or any text of a list) states, in order: for checking that a "
         "warning states the figure a key gives.",
         _returns(T.list_of(T.PERCENT), _TEXT), vectorisable=False)
def percentages_in(texts: Any) -> Any:
    if texts is MISSING:
        return MISSING
    return [value for text in _texts(texts) for _at, value in _percent_matches(text)]


@builtin("percentage_near", "percentage_near(text, phrases) -> percent",
         "The first percentage stated in a sentence that names one of the phrases (\"close out\", "
         "\"平仓\"): a term the contract's text states where no key does; missing when none.",
         _returns(T.PERCENT, _TEXT, {"list", "string"}), vectorisable=False)
def percentage_near(texts: Any, phrases: Any) -> Any:
    if texts is MISSING:
        return MISSING
    for text in _texts(texts):
        for sentence in _SENTENCE_END.split(normalise(text)):
            if find_phrase(sentence, phrases) is not None:
                found = _percent_matches(sentence)
                if found:
                    return found[0][1]
    return MISSING


@builtin("says", "says(text, phrases) -> bool",
         "True when the text (or any text of a list) says one of the phrases; missing when it does "
         "not: prose that does not mention a term is silent on it, not a denial of it.",
         _TEXT_CHECK, vectorisable=False)
def says(texts: Any, phrases: Any) -> Any:
    if texts is MISSING:
        return MISSING
    return True if find_phrase(texts, phrases) is not None else MISSING


def _check_stated(types: Sequence[T.Type]) -> T.Type:
    if len(types) != 1:
        raise SignatureError(f"takes 1 argument, {len(types)} given")
    return T.BOOL


@builtin("stated", "stated(value) -> bool",
         "True when the document states the value; missing when it does not, so a rule that only "
         "asks for a term to be stated reports it as not stated instead of failing.",
         _check_stated, vectorisable=False)
def stated(value: Any) -> Any:
    return MISSING if value is MISSING else True


# The builtins that read prose (claims, contradictions, numbers, language) live in their own module.
from compliance.evaluate import prose_builtins  # noqa: E402,F401  (registers them)
