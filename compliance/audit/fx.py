"""Exchange rates for an audit of accounts held in several currencies (``--fx-rates FILE``).

Without rates, money totals over a snapshot that mixes currencies are not added up (the report
shows them per currency and the total as n/a). With a rates file, each currency's exact total is
converted at its rate and the converted amounts are added, then rounded once to the cent (half to
even); the file names the currency of the result::

    base: EUR                # totals are reported in this currency
    as_of: 2026-01-30        # optional: the date of the rates, shown in the report
    rates:                   # the value of one unit of each currency in the base currency
      USD: 0.9210
      GBP: 1.1702
      CNY: 0.1271

Accounts without a currency (shown as XXX, ISO 4217's "no currency") are taken to be in the base
currency. A currency the snapshot holds
but the file does not price is an input error, not a silent omission.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Mapping

import numpy as np

from compliance.documents.snapshot import NO_CURRENCY
from compliance.errors import Diagnostic, InputError
from compliance.records import record

FX_KEYS = ("base", "as_of", "rates")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")


@record
class FxRates:
    base: str
    rates: Mapping[str, Decimal]     # currency -> value of one unit in the base currency
    as_of: _dt.date | None
    source: str

    def rate(self, currency: str) -> Decimal:
        """The rate of ``currency``; an account without a currency is in the base currency."""
        if currency in (self.base, NO_CURRENCY):
            return Decimal(1)
        return self.rates[currency]

    def convert_total(self, by_currency: Mapping[str, str]) -> str:
        """The sum of exact per-currency totals (2-decimal texts), converted, rounded to the cent."""
        total = sum((Decimal(amount) * self.rate(currency) for currency, amount in by_currency.items()),
                    Decimal(0))
        return str(total.quantize(_CENT, rounding=ROUND_HALF_EVEN))

    def describe(self) -> dict[str, Any]:
        """For the report: what the conversion used."""
        return {"base": self.base, "as_of": self.as_of.isoformat() if self.as_of else None,
                "source": self.source, "rates": {c: str(r) for c, r in sorted(self.rates.items())}}


def row_rates(fx: FxRates, codes: np.ndarray, labels: list[str]) -> np.ndarray:
    """The rate of each account, from its currency code (-1: no currency, the base)."""
    table = np.array([1.0] + [float(fx.rate(label)) for label in labels])
    return table[codes.astype(np.int64) + 1]  # type: ignore[no-any-return]


def require_rates(fx: FxRates, currencies: list[str], snapshot_path: str) -> None:
    """Refuse a snapshot holding a currency the rates file does not price."""
    unpriced = [c for c in currencies if c not in fx.rates and c not in (fx.base, NO_CURRENCY)]
    if unpriced:
        raise InputError.at(fx.source, 1, 1, f"no rate for {', '.join(unpriced)}: {snapshot_path} "
                                              f"holds accounts in {'it' if len(unpriced) == 1 else 'them'}; "
                                              f"add {'it' if len(unpriced) == 1 else 'them'} under 'rates'")


def load_fx_rates(path: str) -> FxRates:
    """Read and check a rates file; every problem is reported as ``PATH:LINE:COL: error: ...``."""
    from compliance.documents.yaml_loader import load_yaml

    loaded = load_yaml(path)
    problems: list[Diagnostic] = []

    def problem(place: tuple[Any, ...], message: str) -> None:
        position = loaded.positions.get(place) or loaded.positions.get(place[:-1]) or loaded.positions.get(())
        line = position.line if position else 1
        column = position.column if position else 1
        problems.append(Diagnostic(path, line, column, message, loaded.source_line(line)))

    data = loaded.data
    if not isinstance(data, dict):
        raise InputError.at(path, 1, 1, "a rates file must be a mapping with 'base' and 'rates'")
    for key in data:
        if key not in FX_KEYS:
            problem((key,), f"unknown key {key!r} in a rates file; expected {', '.join(FX_KEYS)}")
    base = data.get("base")
    if not (isinstance(base, str) and _CURRENCY.match(base)):
        problem(("base",), f"'base' must be a currency code such as EUR, got {base!r}")
    as_of = None
    if "as_of" in data:
        try:
            as_of = _dt.date.fromisoformat(str(data["as_of"]))
        except ValueError:
            problem(("as_of",), f"'as_of' must be an ISO date such as 2026-01-30, got {data['as_of']!r}")
    rates: dict[str, Decimal] = {}
    given = data.get("rates")
    if not isinstance(given, dict) or not given:
        problem(("rates",), "'rates' must map currency codes to the value of one unit in the base "
                            "currency, e.g. {USD: 0.92}")
        given = {}
    for currency, value in given.items():
        place = ("rates", currency)
        if not (isinstance(currency, str) and _CURRENCY.match(currency)):
            problem(place, f"{currency!r} is not a currency code such as USD")
            continue
        number = Decimal(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None
        if number is None or not number.is_finite() or number <= 0:
            shown = str(value) if isinstance(value, Decimal) else repr(value)  # .nan, not Decimal('NaN')
            problem(place, f"the rate of {currency} must be a positive number, got {shown}")
            continue
        if currency == base and number != 1:
            problem(place, f"the rate of the base currency {currency} must be 1, got {value}")
            continue
        rates[currency] = number
    if problems:
        raise InputError(problems)
    return FxRates(str(base), rates, as_of, path)
