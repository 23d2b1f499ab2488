"""``--format json``: the spec's finding model, with a fixed key order and no timestamps.

Notices (such as expired waivers) are findings too: the spec reports an expired waiver as a warning,
so they are listed among the findings, in the same order.
"""
from __future__ import annotations

import json
from typing import Any

from compliance.findings import Report, RulesetInfo
from compliance.report.common import sorted_findings


def _ruleset_json(ruleset: RulesetInfo) -> dict[str, Any]:
    return {"name": ruleset.name, "version": ruleset.version, "sha256": ruleset.sha256}


def report_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict, keys in the order the spec shows them."""
    document: dict[str, Any] = {"tool": {"name": "compliance", "version": report.tool_version}}
    if report.rulesets:
        document["ruleset"] = _ruleset_json(report.rulesets[0])
    if len(report.rulesets) > 1:
        document["rulesets"] = [_ruleset_json(ruleset) for ruleset in report.rulesets]
    document["inputs"] = [{"path": item.path, "sha256": item.sha256} for item in report.inputs]
    document["findings"] = [finding.to_json()
                            for finding in sorted_findings((*report.findings, *report.notices))]
    if "binding_limits" in report.extra:
        # Several rulesets reviewed at once (compliance.review): each finding says which regime it
        # comes from, and the binding limits across them (compliance.binding) are listed.
        for entry, finding in zip(document["findings"],
                                  sorted_findings((*report.findings, *report.notices))):
            entry["ruleset"] = finding.ruleset
        document["binding_limits"] = report.extra["binding_limits"]
    document["summary"] = report.summary.to_json()
    if report.as_of:
        document["as_of"] = report.as_of
    if report.kind == "audit":
        document["audit"] = report.extra
    return document


def render_json(report: Report) -> str:
    # default=str: exact quantities (Decimal, Money) in audit extras print as their exact text.
    return json.dumps(report_json(report), indent=2, ensure_ascii=False, default=str) + "\n"
