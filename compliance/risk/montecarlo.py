"""Monte Carlo of a leveraged long position: how likely a forced liquidation is within a horizon,
when it happens, and what the client's equity is worth at the end (VaR, expected shortfall).

Model (docs/risk.md has the derivation and the accuracy study):

* the asset follows geometric Brownian motion, or a Student-t variant with fat-tailed daily
  log-returns scaled to the same variance; daily steps, ``days_per_year`` trading days a year;
* the debt ``L-1`` (per unit of initial equity) accrues the financing rate continuously, so the
  liquidation price ``(1 - drop)·exp(c·t)`` rises with it. Simulating ``X = log S - c·t`` turns
  that into a fixed barrier ``log(1 - drop)``: one comparison per step, and the closed form of
  :func:`gbm_liquidation_probability` still applies;
* the position is checked at each daily close and closed at that close (a gap below the line is
  the client's loss); after the close the client holds cash.

Deterministic: one ``numpy.random.default_rng(seed)`` draws the paths in fixed chunks of
``CHUNK_PATHS``, so a (seed, paths) pair always gives the same numbers, and memory stays at
``CHUNK_PATHS x horizon`` floats whatever the number of paths.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from compliance.records import record
from compliance.risk.limits import MAX_PATH_DAYS
from compliance.risk.liquidation import RiskInputError

MODELS = ("gbm", "student-t")
CHUNK_PATHS = 8192
DAYS_PER_YEAR = 252
PERCENTILES = (5, 25, 50, 75, 95)

# Broadie, Glasserman & Kou (1997): a barrier monitored at steps of length dt is hit like a
# continuously monitored barrier moved away from the start by BETA·σ·sqrt(dt);
# BETA = -zeta(1/2) / sqrt(2·pi).
BGK_BETA = 0.5825971579390106


@record
class MonteCarloResult:
    model: str
    paths: int
    horizon_days: int
    seed: int
    liquidation_probability: float
    standard_error: float                            # of liquidation_probability
    cumulative_probability: tuple[float, ...]        # P(liquidated by day d), d = 1..horizon
    liquidation_day_percentiles: tuple[tuple[int, int], ...]  # (percentile, day), hit paths only
    mean_days_to_liquidation: float | None
    confidence: float
    value_at_risk: float         # loss at `confidence`, as a share of the client's initial equity
    expected_shortfall: float    # mean loss beyond the VaR (CVaR)
    mean_equity: float           # per unit of initial equity, at the horizon
    debt_probability: float      # share of paths ending with negative equity (before any NBP)


@record
class _Paths:
    """Per path: whether the line was reached, the day of the first close at or below it (0: at
    entry), and the equity at the horizon per unit of initial equity, before any NBP."""
    hit: NDArray[np.bool_]
    hit_day: NDArray[np.int32]
    equity: NDArray[np.float64]


def simulate_liquidation(leverage: float, drop: float, *, expected_return: float,
                         volatility: float, financing_rate: float = 0.0, horizon_days: int = 21,
                         paths: int = 100_000, seed: int = 42, model: str = "gbm",
                         df: float = 4.0, confidence: float = 0.99,
                         negative_balance_protection: bool = True,
                         days_per_year: int = DAYS_PER_YEAR) -> MonteCarloResult:
    """Simulate ``paths`` daily price paths and the forced liquidation of a position of
    ``leverage`` times the client's equity whose line sits ``drop`` below the entry price (from
    :mod:`compliance.risk.liquidation`). Rates and volatility are annual fractions; with
    ``negative_balance_protection`` the client's loss is capped at the initial equity."""
    _validate(leverage, drop, volatility, horizon_days, paths, model, df, confidence)
    simulated = _simulate_paths(leverage, drop, expected_return, volatility, financing_rate,
                                horizon_days, paths, seed, model, df, days_per_year)
    return _summarise(simulated, model, horizon_days, seed, confidence,
                      negative_balance_protection)


def _validate(leverage: float, drop: float, volatility: float, horizon_days: int, paths: int,
              model: str, df: float, confidence: float) -> None:
    if not leverage > 0:
        raise RiskInputError(f"leverage must be positive, got {leverage}")
    if not volatility > 0:
        raise RiskInputError(f"volatility must be positive, got {volatility}")
    if not math.isfinite(drop):
        raise RiskInputError(f"the liquidation drop must be a number, got {drop}")
    if horizon_days < 1 or paths < 1:
        raise RiskInputError("the horizon and the number of paths must be at least 1")
    if paths * horizon_days > MAX_PATH_DAYS:
        raise RiskInputError(f"{paths:,} paths x {horizon_days:,} days is more than the "
                             f"{MAX_PATH_DAYS:,} simulated days allowed")
    if model not in MODELS:
        raise RiskInputError(f"unknown model {model!r}: use one of {', '.join(MODELS)}")
    if model == "student-t" and not df > 2:
        raise RiskInputError(f"Student-t needs more than 2 degrees of freedom, got {df}")
    if not 0 < confidence < 1:
        raise RiskInputError(f"confidence must be between 0 and 1, got {confidence}")


def _daily_shocks(rng: np.random.Generator, shape: tuple[int, int], model: str,
                  df: float) -> NDArray[np.float64]:
    """Standardised daily shocks: mean 0, variance 1."""
    if model == "gbm":
        return rng.standard_normal(shape)
    shocks = rng.standard_t(df, shape)
    shocks *= math.sqrt((df - 2.0) / df)  # a t variable has variance df/(df-2)
    return shocks


def _simulate_paths(leverage: float, drop: float, expected_return: float, volatility: float,
                    financing_rate: float, horizon_days: int, paths: int, seed: int, model: str,
                    df: float, days_per_year: int) -> _Paths:
    if drop <= 0:
        # No room: the position is at or below its line when opened and is closed at once, at
        # the entry price, before any move.
        return _Paths(np.ones(paths, bool), np.zeros(paths, np.int32), np.ones(paths))
    dt = 1.0 / days_per_year
    # X = log S - c·t: the log-drift of GBM less the debt's growth (module docstring).
    step_drift = (expected_return - 0.5 * volatility ** 2 - financing_rate) * dt
    step_scale = volatility * math.sqrt(dt)
    barrier = math.log1p(-drop) if drop < 1 else -math.inf
    rng = np.random.default_rng(seed)
    hit = np.zeros(paths, bool)
    hit_day = np.zeros(paths, np.int32)
    equity = np.empty(paths)
    for start in range(0, paths, CHUNK_PATHS):
        stop = min(start + CHUNK_PATHS, paths)
        x = _daily_shocks(rng, (stop - start, horizon_days), model, df)
        x *= step_scale
        x += step_drift
        np.cumsum(x, axis=1, out=x)
        hit_rows = np.flatnonzero(x.min(axis=1) <= barrier)
        first = np.argmax(x[hit_rows] <= barrier, axis=1)
        end_index = np.full(stop - start, horizon_days - 1)
        end_index[hit_rows] = first
        x_end = x[np.arange(stop - start), end_index]
        years = (end_index + 1) * dt
        equity[start:stop] = np.exp(financing_rate * years) * (leverage * np.exp(x_end)
                                                                - (leverage - 1.0))
        hit[start + hit_rows] = True
        hit_day[start + hit_rows] = first + 1
    return _Paths(hit, hit_day, equity)


def _summarise(simulated: _Paths, model: str, horizon_days: int, seed: int, confidence: float,
               negative_balance_protection: bool) -> MonteCarloResult:
    paths, hit = simulated.hit.size, simulated.hit
    probability = float(hit.mean())
    days = simulated.hit_day[hit]
    by_day = np.bincount(days, minlength=horizon_days + 1)
    # Day-0 closes (no room at entry) count from day 1 on.
    cumulative = tuple(float(v) for v in np.cumsum(by_day)[1:] / paths)
    if days.size:
        percentiles = tuple((q, int(np.percentile(days, q, method="inverted_cdf")))
                            for q in PERCENTILES)
        mean_days: float | None = float(days.mean())
    else:
        percentiles, mean_days = (), None
    equity = simulated.equity
    if negative_balance_protection:
        equity = np.maximum(equity, 0.0)
    var, es = value_at_risk(1.0 - equity, confidence)
    return MonteCarloResult(
        model=model, paths=paths, horizon_days=horizon_days, seed=seed,
        liquidation_probability=probability,
        standard_error=math.sqrt(probability * (1.0 - probability) / paths),
        cumulative_probability=cumulative, liquidation_day_percentiles=percentiles,
        mean_days_to_liquidation=mean_days, confidence=confidence, value_at_risk=var,
        expected_shortfall=es, mean_equity=float(equity.mean()),
        debt_probability=float((simulated.equity < 0).mean()))


def value_at_risk(losses: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """Empirical VaR and expected shortfall: the ``k = ceil((1-confidence)·n)`` largest losses
    form the tail; VaR is the smallest of them, the expected shortfall their mean (so ES >= VaR
    always, and both come from the same order statistics)."""
    n = losses.size
    k = max(1, math.ceil(round((1.0 - confidence) * n, 9)))
    tail = np.partition(losses, n - k)[n - k:]
    return float(tail.min()), float(tail.mean())


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def gbm_liquidation_probability(drop: float, *, expected_return: float, volatility: float,
                                financing_rate: float = 0.0, horizon_days: int = 21,
                                days_per_year: int = DAYS_PER_YEAR,
                                daily_monitoring: bool = True) -> float:
    """Closed-form probability that GBM reaches the liquidation line within the horizon.

    With ``X_t = ν·t + σ·W_t``, ``ν = μ - σ²/2 - c`` and the line at ``-a = log(1 - drop)``, the
    reflection principle gives for a continuously watched line

        P = Φ((-a - ν·T) / (σ·√T)) + exp(-2·ν·a / σ²) · Φ((-a + ν·T) / (σ·√T)).

    ``daily_monitoring`` applies the Broadie-Glasserman-Kou correction for a line checked only
    at daily closes: ``a`` grows by ``BGK_BETA·σ·√dt``.
    """
    if drop <= 0:
        return 1.0
    if drop >= 1:
        return 0.0
    dt = 1.0 / days_per_year
    a = -math.log1p(-drop)
    if daily_monitoring:
        a += BGK_BETA * volatility * math.sqrt(dt)
    nu = expected_return - 0.5 * volatility ** 2 - financing_rate
    years = horizon_days * dt
    spread = volatility * math.sqrt(years)
    reflected = min(-2.0 * nu * a / volatility ** 2, 700.0)  # exp overflows past ~709
    return min(1.0, _normal_cdf((-a - nu * years) / spread)
               + math.exp(reflected) * _normal_cdf((-a + nu * years) / spread))
