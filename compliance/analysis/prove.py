"""Dominance: does every document that passes every rule of HOUSE pass every rule of REG?

Per rule R of REG the solver looks for a document that passes all of HOUSE and does not pass R.
None exists: R is implied, and the unsat core names the HOUSE rules that imply it (shrunk to a
minimal set). One exists: R is not implied, and the document, made readable and re-checked by the
scalar evaluator, is the witness. A document *passes* a rule when the outcome is ``passed`` or
``not_applicable`` (``silence_passes``: ``not_stated`` too).

HOUSE rules outside the fragment are left out of the premise (fewer premises can only make a proof
harder, never wrong); text functions in HOUSE rules are free atoms (any text, consistently). REG
rules outside the fragment, or using text functions, are "not analysed", never proved.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from compliance.analysis.common import new_document, params, passing, rules_for, verdicts
from compliance.analysis.encode import EncodedRule, encode_rules
from compliance.analysis.witness import Found, search
from compliance.dsl.checker import Ruleset

IMPLIED, NOT_IMPLIED, NOT_ANALYSED, UNDECIDED = "implied", "not_implied", "not_analysed", "undecided"
SOLVER_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    title: str
    citation: str
    verdict: str
    implied_by: tuple[str, ...] = ()
    reason: str = ""
    witness: Found | None = None
    house_outcomes: Mapping[str, str] = field(default_factory=dict)   # on the witness
    reg_outcome: str = ""


@dataclass(frozen=True)
class Dominance:
    house: Ruleset
    reg: Ruleset
    target: str
    as_of: _dt.date
    verdicts: tuple[Verdict, ...]
    house_left_out: Mapping[str, str]        # HOUSE rules outside the fragment: why

    @property
    def all_implied(self) -> bool:
        return all(v.verdict == IMPLIED for v in self.verdicts)


def prove(house: Ruleset, reg: Ruleset, as_of: _dt.date, target: str = "contract",
          silence_passes: bool = False) -> Dominance:
    document = new_document(target, [house, reg])
    house_rules, reg_rules = rules_for(house, target), rules_for(reg, target)
    house_encoded, house_skipped = encode_rules(house_rules, document, params(house, as_of), as_of)
    reg_encoded, reg_skipped = encode_rules(reg_rules, document, params(reg, as_of), as_of)
    solver = z3.Solver()
    solver.set(timeout=SOLVER_TIMEOUT_MS)
    solver.add(document.all_constraints())
    premises = {}
    for rule_id, encoded in house_encoded.items():
        indicator = z3.Bool(f"house passes {rule_id}")
        solver.add(z3.Implies(indicator, encoded.outcomes.passes(silence_passes)))
        premises[rule_id] = indicator
    results = []
    for rule in reg_rules:
        encoded = reg_encoded.get(rule.rule_id)
        base = dict(rule_id=rule.rule_id, title=rule.title, citation=rule.citation)
        if encoded is None:
            results.append(Verdict(**base, verdict=NOT_ANALYSED, reason=reg_skipped[rule.rule_id]))
        elif encoded.text_functions:
            results.append(Verdict(**base, verdict=NOT_ANALYSED,
                                   reason="uses " + ", ".join(encoded.text_functions)))
        else:
            results.append(_decide(solver, premises, encoded, house_encoded, document, house, reg,
                                   as_of, target, silence_passes, base))
    return Dominance(house, reg, target, as_of, tuple(results), house_skipped)


def _decide(solver: Any, premises: Mapping[str, Any], encoded: EncodedRule,
            house_encoded: Mapping[str, EncodedRule], document: Any, house: Ruleset, reg: Ruleset,
            as_of: _dt.date, target: str, silence_passes: bool, base: dict[str, str]) -> Verdict:
    goal = z3.Bool(f"reg breaks {encoded.rule.rule_id}")
    solver.push()
    solver.add(z3.Implies(goal, z3.Not(encoded.outcomes.passes(silence_passes))))
    assumptions = [goal, *premises.values()]
    answer = solver.check(assumptions)
    if answer == z3.unsat:
        core = _minimal_core(solver, goal, [p for p in solver.unsat_core() if not p.eq(goal)])
        solver.pop()
        names = {str(p): rule_id for rule_id, p in premises.items()}
        implied_by = tuple(sorted(names[str(p)] for p in core))
        return Verdict(**base, verdict=IMPLIED, implied_by=implied_by,
                       reason="" if implied_by else "holds for every document")
    solver.pop()
    if answer != z3.sat:
        return Verdict(**base, verdict=UNDECIDED, reason="the solver gave up (timeout)")
    ok = passing(silence_passes)

    def confirms(candidate: Any) -> bool:
        house_found = verdicts(house, candidate, as_of)
        reg_found = verdicts(reg, candidate, as_of, [encoded.rule])
        return all(v in ok for v in house_found.values()) and reg_found[encoded.rule.rule_id] not in ok

    goals = [z3.Not(encoded.outcomes.passes(silence_passes))]
    goals += [e.outcomes.passes(silence_passes) for e in house_encoded.values()]
    found = search(document, goals, as_of, confirms, target)
    if found is None:
        return _partial(document, goals, as_of, target, house, reg, encoded, house_encoded, ok, base)
    return Verdict(**base, verdict=NOT_IMPLIED, witness=found,
                   house_outcomes=verdicts(house, found.document, as_of),
                   reg_outcome=verdicts(reg, found.document, as_of, [encoded.rule])[encoded.rule.rule_id])


def _partial(document: Any, goals: list[Any], as_of: _dt.date, target: str, house: Ruleset,
             reg: Ruleset, encoded: EncodedRule, house_encoded: Mapping[str, EncodedRule],
             ok: tuple[str, ...], base: dict[str, str]) -> Verdict:
    """No confirmed witness: look for one that passes the analysed house rules, and say which
    house rules outside the fragment it fails (the question stays open for those)."""
    def confirms(candidate: Any) -> bool:
        house_found = verdicts(house, candidate, as_of)
        reg_found = verdicts(reg, candidate, as_of, [encoded.rule])
        return all(house_found[r] in ok for r in house_encoded) and \
            reg_found[encoded.rule.rule_id] not in ok

    found = search(document, goals, as_of, confirms, target)
    if found is None:
        return Verdict(**base, verdict=UNDECIDED,
                       reason="a counterexample exists in the encoding, but none the evaluator "
                              "confirms was found (it may need text the analysis cannot write)")
    outcomes = verdicts(house, found.document, as_of)
    failing = sorted(r for r, v in outcomes.items() if v not in ok)
    return Verdict(**base, verdict=UNDECIDED, witness=found, house_outcomes=outcomes,
                   reg_outcome=verdicts(reg, found.document, as_of, [encoded.rule])[encoded.rule.rule_id],
                   reason="the witness passes every analysed house rule but fails "
                          f"{', '.join(failing)}, outside the fragment")


def _minimal_core(solver: Any, goal: Any, core: Sequence[Any]) -> list[Any]:
    """Drop premises one at a time while the rest still imply the rule (deletion-based MUS)."""
    kept = list(core)
    for candidate in list(core):
        trial = [p for p in kept if not p.eq(candidate)]
        if solver.check([goal, *trial]) == z3.unsat:
            kept = trial
    return kept
