"""Levered return, volatility, Sharpe after financing and break-even: seeds 001 and 003."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.risk.liquidation import RiskInputError
from compliance.risk.returns import (
    break_even_return, break_even_return_array, levered_return, levered_return_array,
    levered_volatility, sharpe_ratio, sharpe_ratio_array, volatility_target_leverage)

D = Decimal


def test_five_times_eight_percent_financed_at_six_is_sixteen_percent():
    # Seed 003: own 1m, borrowed 4m; 40% - 24% = 16%.
    assert levered_return(D(5), D("0.08"), D("0.06")) == D("0.16")
    brute_force = 5 * D("1.08") - 4 * D("1.06") - 1   # 5 units grow, 4 are repaid with interest
    assert levered_return(D(5), D("0.08"), D("0.06")) == brute_force


# Seed 001: asset 8%, volatility 15%, financing 4%, risk-free 2%.
SHARPE_TABLE = [  # leverage, printed return, printed volatility, printed Sharpe
    ("1", "0.08", "0.15", "0.40"),
    ("2", "0.12", "0.30", "0.33"),
    ("3", "0.16", "0.45", "0.31"),
]


@pytest.mark.parametrize("leverage, printed_return, printed_vol, printed_sharpe", SHARPE_TABLE,
                         ids=[f"{row[0]}x" for row in SHARPE_TABLE])
def test_seed_sharpe_table(leverage, printed_return, printed_vol, printed_sharpe):
    lev, r, sigma, c, rf = D(leverage), D("0.08"), D("0.15"), D("0.04"), D("0.02")
    assert levered_return(lev, r, c) == D(printed_return)
    assert levered_volatility(lev, sigma) == D(printed_vol)
    shown = sharpe_ratio(lev, r, sigma, c, rf).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert shown == D(printed_sharpe)


def test_financing_above_the_risk_free_rate_lowers_the_sharpe_ratio():
    values = [sharpe_ratio(D(L), D("0.08"), D("0.15"), D("0.04"), D("0.02")) for L in (1, 2, 3, 5)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4


rates = st.decimals(min_value=D("-0.5"), max_value=D("0.5"), places=4)
leverages = st.decimals(min_value=D("0.1"), max_value=D(50), places=3)
vols = st.decimals(min_value=D("0.01"), max_value=D(2), places=4)


@settings(max_examples=200, deadline=None)
@given(leverages, rates, vols, rates)
def test_borrowing_at_the_risk_free_rate_leaves_the_sharpe_ratio_unchanged(L, r, sigma, rf):
    assert abs(sharpe_ratio(L, r, sigma, rf, rf) - sharpe_ratio(D(1), r, sigma, rf, rf)) < D("1e-28")


@settings(max_examples=200, deadline=None)
@given(leverages, rates)
def test_break_even_return_gives_a_zero_levered_return(L, c):
    assert abs(levered_return(L, break_even_return(L, c), c)) < D("1e-28")


def test_break_even_examples():
    assert break_even_return(D(1), D("0.06")) == 0
    assert break_even_return(D(5), D("0.06")) == D("0.048")   # 4 · 6% / 5


@settings(max_examples=200, deadline=None)
@given(leverages, rates, vols, rates, rates)
def test_scalar_and_vector_agree(L, r, sigma, c, rf):
    assert float(levered_return_array(float(L), float(r), float(c))) == pytest.approx(
        float(levered_return(L, r, c)), rel=1e-12, abs=1e-12)
    assert float(sharpe_ratio_array(float(L), float(r), float(sigma), float(c), float(rf))) == \
        pytest.approx(float(sharpe_ratio(L, r, sigma, c, rf)), rel=1e-9, abs=1e-12)
    assert float(break_even_return_array(float(L), float(c))) == pytest.approx(
        float(break_even_return(L, c)), rel=1e-12, abs=1e-12)


def test_vector_versions_work_on_columns():
    got = levered_return_array(np.array([1.0, 2.0, 3.0]), 0.08, 0.04)
    assert got == pytest.approx([0.08, 0.12, 0.16])
    assert np.isnan(sharpe_ratio_array([0.0, 2.0], 0.08, [0.15, 0.0], 0.04)).all()


def test_volatility_targeting():
    assert volatility_target_leverage(D("0.20"), D("0.25")) == D("0.8")
    assert volatility_target_leverage(D("0.30"), D("0.05")) == D(6)
    assert volatility_target_leverage(D("0.30"), D("0.05"), cap=D(5)) == D(5)
    with pytest.raises(RiskInputError):
        volatility_target_leverage(D("0.2"), D(0))


def test_sharpe_needs_a_positive_volatility():
    with pytest.raises(RiskInputError):
        sharpe_ratio(D(2), D("0.08"), D(0), D("0.04"))
