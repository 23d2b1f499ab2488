"""Print how long reading, metrics and stress take on a generated snapshot, and the peak memory.

    python benchmarks/bench_snapshot.py [--rows 1000000] [--seed 7]

Generates benchmarks/data/accounts_<rows>.csv and .parquet (git-ignored) when they are missing.
Targets for 1,000,000 accounts on two cores (issue 4): CLI end to end under 3 s from Parquet and
6 s from CSV, peak memory under 2 GB.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate_snapshot import generate  # noqa: E402
from compliance.audit import compute_metrics, parse_shocks, run_stress  # noqa: E402
from compliance.documents.snapshot import load_snapshot  # noqa: E402


def timed(label: str, action, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<28} {best:8.3f} s  (best of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(data, exist_ok=True)
    stem = os.path.join(data, f"accounts_{args.rows}")
    if not (os.path.exists(stem + ".csv") and os.path.exists(stem + ".parquet")):
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq
        table = generate(args.rows, args.seed)
        pacsv.write_csv(table, stem + ".csv")
        pq.write_table(table, stem + ".parquet")
        del table
    for suffix in (".csv", ".parquet"):
        print(f"{os.path.basename(stem + suffix):<28} {os.path.getsize(stem + suffix) / 2**20:8.1f} MiB")
    timed(f"read CSV ({args.rows:,})", lambda: load_snapshot(stem + ".csv"))
    snapshot = timed(f"read Parquet ({args.rows:,})", lambda: load_snapshot(stem + ".parquet"))
    timed("metrics", lambda: compute_metrics(snapshot, warning_level=Decimal("0.8"),
                                             close_out_level=Decimal("0.5"),
                                             close_out_at_or_below=False))
    shocks = parse_shocks("-5%,-10%,-20%")
    timed("stress (3 shocks)", lambda: run_stress(snapshot, shocks, close_out_level=Decimal("0.5"),
                                                  close_out_at_or_below=False))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{'peak RSS':<28} {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
