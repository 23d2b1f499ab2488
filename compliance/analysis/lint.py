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
from collections.abc import Mapping
from dataclasses import dataclass

import z3

from compliance.analysis.common import encode_all, new_document, rules_for, walk
from compliance.analysis.outcomes import EncodedRule
from compliance.dsl import ast
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.evaluate.values import MISSING, equal

ALLOW = re.compile(r"#\s*lint:\s*allow\s+([a-z-]+)\s+because\s+\S")
TIMEOUT_MS = 5000


@dataclass(frozen=True)
class LintFinding:
    code: str             # never-fails, never-applies, never-passes, exception-covers-rule, ...
    message: str
    span: ast.Span
    severity: str = "warning"
    rule_id: str = ""     # the one rule the finding is about, if it is about one

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
    periods = []
    unset: dict[tuple[str, str], LintFinding] = {}
    for as_of in epochs(ruleset):
        document = new_document(target, [ruleset])
        encoded, _skipped = encode_all(ruleset, rules, document, as_of)
        solver = z3.Solver()
        solver.set(timeout=TIMEOUT_MS)
        solver.add(document.all_constraints())
        found = {(f.code, f.message): f for f in _epoch_findings(solver, encoded, ruleset.sources)}
        dormant = {f.rule_id for f in found.values() if f.code == "never-applies"}
        periods.append((found, dormant))
        unset.update({(f.code, f.message): f for f in _unset_parameters(solver, encoded, ruleset, as_of)})
    # A finding must hold in every period; a finding about one rule holds vacuously in a period in
    # which that rule never applies (a rule not yet in force cannot fail either).
    candidates = {key: finding for found, _dormant in periods for key, finding in found.items()}
    return [finding for key, finding in candidates.items()
            if all(key in found or finding.code != "never-applies" and finding.rule_id in dormant
                   for found, dormant in periods)] + list(unset.values())


def _unset_parameters(solver: z3.Solver, encoded: dict[str, EncodedRule], ruleset: Ruleset,
                      as_of: _dt.date) -> list[LintFinding]:
    """Rules that apply in a period in which a parameter they read has no value yet: on every
    document they apply to then, the evaluator cannot decide them (not stated)."""
    from compliance.evaluate.scalar import params_as_of

    values = params_as_of(ruleset, as_of)
    found = []
    for rule_id, item in encoded.items():
        rule = item.rule
        # Each requirement with the condition under which it is the one that decides.
        decided = [(exception.require, item.exceptions[exception.rule_id]) for exception in rule.exceptions
                   if exception.require is not None]
        decided.append((rule.require, z3.And(item.applies, *[z3.Not(d) for d in item.exceptions.values()])))
        unset = sorted({node.name for requirement, reached in decided for node in walk(requirement)
                        if isinstance(node, ast.Name) and values.get(node.name, None) is MISSING
                        and _sat(solver, reached)})
        for name in unset:
            since = min(v.effective for v in ruleset.params[name].values if v.effective is not None)
            found.append(LintFinding("parameter-not-yet-set", f"{rule_id} applies before {since.isoformat()}, "
                                     f"when parameter {name} has no value yet: it cannot be decided "
                                     "then (add the rule's start date to its section or 'when')",
                                     rule.span, rule_id=rule_id))
    return found


def _epoch_findings(solver: z3.Solver, encoded: dict[str, EncodedRule],
                    sources: Mapping[str, str]) -> list[LintFinding]:
    found = []
    passing_alone = {}
    for rule_id, rule in encoded.items():
        span = rule.rule.span
        outcomes = rule.outcomes
        if not _sat(solver, rule.applies):
            found.append(LintFinding("never-applies", f"{rule_id} never applies: no document gets past "
                                     "its section's condition and its 'when'", span, rule_id=rule_id))
            continue
        can_fail = _sat(solver, outcomes.failed)
        if not can_fail and not _sat(solver, outcomes.not_stated):
            found.append(LintFinding("never-fails", f"{rule_id} can never fail (nor be not stated)", span,
                                     rule_id=rule_id))
        elif not can_fail:
            # stated(x) is true or missing, never false: by design such a rule only reports silence.
            found.append(LintFinding("only-not-stated", f"{rule_id} can never fail, only be not stated: "
                                     f"its severity ({rule.rule.severity}) and message are never used; "
                                     "write 'silence breach' if the silence is the breach", span, "info",
                                     rule_id))
        if rule.rule.silence_reason and not _sat(solver, rule.silent):
            found.append(LintFinding("silence-never-used", f"{rule_id}'s silence clause is never used: no "
                                     "document leaves its requirement undecided",
                                     _clause_span(sources, rule.rule, "silence"), rule_id=rule_id))
        passing_alone[rule_id] = _sat(solver, outcomes.passed)
        if not passing_alone[rule_id]:
            found.append(LintFinding("never-passes", f"{rule_id} can never pass", span, "error", rule_id))
        for exception in rule.rule.exceptions:
            decides = rule.exceptions[exception.rule_id]
            if not _sat(solver, decides):
                found.append(LintFinding("exception-never-applies", f"exception {exception.rule_id} "
                                         f"never decides {rule_id} (an earlier exception or the rule's "
                                         "'when' always decides first)", exception.span, rule_id=rule_id))
            elif not _sat(solver, rule.applies, z3.Not(decides)):
                found.append(LintFinding("exception-covers-rule", f"exception {exception.rule_id} "
                                         f"covers all of {rule_id}: wherever the rule applies, the "
                                         "exception decides", exception.span, rule_id=rule_id))
    ids = [r for r in encoded if passing_alone.get(r)]
    for index, first in enumerate(ids):
        for second in ids[index + 1:]:
            a, b = encoded[first], encoded[second]
            if not _sat(solver, a.outcomes.passes(), b.outcomes.passes()):
                found.append(LintFinding("conflict", f"no document passes both {first} and {second}",
                                         b.rule.span, "error"))
    return found


def _clause_span(sources: Mapping[str, str], rule: CheckedRule, keyword: str) -> ast.Span:
    """Where a clause of the rule is written: the first line of the rule's item that starts with
    the keyword (the rule's own position if there is none)."""
    lines = sources.get(rule.span.path, "").split("\n")
    for number in range(rule.span.line, len(lines)):
        text = lines[number]
        if text and not text[0].isspace() and not text.startswith("#"):
            break   # the next item
        if text.strip().startswith(keyword + " "):
            return ast.Span(rule.span.path, number + 1, len(text) - len(text.lstrip()) + 1)
    return rule.span


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
        roots += [*rule.scope, rule.when, rule.require, rule.subject, rule.message, rule.fix]
        if rule.for_each is not None:
            roots.append(rule.for_each.collection)
        for exception in rule.exceptions:
            roots += [exception.when, exception.require, exception.message, exception.fix]
    for param in ruleset.params.values():
        roots += [dated.value for dated in param.values]
    for section in ruleset.sections.values():   # a section without rules still reads its condition
        roots.append(section.when)
    for assumption in ruleset.assumptions:
        roots += [assumption.value, assumption.message]
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
