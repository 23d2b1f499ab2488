"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

Artifact URIs are relative to ``base_dir`` (the repository root) under the ``%SRCROOT%`` base id, so
the same report from two checkouts is byte-identical; pass ``base_uri`` (an absolute ``file:`` URI
ending in ``/``) only when a consumer needs to resolve them on this machine.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from compliance.errors import Diagnostic
from compliance.findings import Finding, Report, RuleInfo
from compliance.report.common import (
    artifact_uri, camel_case, markdown_escape, sorted_findings,
)

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://pypi.org/project/leverage-compliance/"
SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# Rules the tool itself reports about its inputs (waivers), which no ruleset declares.
_TOOL_RULES = {
    "WAIVER-EXPIRED": ("Expired waiver", "A waiver in the waivers file has expired; the finding it "
                       "covered counts again.", "Renew the waiver with a new approval, or fix the finding."),
    "WAIVER-UNUSED": ("Unused waiver", "A waiver in the waivers file matched no finding.",
                      "Remove the waiver, or correct its rule_id or contract."),
}


# GitHub code scanning shows at most this many characters of a rule's short and full description.
DESCRIPTION_LIMIT = 1024


def _fingerprint(rule_id: str, uri: str, subject: str) -> str:
    """Stable across runs, line moves and machines: the rule, the file (as a relative URI), the field.
    GitHub code scanning does not read it (it tracks alerts by ``primaryLocationLineHash``, which
    upload-sarif computes from the source when absent); other SARIF consumers can."""
    return hashlib.sha256(f"{rule_id}\0{uri}\0{subject}".encode()).hexdigest()[:32]


def _clip(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _help(rule: RuleInfo) -> tuple[str, str]:
    """The rule's help for a person, as text and Markdown: what it requires in words, the law it
    cites and how to fix a finding (not the rule's source)."""
    where = f"For {rule.scope}" if rule.scope else "Always"
    if rule.condition:
        where += f", when {rule.condition}"
    requires = (f"{where}, the document must satisfy {rule.requirement}." if rule.requirement
                else rule.description or rule.title)
    lines = [(f"{rule.rule_id}: {rule.title}", f"**{markdown_escape(rule.rule_id)}: {markdown_escape(rule.title)}**"),
             (f"What it requires: {requires}", f"**What it requires.** {_markdown_requirement(rule, requires)}"),
             (f"Law: {rule.citation or '-'}", f"**Law.** {markdown_escape(rule.citation or '-')}"),
             (f"How to fix: {rule.fix or '-'}", f"**How to fix.** {markdown_escape(rule.fix or '-')}")]
    tags = f"Ruleset {rule.ruleset or '-'}, topic {rule.topic.replace('_', ' ')}, severity {rule.severity}."
    lines.append((tags, markdown_escape(tags)))
    return "\n\n".join(text for text, _ in lines), "\n\n".join(md for _, md in lines)


def _markdown_requirement(rule: RuleInfo, requires: str) -> str:
    if not rule.requirement:
        return markdown_escape(requires)
    where = f"For `{rule.scope}`" if rule.scope else "Always"
    if rule.condition:
        where += f", when `{rule.condition}`"
    return f"{where}, the document must satisfy `{rule.requirement}`."


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    help_text, help_markdown = _help(rule)
    return {
        "id": rule.rule_id,
        "name": camel_case(rule.title) or rule.rule_id,
        "shortDescription": {"text": _clip(rule.title or rule.rule_id)},
        "fullDescription": {"text": _clip(f"{rule.title}. {rule.citation}" if rule.citation
                                          else rule.title or rule.rule_id)},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"topic": rule.topic, "citation": rule.citation, "ruleset": rule.ruleset,
                       "tags": [rule.topic, rule.ruleset] if rule.ruleset else [rule.topic]},
    }


def _rules_for(report: Report) -> list[RuleInfo]:
    """One descriptor per rule id (GitHub requires unique ids; a rule inherited through
    ``extends`` is the same rule in both rulesets), plus one for every rule a finding names that
    no ruleset declares (the tool's own waiver notices)."""
    rules: list[RuleInfo] = []
    known: set[str] = set()
    for rule in report.rules:
        if rule.rule_id not in known:
            rules.append(rule)
            known.add(rule.rule_id)
    for finding in sorted_findings((*report.findings, *report.notices)):
        if finding.rule_id in known:
            continue
        title, description, fix = _TOOL_RULES.get(
            finding.rule_id, (finding.title or finding.rule_id, finding.title or finding.rule_id, ""))
        rules.append(RuleInfo(rule_id=finding.rule_id, ruleset=finding.ruleset, title=title,
                              topic=finding.topic, severity=finding.severity,
                              citation=finding.citation, fix=fix, description=description))
        known.add(finding.rule_id)
    return rules


def _unique(findings: Sequence[Finding]) -> list[Finding]:
    """Findings without repeats: a rule inherited by two rulesets that both run reports the same
    finding twice, which code scanning would show as two alerts."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for finding in findings:
        key = (finding.rule_id, finding.path, finding.line, finding.column, finding.subject,
               finding.message, finding.waived)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _physical_location(path: str, line: int | None, column: int | None,
                       base_dir: str | os.PathLike[str] | None,
                       artifacts: dict[str, int] | None = None) -> tuple[str, dict[str, Any]]:
    """(the artifact URI, a SARIF physicalLocation) for a place in an input file."""
    uri, inside = artifact_uri(path, base_dir)
    artifact: dict[str, Any] = {"uri": uri}
    if inside:
        artifact["uriBaseId"] = SRCROOT
    if artifacts is not None and uri in artifacts:
        artifact["index"] = artifacts[uri]
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None:
        region: dict[str, Any] = {"startLine": line}
        if column is not None:
            region["startColumn"] = column
        physical["region"] = region
    return uri, physical


def _result(finding: Finding, index: dict[str, int], artifacts: dict[str, int],
            base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    rule_index = index.get(finding.rule_id, 0)
    uri, physical = _physical_location(finding.path, finding.line, finding.column, base_dir, artifacts)
    text = finding.message
    if finding.fix:
        text += f" (fix: {finding.fix})"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        # SARIF's "review": a human must look (the document is silent); GitHub shows both kinds.
        "kind": "review" if finding.outcome == "not_stated" else "fail",
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"complianceFinding/v1": _fingerprint(finding.rule_id, uri,
                                                                     finding.subject)},
        "properties": {"topic": finding.topic, "subject": finding.subject,
                       "citation": finding.citation, "fix": finding.fix, "outcome": finding.outcome},
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
    index = {rule.rule_id: position for position, rule in enumerate(rules)}
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
        "invocations": [{"executionSuccessful": True}],
        "results": [_result(finding, index, artifacts, base_dir)
                    for finding in _unique(sorted_findings((*report.findings, *report.notices)))],
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


def render_failed_run(diagnostics: Sequence[Diagnostic], tool_version: str, *,
                      base_dir: str | os.PathLike[str] | None = ".") -> str:
    """The SARIF log of a run that could not be done (exit 2): no results, the execution marked
    unsuccessful, and each input error as a tool execution notification at its position, so that
    code scanning shows why the analysis failed instead of an upload error."""
    notifications = []
    for diagnostic in diagnostics:
        _uri, physical = _physical_location(diagnostic.path, diagnostic.line, diagnostic.column, base_dir)
        notifications.append({"level": "error", "message": {"text": diagnostic.message},
                              "locations": [{"physicalLocation": physical}],
                              "descriptor": {"id": "INPUT-ERROR"}})
    run = {
        "tool": {"driver": {"name": "compliance", "version": tool_version,
                            "semanticVersion": tool_version, "informationUri": INFORMATION_URI,
                            "rules": [],
                            "notifications": [{"id": "INPUT-ERROR", "shortDescription": {
                                "text": "An input could not be read or is invalid"}}]}},
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root: where the tool ran."}}},
        "invocations": [{"executionSuccessful": False, "exitCode": 2,
                         "toolExecutionNotifications": notifications}],
        "results": [],
        "columnKind": "unicodeCodePoints",
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                      ensure_ascii=False) + "\n"
