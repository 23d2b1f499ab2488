"""Snapshot audit: the account rules of a ruleset over every row, platform metrics and stress.

The pipeline of ``compliance audit``: read the snapshot column-wise, evaluate each account rule as
numpy masks (``compliance.evaluate.vector``), count breaches and the money involved exactly, keep
one finding per breaching account up to ``max_findings`` per rule (worst first, messages rendered
by the exact scalar evaluator), and add the platform metrics and stress results of the same pass.

Money totals are exact: amounts are summed as integer cents (int64), which is exact for snapshots
whose amounts have at most two decimals and whose totals stay below 9.2e16 cents.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from compliance import __version__
from compliance.audit.fx import FxRates, load_fx_rates, require_rates, row_rates
from compliance.audit.metrics import snapshot_currencies, totals_currency
from compliance.documents.snapshot import NO_CURRENCY
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.dsl.units import Percent
from compliance.evaluate.vector import (
    FAILED,
    NOT_APPLICABLE,
    NOT_STATED,
    PASSED,
    RuleOutcomes,
    apply_column_assumptions,
    evaluate_snapshot,
)
from compliance.findings import (
    Finding,
    InputInfo,
    Report,
    RuleRun,
    Summary,
    sort_findings,
)
from compliance.records import record

DEFAULT_MAX_FINDINGS = 100
TOP_OFFENDERS = 20
DEFAULT_CLOSE_OUT_LEVEL = Decimal("0.5")


@record
class Levels:
    close_out_level: Decimal
    close_out_at_or_below: bool
    warning_level: Decimal | None


def levels_for(ruleset: Ruleset, params: dict[str, Any], contract: Any | None) -> Levels:
    """The close-out and warning levels for metrics and stress: the contract's own when given,
    else the ruleset's parameters ``close_out_level`` / ``warning_level``, else 50% and none."""
    close_out, warning, at_or_below = None, None, False
    if contract is not None:
        margin = contract.data.get("margin", {})
        if isinstance(margin.get("close_out_level"), Percent):
            close_out = margin["close_out_level"].fraction
        if isinstance(margin.get("warning_level"), Percent):
            warning = margin["warning_level"].fraction
        at_or_below = margin.get("close_out_comparison") == "at_or_below"
    if close_out is None and isinstance(params.get("close_out_level"), Percent):
        close_out = params["close_out_level"].fraction
    if warning is None and isinstance(params.get("warning_level"), Percent):
        warning = params["warning_level"].fraction
    if contract is None:
        # Rulesets name the comparison as contracts do: close_out_comparison = "at_or_below".
        at_or_below = params.get("close_out_comparison") == "at_or_below" \
            or params.get("close_out_at_or_below") is True
    return Levels(close_out if close_out is not None else DEFAULT_CLOSE_OUT_LEVEL, at_or_below, warning)


def contract_params(params: dict[str, Any], contract: Any) -> dict[str, Any]:
    """The parameters the account rules read, tightened by the contract the accounts trade
    under: its close-out and warning levels where they are stricter than the ruleset's (the
    platform has promised them to its clients), and closing out at the line if it says so. A
    contract looser than the ruleset changes nothing: the law's level still binds."""
    margin = contract.data.get("margin", {})
    tightened = dict(params)
    for name in ("close_out_level", "warning_level"):
        stated, current = margin.get(name), params.get(name)
        if isinstance(stated, Percent) and isinstance(current, Percent) and stated.fraction > current.fraction:
            tightened[name] = stated
    if margin.get("close_out_comparison") == "at_or_below" and params.get("close_out_comparison") == "below":
        tightened["close_out_comparison"] = "at_or_below"
    return tightened


def _cents(values: np.ndarray) -> int:
    """The exact sum in cents. Amounts are below 1e13 (the snapshot reader's range), so a chunk
    of 9,000 rows (under 9e18 cents) cannot overflow int64; chunks are summed as Python ints."""
    cents = np.rint(values * 100.0).astype(np.int64)
    return sum(int(chunk.sum()) for chunk in np.split(cents, range(9_000, len(cents), 9_000)))


def _money_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _amount_column(rule: CheckedRule, snapshot: Any) -> str:
    """The money a breach involves: the rule's stated subject when it is a money column, else the
    account's exposure."""
    from compliance.dsl import ast
    subject = rule.subject
    if isinstance(subject, ast.Name) and subject.name in snapshot.numeric and subject.name != "positions_count":
        return subject.name
    return "exposure"


def _money_involved(snapshot: Any, magnitudes: np.ndarray, codes: np.ndarray | None,
                    fx: FxRates | None) -> dict[str, Any]:
    """The money of the breaching accounts (``magnitudes``, their currency ``codes``): exact cents
    per currency, their total when the snapshot has one currency or rates convert them, and the
    total's currency."""
    if codes is None or len(snapshot_currencies(snapshot)) == 1:
        return {"money_involved": _money_text(_cents(magnitudes)),
                "money_currency": totals_currency(snapshot, fx)}
    labels = snapshot.categories["currency"][1]
    by_currency = {}
    for code, label in [(-1, NO_CURRENCY)] + list(enumerate(labels)):
        selected = codes == code
        if selected.any():
            by_currency[label] = _money_text(_cents(magnitudes[selected]))
    return {"money_involved": fx.convert_total(by_currency) if fx is not None else None,
            "money_currency": fx.base if fx is not None else None,
            "money_involved_by_currency": dict(sorted(by_currency.items()))}


def rule_findings(outcome: RuleOutcomes, snapshot: Any, ruleset: Ruleset, params: dict[str, Any],
                  as_of: _dt.date, max_findings: int, fx: FxRates | None = None
                  ) -> tuple[list[Finding], dict[str, Any]]:
    """The findings of one account rule (breaches, then accounts silent on what it reads, each
    largest first up to ``max_findings``) and its counts."""
    rule = outcome.rule
    failed = np.flatnonzero(outcome.outcomes == FAILED)
    silent = np.flatnonzero(outcome.outcomes == NOT_STATED)
    column = _amount_column(rule, snapshot)
    # Only the breaching rows are touched: this runs once per rule over snapshots of millions.
    magnitudes = np.abs(snapshot.numeric[column][failed])
    codes = snapshot.categories["currency"][0][failed] if "currency" in snapshot.categories else None
    involved = _money_involved(snapshot, magnitudes, codes, fx)
    findings, offenders = _listed(rule, failed, "failed", snapshot, ruleset, params, as_of,
                                  max_findings, fx, column)
    stated, _ = _listed(rule, silent, "not_stated", snapshot, ruleset, params, as_of, max_findings,
                        fx, column)
    n = snapshot.n_rows
    counts = {
        "rule_id": rule.rule_id, "title": rule.title, "topic": rule.topic, "severity": rule.severity,
        "ruleset": rule.ruleset, "breaches": int(failed.size),
        "not_stated": int(silent.size), "silence": rule.silence,
        "passed": int((outcome.outcomes == PASSED).sum()),
        "not_applicable": int((outcome.outcomes == NOT_APPLICABLE).sum()),
        "share": f"{failed.size / n:.4f}" if n else "0.0000",
        "money_column": column, **involved,
        "listed": len(findings) + len(stated), "settled_exactly": outcome.fallback_rows,
        "top_offenders": offenders,
    }
    return findings + stated, counts


def _listed(rule: CheckedRule, rows: np.ndarray, wanted: str, snapshot: Any, ruleset: Ruleset,
            params: dict[str, Any], as_of: _dt.date, max_findings: int, fx: FxRates | None,
            column: str) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Findings for the largest ``rows`` (whose outcome is ``wanted``), worded by the exact
    scalar evaluator, and the top offenders among them."""
    from compliance.evaluate.scalar import Evaluator, evaluate_rule

    amounts = snapshot.numeric[column]
    magnitudes = np.abs(amounts[rows])
    compared = magnitudes
    if fx is not None and "currency" in snapshot.categories:
        codes = snapshot.categories["currency"][0][rows]
        compared = magnitudes * row_rates(fx, codes, list(snapshot.categories["currency"][1]))
    order = rows[np.argsort(-compared, kind="stable")]
    listed = order[:max(max_findings, TOP_OFFENDERS)]
    findings: list[Finding] = []
    offenders: list[dict[str, Any]] = []
    ids = snapshot.account_ids(listed) if listed.size else []
    citation = rule.citation_on(as_of)
    for rank, (row, account_id) in enumerate(zip(listed, ids)):
        evaluator = Evaluator(snapshot.row_document(int(row)), params, as_of, ruleset.sources)
        result = next((r for r in evaluate_rule(rule, evaluator) if r.outcome == wanted), None)
        if result is None:  # pragma: no cover - the vector and scalar backends agree by construction
            continue
        position = snapshot.position(int(row), column)
        if rank < TOP_OFFENDERS and wanted == "failed":
            offenders.append({"account_id": account_id, "line": position.line,
                              "value": _money_text(int(np.rint(amounts[row] * 100))),
                              "message": result.message})
        if rank < max_findings:
            findings.append(Finding(
                rule_id=rule.rule_id, topic=rule.topic,
                severity=(result.severity or rule.severity),  # type: ignore[arg-type]
                path=snapshot.path, line=position.line, column=position.column, subject=account_id,
                message=result.message, citation=citation, fix=result.fix,
                ruleset=rule.ruleset, title=rule.title, document_id=account_id,
                explanation=result.explanation,
                outcome="not_stated" if wanted == "not_stated" else "failed"))
    return findings, offenders


def _assumption_findings(assumed: Sequence[Any], snapshot: Any, as_of: _dt.date) -> list[Finding]:
    """One not_stated finding per assumption a snapshot needed (not one per account)."""
    found = []
    for item in assumed:
        assumption = item.assumption
        whole = item.rows == snapshot.n_rows
        where = "the snapshot has no column" if whole else f"{item.rows} of {snapshot.n_rows} accounts leave empty the column"
        found.append(Finding(
            rule_id=assumption.rule_id, topic=assumption.topic, severity=assumption.severity,
            path=snapshot.path, line=1, column=1, subject=item.column,
            message=f"{item.column} is not stated ({where} {item.column}): {assumption.title}; "
                    f"those accounts are read as {item.value}",
            citation=assumption.citation_on(as_of), fix=f"add the column {item.column} to the snapshot",
            ruleset=assumption.ruleset, title=assumption.title, document_id=snapshot.path,
            explanation=f"{item.column} read as {item.value} for {item.rows} accounts",
            outcome="not_stated"))
    return found


def audit_snapshot(snapshot_path: str, ruleset_spec: str, *, as_of: _dt.date,
                   contract_path: str | None = None, shocks: Sequence[Decimal] = (),
                   max_findings: int = DEFAULT_MAX_FINDINGS, progress: bool = False,
                   fx_rates_path: str | None = None) -> Report:
    """The whole of ``compliance audit``, as a function."""
    from compliance.audit.metrics import compute_metrics
    from compliance.audit.stress import run_stress
    from compliance.documents.snapshot import load_snapshot
    from compliance.dsl.loader import load_ruleset
    from compliance.evaluate.scalar import params_as_of
    from compliance.review import assumption_info, rule_info, ruleset_info

    ruleset = load_ruleset(ruleset_spec)
    contract = None
    if contract_path:
        from compliance.documents.contract import load_contract
        contract = load_contract(contract_path)
    fx = load_fx_rates(fx_rates_path) if fx_rates_path else None
    snapshot = load_snapshot(snapshot_path, progress=progress)
    if fx is not None:
        require_rates(fx, snapshot_currencies(snapshot), snapshot.path)
    params = params_as_of(ruleset, as_of)
    if contract is not None:
        params = contract_params(params, contract)
    snapshot, assumed = apply_column_assumptions(ruleset, snapshot, params, as_of)
    outcomes = evaluate_snapshot(ruleset, snapshot, as_of, params)
    findings: list[Finding] = _assumption_findings(assumed, snapshot, as_of)
    rule_counts = []
    runs = []
    for outcome in outcomes:
        listed, counts = rule_findings(outcome, snapshot, ruleset, params, as_of, max_findings, fx)
        findings.extend(listed)
        rule_counts.append(counts)
        overall = ("failed" if counts["breaches"] else "not_stated" if counts["not_stated"]
                   else "passed" if counts["passed"] else "not_applicable")
        runs.append(RuleRun(rule_id=outcome.rule.rule_id, ruleset=ruleset.name, path=snapshot.path,
                            document_id=snapshot.path, outcome=overall,  # type: ignore[arg-type]
                            explanation=f"{counts['breaches']} of {snapshot.n_rows} accounts breach"))
    levels = levels_for(ruleset, params, contract)
    metrics = compute_metrics(snapshot, warning_level=levels.warning_level,
                              close_out_level=levels.close_out_level,
                              close_out_at_or_below=levels.close_out_at_or_below, fx=fx)
    stress = run_stress(snapshot, list(shocks), close_out_level=levels.close_out_level,
                        close_out_at_or_below=levels.close_out_at_or_below, fx=fx) if shocks else []
    severity_totals = {"error": 0, "warning": 0, "info": 0}
    for counts in rule_counts:
        severity_totals[counts["severity"]] += counts["breaches"]
        if counts["not_stated"]:
            severity_totals[counts["silence"]] += counts["not_stated"]
    not_stated = sum(counts["not_stated"] for counts in rule_counts) + len(assumed)
    for item in assumed:
        severity_totals[item.assumption.severity] += 1
    totals = Summary(errors=severity_totals["error"], warnings=severity_totals["warning"],
                     info=severity_totals["info"], rules_evaluated=len(runs),
                     passed=sum(run.outcome == "passed" for run in runs),
                     not_applicable=sum(run.outcome == "not_applicable" for run in runs),
                     not_stated=not_stated)
    inputs = [InputInfo(snapshot.path, snapshot.sha256)]
    if contract is not None:
        inputs.append(InputInfo(contract.path, contract.sha256))
    extra = {
        "accounts": snapshot.n_rows,
        "levels": {"close_out_level": str(Percent(levels.close_out_level)),
                   "close_out_at_or_below": levels.close_out_at_or_below,
                   "warning_level": str(Percent(levels.warning_level)) if levels.warning_level is not None else None},
        "rule_counts": rule_counts,
        "metrics": metrics.to_json(),
        "stress": [result.to_json() for result in stress],
        "max_findings_per_rule": max_findings,
    }
    if fx is not None:
        extra["fx"] = fx.describe()
    if snapshot.ignored_columns:
        extra["ignored_columns"] = list(snapshot.ignored_columns)
    return Report(
        tool_version=__version__, rulesets=(ruleset_info(ruleset),), inputs=tuple(inputs),
        findings=sort_findings(findings), runs=tuple(runs),
        rules=tuple([*(rule_info(rule, ruleset, as_of) for rule in ruleset.rules if rule.target == "account"),
                     *(assumption_info(a, ruleset, as_of) for a in ruleset.assumptions
                       if a.target == "account")]),
        as_of=as_of.isoformat(), kind="audit", extra=extra, totals=totals)
