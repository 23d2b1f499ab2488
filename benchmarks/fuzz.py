"""Mutational fuzzer for every input path of the toolkit (issue 8, "Hardening").

    python benchmarks/fuzz.py --inputs 1000000 --seed 1
    python benchmarks/fuzz.py --inputs 20000 --targets parse,yaml --jobs 2

Seed inputs are the real files of the repository (``rulesets/*.rules``, ``contract_templates/*.yaml``)
plus small snapshots (CSV, JSON, YAML, Parquet) and a waivers file made here. Each input is a seed
mutated one to eight times (characters and tokens deleted, duplicated, swapped or inserted; cut
short; numbers made huge; NULs, invalid UTF-8, unicode and deep brackets inserted; two seeds spliced)
and fed to an in-process entry point:

    expr      compliance.dsl.parser.parse_expression         (the expressions of the real rulesets)
    parse     compliance.dsl.parser.parse_ruleset            (one block of a real ruleset per seed)
    ruleset   compliance.dsl.loader.load_ruleset_text         (parse + name resolution + type check)
    yaml      compliance.documents.yaml_loader.parse_yaml
    contract  compliance.documents.contract.load_contract     (from a file: bytes, UTF-8, YAML, schema)
    waivers   compliance.waivers.load_waivers                 (from a file)
    snapshot  compliance.documents.snapshot.load_snapshot     (CSV, JSON, YAML and Parquet files)

The contract under test (docs/security.md): an entry point returns a result or raises
``compliance.errors.InputError``. Anything else is a CRASH: any other exception, a process killed by
a signal (a segfault in a C extension), an input running longer than ``--timeout`` seconds, or memory
above ``--memory`` MiB (``MemoryError``). Each distinct crash (exception type and the innermost
``compliance`` frame) is saved once, with its traceback, under ``benchmarks/data/crashes/``
(git-ignored) and counted every time it recurs.

Targets run in worker processes (``--jobs`` at a time); each worker writes the input it is about to
try to a file first, so that an input which kills the process is still saved. The run ends with a
table of inputs tried, successes, input errors, crashes and rates per target, also written as JSON to
``benchmarks/data/fuzz-summary.json``. The exit code is 1 when anything crashed, else 0.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing as mp
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "benchmarks" / "data" / "crashes"
SUMMARY = ROOT / "benchmarks" / "data" / "fuzz-summary.json"

# Share of --inputs given to each target (parse-level targets are cheap and get the most).
WEIGHTS = {"expr": 0.45, "parse": 0.25, "yaml": 0.15, "contract": 0.06, "ruleset": 0.01,
           "waivers": 0.03, "snapshot": 0.05}

SAVED_PER_SIGNATURE = 3


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------

SNAPSHOT_CSV = (
    "account_id,client_category,balance,equity,margin_used,exposure,currency,"
    "negative_balance_protection,instrument_class,positions_count\n"
    "A-1,retail,1000.50,900.25,100,3000,EUR,true,fx_major,2\n"
    "A-2,professional,25000,24000,5000.75,150000,USD,false,equity,10\n"
    "A-3,retail,10,-5,40,400,EUR,yes,crypto,1\n")
SNAPSHOT_JSON = json.dumps({"accounts": [
    {"account_id": "A-1", "client_category": "retail", "balance": 1000.5, "equity": 900,
     "margin_used": 100, "exposure": 3000, "currency": "EUR", "negative_balance_protection": True},
    {"account_id": "A-2", "client_category": "eligible_counterparty", "balance": "25000",
     "equity": 24000, "margin_used": 5000, "exposure": 150000, "instrument_class": "gold"}]},
    indent=1)
SNAPSHOT_YAML = """accounts:
  - {account_id: A-1, client_category: retail, balance: 1000.50, equity: 900, margin_used: 100,
     exposure: 3000, currency: EUR, positions_count: 2}
  - account_id: A-2
    client_category: professional
    balance: 25000
    equity: 24000
    margin_used: 5000
    exposure: 150000
    negative_balance_protection: false
"""
WAIVERS_YAML = """waivers:
  - rule_id: ESMA-INC-1
    contract: ACME-CFD-RETAIL-2026
    reason: legacy promotion ends with the quarter
    approved_by: Head of Compliance
    expires: 2026-03-31
  - rule_id: ESMA-LEV-1
    contract: "contracts/acme-*.yaml"
    reason: "under review"
    approved_by: CCO
    expires: 2099-12-31
"""

# Tokens inserted by the mutator: the language's own words, YAML syntax and known trouble.
TOKENS = [
    "ruleset", "version", "extends", "rule", "exception", "disable", "let", "override", "test",
    "given", "expect", "pass", "fail", "topic", "severity", "citation", "for each", "when",
    "require", "message", "fix", "and", "or", "not", "in", "missing", "exists", "any", "all",
    "count", "sum", "min", "max", "matches(", "contains(", "open(", "__import__", "__class__",
    "30:1", "0:1", "50%", "1e308", "EUR 25000", "2026-02-30", "9999-12-31", "1 month", "-",
    "\"", "\\", "{", "}", "[", "]", "(", ")", ",", ":", ".", "=", "==", "<=", ">", "#", "\n",
    "\t", "\r\n", "&a ", "*a", "<<: ", "!!python/object:os.system ", "!!binary ", "!!set ",
    "? ", "---\n", "...\n", "%YAML 1.1\n", "kind: contract\n", "accounts:\n", "waivers:\n",
    "- ", "|\n", ">\n", "'", "~", "null", "true", "NaN", ".inf", "-.inf", "0x1F", "0o17",
    "1" * 5000, "9" * 400, "1e-400", "1e400", "-0", "\x00", "\ufeff", "\u202e", "中文", "𝔘",
    "a" * 300, "(a+)+$", "{{ cycler.__init__.__globals__ }}", "2020-13-45 25:00:00",
]
BRACKETS = ["(", "[", "{"]
CLOSE = {"(": ")", "[": "]", "{": "}"}


def _blocks(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block.strip()]


def ruleset_seeds() -> tuple[list[str], list[str]]:
    """(parse seeds, check seeds): small programs made of the blocks of the real rulesets."""
    parse_seeds: list[str] = []
    check_seeds: list[str] = []
    for path in sorted((ROOT / "rulesets").glob("*.rules")):
        text = path.read_text(encoding="utf-8")
        blocks = _blocks(text)
        # A short header keeps the inputs small: the parser costs about 3 ms per kilobyte.
        name = next((line.split()[1] for line in text.splitlines() if line.startswith("ruleset ")),
                    "x")
        header = f'ruleset {name}\n  version "1.0.0"'
        blocks = [_strip_comments(block) for block in blocks]
        lets = [b for b in blocks if b.lstrip().startswith(("let ", "#")) and "\nlet " in "\n" + b]
        others = [b for b in blocks if b.strip() and b not in lets and "ruleset " not in b]
        for block in lets + others:
            parse_seeds.append(header + "\n\n" + block + "\n")
        for block in others:
            check_seeds.append(header + "\n\n" + "\n\n".join(lets) + "\n\n" + block + "\n")
    return parse_seeds, check_seeds or parse_seeds


def expression_seeds() -> list[str]:
    """The expressions of the real rulesets: require/when/subject clauses, let values, holes."""
    import re

    seeds: list[str] = []
    clause = re.compile(r"^\s*(?:require|when|subject|let \w+ =|for each [\w, ]+ in)\s+(.+)$")
    for path in sorted((ROOT / "rulesets").glob("*.rules")):
        for line in path.read_text(encoding="utf-8").splitlines():
            found = clause.match(line)
            if found:
                seeds.append(found.group(1).split(" #")[0].strip())
            seeds.extend(re.findall(r"\{([^{}\"]+)\}", line) if "message" in line else [])
    return sorted(set(seeds)) or ["1 + 2 > 3"]


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))


def contract_seeds() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "contract_templates").glob("*.yaml"))]
    fixtures = ROOT / "tests" / "fixtures"
    for path in sorted(fixtures.glob("*/*.yaml")):
        try:
            seeds.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass
    return seeds


def parquet_seed() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"account_id": ["A-1", "A-2"], "client_category": ["retail", "professional"],
                      "balance": [1000.5, 25000.0], "equity": [900.0, 24000.0],
                      "margin_used": [100.0, 5000.0], "exposure": [3000.0, 150000.0],
                      "currency": ["EUR", "USD"], "positions_count": [2, 10]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


# ---------------------------------------------------------------------------------------------
# Mutation
# ---------------------------------------------------------------------------------------------

def _random_char(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.5:
        return chr(rng.randrange(32, 127))
    if pick < 0.6:
        return rng.choice("\x00\t\n\r\x0b\x0c\x1b\x7f\x85\xa0\u2028\ufeff\ufffe")
    if pick < 0.9:
        return chr(rng.randrange(0xA0, 0xD800))
    return chr(rng.randrange(0xE000, 0x110000))


class Mutator:
    """Text mutations; ``seeds`` are what splices draw from."""

    def __init__(self, rng: random.Random, seeds: list[str]):
        self.rng = rng
        self.seeds = seeds
        self.ops: list[Callable[[str], str]] = [
            self.delete, self.delete, self.duplicate, self.swap, self.insert_char, self.insert_char,
            self.insert_token, self.insert_token, self.insert_token, self.truncate,
            self.huge_number, self.deep_brackets, self.splice, self.repeat_line, self.flip_case,
            self.replace_char,
        ]

    def span(self, text: str) -> tuple[int, int]:
        if not text:
            return 0, 0
        start = self.rng.randrange(len(text))
        length = min(len(text) - start, int(self.rng.expovariate(1 / 8)) + 1)
        return start, start + length

    def position(self, text: str) -> int:
        return self.rng.randrange(len(text) + 1)

    def delete(self, text: str) -> str:
        a, b = self.span(text)
        return text[:a] + text[b:]

    def duplicate(self, text: str) -> str:
        a, b = self.span(text)
        times = 100 if self.rng.random() < 0.02 else self.rng.choice((1, 1, 2, 3, 8))
        return text[:b] + text[a:b] * times + text[b:]

    def swap(self, text: str) -> str:
        a, b = self.span(text)
        c, d = self.span(text)
        if b > c:
            a, b, c, d = c, d, a, b
        if b > c:
            return text
        return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]

    def insert_char(self, text: str) -> str:
        i = self.position(text)
        return text[:i] + _random_char(self.rng) + text[i:]

    def replace_char(self, text: str) -> str:
        if not text:
            return text
        i = self.rng.randrange(len(text))
        return text[:i] + _random_char(self.rng) + text[i + 1:]

    def insert_token(self, text: str) -> str:
        i = self.position(text)
        token = self.rng.choice(TOKENS)
        if self.rng.random() < 0.3:
            token = " " + token + " "
        return text[:i] + token + text[i:]

    def truncate(self, text: str) -> str:
        return text[:self.position(text)]

    def huge_number(self, text: str) -> str:
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if not digits:
            return self.insert_token(text)
        i = self.rng.choice(digits)
        big = self.rng.choice(("9" * 30, "1" * 4400, "1e308", "1e309", "0.000000000000000000001",
                               "99999999999999999999999", "-1e308", "1" * 20))
        return text[:i] + big + text[i + 1:]

    def deep_brackets(self, text: str) -> str:
        i = self.position(text)
        opener = self.rng.choice(BRACKETS)
        depth = self.rng.choice((2, 3, 10, 63, 64, 65, 100, 1000, 5000))
        inner = self.rng.choice(("", "1", "a", "x: 1", "not true"))
        closed = self.rng.random() < 0.7
        return (text[:i] + opener * depth + inner + (CLOSE[opener] * depth if closed else "")
                + text[i:])

    def splice(self, text: str) -> str:
        other = self.rng.choice(self.seeds)
        a, _ = self.span(text)
        c, _ = self.span(other)
        return text[:a] + other[c:]

    def repeat_line(self, text: str) -> str:
        lines = text.split("\n")
        i = self.rng.randrange(len(lines))
        times = 1000 if self.rng.random() < 0.02 else self.rng.choice((2, 3, 10))
        lines[i:i + 1] = [lines[i]] * times
        return "\n".join(lines)

    def flip_case(self, text: str) -> str:
        a, b = self.span(text)
        return text[:a] + text[a:b].swapcase() + text[b:]

    def mutate(self, text: str) -> str:
        for _ in range(min(8, int(self.rng.expovariate(1 / 2)) + 1)):
            text = self.rng.choice(self.ops)(text)
        return text

    def mutate_bytes(self, data: bytes) -> bytes:
        """Byte-level mutations (Parquet, invalid UTF-8 in text files)."""
        buf = bytearray(data)
        for _ in range(min(8, int(self.rng.expovariate(1 / 2)) + 1)):
            op = self.rng.randrange(5)
            i = self.rng.randrange(len(buf) + 1) if buf else 0
            if op == 0 and buf:
                buf[min(i, len(buf) - 1)] = self.rng.randrange(256)
            elif op == 1:
                buf[i:i] = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 9)))
            elif op == 2:
                del buf[i:i + self.rng.randrange(1, 64)]
            elif op == 3 and buf:
                j = self.rng.randrange(len(buf))
                buf[i:i] = buf[j:j + self.rng.randrange(1, 256)]
            else:
                buf[i:i] = self.rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00",
                                            b"\xef\xbb\xbf", b"\x80\x80"))
        return bytes(buf)


# ---------------------------------------------------------------------------------------------
# Targets: each returns (make_input, run_input, file_suffix)
# ---------------------------------------------------------------------------------------------

class Target:
    def __init__(self, name: str, rng: random.Random, workdir: str):
        self.name = name
        self.rng = rng
        self.workdir = workdir
        self.suffix = ".txt"
        getattr(self, f"_setup_{name}")()

    # -- ruleset text -----------------------------------------------------------------------
    def _setup_parse(self) -> None:
        from compliance.dsl.parser import parse_ruleset

        self.seeds, _ = ruleset_seeds()
        self.mutator = Mutator(self.rng, self.seeds)
        self.suffix = ".rules"
        self.call = lambda text: parse_ruleset(text, "fuzz.rules")

    def _setup_expr(self) -> None:
        from compliance.dsl.parser import parse_expression

        self.seeds = expression_seeds()
        self.mutator = Mutator(self.rng, self.seeds)
        self.suffix = ".expr"
        self.call = lambda text: parse_expression(text, "fuzz.expr")

    def _setup_ruleset(self) -> None:
        from compliance.dsl.loader import load_ruleset_text

        _, self.seeds = ruleset_seeds()
        self.mutator = Mutator(self.rng, self.seeds)
        self.suffix = ".rules"
        self.call = lambda text: load_ruleset_text(text, "fuzz.rules")

    def _setup_yaml(self) -> None:
        from compliance.documents.yaml_loader import parse_yaml

        self.seeds = contract_seeds() + [WAIVERS_YAML, SNAPSHOT_YAML]
        self.mutator = Mutator(self.rng, self.seeds)
        self.suffix = ".yaml"
        self.call = lambda text: parse_yaml(text, "fuzz.yaml")

    # -- files ------------------------------------------------------------------------------
    def _file_target(self, seeds: list[str], suffix: str, call: Callable[[str], Any]) -> None:
        self.seeds = seeds
        self.mutator = Mutator(self.rng, seeds)
        self.suffix = suffix
        self.path = os.path.join(self.workdir, f"input{suffix}")
        self.call = call

    def _setup_contract(self) -> None:
        from compliance.documents.contract import load_contract

        self._file_target(contract_seeds(), ".yaml", load_contract)

    def _setup_waivers(self) -> None:
        from compliance.waivers import load_waivers

        self._file_target([WAIVERS_YAML], ".yaml", load_waivers)

    def _setup_snapshot(self) -> None:
        from compliance.documents.snapshot import load_snapshot

        self._file_target([SNAPSHOT_CSV, SNAPSHOT_JSON, SNAPSHOT_YAML], ".csv", load_snapshot)
        self.parquet = parquet_seed()
        self.suffixes = {SNAPSHOT_CSV: ".csv", SNAPSHOT_JSON: ".json", SNAPSHOT_YAML: ".yaml"}

    # -- one input --------------------------------------------------------------------------
    def make(self) -> tuple[bytes, str]:
        """(the input's bytes, its file suffix)."""
        if self.name == "snapshot" and self.rng.random() < 0.15:
            return self.mutator.mutate_bytes(self.parquet), ".parquet"
        seed = self.rng.choice(self.seeds)
        suffix = self.suffixes[seed] if self.name == "snapshot" else self.suffix
        text = self.mutator.mutate(seed)
        data = text.encode("utf-8", errors="surrogatepass")
        if hasattr(self, "path") and self.rng.random() < 0.1:
            data = self.mutator.mutate_bytes(data)
        return data, suffix

    def run(self, data: bytes, suffix: str) -> Any:
        if not hasattr(self, "path"):
            # In-process text entry points take str; real files are strictly decoded UTF-8, so
            # lone surrogates never reach them and are not generated here.
            return self.call(data.decode("utf-8", errors="replace"))
        path = os.path.join(self.workdir, f"input{suffix}")
        with open(path, "wb") as handle:
            handle.write(data)
        return self.call(path)


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------

class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout("input ran longer than the time limit")


def signature(error: BaseException) -> str:
    """Exception type and the innermost frame inside the package (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if f"{os.sep}compliance{os.sep}" in f.filename]
    frame = (inside or frames or [None])[-1]
    if frame is None:
        return type(error).__name__
    where = os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(str(ROOT)) else \
        os.path.basename(frame.filename)
    return f"{type(error).__name__}@{where}:{frame.lineno}"


def save_crash(out: Path, target: str, sig: str, data: bytes, suffix: str, detail: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in sig)[:80]
    stem = str(out / f"{target}-{safe}-{digest}")
    Path(stem + suffix).write_bytes(data)
    Path(stem + ".traceback.txt").write_text(f"target: {target}\nsignature: {sig}\n"
                                                  f"size: {len(data)} bytes\n\n{detail}",
                                                  encoding="utf-8")
    return stem + suffix


def worker(target_name: str, count: int, seed: int, out: str, timeout: float, memory_mib: int,
           progress: Any, results: Any, current_file: str) -> None:
    from compliance.errors import InputError

    if memory_mib:
        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _on_alarm)
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix=f"fuzz-{target_name}-", dir="/dev/shm" if
                               os.path.isdir("/dev/shm") else None)
    target = Target(target_name, rng, workdir)
    crash_dir = Path(out)
    stats = {"tried": 0, "ok": 0, "input_errors": 0, "crashes": 0, "signatures": {},
             "slowest": 0.0, "seconds": 0.0}
    saved: dict[str, int] = {}
    current = os.open(current_file, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    started = time.perf_counter()
    for index in range(count):
        data, suffix = target.make()
        os.pwrite(current, suffix.encode().ljust(16) + data, 0)
        os.ftruncate(current, 16 + len(data))
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            target.run(data, suffix)
            stats["ok"] += 1
        except InputError as error:
            # The diagnostics must render, too: that is what the user sees.
            for diagnostic in error.diagnostics:
                diagnostic.render()
            stats["input_errors"] += 1
        except (Exception, RecursionError, MemoryError, _Timeout) as error:  # noqa: BLE001
            signal.setitimer(signal.ITIMER_REAL, 0)
            sig = "Timeout" if isinstance(error, _Timeout) else signature(error)
            stats["crashes"] += 1
            stats["signatures"][sig] = stats["signatures"].get(sig, 0) + 1
            if saved.get(sig, 0) < SAVED_PER_SIGNATURE:
                saved[sig] = saved.get(sig, 0) + 1
                detail = "".join(traceback.format_exception(error))[-6000:]
                save_crash(crash_dir, target_name, sig, data, suffix, detail)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        stats["slowest"] = max(stats["slowest"], time.perf_counter() - t0)
        stats["tried"] += 1
        if index % 200 == 0:
            progress.value = stats["tried"]
    stats["seconds"] = time.perf_counter() - started
    progress.value = stats["tried"]
    results.put((target_name, seed, stats))


# ---------------------------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------------------------

def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key in ("tried", "ok", "input_errors", "crashes", "seconds"):
        total[key] = total.get(key, 0) + part[key]
    total["slowest"] = max(total.get("slowest", 0.0), part["slowest"])
    for sig, n in part["signatures"].items():
        total.setdefault("signatures", {})[sig] = total.setdefault("signatures", {}).get(sig, 0) + n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs to try in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default=",".join(WEIGHTS),
                        help=f"comma-separated, of: {', '.join(WEIGHTS)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=25_000, help="inputs per worker process")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per input")
    parser.add_argument("--memory", type=int, default=4096, help="MiB of address space per worker")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where crashing inputs are saved")
    args = parser.parse_args(argv)

    names = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in names if name not in WEIGHTS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    weight = sum(WEIGHTS[name] for name in names)
    # Work items: (target, count, seed), in chunks so that the jobs share the load.
    tasks: list[tuple[str, int, int]] = []
    for t_index, name in enumerate(names):
        share = round(args.inputs * WEIGHTS[name] / weight)
        chunk_no = 0
        while share > 0:
            n = min(share, args.chunk)
            tasks.append((name, n, args.seed * 1_000_003 + t_index * 10_007 + chunk_no))
            share -= n
            chunk_no += 1
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    totals: dict[str, dict[str, Any]] = {name: {"tried": 0, "ok": 0, "input_errors": 0,
                                                "crashes": 0, "seconds": 0.0, "slowest": 0.0,
                                                "signatures": {}} for name in names}
    state_dir = tempfile.mkdtemp(prefix="fuzz-state-")
    running: list[tuple[Any, str, int, int, Any, str]] = []
    out = Path(args.out)
    wall = time.perf_counter()
    print(f"fuzzing {args.inputs:,} inputs over {', '.join(names)} with {args.jobs} job(s), "
          f"seed {args.seed}", flush=True)
    pending = list(tasks)
    finished = 0
    last_report = time.perf_counter()
    while pending or running:
        while pending and len(running) < args.jobs:
            name, count, seed = pending.pop(0)
            progress = ctx.Value("q", 0)
            current = os.path.join(state_dir, f"{name}-{seed}.current")
            process = ctx.Process(target=worker, args=(name, count, seed, str(out), args.timeout,
                                                       args.memory, progress, results, current))
            process.start()
            running.append((process, name, count, seed, progress, current))
        while not results.empty():
            name, _seed, stats = results.get()
            _merge(totals[name], stats)
            finished += stats["tried"]
        for item in list(running):
            process, name, count, seed, progress, current = item
            if process.is_alive():
                continue
            process.join()
            running.remove(item)
            if process.exitcode != 0:
                # Killed by a signal (a segfault in C code) or out of memory in C: save the input
                # it was on, count it, and go on with the rest of its share from a new seed.
                done = progress.value
                raw = Path(current).read_bytes() if os.path.exists(current) else b""
                suffix, data = raw[:16].decode(errors="replace").strip() or ".txt", raw[16:]
                sig = f"process-died(exit {process.exitcode})"
                totals[name]["crashes"] += 1
                totals[name]["tried"] += 1
                totals[name]["signatures"][sig] = totals[name]["signatures"].get(sig, 0) + 1
                path = save_crash(out, name, sig, data, suffix,
                                  f"the worker process ended with exit code {process.exitcode} "
                                  "(a negative code is the signal that killed it)\n")
                print(f"  {name}: worker died with exit code {process.exitcode}; input saved to "
                      f"{path}", flush=True)
                finished += done
                totals[name]["tried"] += max(0, done - 1)
                if count - done - 1 > 0:
                    pending.insert(0, (name, count - done - 1, seed + 7_919))
        if time.perf_counter() - last_report > 30:
            live = sum(item[4].value for item in running)
            elapsed = time.perf_counter() - wall
            print(f"  {finished + live:,} inputs in {elapsed:,.0f} s", flush=True)
            last_report = time.perf_counter()
        time.sleep(0.05)
    while not results.empty():
        name, _seed, stats = results.get()
        _merge(totals[name], stats)
    elapsed = time.perf_counter() - wall

    print(f"\n{'target':<10}{'inputs':>12}{'ok':>10}{'InputError':>12}{'crashes':>9}"
          f"{'inputs/s':>11}{'slowest s':>11}")
    grand = {"tried": 0, "crashes": 0}
    for name in names:
        row = totals[name]
        rate = row["tried"] / row["seconds"] if row["seconds"] else 0.0
        print(f"{name:<10}{row['tried']:>12,}{row['ok']:>10,}{row['input_errors']:>12,}"
              f"{row['crashes']:>9,}{rate:>11,.0f}{row['slowest']:>11.2f}")
        grand["tried"] += row["tried"]
        grand["crashes"] += row["crashes"]
    print(f"{'total':<10}{grand['tried']:>12,}{'':>22}{grand['crashes']:>9,}   "
          f"wall time {elapsed:,.0f} s")
    signatures = {f"{name}: {sig}": n for name in names
                  for sig, n in sorted(totals[name]["signatures"].items())}
    if signatures:
        print(f"\ndistinct crashes ({len(signatures)}), inputs saved under {out}:")
        for sig, n in signatures.items():
            print(f"  {n:>8,}  {sig}")
    else:
        print("\nno crash")
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps({"inputs": args.inputs, "seed": args.seed, "jobs": args.jobs,
                                   "wall_seconds": round(elapsed, 1), "targets": totals},
                                  indent=2, sort_keys=True), encoding="utf-8")
    return 1 if grand["crashes"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
