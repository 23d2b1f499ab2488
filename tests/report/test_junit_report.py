"""JUnit XML parsed back with ElementTree: counts, failures, skips and the fail-on level."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from report_samples import ACME, CLEAN

from compliance.findings import Report
from compliance.report.junit import render_junit


def _suites(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {suite.get("name", ""): suite for suite in root.iter("testsuite")}


def _case(suite: ET.Element, rule_id: str) -> ET.Element:
    return next(c for c in suite.iter("testcase") if c.get("name", "").startswith(rule_id + " "))


def test_one_suite_per_contract_and_one_case_per_rule_run(check_report: Report) -> None:
    xml = render_junit(check_report)
    root = ET.fromstring(xml)
    suites = _suites(xml)
    acme = suites[f"{ACME} (ACME-CFD-RETAIL-2026)"]
    clean = suites[f"{CLEAN} (BETA-PRO-2026)"]
    assert len(list(acme.iter("testcase"))) == int(acme.get("tests", "")) == 6
    assert int(clean.get("tests", "")) == 6 and clean.get("failures") == "0"
    for suite in root.iter("testsuite"):
        cases = list(suite.iter("testcase"))
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
    assert root.get("tests") == "13" and root.get("failures") == "2" and root.get("skipped") == "3"
    assert _case(acme, "LEV-001").get("classname") == ACME


def test_failures_skips_and_passes(check_report: Report) -> None:
    suites = _suites(render_junit(check_report))
    acme = suites[f"{ACME} (ACME-CFD-RETAIL-2026)"]
    failure = _case(acme, "LEV-001").find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message") == "FX major leverage 50:1 exceeds the retail cap of 30:1"
    assert "fix: Lower leverage.fx_major to 30:1 or less." in (failure.text or "")
    waived = _case(acme, "INC-001").find("skipped")
    assert waived is not None and (waived.get("message") or "").startswith(
        "waived: legacy promotion ends with the quarter")
    passed = _case(acme, "CM-001")
    assert list(passed) == []
    clean = suites[f"{CLEAN} (BETA-PRO-2026)"]
    skipped = _case(clean, "LEV-001").find("skipped")
    assert skipped is not None and (skipped.get("message") or "").startswith("not applicable: ")


def test_warnings_pass_below_fail_on_and_fail_at_it(check_report: Report) -> None:
    acme_name = f"{ACME} (ACME-CFD-RETAIL-2026)"
    default = _case(_suites(render_junit(check_report))[acme_name], "RW-002")
    assert default.find("failure") is None
    out = default.find("system-out")
    assert out is not None and "warning (not stated): RW-002" in (out.text or "")
    strict = _suites(render_junit(check_report, fail_on="warning"))
    failure = _case(strict[acme_name], "RW-002").find("failure")
    assert failure is not None and failure.get("type") == "warning (not stated)"
    assert strict["waivers.yaml"].get("failures") == "1"   # the expired waiver is a warning
    never = ET.fromstring(render_junit(check_report, fail_on="never"))
    assert never.get("failures") == "0"


def test_several_findings_of_one_rule_make_one_failure(check_report: Report) -> None:
    second = replace(check_report.findings[0], line=13, subject="leverage.fx_minor",
                     message="FX minor leverage 40:1 exceeds the retail cap of 20:1")
    report = replace(check_report, findings=(*check_report.findings, second))
    acme = _suites(render_junit(report))[f"{ACME} (ACME-CFD-RETAIL-2026)"]
    failure = _case(acme, "LEV-001").find("failure")
    assert failure is not None and (failure.get("message") or "").startswith("2 findings: ")
    assert "fx_minor" in (failure.text or "") and acme.get("failures") == "2"


def test_control_characters_cannot_break_the_xml(check_report: Report) -> None:
    hostile = replace(check_report.findings[0], message="bad \x00\x1b[31m byte & <tag> ]]>")
    xml = render_junit(replace(check_report, findings=(hostile,)))
    failure = next(f for f in ET.fromstring(xml).iter("failure") if f.get("message", "").startswith("bad"))
    assert "\ufffd\ufffd[31m byte & <tag> ]]>" in (failure.get("message") or "")
