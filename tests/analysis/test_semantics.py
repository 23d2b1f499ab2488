"""The analysis follows the verdict semantics rule by rule: section conditions before `when`,
exceptions to a whole section, assumptions that fill what a document does not state, silence as
not stated or as a breach, stated() and either(), and citations dated like parameters. Each case
asks the solver a question and checks its answer with the scalar evaluator."""
from __future__ import annotations

import datetime as dt
import json

import pytest

z3 = pytest.importorskip("z3")

from pinning import outcomes, pin  # noqa: E402

from compliance.analysis.cases import rule_case  # noqa: E402
from compliance.analysis.common import encode, new_document, verdicts  # noqa: E402
from compliance.analysis.coverage import coverage  # noqa: E402
from compliance.analysis.lint import lint  # noqa: E402
from compliance.analysis.prove import IMPLIED, NOT_IMPLIED, prove  # noqa: E402
from compliance.cli import main  # noqa: E402
from compliance.documents.model import Document  # noqa: E402
from compliance.dsl.loader import load_ruleset, load_ruleset_text  # noqa: E402

AS_OF = dt.date(2026, 1, 1)

LAW = '''ruleset law
  version "1"

let caps_in_force = false, true from 2020-01-01

assume LAW-A "read as retail"
  applies to contract
  set client.category = "retail"

section cfds "CFDs for retail clients"
  applies to contract
  when caps_in_force and product.type == "cfd"

exception LAW-PRO to section cfds "Professionals are outside the section"
  when client.category == "professional"

rule LAW-1 "Leverage cap"
  topic leverage_cap
  severity error
  citation "the old act", "the new act" from 2024-01-01
  when client.category == "retail"
  require leverage.fx_major <= 30:1
  silence warning "state the leverage"

rule LAW-2 "Negative balance protection"
  topic negative_balance_protection
  severity error
  citation "the act"
  require negative_balance_protection == true
  silence breach "without it the client may owe more than the deposit"

rule LAW-3 "A close-out level, from its key or a default"
  topic margin_close_out
  severity error
  citation "the act"
  require either(margin.close_out_level, 40%) >= 50%

rule LAW-4 "A cure period is stated"
  topic margin_call
  severity warning
  citation "the act"
  require stated(margin.cure_period)
'''


@pytest.fixture(scope="module")
def law():
    return load_ruleset_text(LAW, "law.rules")


def _outcomes(ruleset, rule_id: str, data: dict, as_of: dt.date = AS_OF) -> list[str]:
    """The outcomes the encoding allows for the contract whose fields are exactly ``data``."""
    symbolic = new_document("contract", [ruleset])
    encoded = encode(ruleset, ruleset.rule(rule_id), symbolic, as_of)
    solver = z3.Solver()
    solver.add(symbolic.all_constraints())
    pin(solver, symbolic, data)
    return outcomes(solver, encoded)


def _evaluated(ruleset, rule_id: str, data: dict, as_of: dt.date = AS_OF) -> str:
    document = Document("contract", "t", {"kind": "contract", "id": "t", **data})
    return verdicts(ruleset, document, as_of, [ruleset.rule(rule_id)])[rule_id]


CASES = [
    # (what, rule, data, as of): the solver's only outcome must be the evaluator's
    ("the section's condition is false: not applicable", "LAW-2", {"product": {"type": "margin_loan"}}, AS_OF),
    ("the section's dated parameter is false before 2020", "LAW-2", {"product": {"type": "cfd"}},
     dt.date(2019, 12, 31)),
    ("silent on the product: the section cannot be decided", "LAW-2", {}, AS_OF),
    ("the exception to the section exempts", "LAW-2",
     {"product": {"type": "cfd"}, "client": {"category": "professional"}}, AS_OF),
    ("silence breach: an unstated requirement fails", "LAW-2", {"product": {"type": "cfd"}}, AS_OF),
    ("silence warning: an unstated requirement is not stated", "LAW-1", {"product": {"type": "cfd"}}, AS_OF),
    ("the assumption reads a silent client as retail", "LAW-1", {"product": {"type": "cfd"}}, AS_OF),
    ("either() takes the default when the key is silent", "LAW-3", {"product": {"type": "cfd"}}, AS_OF),
    ("stated() of a missing key is not stated, never failed", "LAW-4", {"product": {"type": "cfd"}}, AS_OF),
    ("stated() of a present key passes", "LAW-4",
     {"product": {"type": "cfd"}, "margin": {"cure_period": "2 days"}}, AS_OF),
]


@pytest.mark.parametrize("what, rule_id, data, as_of", CASES, ids=[c[0] for c in CASES])
def test_the_solver_gives_the_evaluators_outcome(law, what, rule_id, data, as_of):
    from compliance.documents.models import to_duration
    if "margin" in data and "cure_period" in data["margin"]:
        data = {**data, "margin": {"cure_period": to_duration(data["margin"]["cure_period"])}}
    assert _outcomes(law, rule_id, data, as_of) == [_evaluated(law, rule_id, data, as_of)]


@pytest.mark.parametrize("rule_id, outcome, possible", [
    ("LAW-2", "not_stated", False),   # silence breach: never not stated
    ("LAW-2", "failed", True),
    ("LAW-4", "failed", False),       # stated(): true or missing, never false
    ("LAW-4", "not_stated", True),
    ("LAW-3", "not_stated", False),   # either() with a constant default is always decided
])
def test_which_outcomes_a_rule_can_have(law, rule_id, outcome, possible):
    case = rule_case(law, law.rule(rule_id), AS_OF, outcome)
    assert (case.found is not None) == possible
    if case.found is not None:
        assert verdicts(law, case.found.document, AS_OF, [law.rule(rule_id)])[rule_id] == outcome


def test_a_witness_reaches_the_exception_to_a_section(law):
    from compliance.evaluate.scalar import evaluate_document
    case = rule_case(law, law.rule("LAW-2"), AS_OF, "not_applicable", exception="LAW-PRO")
    assert case.found is not None and case.found.data["client"]["category"] == "professional"
    results = evaluate_document(law, case.found.document, AS_OF, rules=[law.rule("LAW-2")])
    assert [r.exception_id for r in results if r.rule.rule_id == "LAW-2"] == ["LAW-PRO"]
    # LAW-1's own `when` (retail only) comes first: the section's exception never decides it
    assert rule_case(law, law.rule("LAW-1"), AS_OF, "not_applicable", exception="LAW-PRO").found is None
    assert any(f.code == "exception-never-applies" and "LAW-1" in f.message for f in lint(law))


def test_coverage_knows_what_silence_and_sections_allow(law):
    by_rule = {item.rule.rule_id: item for item in coverage(law, suggest=False).rules}
    assert "not_stated" not in by_rule["LAW-2"].possible and "LAW-PRO" in by_rule["LAW-2"].possible
    assert "failed" not in by_rule["LAW-4"].possible and "not_stated" in by_rule["LAW-4"].possible


def test_an_assumption_is_a_ruleset_of_its_own(law):
    """The house reads a silent client as retail; a law without that assumption does not: a
    contract silent on its client passes the house's cap only if it passes it as retail."""
    house = load_ruleset_text(LAW.replace("ruleset law", "ruleset house"), "house.rules")
    no_assumption = LAW.replace('assume LAW-A "read as retail"\n  applies to contract\n  set client.category = "retail"\n', "")
    reg = load_ruleset_text(no_assumption.replace("ruleset law", "ruleset reg"), "reg.rules")
    result = prove(house, reg, AS_OF)
    assert {v.rule_id: v.verdict for v in result.verdicts}["LAW-1"] == IMPLIED
    # the other way round the law without the assumption lets a silent client through
    backwards = prove(reg, house, AS_OF)
    verdict = next(v for v in backwards.verdicts if v.rule_id == "LAW-1")
    assert verdict.verdict == NOT_IMPLIED
    assert "category" not in verdict.witness.data.get("client", {})
    assert "client.category" in verdict.reason and "only for documents that do not state" in verdict.reason
    assert verdicts(house, verdict.witness.document, AS_OF, [house.rule("LAW-1")])["LAW-1"] not in \
        ("passed", "not_applicable")


@pytest.mark.parametrize("as_of, cited", [(dt.date(2023, 6, 1), "the old act"), (AS_OF, "the new act")])
def test_prove_cites_the_provision_in_force(tmp_path, capsys, as_of, cited):
    path = tmp_path / "law.rules"
    path.write_text(LAW, encoding="utf-8")
    main(["rules", "prove", str(path), "--at-least-as-strict-as", str(path), "--as-of", as_of.isoformat(),
          "--format", "json"])
    rules = {r["rule_id"]: r for r in json.loads(capsys.readouterr().out)["rules"]}
    assert rules["LAW-1"]["citation"] == cited


LINT = '''ruleset lintme
  version "1"

let products = ["cfd"]

let level = 50% from 2020-01-01

let measures_in_force = false, true from 2021-01-01

section only_cfds "CFDs"
  applies to contract
  when product.type in products

rule L-1 "Stated only"
  topic contract_terms
  severity error
  citation "x"
  require stated(margin.cure_period)

rule L-2 "A silence clause nothing reaches"
  topic contract_terms
  severity error
  citation "x"
  when exists margin.close_out_level
  require margin.close_out_level >= 50%
  silence breach "never needed: the rule applies only when the level is stated"

rule L-3 "Reads a level that has no value before 2020"
  topic margin_close_out
  severity error
  citation "x"
  require margin.close_out_level >= level

rule L-4 "The same, switched on only once the level has a value"
  topic margin_close_out
  severity error
  citation "x"
  when measures_in_force
  require margin.close_out_level >= level
'''


def test_lint_on_the_new_clauses(tmp_path):
    path = tmp_path / "lintme.rules"
    path.write_text(LINT, encoding="utf-8")
    findings = {(f.code, f.span.line): f for f in lint(load_ruleset(str(path)))}
    lines = LINT.split("\n")
    line_of = {text: n for n, text in enumerate(lines, start=1)}
    assert ("only-not-stated", line_of['rule L-1 "Stated only"']) in findings
    assert findings[("only-not-stated", line_of['rule L-1 "Stated only"'])].severity == "info"
    silence_line = next(n for n, text in enumerate(lines, start=1) if text.startswith("  silence breach"))
    assert ("silence-never-used", silence_line) in findings
    # a parameter read only by a section condition is read
    assert not any(code == "unused-parameter" for code, _line in findings)
    unset = [f for f in findings.values() if f.code == "parameter-not-yet-set"]
    assert [(f.rule_id, f.span.line) for f in unset] == [("L-3", line_of['rule L-3 "Reads a level that has no value before 2020"'])]
    assert "2020-01-01" in unset[0].message


def test_a_gap_in_the_rules_is_shown_on_a_document_that_states_what_the_assumptions_differ_on():
    """House and REG read a silent client differently; a REG rule the house lacks is shown
    broken on a contract that states its client, not one that relies on the reading."""
    lacking = LAW[:LAW.index('rule LAW-2 "')] + LAW[LAW.index('rule LAW-3 "'):]
    house = load_ruleset_text(lacking.replace("ruleset law", "ruleset house"), "house.rules")
    reg = load_ruleset_text(LAW.replace('set client.category = "retail"', 'set client.category = "professional"')
                            .replace("ruleset law", "ruleset reg"), "reg.rules")
    verdict = next(v for v in prove(house, reg, AS_OF).verdicts if v.rule_id == "LAW-2")
    assert verdict.verdict == NOT_IMPLIED and verdict.reason == ""
    assert verdict.witness.data["client"]["category"] != "professional"   # stated, and not exempt
    assert verdicts(reg, verdict.witness.document, AS_OF, [reg.rule("LAW-2")])["LAW-2"] == "failed"
