"""Run one benchmark script against this code and against a baseline revision, alternately, and
print both outputs one after the other: "no regression elsewhere" measured in one run.

    python benchmarks/compare.py [--baseline REV] [--rounds 2] benchmarks/bench_risk.py [ARGS...]

The baseline is checked out into a temporary folder with `git worktree`; the script runs with
that folder first on PYTHONPATH, so it imports the baseline's package. The script itself is the
current one in both runs (the measurement is the same; only the code measured differs).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="7f9f676", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of this code and the baseline")
    parser.add_argument("script")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    baseline = work / "baseline"
    script = str(Path(options.script).resolve())
    try:
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), options.baseline], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for round_ in range(1, options.rounds + 1):
            for name, tree in (("this code", ROOT), (f"baseline {options.baseline}", baseline)):
                env = {**os.environ, "PYTHONPATH": str(tree), "COMPLIANCE_CACHE_DIR": str(work / "cache")}
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                print(f"=== {name}, round {round_}", flush=True)
                subprocess.run([sys.executable, script, *options.arguments], cwd=tree, env=env, check=False)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
