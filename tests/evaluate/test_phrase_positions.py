"""A finding about a phrase inside a text points at the phrase itself (line and column in the
file), in plain, quoted and block scalars and in a list of texts, not at the key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance.documents.contract import load_contract
from compliance.dsl.loader import load_ruleset_text
from compliance.evaluate.scalar import evaluate_document

RULES = '''ruleset phrases
  version "1"

let bonus = ["welcome bonus", "赠金"]

rule P-1 "No bonus wording"
  topic incentives
  severity error
  citation "t"
  for each clause in clauses
  require not mentions([clause.title, clause.text], bonus)
'''


@pytest.mark.parametrize("marketing, line, column", [
    # plain scalar on the key's line
    ('  - {id: a, text: "Trade now with a welcome bonus."}\n', 7, 37),
    # folded block scalar: the phrase on its second line
    ("  - id: a\n    text: >-\n      Open an account today and receive\n      a welcome bonus on your deposit.\n", 10, 9),
    # literal block scalar in Chinese
    ("  - id: a\n    text: |\n      开户即送\n      100元赠金\n", 10, 11),
    # the title, the first text of the list
    ('  - {id: a, title: "Welcome bonus!", text: "Trade."}\n', 7, 21),
])
def test_the_finding_points_at_the_phrase(tmp_path: Path, marketing: str, line: int, column: int) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("kind: contract\nid: C\nproduct: {type: cfd}\nclient: {category: retail}\n"
                    "title: Agreement\nclauses:\n" + marketing, encoding="utf-8")
    ruleset = load_ruleset_text(RULES, "phrases.rules")
    [result] = [r for r in evaluate_document(ruleset, load_contract(str(path)), dt.date(2026, 1, 1))
                if r.rule.rule_id == "P-1"]
    assert result.outcome == "failed"
    assert (result.position.line, result.position.column) == (line, column)
    source_line = path.read_text(encoding="utf-8").split("\n")[line - 1]
    assert source_line[column - 1:].lower().startswith(("welcome", "赠金"))
