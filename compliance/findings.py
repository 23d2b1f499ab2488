"""Finding and Report: the one model every output (text, JSON, SARIF, JUnit, Markdown, HTML) renders.

The JSON form is the finding model of the user-facing spec; it may gain keys, never lose them.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Outcome = Literal["passed", "failed", "not_stated", "not_applicable"]
FindingOutcome = Literal["failed", "not_stated"]

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FAIL_ON_LEVELS = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    topic: str
    severity: Severity
    path: str                  # the input file
    line: int | None
    column: int | None
    subject: str               # the field (or account id) the finding is about
    message: str
    citation: str
    fix: str
    waived: bool = False
    ruleset: str = ""          # which ruleset the rule comes from (several may run at once)
    title: str = ""            # the rule's title, for reports
    waiver_reason: str = ""    # why it was waived, and by whom, when it was
    document_id: str = ""      # the contract id (or snapshot name)
    explanation: str = ""      # the decisive values, as the evaluator found them
    # "failed": the document breaks the rule; "not_stated": it is silent on what the rule needs
    outcome: FindingOutcome = "failed"

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line or 0, self.rule_id, self.column or 0, self.subject, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id, "topic": self.topic, "severity": self.severity,
            "path": self.path, "line": self.line, "column": self.column, "subject": self.subject,
            "message": self.message, "citation": self.citation, "fix": self.fix, "waived": self.waived,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class RuleRun:
    """One rule evaluated on one document: what JUnit shows as a test case."""

    rule_id: str
    ruleset: str
    path: str
    document_id: str
    outcome: Outcome
    explanation: str
    waived: bool = False


@dataclass(frozen=True)
class RuleInfo:
    """A rule's metadata, for outputs that list rules (SARIF tool.driver.rules, reports)."""

    rule_id: str
    ruleset: str
    title: str
    topic: str
    severity: Severity
    citation: str           # the provision in force on the run's date
    fix: str = ""           # the fix hint as written (may contain {placeholders})
    description: str = ""   # the requirement in words, or the rule's source text
    condition: str = ""     # when the rule applies (its `when`, as written), "" for always
    requirement: str = ""   # what it requires (its `require`, as written)
    scope: str = ""         # what it is evaluated on: "each class, offered in leverage", ""
    silence: str = "warning"  # the severity of a not_stated finding, or "breach"
    sources: tuple[str, ...] = ()
    confidence: str = ""


@dataclass(frozen=True)
class RulesetInfo:
    name: str
    version: str
    sha256: str
    title: str = ""
    jurisdiction: str = ""
    disabled: tuple[tuple[str, str], ...] = ()  # (rule_id, reason) disabled by an extending ruleset


@dataclass(frozen=True)
class InputInfo:
    path: str
    sha256: str


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    info: int
    rules_evaluated: int
    passed: int
    waived: int = 0
    not_applicable: int = 0
    not_stated: int = 0        # findings (of any severity) where the document is silent

    def to_json(self) -> dict[str, int]:
        return {"errors": self.errors, "warnings": self.warnings, "info": self.info,
                "rules_evaluated": self.rules_evaluated, "passed": self.passed,
                "not_stated": self.not_stated}


@dataclass(frozen=True)
class Report:
    tool_version: str
    rulesets: tuple[RulesetInfo, ...]
    inputs: tuple[InputInfo, ...]
    findings: tuple[Finding, ...]
    runs: tuple[RuleRun, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    as_of: str = ""
    kind: str = "check"                 # "check" (contracts) or "audit" (a snapshot)
    notices: tuple[Finding, ...] = ()  # e.g. expired waivers, reported as warnings
    extra: dict[str, Any] = field(default_factory=dict)  # audit metrics, stress results, binding limits
    # Audits list at most --max-findings findings per rule; their exact totals are kept here.
    totals: Summary | None = None

    @property
    def summary(self) -> Summary:
        if self.totals is not None:
            return self.totals
        counted = [f for f in (*self.findings, *self.notices) if not f.waived]
        return Summary(
            errors=sum(f.severity == "error" for f in counted),
            warnings=sum(f.severity == "warning" for f in counted),
            info=sum(f.severity == "info" for f in counted),
            rules_evaluated=len(self.runs),
            passed=sum(r.outcome == "passed" for r in self.runs),
            waived=sum(f.waived for f in self.findings),
            not_applicable=sum(r.outcome == "not_applicable" for r in self.runs),
            not_stated=sum(f.outcome == "not_stated" for f in counted),
        )

    def exit_code(self, fail_on: str) -> int:
        """0 when no unwaived finding reaches ``fail_on``, else 1 (the spec's exit codes)."""
        if fail_on == "never":
            return 0
        threshold = SEVERITY_RANK[fail_on]
        failing = (f for f in (*self.findings, *self.notices) if not f.waived)
        return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in failing) else 0


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=Finding.sort_key))


def findings_by_path(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.path, []).append(finding)
    return grouped
