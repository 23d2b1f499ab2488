"""The fuzz targets: each turns one input (bytes) into a call of an entry point of the package.

The contract under test (docs/security.md): an entry point returns a result or raises
``compliance.errors.InputError``; anything else is a crash. File targets write the input to a file
in a private folder (on tmpfs when there is one) and call the loader on its path, so the real
reading code (regular-file check, byte limits, UTF-8) runs too.

    dsl        compliance.dsl.loader.load_ruleset_text     parser + name resolution + type check
    expr       compliance.dsl.parser.parse_expression
    contract   compliance.documents.contract.load_contract
    csv        compliance.documents.snapshot.load_snapshot  (.csv)
    parquet    compliance.documents.snapshot.load_snapshot  (.parquet)
    tree       compliance.documents.snapshot.load_snapshot  (.json or .yaml, by the first byte)
    waivers    compliance.waivers.load_waivers
    fx         compliance.audit.fx.load_fx_rates
    template   compliance.report.templating.render_with_template on a fixed report
    e2e_check  a contract: load, evaluate against the rulesets it declares, render in every format
    e2e_rules  a ruleset: check a fixed contract and audit a fixed snapshot on a date picked by the
               first byte (today, 0001-01-01 or 9999-12-31), render in every format
    e2e_audit  a CSV snapshot: audit against esma_like with stress, render in every format
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "seeds"
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html")
CONTRACT = str(ROOT / "contract_templates" / "eu_retail_cfd.yaml")
BROKEN_CONTRACT = str(ROOT / "tests" / "fixtures" / "broken" / "ESMA-LEV-1.yaml")
SNAPSHOT = str(SEEDS / "accounts.csv")
DATES = (dt.date(2026, 1, 31), dt.date(1, 1, 1), dt.date(9999, 12, 31))

Target = Callable[[bytes], object]


def _workdir() -> str:
    return tempfile.mkdtemp(prefix="compliance-fuzz-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def _file_call(suffix: str, call: Callable[[str], object]) -> Target:
    path = os.path.join(_workdir(), f"input{suffix}")

    def run(data: bytes) -> object:
        with open(path, "wb") as handle:
            handle.write(data)
        return call(path)

    return run


def _text(data: bytes) -> str | None:
    """In-process text entry points take str; real files are decoded strictly, so an input that
    is not UTF-8 is not a case for them (the file targets cover it)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _render_all(report: object) -> None:
    from compliance.commands._common import render

    for fmt in FORMATS:
        render(report, argparse.Namespace(format=fmt, template=None, fail_on="error", output="x"))  # type: ignore[arg-type]


def dsl() -> Target:
    from compliance.dsl.loader import load_ruleset_text

    def run(data: bytes) -> object:
        text = _text(data)
        return None if text is None else load_ruleset_text(text, "fuzz.rules")
    return run


def expr() -> Target:
    from compliance.dsl.parser import parse_expression

    def run(data: bytes) -> object:
        text = _text(data)
        return None if text is None else parse_expression(text, "fuzz.expr")
    return run


def contract() -> Target:
    from compliance.documents.contract import load_contract
    return _file_call(".yaml", load_contract)


def csv() -> Target:
    from compliance.documents.snapshot import load_snapshot
    return _file_call(".csv", load_snapshot)


def parquet() -> Target:
    from compliance.documents.snapshot import load_snapshot
    return _file_call(".parquet", load_snapshot)


def tree() -> Target:
    from compliance.documents.snapshot import load_snapshot
    as_json, as_yaml = _file_call(".json", load_snapshot), _file_call(".yaml", load_snapshot)

    def run(data: bytes) -> object:
        return (as_json if data[:1] in (b"{", b"[", b" ") else as_yaml)(data)
    return run


def waivers() -> Target:
    from compliance.waivers import load_waivers
    return _file_call(".yaml", load_waivers)


def fx() -> Target:
    from compliance.audit.fx import load_fx_rates
    return _file_call(".yaml", load_fx_rates)


def template() -> Target:
    from compliance.report.templating import render_with_template
    from compliance.review import check_contracts

    report = check_contracts([BROKEN_CONTRACT], ["esma_like"], DATES[0])
    return _file_call(".j2", lambda path: render_with_template(report, path))


def e2e_check() -> Target:
    from compliance.review import check_contracts

    def check(path: str) -> object:
        report = check_contracts([path], None, DATES[0])
        _render_all(report)
        return report
    return _file_call(".yaml", check)


def e2e_rules() -> Target:
    from compliance.audit.run import audit_snapshot
    from compliance.audit.stress import parse_shocks
    from compliance.dsl.loader import load_ruleset
    from compliance.errors import InputError
    from compliance.review import check_contracts

    shocks = parse_shocks("-5%,-50%")
    state = {"as_of": DATES[0]}

    def check(path: str) -> object:
        ruleset = load_ruleset(path)
        if any(rule.target == "contract" for rule in ruleset.rules):
            _render_all(check_contracts([CONTRACT, BROKEN_CONTRACT], [path], state["as_of"]))
        if any(rule.target == "account" for rule in ruleset.rules):
            try:
                report = audit_snapshot(SNAPSHOT, path, as_of=state["as_of"], contract_path=None,
                                        shocks=shocks, max_findings=5, progress=False,
                                        fx_rates_path=None)
            except InputError:
                return ruleset
            _render_all(report)
        return ruleset

    write = _file_call(".rules", check)

    def run(data: bytes) -> object:
        state["as_of"] = DATES[data[0] % len(DATES)] if data else DATES[0]
        return write(data[1:])
    return run


def e2e_audit() -> Target:
    from compliance.audit.run import audit_snapshot
    from compliance.audit.stress import parse_shocks

    shocks = parse_shocks("-10%")

    def audit(path: str) -> object:
        report = audit_snapshot(path, "esma_like", as_of=DATES[0], contract_path=None,
                                shocks=shocks, max_findings=5, progress=False, fx_rates_path=None)
        _render_all(report)
        return report
    return _file_call(".csv", audit)


TARGETS: dict[str, Callable[[], Target]] = {
    "dsl": dsl, "expr": expr, "contract": contract, "csv": csv, "parquet": parquet, "tree": tree,
    "waivers": waivers, "fx": fx, "template": template, "e2e_check": e2e_check,
    "e2e_rules": e2e_rules, "e2e_audit": e2e_audit,
}


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def seeds(name: str) -> list[bytes]:
    """The seed corpus of a target, from the repository's own files and the tests' fixtures."""
    fixtures = ROOT / "tests" / "fixtures"
    contracts = (_files(ROOT / "contract_templates", "*.yaml") + _files(fixtures, "*/*.yaml"))
    rules = _files(ROOT / "rulesets", "*.rules")
    found: dict[str, list[Path]] = {
        "dsl": rules + [SEEDS / "evaluate.rules"],
        "e2e_rules": rules + [SEEDS / "evaluate.rules"], "contract": contracts, "e2e_check": contracts,
        "csv": [SEEDS / "accounts.csv"], "e2e_audit": [SEEDS / "accounts.csv"],
        "tree": [SEEDS / "accounts.json", SEEDS / "accounts.yaml"],
        "waivers": [SEEDS / "waivers.yaml"], "fx": [SEEDS / "rates.yaml"],
        "template": [SEEDS / "report.j2", *_files(ROOT / "compliance" / "report" / "templates", "*.j2")],
    }
    data = [path.read_bytes() for path in found.get(name, [])]
    if name in ("dsl", "e2e_rules"):
        data += [program.encode("utf-8") for program in _small_programs(rules)]
    if name == "e2e_rules":
        data = [bytes([index % len(DATES)]) + item for index, item in enumerate(data)]
    if name == "expr":
        data = [line.encode() for line in _expressions(rules)]
    if name == "parquet":
        data = [_parquet_seed()]
    return data


def _small_programs(rules: list[Path]) -> list[str]:
    """One rule (or exception) of a real ruleset with the ruleset's lets and a short header: the
    parser costs milliseconds per kilobyte, so small seeds are fuzzed many times faster."""
    programs: list[str] = []
    for path in rules:
        text = path.read_text(encoding="utf-8")
        name = next((line.split()[1] for line in text.splitlines() if line.startswith("ruleset ")), "x")
        blocks = ["\n".join(line for line in block.split("\n") if not line.lstrip().startswith("#"))
                  for block in text.split("\n\n")]
        lets = [block for block in blocks if block.lstrip().startswith("let ")]
        for block in blocks:
            if block.lstrip().startswith(("rule ", "exception ", "override rule ")):
                programs.append(f'ruleset {name}\n  version "1.0.0"\n\n' + "\n\n".join(lets)
                                + "\n\n" + block + "\n")
    return programs


def _expressions(rules: list[Path]) -> list[str]:
    import re

    clause = re.compile(r"^\s*(?:require|when|subject|let \w+ =)\s+(.+)$")
    found = {m.group(1).split(" #")[0].strip() for path in rules
             for m in map(clause.match, path.read_text(encoding="utf-8").splitlines()) if m}
    return sorted(found) or ["1 + 2 > 3"]


def _parquet_seed() -> bytes:
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pacsv.read_csv(SNAPSHOT), sink)
    return sink.getvalue()
