"""The contract file format: one declaration from which everything else is derived.

The sections below declare every key of a contract file once, as annotated class attributes. From
that declaration come

* :func:`validate_contract_data`, the validator ``load_contract`` runs: a small interpreter over
  the annotations, fast enough for a CI gate (pydantic's import and model construction alone
  cost more than the whole ``compliance check`` start-up budget of 300 ms);
* :func:`pydantic_model`, pydantic v2 models built from the same annotations, used for the JSON
  Schema (``compliance schema contract``) and by API users who want a pydantic object;
* the DSL's record type of a contract (:func:`compliance.documents.contract.contract_type`).

Both validators call the same converters below, so they accept the same values.

Every field except ``kind`` and ``id`` is optional: whether a contract *must* state something is a
rule's decision, reported as a finding, not an input error. Values are the exact types of
:mod:`compliance.dsl.units` (``Decimal`` underneath), never floats. Accepted forms:

* percentage: ``50%``, or a bare number read as a fraction between 0 and 1 (``0.5`` is 50%).
  A bare number above 1 is refused, because ``close_out_level: 50`` is almost certainly meant as
  50%, not 5000%; write percentages above 100% with the sign (``150%``).
* leverage: ``30:1`` (unquoted works too), or a positive number ``30``.
* money: ``EUR 25000`` / ``"USD 25,000.00"``, or ``{amount: 25000, currency: EUR}``.
* date: an ISO date ``2026-01-01``. duration: ``2 days``, ``1 week``, ``6 months``, ``1 year``.
"""

import datetime as _dt
import functools
import types as _types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

from compliance import vocabulary
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

SCHEMA_ID = "urn:compliance:schema:contract"

# The vocabularies are defined once, in compliance.vocabulary; Literal[tuple] spells them out.
UnderlyingClass = Literal[vocabulary.UNDERLYING_CLASSES]  # type: ignore[valid-type]
UNDERLYING_CLASSES: tuple[str, ...] = vocabulary.UNDERLYING_CLASSES
ClientCategory = Literal[vocabulary.CLIENT_CATEGORIES]  # type: ignore[valid-type]
ProductType = Literal[vocabulary.PRODUCT_TYPES]  # type: ignore[valid-type]
NoticeChannel = Literal[vocabulary.NOTICE_CHANNELS]  # type: ignore[valid-type]


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


@dataclass(frozen=True)
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

@dataclass(frozen=True)
class FieldSpec:
    name: str
    annotation: Any          # resolved, with Annotated[..., Convert] metadata
    description: str
    required: bool


@dataclass(frozen=True)
class _Declared:
    description: str
    required: bool


def _opt(description: str) -> Any:
    return _Declared(description, required=False)


def required(description: str) -> Any:
    return _Declared(description, required=True)


# The public name for other document kinds' declarations (compliance.documents.platform_models).
optional = _opt


class Section:
    """A mapping of a contract file. Subclasses declare keys as ``name: Type = _opt("help")``."""

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
            raise TypeError(f"{cls.__name__}.{name} needs _opt(...) or required(...)")
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
# Sections
# ---------------------------------------------------------------------------------------------

class Provider(Section):
    """The firm offering the product."""

    name: Text | None = _opt("Trading name of the provider.")
    legal_name: Text | None = _opt("Registered legal name.")
    jurisdiction: Text | None = _opt("Where the provider is authorised: EU, UK, US, CN, or an ISO "
                                     "country code such as DE.")
    regulator: Text | None = _opt("The supervising authority, e.g. CySEC, BaFin, FCA, FINRA, CSRC.")
    licensed: Flag | None = _opt("Whether the provider holds a licence for this business.")
    licence_number: Text | None = _opt("Licence or registration number.")
    new_provider: Flag | None = _opt("No open retail position in the last 12 months: the standard "
                                     "'between 74-89%' risk warning applies (ESMA).")
    retail_cfd_since: DateValue | None = _opt("When the provider first held an open retail CFD "
                                              "position: the evidence that it is a new provider.")
    address: Text | None = _opt("Registered address.")


class Client(Section):
    """Who the agreement is for."""

    category: ClientCategory | None = _opt("Client classification: "
                                           + ", ".join(vocabulary.CLIENT_CATEGORIES) + ".")
    elective_professional: Flag | None = _opt("A retail client treated as professional on request.")
    jurisdiction: Text | None = _opt("Where the clients reside, e.g. EU, UK, CN, US.")
    minimum_assets: MoneyValue | None = _opt("Financial assets a client must hold to be eligible, "
                                             "e.g. CNY 500000.")
    minimum_experience: DurationValue | None = _opt("Trading experience a client must have.")


class Product(Section):
    """What is traded."""

    type: ProductType | None = _opt("The product: " + ", ".join(vocabulary.PRODUCT_TYPES) + ".")
    name: Text | None = _opt("Marketing name of the product.")
    underlying_classes: list[UnderlyingClass] | None = _opt("Underlying classes offered.")
    base_currency: Text | None = _opt("Account currency, e.g. EUR.")
    term: DurationValue | None = _opt("Term of a loan or contract, e.g. 6 months.")
    rollover: Flag | None = _opt("Whether the term may be rolled over.")
    guaranteed_stop: Flag | None = _opt("Whether guaranteed stop-loss orders are offered.")


class Margin(Section):
    """Margin call and close-out terms."""

    close_out_level: PercentValue | None = _opt(
        "Equity as a share of the initial margin required, at which positions are closed (ESMA: "
        "50%).")
    close_out_comparison: Literal["below", "at_or_below"] | None = _opt(
        "Whether close-out happens when equity is below the level or already at it.")
    close_out_scope: Literal["account", "position"] | None = _opt(
        "Whether the close-out level is measured per account (ESMA) or per position.")
    warning_level: PercentValue | None = _opt("Margin level at which the client is warned.")
    maintenance: PercentValue | None = _opt(
        "Margin-loan style: equity as a share of position value under which positions are closed "
        "(FINRA 4210: at least 25%).")
    notice_channels: list[NoticeChannel] | None = _opt(
        "How margin calls and warnings reach the client: email, sms, app, phone, post, platform.")
    cure_period: DurationValue | None = _opt("Time the client has to meet a margin call, e.g. 2 days.")
    financing_margin_ratio: PercentValue | None = _opt(
        "融资保证金比例: own margin as a share of the amount financed (CN exchanges: at least 100% "
        "for new contracts from 2026-01-14).")
    warning_collateral_ratio: PercentValue | None = _opt(
        "维持担保比例 warning line, e.g. 150%.")
    close_out_collateral_ratio: PercentValue | None = _opt(
        "维持担保比例 close-out line, e.g. 130%.")
    withdrawal_collateral_ratio: PercentValue | None = _opt(
        "维持担保比例 above which excess collateral may be withdrawn, e.g. 300%.")
    house_may_raise: Flag | None = _opt("Whether the firm may raise house requirements at any time.")
    short_sale_margin_ratio: PercentValue | None = _opt(
        "融券保证金比例: own margin as a share of the value of securities sold short (CN exchanges: "
        "at least 100% from 2024-07-22; Regulation T: at least 50% on top of the proceeds).")
    short_maintenance: PercentValue | None = _opt(
        "Equity as a share of the market value of securities sold short under which positions "
        "are closed (FINRA 4210: 30%).")


class Financing(Section):
    """Interest charged on borrowed money or held positions."""

    annual_rate: PercentValue | None = _opt("Annual interest rate, e.g. 6%.")
    rate_type: Literal["fixed", "floating"] | None = _opt("fixed or floating.")
    reference_rate: Text | None = _opt("The benchmark of a floating rate, e.g. SOFR, €STR, LPR 1Y.")
    spread: PercentValue | None = _opt("Margin over the reference rate.")
    day_count: Literal["ACT/365", "ACT/360", "30/360", "ACT/ACT"] | None = _opt(
        "Day-count convention: ACT/365, ACT/360, 30/360 or ACT/ACT.")
    interest_period: Literal["daily", "weekly", "monthly", "quarterly", "at_maturity"] | None = \
        _opt("How often interest is charged.")
    currency: Text | None = _opt("Currency in which interest is charged.")
    penalty_rate: PercentValue | None = _opt("Annual default interest on overdue amounts.")
    example: Text | None = _opt("A worked example of the charge, in words.")


class Custody(Section):
    """Where client money and assets are held."""

    segregated: Flag | None = _opt("Client money held apart from the firm's own money.")
    custodian: Text | None = _opt("The bank or depository holding client money.")
    third_party_depository: Flag | None = _opt("第三方存管: client funds held by an independent bank.")
    audited: Flag | None = _opt("Client-money arrangements independently audited.")
    auditor: Text | None = _opt("Name of the auditor.")
    reconciliation: Literal["daily", "weekly", "monthly"] | None = _opt(
        "How often client money is reconciled.")


class RiskWarning(Section):
    text: Text | None = _opt("The risk warning exactly as shown to clients.")
    loss_percentage: PercentValue | None = _opt(
        "The provider's own share of retail accounts that lost money over 12 months.")
    new_provider_range: Text | None = _opt("For a provider without 12-month history: the standard "
                                           "range, e.g. 74-89%.")
    calculation_date: DateValue | None = _opt("When the loss percentage was last calculated.")
    prominent: Flag | None = _opt("Shown prominently, in a font at least as large as the text.")


class MarginDisclosure(Section):
    separate_document: Flag | None = _opt("Delivered as a separate document (FINRA 2264).")
    delivered_before_opening: Flag | None = _opt("Delivered before the account is opened.")
    title: Text | None = _opt("Title of the disclosure document.")
    points: list[Text] | None = _opt("The risk points the disclosure makes, one sentence each.")


class Disclosures(Section):
    risk_warning: RiskWarning | None = _opt("The standardised risk warning.")
    margin_disclosure: MarginDisclosure | None = _opt("The margin risk disclosure statement.")
    key_information_document: Flag | None = _opt("A PRIIPs key information document is provided.")


class Clause(Section):
    id: Text = required("Stable identifier, e.g. liquidation_order, default, "
                                 "dispute_resolution, governing_law.")
    title: Text | None = _opt("Clause heading.")
    text: Text | None = _opt("Clause text.")


class Marketing(Section):
    id: Text = required("Identifier of the communication.")
    channel: Text | None = _opt("website, app, email, social, print, video, sms ...")
    audience: ClientCategory | None = _opt("The client category addressed.")
    text: Text | None = _opt("The text as published.")


class Incentive(Section):
    type: Text = required("deposit_bonus, trading_credit, volume_rebate, gift, prize_draw, "
                                   "referral_bonus, research_tool, education ...")
    description: Text | None = _opt("What is offered and on what terms.")
    value: MoneyValue | None = _opt("Value of the benefit, if monetary.")


class Fee(Section):
    name: Text = required("Name of the fee.")
    description: Text | None = _opt("What the fee is for and when it is charged.")
    amount: MoneyValue | None = _opt("A fixed amount.")
    rate: PercentValue | None = _opt("A rate, e.g. of notional value.")
    basis: Text | None = _opt("What the rate or amount applies to: per trade, per month ...")


class DayTrading(Section):
    pattern_day_trader: Flag | None = _opt("Whether pattern day trading is permitted.")
    minimum_equity: MoneyValue | None = _opt("Equity required to day trade (FINRA: USD 25000).")
    buying_power_multiple: NumberValue | None = _opt(
        "Day-trading buying power as a multiple of maintenance margin excess (FINRA: 4).")
    call_period: DurationValue | None = _opt("Time to meet a day-trading margin call.")


class Suitability(Section):
    appropriateness_assessment: Flag | None = _opt("Clients' knowledge and experience are assessed "
                                                   "before an account opens.")
    knowledge_test: Flag | None = _opt("A knowledge test is part of onboarding.")
    professional_opt_up_incentives: Flag | None = _opt(
        "Rewards or promotion offered for asking to be treated as professional (prohibited).")
    leverage_comparison_shown: Flag | None = _opt(
        "Retail and professional leverage are compared in promotion (an incentive under ESMA).")
    minimum_risk_tolerance: Literal["C1", "C2", "C3", "C4", "C5"] | None = _opt(
        "Lowest client risk-tolerance grade admitted (CN C1-C5).")
    product_risk_grade: Literal["R1", "R2", "R3", "R4", "R5"] | None = _opt(
        "Product risk grade (CN R1-R5).")


class Concentration(Section):
    max_single_position: PercentValue | None = _opt(
        "Largest single position as a share of the account's collateral.")
    max_financed_share_of_float: PercentValue | None = _opt(
        "One client's financed holding of a stock as a share of its free float.")
    max_collateral_share_of_market_cap: PercentValue | None = _opt(
        "One collateral stock's value as a share of its market capitalisation.")


class DisputeResolution(Section):
    method: Literal["arbitration", "court", "ombudsman", "mediation"] | None = _opt(
        "arbitration, court, ombudsman or mediation.")
    body: Text | None = _opt("The arbitration body, court or ombudsman scheme.")
    seat: Text | None = _opt("Seat or venue, e.g. Shanghai, London.")


class Contract(Section):
    """A leveraged-trading client agreement, as checked by the rulesets it declares."""

    kind: Literal["contract"] = required("Always 'contract'.")
    id: Text = required("Unique identifier of the contract, e.g. ACME-CFD-RETAIL-2026.")
    title: Text | None = _opt("Title of the agreement.")
    version: Text | None = _opt("Version of the document.")
    effective_date: DateValue | None = _opt("Date from which the terms apply.")
    language: LanguageCode | None = _opt("Language of the contract text, e.g. en or zh.")
    rulesets: list[Text] | None = _opt("Rulesets the contract declares itself bound by.")
    provider: Provider | None = _opt("The provider.")
    client: Client | None = _opt("The client category and eligibility.")
    product: Product | None = _opt("The product.")
    leverage: dict[UnderlyingClass, LeverageValue] | None = _opt(
        "Maximum leverage per underlying class, e.g. {fx_major: '30:1'}.")
    initial_margin: dict[UnderlyingClass, PercentValue] | None = _opt(
        "Minimum initial margin per underlying class, e.g. {fx_major: 3.33%}.")
    margin: Margin | None = _opt("Margin call and close-out terms.")
    negative_balance_protection: Flag | None = _opt(
        "The client cannot lose more than the funds in the account.")
    financing: Financing | None = _opt("Interest terms.")
    fees: list[Fee] | None = _opt("Fees and charges.")
    minimum_equity: MoneyValue | None = _opt("Equity needed to open a margin position "
                                             "(FINRA: USD 2000).")
    day_trading: DayTrading | None = _opt("Pattern day trading terms.")
    concentration: Concentration | None = _opt("Concentration limits.")
    custody: Custody | None = _opt("Custody of client money.")
    suitability: Suitability | None = _opt("Client classification and appropriateness.")
    disclosures: Disclosures | None = _opt("Risk warnings and disclosure statements.")
    clauses: list[Clause] | None = _opt("The contract text, section by section.")
    marketing: list[Marketing] | None = _opt("Marketing communications about the product.")
    incentives: list[Incentive] | None = _opt("Bonuses and other benefits offered to trade.")
    dispute_resolution: DisputeResolution | None = _opt("How disputes are resolved.")
    governing_law: Text | None = _opt("The law governing the agreement, e.g. 'Republic of Cyprus'.")


# ---------------------------------------------------------------------------------------------
# Validation: an interpreter over the declarations
# ---------------------------------------------------------------------------------------------

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One validation problem. ``loc`` is the offending key's path; ``missing`` problems are about
    a key that is absent, so they are reported at the enclosing mapping."""

    loc: Loc
    message: str
    missing: bool = False


def validate_contract_data(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The contract as dicts and lists of typed values (absent and empty fields left out), and
    every problem found. The data is usable only when the list is empty."""
    return validate_section_data(Contract, data)


def validate_section_data(section: type[Section], data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """:func:`validate_contract_data` for any top-level declaration (a platform profile)."""
    problems: list[Problem] = []
    value = _validate(section, data, (), problems)
    return (value if isinstance(value, dict) else {}), problems


def _validate(annotation: Any, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    annotation = strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        converter = next(m for m in annotation.__metadata__ if isinstance(m, Convert))
        try:
            return converter.function(value)
        except InvalidValue as error:
            problems.append(Problem(loc, _at(loc, str(error))))
            return None
    if origin is Literal:
        allowed = typing.get_args(annotation)
        if value in allowed and isinstance(value, str):
            return value
        problems.append(Problem(loc, _at(loc, f"{_shown(value)} is not allowed; must be one of "
                                              + ", ".join(allowed) + _suggest(value, allowed))))
        return None
    if origin is list:
        if not isinstance(value, list):
            problems.append(Problem(loc, _at(loc, f"must be a list, not {_shown(value)}")))
            return None
        item_type = typing.get_args(annotation)[0]
        return [_validate(item_type, item, loc + (index,), problems)
                for index, item in enumerate(value)]
    if origin is dict:
        return _validate_map(annotation, value, loc, problems)
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _validate_section(annotation, value, loc, problems)
    raise TypeError(f"unsupported annotation {annotation!r} at {loc}")


def _validate_map(annotation: Any, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if not isinstance(value, dict):
        problems.append(Problem(loc, _at(loc, f"must be a mapping, not {_shown(value)}")))
        return None
    key_type, value_type = typing.get_args(annotation)
    allowed = typing.get_args(key_type) if typing.get_origin(key_type) is Literal else None
    out = {}
    for key, item in value.items():
        if allowed is not None and key not in allowed:
            problems.append(Problem(loc + (key,), _at(loc, f"unknown underlying class {key!r}"
                                                           + _suggest(key, allowed))))
            continue
        if item is None:
            problems.append(Problem(loc + (key,), _at(loc + (key,), "has no value")))
            continue
        out[key] = _validate(value_type, item, loc + (key,), problems)
    return out


def _validate_section(section: type[Section], value: Any, loc: Loc,
                      problems: list[Problem]) -> Any:
    if not isinstance(value, dict):
        problems.append(Problem(loc, _at(loc, f"must be a mapping of keys, not {_shown(value)}")))
        return None
    fields = section.fields()
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
            out[key] = _validate(spec.annotation, item, loc + (key,), problems)
    for name, spec in fields.items():
        if spec.required and name not in value:
            problems.append(Problem(loc + (name,), _at(loc, f"missing required key {name!r}"),
                                    missing=True))
    return out


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

def pydantic_model(section: type[Section] | None = None) -> Any:
    """The pydantic model of ``section`` (default: the whole contract). Its validators are the
    converters above, so it accepts exactly what :func:`validate_contract_data` accepts."""
    return _pydantic_model(section or Contract)


@functools.cache
def _pydantic_model(section: type[Section]) -> Any:
    from pydantic import ConfigDict, Field, create_model

    extra: dict[str, Any] = {"$id": SCHEMA_ID} if section is Contract else {}
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
