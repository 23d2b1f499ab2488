"""The encoding agrees with the scalar evaluator: for random small rules of the fragment and random
concrete documents, the outcome the solver assigns to the document is the evaluator's."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

z3 = pytest.importorskip("z3")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from compliance.analysis.common import new_document, params  # noqa: E402
from compliance.analysis.encode import encode_rule  # noqa: E402
from compliance.analysis.witness import dsl_value  # noqa: E402
from compliance.documents.model import Document  # noqa: E402
from compliance.dsl.loader import load_ruleset_text  # noqa: E402
from compliance.dsl.units import Leverage, Money, Percent  # noqa: E402
from compliance.evaluate.scalar import evaluate_document, overall  # noqa: E402

AS_OF = dt.date(2026, 1, 1)
OUTCOMES = ("failed", "passed", "not_applicable", "not_stated")

# field path -> (strategy of values, constants to compare with)
FIELDS = {
    ("margin", "close_out_level"): (st.sampled_from([0, 25, 40, 50, 55, 100]).map(lambda p: Percent(Decimal(p) / 100)),
                                    ["40%", "50%", "60%"]),
    ("leverage", "fx_major"): (st.sampled_from(["1", "20", "30", "30.03", "50"]).map(lambda t: Leverage(Decimal(t))),
                               ["30:1", "20:1", "leverage_of(3.33%)"]),
    ("client", "category"): (st.sampled_from(["retail", "professional", "eligible_counterparty"]),
                             ['"retail"', '"professional"']),
    ("negative_balance_protection",): (st.booleans(), ["true", "false"]),
    ("minimum_equity",): (st.sampled_from([0, 100, 2000, -5]).map(lambda a: Money(Decimal(a), "EUR")),
                          ["EUR 2000", "0"]),
    ("effective_date",): (st.sampled_from([dt.date(2020, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 5, 1)]),
                          ["2026-01-01", "as_of"]),
}
PATHS = list(FIELDS)


def _atom():
    def build(path, op, index, kind):
        name = ".".join(path)
        constants = FIELDS[path][1]
        if kind == "exists":
            return f"exists {name}"
        if kind == "missing":
            return f"missing {name}"
        constant = constants[index % len(constants)]
        if path == ("client", "category") and op not in ("==", "!="):
            return f'{name} in ["retail", "professional"]'
        if path == ("negative_balance_protection",) and op not in ("==", "!="):
            op = "=="
        return f"{name} {op} {constant}"
    return st.builds(build, st.sampled_from(PATHS), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
                     st.integers(0, 5), st.sampled_from(["compare", "compare", "exists", "missing"]))


def _expr(depth=2):
    if depth == 0:
        return _atom()
    smaller = _expr(depth - 1)
    return st.one_of(_atom(), st.builds(lambda a, b: f"({a} and {b})", smaller, smaller),
                     st.builds(lambda a, b: f"({a} or {b})", smaller, smaller),
                     st.builds(lambda a: f"not ({a})", smaller))


def _ruleset(when, require, exception_when, exception_require):
    text = ['ruleset prop\n  version "1"\n',
            'rule P-1 "random"\n  topic leverage_cap\n  severity error\n  citation "x"\n']
    if when:
        text.append(f"  when {when}\n")
    text.append(f"  require {require}\n")
    if exception_when:
        text.append(f'\nexception P-1-X to P-1 "x"\n  when {exception_when}\n')
        if exception_require:
            text.append(f"  require {exception_require}\n")
    return load_ruleset_text("".join(text), "prop.rules")


def _document(values):
    data = {"kind": "contract", "id": "t"}
    for path, value in values.items():
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return Document("contract", "t", data)


def _solver_outcome(ruleset, document):
    rule = ruleset.rules[0]
    symbolic = new_document("contract", [ruleset])
    encoded = encode_rule(rule, symbolic, params(ruleset, AS_OF), AS_OF)
    solver = z3.Solver()
    solver.add(symbolic.all_constraints())
    for path, variable in symbolic.presence.items():
        node = document.data
        present = True
        for key in path:
            if not isinstance(node, dict) or key not in node:
                present = False
                break
            node = node[key]
        solver.add(variable == present)
    for path, (_field, sym) in symbolic.leaves.items():
        node = document.data
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            continue
        literal = load_ruleset_text(f'ruleset v\n  version "1"\n\nlet v = {dsl_value(node)}\n', "v.rules")
        from compliance.analysis.symbolic import lift
        lifted = lift(params(literal, AS_OF)["v"], symbolic.strings)
        solver.add(sym.value == lifted.value)
        if sym.currency is not None:
            solver.add(sym.currency == lifted.currency)
    found = [o for o in OUTCOMES if solver.check(encoded.outcomes.of(o)) == z3.sat]
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=st.one_of(st.none(), _expr(1)), require=_expr(2),
       exception_when=st.one_of(st.none(), _expr(1)), exception_require=st.one_of(st.none(), _expr(1)),
       values=st.fixed_dictionaries({}, optional={p: FIELDS[p][0] for p in PATHS}))
def test_solver_and_evaluator_agree(when, require, exception_when, exception_require, values):
    ruleset = _ruleset(when, require, exception_when, exception_require)
    document = _document(values)
    expected = overall(evaluate_document(ruleset, document, AS_OF))
    assert _solver_outcome(ruleset, document) == [expected]
