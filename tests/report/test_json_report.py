from __future__ import annotations

import json
from dataclasses import replace

from compliance.findings import Report
from compliance.report.json_report import render_json


def test_the_spec_model_in_its_key_order(check_report: Report) -> None:
    document = json.loads(render_json(check_report))
    assert list(document) == ["tool", "ruleset", "rulesets", "inputs", "findings", "summary", "as_of"]
    assert document["tool"] == {"name": "compliance", "version": "0.1.0"}
    assert document["ruleset"] == {"name": "esma_like", "version": "2026.1", "sha256": "a" * 64}
    assert [r["name"] for r in document["rulesets"]] == ["esma_like", "house_rules"]
    assert list(document["findings"][0]) == [
        "rule_id", "topic", "severity", "path", "line", "column", "subject", "message",
        "citation", "fix", "waived", "outcome"]
    assert document["summary"] == {"errors": 2, "warnings": 2, "info": 1, "rules_evaluated": 12,
                                   "passed": 5, "not_stated": 1}


def test_findings_sorted_by_path_line_rule_and_notices_included(check_report: Report) -> None:
    findings = json.loads(render_json(check_report))["findings"]
    keys = [(f["path"], f["line"], f["rule_id"]) for f in findings]
    assert keys == sorted(keys)
    assert any(f["rule_id"] == "WAIVER-EXPIRED" and f["severity"] == "warning" for f in findings)
    assert [f["rule_id"] for f in findings if f["waived"]] == ["INC-001"]


def test_single_ruleset_has_no_rulesets_list(check_report: Report) -> None:
    document = json.loads(render_json(replace(check_report, rulesets=check_report.rulesets[:1])))
    assert "rulesets" not in document


def test_audit_extras_under_audit(audit_report: Report) -> None:
    document = json.loads(render_json(audit_report))
    assert document["audit"]["stress"][0]["shock"] == "-5%"
    assert document["as_of"] == "2026-02-15"


def test_non_ascii_is_kept_as_written(check_report: Report) -> None:
    finding = replace(check_report.findings[0], message="杠杆 50:1 超过上限 — €")
    assert "杠杆 50:1 超过上限 — €" in render_json(replace(check_report, findings=(finding,)))
