"""Semantic check: names, field paths, types and units, before anything is evaluated.

Collects every diagnostic first and fails once, so a rule author sees all problems in one run.
The result is a ``Ruleset``: the extends chain merged, each rule with its exceptions, typed.
"""
from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from compliance import vocabulary
from compliance.dsl import ast
from compliance.dsl import types as T
from compliance.dsl.linker import ChainLinker
from compliance.dsl.model import (
    CheckedAssumption,
    CheckedException,
    CheckedRule,
    Citations,
    ParamDef,
    Ruleset,
    SectionInfo,
)
from compliance.errors import Diagnostic, InputError

TOPICS = vocabulary.TOPICS
SEVERITIES = vocabulary.SEVERITIES
TARGETS = vocabulary.DOCUMENT_KINDS
OUTCOMES = vocabulary.OUTCOMES
RULE_CLAUSES = ("topic", "severity", "citation", "source", "confidence", "applies_to", "for_each",
                "when", "require", "silence", "message", "fix", "subject")
EXCEPTION_CLAUSES = ("when", "require", "citation", "message", "fix")
# An exception to a whole section exempts its rules; a requirement could not fit them all.
SECTION_EXCEPTION_CLAUSES = ("when", "citation")
SECTION_CLAUSES = ("applies_to", "when")
ASSUMPTION_CLAUSES = ("applies_to", "set", "topic", "severity", "citation", "source", "confidence",
                      "message")
REPEATABLE_CLAUSES = ("source",)


DocumentTypes = Callable[[str], T.Type]


class Checker(ChainLinker):
    def __init__(self, files: Sequence[ast.RulesetFile], document_types: DocumentTypes):
        self.files = list(files)             # the root first, then its parents outwards
        self.document_types = document_types
        self.diagnostics: list[Diagnostic] = []
        self.lines = {f.path: f.source.split("\n") for f in files}
        self.param_types: dict[str, T.Type] = {}

    # ---- reporting ---------------------------------------------------------------------------
    def error(self, span: ast.Span, message: str) -> None:
        lines = self.lines.get(span.path, [])
        source = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        self.diagnostics.append(Diagnostic(span.path, span.line, span.column, message, source))

    def _suggest(self, word: str, candidates: Sequence[str]) -> str:
        close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
        return f" (did you mean '{close[0]}'?)" if close else ""

    # ---- the whole chain -------------------------------------------------------------------------
    def run(self, sha256: str) -> Ruleset:
        root = self.files[0]
        params: dict[str, ParamDef] = {}
        rules: dict[str, ast.Rule] = {}
        exceptions: dict[str, ast.Exception_] = {}
        disabled: dict[str, tuple[str, str, str]] = {}
        self.sections: dict[str, ast.Section] = {}
        self.rule_sections: dict[str, str] = {}
        self.assumptions: dict[str, ast.Assumption] = {}
        for file in reversed(self.files):    # the farthest parent first, the root last
            self._merge_file(file, params, rules, exceptions, disabled)
        self.param_types = {name: p.type for name, p in params.items()}
        sections = {name: self._check_section(section) for name, section in self.sections.items()}
        checked = [self._check_rule(rule, sections.get(self.rule_sections.get(rule_id, "")))
                   for rule_id, rule in rules.items() if rule_id not in disabled]
        by_id = {rule.rule_id: rule for rule in checked if rule is not None}
        by_base: dict[str, list[CheckedException]] = {}
        for exception in exceptions.values():
            if exception.section:
                self._expand_section_exception(exception, sections, by_id, by_base)
                continue
            if exception.base_id not in rules:
                self.error(exception.span, f"exception {exception.rule_id} names an unknown rule "
                           f"{exception.base_id}{self._suggest(exception.base_id, list(rules))}")
                continue
            if exception.base_id in disabled:
                continue
            result = self._check_exception(exception, rules[exception.base_id])
            if result is not None:
                by_base.setdefault(exception.base_id, []).append(result)
        final = tuple(
            replace(rule, exceptions=tuple(by_base.get(rule.rule_id, ()))) for rule in checked
            if rule is not None)
        assumptions = tuple(found for found in (self._check_assumption(item)
                                                for item in self.assumptions.values()) if found)
        for test in (item for item in root.items if isinstance(item, ast.TestCase)):
            self._check_test(test, {**{a.rule_id: a for a in assumptions}, **{r.rule_id: r for r in final}},
                             set(disabled))
        if self.diagnostics:
            raise InputError(sorted(self.diagnostics, key=lambda d: (d.path != root.path, d.path,
                                                                     d.line or 0, d.column or 0)))
        header = {key: value for key, value, _ in root.header}
        return Ruleset(
            name=root.name, version=header.get("version", ""), title=header.get("title", ""),
            jurisdiction=header.get("jurisdiction", ""), path=root.path, sha256=sha256,
            chain=tuple(f.name for f in self.files), params=params, rules=final,
            disabled=tuple(disabled.values()),
            tests=tuple(item for item in root.items if isinstance(item, ast.TestCase)),
            sources={f.path: f.source for f in self.files}, header=header,
            assumptions=assumptions,
            sections={name: info for name, info in sections.items() if info is not None})

    # ---- rules ---------------------------------------------------------------------------------
    def _clauses(self, node: Any, allowed: Sequence[str], what: str) -> dict[str, ast.Clause]:
        """The clauses of a rule, exception, section or assumption by keyword (the last of a
        repeatable one); each clause not allowed there, or given twice, is reported."""
        found: dict[str, ast.Clause] = {}
        name = getattr(node, "rule_id", None) or getattr(node, "name", "")
        for clause in node.clauses:
            if clause.keyword not in allowed:
                self.error(clause.span, f"{what} {name} cannot have a '{clause.keyword}' "
                           f"clause (allowed: {', '.join(k.replace('_', ' ') for k in allowed)})")
            elif clause.keyword in found and clause.keyword not in REPEATABLE_CLAUSES:
                self.error(clause.span, f"{what} {name} has two '{clause.keyword}' clauses")
            else:
                found[clause.keyword] = clause
        return found

    def _provenance(self, node: Any, clauses: Mapping[str, ast.Clause]
                    ) -> tuple[str, Citations, tuple[str, ...], str]:
        """(the first citation, every dated citation in date order, sources, confidence)."""
        cited: tuple[ast.DatedCitation, ...] = clauses["citation"].value if "citation" in clauses else ()
        undated = [c for c in cited if c.effective is None]
        if len(undated) > 1:
            self.error(undated[1].span, "only one citation may be undated (it applies from the beginning)")
        dates = [c.effective for c in cited if c.effective is not None]
        if len(set(dates)) != len(dates):
            self.error(clauses["citation"].span, "two citations are dated the same day")
        ordered = tuple(sorted(((c.effective, c.text) for c in cited),
                               key=lambda pair: (pair[0] is not None, pair[0] or _dt.date.min)))
        sources = tuple(c.value for c in node.clauses if c.keyword == "source")
        confidence = clauses["confidence"].value if "confidence" in clauses else ""
        if confidence and confidence not in vocabulary.CONFIDENCES:
            self.error(clauses["confidence"].span, f"unknown confidence '{confidence}'; use "
                       f"{', '.join(vocabulary.CONFIDENCES)}")
        return (ordered[0][1] if ordered else ""), ordered, sources, confidence

    def _check_section(self, section: ast.Section) -> SectionInfo | None:
        clauses = self._clauses(section, SECTION_CLAUSES, "section")
        target = clauses["applies_to"].value if "applies_to" in clauses else "contract"
        if target not in TARGETS:
            self.error(clauses["applies_to"].span, f"a section applies to contract or account, not '{target}'")
            return None
        when = clauses["when"].value if "when" in clauses else None
        if when is not None:
            self._expect_bool(when, T.Scope(self.param_types, self.document_types(target)), "when")
        return SectionInfo(section.name, section.title, target, when, section.ruleset, section.span)

    def _expand_section_exception(self, exception: ast.Exception_,
                                  sections: Mapping[str, SectionInfo | None],
                                  rules: Mapping[str, CheckedRule],
                                  by_base: dict[str, list[CheckedException]]) -> None:
        """An exception to a section is an exemption from each of its rules, in file order."""
        if exception.section not in sections:
            self.error(exception.span, f"exception {exception.rule_id} names an unknown section "
                       f"{exception.section}{self._suggest(exception.section, list(sections))}")
            return
        section = sections[exception.section]
        clauses = self._clauses(exception, SECTION_EXCEPTION_CLAUSES, "exception to a section,")
        if section is None:
            return
        if "when" not in clauses:
            self.error(exception.span, f"exception {exception.rule_id} has no 'when' clause")
            return
        when = clauses["when"].value
        self._expect_bool(when, T.Scope(self.param_types, self.document_types(section.target)), "when")
        citation, _cited, _sources, _confidence = self._provenance(exception, clauses)
        for rule in rules.values():
            if rule.section == section.name:
                by_base.setdefault(rule.rule_id, []).append(CheckedException(
                    rule_id=exception.rule_id, base_id=rule.rule_id, title=exception.title,
                    when=when, require=None, message=None, fix=None, citation=citation,
                    ruleset=exception.ruleset, span=exception.span, section=section.name))

    def _check_assumption(self, item: ast.Assumption) -> CheckedAssumption | None:
        problems = len(self.diagnostics)
        clauses = self._clauses(item, ASSUMPTION_CLAUSES, "assumption")
        if "set" not in clauses:
            self.error(item.span, f"assumption {item.rule_id} has no 'set FIELD = VALUE' clause")
            return None
        target = clauses["applies_to"].value if "applies_to" in clauses else "contract"
        if target not in TARGETS:
            self.error(clauses["applies_to"].span, f"an assumption applies to contract or account, not '{target}'")
            return None
        default: ast.SetDefault = clauses["set"].value
        scope = T.Scope(self.param_types, self.document_types(target))
        field_type = self.infer(default.target, scope)
        path = _field_path(default.target)
        if path is None:
            self.error(default.target.span, "an assumption sets a document field, such as product.type")
        value_type = self.infer(default.value, scope, allow_document=False)
        if not T.compatible(field_type.required(), value_type):
            self.error(default.value.span, f"{_path_text(default.target)} is {field_type}, not {value_type}")
        topic = clauses["topic"].value if "topic" in clauses else "contract_terms"
        if topic not in TOPICS:
            self.error(clauses["topic"].span, f"unknown topic '{topic}'{self._suggest(topic, TOPICS)}")
        severity = clauses["severity"].value if "severity" in clauses else vocabulary.DEFAULT_SILENCE
        if severity not in SEVERITIES:
            self.error(clauses["severity"].span, f"unknown severity '{severity}'; use error, warning or info")
        message = clauses["message"].value if "message" in clauses else None
        if message is not None:
            self._check_template(message, scope)
        citation, cited, sources, confidence = self._provenance(item, clauses)
        if len(self.diagnostics) > problems or path is None:
            return None
        return CheckedAssumption(
            rule_id=item.rule_id, title=item.title, topic=topic, severity=severity,
            citation=citation, target=target, path=path, value=default.value, message=message,
            ruleset=item.ruleset, span=item.span, citations=cited, sources=sources,
            confidence=confidence)

    def _check_rule(self, rule: ast.Rule, section: SectionInfo | None = None) -> CheckedRule | None:
        clauses = self._clauses(rule, RULE_CLAUSES, "rule")
        problems = len(self.diagnostics)
        for keyword in ("topic", "severity", "citation", "require"):
            if keyword not in clauses:
                self.error(rule.span, f"rule {rule.rule_id} has no '{keyword}' clause")
        topic = clauses["topic"].value if "topic" in clauses else ""
        if "topic" in clauses and topic not in TOPICS:
            self.error(clauses["topic"].span, f"unknown topic '{topic}'{self._suggest(topic, TOPICS)}; "
                       f"topics are: {', '.join(TOPICS)}")
        severity = clauses["severity"].value if "severity" in clauses else "error"
        if "severity" in clauses and severity not in SEVERITIES:
            self.error(clauses["severity"].span,
                       f"unknown severity '{severity}'; use error, warning or info")
        target = clauses["applies_to"].value if "applies_to" in clauses else (
            section.target if section is not None else "contract")
        if target not in TARGETS:
            self.error(clauses["applies_to"].span, f"a rule applies to contract or account, not '{target}'")
            target = "contract"
        elif section is not None and target != section.target:
            self.error(clauses["applies_to"].span, f"rule {rule.rule_id} applies to {target}s, but "
                       f"its section {section.name} to {section.target}s")
        scope = self._rule_scope(target, clauses.get("for_each"))
        silence = clauses["silence"].value if "silence" in clauses else None
        if silence is not None and silence.severity not in vocabulary.SILENCE_SEVERITIES:
            self.error(silence.span, f"unknown silence '{silence.severity}'; use "
                       f"{', '.join(vocabulary.SILENCE_SEVERITIES)}")
        citation, cited, sources, confidence = self._provenance(rule, clauses)
        when = clauses["when"].value if "when" in clauses else None
        if when is not None:
            self._expect_bool(when, scope, "when")
        require = self._check_outcome(clauses, scope)
        subject = clauses["subject"].value if "subject" in clauses else None
        if subject is not None:
            self.infer(subject, scope)
            if not _is_path(subject):
                self.error(subject.span, "subject must name a field, such as leverage.fx_major")
        if target == "account":
            self._check_vectorisable(rule, clauses)
        if len(self.diagnostics) > problems or require is None:
            return None
        return CheckedRule(
            rule_id=rule.rule_id, title=rule.title, topic=topic, severity=severity,
            citation=citation, target=target,
            for_each=clauses["for_each"].value if "for_each" in clauses else None,
            when=when, require=require,
            message=clauses["message"].value if "message" in clauses else None,
            fix=clauses["fix"].value if "fix" in clauses else None,
            subject=subject, ruleset=rule.ruleset, span=rule.span,
            silence=silence.severity if silence is not None else vocabulary.DEFAULT_SILENCE,
            silence_reason=silence.reason if silence is not None else "",
            citations=cited, sources=sources, confidence=confidence,
            section=section.name if section is not None else "",
            scope=(section.when,) if section is not None and section.when is not None else (),
            inherited_from=rule.inherited_from, overridden=rule.overridden)

    def _check_outcome(self, clauses: dict[str, ast.Clause], scope: T.Scope) -> ast.Expr | None:
        """A rule's or an exception's requirement, message and fix; the requirement, if any."""
        require = clauses["require"].value if "require" in clauses else None
        if require is not None:
            self._expect_bool(require, scope, "require")
        for keyword in ("message", "fix"):
            if keyword in clauses:
                self._check_template(clauses[keyword].value, scope)
        return require

    def _rule_scope(self, target: str, loop_clause: ast.Clause | None) -> T.Scope:
        scope = T.Scope(self.param_types, self.document_types(target))
        if loop_clause is None:
            return scope
        loop: ast.ForEach = loop_clause.value
        collection = self.infer(loop.collection, scope)
        key_type, value_type = T.iteration_types(collection)
        if key_type is None:
            self.error(loop.collection.span, f"for each needs a list or a map, not {collection}")
            key_type = value_type = T.ANY
        if loop.value_var is None:
            # one name: the element of a list, the value of a map
            return scope.bind(**{loop.key_var: value_type})
        if collection.kind == "list":
            self.error(loop.span, "for each KEY, VALUE needs a map; a list has no keys")
        return scope.bind(**{loop.key_var: key_type, loop.value_var: value_type})

    def _check_exception(self, exception: ast.Exception_, base: ast.Rule) -> CheckedException | None:
        problems = len(self.diagnostics)
        clauses = self._clauses(exception, EXCEPTION_CLAUSES, "exception")
        base_clauses = {c.keyword: c for c in base.clauses}
        section = self.sections.get(self.rule_sections.get(base.rule_id, ""))
        section_target = next((c.value for c in section.clauses if c.keyword == "applies_to"), "contract") \
            if section is not None else "contract"
        target = base_clauses["applies_to"].value if "applies_to" in base_clauses else section_target
        scope = self._rule_scope(target if target in TARGETS else "contract", base_clauses.get("for_each"))
        if "when" not in clauses:
            self.error(exception.span, f"exception {exception.rule_id} has no 'when' clause")
            return None
        self._expect_bool(clauses["when"].value, scope, "when")
        require = self._check_outcome(clauses, scope)
        if len(self.diagnostics) > problems:
            return None
        citation, _cited, _sources, _confidence = self._provenance(exception, clauses)
        return CheckedException(
            rule_id=exception.rule_id, base_id=exception.base_id, title=exception.title,
            when=clauses["when"].value, require=require,
            message=clauses["message"].value if "message" in clauses else None,
            fix=clauses["fix"].value if "fix" in clauses else None,
            citation=citation, ruleset=exception.ruleset, span=exception.span)

    def _check_vectorisable(self, rule: ast.Rule, clauses: Mapping[str, ast.Clause]) -> None:
        """Account rules run over millions of rows as numpy masks: no text or list functions."""
        from compliance.evaluate.builtins import REGISTRY

        for keyword in ("when", "require"):
            if keyword not in clauses:
                continue
            for node in ast.walk(clauses[keyword].value):
                if isinstance(node, ast.Call) and node.name in REGISTRY and not REGISTRY[node.name].vectorisable:
                    self.error(node.span, f"{node.name}() cannot be used in an account rule "
                               "(account rules run column-wise over whole snapshots)")
                elif isinstance(node, (ast.Quantifier, ast.MapExpr)):
                    self.error(node.span, "lists and maps cannot be built in an account rule")
        if "for_each" in clauses:
            self.error(clauses["for_each"].span, "an account rule is evaluated once per account; "
                       "'for each' is for contract rules")

    def _expect_bool(self, expr: ast.Expr, scope: T.Scope, clause: str) -> None:
        found = self.infer(expr, scope)
        if found.kind not in ("bool", "any"):
            self.error(expr.span, f"'{clause}' needs a true/false condition, not {found}")

    def _check_template(self, template: ast.Template, scope: T.Scope) -> None:
        for part in template.parts:
            if not isinstance(part, str):
                self.infer(part, scope)

    # ---- tests ---------------------------------------------------------------------------------
    def _check_test(self, test: ast.TestCase, rules: Mapping[str, CheckedRule | CheckedAssumption],
                    disabled: set[str]) -> None:
        if test.document is None or test.target is None:
            self.error(test.span, f"test \"{test.name}\" has no 'given contract {{...}}' or 'given account {{...}}'")
            return
        if test.target not in TARGETS:
            self.error(test.span, f"test \"{test.name}\": 'given' takes contract or account, not '{test.target}'")
            return
        if not test.expectations:
            self.error(test.span, f"test \"{test.name}\" expects nothing")
        self._check_document(test.document, self.document_types(test.target), test.target)
        for expect in test.expectations:
            if expect.outcome not in OUTCOMES:
                self.error(expect.span, f"unknown outcome '{expect.outcome}'; use "
                           f"{', '.join(OUTCOMES[:-1])} or {OUTCOMES[-1]}")
            rule = rules.get(expect.rule_id)
            if rule is None:
                reason = " (it is disabled)" if expect.rule_id in disabled else self._suggest(expect.rule_id, list(rules))
                self.error(expect.span, f"test expects an unknown rule {expect.rule_id}{reason}")
            elif rule.target != test.target:
                self.error(expect.span, f"{expect.rule_id} applies to {rule.target}s, but the test gives "
                           f"a{'n' if test.target == 'account' else ''} {test.target}")

    def _check_document(self, node: ast.Expr, expected: T.Type, where: str) -> None:
        """A test document must use real field names and values of the fields' types."""
        if expected.kind == "any":
            return
        if expected.kind == "record":
            if not isinstance(node, ast.MapExpr):
                self.error(node.span, f"{where} must be a map {{...}}")
                return
            for key, value in node.entries:
                if key not in expected.fields:
                    self.error(value.span, f"unknown field '{where}.{key}'"
                               f"{self._suggest(key, list(expected.fields))}")
                    continue
                self._check_document(value, expected.fields[key], f"{where}.{key}")
            return
        if expected.kind == "map" and isinstance(node, ast.MapExpr):
            for key, value in node.entries:
                self._check_document(value, expected.element or T.ANY, f"{where}.{key}")
            return
        if expected.kind == "list" and isinstance(node, ast.ListExpr):
            for index, item in enumerate(node.items):
                self._check_document(item, expected.element or T.ANY, f"{where}[{index}]")
            return
        found = self.infer(node, T.Scope({}, T.record({})), allow_document=False)
        if not T.compatible(found, expected) and not (expected.kind == "number" and found.kind == "number"):
            self.error(node.span, f"{where} must be {expected}, not {found}")

    # ---- expressions ---------------------------------------------------------------------------
    _INFER: dict[type, Any] = {}     # expression class -> infer_<class> (filled below the class)

    def infer(self, expr: ast.Expr, scope: T.Scope, allow_document: bool = True) -> T.Type:
        return self._INFER[type(expr)](self, expr, scope, allow_document)  # type: ignore[no-any-return]

    def infer_literal(self, expr: ast.Literal, scope: T.Scope, allow_document: bool) -> T.Type:
        return T.literal_type(expr.value)

    def infer_name(self, expr: ast.Name, scope: T.Scope, allow_document: bool) -> T.Type:
        if expr.name in scope.local:
            return scope.local[expr.name]
        if expr.name in scope.params:
            return scope.params[expr.name]
        if expr.name in T.CONTEXT_NAMES:
            return T.CONTEXT_NAMES[expr.name]
        fields = scope.document.fields if allow_document else {}
        if expr.name in fields:
            return fields[expr.name]
        candidates = [*scope.local, *scope.params, *fields, *T.CONTEXT_NAMES]
        what = "name" if not allow_document else "name or field"
        self.error(expr.span, f"unknown {what} '{expr.name}'{self._suggest(expr.name, candidates)}")
        return T.ANY

    def infer_attr(self, expr: ast.Attr, scope: T.Scope, allow_document: bool) -> T.Type:
        target = self.infer(expr.target, scope, allow_document)
        if target.kind == "any":
            return T.ANY
        if target.kind == "record":
            if expr.name in target.fields:
                return target.fields[expr.name]
            path = _path_text(expr.target)
            self.error(expr.span, f"unknown field '{path}.{expr.name}'"
                       f"{self._suggest(expr.name, list(target.fields))}")
            return T.ANY
        if target.kind == "map":
            return T.optional(target.element or T.ANY)
        self.error(expr.span, f"{_path_text(expr.target)} is {target}; it has no field '{expr.name}'")
        return T.ANY

    def infer_index(self, expr: ast.Index, scope: T.Scope, allow_document: bool) -> T.Type:
        target = self.infer(expr.target, scope, allow_document)
        index = self.infer(expr.index, scope, allow_document)
        if target.kind == "any":
            return T.ANY
        if target.kind == "list":
            if index.kind not in ("number", "any"):
                self.error(expr.index.span, f"a list is indexed by a number, not {index}")
            return T.optional(target.element or T.ANY)
        if target.kind in ("map", "record"):
            if index.kind not in ("string", "any"):
                self.error(expr.index.span, f"a map is indexed by a name (string), not {index}")
            if target.kind == "map":
                return T.optional(target.element or T.ANY)
            if isinstance(expr.index, ast.Literal) and expr.index.value in target.fields:
                return target.fields[expr.index.value]
            return T.common(list(target.fields.values()))
        self.error(expr.span, f"{target} cannot be indexed")
        return T.ANY

    def infer_negate(self, expr: ast.Negate, scope: T.Scope, allow_document: bool) -> T.Type:
        operand = self.infer(expr.operand, scope, allow_document)
        if operand.kind not in ("number", "percent", "money", "any"):
            self.error(expr.span, f"cannot negate {operand}")
        return operand

    def infer_arith(self, expr: ast.Arith, scope: T.Scope, allow_document: bool) -> T.Type:
        left = self.infer(expr.left, scope, allow_document)
        right = self.infer(expr.right, scope, allow_document)
        result = T.arith_type(expr.op, left, right, _is_zero_literal(expr.left), _is_zero_literal(expr.right))
        if result is None:
            verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[expr.op]
            self.error(expr.span, f"cannot {verb} {left} and {right}")
            return T.ANY
        return result

    def infer_compare(self, expr: ast.Compare, scope: T.Scope, allow_document: bool) -> T.Type:
        left = self.infer(expr.left, scope, allow_document)
        right = self.infer(expr.right, scope, allow_document)
        if expr.op in ("in", "not in"):
            if right.kind in ("map", "record"):
                element = T.STRING
            elif right.kind == "list":
                element = right.element or T.ANY
            elif right.kind == "any":
                return T.BOOL
            else:
                self.error(expr.right.span, f"'{expr.op}' needs a list or a map on the right, not {right}")
                return T.BOOL
            if not T.compatible(left, element):
                self.error(expr.span, f"cannot look for {left} in a list of {element}")
            return T.BOOL
        zero = _is_zero_literal(expr.left) or _is_zero_literal(expr.right)
        if not (T.compatible(left, right) or zero and T.is_quantity(left) and T.is_quantity(right)):
            hint = ""
            if {left.kind, right.kind} == {"percent", "leverage"}:
                hint = "; convert with margin_of() or leverage_of()"
            self.error(expr.span, f"cannot compare {left} with {right}{hint}")
        elif expr.op not in ("==", "!=") and left.kind in ("bool", "list", "map", "record"):
            self.error(expr.span, f"'{expr.op}' cannot order {left}")
        return T.BOOL

    def infer_boolop(self, expr: ast.BoolOp, scope: T.Scope, allow_document: bool) -> T.Type:
        for side in (expr.left, expr.right):
            found = self.infer(side, scope, allow_document)
            if found.kind not in ("bool", "any"):
                self.error(side.span, f"'{expr.op}' needs true/false on both sides, not {found}")
        return T.BOOL

    def infer_not(self, expr: ast.Not, scope: T.Scope, allow_document: bool) -> T.Type:
        found = self.infer(expr.operand, scope, allow_document)
        if found.kind not in ("bool", "any"):
            self.error(expr.operand.span, f"'not' needs true/false, not {found}")
        return T.BOOL

    def infer_exists(self, expr: ast.Exists, scope: T.Scope, allow_document: bool) -> T.Type:
        self.infer(expr.target, scope, allow_document)
        if not _is_path(expr.target):
            word = "missing" if expr.negated else "exists"
            self.error(expr.span, f"'{word}' takes a field, such as {word} margin.close_out_level")
        return T.BOOL

    def infer_call(self, expr: ast.Call, scope: T.Scope, allow_document: bool) -> T.Type:
        from compliance.evaluate.builtins import REGISTRY, SignatureError

        args = [self.infer(arg, scope, allow_document) for arg in expr.args]
        builtin = REGISTRY.get(expr.name)
        if builtin is None:
            self.error(expr.span, f"unknown function '{expr.name}'{self._suggest(expr.name, list(REGISTRY))}")
            return T.ANY
        try:
            result = builtin.check(args)
        except SignatureError as error:
            self.error(expr.span, f"{builtin.signature}: {error}")
            return T.ANY
        if expr.name == "matches" and len(expr.args) == 2 and isinstance(expr.args[1], ast.Literal):
            self._check_pattern(expr.args[1])
        return result

    def _check_pattern(self, literal: ast.Literal) -> None:
        from compliance.dsl.patterns import PatternError, compile_pattern

        try:
            compile_pattern(str(literal.value))
        except PatternError as error:
            self.error(literal.span, f"regular expression: {error} (RE2 syntax)")

    def infer_quantifier(self, expr: ast.Quantifier, scope: T.Scope, allow_document: bool) -> T.Type:
        collection = self.infer(expr.collection, scope, allow_document)
        _key, element = T.iteration_types(collection)
        if element is None:
            self.error(expr.collection.span, f"{expr.kind}() needs a list or a map, not {collection}")
            element = T.ANY
        body = self.infer(expr.body, scope.bind(**{expr.var: element.required()}), allow_document)
        if expr.kind in ("any", "all", "count"):
            if body.kind not in ("bool", "any"):
                self.error(expr.body.span, f"{expr.kind}() needs a true/false condition, not {body}")
            return T.NUMBER if expr.kind == "count" else T.BOOL
        if expr.kind == "sum" and body.kind not in ("number", "percent", "money", "any"):
            self.error(expr.body.span, f"sum() adds numbers, percentages or money, not {body}")
        if expr.kind in ("min", "max") and body.kind not in T.ORDERED and body.kind != "any":
            self.error(expr.body.span, f"{expr.kind}() needs values that can be ordered, not {body}")
        return T.optional(body)

    def infer_listexpr(self, expr: ast.ListExpr, scope: T.Scope, allow_document: bool) -> T.Type:
        items = [self.infer(item, scope, allow_document) for item in expr.items]
        for item, item_type in zip(expr.items[1:], items[1:]):
            if not T.compatible(items[0], item_type):
                self.error(item.span, f"a list mixes {items[0]} and {item_type}")
        return T.list_of(items[0] if items else T.ANY)

    def infer_mapexpr(self, expr: ast.MapExpr, scope: T.Scope, allow_document: bool) -> T.Type:
        values = {key: self.infer(value, scope, allow_document) for key, value in expr.entries}
        kinds = {value for value in values.values()}
        if len(kinds) == 1:
            return T.map_of(next(iter(kinds)))
        return T.record(values)


Checker._INFER = ast.dispatch_table(Checker, "infer_")


def _is_zero_literal(expr: ast.Expr) -> bool:
    from decimal import Decimal
    return isinstance(expr, ast.Literal) and isinstance(expr.value, Decimal) and expr.value == 0


def _is_path(expr: ast.Expr) -> bool:
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attr):
        return _is_path(expr.target)
    if isinstance(expr, ast.Index):
        return _is_path(expr.target)
    return False


def _field_path(expr: ast.Expr) -> tuple[str, ...] | None:
    """``product.type`` -> ("product", "type"); None for anything but names and fields."""
    if isinstance(expr, ast.Name):
        return (expr.name,)
    if isinstance(expr, ast.Attr):
        parent = _field_path(expr.target)
        return None if parent is None else (*parent, expr.name)
    return None


def _path_text(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Attr):
        return f"{_path_text(expr.target)}.{expr.name}"
    if isinstance(expr, ast.Index):
        return f"{_path_text(expr.target)}[...]"
    return "(expression)"


def check(files: Sequence[ast.RulesetFile], document_types: DocumentTypes, sha256: str) -> Ruleset:
    return Checker(files, document_types).run(sha256)
