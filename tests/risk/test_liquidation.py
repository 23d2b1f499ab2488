"""Liquidation room: the worked numbers of the seed articles and docs/sources.md, formulas, the domain limits,
and the agreement of the exact and the numpy versions."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.risk.liquidation import (
    RiskInputError, close_out_drop, close_out_drop_array, collateral_ratio_drop,
    collateral_ratio_drop_array, liquidation_drop, liquidation_drop_array, warning_drop,
    warning_drop_array)

D = Decimal
BP = D("0.0001")  # the seeds print two decimals of a percent


# (function, leverage, line, printed figure, where it is printed)
SEED_TABLE = [
    (liquidation_drop, "3", "0.30", "0.0476", "seed 001: L=3, m=30%"),
    (liquidation_drop, "2", "0.30", "0.2857", "seed 001: L=2, m=30%"),
    (liquidation_drop, "3", "0.25", "0.1111", "seed 002: 100k at 3x, maintenance 25%"),
    (liquidation_drop, "2", "0.25", "0.3333", "domain §6: FINRA 2x, 25%"),
    (collateral_ratio_drop, "2", "1.30", "0.3500", "domain §6: f=100%, 130% line"),
    (collateral_ratio_drop, "2", "1.50", "0.2500", "domain §6: f=100%, 150% line"),
    (collateral_ratio_drop, "2.25", "1.30", "0.2778", "domain §6: f=80%, 130% line"),
    (collateral_ratio_drop, "2.25", "1.50", "0.1667", "domain §6: f=80%, 150% line"),
    (collateral_ratio_drop, "3", "1.30", "0.1333", "domain §6: f=50%, 130% line"),
    (collateral_ratio_drop, "3", "1.50", "0.0000", "domain §6: f=50%, opens on the 150% line"),
]


@pytest.mark.parametrize("function, leverage, line, printed, source", SEED_TABLE,
                         ids=[row[-1] for row in SEED_TABLE])
def test_seed_figures(function, leverage, line, printed, source):
    assert function(D(leverage), D(line)).quantize(BP) == D(printed)


def _equity_share_after(leverage: Decimal, drop: Decimal) -> Decimal:
    """Brute force, docs/sources.md, formulas: 100,000 of equity, position L times that, debt the rest."""
    with localcontext() as ctx:
        ctx.prec = 50
        equity0 = D(100_000)
        value = leverage * equity0 * (1 - drop)
        return (value - (leverage - 1) * equity0) / value


def test_three_x_at_25_percent_is_exactly_one_ninth():
    # Seed 002's check: after an 11.11% fall the equity is exactly 25% of the position.
    drop = liquidation_drop(D(3), D("0.25"))
    with localcontext() as ctx:
        ctx.prec = 34
        assert drop == D(1) / D(9)
    assert abs(_equity_share_after(D(3), drop) - D("0.25")) < D("1e-30")


@pytest.mark.parametrize("leverage, maintenance", [("4", "0.25"), ("5", "0.30"), ("10", "0.5"),
                                                   ("3", "0.99")])
def test_no_room_when_the_position_opens_at_or_below_the_line(leverage, maintenance):
    assert D(leverage) * D(maintenance) >= 1
    assert liquidation_drop(D(leverage), D(maintenance)) == 0


def test_without_debt_only_a_fall_to_zero_empties_the_account():
    assert liquidation_drop(D(1), D("0.30")) == 1
    assert liquidation_drop(D("0.5"), D("0.30")) == 1   # part of the equity stays in cash
    assert collateral_ratio_drop(D(1), D("1.30")) == 1


def test_zero_maintenance_is_the_fall_that_wipes_out_the_equity():
    # m = 0: closed when equity reaches zero, i.e. after a fall of 1/L.
    with localcontext() as ctx:
        ctx.prec = 34
        assert liquidation_drop(D(4), D(0)) == D(1) / D(4)


@pytest.mark.parametrize("leverage, maintenance", [("0", "0.3"), ("-2", "0.3"), ("3", "1"),
                                                   ("3", "-0.1"), ("3", "1.5")])
def test_outside_the_domain_is_an_error(leverage, maintenance):
    with pytest.raises(RiskInputError):
        liquidation_drop(D(leverage), D(maintenance))


def test_invalid_inputs_are_nan_in_the_vector_version():
    drops = liquidation_drop_array([0, 3, 3], [0.3, 1.0, 0.3])
    assert np.isnan(drops[:2]).all() and drops[2] == pytest.approx(1 / 21)


def test_warning_line_is_reached_before_the_liquidation_line():
    assert warning_drop(D(2), D("0.40")) < liquidation_drop(D(2), D("0.30"))
    assert warning_drop(D(2), D("0.40")).quantize(BP) == D("0.1667")  # (1 - .8) / (2 · .6)


def _cfd_equity_over_margin(leverage: Decimal, drop: Decimal) -> Decimal:
    """Brute force for a CFD bought with full use of the leverage: notional 300,000 at 30:1."""
    with localcontext() as ctx:
        ctx.prec = 50
        notional = D(300_000)
        equity = notional / leverage - notional * drop
        margin_now = notional * (1 - drop) / leverage
        return equity / margin_now


def test_cfd_close_out_at_30_to_1_with_a_50_percent_level():
    drop = close_out_drop(D(30), D("0.5"))
    assert drop.quantize(BP) == D("0.0169")                          # 0.5 / 29.5
    assert abs(_cfd_equity_over_margin(D(30), drop) - D("0.5")) < D("1e-30")
    # A bit less of a fall keeps the account above the level, a bit more closes it.
    assert _cfd_equity_over_margin(D(30), drop - D("0.0001")) > D("0.5")
    assert _cfd_equity_over_margin(D(30), drop + D("0.0001")) < D("0.5")


def test_cfd_close_out_limits():
    assert close_out_drop(D(30), D(1)) == 0          # closed as soon as anything is lost
    assert close_out_drop(D("0.5"), D("0.8")) == 1   # more cash than exposure: never
    with pytest.raises(RiskInputError):
        close_out_drop(D(30), D("-0.5"))


leverages = st.decimals(min_value=D("0.1"), max_value=D(100), places=3)
shares = st.decimals(min_value=D(0), max_value=D("0.99"), places=4)
ratios = st.decimals(min_value=D("1.0"), max_value=D(5), places=4)


@settings(max_examples=300, deadline=None)
@given(leverages, shares)
def test_scalar_and_vector_agree(leverage, line):
    for exact, vector in [(liquidation_drop, liquidation_drop_array),
                          (warning_drop, warning_drop_array),
                          (close_out_drop, close_out_drop_array)]:
        assert float(vector(float(leverage), float(line))) == pytest.approx(
            float(exact(leverage, line)), rel=1e-12, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(leverages, ratios)
def test_collateral_ratio_scalar_and_vector_agree(leverage, ratio):
    assert float(collateral_ratio_drop_array(float(leverage), float(ratio))) == pytest.approx(
        float(collateral_ratio_drop(leverage, ratio)), rel=1e-12, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(leverages, leverages, shares)
def test_more_leverage_never_gives_more_room(low, high, line):
    low, high = min(low, high), max(low, high)
    assert liquidation_drop(high, line) <= liquidation_drop(low, line)
    assert close_out_drop(high, line) <= close_out_drop(low, line)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=D("1.01"), max_value=D(50), places=3), shares)
def test_drop_lands_exactly_on_the_maintenance_line(leverage, maintenance):
    drop = liquidation_drop(leverage, maintenance)
    if 0 < drop < 1:
        assert abs(_equity_share_after(leverage, drop) - maintenance) < D("1e-25")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=D(1), max_value=D(50), places=3), ratios)
def test_collateral_ratio_is_the_maintenance_line_m_equals_1_minus_1_over_r(leverage, ratio):
    with localcontext() as ctx:
        ctx.prec = 34
        maintenance = 1 - 1 / ratio
    if maintenance < 1 and leverage * maintenance < 1:
        assert abs(collateral_ratio_drop(leverage, ratio)
                   - liquidation_drop(leverage, maintenance)) < D("1e-28")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=D(1), max_value=D(100), places=2),
       st.decimals(min_value=D(0), max_value=D("0.99"), places=2))
def test_cfd_close_out_is_a_maintenance_line_of_c_over_l(leverage, level):
    with localcontext() as ctx:
        ctx.prec = 34
        assert abs(close_out_drop(leverage, level)
                   - liquidation_drop(leverage, level / leverage)) < D("1e-28")


def test_the_exact_functions_do_not_load_numpy():
    # The DSL's scalar evaluator imports these; `compliance check` must not pay for numpy.
    code = ("import sys, compliance.risk as r; r.liquidation_drop(3, 0); "
            "assert 'numpy' not in sys.modules, 'numpy loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)
