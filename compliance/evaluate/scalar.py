"""One document -> for every rule and subject: passed, failed, not stated or not applicable, with
the reason.

An explanation names the decisive values (``leverage.fx_major = 50:1 is above the cap 30:1``) and
the position of the document field they came from, so findings point into the YAML.

Missing optional fields follow Kleene's three-valued logic: a comparison with a missing value is
unknown; ``false and unknown`` is false, ``true or unknown`` is true. A section condition or a
``when`` that is unknown makes the rule not applicable. A ``require`` that is unknown because the
document is silent is *not stated* ("X is not stated: ..."), at the severity the rule's
``silence`` clause gives (a warning by default), or *failed* where the rule says the silence is
itself the breach (``silence breach``). Before the rules run, each assumption of the ruleset
fills a field the document does not state (its product type) with the declared default, and
reports that once as not stated.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from compliance.documents.model import Document, FieldPath, Position, render_path
from compliance.dsl import ast
from compliance.dsl.model import (
    CheckedAssumption,
    CheckedException,
    CheckedRule,
    ParamDef,
    Ruleset,
)
from compliance.dsl.units import CalendarError, UnitError, format_value
from compliance.errors import InputError
from compliance.evaluate import values as V
from compliance.evaluate.builtins import REGISTRY
from compliance.evaluate.compiled import PASSED, compiled_rule, passes
from compliance.evaluate.values import MISSING
from compliance.records import record, replace

Outcome = str  # "passed" | "failed" | "not_stated" | "not_applicable"
NOT_STATED_TEXT = "not stated"   # how a value the document does not state reads in a message


@record
class Result:
    """One rule (or assumption) on one subject of one document."""

    rule: CheckedRule | CheckedAssumption
    outcome: Outcome
    subject: str
    explanation: str
    message: str = ""
    fix: str = ""
    position: Position | None = None
    exception_id: str = ""
    severity: str = ""          # of the finding, when it is not the rule's (a not_stated one)
    citation: str = ""          # the provision in force on the run's date


class Bound(NamedTuple):
    """A local name's value, and the document path it was read from (None for computed values).
    A named tuple rather than a frozen record: one is made for every field read, and a tuple
    is made several times faster."""

    value: Any
    path: FieldPath | None


class _Reads:
    """The document fields read while evaluating, in order (for positions and explanations)."""

    def __init__(self) -> None:
        self.paths: list[FieldPath] = []


class Evaluator:
    def __init__(self, document: Document, params: Mapping[str, Any], as_of: _dt.date,
                 sources: Mapping[str, str] | None = None):
        self.document = document
        self.params = params
        self.as_of = as_of
        self.sources = sources or {}
        self.reads = _Reads()

    # ---- values ----------------------------------------------------------------------------
    _EVAL: dict[type, Any] = {}      # expression class -> eval_<class> (filled below the class)
    _EXPLAIN: dict[type, Any] = {}   # expression class -> explain_<class>, where there is one

    def value(self, expr: ast.Expr, env: Mapping[str, Bound]) -> Any:
        return self._EVAL[type(expr)](self, expr, env)

    def located(self, expr: ast.Expr, env: Mapping[str, Bound]) -> Bound:
        """The value of a field path together with where it lives in the document."""
        if isinstance(expr, ast.Name):
            if expr.name in env:
                return env[expr.name]
            if expr.name in self.params:
                return Bound(self.params[expr.name], None)
            if expr.name == "as_of":
                return Bound(self.as_of, None)
            return self._field((expr.name,), self.document.data.get(expr.name, MISSING))
        if isinstance(expr, ast.Attr):
            parent = self.located(expr.target, env)
            return self._child(parent, expr.name)
        if isinstance(expr, ast.Index):
            parent = self.located(expr.target, env)
            key = self.value(expr.index, env)
            if key is MISSING:
                return Bound(MISSING, None)
            if isinstance(parent.value, (list, tuple)):
                if not isinstance(key, V.Decimal) or key != key.to_integral_value():
                    raise UnitError(f"a list index must be a whole number, not {format_value(key)}")
                return self._child(parent, int(key))
            return self._child(parent, key)
        return Bound(self.value(expr, env), None)

    def _field(self, path: FieldPath, value: Any) -> Bound:
        self.reads.paths.append(path)
        return Bound(MISSING if value is None else value, path)

    def _child(self, parent: Bound, key: str | int) -> Bound:
        container = parent.value
        if isinstance(container, dict):
            found = container.get(key, MISSING) if isinstance(key, str) else MISSING
        elif isinstance(container, (list, tuple)) and isinstance(key, int):
            found = container[key] if 0 <= key < len(container) else MISSING
        else:
            found = MISSING
        if parent.path is None:
            return Bound(MISSING if found is None else found, None)
        return self._field(parent.path + (key,), found)

    def eval_literal(self, expr: ast.Literal, env: Mapping[str, Bound]) -> Any:
        return expr.value

    def eval_name(self, expr: ast.Name, env: Mapping[str, Bound]) -> Any:
        return self.located(expr, env).value

    eval_attr = eval_name
    eval_index = eval_name

    def eval_negate(self, expr: ast.Negate, env: Mapping[str, Bound]) -> Any:
        return V.negate(self.value(expr.operand, env))

    def eval_arith(self, expr: ast.Arith, env: Mapping[str, Bound]) -> Any:
        try:
            return V.arith(expr.op, self.value(expr.left, env), self.value(expr.right, env))
        except CalendarError as error:
            raise domain_error(expr.span, str(error)) from None

    def eval_compare(self, expr: ast.Compare, env: Mapping[str, Bound]) -> Any:
        left, right = self.value(expr.left, env), self.value(expr.right, env)
        if expr.op == "in":
            return V.member(left, right)
        if expr.op == "not in":
            found = V.member(left, right)
            return MISSING if found is MISSING else not found
        return V.compare_op(expr.op, left, right)

    def eval_boolop(self, expr: ast.BoolOp, env: Mapping[str, Bound]) -> Any:
        left = self.value(expr.left, env)
        decisive = False if expr.op == "and" else True
        if left is decisive:
            return decisive
        right = self.value(expr.right, env)
        if right is decisive:
            return decisive
        if left is MISSING or right is MISSING:
            return MISSING
        return not decisive

    def eval_not(self, expr: ast.Not, env: Mapping[str, Bound]) -> Any:
        inner = self.value(expr.operand, env)
        return MISSING if inner is MISSING else not inner

    def eval_exists(self, expr: ast.Exists, env: Mapping[str, Bound]) -> Any:
        present = self.located(expr.target, env).value is not MISSING
        return not present if expr.negated else present

    def eval_call(self, expr: ast.Call, env: Mapping[str, Bound]) -> Any:
        args = [self.value(arg, env) for arg in expr.args]
        try:
            return REGISTRY[expr.name].scalar(*args)
        except UnitError:
            raise
        except (ValueError, ArithmeticError) as error:  # outside the builtin's domain
            shown = ", ".join(format_value(arg) for arg in args)
            raise domain_error(expr.span, f"{expr.name}({shown}): {error}") from None

    def eval_listexpr(self, expr: ast.ListExpr, env: Mapping[str, Bound]) -> Any:
        return [self.value(item, env) for item in expr.items]

    def eval_mapexpr(self, expr: ast.MapExpr, env: Mapping[str, Bound]) -> Any:
        return {key: self.value(value, env) for key, value in expr.entries}

    def items(self, collection: ast.Expr, env: Mapping[str, Bound]) -> Iterator[tuple[Any, Bound]]:
        """(key, bound element) pairs of a list (key = index) or a map (key = name)."""
        bound = self.located(collection, env)
        container = bound.value
        if isinstance(container, dict):
            pairs: Sequence[tuple[Any, Any]] = list(container.items())
        elif isinstance(container, (list, tuple)):
            pairs = list(enumerate(container))
        else:
            return iter(())
        return iter([(key, Bound(item, None if bound.path is None else bound.path + (key,)))
                     for key, item in pairs])

    def eval_quantifier(self, expr: ast.Quantifier, env: Mapping[str, Bound]) -> Any:
        bound = self.located(expr.collection, env)
        if bound.value is MISSING:
            return MISSING
        results = [self.value(expr.body, {**env, expr.var: element})
                   for _key, element in self.items(expr.collection, env)]
        return V.quantify(expr.kind, results)

    # ---- explanations ------------------------------------------------------------------------
    def source(self, expr: ast.Expr) -> str:
        text = self.sources.get(expr.span.path)
        span = expr.span
        if text is None or not span.end_line:
            return "(expression)"
        lines = _lines(text)
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1:span.end_column - 1]
        first = lines[span.line - 1][span.column - 1:]
        middle = lines[span.line:span.end_line - 1]
        last = lines[span.end_line - 1][:span.end_column - 1]
        return " ".join(part.strip() for part in [first, *middle, last])

    def describe(self, expr: ast.Expr, env: Mapping[str, Bound]) -> str:
        """How an operand is named in an explanation: the field path, or the source text."""
        if isinstance(expr, ast.Literal):
            return format_value(expr.value)
        bound = self.located(expr, env) if isinstance(expr, (ast.Name, ast.Attr, ast.Index)) else None
        value = bound.value if bound is not None else self.value(expr, env)
        if bound is not None and bound.path:
            name = render_path(bound.path)
        elif isinstance(expr, ast.Index) and isinstance(expr.target, (ast.Name, ast.Attr)):
            key = self.value(expr.index, env)  # retail_cap[class] reads better as retail_cap.fx_major
            name = f"{self.source(expr.target)}.{key}" if isinstance(key, str) else self.source(expr)
        else:
            name = self.source(expr)
        return f"{name} = {format_value(value)}"

    _FAILED_VERB = {"<": "is not below", "<=": "is above", ">": "is not above", ">=": "is below",
                    "==": "is not", "!=": "is", "in": "is not one of", "not in": "is one of"}
    _HELD_VERB = {"<": "is below", "<=": "is not above", ">": "is above", ">=": "is not below",
                  "==": "is", "!=": "is not", "in": "is one of", "not in": "is not one of"}

    def explain(self, expr: ast.Expr, env: Mapping[str, Bound], wanted: bool = True) -> str:
        """Why ``expr`` did not come out as ``wanted``: the decisive part, with its values."""
        method = self._EXPLAIN.get(type(expr))
        if method is not None:
            return method(self, expr, env, wanted)  # type: ignore[no-any-return]
        result = self.value(expr, env)
        if result is MISSING:
            return self._missing_reads(expr, env)
        return f"{self.source(expr)} is {format_value(result)}"

    def _quietly(self, expr: ast.Expr, env: Mapping[str, Bound]) -> Any:
        """Evaluate without recording reads: only the decisive part of a failure may point."""
        start = len(self.reads.paths)
        try:
            return self.value(expr, env)
        finally:
            del self.reads.paths[start:]

    def _missing_reads(self, expr: ast.Expr, env: Mapping[str, Bound]) -> str:
        absent = self.absent_fields(expr, env)
        if absent:
            return f"{', '.join(absent)} is missing"
        return f"{self.source(expr)} cannot be determined"

    def absent_fields(self, expr: ast.Expr, env: Mapping[str, Bound]) -> list[str]:
        """The document fields ``expr`` reads that the document does not state (deepest paths,
        in reading order, without repeats); the reads stay recorded for positions."""
        start = len(self.reads.paths)
        self.value(expr, env)
        reads = self.reads.paths[start:]
        absent = [path for path in reads if self._lookup(path) is MISSING]
        # reading margin.close_out_level reads margin first: name only the deepest path
        deepest = [path for path in absent
                   if not any(other[:len(path)] == path and other != path for other in absent)]
        return list(dict.fromkeys(render_path(path) for path in deepest))

    def _lookup(self, path: FieldPath) -> Any:
        node: Any = self.document.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part, MISSING)
            elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return MISSING
            if node is None:
                return MISSING
        return node

    def explain_compare(self, expr: ast.Compare, env: Mapping[str, Bound], wanted: bool) -> str:
        result = self.eval_compare(expr, env)
        if result is MISSING:
            return self._missing_reads(expr, env)
        verb = (self._FAILED_VERB if wanted else self._HELD_VERB)[expr.op]
        return f"{self.describe(expr.left, env)} {verb} {self.describe(expr.right, env)}"

    def explain_boolop(self, expr: ast.BoolOp, env: Mapping[str, Bound], wanted: bool) -> str:
        left = self._quietly(expr.left, env)
        # "a and b" fails through its first false side; "a or b" through both; negation swaps them.
        conjunctive = (expr.op == "and") == wanted
        if conjunctive:
            side = expr.left if left is not wanted else expr.right
            return self.explain(side, env, wanted)
        return f"{self.explain(expr.left, env, wanted)}; and {self.explain(expr.right, env, wanted)}"

    def explain_not(self, expr: ast.Not, env: Mapping[str, Bound], wanted: bool) -> str:
        return self.explain(expr.operand, env, not wanted)

    def explain_exists(self, expr: ast.Exists, env: Mapping[str, Bound], wanted: bool) -> str:
        start = len(self.reads.paths)
        bound = self.located(expr.target, env)
        if bound.value is not MISSING:
            # "missing x" failing because x is present: x is context, not the key to point at.
            del self.reads.paths[start:]
        name = render_path(bound.path) if bound.path else self.source(expr.target)
        present = bound.value is not MISSING
        return f"{name} is {'present' if present else 'missing'}"

    def explain_call(self, expr: ast.Call, env: Mapping[str, Bound], wanted: bool) -> str:
        result = self.value(expr, env)
        if result is MISSING:
            return self._missing_reads(expr, env)
        if expr.name in ("mentions", "mentions_all") and len(expr.args) == 2:
            subject = self._name_of(expr.args[0], env)
            phrases = self.value(expr.args[1], env)
            texts = self.value(expr.args[0], env)
            from compliance.evaluate.builtins import find_phrase, missing_phrases
            if result:  # it mentions what it must not
                found = find_phrase(texts, phrases)
                return f"{subject} contains \"{found}\""
            if expr.name == "mentions_all":
                lacking = missing_phrases(texts, phrases)
                return f"{subject} lacks {', '.join(repr(p) for p in lacking)}"
            return f"{subject} contains none of {format_value(phrases)}"
        if expr.name == "matches" and len(expr.args) == 2:
            subject = self._name_of(expr.args[0], env)
            pattern = self.value(expr.args[1], env)
            return f"{subject} {'matches' if result else 'does not match'} /{pattern}/"
        return f"{self.source(expr)} is {format_value(result)}"

    def phrase_position(self, expr: ast.Expr, env: Mapping[str, Bound]) -> Position | None:
        """Where the phrase a failed requirement's text builtin found stands in the file: the
        first call of a locating builtin (mentions, first_claim, ...) whose phrase lies in a text
        read from the document. Only for findings: nothing here runs when a rule passes."""
        for node in ast.walk(expr):
            if not isinstance(node, ast.Call):
                continue
            builtin = REGISTRY[node.name]
            if builtin.locate is None:
                continue
            start = len(self.reads.paths)
            try:
                hit = builtin.locate(*(self.value(arg, env) for arg in node.args))
            except UnitError:
                hit = None
            finally:
                del self.reads.paths[start:]
            if hit is None:
                continue
            argument, item, offset = hit
            target = node.args[argument] if argument < len(node.args) else None
            if isinstance(target, ast.ListExpr) and item is not None and item < len(target.items):
                target, item = target.items[item], None
            if isinstance(target, ast.Call) and target.name == "pluck" and item is not None:
                path = self._plucked(target, item, env)   # pluck(clauses, "text"): that clause's text
            elif isinstance(target, (ast.Name, ast.Attr, ast.Index)):
                start = len(self.reads.paths)
                bound = self.located(target, env)
                del self.reads.paths[start:]
                path = None if bound.path is None else bound.path if item is None else (*bound.path, item)
            else:
                continue
            if path is not None:
                return self.document.position_in(path, offset)
        return None

    def _plucked(self, call: ast.Call, item: int, env: Mapping[str, Bound]) -> FieldPath | None:
        """The path of the item-th text of ``pluck(list, field)``: the field of the item-th element
        that states it (pluck leaves the others out)."""
        start = len(self.reads.paths)
        try:
            bound, name = self.located(call.args[0], env), self.value(call.args[1], env)
        finally:
            del self.reads.paths[start:]
        if bound.path is None or not isinstance(bound.value, (list, tuple)):
            return None
        stating = [index for index, element in enumerate(bound.value)
                   if isinstance(element, dict) and element.get(name) not in (None, MISSING)]
        return (*bound.path, stating[item], name) if item < len(stating) else None

    def _name_of(self, expr: ast.Expr, env: Mapping[str, Bound]) -> str:
        if isinstance(expr, (ast.Name, ast.Attr, ast.Index)):
            bound = self.located(expr, env)
            if bound.path:
                return render_path(bound.path)
        return self.source(expr)

    def explain_quantifier(self, expr: ast.Quantifier, env: Mapping[str, Bound], wanted: bool) -> str:
        if expr.kind not in ("any", "all"):
            return f"{self.source(expr)} is {format_value(self.value(expr, env))}"
        # all(...) fails, or any(...) holds against the rule, through one element: name it.
        looking_for = expr.kind == "all" and wanted or expr.kind == "any" and not wanted
        if looking_for:
            for _key, element in self.items(expr.collection, env):
                inner = {**env, expr.var: element}
                if self._quietly(expr.body, inner) is not (expr.kind == "all"):
                    return self.explain(expr.body, inner, expr.kind == "all")
        name = self._name_of(expr.collection, env)
        return f"no item of {name} satisfies {self.source(expr.body)}"


Evaluator._EVAL = ast.dispatch_table(Evaluator, "eval_")
Evaluator._EXPLAIN = ast.dispatch_table(Evaluator, "explain_")


@lru_cache(maxsize=32)
def _lines(text: str) -> list[str]:
    """A source file's lines (cached: explanations quote the rule source many times per run)."""
    return text.split("\n")


# ---- rules ----------------------------------------------------------------------------------

def params_as_of(ruleset: Ruleset, as_of: _dt.date, document: Document | None = None) -> dict[str, Any]:
    """Each parameter's value in force on ``as_of`` (the latest value dated on or before it)."""
    values: dict[str, Any] = {}
    empty = document or Document("contract", "", {})
    for name, param in ruleset.params.items():
        chosen = _in_force(param, as_of)
        if chosen is None:
            values[name] = MISSING
            continue
        evaluator = Evaluator(empty, values, as_of, ruleset.sources)
        values[name] = evaluator.value(chosen.value, {})
    return values


def _in_force(param: ParamDef, as_of: _dt.date) -> ast.DatedValue | None:
    chosen = None
    for candidate in param.values:  # sorted: undated first, then by date
        if candidate.effective is None or candidate.effective <= as_of:
            chosen = candidate
    return chosen


def subjects(rule: CheckedRule, evaluator: Evaluator) -> list[tuple[str, Mapping[str, Bound], FieldPath | None]]:
    """The subjects a rule is evaluated on: the whole document, or each entry of ``for each``."""
    loop = rule.for_each
    if loop is None:
        return [("", {}, None)]
    found = []
    for key, element in evaluator.items(loop.collection, {}):
        env = ({loop.key_var: element} if loop.value_var is None else
               {loop.key_var: Bound(key, None), loop.value_var: element})
        label = render_path(element.path) if element.path else format_value(key)
        found.append((label, env, element.path))
    return found


def domain_error(span: ast.Span, message: str) -> InputError:
    """A computation outside its domain, at the expression of the ruleset that asks for it."""
    return InputError.at(span.path, span.line, span.column, f"cannot evaluate: {message}")


def evaluate_rule(rule: CheckedRule, evaluator: Evaluator, *, compiled: bool = True) -> list[Result]:
    """The rule on each of its subjects. ``compiled``: a subject that simply passes is decided by
    the rule's closures (compliance.evaluate.compiled); every other one, and every subject when
    False, by this interpreter, which also explains it."""
    results = []
    citation = rule.citation_on(evaluator.as_of)
    fast = compiled_rule(rule) if compiled else None
    for label, env, path in subjects(rule, evaluator):
        verdict = passes(fast, evaluator, env) if fast is not None else None
        if verdict is not None:
            results.append(_passed(rule, evaluator, label, path, None if verdict is PASSED else verdict, citation))
            continue
        try:
            result = _evaluate_subject(rule, evaluator, label, env, path)
        except UnitError as error:
            position = evaluator.document.position_of(path) if path else None
            result = Result(rule, "failed", label, f"cannot be evaluated: {error}",
                            message=f"{rule.title}: cannot be evaluated: {error}",
                            position=position or evaluator.document.position_of(()))
        results.append(replace(result, citation=citation) if citation != result.citation else result)
    return results


def _passed(rule: CheckedRule, evaluator: Evaluator, label: str, path: FieldPath | None,
            exception: CheckedException | None, citation: str = "") -> Result:
    # every field in order: the constructor's quickest path (one of these per passing subject)
    return Result(rule, "passed", label, "complies", "", "",
                  evaluator.document.position_of(path) if path else None, _id(exception), "", citation)


def _evaluate_subject(rule: CheckedRule, evaluator: Evaluator, label: str,
                      env: Mapping[str, Bound], path: FieldPath | None) -> Result:
    document = evaluator.document
    for condition in (*rule.scope, *((rule.when,) if rule.when is not None else ())):
        applies = evaluator.value(condition, env)
        if applies is not True:
            why = evaluator.explain(condition, env) if applies is False else "its condition cannot be determined"
            return Result(rule, "not_applicable", label, f"does not apply: {why}",
                          position=document.position_of(path) if path else None)
    requirement, message, fix, exception = rule.require, rule.message, rule.fix, None
    for candidate in rule.exceptions:
        if evaluator.value(candidate.when, env) is True:
            exception = candidate
            if candidate.require is None:
                return Result(rule, "not_applicable", label,
                              f"exempt under {candidate.rule_id}: {candidate.title}",
                              position=document.position_of(path) if path else None,
                              exception_id=candidate.rule_id)
            requirement = candidate.require
            message = candidate.message or message
            fix = candidate.fix or fix
            break
    start = len(evaluator.reads.paths)
    holds = evaluator.value(requirement, env)
    if holds is True:
        return _passed(rule, evaluator, label, path, exception)
    evaluator.reads.paths = evaluator.reads.paths[:start]
    if holds is MISSING:
        return _not_stated(rule, evaluator, label, env, path, requirement, fix, exception)
    explanation = evaluator.explain(requirement, env)
    decisive = _decisive_path(rule, evaluator, env, start, path)
    subject = label or (render_path(decisive) if decisive else "")
    position = document.position_of(decisive) if decisive else document.position_of(())
    phrase = evaluator.phrase_position(requirement, env)
    if phrase is not None:
        position = phrase
    return Result(rule, "failed", subject, explanation,
                  message=render_template(message, evaluator, env) if message else rule.title,
                  fix=render_template(fix, evaluator, env) if fix else "",
                  position=position, exception_id=_id(exception))


def _not_stated(rule: CheckedRule, evaluator: Evaluator, label: str, env: Mapping[str, Bound],
                path: FieldPath | None, requirement: ast.Expr, fix: ast.Template | None,
                exception: CheckedException | None) -> Result:
    """The document is silent on what the requirement reads: "X is not stated: <why it matters>",
    a not_stated finding at the rule's silence severity, or a failure where silence is the breach."""
    start = len(evaluator.reads.paths)
    absent = evaluator.absent_fields(requirement, env)
    decisive = _decisive_path(rule, evaluator, env, start, path)
    subject = label or (render_path(decisive) if decisive else "")
    position = evaluator.document.position_of(decisive) if decisive else evaluator.document.position_of(())
    reason = rule.silence_reason or rule.title
    unset = [name for name in _names(requirement) if evaluator.params.get(name, None) is MISSING]
    if absent:
        stated = f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not stated"
    elif unset:  # a parameter without a value on the run's date: the document is not at fault
        stated = f"{evaluator.source(requirement)} cannot be decided on {evaluator.as_of.isoformat()} ({', '.join(unset)} has no value then)"
    else:  # the fields are there, but their text does not say what the rule looks for
        stated = "the document's text does not state it"
    message = f"{stated}: {reason}"
    shown_fix = render_template(fix, evaluator, env) if fix else (f"state {' and '.join(absent)}" if absent else "")
    if rule.silence == "breach":
        return Result(rule, "failed", subject, f"{stated} (its silence is the breach)", message=message,
                      fix=shown_fix, position=position, exception_id=_id(exception))
    return Result(rule, "not_stated", subject, stated, message=message, fix=shown_fix,
                  position=position, exception_id=_id(exception), severity=rule.silence)


def _names(expr: ast.Expr) -> list[str]:
    """The plain names an expression reads (parameters among them), in order, without repeats."""
    return list(dict.fromkeys(node.name for node in ast.walk(expr) if isinstance(node, ast.Name)))


def _id(exception: CheckedException | None) -> str:
    return exception.rule_id if exception is not None else ""


def _decisive_path(rule: CheckedRule, evaluator: Evaluator, env: Mapping[str, Bound], start: int,
                   loop_path: FieldPath | None) -> FieldPath | None:
    """The field a failure points at: the stated subject, else the first field the explanation
    read that is present in the document (or, if all were missing, the nearest existing parent)."""
    if rule.subject is not None:
        bound = evaluator.located(rule.subject, env)
        if bound.path:
            return bound.path
    reads = evaluator.reads.paths[start:]
    # Reading margin.close_out_level reads margin first; the deeper path is the one to point at.
    reads = [path for index, path in enumerate(reads)
             if not any(later[:len(path)] == path and later != path for later in reads[index + 1:])]
    for path in reads:
        if evaluator._lookup(path) is not MISSING:
            return path
    if reads:
        return reads[0]
    return loop_path


def render_template(template: ast.Template, evaluator: Evaluator, env: Mapping[str, Bound]) -> str:
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        try:
            value = evaluator.value(part, env)
        except UnitError as error:
            value = f"<{error}>"
        if value is MISSING:
            value = NOT_STATED_TEXT
        out.append(value if isinstance(value, str) else format_value(value))
    return "".join(out)


def apply_assumptions(ruleset: Ruleset, document: Document, params: Mapping[str, Any],
                      as_of: _dt.date) -> tuple[Document, list[Result]]:
    """The document as the rules read it: each field an assumption covers that the document does
    not state, set to its default; and one not_stated result per assumption that was needed."""
    results: list[Result] = []
    data = document.data
    for assumption in ruleset.assumptions:
        if assumption.target != document.kind or _get(data, assumption.path) is not MISSING:
            continue
        evaluator = Evaluator(document, params, as_of, ruleset.sources)
        value = evaluator.value(assumption.value, {})
        data = _with(data, assumption.path, value)
        field = render_path(assumption.path)
        stated = f"{field} is not stated: {assumption.title}"
        message = render_template(assumption.message, evaluator, {}) if assumption.message else stated
        results.append(Result(assumption, "not_stated", field,
                              f"{field} is missing; read as {format_value(value)}", message=message,
                              fix=f"state {field}", position=document.position_of(assumption.path[:-1]),
                              severity=assumption.severity, citation=assumption.citation_on(as_of)))
    if data is document.data:
        return document, results
    return replace(document, data=data), results


def _get(data: Any, path: FieldPath) -> Any:
    node = data
    for part in path:
        node = node.get(part, MISSING) if isinstance(node, dict) else MISSING
        if node is None:
            return MISSING
    return node


def _with(data: dict[str, Any], path: FieldPath, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``path`` set (the documents themselves are never changed)."""
    head, *rest = path
    if not rest:
        return {**data, head: value}
    child = data.get(head)
    return {**data, head: _with(child if isinstance(child, dict) else {}, tuple(rest), value)}


def evaluate_document(ruleset: Ruleset, document: Document, as_of: _dt.date,
                      rules: Sequence[CheckedRule] | None = None,
                      params: Mapping[str, Any] | None = None, *, compiled: bool = True) -> list[Result]:
    """The ruleset's assumptions, then every rule of the document's kind, on every subject
    (``compiled``: see :func:`evaluate_rule`)."""
    chosen = rules if rules is not None else [r for r in ruleset.rules if r.target == document.kind]
    in_force = params if params is not None else params_as_of(ruleset, as_of, document)
    document, results = apply_assumptions(ruleset, document, in_force, as_of)
    evaluator = Evaluator(document, in_force, as_of, ruleset.sources)
    for rule in chosen:
        results.extend(evaluate_rule(rule, evaluator, compiled=compiled))
    return results


def overall(results: Sequence[Result]) -> Outcome:
    """A rule's outcome over all its subjects: failed if any failed, else not stated if any was
    silent, else passed if any passed, else not applicable."""
    outcomes = {result.outcome for result in results}
    for outcome in ("failed", "not_stated", "passed"):
        if outcome in outcomes:
            return outcome
    return "not_applicable"
