"""Liquidation and risk maths: how far a leveraged position can fall before it is closed out,
what financing does to return and Sharpe, Monte Carlo of forced liquidations, and liquidation
cascades over a book of accounts (docs/risk.md).

Only the exact, numpy-free functions are re-exported here, so that the rules DSL can use them
without loading numpy; ``montecarlo`` and ``cascade`` are imported by name where needed.
"""
from __future__ import annotations

from compliance.risk.liquidation import (
    RiskInputError,
    close_out_drop,
    collateral_ratio_drop,
    liquidation_drop,
    warning_drop,
)
from compliance.risk.returns import (
    break_even_return,
    levered_return,
    levered_volatility,
    sharpe_ratio,
    volatility_target_leverage,
)

__all__ = [
    "RiskInputError", "break_even_return", "close_out_drop", "collateral_ratio_drop",
    "levered_return", "levered_volatility", "liquidation_drop", "sharpe_ratio",
    "volatility_target_leverage", "warning_drop",
]
