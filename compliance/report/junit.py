"""``--format junit``: JUnit XML, one test suite per contract and one test case per rule run.

A finding is a failure when it is not waived and its severity reaches ``fail_on`` (the same rule as
the exit code, default "error"). A rule whose findings all fall below ``fail_on`` passes, and its
findings are printed in the test case's ``<system-out>``. Not applicable and waived rules are skipped.
Notices about the inputs (expired waivers) get a suite of their own, named after the waivers file.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from compliance.findings import Finding, Report, RuleRun
from compliance.report.common import (
    document_ids, document_paths, is_failure, location, rule_index, rule_title, sorted_findings,
    worst_severity,
)

# XML 1.0 forbids most control characters, even escaped; a hostile contract must not break the file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _finding_text(finding: Finding) -> str:
    stated = " (not stated)" if finding.outcome == "not_stated" else ""
    lines = [f"{finding.severity}{stated}: {finding.rule_id} at {location(finding)}",
             f"{finding.subject}: {finding.message}" if finding.subject else finding.message]
    if finding.citation:
        lines.append(f"citation: {finding.citation}")
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    if finding.waived:
        lines.append(f"waived: {finding.waiver_reason}")
    return "\n".join(lines)


class _Counts:
    def __init__(self) -> None:
        self.tests = self.failures = self.skipped = 0


def _testcase(parent: ET.Element, classname: str, name: str, findings: Sequence[Finding],
              run: RuleRun | None, fail_on: str, counts: _Counts) -> None:
    case = ET.SubElement(parent, "testcase", {"classname": _clean(classname), "name": _clean(name)})
    counts.tests += 1
    failing = [f for f in findings if is_failure(f, fail_on)]
    outcome = run.outcome if run is not None else "failed"
    if failing:
        first = failing[0]
        message = first.message if len(failing) == 1 else f"{len(failing)} findings: {first.message}"
        kind = worst_severity(failing)
        if all(f.outcome == "not_stated" for f in failing):
            kind += " (not stated)"
        failure = ET.SubElement(case, "failure", {"message": _clean(message), "type": kind})
        failure.text = _clean("\n\n".join(_finding_text(f) for f in failing))
        counts.failures += 1
    elif outcome == "not_applicable":
        explanation = run.explanation if run is not None else ""
        ET.SubElement(case, "skipped", {"message": _clean(f"not applicable: {explanation}".rstrip(": "))})
        counts.skipped += 1
    elif (run is not None and run.waived) or (findings and all(f.waived for f in findings)):
        reasons = sorted({f.waiver_reason for f in findings if f.waiver_reason})
        ET.SubElement(case, "skipped", {"message": _clean("waived: " + "; ".join(reasons or ["waived"]))})
        counts.skipped += 1
    elif outcome == "failed" and not findings and fail_on != "never":
        # A failed run with no finding to show (should not happen): still a failure, with its reason.
        failure = ET.SubElement(case, "failure", {"message": _clean(run.explanation if run else ""),
                                                  "type": "error"})
        failure.text = _clean(run.explanation if run else "")
        counts.failures += 1
    if findings and not failing:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n\n".join(_finding_text(f) for f in findings))


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", {"name": _clean(name), "tests": "0", "failures": "0",
                                             "errors": "0", "skipped": "0"})


def _close(suite: ET.Element, counts: _Counts, total: _Counts) -> None:
    suite.set("tests", str(counts.tests))
    suite.set("failures", str(counts.failures))
    suite.set("skipped", str(counts.skipped))
    total.tests += counts.tests
    total.failures += counts.failures
    total.skipped += counts.skipped


def render_junit(report: Report, *, fail_on: str = "error") -> str:
    rules = rule_index(report)
    ids = document_ids(report)
    root = ET.Element("testsuites", {"name": "compliance", "tests": "0", "failures": "0",
                                     "errors": "0", "skipped": "0"})
    total = _Counts()
    findings_by_run: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted_findings(report.findings):
        findings_by_run.setdefault((finding.path, finding.rule_id), []).append(finding)
    runs_by_path: dict[str, list[RuleRun]] = {}
    for run in report.runs:
        runs_by_path.setdefault(run.path, []).append(run)
    for path in document_paths(report):
        suite = _suite(root, f"{path} ({ids[path]})" if path in ids else path)
        counts = _Counts()
        seen: set[str] = set()
        for run in sorted(runs_by_path.get(path, []), key=lambda r: (r.rule_id, r.ruleset)):
            if run.rule_id in seen:
                continue
            seen.add(run.rule_id)
            title = rule_title(rules, run.ruleset, run.rule_id)
            _testcase(suite, path, f"{run.rule_id} {title}".strip(),
                      findings_by_run.get((path, run.rule_id), []), run, fail_on, counts)
        # Findings of rules with no recorded run still show, one test case per rule.
        for (finding_path, rule_id), findings in sorted(findings_by_run.items()):
            if finding_path == path and rule_id not in seen:
                seen.add(rule_id)
                title = findings[0].title or rule_title(rules, findings[0].ruleset, rule_id)
                _testcase(suite, path, f"{rule_id} {title}".strip(), findings, None, fail_on, counts)
        _close(suite, counts, total)
    if report.notices:
        by_path: dict[str, list[Finding]] = {}
        for notice in sorted_findings(report.notices):
            by_path.setdefault(notice.path, []).append(notice)
        for path, notices in by_path.items():
            suite = _suite(root, path)
            counts = _Counts()
            for notice in notices:
                _testcase(suite, path, f"{notice.rule_id} {notice.subject}".strip(), [notice],
                          None, fail_on, counts)
            _close(suite, counts, total)
    _close(root, total, _Counts())
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
