"""The built-in rulesets: their in-file tests, one broken contract per contract rule, the templates
that declare them, and the boundary cases the sources call out (docs/sources.md, EU and 1.5).

Each fixture in tests/fixtures/broken/ is named after the rule it breaks and says in its header
which topic the finding has and where it points:  ``# expect: ESMA-LEV-1 leverage_cap 15:3``.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from compliance.documents.contract import load_contract
from compliance.documents.model import Document
from compliance.dsl.loader import builtin_names, load_ruleset
from compliance.dsl.units import Leverage, Money, Percent
from compliance.evaluate.scalar import evaluate_document, overall
from compliance.evaluate.testing import run_tests, untested_rules

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ("esma_like", "platform_default")
PREFIX = {"ESMA": "esma_like", "PD": "platform_default"}
AS_OF = dt.date(2026, 1, 1)
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "broken").glob("*.yaml"))
# "# expect: RULE topic line:col [outcome]": the outcome is failed unless said (a rule that only
# asks for a term to be stated can only be not_stated).
EXPECT = re.compile(r"^# expect: (?P<rule>[A-Z0-9-]+) (?P<topic>\w+) (?P<line>\d+):(?P<column>\d+)"
                    r"(?: (?P<outcome>failed|not_stated))?$", re.M)


def ruleset(name: str):  # type: ignore[no-untyped-def]
    return load_ruleset(str(ROOT / "rulesets" / f"{name}.rules"))


def results_for(name: str, document: Document, as_of: dt.date = AS_OF) -> dict[str, list]:
    by_rule: dict[str, list] = {}
    for result in evaluate_document(ruleset(name), document, as_of):
        by_rule.setdefault(result.rule.rule_id, []).append(result)
    return by_rule


# ---- in-file tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", RULESETS)
def test_in_file_tests_pass(name: str) -> None:
    failures = [(test.name, e.rule_id, e.expected, e.actual, e.explanations)
                for test in run_tests(ruleset(name)) for e in test.expectations if not e.passed]
    assert failures == []


@pytest.mark.parametrize("name", RULESETS)
def test_every_rule_is_tested_passing_and_failing(name: str) -> None:
    assert untested_rules(ruleset(name)) == {}


# ---- one broken contract per contract rule ---------------------------------------------------------

def _expectation(path: Path) -> dict[str, str]:
    found = EXPECT.search(path.read_text(encoding="utf-8"))
    assert found, f"{path.name} has no '# expect: RULE topic line:col' header"
    return found.groupdict()


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_broken_contract_fails_its_rule_at_the_offending_key(path: Path) -> None:
    expected = _expectation(path)
    assert expected["rule"] == path.stem
    name = PREFIX[path.stem.split("-")[0]]
    outcome = expected["outcome"] or "failed"
    failed = [r for r in results_for(name, load_contract(str(path))).get(path.stem, [])
              if r.outcome == outcome]
    assert failed, f"{path.stem} did not come out {outcome}"
    finding = failed[0]
    assert finding.rule.topic == expected["topic"]
    assert finding.position is not None
    assert (finding.position.line, finding.position.column) == (int(expected["line"]), int(expected["column"]))
    assert finding.message and finding.fix


@pytest.mark.parametrize("name", RULESETS)
def test_every_contract_rule_has_a_broken_fixture(name: str) -> None:
    contract_rules = {r.rule_id for r in ruleset(name).rules if r.target == "contract"}
    assert contract_rules <= {p.stem for p in FIXTURES}


# ---- the templates pass the rulesets they declare -------------------------------------------------

TEMPLATES = sorted((ROOT / "contract_templates").glob("*.yaml"))
TEMPLATES_REVIEWED = dt.date.fromisoformat(
    (ROOT / "contract_templates" / "REVIEW_DATE").read_text(encoding="utf-8").strip())


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_templates_pass_their_rulesets(path: Path) -> None:
    declared = yaml.safe_load(path.read_text(encoding="utf-8")).get("rulesets") or []
    for name in (n for n in declared if n in RULESETS):
        bad = [(r.rule.rule_id, r.outcome, r.subject, r.message)
               for results in results_for(name, load_contract(str(path)), TEMPLATES_REVIEWED).values()
               for r in results if r.outcome in ("failed", "not_stated")]
        assert bad == [], f"{path.name} against {name}"


# ---- boundaries ---------------------------------------------------------------------------------------

def _contract(**data: object) -> Document:
    return Document("contract", "<test>", {"kind": "contract", "id": "t", "client": {"category": "retail"},
                                           "product": {"type": "cfd"}, **data})


@pytest.mark.parametrize("margin, outcome", [("3.33", "passed"), ("3.34", "passed"), ("3.32", "failed")])
def test_major_fx_margin_boundary(margin: str, outcome: str) -> None:
    from decimal import Decimal
    document = _contract(initial_margin={"fx_major": Percent(Decimal(margin) / 100)})
    assert overall(results_for("esma_like", document)["ESMA-LEV-2"]) == outcome


def test_thirty_to_one_passes_and_thirty_point_zero_three_fails() -> None:
    from decimal import Decimal
    ok = results_for("esma_like", _contract(leverage={"fx_major": Leverage(Decimal(30))}))
    bad = results_for("esma_like", _contract(leverage={"fx_major": Leverage(Decimal("30.03"))}))
    assert overall(ok["ESMA-LEV-1"]) == "passed"
    assert overall(bad["ESMA-LEV-1"]) == "failed"


def test_leverage_and_margin_tables_agree() -> None:
    from compliance.evaluate.scalar import params_as_of
    params = params_as_of(ruleset("esma_like"), AS_OF)
    from compliance.dsl.units import margin_for_leverage
    assert params["retail_cap"].keys() == params["retail_initial_margin"].keys()
    for cls, cap in params["retail_cap"].items():
        assert margin_for_leverage(cap) == params["retail_initial_margin"][cls], cls


def _account(equity: str, **extra: object) -> Document:
    from decimal import Decimal
    row = {"account_id": "A1", "client_category": "retail", "balance": Money(Decimal(1000), "EUR"),
           "equity": Money(Decimal(equity), "EUR"), "margin_used": Money(Decimal(800), "EUR"),
           "exposure": Money(Decimal(24000), "EUR"), **extra}
    return Document("account", "<test>", row)


@pytest.mark.parametrize("equity, error, warning", [
    ("400.01", "passed", "passed"),
    ("400", "passed", "failed"),      # exactly 50%: not "less than half", but a warning
    ("399.99", "failed", "passed"),
])
def test_close_out_boundary(equity: str, error: str, warning: str) -> None:
    results = results_for("esma_like", _account(equity))
    assert overall(results["ESMA-ACC-MCO-1"]) == error
    assert overall(results["ESMA-ACC-MCO-2"]) == warning


def test_professional_account_exempt() -> None:
    results = results_for("esma_like", _account("100", client_category="professional"))
    assert overall(results["ESMA-ACC-MCO-1"]) == "not_applicable"
    assert all(r.exception_id == "ESMA-ACC-PRO" for r in results["ESMA-ACC-MCO-1"])


def test_professional_contract_exempt() -> None:
    from decimal import Decimal
    document = _contract(client={"category": "professional"}, leverage={"fx_major": Leverage(Decimal(200))})
    assert overall(results_for("esma_like", document)["ESMA-LEV-1"]) == "not_applicable"


def test_platform_close_out_at_the_line_is_a_breach() -> None:
    from decimal import Decimal
    row = {"account_id": "M1", "client_category": "retail", "product_type": "margin_loan",
           "balance": Money(Decimal(0), "CNY"), "equity": Money(Decimal(30), "CNY"),
           "margin_used": Money(Decimal(100), "CNY"), "exposure": Money(Decimal(130), "CNY")}
    results = results_for("platform_default", Document("account", "<test>", row))
    assert overall(results["PD-ACC-MCO-1"]) == "failed"


def _catalogue_rows(name: str) -> dict[str, list[str]]:
    """The rows of ruleset ``name``'s table in docs/rulesets.md, by rule id."""
    text = (Path(__file__).parents[1] / "docs" / "rulesets.md").read_text(encoding="utf-8")
    rows: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        heading = re.match(r"^## `([a-z_]+)`", line)
        if heading:
            section = heading.group(1)
        elif section == name and re.match(r"^\| [A-Z][A-Z0-9-]+ \| ", line):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            rows[cells[0]] = cells
    return rows


def _source(ruleset, expr) -> str:  # type: ignore[no-untyped-def]
    span = expr.span
    lines = ruleset.sources[span.path].split("\n")[span.line - 1:span.end_line]
    lines[-1] = lines[-1][:span.end_column - 1]
    lines[0] = lines[0][span.column - 1:]
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("name", builtin_names())
def test_the_rule_catalogue_shows_each_rule_as_written(name: str) -> None:
    # docs/rulesets.md is read by compliance officers: its requirement column must be the rule's.
    rows = _catalogue_rows(name)
    ruleset = load_ruleset(name)
    assert list(rows) == [rule.rule_id for rule in ruleset.rules]
    for rule in ruleset.rules:
        row = rows[rule.rule_id]
        assert row[1:4] == [rule.title, f"`{rule.topic}`", rule.severity], rule.rule_id
        assert row[5].strip("`").replace("\\|", "|") == _source(ruleset, rule.require), rule.rule_id
