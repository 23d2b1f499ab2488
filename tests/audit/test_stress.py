"""Price shocks over a hand-made book of six accounts, with every figure worked out by hand."""
from __future__ import annotations

from decimal import Decimal

import pytest

from compliance.audit.stress import parse_shocks, run_stress
from compliance.documents.snapshot import load_snapshot
from compliance.errors import InputError

# The book of test_metrics.
BOOK = """account_id,client_category,balance,equity,margin_used,exposure,currency,negative_balance_protection
A1,retail,1000,1000,100,3000,EUR,true
A2,retail,500,400,800,4000,EUR,true
A3,professional,100,-50,200,2000,EUR,true
A4,retail,-20,-30,0,0,EUR,false
A5,eligible_counterparty,10000,10000,1000,50000,EUR,
A6,retail,200,150,200,1500,EUR,true
"""


def stress(tmp_path, shocks):
    path = tmp_path / "book.csv"
    path.write_text(BOOK)
    results = run_stress(load_snapshot(str(path)), parse_shocks(shocks),
                         close_out_level=Decimal("0.5"), close_out_at_or_below=False)
    return [result.to_json() for result in results]


def test_ten_percent_fall(tmp_path):
    # equity - 10% of exposure: A1 700, A2 0, A3 -250, A4 -30, A5 5000, A6 0
    # margin x 0.9:             A1 90,  A2 720, A3 180, A4 0, A5 900, A6 180
    [out] = stress(tmp_path, "-10%")
    assert out == {"shock": "-10%", "close_outs": 3, "new_close_outs": 2,
                   "negative_equity": 2, "new_negative_equity": 0,
                   "platform_shortfall": "250.00", "client_debt": "30.00",
                   "nbp_unknown_deficit": "0.00",
                   "by_currency": {"EUR": {"platform_shortfall": "250.00", "client_debt": "30.00"}}}


def test_twenty_percent_fall_and_a_rise(tmp_path):
    # -20%: equity A1 400, A2 -400, A3 -450, A4 -30, A5 0, A6 -150; margin x 0.8
    fall, rise = stress(tmp_path, "-20%, +10%")
    assert (fall["close_outs"], fall["new_close_outs"]) == (4, 3)
    assert (fall["negative_equity"], fall["new_negative_equity"]) == (4, 2)
    assert (fall["platform_shortfall"], fall["client_debt"]) == ("1000.00", "30.00")
    # +10%: only A4 (no positions) stays negative
    assert rise["shock"] == "10%"
    assert (rise["close_outs"], rise["negative_equity"]) == (0, 1)
    assert (rise["platform_shortfall"], rise["client_debt"]) == ("0.00", "30.00")


def test_parse_shocks():
    assert parse_shocks("-5%,-10%,-20%") == [Decimal("-0.05"), Decimal("-0.1"), Decimal("-0.2")]
    assert parse_shocks(" +2.5% ") == [Decimal("0.025")]


@pytest.mark.parametrize("text, column, message", [
    ("-5%, x", 6, "'x' is not a price move; expected percentages such as -5%,-10%,-20%"),
    ("-5", 1, "'-5' is not a price move; expected percentages such as -5%,-10%,-20%"),
    ("-5%,,-10%", 5, "an empty price move; expected percentages such as -5%,-10%,-20%"),
    ("", 1, "an empty price move; expected percentages such as -5%,-10%,-20%"),
    ("-10%,-100%", 6, "'-100%': a price cannot fall by 100% or more"),
])
def test_bad_shocks(text, column, message):
    with pytest.raises(InputError) as caught:
        parse_shocks(text)
    assert caught.value.diagnostics[0].render().splitlines()[0] == f"--stress:1:{column}: error: {message}"
