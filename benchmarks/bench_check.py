"""Contract review timings (issue 3): one cold `compliance check` process, and 1,000 contracts in one run.

    python benchmarks/bench_check.py [--runs 7] [--contracts 1000]

Prints the median wall time of a fresh process checking one contract against esma_like, and the
wall time of one process checking N contracts (copies of the bundled templates with distinct ids).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "compliance", "check"]


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(COMMAND + args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--contracts", type=int, default=1000)
    options = parser.parse_args()
    one = [wall(["contract_templates/eu_retail_cfd.yaml", "--ruleset", "esma_like"]) for _ in range(options.runs)]
    print(f"one contract, cold process (esma_like): median {statistics.median(one) * 1000:.0f} ms "
          f"over {options.runs} runs (min {min(one) * 1000:.0f} ms); target < 300 ms")
    templates = sorted((ROOT / "contract_templates").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        for index in range(options.contracts):
            source = templates[index % len(templates)].read_text(encoding="utf-8")
            text = source.replace("\nid: ", f"\nid: BENCH-{index:05d}-", 1)
            (Path(folder) / f"contract_{index:05d}.yaml").write_text(text, encoding="utf-8")
        seconds = wall([folder, "--format", "json", "--output", str(Path(folder) / "out.json")])
    print(f"{options.contracts} contracts in one run (each against its declared rulesets): "
          f"{seconds:.2f} s; target < 3 s")


if __name__ == "__main__":
    main()
