"""Rules as SMT formulas: for each rule, the documents on which it fails, passes, does not apply,
or cannot be decided because the document is silent (``not_stated``).

The encoding follows ``_evaluate_subject`` of the scalar evaluator step by step: the ruleset's
assumptions fill the fields a document does not state, the section conditions (the rule's
``scope``) and then its ``when`` must each hold (an unknown one makes the rule not applicable), the
first exception whose ``when`` holds decides (an exemption, or its own requirement), a requirement
the document is silent on is ``not_stated`` (``failed`` under ``silence breach``), any
``UnitError`` fails the subject, and ``for each`` over a map of a closed key set (or a list of a
closed vocabulary) is one subject per key; over the subjects, failed > not_stated > passed >
not_applicable. Parameters are constants in force on the run's ``as_of``. A rule the
:class:`~compliance.analysis.encode.Encoder` cannot express raises :class:`Unsupported` and is
reported as not analysed.

Text functions (``mentions()``, ``says()``, ``percentage_near()``...) are outside the fragment:
``compliance.analysis.texts`` encodes them as atoms or tabulates them over the texts of the in-file
tests, which over-approximates every document and is exact on those texts (the ``restriction`` of
the result). A rule using them is never proved, but its witnesses are found and re-checked.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from compliance.analysis.document import SymbolicDocument
from compliance.analysis.encode import Encoder, Node, Path, Value
from compliance.analysis.symbolic import FALSE, TRUE, Sym, Unsupported
from compliance.dsl.checker import CheckedAssumption, CheckedRule


def silence_breaches(rule: CheckedRule) -> bool:
    """Whether a requirement the document is silent on is a breach (``failed``) rather than
    ``not_stated``: the rule says ``silence breach``."""
    return rule.silence == "breach"


@dataclass(frozen=True)
class Outcomes:
    """Four mutually exclusive conditions on the document, one of which always holds."""

    failed: Any
    passed: Any
    not_applicable: Any
    not_stated: Any

    def passes(self, silence_passes: bool = False) -> Any:
        """A document passes a rule when it is passed or not applicable (and, with
        ``silence_passes``, when the document is silent on what the rule needs)."""
        ok = [self.passed, self.not_applicable] + ([self.not_stated] if silence_passes else [])
        return z3.Or(ok)

    def of(self, outcome: str) -> Any:
        return getattr(self, outcome)


@dataclass(frozen=True)
class EncodedRule:
    rule: CheckedRule
    outcomes: Outcomes
    exceptions: Mapping[str, Any]          # exception id -> it decides some subject
    applies: Any                           # some subject gets past the rule's scope and `when`
    text_functions: tuple[str, ...] = ()   # mentions() and the like: abstracted, not decided
    errors: Any = FALSE
    # Prose tabulated over the corpus (says(), any() over clauses...), and the condition (each text
    # read is absent or a corpus entry) under which all the outcomes above are exact.
    prose_functions: tuple[str, ...] = ()
    restriction: Any = TRUE
    silent: Any = FALSE                    # some subject's requirement is left undecided

    @property
    def exact(self) -> bool:
        """Whether the outcomes are the evaluator's on every document (a proof may rest on them)."""
        return not self.text_functions and not self.prose_functions

    @property
    def not_exact_reason(self) -> str:
        return "uses " + ", ".join(self.text_functions + self.prose_functions)


@dataclass(frozen=True)
class _Subject:
    exists: Any
    failed: Any
    passed: Any
    not_applicable: Any
    not_stated: Any
    applies: Any
    exceptions: Mapping[str, Any]
    err: Any
    silent: Any


def encode_rule(rule: CheckedRule, document: SymbolicDocument, params: Mapping[str, Any],
                as_of: _dt.date, assumed: Mapping[Path, Any] | None = None) -> EncodedRule:
    """The four outcome conditions of ``rule`` over the symbolic document, read with the
    ``assumed`` fields of its ruleset (:func:`assumed_fields`). Raises Unsupported."""
    encoder = Encoder(document, params, as_of, dict(assumed or {}))
    subjects = [_subject(rule, encoder, exists, env) for exists, env in _subject_envs(rule, encoder)]
    failed = z3.Or([z3.And(s.exists, s.failed) for s in subjects] or [FALSE])
    stated_silence = z3.Or([z3.And(s.exists, s.not_stated) for s in subjects] or [FALSE])
    not_stated = z3.And(z3.Not(failed), stated_silence)
    passed = z3.And(z3.Not(failed), z3.Not(stated_silence),
                    z3.Or([z3.And(s.exists, s.passed) for s in subjects] or [FALSE]))
    not_applicable = z3.Not(z3.Or(failed, not_stated, passed))
    exceptions = {e.rule_id: z3.Or([z3.And(s.exists, s.exceptions[e.rule_id]) for s in subjects] or [FALSE])
                  for e in rule.exceptions}
    applies = z3.Or([z3.And(s.exists, s.applies) for s in subjects] or [FALSE])
    errors = z3.Or([z3.And(s.exists, s.err) for s in subjects] or [FALSE])
    silent = z3.Or([z3.And(s.exists, s.silent) for s in subjects] or [FALSE])
    return EncodedRule(rule, Outcomes(failed, passed, not_applicable, not_stated), exceptions, applies,
                       tuple(dict.fromkeys(encoder.used_text)), errors,
                       tuple(dict.fromkeys(encoder.used_prose)), z3.And(encoder.restrictions or [TRUE]),
                       silent)


def assumed_fields(assumptions: Sequence[CheckedAssumption], target: str, params: Mapping[str, Any],
                   as_of: _dt.date) -> dict[Path, Any]:
    """The fields the assumptions of a ruleset fill for documents of ``target``, with their values
    (computed as ``apply_assumptions`` does)."""
    from compliance.documents.model import Document
    from compliance.evaluate.scalar import Evaluator

    found: dict[Path, Any] = {}
    for assumption in assumptions:
        if assumption.target == target:
            value = Evaluator(Document(target, "", {}), params, as_of).value(assumption.value, {})
            found.setdefault(tuple(assumption.path), value)
    return found


def _subject_envs(rule: CheckedRule, encoder: Encoder) -> list[tuple[Any, dict[str, Value]]]:
    loop = rule.for_each
    if loop is None:
        return [(TRUE, {})]
    collection = encoder.value(loop.collection, {})
    if loop.value_var is None:
        items, present = encoder.elements(collection)
        return [(z3.And(present, exists), {loop.key_var: element}) for exists, element in items]
    present = encoder.present(collection.path) if isinstance(collection, Node) else TRUE
    return [(z3.And(present, exists), {loop.key_var: key, loop.value_var: element})
            for exists, key, element in encoder.keyed(collection)]


def _subject(rule: CheckedRule, encoder: Encoder, exists: Any, env: Mapping[str, Value]) -> _Subject:
    errors = []
    applies = TRUE
    # The section conditions, outermost first, then the rule's own `when`: each must hold (an
    # unknown one makes the rule not applicable), and one that does not stops the rest.
    for condition in (*rule.scope, *((rule.when,) if rule.when is not None else ())):
        holds = encoder.condition(condition, env)
        errors.append(z3.And(applies, holds.err))
        applies = z3.And(applies, z3.Not(holds.err), holds.true)
    reached = applies        # no exception decided yet
    exempt = FALSE
    decided: dict[str, Any] = {}
    branches: list[tuple[Any, Sym]] = []
    for exception in rule.exceptions:
        condition = encoder.condition(exception.when, env)
        errors.append(z3.And(reached, condition.err))
        hit = z3.And(reached, z3.Not(condition.err), condition.true)
        decided[exception.rule_id] = hit
        if exception.require is None:
            exempt = z3.Or(exempt, hit)
        else:
            branches.append((hit, encoder.condition(exception.require, env)))
        reached = z3.And(reached, z3.Not(hit))
    branches.append((reached, encoder.condition(rule.require, env)))
    passed, false, unknown = FALSE, FALSE, FALSE
    for taken, requirement in branches:
        errors.append(z3.And(taken, requirement.err))
        ok = z3.Not(requirement.err)
        passed = z3.Or(passed, z3.And(taken, ok, requirement.true))
        false = z3.Or(false, z3.And(taken, ok, requirement.false))
        unknown = z3.Or(unknown, z3.And(taken, ok, requirement.unknown))
    err = z3.Or(errors)
    breach = silence_breaches(rule)
    failed = z3.Or(err, false, unknown) if breach else z3.Or(err, false)
    not_stated = FALSE if breach else z3.And(z3.Not(err), unknown)
    passed = z3.And(z3.Not(err), passed)
    not_applicable = z3.And(z3.Not(err), z3.Or(z3.Not(applies), exempt))
    return _Subject(exists, failed, passed, not_applicable, not_stated, applies, decided, err,
                    z3.And(z3.Not(err), unknown))


def encode_rules(rules: Sequence[CheckedRule], document: SymbolicDocument, params: Mapping[str, Any],
                 as_of: _dt.date, assumed: Mapping[Path, Any] | None = None
                 ) -> tuple[dict[str, EncodedRule], dict[str, str]]:
    """Every rule that can be encoded, and for the others why not."""
    encoded, skipped = {}, {}
    for rule in rules:
        try:
            encoded[rule.rule_id] = encode_rule(rule, document, params, as_of, assumed)
        except Unsupported as reason:
            skipped[rule.rule_id] = str(reason)
    return encoded, skipped

