"""The fields of one account row as the DSL checker sees them.

Kept apart from the snapshot reader so that checking a ruleset (``compliance check``) does not
import numpy and pyarrow.
"""
from __future__ import annotations

from functools import lru_cache

from compliance.dsl import types as t


@lru_cache(maxsize=1)
def snapshot_type() -> t.Type:
    """The record type of one account row, as the DSL checker sees it."""
    fields: dict[str, t.Type] = {
        "account_id": t.STRING,
        "client_category": t.STRING,
        "balance": t.money(None),
        "equity": t.money(None),
        "margin_used": t.money(None),
        "exposure": t.money(None),
        "currency": t.optional(t.STRING),
        "negative_balance_protection": t.optional(t.BOOL),
        "instrument_class": t.optional(t.STRING),
        "positions_count": t.optional(t.NUMBER),
        "product_type": t.optional(t.STRING),
        "largest_position": t.optional(t.money(None)),
        # The credit account's assets and liabilities, for the exact maintenance collateral ratio
        # (维持担保比例 = (cash + securities at market value) / liabilities).
        "cash": t.optional(t.money(None)),
        "securities_value": t.optional(t.money(None)),
        "liabilities": t.optional(t.money(None)),
    }
    return t.record(fields)
