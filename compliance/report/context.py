"""The data the Markdown and HTML templates (built-in or the user's own) render: plain dicts, lists
and strings computed from a Report, so templates hold layout and wording only.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from compliance.findings import SEVERITY_RANK, Finding, Report, Summary
from compliance.report.charts import audit_charts
from compliance.report.common import (
    SEVERITY_ORDER, amounts_of, document_ids, document_paths, is_failure, location, money, plural,
    rule_index, rule_title, sorted_findings,
)

# The spec's controlled vocabulary, in the order a regulator's report walks through it.
TOPIC_TITLES = {
    "leverage_cap": "Leverage caps",
    "margin_close_out": "Margin close-out",
    "margin_call": "Margin calls",
    "negative_balance_protection": "Negative balance protection",
    "risk_warning": "Risk warnings",
    "prohibited_claim": "Prohibited claims",
    "incentives": "Incentives",
    "fees_disclosure": "Fees disclosure",
    "client_money": "Client money",
    "suitability": "Suitability",
    "contract_terms": "Contract terms",
    "account_state": "Account state",
}
# Audits can name a rule's breach in thousands of accounts; reports list this many per rule.
FINDINGS_PER_RULE = 20


def percent(value: Any, places: int = 2) -> str:
    """A fraction written as text (``"0.0123"``) as a percentage (``"1.23%"``); other text as is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return f"{number * 100:.{places}f}%"


def _finding_view(finding: Finding, title: str) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id, "title": title, "topic": finding.topic,
        "topic_title": TOPIC_TITLES.get(finding.topic, finding.topic),
        "severity": finding.severity, "path": finding.path, "line": finding.line,
        "column": finding.column, "location": location(finding), "subject": finding.subject,
        "message": finding.message, "citation": finding.citation, "fix": finding.fix,
        "waived": finding.waived, "waiver_reason": finding.waiver_reason,
        "document_id": finding.document_id, "ruleset": finding.ruleset,
        "outcome": finding.outcome, "not_stated": finding.outcome == "not_stated",
    }


def _topic_groups(report: Report, findings: list[Finding]) -> list[dict[str, Any]]:
    rules = rule_index(report)
    topics = [t for t in TOPIC_TITLES if any(f.topic == t for f in findings)]
    topics += sorted({f.topic for f in findings} - set(TOPIC_TITLES))
    groups = []
    for topic in topics:
        severities = []
        for severity in SEVERITY_ORDER:
            chosen = [f for f in findings if f.topic == topic and f.severity == severity]
            if not chosen:
                continue
            shown: list[dict[str, Any]] = []
            per_rule: dict[str, int] = {}
            for finding in chosen:
                per_rule[finding.rule_id] = per_rule.get(finding.rule_id, 0) + 1
                if report.kind != "audit" or per_rule[finding.rule_id] <= FINDINGS_PER_RULE:
                    title = finding.title or rule_title(rules, finding.ruleset, finding.rule_id)
                    shown.append(_finding_view(finding, title))
            severities.append({"severity": severity, "findings": shown,
                               "count": len(chosen), "hidden": len(chosen) - len(shown)})
        groups.append({"topic": topic, "title": TOPIC_TITLES.get(topic, topic),
                       "count": sum(s["count"] for s in severities), "severities": severities})
    return groups


def _audit_view(extra: Mapping[str, Any]) -> dict[str, Any]:
    metrics = extra.get("metrics") or {}
    return {
        "accounts": extra.get("accounts", metrics.get("accounts")),
        "metrics": metrics,
        "stress": list(extra.get("stress") or []),
        "rule_counts": list(extra.get("rule_counts") or []),
        "fx": extra.get("fx"),
        # Our own SVG, built from numbers and escaped text: safe to put in the page as it is.
        "charts": {name: Markup(svg) for name, svg in audit_charts(extra).items()},
    }


def _failing(summary: Summary, fail_on: str) -> int:
    """How many unwaived findings reach ``fail_on``, by the report's true totals."""
    counts = {"error": summary.errors, "warning": summary.warnings, "info": summary.info}
    if fail_on not in SEVERITY_RANK:
        return 0
    return sum(count for severity, count in counts.items()
               if SEVERITY_RANK[severity] >= SEVERITY_RANK[fail_on])


def report_context(report: Report, *, fail_on: str = "error") -> dict[str, Any]:
    summary = report.summary
    rules = rule_index(report)
    ordered = sorted_findings(report.findings)
    open_findings = [f for f in ordered if not f.waived]
    ids = document_ids(report)
    sha = {item.path: item.sha256 for item in report.inputs}
    documents = []
    for path in document_paths(report):
        mine = [f for f in ordered if f.path == path]
        documents.append({
            "path": path, "id": ids.get(path, ""), "sha256": sha.get(path, ""),
            "errors": sum(f.severity == "error" and not f.waived for f in mine),
            "warnings": sum(f.severity == "warning" and not f.waived for f in mine),
            "info": sum(f.severity == "info" and not f.waived for f in mine),
            "waived": sum(f.waived for f in mine),
        })
    disabled = [{"ruleset": ruleset.name, "rule_id": rule_id, "reason": reason,
                 "title": rule_title(rules, ruleset.name, rule_id)}
                for ruleset in report.rulesets for rule_id, reason in ruleset.disabled]
    listed_failing = sum(is_failure(f, fail_on) for f in (*report.findings, *report.notices))
    return {
        "kind": report.kind,
        "verdict": "FAIL" if report.exit_code(fail_on) else "PASS",
        "fail_on": fail_on,
        # An audit lists at most --max-findings per rule: the verdict counts every breach, and
        # says apart how many of them the report lists.
        "failing": _failing(summary, fail_on),
        "listed_failing": listed_failing,
        "summary": {"errors": summary.errors, "warnings": summary.warnings, "info": summary.info,
                    "rules_evaluated": summary.rules_evaluated, "passed": summary.passed,
                    "not_applicable": summary.not_applicable, "waived": summary.waived,
                    "not_stated": summary.not_stated,
                    "documents": len(documents)},
        "documents": documents,
        "groups": _topic_groups(report, open_findings),
        "waived": [_finding_view(f, f.title or rule_title(rules, f.ruleset, f.rule_id))
                   for f in ordered if f.waived],
        "notices": [_finding_view(f, f.title) for f in sorted_findings(report.notices)],
        "disabled": disabled,
        "provenance": {
            "tool_version": report.tool_version, "as_of": report.as_of,
            "rulesets": [{"name": r.name, "version": r.version, "sha256": r.sha256,
                          "title": r.title, "jurisdiction": r.jurisdiction}
                         for r in report.rulesets],
            "inputs": [{"path": item.path, "sha256": item.sha256} for item in report.inputs],
        },
        "audit": _audit_view(report.extra) if report.kind == "audit" else None,
        "binding_limits": _binding_view(report.extra),
    }


def _binding_view(extra: Mapping[str, Any]) -> list[dict[str, str]]:
    """The binding-limits table (several rulesets at once), as plain cells."""
    from compliance.report.text import binding_rows
    return binding_rows(extra.get("binding_limits"))


def bar(count: Any, maximum: Any, width: int = 24) -> str:
    """A text bar for Markdown tables: ``bar(5, 10)`` is twelve full blocks."""
    try:
        share = float(count) / float(maximum) if float(maximum) > 0 else 0.0
    except (TypeError, ValueError):
        return ""
    return "\u2588" * round(max(0.0, min(share, 1.0)) * width)


def max_count(entries: Any, key: str = "count") -> Any:
    return max((entry.get(key, 0) for entry in entries), default=0)


TEMPLATE_HELPERS = {"plural": plural, "bar": bar, "max_count": max_count}
TEMPLATE_FILTERS = {"percent": percent, "money": money, "amounts_of": amounts_of}
