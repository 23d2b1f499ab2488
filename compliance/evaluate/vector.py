"""Account rules over whole snapshots: each rule compiled to numpy masks, no Python loop over rows.

Exactness. Columns are float64; the scalar evaluator works in Decimal. Two values closer than a
relative ``BOUNDARY_BAND`` (1e-9) cannot be ordered reliably in floating point, so every comparison
also yields an *undecided* mask, as does anything float arithmetic cannot settle (a division by
zero, a money literal in a currency other than the row's). Undecided rows, normally a handful, are
re-evaluated one by one with the exact scalar evaluator. The result therefore equals the scalar
evaluator's on every row (a hypothesis test asserts it), while millions of clear-cut rows stay
vectorised. Amounts are exact for values of up to 15 significant digits (see documents/snapshot).

Booleans carry two masks, value and known, for the three-valued logic of missing fields.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from compliance.dsl import ast
from compliance.dsl.model import CheckedRule, Ruleset
from compliance.dsl.units import Leverage
from compliance.errors import ComplianceError
from compliance.evaluate.values import MISSING

BOUNDARY_BAND = 1e-9
EPS = 2.0 ** -52          # twice float64's unit roundoff: a safe bound for one rounding
NOT_APPLICABLE, PASSED, FAILED, NOT_STATED = 0, 1, 2, 3
OUTCOME_NAMES = ("not_applicable", "passed", "failed", "not_stated")


class Unsupported(ComplianceError):
    """An expression the vector backend does not compile; the rule then runs row by row."""


@dataclass
class Num:
    """A numeric column (or a broadcast scalar): values, where present, and its unit."""

    values: np.ndarray | float
    valid: np.ndarray | bool
    unit: str                              # number | percent | leverage | money
    currency: str | None = None            # a money literal's currency (columns: the row's own)
    # Read straight from a file or a literal: a float made from decimal text of at most 15
    # significant digits orders exactly like that text, so no boundary band is needed. Results of
    # arithmetic are not exact and get the band.
    exact: bool = True
    # An upper bound of the absolute difference between ``values`` and the exact decimal result.
    # None: half an ulp of each value (a decimal read into float64); arithmetic propagates it.
    error: np.ndarray | float | None = None
    # Rows whose value float arithmetic cannot settle (a division by about zero, a money
    # literal in another currency): whatever depends on them goes to the exact evaluator.
    undecided: np.ndarray | bool = False

    def bound(self) -> np.ndarray | float:
        if self.error is not None:
            return self.error
        return EPS * np.abs(self.values)


@dataclass
class Bool:
    value: np.ndarray | bool
    known: np.ndarray | bool
    # Rows where the float result may differ from the exact one. Logic narrows it: in
    # ``a and b`` a row where ``a`` is surely false does not depend on ``b``.
    undecided: np.ndarray | bool = False


@dataclass
class Text:
    """A category column as codes with labels, or a constant string."""

    codes: np.ndarray | None
    labels: tuple[str, ...]
    constant: str | None = None


@dataclass
class Const:
    """A parameter or literal value that is not a number: a list, a map, a date."""

    value: Any


class Compiler:
    def __init__(self, snapshot: Any, params: Mapping[str, Any], as_of: _dt.date):
        self.snapshot = snapshot
        self.params = params
        self.as_of = as_of
        self.n = snapshot.n_rows
        self.undecided = np.zeros(self.n, dtype=bool)

    # ---- dispatch ------------------------------------------------------------------------------
    _COMPILE: dict[type, Any] = {}   # expression class -> compile_<class> (filled below the class)

    def compile(self, expr: ast.Expr) -> Any:
        method = self._COMPILE.get(type(expr))
        if method is None:
            raise Unsupported(type(expr).__name__)
        return method(self, expr)

    def condition(self, expr: ast.Expr) -> Bool:
        result = self.compile(expr)
        if not isinstance(result, Bool):
            raise Unsupported("condition is not boolean")
        return result

    # ---- leaves --------------------------------------------------------------------------------
    def compile_literal(self, expr: ast.Literal) -> Any:
        return _constant(expr.value)

    def compile_listexpr(self, expr: ast.ListExpr) -> Const:
        items = []
        for item in expr.items:
            if not isinstance(item, ast.Literal):
                raise Unsupported("a list of computed values")
            items.append(item.value)
        return Const(items)

    def compile_name(self, expr: ast.Name) -> Any:
        if expr.name in self.params:
            value = self.params[expr.name]
            if value is MISSING:
                return Num(np.nan, False, "number")
            return _constant(value)
        if expr.name == "as_of":
            return Const(self.as_of)
        return self.column(expr.name)

    def column(self, name: str) -> Any:
        snap = self.snapshot
        if name in snap.numeric:
            unit = "number" if name == "positions_count" else "money"
            return Num(snap.numeric[name], snap.valid.get(name, True), unit)
        if name in snap.categories:
            codes, labels = snap.categories[name]
            return Text(codes, labels)
        if name in snap.flags:
            return Bool(snap.flags[name], snap.valid.get(name, True))
        if name == "account_id":
            raise Unsupported("account_id in an account rule")
        # An optional column the file does not have: missing on every row.
        from compliance.documents.snapshot_fields import snapshot_type
        kind = snapshot_type().fields.get(name)
        if kind is not None and kind.kind == "bool":
            return Bool(False, False)
        if kind is not None and kind.kind == "string":
            return Text(np.full(self.n, -1, dtype=np.int16), ())
        return Num(np.nan, False, "money" if kind is not None and kind.kind == "money" else "number")

    def compile_index(self, expr: ast.Index) -> Any:
        """``caps[instrument_class]``: a map parameter looked up by a category column."""
        table = self.compile(expr.target)
        key = self.compile(expr.index)
        if not isinstance(table, Const) or not isinstance(table.value, dict):
            raise Unsupported("indexing something other than a map parameter")
        if isinstance(key, Text) and key.constant is not None:
            return _constant(table.value.get(key.constant, MISSING))
        if not isinstance(key, Text) or key.codes is None:
            raise Unsupported("map index is not a category column")
        entries = [table.value.get(label, MISSING) for label in key.labels]
        present = [value for value in entries if value is not MISSING]
        if not present:
            return Num(np.nan, False, "number")
        sample = _constant(present[0])
        if not isinstance(sample, Num) or any(type(v) is not type(present[0]) for v in present):
            raise Unsupported("map values are not numbers of one unit")
        lookup = np.array([_float(v) if v is not MISSING else np.nan for v in entries] + [np.nan])
        known = np.array([v is not MISSING for v in entries] + [False])
        codes = np.where(key.codes >= 0, key.codes, len(entries))
        return Num(lookup[codes], known[codes], sample.unit, sample.currency)

    def compile_attr(self, expr: ast.Attr) -> Any:
        raise Unsupported("account rows have no nested fields")

    # ---- arithmetic ----------------------------------------------------------------------------
    def compile_negate(self, expr: ast.Negate) -> Num:
        operand = self.numeric(expr.operand)
        return Num(-operand.values, operand.valid, operand.unit, operand.currency, operand.exact,
                   operand.error, operand.undecided)

    def numeric(self, expr: ast.Expr) -> Num:
        result = self.compile(expr)
        if not isinstance(result, Num):
            raise Unsupported("not a number")
        return result

    def compile_arith(self, expr: ast.Arith) -> Num:
        left, right = self.numeric(expr.left), self.numeric(expr.right)
        undecided = left.undecided | right.undecided | self._currency_guard(left, right)
        valid = left.valid & right.valid
        a, b = np.asarray(left.values, dtype=float), np.asarray(right.values, dtype=float)
        ea, eb = left.bound(), right.bound()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if expr.op in "+-":
                values = a + b if expr.op == "+" else a - b
                error = ea + eb
            elif expr.op == "*":
                values = a * b
                error = np.abs(a) * eb + np.abs(b) * ea + ea * eb
            else:
                values = a / b
                margin = np.abs(b) - eb
                error = np.where(margin > 0, (ea + np.abs(values) * eb) / np.where(margin > 0, margin, 1.0), np.inf)
                # Division by (possibly) zero is a unit error in the exact evaluator: let it decide.
                undecided = undecided | (np.broadcast_to(~(margin > 0), (self.n,)) & _rows(valid, self.n))
            error = error + EPS * np.abs(values)
        unit = _arith_unit(expr.op, left, right)
        currency = left.currency or right.currency
        return Num(values, valid, unit, currency, exact=False, error=error, undecided=undecided)

    def _currency_guard(self, left: Num, right: Num) -> np.ndarray | bool:
        """A money literal in a currency other than the row's cannot be settled here."""
        undecided: np.ndarray | bool = False
        for constant, other in ((left, right), (right, left)):
            if constant.unit == "money" and constant.currency and other.unit == "money" \
                    and other.currency is None:
                undecided = undecided | self._currency_differs(constant.currency)
        return undecided

    def _currency_differs(self, currency: str) -> np.ndarray:
        if "currency" not in self.snapshot.categories:
            return np.ones(self.n, dtype=bool)
        codes, labels = self.snapshot.categories["currency"]
        if currency not in labels:
            return np.ones(self.n, dtype=bool)
        return codes != labels.index(currency)

    # ---- comparisons and logic -----------------------------------------------------------------
    def compile_compare(self, expr: ast.Compare) -> Bool:
        left, right = self.compile(expr.left), self.compile(expr.right)
        if expr.op in ("in", "not in"):
            result = self._member(left, right)
            return Bool(~result.value, result.known, result.undecided) if expr.op == "not in" else result
        if isinstance(left, Text) or isinstance(right, Text):
            return self._compare_text(expr.op, left, right)
        if isinstance(left, Bool) and isinstance(right, Bool):
            if expr.op not in ("==", "!="):
                raise Unsupported("ordering booleans")
            same = left.value == right.value
            return Bool(same if expr.op == "==" else ~same, left.known & right.known,
                        left.undecided | right.undecided)
        if not isinstance(left, Num) or not isinstance(right, Num):
            raise Unsupported("comparison of non-numbers")
        if "leverage" in (left.unit, right.unit) and (left.unit == "percent" or right.unit == "percent"):
            raise Unsupported("leverage against percent")
        undecided = left.undecided | right.undecided | self._currency_guard(left, right)
        a, b = np.asarray(left.values, dtype=float), np.asarray(right.values, dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            result = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,
                      "==": a == b, "!=": a != b}[expr.op]
            known = left.valid & right.valid
            if not (left.exact and right.exact):
                # Undecided where the exact values could lie on the other side: within the
                # propagated rounding error (times 4 for safety), or the relative band.
                scale = np.maximum(np.abs(a), np.abs(b))
                slack = 4.0 * (left.bound() + right.bound()) + BOUNDARY_BAND * scale
                close = ~(np.abs(a - b) > slack)
                undecided = undecided | (np.broadcast_to(close, (self.n,)) & _rows(known, self.n))
        return Bool(result, known, undecided)

    def _compare_text(self, op: str, left: Any, right: Any) -> Bool:
        if op not in ("==", "!="):
            raise Unsupported("ordering text")
        if isinstance(left, Text) and isinstance(right, Text) and left.codes is None and right.codes is None:
            same_text = left.constant == right.constant  # a parameter against a literal
            return Bool(same_text if op == "==" else not same_text, True)
        column, constant = (left, right) if isinstance(left, Text) and left.codes is not None else (right, left)
        if not isinstance(column, Text) or column.codes is None:
            raise Unsupported("comparing two constants")
        wanted = constant.constant if isinstance(constant, Text) else None
        if wanted is None:
            raise Unsupported("comparing two text columns")
        code = column.labels.index(wanted) if wanted in column.labels else -2
        same = column.codes == code
        return Bool(same if op == "==" else ~same, column.codes >= 0)

    def _member(self, item: Any, collection: Any) -> Bool:
        if not isinstance(collection, Const) or not isinstance(collection.value, (list, tuple, dict)):
            raise Unsupported("membership needs a constant list")
        options = list(collection.value)
        if isinstance(item, Text) and item.codes is not None:
            codes = [item.labels.index(o) for o in options if isinstance(o, str) and o in item.labels]
            return Bool(np.isin(item.codes, codes), item.codes >= 0)
        if isinstance(item, Num):
            numbers = [_float(o) for o in options if _constant(o).__class__ is Num]
            if len(numbers) != len(options):
                raise Unsupported("membership in a list of mixed values")
            hits = np.isin(np.asarray(item.values, dtype=float), numbers)
            undecided = item.undecided
            if not item.exact:
                near = np.zeros(self.n, dtype=bool)
                for number in numbers:
                    slack = 4.0 * (item.bound() + EPS * abs(number)) + BOUNDARY_BAND * abs(number)
                    near |= np.broadcast_to(~(np.abs(np.asarray(item.values) - number) > slack), (self.n,))
                undecided = undecided | (near & _rows(item.valid, self.n))
            return Bool(hits, item.valid, undecided)
        raise Unsupported("membership of this kind of value")

    def compile_boolop(self, expr: ast.BoolOp) -> Bool:
        a, b = self.condition(expr.left), self.condition(expr.right)
        if expr.op == "and":
            false_a = a.known & ~a.value
            false_b = b.known & ~b.value
            value = a.value & b.value
            known = (a.known & b.known) | false_a | false_b
            # The exact evaluator reads the left side first and stops when it is false, so a
            # surely false left side settles the row; the left side's own doubts (which may be
            # unit errors the exact evaluator raises) always count.
            settled = false_a & ~a.undecided
            return Bool(value & known, known, a.undecided | (b.undecided & ~settled))
        true_a = a.known & a.value
        true_b = b.known & b.value
        known = (a.known & b.known) | true_a | true_b
        settled = true_a & ~a.undecided
        return Bool((true_a | true_b) & known, known, a.undecided | (b.undecided & ~settled))

    def compile_not(self, expr: ast.Not) -> Bool:
        inner = self.condition(expr.operand)
        return Bool(~inner.value & inner.known, inner.known, inner.undecided)

    def compile_exists(self, expr: ast.Exists) -> Bool:
        target = self.compile(expr.target)
        if isinstance(target, Num):
            present = np.broadcast_to(np.asarray(target.valid), (self.n,))
        elif isinstance(target, Bool):
            present = np.broadcast_to(np.asarray(target.known), (self.n,))
        elif isinstance(target, Text):
            present = target.codes >= 0 if target.codes is not None else np.ones(self.n, dtype=bool)
        else:
            present = np.full(self.n, target.value is not MISSING)
        return Bool(~present if expr.negated else present, True)

    # ---- builtins ------------------------------------------------------------------------------
    def compile_call(self, expr: ast.Call) -> Num:
        args = [self.compile(arg) for arg in expr.args]
        name = expr.name
        if name == "leverage_of" and len(args) == 2:
            exposure, equity = args
            if not isinstance(exposure, Num) or not isinstance(equity, Num):
                raise Unsupported("leverage_of arguments")
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.asarray(exposure.values, dtype=float) / np.asarray(equity.values, dtype=float)
            positive = np.asarray(equity.values) > 0
            ea, eb = exposure.bound(), equity.bound()
            with np.errstate(divide="ignore", invalid="ignore"):
                margin = np.abs(np.asarray(equity.values, dtype=float)) - eb
                error = np.where(margin > 0, (ea + np.abs(values) * eb) / np.where(margin > 0, margin, 1.0),
                                 np.inf) + EPS * np.abs(values)
            # Equity near zero: whether it is positive at all is for the exact evaluator to say.
            undecided = exposure.undecided | equity.undecided | (
                np.broadcast_to(~(margin > 0), (self.n,)) & _rows(exposure.valid & equity.valid, self.n))
            return Num(values, exposure.valid & equity.valid & positive, "leverage", exact=False,
                       error=error, undecided=undecided)
        if name in _DROPS and len(args) == 2 and all(isinstance(arg, Num) for arg in args):
            return self._drop(name, args[0], args[1])
        if name == "abs" and isinstance(args[0], Num):
            return Num(np.abs(args[0].values), args[0].valid, args[0].unit, args[0].currency,
                       exact=args[0].exact, error=args[0].error, undecided=args[0].undecided)
        if name == "margin_of" and isinstance(args[0], Num) and np.ndim(args[0].values) == 0:
            from compliance.dsl.units import margin_for_leverage
            return _constant(margin_for_leverage(Leverage(Decimal(repr(float(args[0].values))))))
        raise Unsupported(f"{name}() over columns")


    def _drop(self, name: str, leverage: Num, line: Num) -> Num:
        """liquidation_drop, warning_drop, close_out_drop and collateral_ratio_drop over columns:
        the formulas of compliance.risk.liquidation in float, clamped to [0, 1], 100% for a
        leverage of 0 (no position). Rows where the line leaves the formula's domain, or where the
        result lies within rounding of a kink of the formula, go to the exact evaluator, which
        reports the error at the call."""
        lev = np.broadcast_to(np.asarray(leverage.values, dtype=float), (self.n,))
        m = np.broadcast_to(np.asarray(line.values, dtype=float), (self.n,))
        valid = _rows(leverage.valid, self.n) & _rows(line.valid, self.n)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if name == "collateral_ratio_drop":
                formula = 1.0 - m * (lev - 1.0) / lev
                outside = ~(m > 0)
            elif name == "close_out_drop":
                formula = np.where(m >= 1.0, 0.0, np.where(lev <= m, 1.0, (1.0 - m) / (lev - m)))
                outside = m < 0
            else:
                formula = (1.0 - m * lev) / (lev * (1.0 - m))
                outside = ~((m >= 0) & (m < 1))
            values = np.where(lev == 0, 1.0, np.clip(formula, 0.0, 1.0))
        outside |= lev < 0
        # The inputs' error, amplified by the formula near its poles: bounded generously; rows
        # near a kink (the clamp at 0 or 1, m*L near 1, L near m) are decided exactly.
        scale = np.abs(lev) + np.abs(m) + 1.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            error = 1e3 * (np.asarray(leverage.bound()) + np.asarray(line.bound()) + EPS) * scale * scale
            near_kink = (np.abs(formula) <= error) | (np.abs(formula - 1.0) <= error) \
                | (np.abs(m * lev - 1.0) <= error) | (np.abs(lev - m) <= error) | (lev == 0) \
                | ~np.isfinite(formula)
        undecided = (leverage.undecided | line.undecided | (valid & (outside | near_kink)))
        return Num(values, valid & ~outside, "percent", exact=False, error=error, undecided=undecided)


Compiler._COMPILE = ast.dispatch_table(Compiler, "compile_")

_DROPS = ("liquidation_drop", "warning_drop", "close_out_drop", "collateral_ratio_drop")


def _rows(mask: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(mask, dtype=bool), (n,))


def _float(value: Any) -> float:
    return float(getattr(value, "magnitude", value))


def _constant(value: Any) -> Any:
    if value is MISSING:
        return Num(np.nan, False, "number")
    if isinstance(value, bool):
        return Bool(value, True)
    unit = getattr(value, "kind", None)   # the unit types name their kind themselves
    if unit in ("money", "percent", "leverage"):
        if getattr(value, "from_margin", None) is not None:
            raise Unsupported("a leverage stated as a margin (compared in margin terms)")
        return Num(float(value.magnitude), True, unit, getattr(value, "currency", None))
    if isinstance(value, (Decimal, int)):
        return Num(float(value), True, "number")
    if isinstance(value, str):
        return Text(None, (), constant=value)
    return Const(value)


def _arith_unit(op: str, left: Num, right: Num) -> str:
    units = {left.unit, right.unit}
    if "money" in units:
        return "percent" if left.unit == right.unit == "money" and op == "/" else "money"
    if units == {"percent"}:
        return "percent" if op in "+-*" else "number"
    if "percent" in units and "leverage" not in units and (op in "*/" and left.unit == "percent"
                                                            or op == "*"):
        return "percent"
    return "number"


# ---- rules --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleOutcomes:
    rule: CheckedRule
    outcomes: np.ndarray          # int8 per row: NOT_APPLICABLE, PASSED, FAILED, NOT_STATED
    fallback_rows: int            # rows settled by the exact scalar evaluator
    vectorised: bool              # False when the rule could not be compiled at all


def evaluate_rule_columns(rule: CheckedRule, snapshot: Any, params: Mapping[str, Any],
                          as_of: _dt.date, ruleset: Ruleset | None = None) -> RuleOutcomes:
    """One account rule over every row, as an outcome code per row."""
    compiler = Compiler(snapshot, params, as_of)
    try:
        outcomes = _vector_outcomes(rule, compiler)
    except Unsupported:
        rows = np.arange(snapshot.n_rows)
        return RuleOutcomes(rule, _scalar_outcomes(rule, snapshot, params, as_of, rows, ruleset),
                            int(snapshot.n_rows), False)
    rows = np.flatnonzero(compiler.undecided)
    if rows.size:
        outcomes[rows] = _scalar_outcomes(rule, snapshot, params, as_of, rows, ruleset)
    return RuleOutcomes(rule, outcomes, int(rows.size), True)


def _vector_outcomes(rule: CheckedRule, compiler: Compiler) -> np.ndarray:
    """Outcome codes per row. Rows whose outcome depends on an undecided comparison are marked
    in ``compiler.undecided``: the ``when`` for every row, an exception's ``when`` for the rows
    that reach it, a requirement for the rows it decides."""
    n = compiler.n
    applies = np.ones(n, dtype=bool)
    undecided = np.zeros(n, dtype=bool)
    for condition in (*rule.scope, *((rule.when,) if rule.when is not None else ())):
        when = compiler.condition(condition)
        # a row already outside an earlier condition does not depend on this one
        undecided |= applies & _rows(when.undecided, n)
        applies &= _rows(when.value & when.known, n)
    outcomes = np.full(n, NOT_APPLICABLE, dtype=np.int8)
    remaining = applies.copy()
    requirements: list[tuple[np.ndarray, ast.Expr]] = []
    for exception in rule.exceptions:  # the first exception that holds decides, as in the scalar
        exc_when = compiler.condition(exception.when)
        undecided |= remaining & _rows(exc_when.undecided, n)
        hit = remaining & _rows(exc_when.value & exc_when.known, n)
        remaining &= ~hit
        if exception.require is not None:
            requirements.append((hit, exception.require))
    requirements.append((remaining, rule.require))
    silent = FAILED if rule.silence == "breach" else NOT_STATED
    for rows, requirement in requirements:
        holds = compiler.condition(requirement)
        undecided |= rows & _rows(holds.undecided, n)
        known = _rows(holds.known, n)
        passed = known & _rows(holds.value, n)
        outcomes[rows & passed] = PASSED
        outcomes[rows & known & ~passed] = FAILED
        outcomes[rows & ~known] = silent
    compiler.undecided = undecided
    return outcomes


def _scalar_outcomes(rule: CheckedRule, snapshot: Any, params: Mapping[str, Any], as_of: _dt.date,
                     rows: np.ndarray, ruleset: Ruleset | None) -> np.ndarray:
    from compliance.evaluate.scalar import Evaluator, evaluate_rule, overall

    codes = {name: code for code, name in enumerate(OUTCOME_NAMES)}
    result = np.empty(rows.size, dtype=np.int8)
    sources = ruleset.sources if ruleset is not None else {}
    for position, row in enumerate(rows):
        evaluator = Evaluator(snapshot.row_document(int(row)), params, as_of, sources)
        result[position] = codes[overall(evaluate_rule(rule, evaluator))]
    return result


@dataclass(frozen=True)
class AssumedColumn:
    """An assumption of the ruleset that a snapshot needed: ``rows`` accounts did not state
    ``column`` and are read with ``value``."""

    assumption: Any          # CheckedAssumption
    column: str
    value: str
    rows: int


def apply_column_assumptions(ruleset: Ruleset, snapshot: Any, params: Mapping[str, Any],
                             as_of: _dt.date) -> tuple[Any, list[AssumedColumn]]:
    """The snapshot as the account rules read it: each column an assumption covers, filled with
    its default where the snapshot does not state it (the column absent, or empty cells)."""
    from compliance.documents.model import Document
    from compliance.evaluate.scalar import Evaluator

    assumed: list[AssumedColumn] = []
    for assumption in ruleset.assumptions:
        if assumption.target != "account" or len(assumption.path) != 1:
            continue
        value = Evaluator(Document("account", "", {}), params, as_of).value(assumption.value, {})
        snapshot, rows = snapshot.with_default(assumption.path[0], value)
        if rows:
            assumed.append(AssumedColumn(assumption, assumption.path[0], value, rows))
    return snapshot, assumed


def evaluate_snapshot(ruleset: Ruleset, snapshot: Any, as_of: _dt.date,
                      params: Mapping[str, Any] | None = None) -> list[RuleOutcomes]:
    """Every account rule of the ruleset over the snapshot (already passed through
    :func:`apply_column_assumptions` by the caller that reports them)."""
    from compliance.evaluate.scalar import params_as_of

    in_force = params if params is not None else params_as_of(ruleset, as_of)
    return [evaluate_rule_columns(rule, snapshot, in_force, as_of, ruleset)
            for rule in ruleset.rules if rule.target == "account"]


Outcomes = Callable[[CheckedRule], np.ndarray]
