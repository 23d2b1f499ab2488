"""The controlled vocabularies, defined once: product types, underlying classes, client
categories, notice channels, topics, severities, outcomes and document kinds.

Every other module derives from these tuples (the contract models and JSON Schemas, the snapshot
reader's category codes, the DSL checker, the disclosure and risk commands), so a product type
added here is accepted everywhere at once. Plain tuples: importing this costs nothing.
"""
from __future__ import annotations

PRODUCT_TYPES = ("cfd", "spread_bet", "rolling_spot_fx", "restricted_option", "margin_account",
                 "margin_loan", "binary_option")
# Contracts for difference in substance: the product intervention measures (leverage caps,
# close-out per account, negative balance protection, the risk warning) apply to them. Spread
# bets and rolling spot FX are CFDs in substance; the FCA names restricted (CFD-like) options too.
CFD_LIKE_PRODUCTS = ("cfd", "spread_bet", "rolling_spot_fx", "restricted_option")
# Products financed against collateral, closed out on a maintenance or collateral ratio.
LOAN_PRODUCTS = ("margin_account", "margin_loan")

UNDERLYING_CLASSES = ("fx_major", "fx_minor", "gold", "index_major", "index_minor", "commodity",
                      "equity", "crypto", "bond", "other")
CLIENT_CATEGORIES = ("retail", "professional", "eligible_counterparty")
NOTICE_CHANNELS = ("email", "sms", "app", "phone", "post", "platform")

# The spec's topic vocabulary, shared by all rulesets.
TOPICS = ("leverage_cap", "margin_close_out", "margin_call", "negative_balance_protection",
          "risk_warning", "prohibited_claim", "incentives", "fees_disclosure", "client_money",
          "suitability", "contract_terms", "account_state")
SEVERITIES = ("error", "warning", "info")
# What a rule may do when the document is silent on what it reads: a not_stated finding at a
# severity, or "breach" when the silence is itself the breach.
SILENCE_SEVERITIES = (*SEVERITIES, "breach")
DEFAULT_SILENCE = "warning"
# Per rule and subject, in the order a rule's overall outcome takes them (the first present wins).
OUTCOMES = ("failed", "not_stated", "passed", "not_applicable")
FINDING_OUTCOMES = ("failed", "not_stated")
CONFIDENCES = ("verified", "secondary", "unverified")
# What rules read: a contract, one account row of a snapshot, or a platform due-diligence profile.
DOCUMENT_KINDS = ("contract", "account", "platform")
