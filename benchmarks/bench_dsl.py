"""Print how long the rules language takes: reading a ruleset cold, and evaluating a contract.

    python benchmarks/bench_dsl.py [--runs 11] [--evaluations 1000] [--contract FILE]

(a) parse + check of the largest built-in ruleset in a fresh interpreter each run (``python -c``),
    with nothing cached anywhere (there is no parse cache): the parser's set-up (loading the
    shipped LALR tables, compiling the lexer), the parse, the check against the contract and
    snapshot types, their sum, and apart from it the module imports and the whole process's wall
    time. Bytecode is compiled once beforehand, as ``pip install`` does. Medians of ``--runs``.
(b) evaluation of every contract rule of esma_like and platform_default on one contract, in process:
    median time per contract over ``--evaluations`` evaluations.
(c) growth: parse time of a list, a map and a message with n and 4n items; a ratio near 4 is
    linear (a copy per repetition once made a 4x longer list 9x slower).
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
from pathlib import Path
from compliance.dsl import checker, loader, parser
from compliance.documents.contract import contract_type
from compliance.documents.snapshot_fields import snapshot_type
import compliance.documents.models, compliance.evaluate.builtins  # what the checker reads
imported = time.perf_counter()
parser._machinery()
ready = time.perf_counter()
files, sha = loader.parse_chain(Path({path!r}))
parsed = time.perf_counter()
checker.check(files, loader.default_document_types, sha)
checked = time.perf_counter()
print(imported - start, ready - imported, parsed - ready, checked - parsed)
"""
PHASES = ("imports", "set-up", "parse", "check")


def cold_load(path: Path, runs: int) -> tuple[dict[str, float], float]:
    """Median seconds per phase in a fresh process, and the median whole-process wall time."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-c", _CHILD.format(root=str(ROOT), path=str(path))]
    subprocess.run(command, env=env, check=True, capture_output=True)  # writes the bytecode
    phases: dict[str, list[float]] = {name: [] for name in PHASES}
    wall = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        for name, value in zip(PHASES, done.stdout.split()):
            phases[name].append(float(value))
    return {name: statistics.median(values) for name, values in phases.items()}, statistics.median(wall)


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


_GROWTH_HEADER = 'ruleset g\n\nrule G-1 "g"\n  topic leverage_cap\n  severity error\n  citation "c"\n'
GROWTH = {
    "list": lambda n: _GROWTH_HEADER + "  require x in [" + ", ".join(["1"] * n) + "]\n",
    "map": lambda n: _GROWTH_HEADER + "  require {" + ", ".join(f"k{i}: 1" for i in range(n)) + "} == x\n",
    "message": lambda n: _GROWTH_HEADER + '  require true\n  message "' + "{a.b} " * n + '"\n',
}


def growth(n: int) -> dict[str, float]:
    """Parse time at 4n items over parse time at n items, per construct (best of three each)."""
    from compliance.dsl.parser import parse_ruleset

    def best(text: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            parse_ruleset(text, "growth.rules")
            times.append(time.perf_counter() - start)
        return min(times)

    return {name: best(make(4 * n)) / best(make(n)) for name, make in GROWTH.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--contract", default=str(ROOT / "contract_templates" / "eu_retail_cfd.yaml"))
    args = parser.parse_args()

    files = sorted(builtin_dir().glob("*.rules"), key=lambda p: p.stat().st_size)
    if not files:
        sys.exit("no built-in rulesets found")
    largest = files[-1]
    lines = largest.read_text(encoding="utf-8").count("\n")
    print(f"(a) parse + check of {largest.name} ({largest.stat().st_size:,} bytes, {lines} lines), "
          f"fresh process, nothing cached, median of {args.runs}")
    phases, wall = cold_load(largest, args.runs)
    total = phases["set-up"] + phases["parse"] + phases["check"]
    print(f"    parse + check {total * 1000:6.1f} ms  (parser set-up {phases['set-up'] * 1000:.1f}, "
          f"parse {phases['parse'] * 1000:.1f}, check {phases['check'] * 1000:.1f})")
    print(f"    besides: module imports {phases['imports'] * 1000:.1f} ms; "
          f"whole process wall {wall * 1000:.1f} ms")
    per_contract, rules = evaluation(args.contract, args.evaluations)
    print(f"(b) evaluation of {rules} contract rules (esma_like + platform_default) on "
          f"{Path(args.contract).name}: median {per_contract * 1000:.2f} ms per contract "
          f"over {args.evaluations} evaluations")
    ratios = growth(2000)
    print("(c) parse time at 8,000 items over 2,000 items: "
          + ", ".join(f"{name} {ratio:.1f}x" for name, ratio in ratios.items()) + " (linear: ~4x)")
    print("    targets: parse + check well under 100 ms; evaluation under 5 ms per contract")


if __name__ == "__main__":
    main()
