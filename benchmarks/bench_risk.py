"""Wall times of the risk maths: Monte Carlo of 100,000 paths x 250 daily steps for each model,
and a liquidation cascade over 1,000,000 synthetic accounts; then the peak memory.

    python benchmarks/bench_risk.py [--paths 100000] [--steps 250] [--accounts 1000000]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from compliance.risk.cascade import liquidation_cascade
from compliance.risk.liquidation import liquidation_drop_array
from compliance.risk.montecarlo import MODELS, simulate_liquidation


def synthetic_book(accounts: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """A retail CFD book: lognormal sizes, ESMA leverage caps, equity 0.6x to 3x the margin."""
    rng = np.random.default_rng(seed)
    exposure = rng.lognormal(10.0, 1.0, accounts)
    margin = exposure / rng.choice([2.0, 5.0, 10.0, 20.0, 30.0], accounts)
    return {"equity": margin * rng.uniform(0.6, 3.0, accounts), "exposure": exposure,
            "margin_used": margin,
            "negative_balance_protection": rng.uniform(size=accounts) < 0.9}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    args = parser.parse_args()

    drop = float(liquidation_drop_array(3.0, 0.25))
    for model in MODELS:
        start = time.perf_counter()
        result = simulate_liquidation(3.0, drop, expected_return=0.08, volatility=0.25,
                                      financing_rate=0.06, horizon_days=args.steps,
                                      paths=args.paths, seed=42, model=model, df=4)
        elapsed = time.perf_counter() - start
        print(f"monte carlo {model:<9} {args.paths:>9,} paths x {args.steps} steps: "
              f"{elapsed:6.3f} s  (P(liquidation) {result.liquidation_probability:.4f})")

    book = synthetic_book(args.accounts)
    start = time.perf_counter()
    cascade = liquidation_cascade(**book, close_out_level=0.5, initial_shock=-0.03,
                                  price_impact=0.3)
    elapsed = time.perf_counter() - start
    print(f"cascade {args.accounts:>13,} accounts:             {elapsed:6.3f} s  "
          f"({cascade.rounds} rounds, {cascade.accounts_liquidated:,} closed, "
          f"price {cascade.final_price_move:+.2%})")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = peak / 2 ** 20 if sys.platform == "darwin" else peak / 2 ** 10  # bytes on macOS
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
