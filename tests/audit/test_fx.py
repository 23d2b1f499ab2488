"""``--fx-rates``: money totals across the currencies of a snapshot, converted exactly and rounded
once to the cent; a bad rates file or an unpriced currency is an input error at its place."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from compliance.audit.fx import FxRates, load_fx_rates
from compliance.audit.metrics import compute_metrics, exposure_in_base
from compliance.audit.stress import run_stress
from compliance.cli import main
from compliance.documents.snapshot import load_snapshot
from compliance.errors import InputError

RATES = "base: EUR\nas_of: 2026-01-30\nrates:\n  GBP: 1.17\n  USD: 0.92\n"

BOOK = """account_id,client_category,balance,equity,margin_used,exposure,currency,negative_balance_protection
A1,retail,1000,1000,100,3000,EUR,true
A2,retail,100,-50,200,2000,EUR,true
A3,retail,-20,-30,0,1000,GBP,false
A4,retail,10,-10.01,100,10000,USD,true
A5,retail,500,500,100,1000,,true
"""
# negative equity: A2 EUR 50 (NBP), A3 GBP 30 (no NBP), A4 USD 10.01 (NBP)
# in EUR: 50 + 30 * 1.17 + 10.01 * 0.92 = 50 + 35.10 + 9.2092 = 94.3092 -> 94.31
# platform owes (NBP): 50 + 9.2092 = 59.2092 -> 59.21; the client owes 35.10


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_rates_file_is_read_exactly(tmp_path: Path) -> None:
    fx = load_fx_rates(write(tmp_path, "rates.yaml", RATES))
    assert (fx.base, str(fx.as_of)) == ("EUR", "2026-01-30")
    assert fx.rates == {"GBP": Decimal("1.17"), "USD": Decimal("0.92")}
    assert fx.rate("EUR") == fx.rate("XXX") == 1      # the base, and accounts without a currency


@pytest.mark.parametrize("amounts, total", [
    ({"USD": "0.05"}, "0.02"),          # 0.025: half to even, down
    ({"USD": "0.07"}, "0.04"),          # 0.035: half to even, up
    ({"USD": "0.05", "EUR": "0.005"}, "0.03"),   # rounded once, after adding: 0.025 + 0.005
    ({"EUR": "12.34"}, "12.34"),
    ({}, "0.00"),
])
def test_totals_are_converted_exactly_and_rounded_once(amounts: dict[str, str], total: str) -> None:
    fx = FxRates("EUR", {"USD": Decimal("0.5")}, None, "rates.yaml")
    assert fx.convert_total(amounts) == total


def test_metrics_over_mixed_currencies_with_and_without_rates(tmp_path: Path) -> None:
    snapshot = load_snapshot(write(tmp_path, "book.csv", BOOK))
    levels = dict(warning_level=None, close_out_level=Decimal("0.5"), close_out_at_or_below=False)
    plain = compute_metrics(snapshot, **levels).to_json()["negative_equity"]
    assert (plain["total"], plain["platform_owes"], plain["currency"]) == (None, None, None)
    fx = load_fx_rates(write(tmp_path, "rates.yaml", RATES))
    converted = compute_metrics(snapshot, **levels, fx=fx).to_json()
    negative = converted["negative_equity"]
    assert (negative["total"], negative["platform_owes"], negative["client_owes"]) == ("94.31", "59.21", "35.10")
    assert negative["currency"] == "EUR"
    assert negative["by_currency"] == plain["by_currency"]      # the exact figures stay as they were
    # Exposures in EUR: 3000, 2000, 1170, 9200, 1000 (A5 has no currency: the base).
    assert list(exposure_in_base(snapshot, snapshot.numeric["exposure"], fx)) == pytest.approx(
        [3000, 2000, 1170, 9200, 1000])
    assert converted["concentration"]["top10_accounts"] == ["A4", "A1", "A2", "A3", "A5"]


def test_stress_totals_are_converted(tmp_path: Path) -> None:
    snapshot = load_snapshot(write(tmp_path, "book.csv", BOOK))
    fx = load_fx_rates(write(tmp_path, "rates.yaml", RATES))
    [plain] = run_stress(snapshot, [Decimal("0")], close_out_level=Decimal("0.5"), close_out_at_or_below=False)
    [shocked] = run_stress(snapshot, [Decimal("0")], close_out_level=Decimal("0.5"),
                           close_out_at_or_below=False, fx=fx)
    assert plain.platform_shortfall is None and plain.client_debt is None
    assert (shocked.platform_shortfall, shocked.client_debt) == ("59.21", "35.10")


RULES = '''ruleset acc
  version "1"
rule ACC-NBP-1 "nbp"
  topic negative_balance_protection
  severity error
  citation "x"
  applies to account
  require equity >= 0
  subject equity
'''


def audit(capsys, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    form = [] if "--format" in extra else ["--format", "json"]
    code = main(["audit", write(tmp_path, "book.csv", BOOK), "--ruleset", write(tmp_path, "acc.rules", RULES),
                 *form, "--as-of", "2026-01-31", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_money_involved_per_rule_is_per_currency_or_converted(capsys, tmp_path: Path) -> None:
    code, out, err = audit(capsys, tmp_path)
    [counts] = json.loads(out)["audit"]["rule_counts"]
    assert counts["money_involved"] is None and counts["money_currency"] is None
    assert counts["money_involved_by_currency"] == {"EUR": "50.00", "GBP": "30.00", "USD": "10.01"}
    # Face value without rates: EUR 50 before GBP 30 before USD 10.01.
    assert [o["account_id"] for o in counts["top_offenders"]] == ["A2", "A3", "A4"]

    code, out, err = audit(capsys, tmp_path, "--fx-rates", write(tmp_path, "rates.yaml", RATES))
    report = json.loads(out)
    [counts] = report["audit"]["rule_counts"]
    assert (counts["money_involved"], counts["money_currency"]) == ("94.31", "EUR")
    assert counts["money_involved_by_currency"] == {"EUR": "50.00", "GBP": "30.00", "USD": "10.01"}
    assert [o["account_id"] for o in counts["top_offenders"]] == ["A2", "A3", "A4"]   # 50, 35.10, 9.21
    assert report["audit"]["fx"] == {"base": "EUR", "as_of": "2026-01-30", "source": str(tmp_path / "rates.yaml"),
                                     "rates": {"GBP": "1.17", "USD": "0.92"}}
    assert report["audit"]["metrics"]["negative_equity"]["total"] == "94.31"
    assert code == 1 and err == ""


def test_the_offenders_are_ranked_in_the_base_currency(capsys, tmp_path: Path) -> None:
    rates = "base: EUR\nrates: {GBP: 2, USD: 10}\n"
    code, out, _err = audit(capsys, tmp_path, "--fx-rates", write(tmp_path, "rates.yaml", rates))
    [counts] = json.loads(out)["audit"]["rule_counts"]
    # In EUR: A4 100.10, A3 60, A2 50.
    assert [o["account_id"] for o in counts["top_offenders"]] == ["A4", "A3", "A2"]
    assert counts["money_involved"] == "210.10"


def test_a_currency_without_a_rate_is_an_input_error(capsys, tmp_path: Path) -> None:
    rates = write(tmp_path, "rates.yaml", "base: EUR\nrates: {USD: 0.92}\n")
    code, out, err = audit(capsys, tmp_path, "--fx-rates", rates)
    assert code == 2 and out == ""
    assert err.startswith(f"{rates}:1:1: error: no rate for GBP:")


@pytest.mark.parametrize("text, line, column, message", [
    ("base: euro\nrates: {USD: 1}\n", 1, 1, "'base' must be a currency code such as EUR, got 'euro'"),
    ("base: EUR\nrates: {usd: 1}\n", 2, 9, "'usd' is not a currency code such as USD"),
    ("base: EUR\nrates:\n  USD: -1\n", 3, 3, "the rate of USD must be a positive number, got -1"),
    ("base: EUR\nrates:\n  USD: lots\n", 3, 3, "the rate of USD must be a positive number, got 'lots'"),
    ("base: EUR\nrates:\n  USD: .nan\n", 3, 3, "the rate of USD must be a positive number, got NaN"),
    ("base: EUR\nrates:\n  USD: 0.0\n", 3, 3, "the rate of USD must be a positive number, got 0.0"),
    ("base: EUR\nrates:\n  USD: 1\n  EUR: 2\n", 4, 3, "the rate of the base currency EUR must be 1, got 2"),
    ("base: EUR\nrate: {USD: 1}\n", 2, 1, "unknown key 'rate' in a rates file; expected base, as_of, rates"),
    ("base: EUR\nrates: {}\n", 2, 1, "'rates' must map currency codes"),
    ("base: EUR\nas_of: soon\nrates: {USD: 1}\n", 2, 1, "'as_of' must be an ISO date such as 2026-01-30, got 'soon'"),
])
def test_a_bad_rates_file_is_an_error_at_its_place(tmp_path: Path, text: str, line: int, column: int,
                                                   message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_fx_rates(write(tmp_path, "rates.yaml", text))
    first = caught.value.diagnostics[0]
    assert (first.line, first.column) == (line, column)
    assert first.message.startswith(message)


def test_a_rates_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a rates file must be a mapping"):
        load_fx_rates(write(tmp_path, "rates.yaml", "- EUR\n"))


@pytest.mark.parametrize("form", ["text", "markdown", "html"])
def test_reports_name_the_currency_of_totals_and_the_rates(capsys, tmp_path: Path, form: str) -> None:
    rates = write(tmp_path, "rates.yaml", RATES)
    code, out, _err = audit(capsys, tmp_path, "--format", form, "--stress", "-10%")
    assert "94.31" not in out                             # mixed currencies, no rates: no total,
    assert "50.00 EUR; 30.00 GBP; 10.01 USD" in out        # but the money of each currency
    assert "platform owes 50.00 EUR; 10.01 USD" in out if form == "text" else "50.00 EUR; 10.01 USD" in out
    code, out, _err = audit(capsys, tmp_path, "--format", form, "--stress", "-10%", "--fx-rates", rates)
    assert "94.31 EUR" in out and "59.21 EUR" in out
    assert "converted to EUR at the rates of 2026-01-30" in out
