"""Semantic check: names, field paths, types and units, before anything is evaluated.

Collects every diagnostic first and fails once, so a rule author sees all problems in one run.
The result is a ``Ruleset``: the extends chain merged, each rule with its exceptions, typed.
"""
from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from compliance.dsl import ast
from compliance.dsl import types as T
from compliance.dsl.units import Duration, Leverage, Money, Percent
from compliance.errors import Diagnostic, InputError

# The controlled topic vocabulary of the spec, shared by all rulesets.
TOPICS = ("leverage_cap", "margin_close_out", "margin_call", "negative_balance_protection",
          "risk_warning", "prohibited_claim", "incentives", "fees_disclosure", "client_money",
          "suitability", "contract_terms", "account_state")
SEVERITIES = ("error", "warning", "info")
TARGETS = ("contract", "account")
OUTCOMES = ("passed", "failed", "not_applicable")
RULE_CLAUSES = ("topic", "severity", "citation", "applies_to", "for_each", "when", "require",
                "message", "fix", "subject")
EXCEPTION_CLAUSES = ("when", "require", "citation", "message", "fix")
# Names every rule may read besides parameters and document fields.
CONTEXT_NAMES = {"as_of": T.DATE}


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

    def rule(self, rule_id: str) -> CheckedRule | None:
        return next((rule for rule in self.rules if rule.rule_id == rule_id), None)


DocumentTypes = Callable[[str], T.Type]


class _Scope:
    """Names visible in an expression: loop and quantifier variables over params and fields."""

    def __init__(self, params: Mapping[str, T.Type], document: T.Type,
                 local: Mapping[str, T.Type] | None = None):
        self.params = params
        self.document = document
        self.local = dict(local or {})

    def bind(self, **names: T.Type) -> "_Scope":
        return _Scope(self.params, self.document, {**self.local, **names})


class Checker:
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
        for file in reversed(self.files):    # the farthest parent first, the root last
            self._merge_file(file, params, rules, exceptions, disabled)
        self.param_types = {name: p.type for name, p in params.items()}
        checked = [self._check_rule(rule) for rule_id, rule in rules.items() if rule_id not in disabled]
        by_base: dict[str, list[CheckedException]] = {}
        for exception in exceptions.values():
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
        for test in (item for item in root.items if isinstance(item, ast.TestCase)):
            self._check_test(test, {r.rule_id: r for r in final}, set(disabled))
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
            sources={f.path: f.source for f in self.files}, header=header)

    def _merge_file(self, file: ast.RulesetFile, params: dict[str, ParamDef],
                    rules: dict[str, ast.Rule], exceptions: dict[str, ast.Exception_],
                    disabled: dict[str, tuple[str, str, str]]) -> None:
        self._check_header(file)
        own_ids: set[str] = set()
        for item in file.items:
            if isinstance(item, ast.Param):
                self._merge_param(item, file.name, params)
            elif isinstance(item, ast.Rule):
                item = replace(item, ruleset=file.name)
                if item.rule_id in own_ids or item.rule_id in exceptions:
                    self.error(item.span, f"rule id {item.rule_id} is defined twice")
                    continue
                own_ids.add(item.rule_id)
                if item.override:
                    if item.rule_id not in rules:
                        self.error(item.span, f"override rule {item.rule_id}: no rule of that id in "
                                   f"the rulesets this one extends{self._suggest(item.rule_id, list(rules))}")
                        continue
                    rules[item.rule_id] = _override(rules[item.rule_id], item)
                elif item.rule_id in rules:
                    self.error(item.span, f"rule {item.rule_id} is already defined in "
                               f"{rules[item.rule_id].ruleset}; write 'override rule' to change it")
                else:
                    rules[item.rule_id] = item
            elif isinstance(item, ast.Exception_):
                item = replace(item, ruleset=file.name)
                if item.rule_id in exceptions or item.rule_id in rules:
                    self.error(item.span, f"rule id {item.rule_id} is defined twice")
                    continue
                exceptions[item.rule_id] = item
            elif isinstance(item, ast.Disable):
                if item.rule_id not in rules:
                    self.error(item.span, f"cannot disable {item.rule_id}: no rule of that id"
                               f"{self._suggest(item.rule_id, list(rules))}")
                elif not item.reason.strip():
                    self.error(item.span, f"disabling {item.rule_id} needs a stated reason")
                else:
                    disabled[item.rule_id] = (item.rule_id, item.reason, file.name)

    def _check_header(self, file: ast.RulesetFile) -> None:
        seen: set[str] = set()
        for keyword, value, span in file.header:
            if keyword in seen and keyword != "source":
                self.error(span, f"'{keyword}' is given twice")
            seen.add(keyword)
        if "version" not in seen:
            self.error(file.span, f"ruleset {file.name} has no version")

    def _merge_param(self, param: ast.Param, ruleset: str, params: dict[str, ParamDef]) -> None:
        if param.name in CONTEXT_NAMES:
            self.error(param.span, f"'{param.name}' is a reserved name")
            return
        existing = params.get(param.name)
        if existing is not None and existing.ruleset == ruleset:
            self.error(param.span, f"parameter {param.name} is defined twice")
            return
        if existing is not None and not param.override:
            self.error(param.span, f"parameter {param.name} is already defined in {existing.ruleset}; "
                       f"write 'override let {param.name} = ...' to change it")
            return
        if existing is None and param.override:
            self.error(param.span, f"override let {param.name}: no parameter of that name in the "
                       f"rulesets this one extends{self._suggest(param.name, list(params))}")
            return
        scope = _Scope({name: p.type for name, p in params.items()}, T.record({}))
        value_types = [self.infer(value.value, scope, allow_document=False) for value in param.values]
        first = value_types[0]
        for value, value_type in zip(param.values[1:], value_types[1:]):
            if not _compatible(first, value_type):
                self.error(value.span, f"parameter {param.name}: {value_type} where the first value is {first}")
        dates = [value.effective for value in param.values]
        undated = [value for value in param.values if value.effective is None]
        if len(undated) > 1:
            self.error(undated[1].span, f"parameter {param.name} has more than one value without a date")
        dated = [d for d in dates if d is not None]
        if len(set(dated)) != len(dated):
            self.error(param.span, f"parameter {param.name} has two values for the same date")
        if existing is not None and not _compatible(existing.type, first):
            self.error(param.span, f"parameter {param.name} is {existing.type} in {existing.ruleset}, "
                       f"not {first}")
        ordered = tuple(sorted(param.values, key=lambda v: (v.effective is not None,
                                                            v.effective or _dt.date.min)))
        params[param.name] = ParamDef(param.name, ordered, first, ruleset, param.span)

    # ---- rules ---------------------------------------------------------------------------------
    def _clauses(self, node: ast.Rule | ast.Exception_, allowed: Sequence[str], what: str
                 ) -> dict[str, ast.Clause]:
        found: dict[str, ast.Clause] = {}
        for clause in node.clauses:
            if clause.keyword not in allowed:
                self.error(clause.span, f"{what} {node.rule_id} cannot have a '{clause.keyword}' "
                           f"clause (allowed: {', '.join(k.replace('_', ' ') for k in allowed)})")
            elif clause.keyword in found:
                self.error(clause.span, f"{what} {node.rule_id} has two '{clause.keyword}' clauses")
            else:
                found[clause.keyword] = clause
        return found

    def _check_rule(self, rule: ast.Rule) -> CheckedRule | None:
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
        target = clauses["applies_to"].value if "applies_to" in clauses else "contract"
        if target not in TARGETS:
            self.error(clauses["applies_to"].span, f"a rule applies to contract or account, not '{target}'")
            target = "contract"
        scope = self._rule_scope(target, clauses.get("for_each"))
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
            citation=clauses["citation"].value, target=target,
            for_each=clauses["for_each"].value if "for_each" in clauses else None,
            when=when, require=require,
            message=clauses["message"].value if "message" in clauses else None,
            fix=clauses["fix"].value if "fix" in clauses else None,
            subject=subject, ruleset=rule.ruleset, span=rule.span)

    def _check_outcome(self, clauses: dict[str, ast.Clause], scope: _Scope) -> ast.Expr | None:
        """A rule's or an exception's requirement, message and fix; the requirement, if any."""
        require = clauses["require"].value if "require" in clauses else None
        if require is not None:
            self._expect_bool(require, scope, "require")
        for keyword in ("message", "fix"):
            if keyword in clauses:
                self._check_template(clauses[keyword].value, scope)
        return require

    def _rule_scope(self, target: str, loop_clause: ast.Clause | None) -> _Scope:
        scope = _Scope(self.param_types, self.document_types(target))
        if loop_clause is None:
            return scope
        loop: ast.ForEach = loop_clause.value
        collection = self.infer(loop.collection, scope)
        key_type, value_type = _iteration_types(collection)
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
        target = base_clauses["applies_to"].value if "applies_to" in base_clauses else "contract"
        scope = self._rule_scope(target if target in TARGETS else "contract", base_clauses.get("for_each"))
        if "when" not in clauses:
            self.error(exception.span, f"exception {exception.rule_id} has no 'when' clause")
            return None
        self._expect_bool(clauses["when"].value, scope, "when")
        require = self._check_outcome(clauses, scope)
        if len(self.diagnostics) > problems:
            return None
        return CheckedException(
            rule_id=exception.rule_id, base_id=exception.base_id, title=exception.title,
            when=clauses["when"].value, require=require,
            message=clauses["message"].value if "message" in clauses else None,
            fix=clauses["fix"].value if "fix" in clauses else None,
            citation=clauses["citation"].value if "citation" in clauses else "",
            ruleset=exception.ruleset, span=exception.span)

    def _check_vectorisable(self, rule: ast.Rule, clauses: Mapping[str, ast.Clause]) -> None:
        """Account rules run over millions of rows as numpy masks: no text or list functions."""
        from compliance.evaluate.builtins import REGISTRY

        for keyword in ("when", "require"):
            if keyword not in clauses:
                continue
            for node in _walk(clauses[keyword].value):
                if isinstance(node, ast.Call) and node.name in REGISTRY and not REGISTRY[node.name].vectorisable:
                    self.error(node.span, f"{node.name}() cannot be used in an account rule "
                               "(account rules run column-wise over whole snapshots)")
                elif isinstance(node, (ast.Quantifier, ast.MapExpr)):
                    self.error(node.span, "lists and maps cannot be built in an account rule")
        if "for_each" in clauses:
            self.error(clauses["for_each"].span, "an account rule is evaluated once per account; "
                       "'for each' is for contract rules")

    def _expect_bool(self, expr: ast.Expr, scope: _Scope, clause: str) -> None:
        found = self.infer(expr, scope)
        if found.kind not in ("bool", "any"):
            self.error(expr.span, f"'{clause}' needs a true/false condition, not {found}")

    def _check_template(self, template: ast.Template, scope: _Scope) -> None:
        for part in template.parts:
            if not isinstance(part, str):
                self.infer(part, scope)

    # ---- tests ---------------------------------------------------------------------------------
    def _check_test(self, test: ast.TestCase, rules: Mapping[str, CheckedRule], disabled: set[str]) -> None:
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
                self.error(expect.span, f"unknown outcome '{expect.outcome}'; use passed, failed or not_applicable")
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
        found = self.infer(node, _Scope({}, T.record({})), allow_document=False)
        if not _compatible(found, expected) and not (expected.kind == "number" and found.kind == "number"):
            self.error(node.span, f"{where} must be {expected}, not {found}")

    # ---- expressions ---------------------------------------------------------------------------
    _INFER: dict[type, Any] = {}     # expression class -> infer_<class> (filled below the class)

    def infer(self, expr: ast.Expr, scope: _Scope, allow_document: bool = True) -> T.Type:
        return self._INFER[type(expr)](self, expr, scope, allow_document)  # type: ignore[no-any-return]

    def infer_literal(self, expr: ast.Literal, scope: _Scope, allow_document: bool) -> T.Type:
        return _literal_type(expr.value)

    def infer_name(self, expr: ast.Name, scope: _Scope, allow_document: bool) -> T.Type:
        if expr.name in scope.local:
            return scope.local[expr.name]
        if expr.name in scope.params:
            return scope.params[expr.name]
        if expr.name in CONTEXT_NAMES:
            return CONTEXT_NAMES[expr.name]
        fields = scope.document.fields if allow_document else {}
        if expr.name in fields:
            return fields[expr.name]
        candidates = [*scope.local, *scope.params, *fields, *CONTEXT_NAMES]
        what = "name" if not allow_document else "name or field"
        self.error(expr.span, f"unknown {what} '{expr.name}'{self._suggest(expr.name, candidates)}")
        return T.ANY

    def infer_attr(self, expr: ast.Attr, scope: _Scope, allow_document: bool) -> T.Type:
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

    def infer_index(self, expr: ast.Index, scope: _Scope, allow_document: bool) -> T.Type:
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
            return _common(list(target.fields.values()))
        self.error(expr.span, f"{target} cannot be indexed")
        return T.ANY

    def infer_negate(self, expr: ast.Negate, scope: _Scope, allow_document: bool) -> T.Type:
        operand = self.infer(expr.operand, scope, allow_document)
        if operand.kind not in ("number", "percent", "money", "any"):
            self.error(expr.span, f"cannot negate {operand}")
        return operand

    def infer_arith(self, expr: ast.Arith, scope: _Scope, allow_document: bool) -> T.Type:
        left = self.infer(expr.left, scope, allow_document)
        right = self.infer(expr.right, scope, allow_document)
        result = arith_type(expr.op, left, right, _is_zero_literal(expr.left), _is_zero_literal(expr.right))
        if result is None:
            verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[expr.op]
            self.error(expr.span, f"cannot {verb} {left} and {right}")
            return T.ANY
        return result

    def infer_compare(self, expr: ast.Compare, scope: _Scope, allow_document: bool) -> T.Type:
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
            if not _compatible(left, element):
                self.error(expr.span, f"cannot look for {left} in a list of {element}")
            return T.BOOL
        zero = _is_zero_literal(expr.left) or _is_zero_literal(expr.right)
        if not (_compatible(left, right) or zero and _quantity(left) and _quantity(right)):
            hint = ""
            if {left.kind, right.kind} == {"percent", "leverage"}:
                hint = "; convert with margin_of() or leverage_of()"
            self.error(expr.span, f"cannot compare {left} with {right}{hint}")
        elif expr.op not in ("==", "!=") and left.kind in ("bool", "list", "map", "record"):
            self.error(expr.span, f"'{expr.op}' cannot order {left}")
        return T.BOOL

    def infer_boolop(self, expr: ast.BoolOp, scope: _Scope, allow_document: bool) -> T.Type:
        for side in (expr.left, expr.right):
            found = self.infer(side, scope, allow_document)
            if found.kind not in ("bool", "any"):
                self.error(side.span, f"'{expr.op}' needs true/false on both sides, not {found}")
        return T.BOOL

    def infer_not(self, expr: ast.Not, scope: _Scope, allow_document: bool) -> T.Type:
        found = self.infer(expr.operand, scope, allow_document)
        if found.kind not in ("bool", "any"):
            self.error(expr.operand.span, f"'not' needs true/false, not {found}")
        return T.BOOL

    def infer_exists(self, expr: ast.Exists, scope: _Scope, allow_document: bool) -> T.Type:
        self.infer(expr.target, scope, allow_document)
        if not _is_path(expr.target):
            word = "missing" if expr.negated else "exists"
            self.error(expr.span, f"'{word}' takes a field, such as {word} margin.close_out_level")
        return T.BOOL

    def infer_call(self, expr: ast.Call, scope: _Scope, allow_document: bool) -> T.Type:
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
        from compliance.dsl.saferegex import RegexError, compile_safe

        try:
            compile_safe(str(literal.value))
        except RegexError as error:
            self.error(literal.span, f"regular expression: {error.message} (at character "
                       f"{error.offset + 1} of the pattern)")

    def infer_quantifier(self, expr: ast.Quantifier, scope: _Scope, allow_document: bool) -> T.Type:
        collection = self.infer(expr.collection, scope, allow_document)
        _key, element = _iteration_types(collection)
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

    def infer_listexpr(self, expr: ast.ListExpr, scope: _Scope, allow_document: bool) -> T.Type:
        items = [self.infer(item, scope, allow_document) for item in expr.items]
        for item, item_type in zip(expr.items[1:], items[1:]):
            if not _compatible(items[0], item_type):
                self.error(item.span, f"a list mixes {items[0]} and {item_type}")
        return T.list_of(items[0] if items else T.ANY)

    def infer_mapexpr(self, expr: ast.MapExpr, scope: _Scope, allow_document: bool) -> T.Type:
        values = {key: self.infer(value, scope, allow_document) for key, value in expr.entries}
        kinds = {value for value in values.values()}
        if len(kinds) == 1:
            return T.map_of(next(iter(kinds)))
        return T.record(values)


# ---- type algebra -------------------------------------------------------------------------------

Checker._INFER = ast.dispatch_table(Checker, "infer_")


def _literal_type(value: Any) -> T.Type:
    if isinstance(value, bool):
        return T.BOOL
    if isinstance(value, Percent):
        return T.PERCENT
    if isinstance(value, Leverage):
        return T.LEVERAGE
    if isinstance(value, Money):
        return T.money(value.currency)
    if isinstance(value, _dt.date):
        return T.DATE
    if isinstance(value, Duration):
        return T.DURATION
    if isinstance(value, str):
        return T.STRING
    return T.NUMBER


def _quantity(t: T.Type) -> bool:
    return t.kind in ("number", "percent", "leverage", "money", "any")


def _compatible(left: T.Type, right: T.Type) -> bool:
    """Whether values of the two types may be compared or mixed in a list."""
    if "any" in (left.kind, right.kind):
        return True
    if left.kind == "money" and right.kind == "money":
        return not (left.currency and right.currency and left.currency != right.currency)
    if left.kind in T.DIMENSIONLESS and right.kind in T.DIMENSIONLESS:
        return True
    if {left.kind, right.kind} == {"number", "leverage"}:
        return True
    if left.kind != right.kind:
        return False
    if left.kind in ("list", "map"):
        return _compatible(left.element or T.ANY, right.element or T.ANY)
    return True


def _common(types: list[T.Type]) -> T.Type:
    if types and all(_compatible(types[0], t) for t in types):
        return T.optional(types[0])
    return T.ANY


def _is_zero_literal(expr: ast.Expr) -> bool:
    from decimal import Decimal
    return isinstance(expr, ast.Literal) and isinstance(expr.value, Decimal) and expr.value == 0


def arith_type(op: str, left: T.Type, right: T.Type, left_zero: bool = False,
               right_zero: bool = False) -> T.Type | None:
    """The unit algebra: what ``left op right`` is, or None when the units do not combine."""
    lk, rk = left.kind, right.kind
    if "any" in (lk, rk):
        return left if rk == "any" else right
    if lk == "money" and rk == "money":
        if left.currency and right.currency and left.currency != right.currency:
            return None
        if op in "+-":
            return T.money(left.currency or right.currency)
        return T.PERCENT if op == "/" else None
    if lk == "money" and rk in ("number", "percent", "leverage"):
        if op in "*/":
            return T.money(left.currency)
        return left if right_zero else None
    if rk == "money" and lk in ("number", "percent", "leverage"):
        if op == "*":
            return T.money(right.currency)
        return right if left_zero else None
    if lk == "date" and rk == "duration" and op in "+-":
        return T.DATE
    if lk == "date" and rk == "date" and op == "-":
        return T.DURATION
    if lk == "duration" and rk == "duration" and op in "+-":
        return T.DURATION
    if lk == "string" and rk == "string" and op == "+":
        return T.STRING
    numeric = ("number", "percent", "leverage")
    if lk not in numeric or rk not in numeric:
        return None
    if lk == "percent" and rk == "percent":
        return T.PERCENT if op in "+-*" else T.NUMBER
    if lk == "percent" and rk == "number" and (op in "*/" or right_zero):
        return T.PERCENT
    if rk == "percent" and lk == "number" and op == "*":
        return T.PERCENT
    if "percent" in (lk, rk) and op in "+-":
        return None  # 50% + 3 is almost certainly a mistake: write 50% + 300%
    return T.NUMBER


def _iteration_types(collection: T.Type) -> tuple[T.Type | None, T.Type | None]:
    """(key type, element type) when iterating over a collection."""
    if collection.kind == "list":
        return T.NUMBER, (collection.element or T.ANY).required()
    if collection.kind == "map":
        return T.STRING, (collection.element or T.ANY).required()
    if collection.kind == "record":
        return T.STRING, _common(list(collection.fields.values())).required()
    if collection.kind == "any":
        return T.ANY, T.ANY
    return None, None


def _is_path(expr: ast.Expr) -> bool:
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attr):
        return _is_path(expr.target)
    if isinstance(expr, ast.Index):
        return _is_path(expr.target)
    return False


def _path_text(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Attr):
        return f"{_path_text(expr.target)}.{expr.name}"
    if isinstance(expr, ast.Index):
        return f"{_path_text(expr.target)}[...]"
    return "(expression)"


def _walk(expr: Any) -> list[Any]:
    """Every expression node below ``expr``, itself included."""
    found = [expr]
    for name in ("target", "index", "operand", "left", "right", "collection", "body"):
        child = getattr(expr, name, None)
        if child is not None and not isinstance(child, (str, bool)):
            found.extend(_walk(child))
    for child in getattr(expr, "args", ()) or getattr(expr, "items", ()):
        found.extend(_walk(child))
    for _key, child in getattr(expr, "entries", ()):
        found.extend(_walk(child))
    return found


def _override(parent: ast.Rule, child: ast.Rule) -> ast.Rule:
    """A child's ``override rule`` replaces the clauses it states and keeps the parent's others."""
    given = {clause.keyword for clause in child.clauses}
    kept = tuple(clause for clause in parent.clauses if clause.keyword not in given)
    return replace(child, clauses=kept + child.clauses, override=True)


def check(files: Sequence[ast.RulesetFile], document_types: DocumentTypes, sha256: str) -> Ruleset:
    return Checker(files, document_types).run(sha256)
