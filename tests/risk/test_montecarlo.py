"""Monte Carlo of forced liquidation against independent references: the reflection-principle
formula with the Broadie-Glasserman-Kou correction, and an exact numerical integration of the
daily-monitored random walk (for GBM and for Student-t shocks)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from compliance.risk.liquidation import RiskInputError, liquidation_drop_array
from compliance.risk.montecarlo import (
    CHUNK_PATHS, _simulate_paths, gbm_liquidation_probability, simulate_liquidation,
    value_at_risk)

DAYS = 252


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def reflection_probability(drop, mu, sigma, rate, days, bgk=True):
    """First-passage probability of Brownian motion with drift below log(1-drop), written out
    here independently of the package; BGK: the line moves 0.5826·σ·√dt further away."""
    a = -math.log(1.0 - drop) + (0.5826 * sigma * math.sqrt(1 / DAYS) if bgk else 0.0)
    nu, t = mu - sigma ** 2 / 2 - rate, days / DAYS
    s = sigma * math.sqrt(t)
    return phi((-a - nu * t) / s) + math.exp(-2 * nu * a / sigma ** 2) * phi((-a + nu * t) / s)


def normal_density(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def t_density(df):
    # Student-t scaled to unit variance: z = t·sqrt((df-2)/df).
    scale = math.sqrt((df - 2) / df)
    norm = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def density(z):
        t = z / scale
        return norm * (1 + t * t / df) ** (-(df + 1) / 2) / scale
    return density


def daily_monitored_probability(drop, mu, sigma, rate, days, density, cells=3000, width=30.0):
    """P(some daily close of the log path is at or below log(1-drop)), by propagating the
    surviving density on a grid (midpoint rule): no Monte Carlo, no continuity correction."""
    dt = 1 / DAYS
    drift, scale = (mu - sigma ** 2 / 2 - rate) * dt, sigma * math.sqrt(dt)
    barrier = math.log(1 - drop)
    top = abs(drift) * days + width * sigma * math.sqrt(days * dt)
    h = (top - barrier) / cells
    x = barrier + (np.arange(cells) + 0.5) * h
    alive = density((x - drift) / scale) / scale * h
    kernel = density((x[:, None] - x[None, :] - drift) / scale) / scale * h
    for _ in range(days - 1):
        alive = kernel @ alive
    return 1.0 - float(alive.sum())


def test_package_closed_form_is_the_reflection_formula():
    for args in [(0.10, 0.08, 0.25, 0.0, 21), (0.0476, 0.08, 0.15, 0.04, 63),
                 (0.3, -0.2, 0.4, 0.06, 250)]:
        drop, mu, sigma, rate, days = args
        for bgk in (True, False):
            assert gbm_liquidation_probability(
                drop, expected_return=mu, volatility=sigma, financing_rate=rate,
                horizon_days=days, daily_monitoring=bgk) == pytest.approx(
                reflection_probability(*args, bgk=bgk), rel=1e-4)


def test_closed_form_without_drift_is_twice_the_tail():
    # Reflection principle: with zero drift P(min <= -a) = 2·Φ(-a / (σ√T)).
    sigma, days, drop = 0.3, 63, 0.2
    p = gbm_liquidation_probability(drop, expected_return=sigma ** 2 / 2, volatility=sigma,
                                    horizon_days=days, daily_monitoring=False)
    assert p == pytest.approx(2 * phi(math.log(1 - drop) / (sigma * math.sqrt(days / DAYS))),
                              rel=1e-12)


# Long horizons, line many daily steps away: BGK is accurate and the comparison is 3 SE.
@pytest.mark.parametrize("drop, mu, sigma, rate, days", [
    (2 / 7, 0.08, 0.25, 0.06, 250),      # 2x, 30% maintenance, a year
    (0.15, 0.05, 0.30, 0.06, 63),
    (1 / 9, 0.08, 0.20, 0.00, 126),      # 3x, 25% maintenance, half a year
])
def test_gbm_agrees_with_the_corrected_closed_form(drop, mu, sigma, rate, days):
    result = simulate_liquidation(2, drop, expected_return=mu, volatility=sigma,
                                  financing_rate=rate, horizon_days=days, paths=200_000, seed=11)
    expected = reflection_probability(drop, mu, sigma, rate, days)
    assert abs(result.liquidation_probability - expected) < 3 * result.standard_error
    # Without the correction the continuous formula is visibly off: daily closes miss crossings.
    continuous = reflection_probability(drop, mu, sigma, rate, days, bgk=False)
    assert continuous - result.liquidation_probability > 3 * result.standard_error


# Short horizons with the line close (the seeds' 3x/30% is 4.76%): compare with the exact
# daily-monitored probability instead, for both models.
@pytest.mark.parametrize("model, density", [("gbm", normal_density), ("student-t", t_density(4))],
                         ids=["gbm", "student-t"])
@pytest.mark.parametrize("drop, mu, sigma, rate, days", [
    (1 / 21, 0.08, 0.15, 0.04, 21),      # seed 001: 3x, 30% maintenance, a month
    (0.05, -0.10, 0.20, 0.00, 10),
])
def test_monte_carlo_agrees_with_exact_daily_monitoring(model, density, drop, mu, sigma, rate, days):
    result = simulate_liquidation(3, drop, expected_return=mu, volatility=sigma,
                                  financing_rate=rate, horizon_days=days, paths=200_000, seed=5,
                                  model=model, df=4)
    expected = daily_monitored_probability(drop, mu, sigma, rate, days, density)
    assert abs(result.liquidation_probability - expected) < 3 * result.standard_error
    by_day_5 = daily_monitored_probability(drop, mu, sigma, rate, 5, density)
    se_5 = math.sqrt(by_day_5 * (1 - by_day_5) / result.paths)
    assert abs(result.cumulative_probability[4] - by_day_5) < 3 * se_5


def test_same_seed_same_numbers_other_seed_other_numbers():
    kwargs = dict(expected_return=0.08, volatility=0.25, financing_rate=0.06, horizon_days=30,
                  paths=CHUNK_PATHS + 1234, model="student-t")
    first = simulate_liquidation(3, 0.1, seed=3, **kwargs)
    assert simulate_liquidation(3, 0.1, seed=3, **kwargs) == first
    assert simulate_liquidation(3, 0.1, seed=4, **kwargs) != first


def test_student_t_shocks_have_the_stated_variance_and_fat_tails():
    sigma, days = 0.25, 21
    paths = _simulate_paths(1.0, 1.0, 0.0, sigma, 0.0, days, 100_000, 9, "student-t", 6.0, DAYS)
    log_returns = np.log(paths.equity)    # L = 1, no debt: equity is the price
    variance, target = log_returns.var(), sigma ** 2 * days / DAYS
    # Sum of 21 t6 shocks: kurtosis about 3 + 3/21, so the variance has SE ~ target·sqrt(2.14/n).
    assert abs(variance - target) < 4 * target * math.sqrt(2.2 / log_returns.size)
    one_day = _simulate_paths(1.0, 1.0, 0.0, sigma, 0.0, 1, 200_000, 9, "student-t", 6.0, DAYS)
    z = np.log(one_day.equity)
    kurtosis = ((z - z.mean()) ** 4).mean() / z.var() ** 2
    assert kurtosis > 4.5     # t6: 6; a normal: 3


def test_time_to_liquidation_distribution_is_consistent():
    result = simulate_liquidation(3, 1 / 21, expected_return=0.08, volatility=0.25,
                                  financing_rate=0.06, horizon_days=21, paths=50_000, seed=1)
    cumulative = np.array(result.cumulative_probability)
    assert len(cumulative) == 21 and (np.diff(cumulative) >= 0).all()
    assert cumulative[-1] == pytest.approx(result.liquidation_probability)
    days = [day for _, day in result.liquidation_day_percentiles]
    assert days == sorted(days) and 1 <= days[0] and days[-1] <= 21
    assert 1 <= result.mean_days_to_liquidation <= 21


def test_negative_balance_protection_caps_the_loss_at_the_equity():
    # 20x with fat tails: daily gaps jump past the line and below zero equity.
    kwargs = dict(expected_return=0.0, volatility=0.6, horizon_days=21, paths=50_000, seed=2,
                  model="student-t", df=3)
    drop = float(liquidation_drop_array(20, 0.025))
    protected = simulate_liquidation(20, drop, negative_balance_protection=True, **kwargs)
    exposed = simulate_liquidation(20, drop, negative_balance_protection=False, **kwargs)
    assert exposed.debt_probability > 0
    assert protected.expected_shortfall <= 1.0 < exposed.expected_shortfall
    assert protected.value_at_risk <= exposed.value_at_risk


def test_empirical_var_and_expected_shortfall():
    losses = np.arange(100, dtype=float)[::-1].copy()   # 0..99, in any order
    assert value_at_risk(losses, 0.95) == (95.0, 97.0)  # the 5 largest: 95..99
    assert value_at_risk(losses, 0.99) == (99.0, 99.0)


def test_domain_limits():
    opened_below = simulate_liquidation(4, 0.0, expected_return=0.08, volatility=0.2, paths=1000)
    assert opened_below.liquidation_probability == 1.0
    unlevered = simulate_liquidation(1, 1.0, expected_return=0.08, volatility=0.2, paths=1000)
    assert unlevered.liquidation_probability == 0.0 and unlevered.mean_days_to_liquidation is None
    assert gbm_liquidation_probability(0.0, expected_return=0.0, volatility=0.2) == 1.0
    assert gbm_liquidation_probability(1.0, expected_return=0.0, volatility=0.2) == 0.0


@pytest.mark.parametrize("bad", [dict(leverage=0), dict(volatility=0), dict(horizon_days=0),
                                 dict(model="levy"), dict(model="student-t", df=2),
                                 dict(confidence=1.0), dict(paths=0)])
def test_bad_parameters_are_refused(bad):
    kwargs = dict(leverage=3, drop=0.05, expected_return=0.08, volatility=0.2, paths=100) | bad
    leverage, drop = kwargs.pop("leverage"), kwargs.pop("drop")
    with pytest.raises(RiskInputError):
        simulate_liquidation(leverage, drop, **kwargs)
