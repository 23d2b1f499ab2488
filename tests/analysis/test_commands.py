"""The analysis commands end to end: prove, witness (and --save), lint, diff, test --coverage,
impact; exit codes and machine-readable output."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("z3")

from compliance.cli import main  # noqa: E402
from compliance.dsl.loader import builtin_names, load_ruleset  # noqa: E402
from compliance.evaluate.testing import run_tests  # noqa: E402

LOOSER = 'ruleset house\n  version "1"\n  extends esma_like\n\noverride let close_out_level = 40% from 2018-08-01\n'
STRICTER = 'ruleset house\n  version "1"\n  extends esma_like\n\noverride let close_out_level = 60% from 2018-08-01\n'

BAD = '''ruleset bad
  version "1"

let unused = 5%

let level = 50%, 50% from 2020-01-01

rule B-1 "never fails"
  topic leverage_cap
  severity error
  citation "x"
  require missing leverage.fx_major or leverage.fx_major <= 30:1 or true

rule B-2 "never applies"
  topic leverage_cap
  severity error
  citation "x"
  when exists margin.close_out_level and margin.close_out_level > 100% and margin.close_out_level < 50%
  require margin.close_out_level >= level

rule B-3 "high"
  topic margin_close_out
  severity error
  citation "x"
  require margin.close_out_level >= 60%

rule B-4 "low"
  topic margin_close_out
  severity error
  citation "x"
  require margin.close_out_level < 40%

rule B-5 "covered"
  topic margin_close_out
  severity error
  citation "x"
  when client.category == "retail"
  require margin.close_out_level >= level

exception B-5-ALL to B-5 "covers it all"
  when exists client.category
'''


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_prove_exit_codes_and_json(tmp_path, capsys):
    looser = _write(tmp_path, "looser.rules", LOOSER)
    stricter = _write(tmp_path, "stricter.rules", STRICTER)
    assert main(["rules", "prove", looser, "--at-least-as-strict-as", "esma_like", "--as-of", "2026-01-01",
                 "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    by_id = {r["rule_id"]: r for r in payload["rules"]}
    assert by_id["ESMA-MCO-1"]["verdict"] == "not_implied"
    assert by_id["ESMA-MCO-1"]["witness"]["reg_outcome"] == "failed"
    assert by_id["ESMA-LEV-1"]["verdict"] == "implied" and by_id["ESMA-LEV-1"]["implied_by"] == ["ESMA-LEV-1"]
    assert main(["rules", "prove", stricter, "--at-least-as-strict-as", "esma_like", "--as-of", "2026-01-01",
                 "--allow-not-analysed"]) == 0
    assert "NOT implied" not in capsys.readouterr().out
    # text rules are not analysed, so without the flag not every rule is shown implied
    assert main(["rules", "prove", stricter, "--at-least-as-strict-as", "esma_like", "--as-of", "2026-01-01"]) == 1


def test_prove_bad_input_exits_2(capsys):
    assert main(["rules", "prove", "no_such_ruleset", "--at-least-as-strict-as", "esma_like"]) == 2
    assert "error: unknown ruleset" in capsys.readouterr().err
    assert main(["rules", "prove", "esma_like", "--at-least-as-strict-as", "esma_like", "--as-of", "soon"]) == 2


@pytest.mark.parametrize("flag, outcome", [("--fails", "failed"), ("--passes", "passed")])
@pytest.mark.parametrize("rule_id", ["ESMA-LEV-1", "ESMA-MCO-1", "ESMA-ACC-MCO-1", "ESMA-ACC-LEV-1"])
def test_witness_is_confirmed_by_the_evaluator(rule_id, flag, outcome, capsys):
    from compliance.analysis.cases import rule_case
    from compliance.analysis.common import verdicts
    from compliance.evaluate.testing import DEFAULT_AS_OF

    assert main(["rules", "witness", rule_id, "--ruleset", "esma_like", flag, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["outcome"] == outcome
    ruleset = load_ruleset("esma_like")
    case = rule_case(ruleset, ruleset.rule(rule_id), DEFAULT_AS_OF, outcome)
    assert verdicts(ruleset, case.found.document, DEFAULT_AS_OF, [ruleset.rule(rule_id)])[rule_id] == outcome


def test_witness_save_appends_a_formatted_test_that_passes(tmp_path, capsys):
    from compliance.dsl.formatter import format_ruleset

    path = tmp_path / "esma_copy.rules"
    shutil.copy(load_ruleset("esma_like").path, path)
    before = len(load_ruleset(str(path)).tests)
    assert main(["rules", "witness", "ESMA-ACC-NBP-1", "--ruleset", str(path), "--save"]) == 0
    saved = load_ruleset(str(path))
    assert len(saved.tests) == before + 1
    assert all(result.passed for result in run_tests(saved))
    text = path.read_text(encoding="utf-8")
    assert format_ruleset(text, str(path)) == text


def test_lint_finds_each_kind_of_problem_at_its_position(tmp_path, capsys):
    path = _write(tmp_path, "bad.rules", BAD)
    assert main(["rules", "lint", "--ruleset", path]) == 1
    out = capsys.readouterr().out
    lines = BAD.split("\n")
    expected = {"unused-parameter": "let unused", "value-never-takes-effect": "50% from 2020-01-01",
                "never-fails": 'rule B-1', "never-applies": 'rule B-2', "conflict": 'rule B-4',
                "exception-covers-rule": "exception B-5-ALL"}
    for code, text in expected.items():
        line = next(n for n, content in enumerate(lines, start=1) if text in content)
        assert any(f"bad.rules:{line}:" in row and f"[{code}]" in row for row in out.splitlines()), (code, out)


def test_lint_allows_a_documented_exception(tmp_path, capsys):
    text = BAD.replace('rule B-1 "never fails"', '# lint: allow never-fails because it documents a safe harbour\n'
                                                 'rule B-1 "never fails"')
    assert main(["rules", "lint", "--ruleset", _write(tmp_path, "bad.rules", text)]) == 1
    assert "[never-fails]" not in capsys.readouterr().out.split("B-5")[0]


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_rulesets_lint_clean(name, capsys):
    code = main(["rules", "lint", "--ruleset", name])
    out = capsys.readouterr().out
    assert code == 0, out
    assert not [line for line in out.splitlines() if ": warning: " in line or ": error: " in line]


def test_diff_over_time_and_between_versions(tmp_path, capsys):
    assert main(["rules", "diff", "esma_like", "--from", "2018-07-01", "--to", "2019-01-01", "--format", "json"]) == 0
    changes = {c["name"]: c for c in json.loads(capsys.readouterr().out)["changes"]}
    assert changes["ESMA-LEV-1"]["change"] == "tightened" and changes["ESMA-LEV-1"]["citation"]
    assert changes["cfd_measures_in_force"]["change"] == "changed"
    looser = _write(tmp_path, "looser.rules", LOOSER.replace("40%", "45%"))
    assert main(["rules", "diff", "esma_like", looser, "--as-of", "2026-01-01", "--format", "json"]) == 0
    changes = {c["name"]: c for c in json.loads(capsys.readouterr().out)["changes"]}
    assert changes["ESMA-ACC-MCO-1"]["change"] == "loosened" and changes["ESMA-ACC-MCO-1"]["example"]
    # the contract rule reads the close-out clause's text too: never claimed tighter or looser
    assert changes["ESMA-MCO-1"]["change"] == "changed" and "not analysed" in changes["ESMA-MCO-1"]["detail"]
    assert changes["close_out_level"]["detail"] == "50% -> 45%"
    assert "ESMA-LEV-1" not in changes


def test_coverage_reports_missing_outcomes_and_threshold(tmp_path, capsys):
    text = BAD.split("rule B-2")[0] + 'test "b-1"\n  given contract {kind: "contract", id: "t"}\n  expect B-1 passed\n'
    path = _write(tmp_path, "cov.rules", text)
    assert main(["rules", "test", "--coverage", "--ruleset", path, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)[0]
    rule = report["rules"][0]
    assert rule["reached"] == ["passed"] and "failed" not in rule["possible"]
    assert main(["rules", "test", "--coverage", "--ruleset", path, "--min-coverage", "100"]) == 0
    text = text.replace("or true", "")
    path = _write(tmp_path, "cov2.rules", text)
    assert main(["rules", "test", "--coverage", "--ruleset", path, "--min-coverage", "100"]) == 1
    out = capsys.readouterr().out
    assert "not reached: failed" in out and "expect B-1 failed" in out


def test_impact_over_contracts_and_a_snapshot(tmp_path, capsys):
    snapshot = _write(tmp_path, "accounts.yaml", """accounts:
  - {account_id: A1, client_category: retail, balance: 1000, equity: 350, margin_used: 800, exposure: 24000}
  - {account_id: A2, client_category: retail, balance: 1000, equity: 900, margin_used: 800, exposure: 24000}
""")
    looser = _write(tmp_path, "looser.rules", LOOSER)
    assert main(["impact", snapshot, "contract_templates/eu_retail_cfd.yaml", "--ruleset", "esma_like",
                 "--new-ruleset", looser, "--from", "2026-01-01", "--to", "2026-01-01", "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    changes = payload["snapshots"][0]["changes"]
    assert {"rule_id": "ESMA-ACC-MCO-1", "before": "failed", "after": "passed", "accounts": 1} in changes
    assert [f["document"] for f in payload["snapshots"][0]["listed"] if f["rule_id"] == "ESMA-ACC-MCO-1"] == ["A1"]
    for fmt, marker in (("markdown", "| ESMA-ACC-MCO-1 |"), ("html", "<td>ESMA-ACC-MCO-1</td>"), ("text", "A1")):
        assert main(["impact", snapshot, "--ruleset", "esma_like", "--new-ruleset", looser, "--format", fmt]) == 1
        assert marker in capsys.readouterr().out
    assert main(["impact", snapshot, "--ruleset", "esma_like"]) == 2


COVERED = '''ruleset cov
  version "1"

rule C-2 "No bonus wording"
  topic incentives
  severity error
  citation "x"
  for each item in marketing
  require not mentions(item.text, ["bonus"])

section cfd_accounts "CFD accounts"
  applies to account
  when product_type == "cfd"

rule C-1 "Close-out"
  topic margin_close_out
  severity error
  citation "x"
  when margin_used > 0
  require equity > 50% * margin_used

test "a bonus"
  given contract {kind: "contract", id: "t", marketing: [{id: "m", text: "a bonus"}]}
  expect C-2 failed
'''


def test_coverage_suggestions_pass_as_in_file_tests_and_unknowns_are_not_counted(tmp_path):
    from compliance.analysis.coverage import coverage
    from compliance.dsl.loader import load_ruleset_text

    ruleset = load_ruleset(_write(tmp_path, "cov.rules", COVERED))
    report = {item.rule.rule_id: item for item in coverage(ruleset).rules}
    account = report["C-1"]
    assert set(account.missing) == {"failed", "passed", "not_applicable"} and len(account.suggestions) == 3
    assert all("EUR" in block and "XXX" not in block for block in account.suggestions)
    extended = load_ruleset_text(COVERED + "\n" + "\n".join(account.suggestions), str(tmp_path / "cov.rules"))
    assert len(extended.tests) == 4 and all(result.passed for result in run_tests(extended))
    # a rule outside the fragment: what no test reaches and no witness shows is unknown, not missing
    outside = report["C-2"]
    assert outside.possible == ("failed",) and outside.missing == ()
    assert set(outside.unknown) == {"passed", "not_stated", "not_applicable"}
