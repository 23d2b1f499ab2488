"""Issue 4 figures for ``compliance audit``: evaluation, CLI end to end, peak memory, cel-python.

    python benchmarks/bench_audit.py [--rows 1000000] [--seed 7] [--repeat 3]
                                     [--cel-rows 1000] [--cel-compare-rows 100000] [--scalar-rows 10000]

Generates benchmarks/data/audit_<rows>_s<seed>.csv and .parquet (git-ignored) with
benchmarks/generate_snapshot.py when missing. Evaluates ALL account rules of esma_like and
platform_default (or, if those do not load, the small account ruleset embedded below, and says so).

Targets for 1,000,000 accounts (issue 4): evaluation under 1 s, CLI under 3 s from Parquet and 6 s
from CSV, peak memory under 2 GB; ours at least 100x faster than cel-python per account.

cel-python's interpreter needs milliseconds per expression, so evaluating 100,000 accounts x 11
rules takes hours: by default it runs on ``--cel-rows`` accounts and its time is scaled linearly to
``--cel-compare-rows`` (printed as "extrapolated"); pass ``--cel-rows 100000`` for the full run.
Times are medians; a measurement longer than ``--budget`` seconds is not repeated.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from compliance.documents.snapshot import load_snapshot  # noqa: E402
from compliance.dsl.loader import load_ruleset  # noqa: E402
from compliance.evaluate import vector  # noqa: E402
from compliance.evaluate.scalar import Evaluator, evaluate_rule, overall, params_as_of  # noqa: E402
from compliance.evaluate.vector import evaluate_rule_columns, evaluate_snapshot  # noqa: E402

AS_OF = _dt.date(2026, 1, 31)
RULESETS = ("esma_like", "platform_default")

# Used only when the built-in rulesets do not load (they are being edited): /tmp/acc.rules-like.
FALLBACK_RULES = '''\
ruleset bench_fallback
  version "1"
let close_out_level = 50%
let cap = {fx_major: 30:1, gold: 20:1, equity: 5:1, crypto: 2:1}
rule ACC-MCO-1 "close-out"
  topic margin_close_out
  severity error
  citation "x"
  applies to account
  when client_category == "retail" and margin_used > 0
  require equity >= close_out_level * margin_used
rule ACC-NBP-1 "nbp"
  topic negative_balance_protection
  severity error
  citation "x"
  applies to account
  when negative_balance_protection
  require equity >= 0
  subject equity
rule ACC-LEV-1 "lev"
  topic leverage_cap
  severity error
  citation "x"
  applies to account
  when exists instrument_class and instrument_class in ["fx_major", "gold", "equity", "crypto"] and equity > 0
  require leverage_of(exposure, equity) <= cap[instrument_class]
exception ACC-LEV-1-PRO to ACC-LEV-1 "pro"
  when client_category != "retail"
'''

# ---- the same rules in CEL, translated by hand ---------------------------------------------------
# ``a`` is the account as a map holding only the values present, so ``has(a.x)`` is ``exists x``
# and reading an absent value is a CEL error, which &&, || and ?: absorb like the DSL's Kleene
# logic. Each rule is (when, exception, require); "" means none. ``leverage_of(exposure, equity)``
# is missing when equity <= 0, and a missing require fails: ``a.equity > 0.0 && ...`` is the same.
CFD_LIKE = '(!has(a.product_type) || a.product_type in ["cfd", "spread_bet", "rolling_spot_fx"])'
EXEMPT = 'a.client_category in ["professional", "eligible_counterparty"]'
RETAIL_CAP = ('{"fx_major": 30.0, "fx_minor": 20.0, "gold": 20.0, "index_major": 20.0, '
              '"index_minor": 10.0, "commodity": 10.0, "equity": 5.0, "crypto": 2.0, "bond": 5.0, '
              '"other": 5.0}')
MARGIN = 'a.product_type in ["margin_loan", "margin_account"]'
CEL_RULES: dict[str, tuple[str, str, str]] = {
    # esma_like, as of 2026: close_out_level 50%, close_out_comparison "below", concentration 30%
    "ESMA-ACC-MCO-1": (f"{CFD_LIKE} && a.margin_used > 0.0", EXEMPT,
                       'a.equity > 0.5 * a.margin_used || ("below" == "below" && a.equity == 0.5 * a.margin_used)'),
    "ESMA-ACC-MCO-2": (f'{CFD_LIKE} && a.margin_used > 0.0 && "below" == "below"', EXEMPT,
                       "a.equity != 0.5 * a.margin_used"),
    "ESMA-ACC-NBP-1": (f"{CFD_LIKE} && a.negative_balance_protection == true", EXEMPT, "a.equity >= 0.0"),
    "ESMA-ACC-NBP-2": (CFD_LIKE, EXEMPT,
                       "!(has(a.negative_balance_protection) && a.negative_balance_protection == false)"),
    "ESMA-ACC-LEV-1": (f"{CFD_LIKE} && has(a.instrument_class) && a.equity > 0.0", EXEMPT,
                       f"a.equity > 0.0 && a.exposure / a.equity <= {RETAIL_CAP}[a.instrument_class]"),
    "ESMA-ACC-CONC-1": ("has(a.largest_position) && a.exposure > 0.0 && "
                        "(!has(a.positions_count) || a.positions_count > 1)", "",
                        "a.largest_position <= 0.3 * a.exposure"),
    # platform_default: warning 150%, close-out 130% "at_or_below", 2:1, concentration 30%
    "PD-ACC-MC-1": (f"{MARGIN} && a.exposure > a.equity", "", "a.exposure >= 1.5 * (a.exposure - a.equity)"),
    "PD-ACC-MCO-1": (f"{MARGIN} && a.exposure > a.equity", "",
                     'a.exposure > 1.3 * (a.exposure - a.equity) || ("at_or_below" == "below" && '
                     "a.exposure == 1.3 * (a.exposure - a.equity))"),
    "PD-ACC-NBP-1": ("", "", "a.equity >= 0.0"),
    "PD-ACC-LEV-1": (f"{MARGIN} && a.equity > 0.0", "", "a.equity > 0.0 && a.exposure / a.equity <= 2.0"),
    "PD-ACC-CONC-1": ("has(a.largest_position) && a.exposure > 0.0", "", "a.largest_position <= 0.3 * a.exposure"),
    # the fallback rules
    "ACC-MCO-1": ('a.client_category == "retail" && a.margin_used > 0.0', "", "a.equity >= 0.5 * a.margin_used"),
    "ACC-NBP-1": ("a.negative_balance_protection", "", "a.equity >= 0.0"),
    "ACC-LEV-1": ('has(a.instrument_class) && a.instrument_class in ["fx_major", "gold", "equity", "crypto"] '
                  "&& a.equity > 0.0", 'a.client_category != "retail"',
                  'a.equity > 0.0 && a.exposure / a.equity <= {"fx_major": 30.0, "gold": 20.0, '
                  '"equity": 5.0, "crypto": 2.0}[a.instrument_class]'),
}


# ---- helpers --------------------------------------------------------------------------------

def measure(action: Callable[[], Any], repeat: int, budget: float) -> tuple[float, int, Any]:
    """Median wall time of up to ``repeat`` runs; a run longer than ``budget`` is not repeated."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
        if times[-1] > budget:
            break
    return statistics.median(times), len(times), result


def verdict(value: float, target: float) -> str:
    return f"target < {target:g}: {'met' if value < target else 'MISSED'}"


def ensure_data(rows: int, seed: int) -> tuple[str, str]:
    data = os.path.join(ROOT, "benchmarks", "data")
    os.makedirs(data, exist_ok=True)
    stem = os.path.join(data, f"audit_{rows}_s{seed}")
    for suffix in (".csv", ".parquet"):
        if not os.path.exists(stem + suffix):
            subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate_snapshot.py"),
                            "--rows", str(rows), "--seed", str(seed), "--out", stem + suffix], check=True)
    return stem + ".csv", stem + ".parquet"


def rulesets_to_run(tmp: str) -> tuple[list[Any], list[str]]:
    """(loaded rulesets, the --ruleset arguments for the CLI)."""
    try:
        return [load_ruleset(name) for name in RULESETS], list(RULESETS)
    except Exception as error:  # noqa: BLE001 - report and fall back
        print(f"NOTE: the built-in rulesets do not load ({error}); using the embedded fallback rules")
        path = os.path.join(tmp, "bench_fallback.rules")
        with open(path, "w") as handle:
            handle.write(FALLBACK_RULES)
        return [load_ruleset(path)], [path]


def head_snapshot(parquet: str, rows: int, tmp: str) -> Any:
    import pyarrow.parquet as pq
    path = os.path.join(tmp, f"head_{rows}.parquet")
    pq.write_table(pq.read_table(parquet).slice(0, rows), path)
    return load_snapshot(path)


def evaluate_all(rulesets: list[Any], snapshot: Any) -> list[Any]:
    return [outcome for ruleset in rulesets for outcome in evaluate_snapshot(ruleset, snapshot, AS_OF)]


def run_cli(path: str, ruleset: str, output: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) of this one child (wait4), exit code."""
    command = [sys.executable, "-m", "compliance", "audit", path, "--ruleset", ruleset, "--format", "json",
               "--output", output, "--as-of", AS_OF.isoformat(), "--fail-on", "never"]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        print(f"  CLI exit {process.returncode}: {process.stderr.read().decode()[:500]}")  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    return elapsed, usage.ru_maxrss / 1024, process.returncode


# ---- cel-python ----------------------------------------------------------------------------------

def cel_rows(snapshot: Any, count: int) -> list[Any]:
    """Each account as a CEL map of the values present (building it is part of CEL's cost)."""
    from celpy import celtypes as ct

    columns: dict[str, tuple[list[Any], Any]] = {}
    for name, values in snapshot.numeric.items():
        valid = snapshot.valid.get(name, np.ones(snapshot.n_rows, bool))[:count]
        kind = ct.IntType if name == "positions_count" else ct.DoubleType
        columns[name] = ([kind(int(v) if kind is ct.IntType else float(v)) for v in values[:count]], valid)
    for name, (codes, labels) in snapshot.categories.items():
        cel_labels = [ct.StringType(label) for label in labels]
        columns[name] = ([cel_labels[c] if c >= 0 else None for c in codes[:count]], codes[:count] >= 0)
    for name, flags in snapshot.flags.items():
        columns[name] = ([ct.BoolType(bool(v)) for v in flags[:count]],
                         snapshot.valid.get(name, np.ones(snapshot.n_rows, bool))[:count])
    keys = {name: ct.StringType(name) for name in columns}
    return [ct.MapType({keys[name]: values[i] for name, (values, valid) in columns.items() if valid[i]})
            for i in range(count)]


class CelRule:
    """One rule as one CEL program (when ? (exception ? n/a : (require ? passed : failed)) : n/a);
    when that program errors (a value it reads is absent), the three parts are evaluated separately
    with the DSL's rule: an unknown when is not applicable, an unknown require fails."""

    def __init__(self, env: Any, when: str, exception: str, require: str):
        outcome = f"(({require}) ? 1 : 2)"
        if exception:
            outcome = f"(({exception}) ? 0 : {outcome})"
        whole = f"({when}) ? {outcome} : 0" if when else outcome
        self.program = env.program(env.compile(whole))
        self.parts = [env.program(env.compile(part)) if part else None for part in (when, exception, require)]

    def outcome(self, activation: dict[str, Any]) -> int:
        from celpy.celtypes import IntType
        try:
            result = self.program.evaluate(activation)
            if isinstance(result, IntType):
                return int(result)
        except Exception:  # noqa: BLE001 - CELEvalError: fall back to the three-valued parts
            pass
        when, exception, require = (self._truth(part, activation) for part in self.parts)
        if when is not True or exception is True:
            return 0
        return 1 if require is True else 2

    @staticmethod
    def _truth(program: Any, activation: dict[str, Any]) -> bool | None:
        if program is None:
            return None
        try:
            return bool(program.evaluate(activation))
        except Exception:  # noqa: BLE001
            return None


def bench_cel(rules: list[Any], snapshot: Any, count: int, ours: list[Any]) -> float:
    import celpy

    env = celpy.Environment()
    compiled = {rule.rule_id: CelRule(env, *CEL_RULES[rule.rule_id]) for rule in rules}
    start = time.perf_counter()
    activations = [{"a": account} for account in cel_rows(snapshot, count)]
    built = time.perf_counter() - start
    outcomes = {rule.rule_id: np.fromiter((compiled[rule.rule_id].outcome(act) for act in activations),
                                          dtype=np.int8, count=count) for rule in rules}
    elapsed = time.perf_counter() - start
    disagree = {rule_id: int((outcomes[rule_id] != mine.outcomes[:count]).sum())
                for rule_id, mine in ((o.rule.rule_id, o) for o in ours)}
    print(f"  cel-python on {count:,} accounts x {len(rules)} rules: {elapsed:.2f} s "
          f"({built:.2f} s building the maps), {elapsed / count * 1e6:,.0f} us per account")
    print(f"  outcomes differing from ours: {sum(disagree.values())} "
          f"{ {k: v for k, v in disagree.items() if v} or ''}")
    return elapsed


# ---- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="do not repeat runs longer than this")
    parser.add_argument("--cel-rows", type=int, default=1_000)
    parser.add_argument("--cel-compare-rows", type=int, default=100_000)
    parser.add_argument("--scalar-rows", type=int, default=10_000)
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    csv_path, parquet_path = ensure_data(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        rulesets, cli_rulesets = rulesets_to_run(tmp)
        rules = [rule for ruleset in rulesets for rule in ruleset.rules if rule.target == "account"]
        print(f"rules: {len(rules)} account rules of {', '.join(r.name for r in rulesets)}")
        snapshot = load_snapshot(parquet_path)
        print(f"snapshot: {snapshot.n_rows:,} accounts ({os.path.basename(parquet_path)})")

        # 1. evaluation, in process
        print("\n[evaluation] evaluate_snapshot over every account rule")
        seconds, runs, outcomes = measure(lambda: evaluate_all(rulesets, snapshot), args.repeat, args.budget)
        print(f"  all rules: {seconds:.3f} s (median of {runs})  {verdict(seconds, 1.0)}")
        for outcome in outcomes:
            start = time.perf_counter()
            evaluate_rule_columns(outcome.rule, snapshot, params_as_of(
                next(r for r in rulesets if r.rule(outcome.rule.rule_id)), AS_OF), AS_OF)
            print(f"    {outcome.rule.rule_id:<16} {time.perf_counter() - start:8.3f} s  "
                  f"vectorised={outcome.vectorised!s:<5} exact fallback rows={outcome.fallback_rows:,}")
        slow = [o.rule.rule_id for o in outcomes if not o.vectorised]
        if slow:
            print(f"  NOT vectorised (every row through the scalar evaluator): {', '.join(slow)}")
        fallback = sum(o.fallback_rows for o in outcomes)
        if fallback:
            print(f"  rows sent to the exact evaluator: {fallback:,}")
            original = vector._vector_outcomes
            vector._vector_outcomes = _outcomes_undecided_where_it_matters
            try:
                patched, runs, patched_outcomes = measure(lambda: evaluate_all(rulesets, snapshot),
                                                          args.repeat, args.budget)
            finally:
                vector._vector_outcomes = original
            same = all((a.outcomes == b.outcomes).all() for a, b in zip(outcomes, patched_outcomes))
            print(f"  what-if (proposed patch: only rows whose outcome depends on an undecided "
                  f"comparison fall back): {patched:.3f} s (median of {runs}), "
                  f"{sum(o.fallback_rows for o in patched_outcomes):,} fallback rows, outcomes identical: {same}")

        # 2. the CLI, end to end
        if not args.skip_cli:
            print("\n[CLI] python -m compliance audit FILE --ruleset R --format json --output FILE")
            output = os.path.join(tmp, "report.json")
            for label, path, target in (("Parquet", parquet_path, 3.0), ("CSV", csv_path, 6.0)):
                for ruleset in cli_rulesets:
                    samples = []
                    for _ in range(args.repeat):
                        samples.append(run_cli(path, ruleset, output))
                        if samples[-1][0] > args.budget:
                            break
                    wall = statistics.median(s[0] for s in samples)
                    peak = max(s[1] for s in samples)
                    print(f"  {label:<8} {os.path.basename(ruleset):<18} {wall:8.3f} s (median of "
                          f"{len(samples)})  {verdict(wall, target)}; peak RSS {peak:,.0f} MiB  "
                          f"{verdict(peak / 1024, 2.0).replace('target < 2', 'target < 2 GiB')}")

        # 3. cel-python, per account, against ours on the same accounts
        print(f"\n[cel-python] the same rules, per account, vs ours on {args.cel_compare_rows:,} accounts")
        head = head_snapshot(parquet_path, args.cel_compare_rows, tmp)
        ours_seconds, runs, ours = measure(lambda: evaluate_all(rulesets, head), args.repeat, args.budget)
        print(f"  ours (evaluate_snapshot) on {head.n_rows:,} accounts: {ours_seconds:.4f} s (median of {runs})")
        cel_count = min(args.cel_rows, head.n_rows)
        cel_seconds = bench_cel(rules, head, cel_count, ours)
        scaled = cel_seconds * head.n_rows / cel_count
        note = "" if cel_count == head.n_rows else f" (extrapolated linearly from {cel_count:,} accounts)"
        print(f"  cel-python on {head.n_rows:,} accounts: {scaled:,.1f} s{note}")
        print(f"  speed ratio: ours {scaled / ours_seconds:,.0f}x faster  (target >= 100x: "
              f"{'met' if scaled / ours_seconds >= 100 else 'MISSED'})")

        # 4. the exact scalar evaluator, for reference
        count = min(args.scalar_rows, snapshot.n_rows)
        print(f"\n[scalar] the exact Decimal evaluator, row by row, on {count:,} accounts")
        in_force = {ruleset.name: params_as_of(ruleset, AS_OF) for ruleset in rulesets}
        start = time.perf_counter()
        for row in range(count):
            document = snapshot.row_document(row)
            for ruleset in rulesets:
                evaluator = Evaluator(document, in_force[ruleset.name], AS_OF, ruleset.sources)
                for rule in ruleset.rules:
                    if rule.target == "account":
                        overall(evaluate_rule(rule, evaluator))
        scalar = time.perf_counter() - start
        print(f"  {scalar:.2f} s, {scalar / count * 1e6:,.0f} us per account "
              f"(~{scalar / count * args.rows:,.0f} s for {args.rows:,} accounts)")


def _outcomes_undecided_where_it_matters(rule: Any, compiler: Any) -> np.ndarray:
    """The proposed change to vector._vector_outcomes: an undecided comparison only sends a row
    to the exact evaluator when the row's outcome depends on it (the when for every row; an
    exception's when for the rows that reach it; a require for the rows it decides). Today a
    require's undecided rows fall back even where the when is false (CONC: exposure = 0)."""
    n = compiler.n

    def phase(expr: Any) -> tuple[Any, np.ndarray]:
        compiler.undecided = np.zeros(n, dtype=bool)
        return compiler.condition(expr), compiler.undecided

    undecided = np.zeros(n, dtype=bool)
    applies = np.ones(n, dtype=bool)
    if rule.when is not None:
        when, unsure = phase(rule.when)
        applies = vector._rows(when.value & when.known, n).copy()
        undecided |= unsure
    outcomes = np.full(n, vector.NOT_APPLICABLE, dtype=np.int8)
    remaining = applies.copy()
    requirements = []
    for exception in rule.exceptions:
        exc_when, unsure = phase(exception.when)
        undecided |= unsure & remaining
        hit = remaining & vector._rows(exc_when.value & exc_when.known, n)
        remaining &= ~hit
        if exception.require is not None:
            requirements.append((hit, exception.require))
    requirements.append((remaining, rule.require))
    for rows, requirement in requirements:
        holds, unsure = phase(requirement)
        undecided |= unsure & rows
        passed = vector._rows(holds.value & holds.known, n)
        outcomes[rows & passed] = vector.PASSED
        outcomes[rows & ~passed] = vector.FAILED
    compiler.undecided = undecided
    return outcomes


if __name__ == "__main__":
    main()
