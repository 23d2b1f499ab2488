"""Price-shock stress of a snapshot: what a uniform move of all prices does to every account.

Assumptions, as the snapshot carries no positions: every account's exposure is long notional, so a
move s changes equity by s × exposure; the margin required scales with the notional, margin_used ×
(1 + s). A short book would gain on a fall: for a platform whose clients are mostly short, run the
shock with the opposite sign. The comparison with the close-out level is the one of
``compliance.audit.metrics.below_level``.

Per shock: accounts under the close-out level (and how many were not under it before the shock),
accounts with negative equity (and how many are new), the platform's shortfall (the deficits of
accounts with negative balance protection, which the platform absorbs, domain §1.6) and the client
debt (the same on accounts without protection); accounts whose protection is not stated are summed
apart (``nbp_unknown``).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from compliance.audit.fx import FxRates
from compliance.audit.metrics import (
    below_level,
    money_by_currency,
    protection,
    single_currency_total,
)
from compliance.documents.snapshot import Snapshot
from compliance.dsl.units import Percent
from compliance.errors import InputError
from compliance.records import record

_SHOCK = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*$")


# Each price move is a pass over every account: more than this many is refused.
MAX_SHOCKS = 100


def parse_shocks(text: str, *, flag: str = "--stress") -> list[Decimal]:
    """``"-5%,-10%,-20%"`` -> ``[Decimal("-0.05"), Decimal("-0.1"), Decimal("-0.2")]``."""
    if text.count(",") >= MAX_SHOCKS:
        raise InputError.at(flag, None, None, f"{text.count(',') + 1:,} price moves; at most "
                            f"{MAX_SHOCKS} are allowed")
    shocks: list[Decimal] = []
    offset = 0
    for item in text.split(","):
        column = offset + len(item) - len(item.lstrip()) + 1
        offset += len(item) + 1
        match = _SHOCK.match(item)
        if not match:
            shown = item.strip()
            problem = "an empty price move" if not shown else f"{shown!r} is not a price move"
            raise InputError.at(flag, 1, column, f"{problem}; expected percentages such as "
                                "-5%,-10%,-20%", source_line=text)
        fraction = Percent.of(match.group(1)).fraction
        if fraction <= -1:
            raise InputError.at(flag, 1, column, f"{item.strip()!r}: a price cannot fall by 100% "
                                "or more", source_line=text)
        shocks.append(fraction)
    return shocks


@record
class StressResult:
    shock: Decimal                       # a fraction: -0.05 is a 5% fall
    under_close_out: int
    new_under_close_out: int
    negative_equity: int
    new_negative_equity: int
    platform_shortfall: str | None       # 2-decimal text; None when currencies mix and no rates are given
    client_debt: str | None
    nbp_unknown_deficit: str | None
    by_currency: dict[str, dict[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "shock": str(Percent(self.shock)),
            "close_outs": self.under_close_out,
            "new_close_outs": self.new_under_close_out,
            "negative_equity": self.negative_equity,
            "new_negative_equity": self.new_negative_equity,
            "platform_shortfall": self.platform_shortfall,
            "client_debt": self.client_debt,
            "nbp_unknown_deficit": self.nbp_unknown_deficit,
            "by_currency": self.by_currency,
        }


def run_stress(snapshot: Snapshot, shocks: list[Decimal], *, close_out_level: Decimal,
               close_out_at_or_below: bool, fx: FxRates | None = None) -> list[StressResult]:
    equity = snapshot.numeric["equity"]
    margin = snapshot.numeric["margin_used"]
    exposure = snapshot.numeric["exposure"]
    level = float(close_out_level)
    before_close_out, _ = below_level(equity, margin, level, close_out_at_or_below)
    before_negative = equity < 0
    nbp_on, nbp_off, nbp_unknown = protection(snapshot)
    results = []
    for shock in shocks:
        move = float(shock)
        shocked_equity = equity + move * exposure
        shocked_margin = margin * (1.0 + move)
        under, _ = below_level(shocked_equity, shocked_margin, level, close_out_at_or_below)
        negative = shocked_equity < 0
        deficit = -shocked_equity
        parts = {"platform_shortfall": negative & nbp_on, "client_debt": negative & nbp_off,
                 "nbp_unknown_deficit": negative & nbp_unknown}
        totals: dict[str, str | None] = {}
        by_currency: dict[str, dict[str, str]] = {}
        for key, mask in parts.items():
            sums = money_by_currency(snapshot, deficit, mask)
            totals[key] = single_currency_total(snapshot, sums, fx)
            for currency, amount in sums.items():
                by_currency.setdefault(currency, {})[key] = amount
        results.append(StressResult(
            shock=shock,
            under_close_out=int(under.sum()),
            new_under_close_out=int((under & ~before_close_out).sum()),
            negative_equity=int(negative.sum()),
            new_negative_equity=int((negative & ~before_negative).sum()),
            platform_shortfall=totals["platform_shortfall"],
            client_debt=totals["client_debt"],
            nbp_unknown_deficit=totals["nbp_unknown_deficit"],
            by_currency={currency: by_currency[currency] for currency in sorted(by_currency)},
        ))
    return results

