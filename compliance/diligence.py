"""The due-diligence report of ``compliance diligence``: a platform profile's verdict, each point with
its evidence and citation, what is missing, and how far prices can fall at the leverage offered.

:func:`build_diligence` runs the check (the same review as ``compliance check``, so findings,
citations and exit codes agree) and turns it into a :class:`Diligence`: frozen, exact figures and
nothing else. Wording lives in the phrasebooks ``report/templates/_diligence_{en,zh}.j2`` and
layout in ``diligence.{md,html}.j2``; :func:`render_diligence` joins them.

The leverage summary applies ``compliance/risk/liquidation.py`` to the highest leverage the
profile states, at the close-out line it states (a 维持担保比例 line, a maintenance ratio or a CFD
close-out level, in that order), and to each referenced contract that offers more than that.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compliance import vocabulary
from compliance.documents.model import Document
from compliance.findings import Finding, Report

DEFAULT_RULESET = "platform_due_diligence"
LANGUAGES = ("en", "zh")
FORMATS = ("markdown", "html")
_TEMPLATE = {"markdown": "diligence.md.j2", "html": "diligence.html.j2"}


@dataclass(frozen=True)
class Point:
    """One rule of the review on the profile."""

    rule_id: str
    title: str
    outcome: str          # passed | failed | not_stated | not_applicable
    severity: str         # of the finding when there is one, else of the rule
    evidence: str         # the decisive values, as the evaluator found them
    message: str          # the finding's text ("" when the point passed)
    fix: str
    citation: str         # the provision in force on the review date
    confidence: str
    line: int | None      # where in the profile the point is decided


@dataclass(frozen=True)
class LeverageLine:
    """How far the price can fall from opening before close-out, at one leverage."""

    source: str           # "profile", or the referenced contract file offering more
    leverage: Decimal
    line_kind: str        # collateral_ratio | maintenance | close_out_level
    line: Decimal
    drop: Decimal
    warning_line: Decimal | None
    warning_drop: Decimal | None


@dataclass(frozen=True)
class Diligence:
    profile_id: str
    name: str
    path: str
    jurisdiction: str
    legal_entity: str
    licence_number: str
    regulator: str
    reviewed_on: str
    as_of: str
    ruleset: str
    ruleset_version: str
    ruleset_sha256: str
    verdict: str                      # fail | confirm | pass
    points: tuple[Point, ...]
    leverage: tuple[LeverageLine, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for point in self.points if point.outcome == outcome)

    @property
    def failed(self) -> tuple[Point, ...]:
        return tuple(point for point in self.points if point.outcome == "failed")

    @property
    def missing(self) -> tuple[Point, ...]:
        return tuple(point for point in self.points if point.outcome == "not_stated")


def verdict_of(findings: tuple[Finding, ...]) -> str:
    """``fail`` when an error-level point failed; ``confirm`` when something failed at a lower
    severity or is not stated; ``pass`` when nothing did."""
    live = [finding for finding in findings if not finding.waived]
    if any(f.outcome == "failed" and f.severity == "error" for f in live):
        return "fail"
    return "confirm" if live else "pass"


def build_diligence(path: str, ruleset: str, as_of: _dt.date) -> tuple[Diligence, Report]:
    """The review of the profile at ``path`` and the report it was built from (for the exit code)."""
    from compliance.documents.platform import load_platform
    from compliance.dsl.loader import load_ruleset
    from compliance.review import check_contracts

    document = load_platform(path)  # a file that is not a platform profile is an input error here
    report = check_contracts([path], [ruleset], as_of)
    return diligence_of(document, report, load_ruleset(ruleset)), report


# A passed point's evidence shows the profile's values it was decided on, each this long at most.
MAX_EVIDENCE_VALUE = 80


def stated_values(expr: Any, data: dict[str, Any], local: frozenset[str] = frozenset()) -> list[str]:
    """``field = value`` for each document field an expression reads (in order, once each), as the
    profile states it; loop and quantifier variables and parameters are left out."""
    from compliance.documents.model import render_path
    from compliance.dsl import ast

    found: list[str] = []

    def walk(node: Any, bound: frozenset[str]) -> None:
        path = _field_path(node) if isinstance(node, (ast.Name, ast.Attr)) else None
        if path is not None and path[0] not in bound and path[0] in data:
            value: Any = data
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None and value != [] and render_path(path) not in (f.split(" = ")[0] for f in found):
                found.append(f"{render_path(path)} = {_shown(value)}")
            return
        if isinstance(node, ast.Quantifier):
            walk(node.collection, bound)
            walk(node.body, bound | {node.var})
            return
        for child in getattr(node, "__dataclass_fields__", {}):
            value = getattr(node, child)
            for item in value if isinstance(value, tuple) else (value,):
                if hasattr(item, "__dataclass_fields__") and child != "span":
                    walk(item, bound)

    walk(expr, local)
    return found


def _field_path(node: Any) -> tuple[str, ...] | None:
    """``licence.number`` -> ("licence", "number"); None for anything but names and fields."""
    from compliance.dsl import ast

    if isinstance(node, ast.Name):
        return (node.name,)
    if isinstance(node, ast.Attr):
        parent = _field_path(node.target)
        return None if parent is None else (*parent, node.name)
    return None


def _shown(value: Any) -> str:
    from compliance.dsl.units import format_value

    if isinstance(value, list):
        text = ", ".join(_shown(item) for item in value)
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key}: {_shown(item)}" for key, item in value.items()) + "}"
    else:
        text = format_value(value)
    return text if len(text) <= MAX_EVIDENCE_VALUE else text[:MAX_EVIDENCE_VALUE - 1] + "…"


def _evidence(explanation: str, outcome: str, rule: Any, data: dict[str, Any]) -> str:
    """What a point was decided on: the evaluator's explanation, and for a passed point (whose
    explanation only says it complies) the values the profile states for it."""
    if outcome != "passed" or rule is None or rule.for_each is not None:
        return explanation
    values = stated_values(rule.require, data)
    return "; ".join(values) if values else explanation


def diligence_of(document: Document, report: Report, ruleset: Any = None) -> Diligence:
    data = document.data
    findings = {finding.rule_id: finding for finding in report.findings if finding.path == document.path}
    runs = {run.rule_id: run for run in report.runs if run.path == document.path}
    points = []
    for info in report.rules:
        run = runs.get(info.rule_id)
        if run is None:
            continue
        finding = findings.get(info.rule_id)
        points.append(Point(
            rule_id=info.rule_id, title=info.title, outcome=run.outcome,
            severity=finding.severity if finding else info.severity,
            evidence=_evidence(run.explanation, run.outcome,
                               ruleset.rule(info.rule_id) if ruleset is not None else None, data),
            message=finding.message if finding else "", fix=finding.fix if finding else "",
            citation=info.citation, confidence=info.confidence,
            line=finding.line if finding else None))
    ruleset = report.rulesets[0]
    licence = data.get("licence") or {}
    return Diligence(
        profile_id=str(data.get("id", "")), name=str(data.get("name", "")), path=document.path,
        jurisdiction=str(data.get("jurisdiction", "")),
        legal_entity=str((data.get("legal_entity") or {}).get("name", "")),
        licence_number=str(licence.get("number", "")), regulator=str(licence.get("regulator", "")),
        reviewed_on=_date_text(data.get("reviewed_on")), as_of=report.as_of,
        ruleset=ruleset.name, ruleset_version=ruleset.version, ruleset_sha256=ruleset.sha256,
        verdict=verdict_of(report.findings), points=tuple(points),
        leverage=leverage_lines(data))


def _date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, _dt.date) else ""


# ---------------------------------------------------------------------------------------------
# The risk maths of the leverage offered
# ---------------------------------------------------------------------------------------------

def close_out_line(terms: dict[str, Any]) -> tuple[str, Decimal] | None:
    """The close-out line a profile (or contract margin section) states, by the basis it is on."""
    for key, kind in (("close_out_collateral_ratio", "collateral_ratio"),
                      ("maintenance", "maintenance"), ("close_out_level", "close_out_level")):
        value = terms.get(key)
        if value is not None:
            return kind, value.fraction
    return None


def price_fall(leverage: Decimal, kind: str, line: Decimal) -> Decimal:
    from compliance.risk import liquidation

    if kind == "collateral_ratio":
        return liquidation.collateral_ratio_drop(leverage, line)
    if kind == "maintenance":
        return liquidation.liquidation_drop(leverage, line)
    return liquidation.close_out_drop(leverage, line)


def leverage_lines(data: dict[str, Any]) -> tuple[LeverageLine, ...]:
    """The profile's maximum at its close-out line, then each referenced contract offering more
    (at the contract's own line when it states one). Empty when the profile states no maximum or
    no line: the report then says the figure cannot be computed."""
    terms = data.get("leverage") or {}
    maximum = terms.get("maximum")
    found = close_out_line(terms)
    if maximum is None or found is None:
        return ()
    lines = [_line("profile", maximum.times, found, terms.get("warning_collateral_ratio"))]
    for contract in data.get("contracts") or []:
        offered = [value.times for value in (contract.get("leverage") or {}).values()]
        if offered and max(offered) > lines[0].leverage:
            margin = contract.get("margin") or {}
            own = close_out_line(margin)
            lines.append(_line(str(contract.get("file", "")), max(offered), own or found,
                               margin.get("warning_collateral_ratio") if own else
                               terms.get("warning_collateral_ratio")))
    return tuple(lines)


def _line(source: str, leverage: Decimal, found: tuple[str, Decimal], warning: Any) -> LeverageLine:
    kind, line = found
    warning_line = warning.fraction if warning is not None and kind == "collateral_ratio" else None
    return LeverageLine(source=source, leverage=leverage, line_kind=kind, line=line,
                        drop=price_fall(leverage, kind, line), warning_line=warning_line,
                        warning_drop=None if warning_line is None
                        else price_fall(leverage, kind, warning_line))


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def diligence_context(diligence: Diligence, lang: str, fmt: str) -> dict[str, Any]:
    from compliance.disclosure import fmt_number, fmt_percent, fmt_rate

    return {"d": diligence, "lang": lang, "fmt": fmt, "outcomes": vocabulary.OUTCOMES,
            "pct": fmt_percent, "rate": fmt_rate, "num": fmt_number}


def render_diligence(diligence: Diligence, lang: str = "en", fmt: str = "markdown") -> str:
    """The report in ``lang`` ("en" | "zh") and ``fmt`` ("markdown" | "html")."""
    from compliance.report.templating import builtin_environment

    if lang not in LANGUAGES or fmt not in FORMATS:
        raise ValueError(f"unknown language or format {lang!r}, {fmt!r}")
    env = builtin_environment("html" if fmt == "html" else "markdown")
    return env.get_template(_TEMPLATE[fmt]).render(diligence_context(diligence, lang, fmt))
