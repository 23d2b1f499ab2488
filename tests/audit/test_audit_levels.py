"""Which close-out and warning levels an audit uses (the contract's, else the ruleset's parameters,
else ESMA's 50%), and what the JSON report of an audit carries besides the findings."""
from __future__ import annotations

import datetime as _dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from compliance.audit.run import DEFAULT_CLOSE_OUT_LEVEL, Levels, audit_snapshot, levels_for
from compliance.cli import main
from compliance.documents.contract import load_contract
from compliance.dsl.loader import load_ruleset
from compliance.dsl.units import Percent
from compliance.evaluate.scalar import params_as_of
from compliance.report.json_report import report_json

AS_OF = _dt.date(2026, 1, 1)
D = Decimal

# Levels written as a ruleset author would; none of the built-in rulesets sets a warning level.
LEVELS_RULES = '''\
ruleset house_levels
  version "1"

let close_out_level = 60%

let warning_level = 90%

let close_out_at_or_below = true
'''

EMPTY_RULES = 'ruleset bare\n  version "1"\n'


def contract(tmp_path: Path, margin: str, name: str = "c.yaml") -> Any:
    path = tmp_path / name
    path.write_text(f"kind: contract\nid: LEVELS-1\nmargin:\n{margin}", encoding="utf-8")
    return load_contract(str(path))


def ruleset_and_params(spec: str) -> tuple[Any, dict[str, Any]]:
    ruleset = load_ruleset(spec)
    return ruleset, params_as_of(ruleset, AS_OF)


@pytest.fixture
def house(tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    path = tmp_path / "house_levels.rules"
    path.write_text(LEVELS_RULES, encoding="utf-8")
    return ruleset_and_params(str(path))


@pytest.fixture
def bare(tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    path = tmp_path / "bare.rules"
    path.write_text(EMPTY_RULES, encoding="utf-8")
    return ruleset_and_params(str(path))


def test_default_is_esmas_half_of_initial_margin_with_no_warning_line(bare: Any) -> None:
    assert DEFAULT_CLOSE_OUT_LEVEL == D("0.5")
    assert levels_for(*bare, None) == Levels(D("0.5"), False, None)


def test_esma_like_close_out_is_its_50_percent_parameter() -> None:
    ruleset, params = ruleset_and_params("esma_like")
    assert params["close_out_level"] == Percent(D("0.5"))
    assert levels_for(ruleset, params, None) == Levels(D("0.5"), False, None)


def test_ruleset_parameters_apply_without_a_contract(house: Any) -> None:
    assert levels_for(*house, None) == Levels(D("0.6"), True, D("0.9"))


def test_the_contracts_own_levels_win(tmp_path: Path, house: Any) -> None:
    terms = contract(tmp_path, "  close_out_level: 40%\n  warning_level: 75%\n  close_out_comparison: below\n")
    assert levels_for(*house, terms) == Levels(D("0.4"), False, D("0.75"))
    terms = contract(tmp_path, "  close_out_level: 55%\n  close_out_comparison: at_or_below\n", "d.yaml")
    # the warning line the contract leaves out comes from the ruleset
    assert levels_for(*house, terms) == Levels(D("0.55"), True, D("0.9"))


def test_a_contract_without_levels_falls_back_to_the_ruleset(tmp_path: Path, house: Any, bare: Any) -> None:
    terms = contract(tmp_path, "  notice_channels: [email]\n")
    # the comparison is the contract's to state: when it says nothing, close-out is strictly below
    assert levels_for(*house, terms) == Levels(D("0.6"), False, D("0.9"))
    assert levels_for(*bare, terms) == Levels(D("0.5"), False, None)


@pytest.mark.parametrize("name", ["fca_like", "platform_default"])
def test_a_ruleset_that_closes_out_at_the_line_is_honoured(name: str) -> None:
    ruleset, params = ruleset_and_params(name)
    assert params["close_out_comparison"] == "at_or_below"
    assert levels_for(ruleset, params, None).close_out_at_or_below is True


# ---- the JSON report of an audit ----------------------------------------------------------------

SNAPSHOT = """\
account_id,client_category,balance,equity,margin_used,exposure,currency,negative_balance_protection,instrument_class,desk
A1,retail,1000,400,1000,30000,EUR,true,fx_major,x
A2,retail,500,500,1000,15000,EUR,true,fx_major,x
A3,retail,2000,2000,500,5000,EUR,true,gold,y
A4,retail,100,-50,200,4000,EUR,true,gold,y
"""
# What the ESMA account rules make of them (equity / margin used; exposure / equity):
#   A1  40%: below 50%, close-out (MCO-1);    margin 3.33% of exposure: the fx_major minimum (LEV-1)
#   A2  50%: exactly at the line (MCO-2);      30:1 at the cap
#   A3 400%: fine;                             2.5:1
#   A4 negative equity under NBP (NBP-1) and below 50% (MCO-1); no leverage without equity


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(SNAPSHOT, encoding="utf-8")
    return path


def test_audit_json_carries_counts_levels_metrics_and_stress(snapshot: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    terms = tmp_path / "terms.yaml"
    terms.write_text("kind: contract\nid: T-1\nmargin:\n  close_out_level: 50%\n  warning_level: 80%\n",
                     encoding="utf-8")
    code = main(["audit", str(snapshot), "--ruleset", "esma_like", "--contract", str(terms),
                 "--stress=-10%,-20%", "--as-of", "2026-01-01", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["as_of"] == "2026-01-01"
    assert [item["path"] for item in report["inputs"]] == [str(snapshot), str(terms)]
    audit = report["audit"]
    assert set(audit) == {"accounts", "levels", "rule_counts", "metrics", "stress", "max_findings_per_rule",
                          "ignored_columns"}
    assert audit["accounts"] == 4
    assert audit["levels"] == {"close_out_level": "50%", "close_out_at_or_below": False, "warning_level": "80%"}
    assert audit["ignored_columns"] == ["desk"]
    assert audit["max_findings_per_rule"] == 100
    # a 10% fall: A1 400 - 3000, A2 500 - 1500, A4 -50 - 400 end negative; A3 keeps 1500 of equity
    assert [shock["shock"] for shock in audit["stress"]] == ["-10%", "-20%"]
    ten = audit["stress"][0]
    assert (ten["close_outs"], ten["new_close_outs"]) == (3, 1)           # A2 joins A1 and A4
    assert (ten["negative_equity"], ten["new_negative_equity"]) == (3, 2)
    assert ten["platform_shortfall"] == "4050.00"                         # 2600 + 1000 + 450, all under NBP
    assert ten["client_debt"] == "0.00"

    counts = {row["rule_id"]: row for row in audit["rule_counts"]}
    esma = load_ruleset("esma_like")
    assert set(counts) == {rule.rule_id for rule in esma.rules if rule.target == "account"}
    assert counts["ESMA-ACC-MCO-1"]["breaches"] == 2                  # A1 and A4
    assert counts["ESMA-ACC-MCO-2"]["breaches"] == 1                  # A2
    assert counts["ESMA-ACC-NBP-1"]["breaches"] == 1                  # A4
    # leverage is judged on the margin collected when positions were opened, not on equity now:
    # A1's 1,000 is 3.33% of its 30,000, exactly the fx_major minimum
    assert counts["ESMA-ACC-LEV-1"]["breaches"] == 0
    # without a money 'subject' clause the money involved is the breaching accounts' exposure
    assert counts["ESMA-ACC-NBP-1"]["money_column"] == "exposure"
    assert counts["ESMA-ACC-NBP-1"]["money_involved"] == "4000.00"    # A4
    assert counts["ESMA-ACC-MCO-1"]["money_involved"] == "34000.00"   # exposure of A1 + A4
    assert counts["ESMA-ACC-MCO-1"]["share"] == "0.5000"
    assert [o["account_id"] for o in counts["ESMA-ACC-MCO-1"]["top_offenders"]] == ["A1", "A4"]  # worst first
    # the summary counts breaching accounts by severity
    errors = sum(row["breaches"] for row in audit["rule_counts"] if row["severity"] == "error")
    warnings = sum(row["breaches"] for row in audit["rule_counts"] if row["severity"] == "warning")
    # errors: MCO-1 (A1, A4) + NBP-1 (A4); warnings: MCO-2 (A2), and once for the snapshot, which
    # has no product_type column: its accounts are audited as CFD accounts (ESMA-SCOPE-3)
    assert (errors, warnings) == (3, 1)
    assert (report["summary"]["errors"], report["summary"]["warnings"]) == (3, 2)
    assert report["summary"]["not_stated"] == 1
    [assumed] = [f for f in report["findings"] if f["rule_id"] == "ESMA-SCOPE-3"]
    assert assumed["outcome"] == "not_stated" and assumed["subject"] == "product_type"

    metrics = audit["metrics"]
    assert metrics["accounts"] == 4
    assert metrics["under_close_out_level"] == 2                      # A1 (40%), A4 (negative)
    assert metrics["at_close_out_level"] == 1                         # A2
    assert metrics["under_warning_level"] == 3                        # A1, A2, A4 below 80%


def test_audit_report_extra_without_contract_or_stress(snapshot: Path) -> None:
    report = audit_snapshot(str(snapshot), "esma_like", as_of=AS_OF, max_findings=1)
    assert report.kind == "audit"
    assert [item.path for item in report.inputs] == [str(snapshot)]
    assert report.extra["stress"] == []
    assert report.extra["levels"] == {"close_out_level": "50%", "close_out_at_or_below": False,
                                      "warning_level": None}
    # at most one listed finding per rule, the totals stay exact
    mco = next(row for row in report.extra["rule_counts"] if row["rule_id"] == "ESMA-ACC-MCO-1")
    assert (mco["breaches"], mco["listed"]) == (2, 1)
    assert [f.subject for f in report.findings if f.rule_id == "ESMA-ACC-MCO-1"] == ["A1"]
    document = report_json(report)
    assert document["audit"] is report.extra
    assert list(document)[:5] == ["tool", "ruleset", "inputs", "findings", "summary"]


def test_audit_without_extra_columns_lists_none_ignored(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in SNAPSHOT.splitlines()) + "\n", encoding="utf-8")
    report = audit_snapshot(str(path), "esma_like", as_of=AS_OF)
    assert "ignored_columns" not in report.extra
    assert report.extra["accounts"] == 4


def test_the_contract_s_stricter_close_out_level_reaches_the_rules(tmp_path: Path) -> None:
    """--contract feeds the contract's levels to the rules, not only to the metrics: accounts
    under a contract that closes out at 60% are judged at 60% (the platform promised it)."""
    import datetime as dt

    from compliance.audit.run import audit_snapshot

    book = tmp_path / "book.csv"
    book.write_text("account_id,client_category,balance,equity,margin_used,exposure,product_type\n"
                    "A1,retail,1000,550,1000,30000,cfd\nA2,retail,1000,450,1000,30000,cfd\n", encoding="utf-8")
    contract = tmp_path / "contract.yaml"
    contract.write_text("kind: contract\nid: C60\nproduct: {type: cfd}\nmargin: {close_out_level: 60%}\n",
                        encoding="utf-8")
    looser = tmp_path / "looser.yaml"
    looser.write_text("kind: contract\nid: C40\nproduct: {type: cfd}\nmargin: {close_out_level: 40%}\n",
                      encoding="utf-8")

    def breaches(contract_path: Path | None) -> list[str]:
        report = audit_snapshot(str(book), "esma_like", as_of=dt.date(2026, 1, 1),
                                contract_path=str(contract_path) if contract_path else None)
        return sorted(f.subject for f in report.findings if f.rule_id == "ESMA-ACC-MCO-1")

    assert breaches(None) == ["A2"]                 # the law's 50%
    assert breaches(contract) == ["A1", "A2"]       # the contract's 60%
    assert breaches(looser) == ["A2"]               # a looser contract does not loosen the law
