"""Issue 18 figures: ``rules prove`` on the built-in rulesets, ``impact`` over a large snapshot,
and witnesses per rule, each beside a baseline measured in the same run.

    python benchmarks/bench_analysis.py [--rows 1000000] [--seed 7] [--repeat 3]

Targets: prove under 10 s per pair, impact over 1,000,000 accounts under 10 s, a witness under
1 s per rule. Baselines: loading the rulesets (prove, witness) and one plain ``evaluate_snapshot``
pass (impact does two plus the listed rows). Times are medians of ``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from compliance.analysis.cases import rule_case  # noqa: E402
from compliance.analysis.impact import impact  # noqa: E402
from compliance.analysis.prove import prove  # noqa: E402
from compliance.documents.snapshot import load_snapshot  # noqa: E402
from compliance.dsl.loader import builtin_names, load_ruleset, load_ruleset_text  # noqa: E402
from compliance.evaluate.vector import evaluate_snapshot  # noqa: E402

AS_OF = _dt.date(2026, 1, 1)
PAIRS = [("fca_like", "esma_like", "contract"), ("esma_like", "esma_like", "contract"),
         ("esma_like", "esma_like", "account"), ("platform_default", "esma_like", "contract"),
         ("platform_default", "esma_like", "account"), ("platform_default", "finra_like", "contract"),
         ("platform_default", "finra_like", "account")]
LOOSER = 'ruleset house\n  version "1"\n  extends esma_like\n\noverride let close_out_level = 40% from 2018-08-01\n'


def median(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def snapshot_path(rows: int, seed: int) -> str:
    folder = os.path.join(ROOT, "benchmarks", "data")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"audit_{rows}_s{seed}.parquet")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate_snapshot.py"),
                        "--rows", str(rows), "--seed", str(seed), "--out", path], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rulesets = {name: load_ruleset(name) for name in builtin_names()}
    print("== rules prove (target < 10 s per pair)")
    load = median(lambda: [load_ruleset_text(open(r.path, encoding="utf-8").read(), r.path)
                           for r in rulesets.values()], args.repeat)
    print(f"  baseline: parse and check all {len(rulesets)} built-in rulesets: {load:.3f} s")
    for house, reg, target in PAIRS:
        seconds = median(lambda: prove(rulesets[house], rulesets[reg], AS_OF, target), args.repeat)
        result = prove(rulesets[house], rulesets[reg], AS_OF, target)
        counts = {v: sum(1 for x in result.verdicts if x.verdict == v) for v in
                  ("implied", "not_implied", "not_analysed", "undecided")}
        print(f"  {house} >= {reg} ({target}): {seconds:.3f} s ({seconds / load:.1f}x baseline) {counts}")

    print("== witnesses (target < 1 s per rule)")
    per_rule = []
    for name, ruleset in rulesets.items():
        for rule in ruleset.rules:
            if rule.ruleset != name:
                continue
            start = time.perf_counter()
            rule_case(ruleset, rule, AS_OF, "failed")
            per_rule.append((time.perf_counter() - start, f"{name}:{rule.rule_id}"))
    per_rule.sort()
    times = [t for t, _ in per_rule]
    print(f"  {len(times)} rules: median {statistics.median(times):.3f} s, max {times[-1]:.3f} s "
          f"({per_rule[-1][1]}); {sum(t >= 1 for t in times)} over 1 s")

    print(f"== impact over {args.rows:,} accounts (target < 10 s)")
    path = snapshot_path(args.rows, args.seed)
    esma = rulesets["esma_like"]
    looser = load_ruleset_text(LOOSER, "house.rules")
    snapshot = load_snapshot(path)
    base = median(lambda: evaluate_snapshot(esma, snapshot, AS_OF), args.repeat)
    loading = median(lambda: load_snapshot(path), args.repeat)
    print(f"  baseline: load the snapshot {loading:.3f} s; one evaluate_snapshot pass {base:.3f} s")
    for label, new, dates in (("two dates", esma, (_dt.date(2018, 7, 1), AS_OF)),
                              ("two rulesets", looser, (AS_OF, AS_OF))):
        seconds = median(lambda: impact([path], esma, new, *dates), args.repeat)
        result = impact([path], esma, new, *dates)
        flipped = sum(result.snapshots[0].counts.values())
        print(f"  {label}: {seconds:.3f} s end to end ({seconds / (loading + base):.1f}x load + one pass); "
              f"{flipped:,} account verdicts change")


if __name__ == "__main__":
    main()
