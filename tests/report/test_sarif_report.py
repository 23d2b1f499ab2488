"""SARIF output validated against the official 2.1.0 schema (kept in tests/schemas, with its source and licence)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_samples import ACME, REPO_ROOT as ROOT, SARIF_SCHEMA_PATH

from compliance.findings import Report
from compliance.report.sarif import render_sarif


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_the_schema_is_the_official_file_unmodified() -> None:
    import hashlib
    import re

    notes = (SARIF_SCHEMA_PATH.parent / "README.md").read_text(encoding="utf-8")
    [recorded] = re.findall(r"sha256 `([0-9a-f]{64})`", notes)
    assert hashlib.sha256(SARIF_SCHEMA_PATH.read_bytes()).hexdigest() == recorded


def _sarif(report: Report, **kwargs: Any) -> dict[str, Any]:
    return json.loads(render_sarif(report, **kwargs))


def _assert_valid(validator: jsonschema.protocols.Validator, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_run_with_findings_validates(validator: jsonschema.protocols.Validator,
                                     check_report: Report) -> None:
    log = _sarif(check_report)
    _assert_valid(validator, log)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["LEV-001"] == "error" and levels["RW-002"] == "warning"
    assert levels["FEE-003"] == "note"
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": ACME, "uriBaseId": "%SRCROOT%", "index": 0},
                     "region": {"startLine": 12, "startColumn": 13}}


def test_run_without_findings_validates(validator: jsonschema.protocols.Validator,
                                        check_report: Report) -> None:
    log = _sarif(replace(check_report, findings=(), notices=()))
    _assert_valid(validator, log)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(check_report.rules)


def test_run_with_waivers_validates_and_suppresses(validator: jsonschema.protocols.Validator,
                                                   check_report: Report) -> None:
    log = _sarif(check_report)
    _assert_valid(validator, log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["INC-001"]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": check_report.findings[4].waiver_reason}]
    assert "suppressions" not in results["LEV-001"]
    # The expired-waiver notice has a rule of its own so that its ruleIndex is valid.
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[results["WAIVER-EXPIRED"]["ruleIndex"]]["id"] == "WAIVER-EXPIRED"


def test_audit_run_validates(validator: jsonschema.protocols.Validator, audit_report: Report) -> None:
    log = _sarif(audit_report)
    _assert_valid(validator, log)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 14}


def test_rule_descriptors(check_report: Report) -> None:
    rule = _sarif(check_report)["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["id"] == "LEV-001"
    assert rule["name"] == "RetailLeverageCapOnMajorFXPairs"
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"]["topic"] == "leverage_cap"
    assert rule["properties"]["ruleset"] == "esma_like"
    assert "Lower leverage.fx\\_major" not in rule["help"]["markdown"]  # _ inside a word stays
    assert "ESMA Decision (EU) 2018/796, Art. 2(a)" in rule["help"]["text"]
    assert "How to fix: Lower leverage.fx_major" in rule["help"]["text"]
    assert "**Law.** ESMA Decision" in rule["help"]["markdown"]


def test_artifacts_carry_input_hashes(check_report: Report) -> None:
    artifacts = _sarif(check_report)["runs"][0]["artifacts"]
    assert artifacts[0] == {"location": {"uri": ACME, "uriBaseId": "%SRCROOT%"},
                            "hashes": {"sha-256": "1" * 64}}


def test_uris_are_relative_to_base_dir_and_percent_encoded(tmp_path: Any, check_report: Report) -> None:
    odd = str(tmp_path / "my contracts" / "acme#1:retail.yaml")
    finding = replace(check_report.findings[0], path=odd)
    log = _sarif(replace(check_report, findings=(finding,)), base_dir=str(tmp_path))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20contracts/acme%231%3Aretail.yaml", "uriBaseId": "%SRCROOT%"}


def test_fingerprints_are_stable_when_lines_move(check_report: Report) -> None:
    moved = replace(check_report, findings=tuple(replace(f, line=(f.line or 0) + 7)
                                                 for f in check_report.findings))
    before = [r["partialFingerprints"] for r in _sarif(check_report)["runs"][0]["results"]]
    after = [r["partialFingerprints"] for r in _sarif(moved)["runs"][0]["results"]]
    assert before == after
    assert len({json.dumps(p) for p in before}) == len(before)


def test_base_uri_is_optional(check_report: Report) -> None:
    base = _sarif(check_report)["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert "uri" not in base
    given = _sarif(check_report, base_uri="file:///repo")["runs"][0]["originalUriBaseIds"]
    assert given["%SRCROOT%"]["uri"] == "file:///repo/"


# ---- what GitHub code scanning requires beyond the schema ---------------------------------------

def _cli_sarif(tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    import contextlib
    import io

    from compliance.cli import main

    out = tmp_path / "results.sarif"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main([*argv, "--format", "sarif", "--output", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8")), stderr.getvalue()


def test_rulesets_that_extend_each_other_give_one_rule_entry_and_one_result_each(
        validator: jsonschema.protocols.Validator, tmp_path: Path) -> None:
    house = tmp_path / "house.rules"
    house.write_text('ruleset house\n  version "1"\n  extends esma_like\n', encoding="utf-8")
    contract = ROOT / "tests" / "fixtures" / "broken" / "ESMA-LEV-1.yaml"
    code, log, _ = _cli_sarif(tmp_path, "check", str(contract), "--ruleset", f"esma_like,{house}")
    assert code == 1
    _assert_valid(validator, log)
    run = log["runs"][0]
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids)) and "ESMA-LEV-1" in ids
    keys = [(r["ruleId"], json.dumps(r["locations"]), r["message"]["text"]) for r in run["results"]]
    assert len(keys) == len(set(keys))
    assert [r["ruleId"] for r in run["results"]].count("ESMA-LEV-1") == 1
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_rule_help_reads_as_prose_within_githubs_limits(tmp_path: Path) -> None:
    contract = ROOT / "contract_templates" / "eu_retail_cfd.yaml"
    _, log, _ = _cli_sarif(tmp_path, "check", str(contract), "--ruleset", "esma_like")
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    for rule in rules:
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        markdown = rule["help"]["markdown"]
        assert markdown.startswith(f"**{rule['id']}: ")
        for heading in ("**What it requires.**", "**Law.**", "**How to fix.**"):
            assert heading in markdown
        # prose, not the rule's source text
        assert "\n  topic " not in markdown and "\n  require " not in markdown
        assert rule["properties"]["citation"] in rule["help"]["text"]


def test_a_run_that_cannot_be_done_still_writes_its_sarif(
        validator: jsonschema.protocols.Validator, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: contract\nid: x\nleverage: {fx_major: banana}\n", encoding="utf-8")
    code, log, err = _cli_sarif(tmp_path, "check", str(bad), "--ruleset", "esma_like")
    assert code == 2
    _assert_valid(validator, log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    [printed] = [line for line in err.splitlines() if ": error: " in line]
    place = note["locations"][0]["physicalLocation"]
    assert printed.startswith(f"{bad}:{place['region']['startLine']}:{place['region']['startColumn']}: error: ")
    assert printed.endswith(note["message"]["text"])
    assert log["runs"][0]["results"] == []
