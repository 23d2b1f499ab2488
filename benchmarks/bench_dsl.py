"""Print how long the rules language takes: reading a ruleset cold, and evaluating a contract.

    python benchmarks/bench_dsl.py [--runs 5] [--evaluations 1000] [--contract FILE]

(a) parse + check of the largest built-in ruleset in a fresh interpreter (``python -c``), timed inside
    the subprocess around the load and as the whole process's wall time; median of ``--runs``, with
    the Lark table cache and without it (COMPLIANCE_NO_CACHE=1).
(b) evaluation of every contract rule of esma_like and platform_default on one contract, in process:
    median time per contract over ``--evaluations`` evaluations.
Targets: parse + check well under 100 ms; evaluation under 5 ms per contract.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.dsl.loader import builtin_dir, load_ruleset  # noqa: E402

_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
from compliance.dsl.loader import load_ruleset
load_ruleset({path!r})
print(time.perf_counter() - start)
"""


def cold_load(path: Path, runs: int, no_cache: bool) -> tuple[float, float]:
    """Median (load inside the process, whole process wall time), in seconds."""
    env = dict(os.environ)
    env.pop("COMPLIANCE_NO_CACHE", None)
    if no_cache:
        env["COMPLIANCE_NO_CACHE"] = "1"
    else:  # warm the cache file once, so the runs measure reading it rather than writing it
        subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), path=str(path))],
                       env=env, check=True, capture_output=True)
    inside, wall = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), path=str(path))],
                              env=env, check=True, capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        inside.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(inside), statistics.median(wall)


def evaluation(contract_path: str, evaluations: int) -> tuple[float, int]:
    """Median seconds per contract for all contract rules of both rulesets, and the rule count."""
    from compliance.documents.contract import load_contract
    from compliance.evaluate.scalar import evaluate_document, params_as_of

    document = load_contract(contract_path)
    as_of = _dt.date(2026, 1, 1)
    rulesets = [load_ruleset(name) for name in ("esma_like", "platform_default")
                if (builtin_dir() / f"{name}.rules").is_file()]
    prepared = [(rs, [r for r in rs.rules if r.target == "contract"], params_as_of(rs, as_of, document))
                for rs in rulesets]
    timings = []
    for _ in range(evaluations):
        start = time.perf_counter()
        for ruleset, rules, params in prepared:
            evaluate_document(ruleset, document, as_of, rules=rules, params=params)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), sum(len(rules) for _rs, rules, _p in prepared)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--contract", default=str(ROOT / "contract_templates" / "eu_retail_cfd.yaml"))
    args = parser.parse_args()

    files = sorted(builtin_dir().glob("*.rules"), key=lambda p: p.stat().st_size)
    if not files:
        sys.exit("no built-in rulesets found")
    largest = files[-1]
    lines = largest.read_text(encoding="utf-8").count("\n")
    print(f"(a) parse + check of {largest.name} ({largest.stat().st_size:,} bytes, {lines} lines), "
          f"fresh process, median of {args.runs}")
    for label, no_cache in (("with table cache", False), ("without cache (COMPLIANCE_NO_CACHE=1)", True)):
        inside, wall = cold_load(largest, args.runs, no_cache)
        print(f"    {label:<40} load {inside * 1000:7.1f} ms   process wall {wall * 1000:7.1f} ms")
    per_contract, rules = evaluation(args.contract, args.evaluations)
    print(f"(b) evaluation of {rules} contract rules (esma_like + platform_default) on "
          f"{Path(args.contract).name}: median {per_contract * 1000:.2f} ms per contract "
          f"over {args.evaluations} evaluations")
    print("    targets: parse + check well under 100 ms; evaluation under 5 ms per contract")


if __name__ == "__main__":
    main()
