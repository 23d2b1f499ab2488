"""How far the price can fall before a leveraged long position is closed out.

Every function comes twice: an exact ``Decimal`` version that the rules DSL calls (a house rule
such as "liquidation room at least 10%" must not flip on a float rounding), and a numpy version
(``*_array``) for snapshot columns and the Monte Carlo. The two agree to float precision
(tests/risk/test_liquidation.py checks this with hypothesis).

Notation of docs/sources.md, formulas: ``L`` is leverage, position value over the client's own equity at entry;
``m`` is the maintenance requirement as equity over position value. All drops are fractions of
the entry price (0.0476 is a 4.76% fall), clamped to ``[0, 1]``: 0 means there is no room at all
(the position opens at or below the line), 1 means only a fall to zero reaches the line.

The numpy versions are imported lazily so that loading this module (as the DSL's scalar
evaluator does) does not load numpy.
"""
from __future__ import annotations

from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from compliance.errors import DomainError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

# Digits for the exact versions: more than a 28-digit default so that the seeds' repeating
# decimals (1/21, 1/9) stay exact well past the basis points a rule compares.
PRECISION = 34

_ZERO, _ONE = Decimal(0), Decimal(1)


class RiskInputError(DomainError):
    """A parameter outside the domain where the formula means anything (leverage <= 0, m >= 1)."""


def _check_leverage(leverage: Decimal) -> None:
    if not leverage > 0:
        raise RiskInputError(f"leverage must be positive, got {leverage}")


def _clamp(drop: Decimal) -> Decimal:
    return min(max(drop, _ZERO), _ONE)


def liquidation_drop(leverage: Decimal, maintenance: Decimal) -> Decimal:
    """Price fall that takes a margin-loan position down to its maintenance line.

    Position ``V0 = L·E0``, debt ``D = (L-1)·E0``; the line is reached when
    ``(V - D) / V = m``, i.e. ``V = D / (1 - m)``, so (docs/sources.md, formulas)

        p* = 1 - (L-1) / (L·(1-m)) = (1 - m·L) / (L·(1 - m)).

    ``m·L >= 1`` means the position opens at or below the line: no liquidation room, 0.
    ``L = 1`` (no debt) gives 1: only a fall to zero empties the account.

    >>> liquidation_drop(Decimal(3), Decimal("0.30")).quantize(Decimal("0.0001"))
    Decimal('0.0476')
    """
    _check_leverage(leverage)
    if not _ZERO <= maintenance < _ONE:
        raise RiskInputError(f"maintenance must be in [0%, 100%), got {maintenance}")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if maintenance * leverage >= _ONE:
            return _ZERO
        return _clamp((_ONE - maintenance * leverage) / (leverage * (_ONE - maintenance)))


def warning_drop(leverage: Decimal, warning_level: Decimal) -> Decimal:
    """Price fall that reaches the warning (margin-call) line, stated like the maintenance line
    as equity over position value. The same algebra as :func:`liquidation_drop`."""
    return liquidation_drop(leverage, warning_level)


def close_out_drop(leverage: Decimal, close_out_level: Decimal) -> Decimal:
    """Price fall that triggers a CFD margin close-out (equity against initial margin, ESMA's 50%).

    Derivation, for a long CFD opened with full use of the leverage ``L`` (equity ``E0`` equals
    the initial margin ``N/L`` of notional ``N``) and a close-out level ``c``:

    * after a fall ``p`` the equity is ``E0 - N·p`` and, since brokers mark margin to the current
      notional, the required initial margin is ``N·(1-p)/L``;
    * close-out when ``N/L - N·p < c·N·(1-p)/L``, i.e. ``1 - L·p < c·(1-p)``, so

        p* = (1 - c) / (L - c).

    This is :func:`liquidation_drop` with ``m = c/L`` (equity over position value at the line):
    a 30:1 CFD with a 50% close-out has ``p* = 0.5 / 29.5 = 1.69%``. Were the margin frozen at
    the opening notional the room would be ``(1 - c)/L = 1.67%``; the marked-to-market form is the
    one the close-out rule of docs/sources.md, EU describes ("initial margin protection for all open
    CFDs", valued now). ``c >= 1`` leaves no room (0); ``L <= c < 1`` is never closed out (1).
    """
    _check_leverage(leverage)
    if close_out_level < _ZERO:
        raise RiskInputError(f"close-out level must not be negative, got {close_out_level}")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if close_out_level >= _ONE:
            return _ZERO
        if leverage <= close_out_level:
            return _ONE
        return _clamp((_ONE - close_out_level) / (leverage - close_out_level))


def collateral_ratio_drop(leverage: Decimal, ratio: Decimal) -> Decimal:
    """Price fall that takes the Chinese 维持担保比例 (assets / liabilities) down to ``ratio``.

    Assets ``L·E0·(1-p)``, liabilities ``(L-1)·E0``: the line is reached at
    ``p = 1 - R·(L-1)/L`` (docs/sources.md, formulas); the same as :func:`liquidation_drop` with
    ``m = 1 - 1/R``. At 3x the 150% line gives 0: the account opens on the line.
    """
    _check_leverage(leverage)
    if not ratio > _ZERO:
        raise RiskInputError(f"collateral ratio must be positive, got {ratio}")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _clamp(_ONE - ratio * (leverage - _ONE) / leverage)


# ---------------------------------------------------------------------------------------------
# numpy versions: same formulas over arrays; NaN where the scalar version raises.
# ---------------------------------------------------------------------------------------------

def _arrays(*values: ArrayLike) -> list[NDArray[np.float64]]:
    import numpy as np
    return [np.asarray(value, dtype=np.float64) for value in values]


def liquidation_drop_array(leverage: ArrayLike, maintenance: ArrayLike) -> NDArray[np.float64]:
    """Vector :func:`liquidation_drop`."""
    import numpy as np
    lev, m = _arrays(leverage, maintenance)
    valid = (lev > 0) & (m >= 0) & (m < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (1.0 - m * lev) / (lev * (1.0 - m))
    drop = np.where(m * lev >= 1.0, 0.0, np.clip(raw, 0.0, 1.0))
    return np.where(valid, drop, np.nan)


def warning_drop_array(leverage: ArrayLike, warning_level: ArrayLike) -> NDArray[np.float64]:
    """Vector :func:`warning_drop`."""
    return liquidation_drop_array(leverage, warning_level)


def close_out_drop_array(leverage: ArrayLike, close_out_level: ArrayLike) -> NDArray[np.float64]:
    """Vector :func:`close_out_drop`."""
    import numpy as np
    lev, c = _arrays(leverage, close_out_level)
    valid = (lev > 0) & (c >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (1.0 - c) / (lev - c)
    drop = np.select([c >= 1, lev <= c], [0.0, 1.0], np.clip(raw, 0.0, 1.0))
    return np.where(valid, drop, np.nan)


def collateral_ratio_drop_array(leverage: ArrayLike, ratio: ArrayLike) -> NDArray[np.float64]:
    """Vector :func:`collateral_ratio_drop`."""
    import numpy as np
    lev, r = _arrays(leverage, ratio)
    valid = (lev > 0) & (r > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.clip(1.0 - r * (lev - 1.0) / lev, 0.0, 1.0)
    return np.where(valid, drop, np.nan)
