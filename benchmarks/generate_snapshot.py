"""Write a seeded, realistic synthetic account snapshot (CSV or Parquet, by the output's extension).

    python benchmarks/generate_snapshot.py --rows 1000000 --seed 7 --out benchmarks/data/accounts_1m.csv

The mix: ~92% retail, 7% professional, 1% eligible counterparties; EUR/GBP/USD; balances lognormal
around EUR 3,000; leverage per account mostly within the ESMA retail cap of its instrument class with
a ~2% tail above it; margin levels spread so that a few percent sit near or below a 50% close-out
and ~0.3% have negative equity; negative balance protection on for retail, mostly off otherwise.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import pyarrow as pa

CLASSES = ("fx_major", "fx_minor", "gold", "index_major", "index_minor", "commodity", "equity",
           "crypto", "bond", "other")
CLASS_WEIGHTS = (0.38, 0.12, 0.08, 0.16, 0.04, 0.06, 0.10, 0.04, 0.01, 0.01)
# ESMA retail caps by class (minimum margin 3.33%, 5%, 5%, 5%, 10%, 10%, 20%, 50%, 10%, 20%).
RETAIL_CAP = (30.0, 20.0, 20.0, 20.0, 10.0, 10.0, 5.0, 2.0, 10.0, 5.0)


def generate(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    category = rng.choice(3, size=rows, p=(0.92, 0.07, 0.01))
    currency = rng.choice(3, size=rows, p=(0.6, 0.25, 0.15))
    instrument = rng.choice(len(CLASSES), size=rows, p=CLASS_WEIGHTS)
    product = rng.choice(5, size=rows, p=(0.7, 0.12, 0.1, 0.07, 0.01))

    balance = np.round(rng.lognormal(mean=8.0, sigma=1.4, size=rows), 2)
    balance[category > 0] *= 20
    cap = np.asarray(RETAIL_CAP)[instrument] * np.where(category > 0, 5.0, 1.0)
    # Used leverage: mostly well within the cap; a 2% tail breaches it by up to 3x.
    used = cap * rng.beta(2.0, 5.0, size=rows)
    breach = rng.random(rows) < 0.02
    used[breach] = cap[breach] * rng.uniform(1.0, 3.0, size=int(breach.sum()))
    flat = rng.random(rows) < 0.15                       # no open positions
    exposure = np.round(np.where(flat, 0.0, balance * used), 2)
    margin_used = np.round(exposure / cap, 2)
    # Unrealised P&L: a return on the notional, with fat tails for the unlucky ones.
    pnl_return = rng.standard_t(df=3, size=rows) * 0.01
    equity = np.round(balance + exposure * pnl_return, 2)
    balance = np.where(rng.random(rows) < 0.002, -np.abs(balance) * 0.05, balance).round(2)
    largest = np.round(exposure * rng.uniform(0.3, 1.0, size=rows), 2)
    positions = np.where(flat, 0, rng.poisson(3.0, size=rows) + 1)
    nbp = np.where(category == 0, rng.random(rows) < 0.995, rng.random(rows) < 0.2)

    ids = pa.array(np.char.add("AC", np.arange(1, rows + 1).astype("U10")).astype(object), pa.string())
    labels = (("retail", "professional", "eligible_counterparty"), ("EUR", "GBP", "USD"), CLASSES,
              ("cfd", "spread_bet", "margin_account", "margin_loan", "binary_option"))

    def text(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names)
                                              ).cast(pa.string())

    return pa.table({
        "account_id": ids,
        "client_category": text(category, labels[0]),
        "currency": text(currency, labels[1]),
        "balance": balance, "equity": equity, "margin_used": margin_used, "exposure": exposure,
        "largest_position": largest,
        "instrument_class": text(instrument, labels[2]),
        "product_type": text(product, labels[3]),
        "positions_count": positions.astype(np.int64),
        "negative_balance_protection": nbp,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True, help="a .csv or .parquet file")
    args = parser.parse_args()
    table = generate(args.rows, args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.out.endswith(".parquet"):
        import pyarrow.parquet as pq
        pq.write_table(table, args.out)
    else:
        import pyarrow.csv as pacsv
        pacsv.write_csv(table, args.out, pacsv.WriteOptions(quoting_style="none"))
    print(f"wrote {args.rows:,} accounts to {args.out}")


if __name__ == "__main__":
    main()
