"""How a document format is declared and read: exact value converters, sections of annotated
fields, the validator built once per declared type, and the same declarations as pydantic models.

A format (the contract in :mod:`compliance.documents.models`, the platform profile in
:mod:`compliance.documents.platform_models`) declares every key once, as annotated class
attributes of a :class:`Section`; its validator and its JSON Schema both come from that
declaration and call the same converters, so they accept the same values. Values are the exact
types of :mod:`compliance.dsl.units` (``Decimal`` underneath), never floats.
"""
from __future__ import annotations

import datetime as _dt
import functools
import types as _types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from compliance.dsl.units import (
    Duration,
    Leverage,
    Money,
    Percent,
    UnitError,
    check_range,
    parse_date,
    parse_decimal,
    parse_duration,
    parse_leverage,
    parse_money,
    parse_percent,
)
from compliance.errors import DomainError
from compliance.records import field, record


class InvalidValue(DomainError):
    """A value that is not of the form its field accepts; the message says what was expected."""


# ---------------------------------------------------------------------------------------------
# Exact value types: converters shared by both validators
# ---------------------------------------------------------------------------------------------

def _number(value: Any) -> Decimal | None:
    """A YAML number as an exact Decimal; None when ``value`` is not a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite():
            return None
        try:
            return check_range(number)   # 1e26, 1e1000, a 99-digit 0x... are out of range
        except UnitError as error:
            raise InvalidValue(str(error)) from None
    if isinstance(value, float):  # only from callers that bypass the YAML reader
        return Decimal(repr(value))
    return None


def _unit(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except UnitError as error:
        raise InvalidValue(str(error)) from None


def to_percent(value: Any) -> Percent:
    if isinstance(value, Percent):
        return value
    if isinstance(value, str):
        return _unit(parse_percent, value)
    number = _number(value)
    if number is None:
        raise InvalidValue(f"{value!r} is not a percentage such as 50%")
    if not 0 <= number <= 1:
        raise InvalidValue(f"{number} is not a percentage: a bare number is a fraction between 0 "
                           f"and 1 (0.5 is 50%); write {number}% with the sign if that is meant")
    return Percent(number)


def to_leverage(value: Any) -> Leverage:
    if isinstance(value, Leverage):
        return value
    if isinstance(value, str):
        return _unit(parse_leverage, value)
    number = _number(value)
    if number is None or number <= 0:
        raise InvalidValue(f"{value!r} is not a leverage ratio such as 30:1")
    return Leverage(number)


def to_money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, str):
        return _unit(parse_money, value)
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        amount, currency = value["amount"], value["currency"]
        number = _number(amount)
        if number is None and isinstance(amount, str):
            try:
                number = parse_decimal(amount)
            except UnitError:
                number = None
        if number is None:
            raise InvalidValue(f"amount {amount!r} is not a number")
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
                and currency.isascii() and currency.isupper()):
            raise InvalidValue(f"currency {currency!r} is not a three-letter ISO code such as EUR")
        return Money(number, currency)
    raise InvalidValue(f"{_shown(value)} is not an amount of money such as EUR 25000 or "
                       "{amount: 25000, currency: EUR}")


def to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        return _unit(parse_date, value.strip())
    raise InvalidValue(f"{_shown(value)} is not an ISO date such as 2026-01-31")


def to_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        return _unit(parse_duration, value)
    raise InvalidValue(f"{_shown(value)} is not a duration such as 2 days or 6 months")


def to_number(value: Any) -> Decimal:
    number = _number(value)
    if number is None:
        raise InvalidValue(f"{_shown(value)} is not a number")
    return number


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise InvalidValue(f"{_shown(value)} is not true or false")


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise InvalidValue(f"{_shown(value)} is not text; quote the value if it is meant as text")


def to_language(value: Any) -> str:
    text = to_text(value)
    parts = text.split("-")
    if not (len(parts[0]) == 2 and parts[0].isascii() and parts[0].isalpha()
            and parts[0].islower() and len(parts) <= 2):
        raise InvalidValue(f"{text!r} is not a language code such as en, zh or de-AT")
    return text


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


@record
class Convert:
    """Annotation metadata: how a value of this type is read, and its JSON Schema."""

    function: Callable[[Any], Any]
    json_schema: dict[str, Any] = field(compare=False)  # left out of the hash: dicts have none


_PERCENT_PATTERN = r"^\s*[+-]?\d[\d_]*(\.\d+)?\s*%\s*$"
_NUMBER_PATTERN = r"[+-]?\d[\d_]*(\.\d+)?"

PercentValue = Annotated[Percent, Convert(to_percent, {
    "anyOf": [{"type": "string", "pattern": _PERCENT_PATTERN},
              {"type": "number", "minimum": 0, "maximum": 1}],
    "examples": ["50%", "3.33%", 0.5]})]
LeverageValue = Annotated[Leverage, Convert(to_leverage, {
    "anyOf": [{"type": "string", "pattern": rf"^\s*{_NUMBER_PATTERN}\s*:\s*{_NUMBER_PATTERN}\s*$"},
              {"type": "number", "exclusiveMinimum": 0}],
    "examples": ["30:1", 30]})]
MoneyValue = Annotated[Money, Convert(to_money, {
    "anyOf": [{"type": "string", "pattern": r"^\s*[A-Z]{3}\s+[+-]?\d[\d_]*(,\d{3})*(\.\d+)?\s*$"},
              {"type": "object", "additionalProperties": False,
               "required": ["amount", "currency"],
               "properties": {"amount": {"type": ["number", "string"]},
                              "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}],
    "examples": ["EUR 25000", {"amount": 25000, "currency": "USD"}]})]
DateValue = Annotated[_dt.date, Convert(to_date, {
    "type": "string", "format": "date", "examples": ["2026-01-01"]})]
DurationValue = Annotated[Duration, Convert(to_duration, {
    "type": "string", "pattern": r"^\s*\d+\s*(day|days|week|weeks|month|months|year|years)\s*$",
    "examples": ["2 days", "6 months"]})]
NumberValue = Annotated[Decimal, Convert(to_number, {"type": "number"})]
Flag = Annotated[bool, Convert(to_bool, {"type": "boolean"})]
Text = Annotated[str, Convert(to_text, {"type": "string"})]
LanguageCode = Annotated[str, Convert(to_language, {
    "type": "string", "pattern": "^[a-z]{2}(-[A-Za-z0-9]+)?$", "examples": ["en", "zh"]})]


# ---------------------------------------------------------------------------------------------
# Declaring sections
# ---------------------------------------------------------------------------------------------

@record
class FieldSpec:
    name: str
    annotation: Any          # resolved, with Annotated[..., Convert] metadata
    description: str
    required: bool


@record
class _Declared:
    description: str
    required: bool


def optional(description: str) -> Any:
    return _Declared(description, required=False)


def required(description: str) -> Any:
    return _Declared(description, required=True)


class Section:
    """A mapping of a contract file. Subclasses declare keys as ``name: Type = optional("help")``."""

    @classmethod
    def fields(cls) -> dict[str, FieldSpec]:
        return _fields_of(cls)


@functools.cache
def _fields_of(cls: type[Section]) -> dict[str, FieldSpec]:
    hints = typing.get_type_hints(cls, include_extras=True)
    out = {}
    for name in cls.__annotations__:
        declared = cls.__dict__.get(name)
        if not isinstance(declared, _Declared):
            raise TypeError(f"{cls.__name__}.{name} needs optional(...) or required(...)")
        out[name] = FieldSpec(name, hints[name], declared.description, declared.required)
    return out


def strip_optional(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, _types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


# ---------------------------------------------------------------------------------------------
# Validation: an interpreter over the declarations
# ---------------------------------------------------------------------------------------------

Loc = tuple[str | int, ...]


@record
class Problem:
    """One validation problem. ``loc`` is the offending key's path; ``missing`` problems are about
    a key that is absent, so they are reported at the enclosing mapping."""

    loc: Loc
    message: str
    missing: bool = False


def validate_section_data(section: type[Section], data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """:func:`validate_contract_data` for any top-level declaration (a platform profile)."""
    problems: list[Problem] = []
    value = _validate(section, data, (), problems)
    return (value if isinstance(value, dict) else {}), problems


def _validate(annotation: Any, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    return _validator(annotation)(value, loc, problems)


# A validator reads one value at ``loc``, appends what is wrong to ``problems`` and returns the
# typed value (None when unusable). They are built once per declared type, so a document is
# checked without looking at its type annotations again.
Validator = Callable[[Any, Loc, list[Problem]], Any]


@functools.cache
def _validator(annotation: Any) -> Validator:
    annotation = strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _converting(next(m for m in annotation.__metadata__ if isinstance(m, Convert)).function)
    if origin is Literal:
        return _one_of(typing.get_args(annotation))
    if origin is list:
        return _list_of(typing.get_args(annotation)[0])
    if origin is dict:
        return _map_of(*typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _section_of(annotation)
    raise TypeError(f"unsupported annotation {annotation!r}")


def _converting(function: Callable[[Any], Any]) -> Validator:
    def validate(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        try:
            return function(value)
        except InvalidValue as error:
            problems.append(Problem(loc, _at(loc, str(error))))
            return None
    return validate


def _one_of(allowed: tuple[str, ...]) -> Validator:
    def validate(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if isinstance(value, str) and value in allowed:
            return value
        problems.append(Problem(loc, _at(loc, f"{_shown(value)} is not allowed; must be one of "
                                              + ", ".join(allowed) + _suggest(value, allowed))))
        return None
    return validate


def _list_of(item_type: Any) -> Validator:
    def validate(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, list):
            problems.append(Problem(loc, _at(loc, f"must be a list, not {_shown(value)}")))
            return None
        item = _validator(item_type)  # built on first use: declarations may refer to each other
        return [item(element, loc + (index,), problems) for index, element in enumerate(value)]
    return validate


def _map_of(key_type: Any, value_type: Any) -> Validator:
    allowed = typing.get_args(key_type) if typing.get_origin(key_type) is Literal else None

    def validate(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            problems.append(Problem(loc, _at(loc, f"must be a mapping, not {_shown(value)}")))
            return None
        item_validator = _validator(value_type)
        out = {}
        for key, item in value.items():
            if allowed is not None and key not in allowed:
                problems.append(Problem(loc + (key,), _at(loc, f"unknown underlying class {key!r}"
                                                               + _suggest(key, allowed))))
                continue
            if item is None:
                problems.append(Problem(loc + (key,), _at(loc + (key,), "has no value")))
                continue
            out[key] = item_validator(item, loc + (key,), problems)
        return out
    return validate


def _section_of(section: type[Section]) -> Validator:
    fields = section.fields()
    required_names = [name for name, spec in fields.items() if spec.required]
    validators: dict[str, Validator] = {}   # per key, built on first use

    def validate(value: Any, loc: Loc, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            problems.append(Problem(loc, _at(loc, f"must be a mapping of keys, not {_shown(value)}")))
            return None
        out = {}
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                problems.append(Problem(loc + (key,), _at(loc, f"unknown key {key!r}"
                                                               + _suggest(key, list(fields)))))
            elif item is None:
                if spec.required:
                    problems.append(Problem(loc + (key,), _at(loc + (key,), "must not be empty")))
            else:
                check = validators.get(key)
                if check is None:
                    check = validators[key] = _validator(spec.annotation)
                out[key] = check(item, loc + (key,), problems)
        for name in required_names:
            if name not in value:
                problems.append(Problem(loc + (name,), _at(loc, f"missing required key {name!r}"),
                                        missing=True))
        return out
    return validate


def _at(loc: Loc, message: str) -> str:
    """``leverage.fx_major: message`` (top-level problems carry no prefix)."""
    if not loc:
        return message
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return f"{text}: {message}"


def _suggest(word: Any, allowed: typing.Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    import difflib

    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------------------------
# The same declarations as pydantic v2 models (imported only when asked for)
# ---------------------------------------------------------------------------------------------

def pydantic_model(section: type[Section]) -> Any:
    """The pydantic model of a declaration. Its validators are the converters above, so it
    accepts exactly what :func:`validate_section_data` accepts."""
    return _pydantic_model(section)


@functools.cache
def _pydantic_model(section: type[Section]) -> Any:
    from pydantic import ConfigDict, Field, create_model

    schema_id = getattr(section, "SCHEMA_ID", "")
    extra: dict[str, Any] = {"$id": schema_id} if schema_id else {}
    config = ConfigDict(extra="forbid", frozen=True, title=section.__name__,
                        json_schema_extra=extra or None)
    definitions = {}
    for name, spec in section.fields().items():
        default = ... if spec.required else None
        definitions[name] = (_pydantic_annotation(spec.annotation),
                             Field(default, description=spec.description))
    model = create_model(section.__name__, __config__=config, __doc__=section.__doc__,
                         __module__=__name__, **definitions)
    return model


def _pydantic_annotation(annotation: Any) -> Any:
    from pydantic import PlainValidator, WithJsonSchema

    optional = strip_optional(annotation) is not annotation
    inner = strip_optional(annotation)
    origin = typing.get_origin(inner)
    result: Any
    if origin is Annotated:
        converter = next(m for m in inner.__metadata__ if isinstance(m, Convert))
        result = Annotated[inner.__origin__, PlainValidator(_pydantic_converter(converter.function)),
                           WithJsonSchema(converter.json_schema)]
    elif origin is list:
        result = list[_pydantic_annotation(typing.get_args(inner)[0])]  # type: ignore[misc]
    elif origin is dict:
        key, item = typing.get_args(inner)
        result = dict[key, _pydantic_annotation(item)]  # type: ignore[valid-type]
    elif isinstance(inner, type) and issubclass(inner, Section):
        result = _pydantic_model(inner)
    else:
        result = inner
    return result | None if optional else result  # type: ignore[operator]


def _pydantic_converter(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        from pydantic_core import PydanticCustomError

        try:
            return function(value)
        except InvalidValue as error:
            raise PydanticCustomError("invalid_value", str(error)) from None
    return convert
