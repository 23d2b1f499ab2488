"""Texts in the encoding: rules that read prose are tabulated over the texts of the in-file tests.
On a document whose texts are absent or come from those tests the solver gives exactly the
evaluator's outcome; on any other text the evaluator's outcome is among those the solver allows
(the over-approximation that keeps proofs sound)."""
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
from compliance.dsl.units import Percent  # noqa: E402
from compliance.evaluate.scalar import evaluate_document, overall  # noqa: E402

AS_OF = dt.date(2026, 1, 1)
CORPUS_CLAUSES = [
    [{"id": "c1", "text": "Positions are closed out at 50% of the initial margin."}],
    [{"id": "c1", "text": "We close out at 30% margin."}, {"id": "c2", "text": "Negative balance protection applies."}],
    [{"id": "c1", "text": "Nothing about it."}],
]
OTHER_CLAUSES = [[{"id": "x", "text": "Close out when equity is 80% of margin."}], [],
                 [{"id": "x", "text": "negative balance protection, close out at 10%"}]]
CORPUS_WARNINGS = ["72% of retail investor accounts lose money.", "Trading is risky."]
OTHER_WARNINGS = ["68% of accounts lose money", "", "You may lose money: 72%"]

RULES = {
    "close-out level from the key or the text": (
        'either(margin.close_out_level, percentage_near(pluck(clauses, "text"), ["close out", "closed out"])) >= 50%'),
    "negative balance protection from the key or the text": (
        'either(negative_balance_protection, says(pluck(clauses, "text"), ["negative balance protection"])) == true'),
    "the loss percentage in the warning": (
        "disclosures.risk_warning.loss_percentage in percentages_in(disclosures.risk_warning.text)"),
    "the warning mentions losing money": 'mentions(disclosures.risk_warning.text, ["lose money"])',
    "a clause with an id": 'any(clause in clauses: clause.id == "c2")',
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _clauses(clauses) -> str:
    return "[" + ", ".join("{" + f'id: {_quote(c["id"])}, text: {_quote(c["text"])}' + "}" for c in clauses) + "]"


def _ruleset(require: str, silence: str | None):
    tests = "".join(
        f'\ntest "corpus {n}"\n  given contract {{kind: "contract", id: "t", clauses: {_clauses(clauses)}, '
        f'disclosures: {{risk_warning: {{text: {_quote(warning)}}}}}}}\n  expect P-1 passed\n'
        for n, (clauses, warning) in enumerate(zip(CORPUS_CLAUSES, CORPUS_WARNINGS + CORPUS_WARNINGS)))
    text = ('ruleset prop\n  version "1"\n\nrule P-1 "texts"\n  topic risk_warning\n  severity error\n'
            f'  citation "x"\n  require {require}\n' + (f'  silence {silence} "why"\n' if silence else "") + tests)
    # the tests only give the corpus; whether they pass does not matter here
    return load_ruleset_text(text, "prop.rules")


def evaluator_outcome(ruleset, document: Document) -> str:
    return overall(evaluate_document(ruleset, document, AS_OF))


def _document(values) -> Document:
    data = {"kind": "contract", "id": "t"}
    for key, value in values.items():
        if key == "warning":
            data.setdefault("disclosures", {})["risk_warning"] = {"text": value}
        elif key == "loss":
            data.setdefault("disclosures", {}).setdefault("risk_warning", {})["loss_percentage"] = value
        elif key == "level":
            data["margin"] = {"close_out_level": value}
        else:
            data[key] = value
    return Document("contract", "t", data)


def _solver_outcomes(ruleset, document: Document) -> tuple[list[str], bool]:
    """The outcomes the encoding allows on this document, and whether its texts are all absent
    or corpus entries (where the encoding must be exact)."""
    symbolic = new_document("contract", [ruleset])
    encoded = encode(ruleset, ruleset.rules[0], symbolic, AS_OF)
    solver = z3.Solver()
    solver.add(symbolic.all_constraints())
    exact = pin(solver, symbolic, document.data)
    return outcomes(solver, encoded), exact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=st.sampled_from(list(RULES)), silence=st.sampled_from([None, "breach"]),
       values=st.fixed_dictionaries({}, optional={
           "clauses": st.sampled_from(CORPUS_CLAUSES + OTHER_CLAUSES),
           "warning": st.sampled_from(CORPUS_WARNINGS + OTHER_WARNINGS),
           "loss": st.sampled_from([Percent(Decimal("0.72")), Percent(Decimal("0.68"))]),
           "level": st.sampled_from([Percent(Decimal("0.4")), Percent(Decimal("0.5"))]),
           "negative_balance_protection": st.booleans()}))
def test_texts_are_exact_on_the_corpus_and_over_approximated_elsewhere(rule, silence, values):
    ruleset = _ruleset(RULES[rule], silence)
    document = _document(values)
    expected = evaluator_outcome(ruleset, document)
    allowed, exact = _solver_outcomes(ruleset, document)
    assert expected in allowed
    if exact:
        assert allowed == [expected]


def test_a_text_rule_is_tabulated_not_left_out():
    ruleset = _ruleset(RULES["negative balance protection from the key or the text"], None)
    encoded = encode(ruleset, ruleset.rules[0], new_document("contract", [ruleset]), AS_OF)
    assert not encoded.exact and "says()" in encoded.not_exact_reason
