"""Coverage-guided fuzzing (atheris, libFuzzer) of every input path: run targets, count crashes.

    pip install -e '.[fuzz]'
    python fuzz/run.py --inputs 200000                      # every target, 200,000 inputs each
    python fuzz/run.py --targets dsl,csv --seconds 600      # ten minutes each
    python fuzz/run.py --targets e2e_rules --inputs 5000 --work fuzz-work

Targets are listed in ``fuzz/targets.py``. Each runs in its own child process, one at a time, so
that the run takes one core. Seeds come from the repository's rulesets, contract templates and the
tests' fixtures (``fuzz/seeds/`` holds the small snapshots, waivers, rates and a template); the
corpus grows under ``--work`` (default ``benchmarks/data/fuzz``, git-ignored) and is reused by the
next run.

A crash is anything but a result or ``InputError``: another exception (recorded, and fuzzing goes
on), an input running longer than ``--timeout`` seconds, memory above ``--rss-mb``, or the process
dying on a signal (libFuzzer saves the input and the target is restarted for the rest of its
share). Each distinct crash (exception type and innermost frame of the package) is saved once
under ``WORK/crashes/TARGET/`` with its traceback. The run ends with a table of inputs tried and
distinct crashes per target; the exit code is 1 when anything crashed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_WORK = ROOT / "benchmarks" / "data" / "fuzz"

# The language's words, YAML and template syntax and known trouble, for libFuzzer's dictionary.
TOKENS = [
    "ruleset", "version", "extends", "rule", "exception", "disable", "let", "override", "test",
    "given", "expect", "pass", "fail", "topic", "severity", "citation", "for each", "when",
    "require", "message", "fix", "and", "or", "not", "in", "missing", "exists", "any", "all",
    "count", "sum", "min", "max", "matches(", "contains(", "liquidation_drop(", "as_of", "months",
    "days", "years", "30:1", "0:1", "1:1", "100%", "50%", "1e308", "1e26", "EUR 25000",
    "2026-02-30", "9999-12-31", "0001-01-01", "999999 months", "1 month", "0x", "\"", "\\", "{",
    "}", "[", "]", "(", ")", ",", ":", ".", "==", "<=", "#", "\n", "\t", "\r\n", "&a ", "*a",
    "!!python/object:os.system ", "? ", "---\n", "kind: contract\n", "accounts:\n", "waivers:\n",
    "rates:\n", "base: ", "- ", "~", "null", "true", ".inf", ".nan", "\x00", "\ufeff", "\u202e",
    "\x1b[31m", "::error file=x::", "{{", "}}", "{%", "%}", "{% for x in range(100000) %}",
    "{% endfor %}", "{% macro m(n) %}", "{% endmacro %}", "|center(", "|join(", "|format(", "**",
    "'%*d' % ", "'{:>99999}'.format(", "\\ud800",
]


def _dictionary(path: Path) -> Path:
    def quoted(token: str) -> str:
        raw = token.encode("utf-8")
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}"
                             for b in raw) + '"'
    path.write_text("".join(f"{quoted(token)}\n" for token in TOKENS), encoding="ascii")
    return path


def signature(error: BaseException) -> str:
    """Exception type and the innermost frame inside the package (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if f"{os.sep}compliance{os.sep}" in f.filename]
    frame = (inside or frames or [None])[-1]
    if frame is None:
        return type(error).__name__
    where = os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(str(ROOT)) \
        else os.path.basename(frame.filename)
    return f"{type(error).__name__}@{where}:{frame.lineno}"


# ---------------------------------------------------------------------------------------------
# The child: one target under atheris
# ---------------------------------------------------------------------------------------------

def child(name: str, runs: int, seconds: int, work: Path, timeout: int, rss_mb: int) -> None:
    import atheris

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    with atheris.instrument_imports(include=["compliance"]):
        import compliance.audit.run  # noqa: F401  the modules the targets reach, instrumented
        import compliance.commands._common  # noqa: F401
        import compliance.review  # noqa: F401
    import targets
    from compliance.errors import InputError

    run = targets.TARGETS[name]()
    crashes = work / "crashes" / name
    crashes.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = {}
    for path in crashes.glob("*.json"):
        seen.update(json.loads(path.read_text(encoding="utf-8")))

    def test_one_input(data: bytes) -> None:
        try:
            run(data)
        except InputError:
            pass
        except Exception as error:  # noqa: BLE001 - every other exception is a crash, recorded
            sig = signature(error)
            seen[sig] = seen.get(sig, 0) + 1
            stem = crashes / hashlib.sha1(sig.encode()).hexdigest()[:12]
            if seen[sig] == 1:
                Path(f"{stem}.input").write_bytes(data)
                Path(f"{stem}.txt").write_text(
                    f"target: {name}\nsignature: {sig}\n\n{traceback.format_exc()}", encoding="utf-8")
            Path(f"{stem}.json").write_text(json.dumps({sig: seen[sig]}), encoding="utf-8")

    corpus = work / "corpus" / name
    seeds = work / "seeds" / name
    for folder in (corpus, seeds):
        folder.mkdir(parents=True, exist_ok=True)
    for data in targets.seeds(name):
        (seeds / hashlib.sha1(data).hexdigest()).write_bytes(data)
    artifacts = work / "artifacts" / name
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [sys.argv[0], f"-runs={runs}", f"-max_total_time={seconds}", f"-timeout={timeout}",
            f"-rss_limit_mb={rss_mb}", "-max_len=65536",
            f"-dict={_dictionary(work / 'tokens.dict')}", f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1", "-close_fd_mask=1", str(corpus), str(seeds)]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


# ---------------------------------------------------------------------------------------------
# The parent: targets one after the other, figures at the end
# ---------------------------------------------------------------------------------------------

_DONE = re.compile(r"Done (\d+) runs")
_STATUS = re.compile(r"^#(\d+)\s")


def _runs_of(log: str) -> int:
    done = _DONE.findall(log)
    if done:
        return int(done[-1])
    status = [int(m.group(1)) for line in log.splitlines() if (m := _STATUS.match(line))]
    return max(status, default=0)


def run_target(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run one target for its share; restart it after a fatal crash until the share is done."""
    tried, fatal, started = 0, [], time.monotonic()
    while True:
        left_runs = args.inputs - tried if args.inputs else 0
        left_seconds = int(args.seconds - (time.monotonic() - started)) if args.seconds else 0
        if (args.inputs and left_runs <= 0) or (args.seconds and left_seconds <= 0):
            break
        command = [sys.executable, str(Path(__file__).resolve()), "--child", name,
                   "--child-runs", str(left_runs if args.inputs else -1),
                   "--child-seconds", str(max(left_seconds, 0)), "--work", str(work),
                   "--timeout", str(args.timeout), "--rss-mb", str(args.rss_mb)]
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                cwd=ROOT)
        log = result.stderr
        (work / f"{name}.log").write_text(log[-200_000:], encoding="utf-8")
        tried += _runs_of(log)
        if result.returncode == 0:
            break
        kind = next((word for word in ("timeout", "out-of-memory", "deadly signal", "crash")
                     if word in log), f"exit {result.returncode}")
        fatal.append(kind)
        tried += 1
        print(f"  {name}: the target died ({kind}); input saved under {work / 'artifacts' / name}",
              flush=True)
        if len(fatal) >= args.max_restarts:
            break
    signatures: dict[str, int] = {}
    for path in (work / "crashes" / name).glob("*.json"):
        signatures.update(json.loads(path.read_text(encoding="utf-8")))
    for kind in fatal:
        signatures[f"fatal: {kind}"] = signatures.get(f"fatal: {kind}", 0) + 1
    return {"inputs": tried, "seconds": round(time.monotonic() - started, 1),
            "signatures": signatures}


def main(argv: list[str] | None = None) -> int:
    import targets as target_module  # noqa: E402 - beside this file

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="all",
                        help=f"comma-separated, of: {', '.join(target_module.TARGETS)} (default all)")
    parser.add_argument("--inputs", type=int, default=0, help="inputs per target")
    parser.add_argument("--seconds", type=int, default=0, help="seconds per target")
    parser.add_argument("--timeout", type=int, default=20, help="seconds allowed per input")
    parser.add_argument("--rss-mb", type=int, default=3072, help="memory allowed per target")
    parser.add_argument("--max-restarts", type=int, default=20,
                        help="fatal crashes after which a target is given up")
    parser.add_argument("--work", default=str(DEFAULT_WORK), help="corpus, crashes and logs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-runs", type=int, default=-1, help=argparse.SUPPRESS)
    parser.add_argument("--child-seconds", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.child, args.child_runs, args.child_seconds, work, args.timeout, args.rss_mb)
        return 0
    if not (args.inputs or args.seconds):
        parser.error("give --inputs or --seconds (per target)")
    names = list(target_module.TARGETS) if args.targets == "all" else \
        [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in names if name not in target_module.TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    totals: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"fuzzing {name} ...", flush=True)
        totals[name] = run_target(name, args, work)
        row = totals[name]
        print(f"  {name}: {row['inputs']:,} inputs in {row['seconds']:,.0f} s, "
              f"{len(row['signatures'])} distinct crash(es)", flush=True)
    print(f"\n{'target':<11}{'inputs':>12}{'seconds':>10}{'inputs/s':>10}{'crashes':>9}")
    for name, row in totals.items():
        rate = row["inputs"] / row["seconds"] if row["seconds"] else 0.0
        print(f"{name:<11}{row['inputs']:>12,}{row['seconds']:>10,.0f}{rate:>10,.0f}"
              f"{len(row['signatures']):>9}")
    print(f"{'total':<11}{sum(r['inputs'] for r in totals.values()):>12,}"
          f"{sum(r['seconds'] for r in totals.values()):>10,.0f}{'':>10}"
          f"{sum(len(r['signatures']) for r in totals.values()):>9}")
    crashed = {f"{name}: {sig}": n for name, row in totals.items()
               for sig, n in sorted(row["signatures"].items())}
    print("\ndistinct crashes:" if crashed else "\nno crash")
    for sig, n in crashed.items():
        print(f"  {n:>8,}  {sig}")
    summary = work / "summary.json"
    summary.write_text(json.dumps(totals, indent=2, sort_keys=True), encoding="utf-8")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
