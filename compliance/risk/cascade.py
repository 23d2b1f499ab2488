"""Liquidation cascade over a book of accounts: forced sales push the price down, which takes more
accounts below their close-out line, round after round until nothing changes.

Model (docs/risk.md discusses the assumptions):

* all accounts hold long exposure to one price, ``P = 1 + x`` relative to the snapshot;
* an account's equity is ``equity + exposure·x`` and its required margin scales with the value
  of its exposure, ``margin_used·(1 + x)``; it is closed out when its equity is below
  ``close_out_level`` times that margin (ESMA: "falls below half", docs/sources.md, EU), or at or
  below it with ``inclusive=True`` (a platform's choice, docs/sources.md, house policy);
* a closed-out account sells its whole exposure. The sales of a round move the price by
  ``price_impact`` times the share of the book's initial exposure sold (linear, permanent
  impact: 0.5 means selling 10% of the book lowers the price by 5 points); the round's sales fill
  at the price after that move; the price does not fall below zero;
* negative equity left after a close-out is absorbed by the platform on accounts with negative
  balance protection (``platform_shortfall``) and is owed by the client otherwise (``client_debt``).

Each account's trigger is a price threshold computed once, so a round is a binary search in the
sorted thresholds plus a prefix sum: ``O(n log n)`` for the sort, then ``O(log n)`` per round.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from compliance.risk.liquidation import RiskInputError


@dataclass(frozen=True)
class CascadeResult:
    rounds: int                                # rounds in which at least one account was closed
    liquidated_per_round: tuple[int, ...]
    price_move_per_round: tuple[float, ...]    # price move x after each round's sales
    accounts_liquidated: int
    notional_sold: float                       # at the fill prices
    final_price_move: float
    platform_shortfall: float                  # negative equity on NBP accounts
    client_debt: float                         # negative equity on accounts without NBP
    converged: bool                            # False: stopped by max_rounds, still falling
    # Per account: the round it was closed in, 0 if it stayed open.
    liquidation_round: NDArray[np.int32] = field(compare=False, repr=False)


def _columns(equity: ArrayLike, exposure: ArrayLike,
             margin_used: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    columns = tuple(np.asarray(column, dtype=np.float64) for column in (equity, exposure, margin_used))
    if any(column.ndim != 1 or column.shape != columns[0].shape for column in columns):
        raise RiskInputError("equity, exposure and margin_used must be 1-D columns of one length")
    if not all(np.isfinite(column).all() for column in columns):
        raise RiskInputError("equity, exposure and margin_used must be finite numbers")
    if (columns[1] < 0).any() or (columns[2] < 0).any():
        raise RiskInputError("exposure and margin_used must not be negative (long books only)")
    return columns


def trigger_moves(equity: NDArray[np.float64], exposure: NDArray[np.float64],
                  margin_used: NDArray[np.float64], close_out_level: float,
                  initial_shock: float, inclusive: bool = False) -> NDArray[np.float64]:
    """Per account, the price move ``x*`` at which it is closed: it is closed at ``x`` when
    ``x < x*`` (``x <= x*`` if ``inclusive``).

    ``equity + exposure·x < level·margin·(1+x)`` is ``x·k < level·margin - equity`` with
    ``k = exposure - level·margin``. For ``k > 0`` that is ``x < x*``. For ``k <= 0`` a falling
    price never newly triggers it: the account is closed in the first round or never (+/-inf).
    """
    required = close_out_level * margin_used
    slope = exposure - required
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = (required - equity) / slope
    at_shock = equity + exposure * initial_shock
    line = required * (1.0 + initial_shock)
    closed_at_shock = at_shock <= line if inclusive else at_shock < line
    flat = np.where(closed_at_shock, np.inf, -np.inf)
    return np.where(slope > 0, threshold, flat)


def liquidation_cascade(equity: ArrayLike, exposure: ArrayLike, margin_used: ArrayLike, *,
                        close_out_level: float = 0.5, initial_shock: float = 0.0,
                        price_impact: float = 0.0,
                        negative_balance_protection: ArrayLike | bool = True,
                        max_rounds: int = 1000, inclusive: bool = False) -> CascadeResult:
    """Run the cascade that follows a price move of ``initial_shock`` (``-0.1``: a 10% fall)."""
    eq, exp_, margin = _columns(equity, exposure, margin_used)
    protected = np.broadcast_to(np.asarray(negative_balance_protection, dtype=bool), eq.shape)
    if close_out_level < 0 or price_impact < 0 or max_rounds < 1 or not initial_shock >= -1:
        raise RiskInputError("need close_out_level >= 0, price_impact >= 0, max_rounds >= 1 and "
                             "initial_shock >= -100%")
    thresholds = trigger_moves(eq, exp_, margin, close_out_level, initial_shock, inclusive)
    # Most fragile account first: a round closes a prefix of this order.
    order = np.argsort(-thresholds, kind="stable")
    ascending = np.ascontiguousarray(thresholds[order][::-1])
    sold_before = np.concatenate(([0.0], np.cumsum(exp_[order])))
    book = float(exp_.sum())
    side = "left" if inclusive else "right"

    round_of = np.zeros(eq.size, np.int32)
    fill_move = np.empty(eq.size)
    per_round: list[int] = []
    moves: list[float] = []
    move, closed = float(initial_shock), 0
    while len(per_round) < max_rounds:
        now_closed = eq.size - int(np.searchsorted(ascending, move, side=side))
        if now_closed <= closed:
            break
        sold = float(sold_before[now_closed] - sold_before[closed])
        move = max(move - (price_impact * sold / book if book > 0 else 0.0), -1.0)
        newly = order[closed:now_closed]
        round_of[newly] = len(per_round) + 1
        fill_move[newly] = move
        per_round.append(now_closed - closed)
        moves.append(move)
        closed = now_closed
    converged = eq.size - int(np.searchsorted(ascending, move, side=side)) <= closed

    fill_move[order[closed:]] = move  # open accounts are marked at the final price
    final_equity = eq + exp_ * fill_move
    loss_beyond_equity = np.maximum(-final_equity, 0.0)
    liquidated = round_of > 0
    return CascadeResult(
        rounds=len(per_round), liquidated_per_round=tuple(per_round),
        price_move_per_round=tuple(moves), accounts_liquidated=closed,
        notional_sold=float((exp_ * (1.0 + fill_move))[liquidated].sum()),
        final_price_move=move,
        platform_shortfall=float(loss_beyond_equity[protected].sum()),
        client_debt=float(loss_beyond_equity[~protected].sum()),
        converged=converged, liquidation_round=round_of)
