"""``compliance schema contract|platform|snapshot|findings``: print a JSON Schema (draft 2020-12).

The contract and platform-profile schemas are generated from the declarations in
:mod:`compliance.documents.models` and :mod:`compliance.documents.platform_models`; the
snapshot and findings schemas are written out here from the spec. Output is deterministic: sorted
keys, 2-space indent, one trailing newline.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from compliance import vocabulary

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_NAMES = ("contract", "platform", "snapshot", "findings")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=SCHEMA_NAMES,
                        help="which schema: contract files, platform due-diligence profiles, one "
                             "account row of a snapshot, or the JSON findings report")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render(schema_for(args.name)))
    return 0


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def schema_for(name: str) -> dict[str, Any]:
    if name == "contract":
        from compliance.documents.contract import contract_json_schema

        return contract_json_schema()
    if name == "platform":
        from compliance.documents.platform import platform_json_schema

        return platform_json_schema()
    if name == "snapshot":
        return snapshot_schema()
    if name == "findings":
        return findings_schema()
    raise ValueError(f"unknown schema {name!r}")


def _number_or_text(description: str) -> dict[str, Any]:
    # CSV columns arrive as text; YAML/JSON snapshots may hold numbers or exact decimal strings.
    return {"type": ["number", "string"], "description": description}


def snapshot_schema() -> dict[str, Any]:
    """One account row of a snapshot (a CSV/Parquet row, or an item of ``accounts:``)."""
    return {
        "$schema": DRAFT,
        "$id": "urn:compliance:schema:snapshot-account",
        "title": "Account snapshot row",
        "description": "One account of an account snapshot: a row of a CSV or Parquet file, or an "
                       "item of the list 'accounts:' in YAML/JSON.",
        "type": "object",
        "required": ["account_id", "client_category", "balance", "equity", "margin_used",
                     "exposure"],
        "properties": {
            "account_id": {"type": ["string", "integer"], "description": "Account identifier."},
            "client_category": {"enum": list(vocabulary.CLIENT_CATEGORIES),
                                "description": "Client classification."},
            "balance": _number_or_text("Cash balance."),
            "equity": _number_or_text("Cash plus unrealised profit and loss of open positions."),
            "margin_used": _number_or_text("Initial margin required for open positions."),
            "exposure": _number_or_text("Gross notional of open positions."),
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$",
                         "description": "Account currency (ISO 4217)."},
            "negative_balance_protection": {"type": ["boolean", "string"],
                                            "description": "Whether NBP applies to the account."},
            "instrument_class": {
                "enum": list(vocabulary.UNDERLYING_CLASSES),
                "description": "Underlying class of the largest position."},
            "positions_count": {"type": ["integer", "string"], "description": "Open positions."},
            "product_type": {"enum": list(vocabulary.PRODUCT_TYPES),
                             "description": "Product the account trades."},
            "largest_position": _number_or_text("Notional of the largest single position."),
            "cash": _number_or_text("Cash held in the (credit) account."),
            "securities_value": _number_or_text("Market value of the securities in the (credit) "
                                                "account."),
            "liabilities": _number_or_text("What the client owes: amounts financed, securities "
                                           "lent at current prices, accrued interest and fees."),
        },
    }


def findings_schema() -> dict[str, Any]:
    """The JSON report of ``compliance check|audit --format json`` (the spec's findings model)."""
    counter = {"type": "integer", "minimum": 0}
    position = {"type": ["integer", "null"], "minimum": 1}
    finding = {
        "type": "object",
        "required": ["rule_id", "topic", "severity", "path", "line", "column", "subject",
                     "message", "citation", "fix", "waived"],
        "properties": {
            "rule_id": {"type": "string"},
            "topic": {"enum": list(vocabulary.TOPICS)},
            "severity": {"enum": list(vocabulary.SEVERITIES)},
            "path": {"type": "string", "description": "The input file."},
            "line": position,
            "column": position,
            "subject": {"type": "string", "description": "The field or account the finding is "
                                                         "about, e.g. leverage.fx_major."},
            "message": {"type": "string"},
            "citation": {"type": "string"},
            "fix": {"type": "string"},
            "waived": {"type": "boolean"},
            "outcome": {"enum": list(vocabulary.FINDING_OUTCOMES),
                        "description": "failed: the document breaks the rule; not_stated: it is "
                                       "silent on what the rule needs."},
        },
    }
    return {
        "$schema": DRAFT,
        "$id": "urn:compliance:schema:findings",
        "title": "Findings report",
        "description": "Output of --format json. Keys may be added in later versions, never removed.",
        "type": "object",
        "required": ["tool", "ruleset", "inputs", "findings", "summary"],
        "properties": {
            "tool": {"type": "object", "required": ["name", "version"],
                     "properties": {"name": {"const": "compliance"}, "version": {"type": "string"}}},
            "ruleset": {"type": "object", "required": ["name", "version", "sha256"],
                        "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                       "sha256": {"type": "string"}}},
            "inputs": {"type": "array", "items": {
                "type": "object", "required": ["path", "sha256"],
                "properties": {"path": {"type": "string"}, "sha256": {"type": "string"}}}},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "summary": {"type": "object",
                        "required": ["errors", "warnings", "info", "rules_evaluated", "passed"],
                        "properties": {name: counter for name in
                                       ("errors", "warnings", "info", "rules_evaluated", "passed",
                                        "not_stated")}},
        },
        "$defs": {"finding": finding},
    }
