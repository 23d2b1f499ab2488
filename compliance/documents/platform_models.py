"""The platform profile format: what a due-diligence reviewer records about a leverage provider.

A profile (``kind: platform``) states who the platform is and what evidence backs it: its licence,
legal entity and shareholders, capital, the depository bank holding client money and the proof
of that arrangement, reconciliation, audits, the funding of the leverage it offers, client-money
segregation, KYC/AML procedures, complaints handling, the leverage it offers, and, by reference,
its client agreements (contract files) and marketing. Declared like the contract format in
:mod:`compliance.documents.models`, whose validator, converters and pydantic models it reuses, so
both formats accept the same value forms (``50%``, ``2:1``, ``CNY 500000000``, ISO dates).

Every field but ``kind`` and ``id`` is optional: what a profile must state is a rule's decision
(``platform_due_diligence``), reported as a not-stated finding or, where the point is essential,
as a breach; never an input error.
"""
from __future__ import annotations

from typing import Literal

from compliance import vocabulary
from compliance.documents.models import (
    DateValue, DurationValue, Flag, LanguageCode, LeverageValue, MoneyValue, PercentValue,
    Section, Text, optional, required,
)

SCHEMA_ID = "urn:compliance:schema:platform"

# The regimes the due-diligence ruleset knows; "other" is reviewed on the common points only.
JURISDICTIONS = ("CN", "EU", "UK", "US", "other")
Jurisdiction = Literal[JURISDICTIONS]  # type: ignore[valid-type]
ProductType = Literal[vocabulary.PRODUCT_TYPES]  # type: ignore[valid-type]

# How client money is held. third_party_depository: 第三方存管, a bank keeps one sub-account per
# client and moves money only on the client's instructions; client_bank_account: a segregated
# account in the firm's name designated as client money (MiFID II, CASS 7); special_reserve_account:
# the US customer reserve bank account (SEC Rule 15c3-3); none: the platform holds it itself.
DEPOSITORY_ARRANGEMENTS = ("third_party_depository", "client_bank_account",
                           "special_reserve_account", "none")
FUNDING_TYPES = ("own_funds", "bank_loan", "securities_refinancing", "bond_issue",
                 "shareholder_loan", "private_lenders", "client_money", "undisclosed", "other")
AUDIT_SCOPES = ("financial_statements", "client_assets", "internal_control", "aml")
AUDIT_OPINIONS = ("unqualified", "qualified", "adverse", "disclaimer")
RECONCILIATION_FREQUENCIES = ("real_time", "daily", "weekly", "monthly", "none")
RECONCILIATION_INTERFACES = ("bank_direct", "file_exchange", "manual", "none")


class Licence(Section):
    """The authorisation to carry on the business, as the issuing regulator's register shows it."""

    number: Text | None = optional("The licence or registration number, e.g. a CSRC 经营证券期货业务许可证 "
                                   "number, an FCA firm reference number or a CRD number.")
    regulator: Text | None = optional("The authority that issued it: CSRC, FCA, BaFin, SEC/FINRA ...")
    holder: Text | None = optional("The legal person the licence is issued to, as the register names it.")
    scope: list[Text] | None = optional("The business the licence covers, as listed by the regulator, "
                                        "e.g. 证券经纪, 证券融资融券, dealing on own account.")
    issued_on: DateValue | None = optional("When it was granted.")
    valid_until: DateValue | None = optional("When it expires; leave out for a licence without end "
                                             "date and say so with open_ended: true.")
    open_ended: Flag | None = optional("The licence has no expiry date.")
    register_url: Text | None = optional("The public register entry where it can be verified.")
    verified_on: DateValue | None = optional("When the reviewer checked the register entry.")


class Shareholder(Section):
    name: Text = required("The shareholder's name.")
    share: PercentValue | None = optional("Share of the capital held, e.g. 51%.")
    controlling: Flag | None = optional("A controlling shareholder (控股股东).")


class LegalEntity(Section):
    """The legal person behind the platform."""

    name: Text | None = optional("The registered legal name.")
    registration_number: Text | None = optional("Company number, e.g. the 统一社会信用代码.")
    registered_address: Text | None = optional("The registered address.")
    incorporated_on: DateValue | None = optional("Date of incorporation.")
    controlling_shareholders: list[Shareholder] | None = optional(
        "The shareholders who control the entity, with their shares.")
    actual_controller: Text | None = optional("The ultimate controller (实际控制人).")


class Capital(Section):
    """Registered and paid-in capital, and the platform's own funds."""

    registered: MoneyValue | None = optional("Registered capital (注册资本).")
    registered_on: DateValue | None = optional("Date of the registration record.")
    paid_in: MoneyValue | None = optional("Paid-in capital (实缴资本).")
    paid_in_on: DateValue | None = optional("Date the paid-in figure was evidenced.")
    evidence: Text | None = optional("What evidences it: a capital verification report (验资报告), "
                                     "the company register, audited accounts.")
    own_funds: MoneyValue | None = optional("Own funds or net capital (净资本).")
    own_funds_on: DateValue | None = optional("Date of the own-funds figure.")


class DepositoryBank(Section):
    name: Text = required("The bank holding client money.")
    main: Flag | None = optional("The main depository bank (主办存管银行).")
    agreement: Text | None = optional("The depository agreement, e.g. a tripartite 三方存管协议 or a "
                                      "client bank account acknowledgement letter.")
    agreement_date: DateValue | None = optional("When the agreement was signed.")
    confirmed_by_bank: Flag | None = optional("The bank confirmed the arrangement to the reviewer "
                                              "directly, not through the platform.")
    verify_at: Text | None = optional("Where the arrangement can be verified, e.g. the bank's list "
                                      "of brokers it is depository for.")


class Officer(Section):
    name: Text = required("The person's name.")
    title: Text | None = optional("Their position.")
    appointed_on: DateValue | None = optional("When they were appointed.")


class Depository(Section):
    """Where client money is held, and how it is kept apart from the platform's own."""

    arrangement: Literal[DEPOSITORY_ARRANGEMENTS] | None = optional(  # type: ignore[valid-type]
        "How client money is held: " + ", ".join(DEPOSITORY_ARRANGEMENTS) + ".")
    banks: list[DepositoryBank] | None = optional("The banks holding client money.")
    per_client_sub_accounts: Flag | None = optional(
        "Client money is held in one account per client (以每个客户的名义单独立户).")
    commingled: Flag | None = optional("Client money is mixed with the platform's own money.")
    title_transfer_retail: Flag | None = optional(
        "Retail clients' money is taken by title transfer (MiFID II forbids it).")
    officer: Officer | None = optional("The officer responsible for safeguarding client assets.")


class Reconciliation(Section):
    frequency: Literal[RECONCILIATION_FREQUENCIES] | None = optional(  # type: ignore[valid-type]
        "How often client money is reconciled with the bank: "
        + ", ".join(RECONCILIATION_FREQUENCIES) + ".")
    interface: Literal[RECONCILIATION_INTERFACES] | None = optional(  # type: ignore[valid-type]
        "How the bank's records reach the reconciliation: bank_direct (a direct bank interface, "
        "such as 银证转账), file_exchange, manual or none.")
    last_performed_on: DateValue | None = optional("The last reconciliation the reviewer saw.")


class Audit(Section):
    auditor: Text = required("The audit firm.")
    auditor_registration: Text | None = optional("The auditor's registration, e.g. 证券服务业务备案, "
                                                 "a PCAOB registration.")
    scope: Literal[AUDIT_SCOPES] | None = optional(  # type: ignore[valid-type]
        "What was audited: " + ", ".join(AUDIT_SCOPES) + ".")
    period_start: DateValue | None = optional("First day of the audited period.")
    period_end: DateValue | None = optional("Last day of the audited period.")
    report_date: DateValue | None = optional("Date of the audit report.")
    opinion: Literal[AUDIT_OPINIONS] | None = optional(  # type: ignore[valid-type]
        "The auditor's opinion: " + ", ".join(AUDIT_OPINIONS) + ".")
    verify_at: Text | None = optional("Where the report can be verified independently: a regulator's "
                                      "filing system, an exchange, the auditor.")
    verified: Flag | None = optional("The reviewer obtained or confirmed the report from that "
                                     "independent source.")


class FundingSource(Section):
    type: Literal[FUNDING_TYPES] = required(  # type: ignore[valid-type]
        "Where the money lent to clients comes from: " + ", ".join(FUNDING_TYPES) + ".")
    share: PercentValue | None = optional("Its share of the money lent.")
    lender: Text | None = optional("Who provides it.")
    description: Text | None = optional("What it is, in words.")


class Funding(Section):
    """Where the leverage offered is funded from."""

    sources: list[FundingSource] | None = optional("The sources of the money lent to clients.")
    disclosed_to_clients: Flag | None = optional("The sources are disclosed to clients.")


class LeverageOffered(Section):
    """The most leverage the platform offers, and the line at which it closes positions out."""

    product: ProductType | None = optional("The product: " + ", ".join(vocabulary.PRODUCT_TYPES) + ".")
    maximum: LeverageValue | None = optional("The highest leverage offered (position over own money).")
    maintenance: PercentValue | None = optional("Close-out line as equity over position value.")
    warning_collateral_ratio: PercentValue | None = optional("维持担保比例 warning line, e.g. 150%.")
    close_out_collateral_ratio: PercentValue | None = optional("维持担保比例 close-out line, e.g. 130%.")
    close_out_level: PercentValue | None = optional("CFD close-out level, equity over initial margin.")


class Kyc(Section):
    """Know-your-customer and anti-money-laundering procedures."""

    identity_verification: Flag | None = optional("Clients' identity is verified before an account "
                                                  "opens (real-name accounts, 实名制).")
    customer_due_diligence: Flag | None = optional("Written customer due-diligence procedures, "
                                                   "beneficial owners included.")
    suspicious_transaction_reporting: Flag | None = optional("Suspicious transactions are reported "
                                                             "to the authority.")
    sanctions_screening: Flag | None = optional("Clients are screened against sanctions lists.")
    suitability_assessment: Flag | None = optional("Clients are assessed for the product before "
                                                   "trading on margin.")
    aml_officer: Officer | None = optional("The person responsible for the AML programme.")
    procedures: Text | None = optional("The procedures document the reviewer saw.")


class Complaints(Section):
    procedure: Text | None = optional("How complaints are handled.")
    contact: Text | None = optional("Where clients complain.")
    response_time: DurationValue | None = optional("The time promised for an answer.")
    dispute_bodies: list[Text] | None = optional("Independent bodies clients can take a dispute to: "
                                                 "an ombudsman, a mediation centre, arbitration.")


class MarketingItem(Section):
    id: Text = required("Identifier of the communication.")
    channel: Text | None = optional("website, app, social, sms, video ...")
    url: Text | None = optional("Where it was published.")
    captured_on: DateValue | None = optional("When the reviewer captured it.")
    text: Text | None = optional("The text as published.")


class References(Section):
    """The platform's own documents, by reference."""

    contracts: list[Text] | None = optional(
        "Paths of the platform's client agreements (contract files), relative to this profile. "
        "They are loaded with it and read by rules as `contracts`.")
    marketing: list[MarketingItem] | None = optional("Marketing the reviewer captured.")


class Platform(Section):
    """A due-diligence profile of a platform offering leverage: who it is and the evidence."""

    kind: Literal["platform"] = required("Always 'platform'.")
    id: Text = required("Identifier of the profile, e.g. DONGHAI-SEC-DD-2026.")
    name: Text | None = optional("The name the platform trades under.")
    jurisdiction: Jurisdiction | None = optional(
        "The regime it is reviewed under: " + ", ".join(JURISDICTIONS) + ".")
    website: Text | None = optional("The platform's website or app.")
    language: LanguageCode | None = optional("Language of the profile, e.g. en or zh.")
    rulesets: list[Text] | None = optional("Rulesets the profile is checked against.")
    reviewed_on: DateValue | None = optional("When the review was done.")
    reviewer: Text | None = optional("Who did it.")
    services: list[ProductType] | None = optional("The leveraged products offered.")
    licence: Licence | None = optional("The licence.")
    legal_entity: LegalEntity | None = optional("The legal person and its controllers.")
    capital: Capital | None = optional("Capital and own funds.")
    depository: Depository | None = optional("Custody and segregation of client money.")
    reconciliation: Reconciliation | None = optional("Reconciliation of client money.")
    audits: list[Audit] | None = optional("Audit reports, newest first or in any order.")
    funding: Funding | None = optional("Where the money lent comes from.")
    leverage: LeverageOffered | None = optional("The leverage offered.")
    kyc: Kyc | None = optional("KYC and AML procedures.")
    complaints: Complaints | None = optional("Complaints and disputes.")
    references: References | None = optional("The platform's contracts and marketing.")
