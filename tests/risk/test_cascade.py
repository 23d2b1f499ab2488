"""Liquidation cascade: a hand-computed book, the close-out comparison, and a naive
round-by-round reference on random books."""
from __future__ import annotations

import numpy as np
import pytest

from compliance.risk.cascade import liquidation_cascade
from compliance.risk.liquidation import RiskInputError

# Five accounts, book exposure 1,000, close-out at 50% of margin, impact 0.5 per share of the
# book sold, initial fall 2%. Trigger moves x* = (0.5·margin - equity) / (exposure - 0.5·margin):
#   A: (5-6)/95   = -1.05%  -> round 1 (x = -2%);    sells 100: x = -2% - 5%  = -7%
#   B: (5-10)/95  = -5.26%  -> round 2 (x = -7%)
#   C: (10-20)/190 = -5.26% -> round 2;               B+C sell 300: x = -7% - 15% = -22%
#   D: (15-50)/285 = -12.3% -> round 3 (x = -22%);   sells 300: x = -22% - 15% = -37%
#   E: (15-200)/285 = -64.9% -> stays open
# Fills at the price after each round: A 6-7 = -1, B 10-22 = -12, C 20-44 = -24, D 50-111 = -61.
BOOK = dict(equity=[6, 10, 20, 50, 200], exposure=[100, 100, 200, 300, 300],
            margin_used=[10, 10, 20, 30, 30])
NBP = [True, True, True, False, True]


def test_hand_computed_cascade():
    result = liquidation_cascade(**BOOK, close_out_level=0.5, initial_shock=-0.02,
                                 price_impact=0.5, negative_balance_protection=NBP)
    assert result.rounds == 3
    assert result.liquidated_per_round == (1, 2, 1)
    assert result.accounts_liquidated == 4
    assert result.price_move_per_round == pytest.approx((-0.07, -0.22, -0.37))
    assert result.final_price_move == pytest.approx(-0.37)
    assert result.platform_shortfall == pytest.approx(1 + 12 + 24)
    assert result.client_debt == pytest.approx(61)
    assert result.notional_sold == pytest.approx(100 * 0.93 + 300 * 0.78 + 300 * 0.63)
    assert result.converged
    assert result.liquidation_round.tolist() == [1, 2, 2, 3, 0]


def test_without_price_impact_only_the_shock_closes_accounts():
    result = liquidation_cascade(**BOOK, close_out_level=0.5, initial_shock=-0.02)
    assert (result.rounds, result.liquidated_per_round) == (1, (1,))
    assert result.final_price_move == pytest.approx(-0.02)


def test_no_shock_no_cascade():
    result = liquidation_cascade(**BOOK, close_out_level=0.5, price_impact=0.5)
    assert result.rounds == 0 and result.accounts_liquidated == 0
    assert result.final_price_move == 0 and result.platform_shortfall == 0


def test_at_the_line_is_a_named_choice():
    # equity 3 - 4·0.5 = 1 against 100% of margin 2·(1-0.5) = 1: exactly on the line.
    book = dict(equity=[3.0], exposure=[4.0], margin_used=[2.0])
    below = liquidation_cascade(**book, close_out_level=1.0, initial_shock=-0.5)
    at_or_below = liquidation_cascade(**book, close_out_level=1.0, initial_shock=-0.5,
                                      inclusive=True)
    assert below.accounts_liquidated == 0 and at_or_below.accounts_liquidated == 1


def test_max_rounds_stops_an_unfinished_cascade():
    result = liquidation_cascade(**BOOK, close_out_level=0.5, initial_shock=-0.02,
                                 price_impact=0.5, max_rounds=2)
    assert result.liquidated_per_round == (1, 2) and not result.converged


def test_the_price_does_not_fall_below_zero():
    result = liquidation_cascade(equity=[1.0, 1.0], exposure=[10.0, 10.0], margin_used=[1.0, 1.0],
                                 initial_shock=-0.5, price_impact=10.0)
    assert result.final_price_move == -1.0
    assert result.platform_shortfall == pytest.approx(2 * 9)


def reference_cascade(equity, exposure, margin, level, shock, impact, inclusive=False):
    """Round by round, account by account, straight from the close-out rule."""
    n, move, book = len(equity), shock, sum(exposure)
    closed_in = [0] * n
    fill = [None] * n
    per_round = []
    while True:
        newly = []
        for i in range(n):
            if closed_in[i]:
                continue
            eq, line = equity[i] + exposure[i] * move, level * margin[i] * (1 + move)
            if eq < line or (inclusive and eq == line):
                newly.append(i)
        if not newly:
            break
        move = max(move - impact * sum(exposure[i] for i in newly) / book, -1.0)
        for i in newly:
            closed_in[i], fill[i] = len(per_round) + 1, move
        per_round.append(len(newly))
    final = [equity[i] + exposure[i] * (fill[i] if fill[i] is not None else move) for i in range(n)]
    return per_round, move, closed_in, sum(max(-e, 0.0) for e in final)


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_a_naive_reference_on_random_books(seed):
    rng = np.random.default_rng(seed)
    n = 300
    exposure = rng.lognormal(8, 1, n)
    leverage = rng.choice([2.0, 5.0, 10.0, 20.0, 30.0], n)
    margin = exposure / leverage
    equity = margin * rng.uniform(0.3, 4.0, n)
    level, shock, impact = 0.5, -rng.uniform(0.0, 0.08), rng.uniform(0.05, 0.6)
    result = liquidation_cascade(equity, exposure, margin, close_out_level=level,
                                 initial_shock=shock, price_impact=impact)
    per_round, move, closed_in, shortfall = reference_cascade(
        equity.tolist(), exposure.tolist(), margin.tolist(), level, shock, impact)
    assert list(result.liquidated_per_round) == per_round
    assert result.final_price_move == pytest.approx(move, abs=1e-12)
    assert result.liquidation_round.tolist() == closed_in
    assert result.platform_shortfall == pytest.approx(shortfall, rel=1e-9, abs=1e-6)


def test_negative_balance_protection_splits_shortfall_from_client_debt():
    everyone = liquidation_cascade(**BOOK, close_out_level=0.5, initial_shock=-0.02,
                                   price_impact=0.5, negative_balance_protection=True)
    nobody = liquidation_cascade(**BOOK, close_out_level=0.5, initial_shock=-0.02,
                                 price_impact=0.5, negative_balance_protection=False)
    assert everyone.platform_shortfall == pytest.approx(98) and everyone.client_debt == 0
    assert nobody.client_debt == pytest.approx(98) and nobody.platform_shortfall == 0


@pytest.mark.parametrize("bad", [dict(exposure=[100, 100]), dict(exposure=[-1, 1, 1, 1, 1]),
                                 dict(equity=[np.nan, 1, 1, 1, 1])])
def test_bad_columns_are_refused(bad):
    with pytest.raises(RiskInputError):
        liquidation_cascade(**(BOOK | bad), initial_shock=-0.1)
