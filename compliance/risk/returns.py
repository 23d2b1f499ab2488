"""What financing does to return and risk: levered return, volatility, Sharpe, break-even.

Annual figures, for a long position of ``L`` times the client's equity financed at rate ``c``
(docs/sources.md, formulas): own funds 1 and borrowed ``L-1`` earn ``L·r`` and cost ``(L-1)·c``. Exact
``Decimal`` versions for the rules DSL, numpy versions (``*_array``) for columns; numpy is
imported lazily (see liquidation.py).
"""
from __future__ import annotations

from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from compliance.risk.liquidation import PRECISION, RiskInputError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


def levered_return(leverage: Decimal, asset_return: Decimal, financing_rate: Decimal) -> Decimal:
    """``Re = L·r - (L-1)·c``: 5x, 8% and 6% give 40% - 24% = 16% (seed 003).

    >>> levered_return(Decimal(5), Decimal("0.08"), Decimal("0.06"))
    Decimal('0.16')
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return leverage * asset_return - (leverage - 1) * financing_rate


def levered_volatility(leverage: Decimal, volatility: Decimal) -> Decimal:
    """``L·σ``: the borrowed part has no volatility of its own (a fixed-rate loan)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return leverage * volatility


def sharpe_ratio(leverage: Decimal, asset_return: Decimal, volatility: Decimal,
                 financing_rate: Decimal, risk_free: Decimal = Decimal(0)) -> Decimal:
    """Sharpe after financing: ``(L·r - (L-1)·c - rf) / (L·σ)``.

    Without financing cost leverage leaves the Sharpe ratio unchanged; paying ``c > rf`` on the
    borrowed part lowers it (seed 001: 0.40, 0.33, 0.31 at 1x, 2x, 3x).
    """
    if not leverage > 0 or not volatility > 0:
        raise RiskInputError("the Sharpe ratio needs positive leverage and volatility")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        excess = levered_return(leverage, asset_return, financing_rate) - risk_free
        return excess / levered_volatility(leverage, volatility)


def break_even_return(leverage: Decimal, financing_rate: Decimal) -> Decimal:
    """Asset return at which the levered return is zero: ``r = (L-1)·c / L``.

    Below it the client loses money even though the asset rose. (Leverage adds return over the
    unlevered position only when ``r > c``, whatever ``L``.)
    """
    if not leverage > 0:
        raise RiskInputError(f"leverage must be positive, got {leverage}")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return (leverage - 1) * financing_rate / leverage


def volatility_target_leverage(target_volatility: Decimal, volatility: Decimal,
                               cap: Decimal | None = None) -> Decimal:
    """Leverage that brings the position's volatility to a target: ``σ_target / σ``, never above
    the contract's cap (seed 004: dynamic leverage set from volatility)."""
    if not volatility > 0 or target_volatility < 0:
        raise RiskInputError("volatility targeting needs a positive volatility and a target >= 0")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        suggested = target_volatility / volatility
    return suggested if cap is None else min(suggested, cap)


# ---------------------------------------------------------------------------------------------
# numpy versions
# ---------------------------------------------------------------------------------------------

def levered_return_array(leverage: ArrayLike, asset_return: ArrayLike,
                         financing_rate: ArrayLike) -> NDArray[np.float64]:
    import numpy as np
    lev = np.asarray(leverage, dtype=np.float64)
    return lev * np.asarray(asset_return, dtype=np.float64) - (lev - 1.0) * np.asarray(
        financing_rate, dtype=np.float64)


def levered_volatility_array(leverage: ArrayLike, volatility: ArrayLike) -> NDArray[np.float64]:
    import numpy as np
    return np.asarray(leverage, dtype=np.float64) * np.asarray(volatility, dtype=np.float64)


def sharpe_ratio_array(leverage: ArrayLike, asset_return: ArrayLike, volatility: ArrayLike,
                       financing_rate: ArrayLike, risk_free: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Vector :func:`sharpe_ratio`; NaN where leverage or volatility is not positive."""
    import numpy as np
    vol = levered_volatility_array(leverage, volatility)
    excess = levered_return_array(leverage, asset_return, financing_rate) - np.asarray(
        risk_free, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = excess / vol
    valid = (np.asarray(leverage) > 0) & (np.asarray(volatility) > 0)
    return np.where(valid, ratio, np.nan)


def break_even_return_array(leverage: ArrayLike, financing_rate: ArrayLike) -> NDArray[np.float64]:
    import numpy as np
    lev = np.asarray(leverage, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (lev - 1.0) * np.asarray(financing_rate, dtype=np.float64) / lev
    return np.where(lev > 0, value, np.nan)
