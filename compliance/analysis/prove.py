"""Dominance: does every document that passes every rule of HOUSE pass every rule of REG?

Per rule R of REG the solver looks for a document that passes all of HOUSE and does not pass R.
None exists: R is implied, and the unsat core names the HOUSE rules that imply it (shrunk to a
minimal set). One exists: R is not implied, and the document, made readable and re-checked by the
scalar evaluator, is the witness. A document *passes* a rule when the outcome is ``passed`` or
``not_applicable`` (``silence_passes``: ``not_stated`` too).

Both rulesets read a document with their own assumptions (a field one of them fills is its default
there, and silent for the other). HOUSE rules outside the fragment are left out of the premise
(fewer premises can only make a proof harder, never wrong); text functions in HOUSE rules are free
atoms (any text, consistently), and a HOUSE rule reading prose (``says()``...) is a premise only on
documents that do not state that prose. REG rules using text functions or prose are never proved:
they are "not analysed", unless a document that passes HOUSE and breaks them, confirmed by the
evaluator, shows them NOT implied.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from compliance.analysis.common import encode_all, new_document, params, passing, rules_for, verdicts
from compliance.analysis.outcomes import EncodedRule, assumed_fields
from compliance.analysis.witness import Found, search
from compliance.dsl.checker import Ruleset
from compliance.evaluate.values import MISSING

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
    house_encoded, house_skipped = encode_all(house, house_rules, document, as_of)
    reg_encoded, reg_skipped = encode_all(reg, reg_rules, document, as_of)
    solver = z3.Solver()
    solver.set(timeout=SOLVER_TIMEOUT_MS)
    solver.add(document.all_constraints())
    premises = {}
    for rule_id, encoded in house_encoded.items():
        indicator = z3.Bool(f"house passes {rule_id}")
        # Text in a house rule is over-approximated (any text, consistently): a weaker premise,
        # so a proof stays sound.
        solver.add(z3.Implies(indicator, encoded.outcomes.passes(silence_passes)))
        premises[rule_id] = indicator
    left_out = dict(house_skipped)
    context = _Context(solver, premises, house_encoded, document, house, reg, as_of, target, silence_passes,
                       _read_differently(house, reg, target, as_of))
    results = []
    for rule in reg_rules:
        encoded = reg_encoded.get(rule.rule_id)
        base = dict(rule_id=rule.rule_id, title=rule.title, citation=rule.citation_on(as_of))
        if encoded is None:
            results.append(Verdict(**base, verdict=NOT_ANALYSED, reason=reg_skipped[rule.rule_id]))
        elif not encoded.exact:
            results.append(_refute(context, encoded, base))
        else:
            results.append(_decide(context, encoded, base))
    return Dominance(house, reg, target, as_of, tuple(results), left_out)


@dataclass(frozen=True)
class _Context:
    solver: Any
    premises: Mapping[str, Any]
    house_encoded: Mapping[str, EncodedRule]
    document: Any
    house: Ruleset
    reg: Ruleset
    as_of: _dt.date
    target: str
    silence_passes: bool
    # Fields the two rulesets' assumptions fill differently when a document is silent on them:
    # path -> (what HOUSE reads, what REG reads), MISSING where one has no assumption.
    differently: Mapping[tuple[str, ...], tuple[Any, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> tuple[str, ...]:
        return passing(self.silence_passes)

    def breaks(self, encoded: EncodedRule) -> Any:
        return z3.Not(encoded.outcomes.passes(self.silence_passes))

    def confirmed(self, encoded: EncodedRule, candidate: Any, only_analysed: bool = False) -> bool:
        """The evaluator's word: the candidate passes the house (every rule, or every analysed
        one) and does not pass the REG rule."""
        house_found = verdicts(self.house, candidate, self.as_of)
        reg_found = verdicts(self.reg, candidate, self.as_of, [encoded.rule])
        judged = self.house_encoded if only_analysed else house_found
        return all(house_found[r] in self.ok for r in judged) and \
            reg_found[encoded.rule.rule_id] not in self.ok

    def counterexample(self, encoded: EncodedRule, only_analysed: bool = False) -> Found | None:
        """A witness the evaluator confirms: first among documents whose texts are absent or taken
        from the in-file tests (where every rule is encoded exactly), then among all."""
        goal = [self.breaks(encoded), encoded.restriction]
        passes = [e.outcomes.passes(self.silence_passes) for e in self.house_encoded.values()]
        strict = goal + passes + [e.restriction for e in self.house_encoded.values()]
        loose = [self.breaks(encoded)] + passes
        # A document that states what the two rulesets would assume differently shows a gap in
        # the rules themselves: look for one first.
        stated = [self.document.present(path) for path in sorted(self.differently)]
        attempts = [strict + stated, loose + stated] if stated else []
        for goals in (*attempts, strict, loose):
            found = search(self.document, goals, self.as_of,
                           lambda candidate: self.confirmed(encoded, candidate, only_analysed), self.target)
            if found is not None:
                return found
        return None

    def through_assumptions(self, found: Found) -> str:
        """Why a witness is one only because of the assumptions: the silent fields it relies on."""
        from compliance.dsl.units import format_value

        silent = [path for path in sorted(self.differently) if _lookup(found.data, path) is None]
        if not silent:
            return ""
        parts = []
        for path in silent:
            house_reads, reg_reads = (("not stated" if v is MISSING else format_value(v))
                                      for v in self.differently[path])
            parts.append(f"{'.'.join(path)}, which {self.house.name} reads as {house_reads} and "
                         f"{self.reg.name} as {reg_reads}")
        return "only for documents that do not state " + "; ".join(parts)

    def not_implied(self, encoded: EncodedRule, base: dict[str, str], found: Found) -> Verdict:
        return Verdict(**base, verdict=NOT_IMPLIED, witness=found, reason=self.through_assumptions(found),
                       house_outcomes=verdicts(self.house, found.document, self.as_of),
                       reg_outcome=verdicts(self.reg, found.document, self.as_of,
                                            [encoded.rule])[encoded.rule.rule_id])


def _decide(context: _Context, encoded: EncodedRule, base: dict[str, str]) -> Verdict:
    solver = context.solver
    goal = z3.Bool(f"reg breaks {encoded.rule.rule_id}")
    solver.push()
    solver.add(z3.Implies(goal, context.breaks(encoded)))
    answer = solver.check([goal, *context.premises.values()])
    if answer == z3.unsat:
        core = _minimal_core(solver, goal, [p for p in solver.unsat_core() if not p.eq(goal)])
        solver.pop()
        names = {str(p): rule_id for rule_id, p in context.premises.items()}
        implied_by = tuple(sorted(names[str(p)] for p in core))
        return Verdict(**base, verdict=IMPLIED, implied_by=implied_by,
                       reason="" if implied_by else "holds for every document")
    solver.pop()
    if answer != z3.sat:
        return Verdict(**base, verdict=UNDECIDED, reason="the solver gave up (timeout)")
    found = context.counterexample(encoded)
    if found is not None:
        return context.not_implied(encoded, base, found)
    return _partial(context, encoded, base)


def _refute(context: _Context, encoded: EncodedRule, base: dict[str, str]) -> Verdict:
    """A REG rule outside the fragment is never proved; but a document that passes the house and
    breaks it, confirmed by the evaluator, shows it is not implied."""
    reason = encoded.not_exact_reason
    solver = context.solver
    goal = z3.Bool(f"reg breaks {encoded.rule.rule_id} without prose")
    solver.push()
    solver.add(z3.Implies(goal, z3.And(context.breaks(encoded), encoded.restriction)))
    answer = solver.check([goal, *context.premises.values()])
    solver.pop()
    found = context.counterexample(encoded) if answer != z3.unsat else None
    if found is None:
        return Verdict(**base, verdict=NOT_ANALYSED, reason=reason)
    return context.not_implied(encoded, base, found)


def _partial(context: _Context, encoded: EncodedRule, base: dict[str, str]) -> Verdict:
    """No confirmed witness: look for one that passes the analysed house rules, and say which
    house rules outside the fragment it fails (the question stays open for those)."""
    found = context.counterexample(encoded, only_analysed=True)
    if found is None:
        return Verdict(**base, verdict=UNDECIDED,
                       reason="a counterexample exists in the encoding, but none the evaluator "
                              "confirms was found (it may need text the analysis cannot write)")
    outcomes = verdicts(context.house, found.document, context.as_of)
    failing = sorted(r for r, v in outcomes.items() if v not in context.ok)
    return Verdict(**base, verdict=UNDECIDED, witness=found, house_outcomes=outcomes,
                   reg_outcome=verdicts(context.reg, found.document, context.as_of,
                                        [encoded.rule])[encoded.rule.rule_id],
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


def _read_differently(house: Ruleset, reg: Ruleset, target: str, as_of: _dt.date
                      ) -> dict[tuple[str, ...], tuple[Any, Any]]:
    in_house = assumed_fields(house.assumptions, target, params(house, as_of), as_of)
    in_reg = assumed_fields(reg.assumptions, target, params(reg, as_of), as_of)
    return {path: (in_house.get(path, MISSING), in_reg.get(path, MISSING))
            for path in set(in_house) | set(in_reg) if in_house.get(path, MISSING) != in_reg.get(path, MISSING)}


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node
