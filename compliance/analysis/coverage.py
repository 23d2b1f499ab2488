"""Coverage of rules by their in-file tests: per rule, which outcomes its tests assert and which of
its exceptions they reach, against the outcomes the rule can have at all.

What a rule can have is decided by the solver (a rule without ``when`` or exceptions can never be
not applicable, a rule where silence is the breach is never not stated); a rule outside the
analysed fragment is expected to reach every outcome. A missing case comes with a suggested test,
built from a witness the evaluator has re-checked.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

from compliance.analysis.common import new_document, params
from compliance.analysis.encode import encode_rule, silence_breaches
from compliance.analysis.symbolic import Unsupported
from compliance.dsl.checker import CheckedRule, Ruleset
from compliance.evaluate.testing import DEFAULT_AS_OF


def _outcomes() -> tuple[str, ...]:
    from compliance.dsl.checker import OUTCOMES
    return tuple(OUTCOMES) + (() if "not_stated" in OUTCOMES else ("not_stated",))


@dataclass(frozen=True)
class RuleCoverage:
    rule: CheckedRule
    possible: tuple[str, ...]          # outcomes and exception ids the rule can have
    reached: tuple[str, ...]
    suggestions: tuple[str, ...] = ()  # test blocks for what is missing

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(item for item in self.possible if item not in self.reached)


@dataclass(frozen=True)
class RulesetCoverage:
    ruleset: Ruleset
    rules: tuple[RuleCoverage, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(len(r.possible) for r in self.rules)

    @property
    def reached(self) -> int:
        return sum(len(r.possible) - len(r.missing) for r in self.rules)


def coverage(ruleset: Ruleset, suggest: bool = True) -> RulesetCoverage:
    from compliance.evaluate.scalar import evaluate_document
    from compliance.evaluate.testing import test_document

    own = [rule for rule in ruleset.rules if rule.ruleset in ("", ruleset.name)]
    reached: dict[str, set[str]] = {rule.rule_id: set() for rule in own}
    for case in ruleset.tests:
        if case.document is None:
            continue
        document = test_document(case, ruleset)
        wanted = [rule for rule in own if any(e.rule_id == rule.rule_id for e in case.expectations)]
        results = evaluate_document(ruleset, document, case.as_of or DEFAULT_AS_OF, rules=wanted)
        for expect in case.expectations:
            if expect.rule_id in reached:
                reached[expect.rule_id].add(expect.outcome)
        for result in results:
            if result.exception_id:
                reached[result.rule.rule_id].add(result.exception_id)
    rules = []
    for rule in own:
        possible = _possible(ruleset, rule)
        item = RuleCoverage(rule, possible, tuple(x for x in possible if x in reached[rule.rule_id]))
        if suggest and item.missing:
            item = RuleCoverage(rule, possible, item.reached, tuple(_suggest(ruleset, rule, item.missing)))
        rules.append(item)
    return RulesetCoverage(ruleset, tuple(rules))


def _possible(ruleset: Ruleset, rule: CheckedRule) -> tuple[str, ...]:
    outcomes = [o for o in _outcomes() if not (o == "not_stated" and silence_breaches(rule))]
    exceptions = [e.rule_id for e in rule.exceptions]
    document = new_document(rule.target, [ruleset])
    try:
        encoded = encode_rule(rule, document, params(ruleset, DEFAULT_AS_OF), DEFAULT_AS_OF)
    except Unsupported:
        return tuple(outcomes + exceptions)
    solver = z3.Solver()
    solver.set(timeout=5000)
    solver.add(document.all_constraints())
    found = [o for o in outcomes if solver.check(encoded.outcomes.of(o)) != z3.unsat]
    found += [e for e in exceptions if solver.check(encoded.exceptions[e]) != z3.unsat]
    return tuple(found)


def _suggest(ruleset: Ruleset, rule: CheckedRule, missing: Sequence[str]) -> list[str]:
    from compliance.analysis.cases import rule_case, test_block

    blocks = []
    exception_ids = {e.rule_id for e in rule.exceptions}
    for item in missing:
        if item in exception_ids:
            decided = next(e for e in rule.exceptions if e.rule_id == item)
            outcome = "not_applicable" if decided.require is None else "passed"
            case = rule_case(ruleset, rule, DEFAULT_AS_OF, outcome, exception=item)
            name = f"{rule.rule_id}: exception {item}"
        else:
            case = rule_case(ruleset, rule, DEFAULT_AS_OF, item)
            name = f"{rule.rule_id} {item}"
        if case.found is not None:
            blocks.append(test_block(case, DEFAULT_AS_OF, name))
    return blocks


def render_text(reports: Sequence[RulesetCoverage]) -> str:
    out = []
    for report in reports:
        share = 100.0 * report.reached / report.total if report.total else 100.0
        out.append(f"{report.ruleset.name}: {report.reached} of {report.total} outcomes and "
                   f"exceptions reached by the tests ({share:.1f}%)")
        for rule in report.rules:
            if rule.missing:
                out.append(f"  {rule.rule.rule_id}: not reached: {', '.join(rule.missing)}")
                for block in rule.suggestions:
                    out += ["      " + line for line in block.rstrip("\n").splitlines()]
    reached = sum(r.reached for r in reports)
    total = sum(r.total for r in reports)
    out.append(f"coverage: {reached} of {total} ({100.0 * reached / total if total else 100.0:.1f}%)")
    return "\n".join(out) + "\n"


def render_json(reports: Sequence[RulesetCoverage]) -> str:
    payload = [{"ruleset": r.ruleset.name, "reached": r.reached, "total": r.total,
                "rules": [{"rule_id": c.rule.rule_id, "possible": list(c.possible),
                           "reached": list(c.reached), "missing": list(c.missing),
                           "suggested_tests": list(c.suggestions)} for c in r.rules]}
               for r in reports]
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
