"""Platform-wide figures over an account snapshot, all computed on whole columns.

Definitions (a compliance officer should be able to recompute each figure by hand):

* leverage = exposure / equity, for accounts with equity > 0; accounts with equity <= 0 are counted
  in ``non_positive_equity`` (their leverage is unbounded).
* margin level = equity / margin_used, in percent, for accounts with margin_used > 0 (accounts with
  no margin used have no open positions and no margin level: ``no_margin_used``).
* under the warning level: margin level < warning_level. Under the close-out level: margin level
  < close_out_level, or <= when ``close_out_at_or_below`` (domain §1.5: ESMA says "less than half";
  a platform house rule may close at the line). ``at_close_out_level`` counts accounts exactly at
  the line, which deserve a warning either way. Levels are fractions: 50% is ``Decimal("0.5")``.
  "Exactly" means within 1e-9 of the margin, as the amounts are decimal texts held as float64.
* negative equity: equity < 0 (cash plus unrealised P&L below zero). The deficit is what the
  account has lost beyond its funds: with negative balance protection (domain §1.6) the platform
  absorbs it (``platform_owes``), without it the client owes it (``client_owes``); ``nbp_unknown``
  when the snapshot does not say. Amounts are positive deficits. A negative *balance* with
  non-negative equity is not a loss yet and is counted apart (``negative_balance_accounts``).
* concentration: the share of the total exposure held by the 10 accounts of largest exposure.
  Exposures are added at face value across currencies, or converted to the base currency when the
  audit is given exchange rates (``--fx-rates``, :mod:`compliance.audit.fx`).

JSON values: counts are ints; money is a string with 2 decimals, leverage with 4, margin levels in
percent with 2, shares with 4 (rounded half-up from the float64 result; any finite float is
written out in full, and a total beyond the float64 range is "inf" or "-inf"). Money totals are given by
currency (``by_currency``); ``total``/``platform_owes``/``client_owes`` are set when the snapshot has
one currency, or when it mixes several and exchange rates are given (each currency's exact total
converted, the sum rounded once to the cent), and are null otherwise; ``currency`` names theirs.
"""
from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

import numpy as np

from compliance.audit.fx import FxRates, row_rates
from compliance.documents.snapshot import NO_CURRENCY, VOCABULARIES, Snapshot
from compliance.records import record

PERCENTILES = (50, 90, 95, 99)
LEVERAGE_BUCKETS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, math.inf)
MARGIN_LEVEL_BUCKETS = (-math.inf, 0.0, 50.0, 80.0, 100.0, 150.0, 200.0, 500.0, math.inf)  # percent
TOP_ACCOUNTS = 10
EQUAL_TOLERANCE = 1e-9
_FLOAT_DIGITS = 330   # integer digits of the largest float64 (1.8e308), with a margin


def fixed(value: float, places: int) -> str:
    """A float as decimal text with a fixed number of places, rounded half-up on its decimal form."""
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    quantum = Decimal(1).scaleb(-places)
    # Enough precision for any float64 (at most 309 integer digits): the default context's 28
    # digits make quantize() fail on amounts of about 1e25 and more.
    with localcontext(Context(prec=_FLOAT_DIGITS + places, Emax=MAX_EMAX, Emin=MIN_EMIN)):
        text = f"{Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    return "0." + "0" * places if text.lstrip("-") == "0." + "0" * places else text


def _bound(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:g}"


def histogram(values: np.ndarray, edges: tuple[float, ...]) -> list[dict[str, Any]]:
    """Counts in the half-open buckets [edges[k], edges[k+1])."""
    positions = np.searchsorted(np.asarray(edges), values, side="right") - 1
    counts = np.bincount(positions, minlength=len(edges) - 1)[: len(edges) - 1]
    return [{"bucket": f"{_bound(low)}-{_bound(high)}", "count": int(count)}
            for low, high, count in zip(edges[:-1], edges[1:], counts)]


def margin_level_edges(warning_level: Decimal | None, close_out_level: Decimal) -> tuple[float, ...]:
    """The margin-level buckets (percent) with the warning and close-out lines among their edges,
    so that the accounts under each line are counted apart from those just above it."""
    lines = {float(level * 100) for level in (warning_level, close_out_level) if level is not None}
    return tuple(sorted(set(MARGIN_LEVEL_BUCKETS) | {line for line in lines if math.isfinite(line)}))


def percentiles(values: np.ndarray, places: int) -> dict[str, str | None]:
    if values.size == 0:
        return {**{f"p{q}": None for q in PERCENTILES}, "max": None}
    with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit interpolate to inf
        found = np.percentile(values, PERCENTILES)
    out: dict[str, str | None] = {f"p{q}": fixed(float(v), places) for q, v in zip(PERCENTILES, found)}
    out["max"] = fixed(float(values.max()), places)
    return out


def below_level(equity: np.ndarray, margin: np.ndarray, level: float, at_or_below: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """(below, exactly at) the margin level ``level`` (a fraction), for rows with margin > 0."""
    gap = equity - level * margin
    at = np.abs(gap) <= EQUAL_TOLERANCE * np.maximum(np.abs(margin), 1.0)
    below = (gap < 0) & ~at
    has_margin = margin > 0
    return (below | (at & at_or_below)) & has_margin, at & has_margin


def money_by_currency(snapshot: Snapshot, amounts: np.ndarray, mask: np.ndarray) -> dict[str, str]:
    """Exact sums (math.fsum) of ``amounts[mask]`` per currency, as 2-decimal strings."""
    if "currency" not in snapshot.categories:
        return {NO_CURRENCY: fixed(exact_sum(amounts[mask]), 2)} if mask.any() else {}
    codes, labels = snapshot.categories["currency"]
    out: dict[str, str] = {}
    for code, label in [(-1, NO_CURRENCY)] + list(enumerate(labels)):
        selected = mask & (codes == code)
        if selected.any():
            out[label] = fixed(exact_sum(amounts[selected]), 2)
    return dict(sorted(out.items()))


def exact_sum(amounts: np.ndarray) -> float:
    """math.fsum, or +-inf when the exact sum is beyond float64 (fsum raises OverflowError)."""
    try:
        return math.fsum(amounts)
    except OverflowError:
        with np.errstate(over="ignore"):
            return float(np.sum(amounts))


def single_currency_total(snapshot: Snapshot, by_currency: dict[str, str],
                          fx: FxRates | None = None) -> str | None:
    """The total when the snapshot has one currency, or converted with ``fx``; else None."""
    currencies = snapshot_currencies(snapshot)
    if len(currencies) > 1:
        return fx.convert_total(by_currency) if fx is not None else None
    return next(iter(by_currency.values()), "0.00")


def totals_currency(snapshot: Snapshot, fx: FxRates | None) -> str | None:
    """The currency the totals are in: the snapshot's only one, else the rates' base, else None."""
    currencies = snapshot_currencies(snapshot)
    if len(currencies) == 1:
        return None if currencies[0] == NO_CURRENCY else currencies[0]
    return fx.base if fx is not None else None


def exposure_in_base(snapshot: Snapshot, exposure: np.ndarray, fx: FxRates | None) -> np.ndarray:
    """Exposures converted to the rates' base currency (as they are without rates)."""
    if fx is None or "currency" not in snapshot.categories:
        return exposure
    codes, labels = snapshot.categories["currency"]
    return exposure * row_rates(fx, codes, list(labels))  # type: ignore[no-any-return]


def snapshot_currencies(snapshot: Snapshot) -> list[str]:
    return list(snapshot.currencies)


def protection(snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(NBP on, NBP off, not stated) masks."""
    n = snapshot.n_rows
    if "negative_balance_protection" not in snapshot.flags:
        return np.zeros(n, bool), np.zeros(n, bool), np.ones(n, bool)
    on = snapshot.flags["negative_balance_protection"]
    known = snapshot.valid["negative_balance_protection"]
    return on & known, ~on & known, ~known


@record
class PlatformMetrics:
    accounts: int
    by_client_category: dict[str, int]
    leverage: dict[str, Any]
    margin_level: dict[str, Any]
    under_warning_level: int | None
    under_close_out_level: int
    at_close_out_level: int
    negative_equity: dict[str, Any]
    negative_balance_accounts: int
    concentration: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "by_client_category": dict(self.by_client_category),
            "leverage": self.leverage,
            "margin_level": self.margin_level,
            "under_warning_level": self.under_warning_level,
            "under_close_out_level": self.under_close_out_level,
            "at_close_out_level": self.at_close_out_level,
            "negative_equity": self.negative_equity,
            "negative_balance_accounts": self.negative_balance_accounts,
            "concentration": self.concentration,
        }


def compute_metrics(snapshot: Snapshot, *, warning_level: Decimal | None, close_out_level: Decimal,
                    close_out_at_or_below: bool, fx: FxRates | None = None) -> PlatformMetrics:
    equity = snapshot.numeric["equity"]
    margin = snapshot.numeric["margin_used"]
    exposure = snapshot.numeric["exposure"]
    balance = snapshot.numeric["balance"]

    codes, _ = snapshot.categories["client_category"]
    counts = np.bincount(codes.astype(np.int64), minlength=len(VOCABULARIES["client_category"]))
    by_category = {label: int(counts[k]) for k, label in enumerate(VOCABULARIES["client_category"])}

    positive = equity > 0
    leverage = exposure[positive] / equity[positive]
    leverage_json = {"percentiles": percentiles(leverage, 4),
                     "histogram": histogram(leverage, LEVERAGE_BUCKETS),
                     "non_positive_equity": int((~positive).sum())}

    has_margin = margin > 0
    with np.errstate(over="ignore"):  # a level beyond the float range is inf, as the tests expect
        level = equity[has_margin] / margin[has_margin] * 100.0
    margin_json = {"percentiles": percentiles(level, 2),
                   "histogram": histogram(level, margin_level_edges(warning_level, close_out_level)),
                   "no_margin_used": int((~has_margin).sum())}

    under_warning = None
    if warning_level is not None:
        below, _ = below_level(equity, margin, float(warning_level), False)
        under_warning = int(below.sum())
    under_close_out, at_line = below_level(equity, margin, float(close_out_level),
                                           close_out_at_or_below)

    return PlatformMetrics(
        accounts=snapshot.n_rows,
        by_client_category=by_category,
        leverage=leverage_json,
        margin_level=margin_json,
        under_warning_level=under_warning,
        under_close_out_level=int(under_close_out.sum()),
        at_close_out_level=int(at_line.sum()),
        negative_equity=negative_equity_figures(snapshot, equity, fx),
        negative_balance_accounts=int((balance < 0).sum()),
        concentration=concentration(snapshot, exposure_in_base(snapshot, exposure, fx)),
    )


def negative_equity_figures(snapshot: Snapshot, equity: np.ndarray, fx: FxRates | None = None) -> dict[str, Any]:
    """Accounts with equity < 0 and their deficits, split by who bears them (see module doc)."""
    negative = equity < 0
    deficit = -equity
    nbp_on, nbp_off, nbp_unknown = protection(snapshot)
    parts = {"total": negative, "platform_owes": negative & nbp_on,
             "client_owes": negative & nbp_off, "nbp_unknown": negative & nbp_unknown}
    by_currency: dict[str, dict[str, str]] = {}
    totals: dict[str, str | None] = {}
    for key, mask in parts.items():
        sums = money_by_currency(snapshot, deficit, mask)
        totals[key] = single_currency_total(snapshot, sums, fx)
        for currency, amount in sums.items():
            by_currency.setdefault(currency, {})[key] = amount
    return {"accounts": int(negative.sum()),
            "accounts_with_protection": int((negative & nbp_on).sum()),
            **totals,
            "currency": totals_currency(snapshot, fx),
            "by_currency": {currency: by_currency[currency] for currency in sorted(by_currency)}}


def concentration(snapshot: Snapshot, exposure: np.ndarray) -> dict[str, Any]:
    total = float(exposure.sum())
    k = min(TOP_ACCOUNTS, exposure.size)
    top = np.argpartition(-exposure, k - 1)[:k] if exposure.size > k else np.arange(exposure.size)
    # Largest first; equal exposures in file order, so the list is the same on every run.
    top = top[np.lexsort((top, -exposure[top]))]
    share = float(exposure[top].sum()) / total if total > 0 else 0.0
    return {"top10_exposure_share": fixed(share, 4),
            "top10_accounts": snapshot.account_ids(top)}
