"""The contract file format: one declaration from which everything else is derived.

The sections below declare every key of a contract file once, as annotated class attributes. From
that declaration come

* :func:`validate_contract_data`, the validator ``load_contract`` runs: validators built once per
  declared type (:mod:`compliance.documents.declarations`), fast enough for a CI gate (pydantic's
  import and model construction alone cost more than a whole cold ``compliance check``);
* ``pydantic_model(Contract)``, pydantic v2 models built from the same annotations, used for the
  JSON Schema (``compliance schema contract``) and by API users who want a pydantic object;
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

from typing import Any, Literal

from compliance import vocabulary
from compliance.documents.declarations import (
    DateValue,
    DurationValue,
    Flag,
    LanguageCode,
    LeverageValue,
    MoneyValue,
    NumberValue,
    PercentValue,
    Problem,
    Section,
    Text,
    optional,
    required,
    validate_section_data,
)

SCHEMA_ID = "urn:compliance:schema:contract"

# The vocabularies are defined once, in compliance.vocabulary; Literal[tuple] spells them out.
UnderlyingClass = Literal[vocabulary.UNDERLYING_CLASSES]  # type: ignore[valid-type]
UNDERLYING_CLASSES: tuple[str, ...] = vocabulary.UNDERLYING_CLASSES
ClientCategory = Literal[vocabulary.CLIENT_CATEGORIES]  # type: ignore[valid-type]
ProductType = Literal[vocabulary.PRODUCT_TYPES]  # type: ignore[valid-type]
NoticeChannel = Literal[vocabulary.NOTICE_CHANNELS]  # type: ignore[valid-type]


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------

class Provider(Section):
    """The firm offering the product."""

    name: Text | None = optional("Trading name of the provider.")
    legal_name: Text | None = optional("Registered legal name.")
    jurisdiction: Text | None = optional("Where the provider is authorised: EU, UK, US, CN, or an ISO "
                                     "country code such as DE.")
    regulator: Text | None = optional("The supervising authority, e.g. CySEC, BaFin, FCA, FINRA, CSRC.")
    licensed: Flag | None = optional("Whether the provider holds a licence for this business.")
    licence_number: Text | None = optional("Licence or registration number.")
    new_provider: Flag | None = optional("No open retail position in the last 12 months: the standard "
                                     "'between 74-89%' risk warning applies (ESMA).")
    retail_cfd_since: DateValue | None = optional("When the provider first held an open retail CFD "
                                              "position: the evidence that it is a new provider.")
    address: Text | None = optional("Registered address.")


class Client(Section):
    """Who the agreement is for."""

    category: ClientCategory | None = optional("Client classification: "
                                           + ", ".join(vocabulary.CLIENT_CATEGORIES) + ".")
    elective_professional: Flag | None = optional("A retail client treated as professional on request.")
    jurisdiction: Text | None = optional("Where the clients reside, e.g. EU, UK, CN, US.")
    minimum_assets: MoneyValue | None = optional("Financial assets a client must hold to be eligible, "
                                             "e.g. CNY 500000.")
    minimum_experience: DurationValue | None = optional("Trading experience a client must have.")


class Instrument(Section):
    """One line of the instrument schedule: what the client trades and the class it is filed under."""

    name: Text = required("The instrument as the schedule names it, e.g. EUR/USD, FTSE 100, "
                          "Germany 40, Gold.")
    underlying_class: UnderlyingClass = required(
        "The underlying class the instrument is filed under, which decides its leverage cap: "
        + ", ".join(vocabulary.UNDERLYING_CLASSES) + ". Checked against the regime's lists of "
        "major indices and major currencies.")


class Product(Section):
    """What is traded."""

    type: ProductType | None = optional("The product: " + ", ".join(vocabulary.PRODUCT_TYPES) + ".")
    name: Text | None = optional("Marketing name of the product.")
    underlying_classes: list[UnderlyingClass] | None = optional("Underlying classes offered.")
    instruments: list[Instrument] | None = optional(
        "The instrument schedule: each instrument with the underlying class it is filed under.")
    base_currency: Text | None = optional("Account currency, e.g. EUR.")
    term: DurationValue | None = optional("Term of a loan or contract, e.g. 6 months.")
    rollover: Flag | None = optional("Whether the term may be rolled over.")
    guaranteed_stop: Flag | None = optional("Whether guaranteed stop-loss orders are offered.")


class Margin(Section):
    """Margin call and close-out terms."""

    close_out_level: PercentValue | None = optional(
        "Equity as a share of the initial margin required, at which positions are closed (ESMA: "
        "50%).")
    close_out_comparison: Literal["below", "at_or_below"] | None = optional(
        "Whether close-out happens when equity is below the level or already at it.")
    close_out_scope: Literal["account", "position"] | None = optional(
        "Whether the close-out level is measured per account (ESMA) or per position.")
    warning_level: PercentValue | None = optional("Margin level at which the client is warned.")
    maintenance: PercentValue | None = optional(
        "Margin-loan style: equity as a share of position value under which positions are closed "
        "(FINRA 4210: at least 25%).")
    notice_channels: list[NoticeChannel] | None = optional(
        "How margin calls and warnings reach the client: email, sms, app, phone, post, platform.")
    cure_period: DurationValue | None = optional("Time the client has to meet a margin call, e.g. 2 days.")
    financing_margin_ratio: PercentValue | None = optional(
        "融资保证金比例: own margin as a share of the amount financed (CN exchanges: at least 100% "
        "for new contracts from 2026-01-14).")
    warning_collateral_ratio: PercentValue | None = optional(
        "维持担保比例 warning line, e.g. 150%.")
    close_out_collateral_ratio: PercentValue | None = optional(
        "维持担保比例 close-out line, e.g. 130%.")
    withdrawal_collateral_ratio: PercentValue | None = optional(
        "维持担保比例 above which excess collateral may be withdrawn, e.g. 300%.")
    house_may_raise: Flag | None = optional("Whether the firm may raise house requirements at any time.")
    short_sale_margin_ratio: PercentValue | None = optional(
        "融券保证金比例: own margin as a share of the value of securities sold short (CN exchanges: "
        "at least 100% from 2024-07-22; Regulation T: at least 50% on top of the proceeds).")
    short_maintenance: PercentValue | None = optional(
        "Equity as a share of the market value of securities sold short under which positions "
        "are closed (FINRA 4210: 30%).")


class Financing(Section):
    """Interest charged on borrowed money or held positions."""

    annual_rate: PercentValue | None = optional("Annual interest rate, e.g. 6%.")
    rate_type: Literal["fixed", "floating"] | None = optional("fixed or floating.")
    reference_rate: Text | None = optional("The benchmark of a floating rate, e.g. SOFR, €STR, LPR 1Y.")
    spread: PercentValue | None = optional("Margin over the reference rate.")
    day_count: Literal["ACT/365", "ACT/360", "30/360", "ACT/ACT"] | None = optional(
        "Day-count convention: ACT/365, ACT/360, 30/360 or ACT/ACT.")
    interest_period: Literal["daily", "weekly", "monthly", "quarterly", "at_maturity"] | None = \
        optional("How often interest is charged.")
    currency: Text | None = optional("Currency in which interest is charged.")
    penalty_rate: PercentValue | None = optional("Annual default interest on overdue amounts.")
    example: Text | None = optional("A worked example of the charge, in words.")


class Custody(Section):
    """Where client money and assets are held."""

    segregated: Flag | None = optional("Client money held apart from the firm's own money.")
    custodian: Text | None = optional("The bank or depository holding client money.")
    third_party_depository: Flag | None = optional("第三方存管: client funds held by an independent bank.")
    audited: Flag | None = optional("Client-money arrangements independently audited.")
    auditor: Text | None = optional("Name of the auditor.")
    reconciliation: Literal["daily", "weekly", "monthly"] | None = optional(
        "How often client money is reconciled.")


class RiskWarning(Section):
    text: Text | None = optional("The risk warning exactly as shown to clients.")
    loss_percentage: PercentValue | None = optional(
        "The provider's own share of retail accounts that lost money over 12 months.")
    new_provider_range: Text | None = optional("For a provider without 12-month history: the standard "
                                           "range, e.g. 74-89%.")
    calculation_date: DateValue | None = optional("When the loss percentage was last calculated.")
    prominent: Flag | None = optional("Shown prominently, in a font at least as large as the text.")


class MarginDisclosure(Section):
    separate_document: Flag | None = optional("Delivered as a separate document (FINRA 2264).")
    delivered_before_opening: Flag | None = optional("Delivered before the account is opened.")
    title: Text | None = optional("Title of the disclosure document.")
    points: list[Text] | None = optional("The risk points the disclosure makes, one sentence each.")


class Disclosures(Section):
    risk_warning: RiskWarning | None = optional("The standardised risk warning.")
    margin_disclosure: MarginDisclosure | None = optional("The margin risk disclosure statement.")
    key_information_document: Flag | None = optional("A PRIIPs key information document is provided.")


class Clause(Section):
    id: Text = required("Stable identifier, e.g. liquidation_order, default, "
                                 "dispute_resolution, governing_law.")
    title: Text | None = optional("Clause heading.")
    text: Text | None = optional("Clause text.")


class Marketing(Section):
    id: Text = required("Identifier of the communication.")
    channel: Text | None = optional("website, app, email, social, print, video, sms ...")
    audience: ClientCategory | None = optional("The client category addressed.")
    text: Text | None = optional("The text as published.")


class Incentive(Section):
    type: Text = required("deposit_bonus, trading_credit, volume_rebate, gift, prize_draw, "
                                   "referral_bonus, research_tool, education ...")
    description: Text | None = optional("What is offered and on what terms.")
    value: MoneyValue | None = optional("Value of the benefit, if monetary.")


class Fee(Section):
    name: Text = required("Name of the fee.")
    description: Text | None = optional("What the fee is for and when it is charged.")
    amount: MoneyValue | None = optional("A fixed amount.")
    rate: PercentValue | None = optional("A rate, e.g. of notional value.")
    basis: Text | None = optional("What the rate or amount applies to: per trade, per month ...")


class DayTrading(Section):
    pattern_day_trader: Flag | None = optional("Whether pattern day trading is permitted.")
    minimum_equity: MoneyValue | None = optional("Equity required to day trade (FINRA: USD 25000).")
    buying_power_multiple: NumberValue | None = optional(
        "Day-trading buying power as a multiple of maintenance margin excess (FINRA: 4).")
    call_period: DurationValue | None = optional("Time to meet a day-trading margin call.")


class Suitability(Section):
    appropriateness_assessment: Flag | None = optional("Clients' knowledge and experience are assessed "
                                                   "before an account opens.")
    knowledge_test: Flag | None = optional("A knowledge test is part of onboarding.")
    professional_opt_up_incentives: Flag | None = optional(
        "Rewards or promotion offered for asking to be treated as professional (prohibited).")
    leverage_comparison_shown: Flag | None = optional(
        "Retail and professional leverage are compared in promotion (an incentive under ESMA).")
    minimum_risk_tolerance: Literal["C1", "C2", "C3", "C4", "C5"] | None = optional(
        "Lowest client risk-tolerance grade admitted (CN C1-C5).")
    product_risk_grade: Literal["R1", "R2", "R3", "R4", "R5"] | None = optional(
        "Product risk grade (CN R1-R5).")


class Concentration(Section):
    max_single_position: PercentValue | None = optional(
        "Largest single position as a share of the account's collateral.")
    max_financed_share_of_float: PercentValue | None = optional(
        "One client's financed holding of a stock as a share of its free float.")
    max_collateral_share_of_market_cap: PercentValue | None = optional(
        "One collateral stock's value as a share of its market capitalisation.")


class DisputeResolution(Section):
    method: Literal["arbitration", "court", "ombudsman", "mediation"] | None = optional(
        "arbitration, court, ombudsman or mediation.")
    body: Text | None = optional("The arbitration body, court or ombudsman scheme.")
    seat: Text | None = optional("Seat or venue, e.g. Shanghai, London.")


class Contract(Section):
    """A leveraged-trading client agreement, as checked by the rulesets it declares."""

    SCHEMA_ID = SCHEMA_ID   # the JSON Schema's $id (not a field: fields are the annotated names)

    kind: Literal["contract"] = required("Always 'contract'.")
    id: Text = required("Unique identifier of the contract, e.g. ACME-CFD-RETAIL-2026.")
    title: Text | None = optional("Title of the agreement.")
    version: Text | None = optional("Version of the document.")
    effective_date: DateValue | None = optional("Date from which the terms apply.")
    language: LanguageCode | None = optional("Language of the contract text, e.g. en or zh.")
    rulesets: list[Text] | None = optional("Rulesets the contract declares itself bound by.")
    provider: Provider | None = optional("The provider.")
    client: Client | None = optional("The client category and eligibility.")
    product: Product | None = optional("The product.")
    leverage: dict[UnderlyingClass, LeverageValue] | None = optional(
        "Maximum leverage per underlying class, e.g. {fx_major: '30:1'}.")
    initial_margin: dict[UnderlyingClass, PercentValue] | None = optional(
        "Minimum initial margin per underlying class, e.g. {fx_major: 3.33%}.")
    margin: Margin | None = optional("Margin call and close-out terms.")
    negative_balance_protection: Flag | None = optional(
        "The client cannot lose more than the funds in the account.")
    financing: Financing | None = optional("Interest terms.")
    fees: list[Fee] | None = optional("Fees and charges.")
    minimum_equity: MoneyValue | None = optional("Equity needed to open a margin position "
                                             "(FINRA: USD 2000).")
    day_trading: DayTrading | None = optional("Pattern day trading terms.")
    concentration: Concentration | None = optional("Concentration limits.")
    custody: Custody | None = optional("Custody of client money.")
    suitability: Suitability | None = optional("Client classification and appropriateness.")
    disclosures: Disclosures | None = optional("Risk warnings and disclosure statements.")
    clauses: list[Clause] | None = optional("The contract text, section by section.")
    marketing: list[Marketing] | None = optional("Marketing communications about the product.")
    incentives: list[Incentive] | None = optional("Bonuses and other benefits offered to trade.")
    dispute_resolution: DisputeResolution | None = optional("How disputes are resolved.")
    governing_law: Text | None = optional("The law governing the agreement, e.g. 'Republic of Cyprus'.")


def validate_contract_data(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The contract as dicts and lists of typed values (absent and empty fields left out), and
    every problem found. The data is usable only when the list is empty."""
    return validate_section_data(Contract, data)
