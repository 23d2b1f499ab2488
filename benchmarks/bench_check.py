"""Contract review timings (issue 16): a cold `compliance check` of one template, and 1,000
contracts in one run, beside `python -c pass` and beside the code of a baseline revision, all
measured interleaved in one run so that a busy machine slows each side alike.

    python benchmarks/bench_check.py [--runs 9] [--contracts 1000] [--baseline REV] [--distinct-texts]

The baseline (default: the last revision before the ruleset store and the compiled evaluation)
is checked out into a temporary folder with `git worktree`; both sides run with bytecode caching
on, after one warm-up run, as an installed tool would. Prints medians and minima of wall time,
the median CPU time (user + system, workers included: less sensitive to other load on the
machine than wall time) and the ratios to the baseline. With --distinct-texts the 1,000 contracts
are timed a second time with every clause and marketing text made distinct (a reference number
appended), so that no prose analysis is served from a cache: the copies of the templates repeat
twelve contracts' texts, which the prose rules then read once.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "7f9f676"   # "CI: the built-in rulesets reach full coverage ..." (before issue 16)
ONE = ["check", "contract_templates/eu_retail_cfd.yaml", "--ruleset", "esma_like"]


def _environment(tree: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)        # ahead of the installed (editable) package
    env["COMPLIANCE_CACHE_DIR"] = str(cache)
    return env


def _wall(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its workers) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _contracts(folder: Path, count: int, distinct: bool = False) -> None:
    templates = sorted((ROOT / "contract_templates").glob("*.yaml"))
    for index in range(count):
        source = templates[index % len(templates)].read_text(encoding="utf-8")
        text = source.replace("\nid: ", f"\nid: BENCH-{index:05d}-", 1)
        (folder / f"contract_{index:05d}.yaml").write_text(_distinct(text, index) if distinct else text,
                                                           encoding="utf-8")


def _distinct(source: str, index: int) -> str:
    """The contract with a reference number at the end of every clause and marketing text."""
    import yaml

    data = yaml.safe_load(source)
    for key in ("clauses", "marketing"):
        for item in data.get(key) or []:
            if isinstance(item.get("text"), str):
                item["text"] += f" (ref. {index})"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _summary(name: str, runs: list[tuple[float, float]], reference: list[tuple[float, float]] | None = None) -> str:
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    text = (f"  {name:<24} wall median {wall * 1000:6.0f} ms (min {min(w for w, _ in runs) * 1000:6.0f})"
            f"  cpu median {cpu * 1000:6.0f} ms")
    if reference:
        text += (f"  = {wall / statistics.median(w for w, _ in reference):.2f}x wall, "
                 f"{cpu / statistics.median(c for _, c in reference):.2f}x cpu of the baseline")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare with")
    parser.add_argument("--distinct-texts", action="store_true",
                        help="also time 1,000 contracts whose texts are all distinct")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    baseline = work / "baseline"
    try:
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), options.baseline],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sides = {"this code": ROOT, f"baseline {options.baseline}": baseline}
        envs = {name: _environment(tree, work / f"cache-{index}") for index, (name, tree) in enumerate(sides.items())}
        python = [sys.executable]
        command = python + ["-m", "compliance"]
        for name, tree in sides.items():  # warm-up: bytecode and ruleset cache written once
            _wall(command + ONE, tree, envs[name])
        cold: dict[str, list[tuple[float, float]]] = {"python -c pass": [], **{name: [] for name in sides}}
        for _ in range(options.runs):
            cold["python -c pass"].append(_wall(python + ["-c", "pass"], ROOT, envs["this code"]))
            for name, tree in sides.items():
                cold[name].append(_wall(command + ONE, tree, envs[name]))
        serial = "this code, 1 process"
        envs[serial] = {**envs["this code"], "COMPLIANCE_WORKERS": "1"}
        batches = {}
        for distinct in (False, True) if options.distinct_texts else (False,):
            folder = work / f"contracts-{int(distinct)}"
            folder.mkdir()
            _contracts(folder, options.contracts, distinct)
            batch: dict[str, list[tuple[float, float]]] = {name: [] for name in [*sides, serial]}
            for _ in range(options.batch_runs):
                for name, tree in [*sides.items(), (serial, ROOT)]:
                    out = work / f"out-{len(batch[name])}.json"
                    batch[name].append(_wall(command + ["check", str(folder), "--format", "json", "--output",
                                                        str(out)], tree, envs[name]))
            batches[distinct] = batch
        base = f"baseline {options.baseline}"
        print(f"one contract, cold process (eu_retail_cfd.yaml against esma_like), {options.runs} runs; target 150 ms")
        print(_summary("python -c pass", cold["python -c pass"]))
        for name in sides:
            print(_summary(name, cold[name], None if name == base else cold[base]))
        for distinct, batch in batches.items():
            what = "every text distinct" if distinct else "copies of the templates"
            print(f"{options.contracts} contracts in one run ({what}, each against its declared rulesets), "
                  f"{options.batch_runs} runs; target 3 s")
            for name in [*sides, serial]:
                print(_summary(name, batch[name], None if name == base else batch[base]))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
