"""Coverage of rules by their in-file tests: per rule, which outcomes its tests assert and which of
its exceptions they reach, against the outcomes the rule can have at all.

What a rule can have is decided by the solver where the rule is encoded exactly (a rule without a
section, ``when`` or exceptions can never be not applicable, a rule where silence is the breach is
never not stated). Where it is not (text functions tabulated over the tests' texts), what the
solver rules out is impossible, and what it allows counts once a witness shows it; the rest, and
every outcome of a rule outside the fragment that no test reaches, is listed as *unknown* (not
counted): a person must say whether it can happen. A missing case comes with a suggested test,
built from a witness and re-checked by running it as an in-file test of the ruleset.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import z3

from compliance.analysis.cases import Case, rule_case, test_block
from compliance.analysis.common import encode, new_document
from compliance.analysis.outcomes import silence_breaches
from compliance.analysis.symbolic import Unsupported
from compliance.dsl.checker import OUTCOMES, CheckedRule, Ruleset
from compliance.evaluate.testing import DEFAULT_AS_OF


@dataclass(frozen=True)
class RuleCoverage:
    rule: CheckedRule
    possible: tuple[str, ...]          # outcomes and exception ids the rule can have
    reached: tuple[str, ...]
    suggestions: tuple[str, ...] = ()  # test blocks for what is missing
    unknown: tuple[str, ...] = ()      # neither shown possible nor impossible

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
    own = [rule for rule in ruleset.rules if _own_behaviour(rule, ruleset)]
    reached = _reached(ruleset, own)
    rules = []
    for rule in own:
        possible, unknown, cases = _possible(ruleset, rule, reached[rule.rule_id])
        item = RuleCoverage(rule, possible, tuple(x for x in possible if x in reached[rule.rule_id]),
                            unknown=unknown)
        if suggest and item.missing:
            blocks = [_block(ruleset, rule, missing, cases.get(missing)) for missing in item.missing]
            item = RuleCoverage(rule, possible, item.reached, tuple(b for b in blocks if b), unknown)
        rules.append(item)
    return RulesetCoverage(ruleset, tuple(_rechecked(ruleset, rules)))


def _own_behaviour(rule: CheckedRule, ruleset: Ruleset) -> bool:
    """A rule the ruleset's own tests must cover: defined here, or overridden here in more than
    its description (an override that only cites another provision keeps its parent's tests)."""
    from compliance.evaluate.testing import DESCRIPTIVE_CLAUSES

    if rule.ruleset not in ("", ruleset.name):
        return False
    return not rule.inherited_from or not set(rule.overridden) <= DESCRIPTIVE_CLAUSES


def _reached(ruleset: Ruleset, own: Sequence[CheckedRule]) -> dict[str, set[str]]:
    """Per rule, the outcomes its tests expect and the exceptions that decide it in them."""
    from compliance.evaluate.scalar import evaluate_document
    from compliance.evaluate.testing import test_document

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
            if result.exception_id and result.rule.rule_id in reached:
                reached[result.rule.rule_id].add(result.exception_id)
    return reached


def _possible(ruleset: Ruleset, rule: CheckedRule, reached: set[str]
              ) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Case]]:
    """(what the rule can have, what is unknown, the witnesses found on the way)."""
    outcomes = [o for o in OUTCOMES if not (o == "not_stated" and silence_breaches(rule))]
    candidates = outcomes + [e.rule_id for e in rule.exceptions]
    document = new_document(rule.target, [ruleset])
    try:
        encoded = encode(ruleset, rule, document, DEFAULT_AS_OF)
    except Unsupported:
        return (tuple(c for c in candidates if c in reached),
                tuple(c for c in candidates if c not in reached), {})
    solver = z3.Solver()
    solver.set(timeout=5000)
    solver.add(document.all_constraints())
    conditions = {**{o: encoded.outcomes.of(o) for o in outcomes}, **encoded.exceptions}
    allowed = [c for c in candidates if solver.check(conditions[c]) != z3.unsat]
    if encoded.exact:
        return tuple(allowed), (), {}
    cases = {c: _case(ruleset, rule, c) for c in allowed if c not in reached}
    shown = [c for c in allowed if c in reached or cases[c].found is not None]
    return tuple(shown), tuple(c for c in allowed if c not in shown), {c: k for c, k in cases.items() if k.found}


def _case(ruleset: Ruleset, rule: CheckedRule, item: str) -> Case:
    decided = next((e for e in rule.exceptions if e.rule_id == item), None)
    if decided is None:
        return rule_case(ruleset, rule, DEFAULT_AS_OF, item)
    outcome = "not_applicable" if decided.require is None else "passed"
    return rule_case(ruleset, rule, DEFAULT_AS_OF, outcome, exception=item)


def _block(ruleset: Ruleset, rule: CheckedRule, item: str, case: Case | None) -> str:
    case = case if case is not None else _case(ruleset, rule, item)
    if case.found is None:
        return ""
    is_exception = any(e.rule_id == item for e in rule.exceptions)
    name = f"{rule.rule_id}: exception {item}" if is_exception else f"{rule.rule_id} {item}"
    return test_block(case, DEFAULT_AS_OF, name)


def _rechecked(ruleset: Ruleset, rules: Sequence[RuleCoverage]) -> list[RuleCoverage]:
    """Keep only the suggested tests that pass when appended to the ruleset and run as its own."""
    from dataclasses import replace

    blocks = [block for item in rules for block in item.suggestions]
    if not blocks:
        return list(rules)
    passing = _passing_blocks(ruleset, blocks)
    return [replace(item, suggestions=tuple(b for b in item.suggestions if b in passing)) for item in rules]


def _passing_blocks(ruleset: Ruleset, blocks: Sequence[str]) -> set[str]:
    from compliance.analysis.witness import dsl_value
    from compliance.dsl.loader import load_ruleset_text
    from compliance.errors import InputError
    from compliance.evaluate.testing import run_test

    source = ruleset.sources.get(ruleset.path, "")
    try:
        extended = load_ruleset_text(source.rstrip("\n") + "\n\n" + "\n".join(blocks), ruleset.path)
    except InputError:
        return set()
    added = extended.tests[len(ruleset.tests):]
    by_name: Mapping[str, str] = {block.split("\n", 1)[0]: block for block in blocks}
    return {by_name[f"test {dsl_value(case.name)}"] for case in added
            if f"test {dsl_value(case.name)}" in by_name and run_test(case, extended).passed}


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
            if rule.unknown:
                out.append(f"  {rule.rule.rule_id}: unknown (no witness, not counted): {', '.join(rule.unknown)}")
    reached = sum(r.reached for r in reports)
    total = sum(r.total for r in reports)
    out.append(f"coverage: {reached} of {total} ({100.0 * reached / total if total else 100.0:.1f}%)")
    return "\n".join(out) + "\n"


def render_json(reports: Sequence[RulesetCoverage]) -> str:
    payload = [{"ruleset": r.ruleset.name, "reached": r.reached, "total": r.total,
                "rules": [{"rule_id": c.rule.rule_id, "possible": list(c.possible),
                           "reached": list(c.reached), "missing": list(c.missing),
                           "unknown": list(c.unknown), "suggested_tests": list(c.suggestions)}
                          for c in r.rules]}
               for r in reports]
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
