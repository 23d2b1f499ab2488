"""Hygiene of a ruleset, decided by the solver: rules that can never fail or never apply,
exceptions that cover their whole rule or never take effect, pairs of rules no document can pass
together, dated parameter values that never take effect, parameters nothing reads.

Parameters change with dates, so a rule is judged at the start of every period in which all
parameters hold still (and before the first date); a finding holds for all of them. A finding can
be accepted with a comment above the item: ``# lint: allow CODE because REASON``.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import z3

from compliance.analysis.common import new_document, params, rules_for, walk
from compliance.analysis.encode import EncodedRule, encode_rules
from compliance.dsl import ast
from compliance.dsl.checker import Ruleset
from compliance.evaluate.values import MISSING, equal

ALLOW = re.compile(r"#\s*lint:\s*allow\s+([a-z-]+)\s+because\s+\S")
TIMEOUT_MS = 5000


@dataclass(frozen=True)
class LintFinding:
    code: str             # never-fails, never-applies, never-passes, exception-covers-rule, ...
    message: str
    span: ast.Span
    severity: str = "warning"

    def render(self) -> str:
        return f"{self.span.path}:{self.span.line}:{self.span.column}: {self.severity}: " \
               f"{self.message} [{self.code}]"


def epochs(ruleset: Ruleset) -> list[_dt.date]:
    """One date in each period in which every parameter keeps its value."""
    dates = sorted({v.effective for p in ruleset.params.values() for v in p.values if v.effective})
    first = [dates[0] - _dt.timedelta(days=1)] if dates else [_dt.date(2000, 1, 1)]
    return first + dates


def lint(ruleset: Ruleset) -> list[LintFinding]:
    findings = _parameter_findings(ruleset)
    for target in ("contract", "account"):
        findings += _rule_findings(ruleset, target)
    allowed = _allowed(ruleset)
    kept = [f for f in findings if (f.span.path, f.span.line, f.code) not in allowed]
    return sorted(kept, key=lambda f: (f.span.path, f.span.line, f.span.column, f.code))


def _sat(solver: z3.Solver, *conditions: object) -> bool:
    # Unknown (a timeout) counts as satisfiable: lint only reports what it has proved.
    return solver.check(*conditions) != z3.unsat


def _rule_findings(ruleset: Ruleset, target: str) -> list[LintFinding]:
    rules = [r for r in rules_for(ruleset, target) if r.ruleset in ("", ruleset.name)]
    if not rules:
        return []
    common: dict[tuple[str, str], LintFinding] | None = None
    for as_of in epochs(ruleset):
        document = new_document(target, [ruleset])
        encoded, _skipped = encode_rules(rules, document, params(ruleset, as_of), as_of)
        solver = z3.Solver()
        solver.set(timeout=TIMEOUT_MS)
        solver.add(document.all_constraints())
        found = {(f.code, f.message): f for f in _epoch_findings(solver, encoded)}
        common = found if common is None else {k: v for k, v in common.items() if k in found}
    return list((common or {}).values())


def _epoch_findings(solver: z3.Solver, encoded: dict[str, EncodedRule]) -> list[LintFinding]:
    found = []
    passing_alone = {}
    for rule_id, rule in encoded.items():
        span = rule.rule.span
        outcomes = rule.outcomes
        if not _sat(solver, rule.applies):
            found.append(LintFinding("never-applies", f"{rule_id} never applies: no document gets past "
                                     "its 'when'", span))
            continue
        if not _sat(solver, outcomes.failed):
            found.append(LintFinding("never-fails", f"{rule_id} can never fail", span))
        passing_alone[rule_id] = _sat(solver, outcomes.passed)
        if not passing_alone[rule_id]:
            found.append(LintFinding("never-passes", f"{rule_id} can never pass", span, "error"))
        for exception in rule.rule.exceptions:
            decides = rule.exceptions[exception.rule_id]
            if not _sat(solver, decides):
                found.append(LintFinding("exception-never-applies", f"exception {exception.rule_id} "
                                         f"never decides {rule_id} (an earlier exception or the rule's "
                                         "'when' always comes first)", exception.span))
            elif not _sat(solver, rule.applies, z3.Not(decides)):
                found.append(LintFinding("exception-covers-rule", f"exception {exception.rule_id} "
                                         f"covers all of {rule_id}: wherever the rule applies, the "
                                         "exception decides", exception.span))
    ids = [r for r in encoded if passing_alone.get(r)]
    for index, first in enumerate(ids):
        for second in ids[index + 1:]:
            a, b = encoded[first], encoded[second]
            if not _sat(solver, a.outcomes.passes(), b.outcomes.passes()):
                found.append(LintFinding("conflict", f"no document passes both {first} and {second}",
                                         b.rule.span, "error"))
    return found


def _parameter_findings(ruleset: Ruleset) -> list[LintFinding]:
    from compliance.evaluate.scalar import Evaluator
    from compliance.documents.model import Document

    findings = []
    used = _names_read(ruleset)
    for name, param in ruleset.params.items():
        if param.ruleset not in ("", ruleset.name):
            continue
        if name not in used:
            findings.append(LintFinding("unused-parameter", f"parameter {name} is read by no rule",
                                        param.span))
        evaluator = Evaluator(Document("contract", "", {}), {}, _dt.date(2026, 1, 1), ruleset.sources)
        previous = MISSING
        for dated in param.values:
            try:
                value = evaluator.value(dated.value, {}) if _constant(dated.value) else None
            except Exception:  # noqa: BLE001 - a value that needs other parameters: not compared
                value = None
            if dated.effective is not None and value is not None and previous is not MISSING \
                    and previous is not None and _same(previous, value):
                findings.append(LintFinding(
                    "value-never-takes-effect", f"parameter {name}: the value from "
                    f"{dated.effective.isoformat()} equals the one before it, so it changes nothing",
                    dated.span))
            previous = value
    return findings


def _constant(expr: ast.Expr) -> bool:
    return not any(isinstance(node, ast.Name) for node in walk(expr))


def _same(left: object, right: object) -> bool:
    try:
        return bool(equal(left, right))
    except Exception:  # noqa: BLE001 - values of different units are not the same
        return False


def _names_read(ruleset: Ruleset) -> set[str]:
    names: set[str] = set()
    roots: list[object] = []
    for rule in ruleset.rules:
        roots += [rule.when, rule.require, rule.subject, rule.message, rule.fix]
        if rule.for_each is not None:
            roots.append(rule.for_each.collection)
        for exception in rule.exceptions:
            roots += [exception.when, exception.require, exception.message, exception.fix]
    for param in ruleset.params.values():
        roots += [dated.value for dated in param.values]
    for root in roots:
        parts = root.parts if isinstance(root, ast.Template) else [root]
        for part in parts:
            if isinstance(part, str) or part is None:
                continue
            names |= {node.name for node in walk(part) if isinstance(node, ast.Name)}
    return names


def _allowed(ruleset: Ruleset) -> set[tuple[str, int, str]]:
    """(path, line of the item, code) accepted by a ``# lint: allow CODE because ...`` comment on
    one of the three lines above the item."""
    allowed = set()
    for path, text in ruleset.sources.items():
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            match = ALLOW.search(line)
            if match is None:
                continue
            for below in range(number + 1, min(number + 4, len(lines) + 1)):
                allowed.add((path, below, match.group(1)))
    return allowed
