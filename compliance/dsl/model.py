"""The checked ruleset: what the checker makes of a ruleset file and its extends chain, and what
every later step (evaluators, reports, analysis, the language server) reads. Frozen data only."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from compliance import vocabulary
from compliance.dsl import ast
from compliance.dsl import types as T


@dataclass(frozen=True)
class ParamDef:
    name: str
    values: tuple[ast.DatedValue, ...]   # in date order; a value without date comes first
    type: T.Type
    ruleset: str
    span: ast.Span


@dataclass(frozen=True)
class CheckedException:
    rule_id: str
    base_id: str
    title: str
    when: ast.Expr
    require: ast.Expr | None
    message: ast.Template | None
    fix: ast.Template | None
    citation: str
    ruleset: str
    span: ast.Span
    section: str = ""            # set when it qualifies every rule of a section


Citations = tuple[tuple["_dt.date | None", str], ...]


def citation_on(citations: Citations, as_of: _dt.date, fallback: str = "") -> str:
    """The provision in force on ``as_of``: the latest citation dated on or before it (an undated
    one applies from the beginning)."""
    chosen = fallback
    for effective, text in citations:  # in date order, the undated first
        if effective is None or effective <= as_of:
            chosen = text
    return chosen


@dataclass(frozen=True)
class CheckedAssumption:
    """A field a document is read with, when it does not state it: ``path`` = ``value``."""

    rule_id: str
    title: str
    topic: str
    severity: str
    citation: str
    target: str
    path: tuple[str, ...]
    value: ast.Expr
    message: ast.Template | None
    ruleset: str
    span: ast.Span
    citations: Citations = ()
    sources: tuple[str, ...] = ()
    confidence: str = ""

    def citation_on(self, as_of: _dt.date) -> str:
        return citation_on(self.citations, as_of, self.citation)


@dataclass(frozen=True)
class SectionInfo:
    name: str
    title: str
    target: str
    when: ast.Expr | None
    ruleset: str
    span: ast.Span


@dataclass(frozen=True)
class CheckedRule:
    rule_id: str
    title: str
    topic: str
    severity: str
    citation: str
    target: str
    for_each: ast.ForEach | None
    when: ast.Expr | None
    require: ast.Expr
    message: ast.Template | None
    fix: ast.Template | None
    subject: ast.Expr | None
    ruleset: str
    span: ast.Span
    exceptions: tuple[CheckedException, ...] = ()
    # What the rule does when the document is silent on what `require` reads: a not_stated
    # finding at this severity, or "breach" (failed); the reason says what it needs and why.
    silence: str = vocabulary.DEFAULT_SILENCE
    silence_reason: str = ""
    citations: Citations = ()           # every dated citation; `citation` is the earliest
    sources: tuple[str, ...] = ()       # where the facts the rule rests on come from
    confidence: str = ""                # verified | secondary | unverified (docs/sources.md)
    section: str = ""
    # The section's conditions, checked before the rule's own `when` (outermost first).
    scope: tuple[ast.Expr, ...] = ()
    inherited_from: str = ""            # an override: the ruleset that first defined the rule
    overridden: tuple[str, ...] = ()    # an override: the clauses it replaced

    def citation_on(self, as_of: _dt.date) -> str:
        return citation_on(self.citations, as_of, self.citation)


@dataclass(frozen=True)
class Ruleset:
    name: str
    version: str
    title: str
    jurisdiction: str
    path: str
    sha256: str
    chain: tuple[str, ...]                         # this ruleset, then what it extends, outwards
    params: Mapping[str, ParamDef]
    rules: tuple[CheckedRule, ...]
    disabled: tuple[tuple[str, str, str], ...]     # (rule_id, reason, disabled by ruleset)
    tests: tuple[ast.TestCase, ...]                # this file's own in-file tests
    sources: Mapping[str, str] = field(default_factory=dict)  # path -> text, for `rules show`
    header: Mapping[str, str] = field(default_factory=dict)
    assumptions: tuple[CheckedAssumption, ...] = ()
    sections: Mapping[str, SectionInfo] = field(default_factory=dict)

    def rule(self, rule_id: str) -> CheckedRule | None:
        return next((rule for rule in self.rules if rule.rule_id == rule_id), None)
