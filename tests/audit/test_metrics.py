"""Platform metrics over a six-account snapshot whose figures are worked out by hand below."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from compliance.audit.metrics import compute_metrics, fixed
from compliance.documents.snapshot import load_snapshot

BOOK = """account_id,client_category,balance,equity,margin_used,exposure,currency,negative_balance_protection
A1,retail,1000,1000,100,3000,EUR,true
A2,retail,500,400,800,4000,EUR,true
A3,professional,100,-50,200,2000,EUR,true
A4,retail,-20,-30,0,0,EUR,false
A5,eligible_counterparty,10000,10000,1000,50000,EUR,
A6,retail,200,150,200,1500,EUR,true
"""
# leverage (equity > 0): A1 3, A2 10, A5 5, A6 10           -> sorted 3, 5, 10, 10
# margin level (margin > 0): A1 1000%, A2 50%, A3 -25%, A5 1000%, A6 75%
# negative equity: A3 (-50, NBP on), A4 (-30, NBP off)


def book(tmp_path: Path, text: str = BOOK) -> str:
    path = tmp_path / "book.csv"
    path.write_text(text)
    return str(path)


def metrics(tmp_path, text=BOOK, at_or_below=False, warning=Decimal("0.8")):
    return compute_metrics(load_snapshot(book(tmp_path, text)), warning_level=warning,
                           close_out_level=Decimal("0.5"), close_out_at_or_below=at_or_below).to_json()


def test_counts_and_distributions(tmp_path):
    out = metrics(tmp_path)
    assert out["accounts"] == 6
    assert out["by_client_category"] == {"retail": 4, "professional": 1, "eligible_counterparty": 1}
    assert out["leverage"]["percentiles"] == {"p50": "7.5000", "p90": "10.0000", "p95": "10.0000",
                                              "p99": "10.0000", "max": "10.0000"}
    assert [b["count"] for b in out["leverage"]["histogram"]] == [0, 0, 1, 1, 2, 0, 0, 0]
    assert out["leverage"]["histogram"][2] == {"bucket": "2-5", "count": 1}
    assert out["leverage"]["histogram"][-1]["bucket"] == "50-inf"
    assert out["leverage"]["non_positive_equity"] == 2
    margin = out["margin_level"]
    assert margin["percentiles"]["p50"] == "75.00" and margin["percentiles"]["max"] == "1000.00"
    assert [b["count"] for b in margin["histogram"]] == [1, 0, 2, 0, 0, 0, 0, 2]
    assert margin["no_margin_used"] == 1


def test_levels(tmp_path):
    strict = metrics(tmp_path)
    assert strict["under_warning_level"] == 3          # A2 50%, A3 -25%, A6 75%
    assert strict["under_close_out_level"] == 1        # A3; A2 sits exactly at 50%
    assert strict["at_close_out_level"] == 1
    assert metrics(tmp_path, at_or_below=True)["under_close_out_level"] == 2
    assert metrics(tmp_path, warning=None)["under_warning_level"] is None


def test_negative_equity_and_concentration(tmp_path):
    out = metrics(tmp_path)
    assert out["negative_equity"] == {
        "accounts": 2, "accounts_with_protection": 1, "total": "80.00", "platform_owes": "50.00",
        "client_owes": "30.00", "nbp_unknown": "0.00", "currency": "EUR",
        "by_currency": {"EUR": {"total": "80.00", "platform_owes": "50.00", "client_owes": "30.00"}}}
    assert out["negative_balance_accounts"] == 1
    # 60,500 in all, held by six accounts: the top ten are all of them.
    assert out["concentration"] == {"top10_exposure_share": "1.0000",
                                    "top10_accounts": ["A5", "A2", "A1", "A3", "A6", "A4"]}


def test_top_ten_of_many(tmp_path):
    rows = "".join(f"B{i},retail,1,1,0,{i}\n" for i in range(1, 21))
    out = metrics(tmp_path, "account_id,client_category,balance,equity,margin_used,exposure\n" + rows)
    # 11 + ... + 20 = 155 of 1 + ... + 20 = 210
    assert out["concentration"]["top10_exposure_share"] == fixed(155 / 210, 4) == "0.7381"
    assert out["concentration"]["top10_accounts"] == [f"B{i}" for i in range(20, 10, -1)]
    assert out["negative_equity"]["total"] == "0.00" and out["negative_equity"]["nbp_unknown"] == "0.00"


def test_mixed_currencies_give_totals_by_currency(tmp_path):
    out = metrics(tmp_path, BOOK.replace("A4,retail,-20,-30,0,0,EUR", "A4,retail,-20,-30,0,0,GBP"))
    negative = out["negative_equity"]
    assert negative["total"] is None and negative["platform_owes"] is None and negative["currency"] is None
    assert negative["by_currency"] == {"EUR": {"total": "50.00", "platform_owes": "50.00"},
                                       "GBP": {"total": "30.00", "client_owes": "30.00"}}


def test_json_is_deterministic(tmp_path):
    import json
    assert json.dumps(metrics(tmp_path)) == json.dumps(metrics(tmp_path))


@pytest.mark.parametrize("value, places, text", [
    (0.125, 2, "0.13"), (2.675, 2, "2.68"), (-0.001, 2, "0.00"), (float("inf"), 2, "inf"),
    (1e25, 2, "10000000000000000000000000.00"), (-1e30, 4, "-1" + "0" * 30 + ".0000"),
    (5e-324, 2, "0.00")])
def test_fixed(value, places, text):
    assert fixed(value, places) == text


def test_fixed_writes_out_the_largest_float():
    text = fixed(1.7976931348623157e308, 2)
    assert text.startswith("17976931348623157") and text.endswith(".00") and len(text) == 312


def test_amounts_beyond_the_exact_range_are_refused_at_their_cell(tmp_path):
    # Totals were once "inf" here; amounts are now bounded (snapshot.MAX_AMOUNT), so that every
    # total stays exact in cents.
    from compliance.documents.snapshot import MAX_AMOUNT
    from compliance.errors import InputError

    path = tmp_path / "huge.csv"
    path.write_text("account_id,client_category,balance,equity,margin_used,exposure\n"
                    f"A,retail,0,{-MAX_AMOUNT:.0f},1,1\nB,retail,0,-1e308,1,1\n")
    with pytest.raises(InputError) as caught:
        load_snapshot(str(path))
    first = caught.value.diagnostics[0]
    assert (first.line, first.column) == (2, len("A,retail,0,") + 1)

@pytest.mark.parametrize("warning, close_out, buckets", [
    # a warning line at 75%: A6 (exactly 75%) counts above it, A2 (50%) under it
    (Decimal("0.75"), Decimal("0.5"), {"-inf-0": 1, "50-75": 1, "75-80": 1, "200-500": 0, "500-inf": 2}),
    # lines that are not fixed edges (30%, 65%) become edges of their own
    (Decimal("0.65"), Decimal("0.3"), {"0-30": 0, "30-50": 0, "50-65": 1, "65-80": 1}),
])
def test_the_margin_histogram_has_the_warning_and_close_out_lines_as_edges(tmp_path, warning, close_out,
                                                                          buckets):
    out = compute_metrics(load_snapshot(book(tmp_path)), warning_level=warning, close_out_level=close_out,
                          close_out_at_or_below=False).to_json()
    histogram = {b["bucket"]: b["count"] for b in out["margin_level"]["histogram"]}
    assert {bucket: histogram[bucket] for bucket in buckets} == buckets
    assert sum(histogram.values()) == 5       # every account with margin used, once
