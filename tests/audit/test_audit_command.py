"""``compliance audit``: exact counts and totals per account rule, truncation, stress, exit codes,
bad inputs, deterministic JSON and atomic output, all through ``compliance.cli.main``."""
from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from compliance.cli import main

ACC_RULES = '''\
ruleset acc
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
  message "equity {equity} below {close_out_level} of {margin_used}"
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

HEADER = ("account_id,client_category,balance,equity,margin_used,exposure,currency,"
          "negative_balance_protection,instrument_class")
# Each account is on line index + 2. What each rule makes of it:
#                                                            MCO-1      NBP-1     LEV-1
ACCOUNTS = [
    "A1,retail,1000,400,1000,30000,EUR,true,fx_major",        # failed     passed    failed (75:1)
    "A2,retail,500,-50,200,4000,EUR,true,gold",               # failed     failed    n/a (equity<0)
    "A3,retail,800,500,1000,15000,EUR,true,fx_major",         # passed =   passed    passed (30:1 =)
    "A4,professional,9000,9000,100,500000,EUR,false,equity",  # n/a        n/a       exempt
    "A5,retail,1000,1000,0,2500,EUR,,crypto",                 # n/a (0)    n/a       failed (2.5:1)
    "A6,retail,-3.10,-1200.55,300,7000.25,EUR,true,",         # failed     failed    n/a
    "A7,retail,100,100,100,99999,EUR,true,index_major",       # passed     passed    n/a (class)
    "A8,eligible_counterparty,10,10,50,100000,EUR,false,fx_major",  # n/a  n/a       exempt
]

EXPECTED = {
    "ACC-MCO-1": {"breaches": 3, "passed": 2, "not_applicable": 3, "share": "0.3750",
                  "money_column": "exposure", "money_involved": "41000.25",
                  "offenders": [("A1", 2, "30000.00"), ("A6", 7, "7000.25"), ("A2", 3, "4000.00")]},
    "ACC-NBP-1": {"breaches": 2, "passed": 3, "not_applicable": 3, "share": "0.2500",
                  "money_column": "equity", "money_involved": "1250.55",
                  "offenders": [("A6", 7, "-1200.55"), ("A2", 3, "-50.00")]},
    "ACC-LEV-1": {"breaches": 2, "passed": 1, "not_applicable": 5, "share": "0.2500",
                  "money_column": "exposure", "money_involved": "32500.00",
                  "offenders": [("A1", 2, "30000.00"), ("A5", 6, "2500.00")]},
}
TOTAL_BREACHES = sum(item["breaches"] for item in EXPECTED.values())


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "acc.rules"
    rules.write_text(ACC_RULES)
    snapshot = tmp_path / "accounts.csv"
    snapshot.write_text(HEADER + "\n" + "\n".join(ACCOUNTS) + "\n")
    return {"rules": str(rules), "snapshot": str(snapshot), "dir": str(tmp_path)}


def audit(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args, "--as-of", "2026-01-31"])
    out, err = capsys.readouterr()
    return code, out, err


def audit_json(capsys, files, *extra: str) -> tuple[int, dict]:
    code, out, err = audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--format", "json",
                           *extra)
    assert err == "", err
    return code, json.loads(out)


# ---- counts, shares, money and offenders per rule ---------------------------------------------

@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_each_rule_has_exact_counts_totals_and_offenders(capsys, files, rule_id):
    code, report = audit_json(capsys, files)
    counts = {item["rule_id"]: item for item in report["audit"]["rule_counts"]}
    assert list(counts) == ["ACC-MCO-1", "ACC-NBP-1", "ACC-LEV-1"]  # the ruleset's order
    got, wanted = counts[rule_id], EXPECTED[rule_id]
    for key in ("breaches", "passed", "not_applicable", "share", "money_column", "money_involved"):
        assert got[key] == wanted[key], key
    assert got["breaches"] + got["passed"] + got["not_applicable"] == len(ACCOUNTS)
    assert got["listed"] == wanted["breaches"]
    assert [(o["account_id"], o["line"], o["value"]) for o in got["top_offenders"]] == wanted["offenders"]
    findings = [f for f in report["findings"] if f["rule_id"] == rule_id]
    assert sorted((f["subject"], f["line"]) for f in findings) == sorted(
        (account, line) for account, line, _ in wanted["offenders"])
    assert code == 1


def test_findings_messages_positions_and_summary(capsys, files):
    code, report = audit_json(capsys, files)
    assert report["summary"]["errors"] == TOTAL_BREACHES == 7
    assert report["summary"]["warnings"] == report["summary"]["info"] == 0
    assert report["summary"]["rules_evaluated"] == 3
    assert report["audit"]["accounts"] == len(ACCOUNTS)
    keys = [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]]
    assert keys == sorted(keys)  # sorted by path, line, rule_id
    mco = next(f for f in report["findings"] if f["rule_id"] == "ACC-MCO-1" and f["subject"] == "A1")
    assert mco["message"] == "equity EUR 400 below 50% of EUR 1,000"
    # A breach points at the rule's money column: exposure for MCO-1, its subject equity for NBP-1.
    assert (mco["line"], mco["column"]) == (2, len("A1,retail,1000,400,1000,") + 1)
    nbp = next(f for f in report["findings"] if f["rule_id"] == "ACC-NBP-1" and f["subject"] == "A6")
    assert (nbp["line"], nbp["column"]) == (7, len("A6,retail,-3.10,") + 1)


def test_a_breach_exactly_at_a_boundary_is_not_a_breach(capsys, files, tmp_path):
    """A3: equity exactly 50% of margin and leverage exactly 30:1 comply (>= and <=)."""
    path = tmp_path / "boundary.csv"
    path.write_text(HEADER + "\n" + ACCOUNTS[2] + "\n" + "B1,retail,1,499.99,1000,15000,EUR,true,fx_major\n")
    code, out, err = audit(capsys, str(path), "--ruleset", files["rules"], "--format", "json")
    counts = {c["rule_id"]: c for c in json.loads(out)["audit"]["rule_counts"]}
    assert (counts["ACC-MCO-1"]["breaches"], counts["ACC-MCO-1"]["passed"]) == (1, 1)
    assert [o["account_id"] for o in counts["ACC-MCO-1"]["top_offenders"]] == ["B1"]
    assert (counts["ACC-LEV-1"]["breaches"], counts["ACC-LEV-1"]["passed"]) == (1, 1)  # 30.0006:1
    assert code == 1


# ---- --max-findings ---------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [1, 2])
def test_max_findings_truncates_the_list_but_not_the_totals(capsys, files, limit):
    code, report = audit_json(capsys, files, "--max-findings", str(limit))
    assert report["summary"]["errors"] == TOTAL_BREACHES
    counts = {c["rule_id"]: c for c in report["audit"]["rule_counts"]}
    assert report["audit"]["max_findings_per_rule"] == limit
    for rule_id, wanted in EXPECTED.items():
        listed = [f for f in report["findings"] if f["rule_id"] == rule_id]
        assert len(listed) == min(limit, wanted["breaches"])
        # the worst first: the largest amounts of money involved are the ones kept
        kept = {account for account, _, _ in wanted["offenders"][:limit]}
        assert {f["subject"] for f in listed} == kept
        assert counts[rule_id]["breaches"] == wanted["breaches"]
        assert counts[rule_id]["money_involved"] == wanted["money_involved"]
        assert counts[rule_id]["listed"] == len(listed)
        assert len(counts[rule_id]["top_offenders"]) == wanted["breaches"]  # up to 20, untruncated
    assert len(report["findings"]) == sum(min(limit, w["breaches"]) for w in EXPECTED.values())
    assert code == 1


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_verdict_counts_every_breach_and_says_how_many_are_listed(capsys, files, tmp_path, fmt):
    rows = [f"M{i},retail,100,{i % 7 - 3}.25,10,{1000 + i}.50,EUR,true,gold" for i in range(50)]
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    _, out, _ = audit(capsys, str(path), "--ruleset", files["rules"], "--format", "json",
                      "--max-findings", "2")
    report = json.loads(out)
    errors, listed = report["summary"]["errors"], len(report["findings"])
    assert listed < errors
    _, page, _ = audit(capsys, str(path), "--ruleset", files["rules"], "--format", fmt,
                       "--max-findings", "2")
    assert f"{errors} findings at or above error ({listed} listed)" in page
    # the top offenders' amount column is named, not a bare "Value"
    assert "| Account | Value |" not in page and '<th>Account</th><th class="num">Value<' not in page
    assert "| Account | " in page or "<th>Account</th>" in page


def test_max_findings_on_many_accounts_keeps_exact_totals(capsys, files, tmp_path):
    rows = [f"M{i},retail,100,{i % 7 - 3}.25,10,{1000 + i}.50,EUR,true,gold" for i in range(500)]
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    equities = [Decimal(f"{i % 7 - 3}.25") for i in range(500)]
    negative = [i for i, e in enumerate(equities) if e < 0]
    below = [i for i, e in enumerate(equities) if e < 5]
    code, out, _ = audit(capsys, str(path), "--ruleset", files["rules"], "--format", "json",
                         "--max-findings", "3")
    report = json.loads(out)
    counts = {c["rule_id"]: c for c in report["audit"]["rule_counts"]}
    assert counts["ACC-NBP-1"]["breaches"] == len(negative)
    assert counts["ACC-NBP-1"]["money_involved"] == f"{sum(-equities[i] for i in negative):.2f}"
    assert counts["ACC-MCO-1"]["breaches"] == len(below)
    assert counts["ACC-MCO-1"]["money_involved"] == f"{sum(Decimal(f'{1000 + i}.50') for i in below):.2f}"
    assert counts["ACC-MCO-1"]["share"] == f"{len(below) / 500:.4f}"
    assert len(counts["ACC-MCO-1"]["top_offenders"]) == 20
    assert [o["account_id"] for o in counts["ACC-MCO-1"]["top_offenders"][:3]] == [
        f"M{i}" for i in sorted(below, key=lambda i: -(1000 + i))[:3]]
    assert report["summary"]["errors"] == len(negative) + len(below) + counts["ACC-LEV-1"]["breaches"]
    assert len(report["findings"]) == 3 + 3 + min(3, counts["ACC-LEV-1"]["breaches"])
    assert code == 1


# ---- --stress ----------------------------------------------------------------------------------

def _expected_stress(shock: Decimal) -> dict:
    """Every position moves by ``shock``: equity += shock * exposure; margin *= 1 + shock."""
    close_outs = negative = new_negative = 0
    platform = client = unknown = Decimal(0)
    for line in ACCOUNTS:
        _, _, _, equity, margin, exposure, _, nbp, _ = line.split(",")
        equity, margin, exposure = Decimal(equity), Decimal(margin), Decimal(exposure)
        shocked = equity + shock * exposure
        if margin > 0 and shocked < Decimal("0.5") * margin * (1 + shock):
            close_outs += 1
        if shocked < 0:
            negative += 1
            new_negative += equity >= 0
            if nbp == "true":
                platform -= shocked
            elif nbp == "false":
                client -= shocked
            else:
                unknown -= shocked
    return {"close_outs": close_outs, "negative_equity": negative, "new_negative_equity": new_negative,
            "platform_shortfall": f"{platform:.2f}", "client_debt": f"{client:.2f}",
            "nbp_unknown_deficit": f"{unknown:.2f}"}


def test_stress_results_are_present_and_exact(capsys, files):
    code, report = audit_json(capsys, files, "--stress=-5%,-10%")
    stress = report["audit"]["stress"]
    assert [item["shock"] for item in stress] == ["-5%", "-10%"]
    for item, shock in zip(stress, (Decimal("-0.05"), Decimal("-0.10"))):
        for key, value in _expected_stress(shock).items():
            assert item[key] == value, (item["shock"], key)
        assert set(item["by_currency"]) == {"EUR"}
    assert code == 1


def test_stress_as_a_separate_argument(capsys, files):
    code, report = audit_json(capsys, files, "--stress", "-5%,-10%")
    assert [item["shock"] for item in report["audit"]["stress"]] == ["-5%", "-10%"]


def test_without_stress_there_are_no_stress_results(capsys, files):
    _, report = audit_json(capsys, files)
    assert report["audit"]["stress"] == []


# ---- exit codes --------------------------------------------------------------------------------

def test_exit_0_when_every_account_complies(capsys, files, tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text(HEADER + "\n" + ACCOUNTS[2] + "\n" + ACCOUNTS[6] + "\n")
    code, out, err = audit(capsys, str(path), "--ruleset", files["rules"], "--format", "json")
    assert code == 0 and err == ""
    assert json.loads(out)["summary"]["errors"] == 0


def test_exit_0_with_fail_on_never_and_1_by_default(capsys, files):
    assert audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--fail-on", "never")[0] == 0
    assert audit(capsys, files["snapshot"], "--ruleset", files["rules"])[0] == 1
    assert audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--fail-on", "warning")[0] == 1


# ---- bad inputs: exit 2, one PATH:LINE:COL: error: line each, no traceback ---------------------

def _bad(capsys, *args: str) -> str:
    code, out, err = audit(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err and "Traceback" not in out
    assert ": error: " in err
    return err


def test_missing_required_column(capsys, files, tmp_path):
    path = tmp_path / "missing.csv"
    path.write_text("account_id,client_category,balance,margin_used,exposure\nA,retail,1,1,1\n")
    err = _bad(capsys, str(path), "--ruleset", files["rules"])
    assert err.startswith(f"{path}:1:1: error: missing required column 'equity'")


def test_bad_value_names_line_and_column(capsys, files, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + ACCOUNTS[0] + "\nB2,retail,abc,1,1,1,EUR,true,gold\n")
    err = _bad(capsys, str(path), "--ruleset", files["rules"])
    assert err.startswith(f"{path}:3:{len('B2,retail,') + 1}: error: column 'balance': 'abc' is not a number")


def test_negative_margin_is_rejected(capsys, files, tmp_path):
    path = tmp_path / "negative.csv"
    path.write_text(HEADER + "\n" + "B1,retail,1,1,-5,1,EUR,true,gold\n")
    err = _bad(capsys, str(path), "--ruleset", files["rules"])
    assert err.startswith(f"{path}:2:{len('B1,retail,1,1,') + 1}: error: column 'margin_used'")


def test_unknown_category_is_rejected(capsys, files, tmp_path):
    path = tmp_path / "category.csv"
    path.write_text(HEADER + "\n" + "B1,vip,1,1,5,1,EUR,true,gold\n")
    err = _bad(capsys, str(path), "--ruleset", files["rules"])
    assert err.startswith(f"{path}:2:4: error: column 'client_category': 'vip'")


def test_unknown_ruleset(capsys, files):
    err = _bad(capsys, files["snapshot"], "--ruleset", "no_such_ruleset")
    assert err.startswith("--ruleset: error: unknown ruleset 'no_such_ruleset'")


def test_ruleset_with_a_dsl_error_points_into_the_file(capsys, files, tmp_path):
    path = tmp_path / "broken.rules"
    path.write_text(ACC_RULES.replace("require equity >= 0", "require equity >= 50%"))
    err = _bad(capsys, files["snapshot"], "--ruleset", str(path))
    line = ACC_RULES.splitlines().index("  require equity >= 0") + 1
    assert err.startswith(f"{path}:{line}:")


@pytest.mark.parametrize("shocks, column", [("-5%,x", 5), ("abc", 1), ("-5%,,-10%", 5),
                                            ("-100%", 1)])
def test_bad_stress(capsys, files, shocks, column):
    err = _bad(capsys, files["snapshot"], "--ruleset", files["rules"], f"--stress={shocks}")
    assert err.startswith(f"--stress:1:{column}: error: ")


@pytest.mark.parametrize("value", ["0", "-3"])
def test_max_findings_below_one(capsys, files, value):
    err = _bad(capsys, files["snapshot"], "--ruleset", files["rules"], "--max-findings", value)
    assert err.startswith("--max-findings: error: must be at least 1")


def test_missing_snapshot_file(capsys, files):
    missing = os.path.join(files["dir"], "nope.csv")
    err = _bad(capsys, missing, "--ruleset", files["rules"])
    assert err.startswith(f"{missing}: error: no such file")


def test_bad_input_leaves_an_existing_output_file_alone(capsys, files, tmp_path):
    output = tmp_path / "report.json"
    output.write_text("previous report")
    _bad(capsys, files["snapshot"], "--ruleset", files["rules"], "--stress", "oops",
         "--output", str(output))
    assert output.read_text() == "previous report"


# ---- determinism and --output ------------------------------------------------------------------

def test_json_is_byte_identical_across_runs(capsys, files, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for output in (first, second):
        code, out, err = audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--format",
                               "json", "--stress=-5%,-10%", "--output", str(output))
        assert (code, out, err) == (1, "", "")
    assert first.read_bytes() == second.read_bytes()
    _, stdout_run, _ = audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--format", "json",
                             "--stress=-5%,-10%")
    assert stdout_run.rstrip("\n") == first.read_text().rstrip("\n")


def test_output_is_written_atomically(capsys, files, tmp_path, monkeypatch):
    """The report goes to a temporary file in the same folder, complete, then is renamed over the
    target: a reader sees the old report or the whole new one."""
    import compliance.report.output as output_module

    output = tmp_path / "report.json"
    output.write_text("old report")
    renames = []
    real_replace = os.replace

    def checking_replace(source, target):
        if Path(target).parent != tmp_path:  # another atomic write of the run (the ruleset cache)
            return real_replace(source, target)
        assert Path(source).parent == Path(target).parent == tmp_path
        assert Path(target).read_text() == "old report"       # not touched before the rename
        json.loads(Path(source).read_text())                   # the new one is complete
        renames.append((source, target))
        real_replace(source, target)

    monkeypatch.setattr(output_module.os, "replace", checking_replace)
    code, out, err = audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--format", "json",
                           "--output", str(output))
    assert (code, out, err) == (1, "", "")
    assert len(renames) == 1 and Path(renames[0][1]) == output
    assert json.loads(output.read_text())["summary"]["errors"] == TOTAL_BREACHES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acc.rules", "accounts.csv", "report.json"]


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(capsys, files, tmp_path,
                                                                          monkeypatch):
    import compliance.report.output as output_module

    output = tmp_path / "report.json"
    output.write_text("old report")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output_module.os, "replace", failing_replace)
    code, _, err = audit(capsys, files["snapshot"], "--ruleset", files["rules"], "--format", "json",
                         "--output", str(output))
    assert code in (2, 3) and "Traceback" not in err
    assert output.read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acc.rules", "accounts.csv", "report.json"]


def test_parquet_and_csv_give_the_same_counts(capsys, files, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(files["snapshot"], convert_options=pacsv.ConvertOptions(
        column_types={"account_id": "string", "negative_balance_protection": "bool"},
        strings_can_be_null=True))
    parquet = tmp_path / "accounts.parquet"
    pq.write_table(table, parquet)
    _, from_csv = audit_json(capsys, files)
    code, out, err = audit(capsys, str(parquet), "--ruleset", files["rules"], "--format", "json")
    from_parquet = json.loads(out)
    strip = ("top_offenders",)  # Parquet "lines" are row numbers, CSV lines include the header
    for a, b in zip(from_csv["audit"]["rule_counts"], from_parquet["audit"]["rule_counts"]):
        assert {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}
    assert from_csv["summary"] == from_parquet["summary"]


def test_liquidation_room_in_an_account_rule_over_a_row_with_no_exposure(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A row with no position has leverage 0: the room is the whole price, not an internal error,
    and the rule runs vectorised, not silently row by row."""
    from compliance.cli import main
    from compliance.documents.snapshot import load_snapshot
    from compliance.dsl.loader import load_ruleset
    from compliance.evaluate.scalar import params_as_of
    from compliance.evaluate.vector import evaluate_rule_columns
    import datetime as dt

    rules = tmp_path / "room.rules"
    rules.write_text('''ruleset room
  version "1"

rule ROOM-1 "at least 10% of room before the 25% maintenance"
  topic margin_close_out
  severity error
  citation "house"
  applies to account
  when equity > 0
  require liquidation_drop(leverage_of(exposure, equity), 25%) >= 10%
''', encoding="utf-8")
    snapshot = tmp_path / "book.csv"
    snapshot.write_text("account_id,client_category,balance,equity,margin_used,exposure\n"
                        "A1,retail,100,100,0,0\nA2,retail,100,100,50,400\nA3,retail,100,100,50,300\n",
                        encoding="utf-8")
    code = main(["audit", str(snapshot), "--ruleset", str(rules), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    import json
    findings = json.loads(out)["findings"]
    # 4x at 25% maintenance opens on the line (0% of room); 3x has 11.11%; no position has 100%
    assert [f["subject"] for f in findings if f["rule_id"] == "ROOM-1"] == ["A2"]
    ruleset = load_ruleset(str(rules))
    outcome = evaluate_rule_columns(ruleset.rules[0], load_snapshot(str(snapshot)),
                                    params_as_of(ruleset, dt.date(2026, 1, 1)), dt.date(2026, 1, 1), ruleset)
    assert outcome.vectorised
