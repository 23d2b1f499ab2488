"""The encoding agrees with the scalar evaluator: for random small rulesets of the fragment and
random concrete documents, the outcome the solver assigns to the document is the evaluator's.

The rulesets have what the evaluator's semantics have: a section whose condition comes before the
rule's own `when` (and an exception to the whole section), an assumption that fills a field the
document does not state, a silence clause (not stated, or a breach), `either()`, `stated()`,
calendar months on a document date, and an exception with its own requirement.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

z3 = pytest.importorskip("z3")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from pinning import outcomes, pin  # noqa: E402

from compliance.analysis.common import encode, new_document  # noqa: E402
from compliance.documents.model import Document  # noqa: E402
from compliance.dsl.loader import load_ruleset_text  # noqa: E402
from compliance.dsl.units import Leverage, Money, Percent  # noqa: E402
from compliance.evaluate.scalar import evaluate_document, overall  # noqa: E402

AS_OF = dt.date(2026, 1, 1)

# field path -> (strategy of values, constants to compare with)
FIELDS = {
    ("margin", "close_out_level"): (st.sampled_from([0, 25, 40, 50, 55, 100]).map(lambda p: Percent(Decimal(p) / 100)),
                                    ["40%", "50%", "60%"]),
    ("leverage", "fx_major"): (st.sampled_from(["1", "20", "30", "30.03", "50"]).map(lambda t: Leverage(Decimal(t))),
                               ["30:1", "20:1", "leverage_of(3.33%)"]),
    ("client", "category"): (st.sampled_from(["retail", "professional", "eligible_counterparty"]),
                             ['"retail"', '"professional"']),
    ("product", "type"): (st.sampled_from(["cfd", "spread_bet", "margin_loan"]), ['"cfd"', '"margin_loan"']),
    ("negative_balance_protection",): (st.booleans(), ["true", "false"]),
    ("minimum_equity",): (st.sampled_from([0, 100, 2000, -5]).map(lambda a: Money(Decimal(a), "EUR")),
                          ["EUR 2000", "0"]),
    ("effective_date",): (st.sampled_from([dt.date(2020, 1, 1), dt.date(2025, 11, 30), dt.date(2025, 12, 1),
                                           dt.date(2026, 1, 1), dt.date(2027, 5, 1)]),
                          ["2026-01-01", "as_of"]),
}
PATHS = list(FIELDS)
# Atoms that are more than a field against a constant: stated(), either(), calendar months.
SPECIAL = [
    "stated(leverage.fx_major)",
    "stated(margin.close_out_level) or stated(leverage.fx_major)",
    "either(margin.close_out_level, 45%) >= 50%",
    'either(client.category, "professional") == "retail"',
    "either(leverage.fx_major, 25:1) <= 30:1",
    "effective_date + 1 month > as_of",
    "effective_date - 1 year <= 2025-01-01",
    'product.type in ["cfd", "spread_bet"]',
]
ASSUMPTIONS = [None, ("client.category", '"retail"'), ("product.type", '"cfd"'),
               ("margin.close_out_level", "50%")]


def _atom():
    def build(path, op, index, kind, special):
        if kind == "special":
            return SPECIAL[special % len(SPECIAL)]
        name = ".".join(path)
        constants = FIELDS[path][1]
        if kind == "exists":
            return f"exists {name}"
        if kind == "missing":
            return f"missing {name}"
        constant = constants[index % len(constants)]
        if path in (("client", "category"), ("product", "type")) and op not in ("==", "!="):
            return f'{name} in ["retail", "professional", "cfd"]'
        if path == ("negative_balance_protection",) and op not in ("==", "!="):
            op = "=="
        return f"{name} {op} {constant}"
    return st.builds(build, st.sampled_from(PATHS), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
                     st.integers(0, 5), st.sampled_from(["compare", "compare", "exists", "missing", "special"]),
                     st.integers(0, len(SPECIAL) - 1))


def _expr(depth=2):
    if depth == 0:
        return _atom()
    smaller = _expr(depth - 1)
    return st.one_of(_atom(), st.builds(lambda a, b: f"({a} and {b})", smaller, smaller),
                     st.builds(lambda a, b: f"({a} or {b})", smaller, smaller),
                     st.builds(lambda a: f"not ({a})", smaller))


RULESETS = st.fixed_dictionaries({
    "section_when": st.one_of(st.none(), _expr(1)),
    "section_exception": st.one_of(st.none(), _expr(0)),
    "when": st.one_of(st.none(), _expr(1)),
    "require": _expr(2),
    "silence": st.sampled_from([None, "warning", "info", "breach"]),
    "exception_when": st.one_of(st.none(), _expr(1)),
    "exception_require": st.one_of(st.none(), _expr(1)),
    "assumption": st.sampled_from(ASSUMPTIONS),
})


def ruleset_text(spec) -> str:
    text = ['ruleset prop\n  version "1"\n\n']
    if spec["assumption"] is not None:
        field, value = spec["assumption"]
        text.append(f'assume P-A "read as"\n  applies to contract\n  set {field} = {value}\n\n')
    if spec["section_when"] is not None:
        text.append(f'section s "a section"\n  applies to contract\n  when {spec["section_when"]}\n\n')
        if spec["section_exception"] is not None:
            text.append(f'exception P-S to section s "out of the section"\n  when {spec["section_exception"]}\n\n')
    text.append('rule P-1 "random"\n  topic leverage_cap\n  severity error\n  citation "x"\n')
    if spec["when"]:
        text.append(f"  when {spec['when']}\n")
    text.append(f"  require {spec['require']}\n")
    if spec["silence"] is not None:
        text.append(f'  silence {spec["silence"]} "the reason"\n')
    if spec["exception_when"]:
        text.append(f'\nexception P-1-X to P-1 "x"\n  when {spec["exception_when"]}\n')
        if spec["exception_require"]:
            text.append(f"  require {spec['exception_require']}\n")
    return "".join(text)


def _document(values):
    data = {"kind": "contract", "id": "t"}
    for path, value in values.items():
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return Document("contract", "t", data)


def solver_outcomes(ruleset, document) -> list[str]:
    """The outcomes the encoding allows on exactly this document (its fields pinned)."""
    symbolic = new_document("contract", [ruleset])
    encoded = encode(ruleset, ruleset.rules[0], symbolic, AS_OF)
    solver = z3.Solver()
    solver.add(symbolic.all_constraints())
    pin(solver, symbolic, document.data)
    return outcomes(solver, encoded)


def evaluator_outcome(ruleset, document) -> str:
    return overall([r for r in evaluate_document(ruleset, document, AS_OF) if r.rule.rule_id == "P-1"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=RULESETS, values=st.fixed_dictionaries({}, optional={p: FIELDS[p][0] for p in PATHS}))
def test_solver_and_evaluator_agree(spec, values):
    ruleset = load_ruleset_text(ruleset_text(spec), "prop.rules")
    document = _document(values)
    assert solver_outcomes(ruleset, document) == [evaluator_outcome(ruleset, document)]
