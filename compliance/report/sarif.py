"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

Artifact URIs are relative to ``base_dir`` (the repository root) under the ``%SRCROOT%`` base id, so
the same report from two checkouts is byte-identical; pass ``base_uri`` (an absolute ``file:`` URI
ending in ``/``) only when a consumer needs to resolve them on this machine.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from compliance.findings import Finding, Report, RuleInfo
from compliance.report.common import (
    artifact_uri, camel_case, markdown_escape, sorted_findings,
)

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/compliance-toolkit/compliance"
SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# Rules the tool itself reports about its inputs (waivers), which no ruleset declares.
_TOOL_RULES = {
    "WAIVER-EXPIRED": ("Expired waiver", "A waiver in the waivers file has expired; the finding it "
                       "covered counts again.", "Renew the waiver with a new approval, or fix the finding."),
    "WAIVER-UNUSED": ("Unused waiver", "A waiver in the waivers file matched no finding.",
                      "Remove the waiver, or correct its rule_id or contract."),
}


def _fingerprint(rule_id: str, uri: str, subject: str) -> str:
    """Stable across runs, line moves and machines: the rule, the file (as a relative URI), the field."""
    return hashlib.sha256(f"{rule_id}\0{uri}\0{subject}".encode()).hexdigest()[:32]


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    description = rule.description or rule.title
    help_text = f"{description}\n\nFix: {rule.fix or '-'}\nCitation: {rule.citation or '-'}"
    help_markdown = (f"{markdown_escape(description)}\n\n**Fix:** {markdown_escape(rule.fix or '-')}"
                     f"\n\n**Citation:** {markdown_escape(rule.citation or '-')}")
    return {
        "id": rule.rule_id,
        "name": camel_case(rule.title) or rule.rule_id,
        "shortDescription": {"text": rule.title or rule.rule_id},
        "fullDescription": {"text": description or rule.rule_id},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"topic": rule.topic, "citation": rule.citation, "ruleset": rule.ruleset,
                       "tags": [rule.topic, rule.ruleset] if rule.ruleset else [rule.topic]},
    }


def _rules_for(report: Report) -> list[RuleInfo]:
    """The report's rules, plus a descriptor for every rule a finding names that none declares."""
    rules = list(report.rules)
    known = {(rule.ruleset, rule.rule_id) for rule in rules} | {("", r.rule_id) for r in rules}
    for finding in sorted_findings((*report.findings, *report.notices)):
        if (finding.ruleset, finding.rule_id) in known or ("", finding.rule_id) in known:
            continue
        title, description, fix = _TOOL_RULES.get(
            finding.rule_id, (finding.title or finding.rule_id, finding.title or finding.rule_id, ""))
        rules.append(RuleInfo(rule_id=finding.rule_id, ruleset=finding.ruleset, title=title,
                              topic=finding.topic, severity=finding.severity,
                              citation=finding.citation, fix=fix, description=description))
        known |= {(finding.ruleset, finding.rule_id), ("", finding.rule_id)}
    return rules


def _result(finding: Finding, index: dict[tuple[str, str], int], artifacts: dict[str, int],
            base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    rule_index = index.get((finding.ruleset, finding.rule_id), index.get(("", finding.rule_id), 0))
    uri, inside = artifact_uri(finding.path, base_dir)
    artifact: dict[str, Any] = {"uri": uri}
    if inside:
        artifact["uriBaseId"] = SRCROOT
    if uri in artifacts:
        artifact["index"] = artifacts[uri]
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if finding.line is not None:
        region: dict[str, Any] = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        physical["region"] = region
    text = finding.message
    if finding.fix:
        text += f" (fix: {finding.fix})"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"complianceFinding/v1": _fingerprint(finding.rule_id, uri,
                                                                     finding.subject)},
        "properties": {"topic": finding.topic, "subject": finding.subject,
                       "citation": finding.citation, "fix": finding.fix},
    }
    if finding.subject:
        result["locations"][0]["logicalLocations"] = [
            {"fullyQualifiedName": finding.subject, "kind": "member"}]
    if finding.waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": finding.waiver_reason or "waived"}]
    return result


def sarif_log(report: Report, *, base_dir: str | os.PathLike[str] | None = ".",
              base_uri: str | None = None) -> dict[str, Any]:
    rules = _rules_for(report)
    index: dict[tuple[str, str], int] = {}
    for position, rule in enumerate(rules):
        index.setdefault((rule.ruleset, rule.rule_id), position)
        index.setdefault(("", rule.rule_id), position)
    artifacts_json: list[dict[str, Any]] = []
    artifacts: dict[str, int] = {}
    for item in report.inputs:
        uri, inside = artifact_uri(item.path, base_dir)
        if uri in artifacts:
            continue
        location: dict[str, Any] = {"uri": uri}
        if inside:
            location["uriBaseId"] = SRCROOT
        entry: dict[str, Any] = {"location": location}
        if item.sha256:
            entry["hashes"] = {"sha-256": item.sha256}
        artifacts[uri] = len(artifacts_json)
        artifacts_json.append(entry)
    base: dict[str, Any] = {"description": {"text": "The repository root: where the tool ran."}}
    if base_uri:
        base = {"uri": base_uri if base_uri.endswith("/") else base_uri + "/", **base}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "compliance",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": [_rule_descriptor(rule) for rule in rules],
        }},
        "originalUriBaseIds": {SRCROOT: base},
        "artifacts": artifacts_json,
        "results": [_result(finding, index, artifacts, base_dir)
                    for finding in sorted_findings((*report.findings, *report.notices))],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "kind": report.kind,
            "asOf": report.as_of,
            "rulesets": [{"name": r.name, "version": r.version, "sha256": r.sha256}
                         for r in report.rulesets],
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report, *, base_dir: str | os.PathLike[str] | None = ".",
                 base_uri: str | None = None) -> str:
    return json.dumps(sarif_log(report, base_dir=base_dir, base_uri=base_uri), indent=2,
                      ensure_ascii=False) + "\n"
