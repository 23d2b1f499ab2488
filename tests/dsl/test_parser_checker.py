"""Valid and invalid ruleset programs: each invalid one names its exact message, line and column,
and is an InputError (exit code 2)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from compliance.dsl.loader import MAX_EXTENDS_DEPTH, load_ruleset, load_ruleset_text
from compliance.dsl.parser import (
    MAX_NESTING,
    MAX_SOURCE_BYTES,
    parse_expression,
    parse_ruleset,
)
from compliance.errors import InputError

HEADER = 'ruleset demo\n  version "1"\n\n'   # lines 1-3; a rule made by rule() starts on line 4


def rule(body: str, before: str = "", after: str = "") -> str:
    """A rule DEMO-1 with topic, severity and citation on lines 5-7; ``body`` starts on line 8."""
    return (HEADER + before + 'rule DEMO-1 "A rule"\n  topic leverage_cap\n  severity error\n'
            '  citation "Art. 2"\n' + body + "\n" + after)


TEST_OF_DEMO = 'test "t"\n  given contract {kind: "contract"}\n'

VALID = {
    "minimal": rule("  require true"),
    "field path": rule("  require leverage.fx_major <= 30:1"),
    "optional field with exists": rule("  require exists margin.close_out_level and margin.close_out_level >= 50%"),
    "for each over a map": rule("  for each class, offered in leverage\n  require offered <= 30:1"),
    "dated parameter": rule("  require margin.close_out_level >= level", before="let level = 50% from 2018-08-01, 40% from 2030-01-01\n\n"),
    "margin converted": rule("  require leverage_of(initial_margin.fx_major) <= 30:1"),
    "money same currency": rule("  require EUR 5 < EUR 6"),
    "exception": rule("  require true", after='exception DEMO-1-PRO to DEMO-1 "Professionals"\n  when client.category == "professional"\n'),
    "account rule": rule("  applies to account\n  require equity >= 0"),
    "in-file test": rule("  require true", after=TEST_OF_DEMO + "  expect DEMO-1 passed\n"),
    "comments": "# top\n" + rule("  require true  # trailing"),
    "quantifier": rule('  require not any(c in clauses: mentions(c.text, ["guaranteed"]))'),
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_programs_check(text: str) -> None:
    ruleset = load_ruleset_text(text, "demo.rules")
    assert ruleset.rule("DEMO-1") is not None


# (program, message or distinctive part of it, line, column)
INVALID = {
    "missing string after rule id": (
        HEADER + 'rule DEMO-1\n  topic leverage_cap\n', "unexpected 'topic'; expected a quoted string", 5, 3),
    "unclosed bracket": (
        rule("  require leverage.fx_major <= [30:1"), "unexpected the end of the file; expected ',', ']'", 9, 1),
    "bad token": (rule("  require leverage.fx_major <= 30:1 $"), "unexpected character '$'", 8, 37),
    "unknown topic with did-you-mean": (
        HEADER + 'rule DEMO-1 "t"\n  topic leverage_cp\n  severity error\n  citation "c"\n  require true\n',
        "unknown topic 'leverage_cp' (did you mean 'leverage_cap'?); topics are: leverage_cap,", 5, 3),
    "unknown severity": (
        HEADER + 'rule DEMO-1 "t"\n  topic leverage_cap\n  severity fatal\n  citation "c"\n  require true\n',
        "unknown severity 'fatal'; use error, warning or info", 6, 3),
    "duplicate rule id": (
        rule("  require true", after='rule DEMO-1 "again"\n  topic leverage_cap\n  severity error\n'
             '  citation "c"\n  require true\n'), "rule id DEMO-1 is defined twice", 9, 1),
    "misspelt document root": (
        rule("  require levrage.fx_major <= 30:1"), "unknown name or field 'levrage' (did you mean 'leverage'?)", 8, 11),
    "misspelt field": (
        rule('  require client.categry == "retail"'), "unknown field 'client.categry' (did you mean 'category'?)", 8, 11),
    "undefined parameter": (
        rule("  require leverage.fx_major <= retail_capp"), "unknown name or field 'retail_capp'", 8, 32),
    "EUR against USD": (rule("  require EUR 5 < USD 6"), "cannot compare money (EUR) with money (USD)", 8, 11),
    "percent against money": (rule("  require 5% < EUR 6"), "cannot compare percent with money (EUR)", 8, 11),
    "percent against leverage": (
        rule("  require initial_margin.fx_major < 30:1"),
        "cannot compare percent with leverage; convert with margin_of() or leverage_of()", 8, 11),
    "and on numbers": (rule("  require 1 and true"), "'and' needs true/false on both sides, not number", 8, 11),
    "when not boolean": (rule("  when 5%\n  require true"), "'when' needs a true/false condition, not percent", 8, 8),
    "no require": (rule(""), "rule DEMO-1 has no 'require' clause", 4, 1),
    "no topic": (HEADER + 'rule DEMO-1 "t"\n  severity error\n  citation "c"\n  require true\n',
                 "rule DEMO-1 has no 'topic' clause", 4, 1),
    "no citation": (HEADER + 'rule DEMO-1 "t"\n  topic leverage_cap\n  severity error\n  require true\n',
                    "rule DEMO-1 has no 'citation' clause", 4, 1),
    "exception to an unknown rule": (
        rule("  require true", after='exception DEMO-1-X to DEMO-2 "x"\n  when true\n'),
        "exception DEMO-1-X names an unknown rule DEMO-2 (did you mean 'DEMO-1'?)", 9, 1),
    "disable an unknown rule": (
        rule("  require true", after='disable DEMO-9 because "not here"\n'),
        "cannot disable DEMO-9: no rule of that id (did you mean 'DEMO-1'?)", 9, 1),
    "override let of an unknown parameter": (
        rule("  require true", before="override let foo = 5\n\n"),
        "override let foo: no parameter of that name in the rulesets this one extends", 4, 1),
    "account rule using mentions()": (
        rule('  applies to account\n  require mentions("a", ["b"])'),
        "mentions() cannot be used in an account rule", 9, 11),
    "test expecting an unknown rule": (
        rule("  require true", after=TEST_OF_DEMO + "  expect DEMO-2 failed\n"),
        "test expects an unknown rule DEMO-2 (did you mean 'DEMO-1'?)", 11, 3),
    "test expecting an unknown outcome": (
        rule("  require true", after=TEST_OF_DEMO + "  expect DEMO-1 broken\n"),
        "unknown outcome 'broken'; use failed, not_stated, passed or not_applicable", 11, 3),
    "test document with an unknown field": (
        rule("  require true", after='test "t"\n  given contract {kind: "contract", clent: {category: "retail"}}\n'
             "  expect DEMO-1 passed\n"), "unknown field 'contract.clent' (did you mean 'client'?)", 10, 44),
    "nesting deeper than MAX_NESTING": (
        rule("  require " + "(" * (MAX_NESTING + 1) + "true" + ")" * (MAX_NESTING + 1)),
        f"expressions nest deeper than {MAX_NESTING} levels", 8, 11 + MAX_NESTING),
    "too large a file": (HEADER + "# " + "x" * MAX_SOURCE_BYTES + "\n",
                         f"ruleset file is larger than {MAX_SOURCE_BYTES} bytes", 1, 1),
}


def _diagnostics(text: str, path: str = "demo.rules") -> list:
    with pytest.raises(InputError) as caught:
        load_ruleset_text(text, path)
    assert caught.value.diagnostics, "an InputError always carries its diagnostics"
    return caught.value.diagnostics


@pytest.mark.parametrize("text, message, line, column", INVALID.values(), ids=INVALID.keys())
def test_invalid_programs_are_input_errors(text: str, message: str, line: int, column: int) -> None:
    first = _diagnostics(text)[0]
    assert message in first.message
    assert (first.path, first.line, first.column) == ("demo.rules", line, column)
    assert first.render().startswith(f"demo.rules:{line}:{column}: error: ")


def test_every_problem_is_reported_at_once() -> None:
    text = rule("  require 1 and 2", after='disable DEMO-9 because "x"\n')
    messages = [d.message for d in _diagnostics(text)]
    assert len(messages) == 3  # both sides of 'and', and the unknown rule to disable


def test_plain_let_cannot_redefine_a_parent_parameter(tmp_path: Path) -> None:
    (tmp_path / "base.rules").write_text('ruleset base\n  version "1"\n\nlet cap = 30:1\n', encoding="utf-8")
    (tmp_path / "child.rules").write_text('ruleset child\n  version "1"\n  extends base\n\nlet cap = 20:1\n',
                                          encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "child.rules"))
    first = caught.value.diagnostics[0]
    assert "parameter cap is already defined in base; write 'override let cap = ...' to change it" in first.message
    assert (first.line, first.column) == (5, 1)


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text('ruleset a\n  version "1"\n  extends b\n', encoding="utf-8")
    (tmp_path / "b.rules").write_text('ruleset b\n  version "1"\n  extends a\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "a.rules"))
    assert "extends cycle: a -> b -> a" in caught.value.diagnostics[0].message


def test_unknown_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text('ruleset a\n  version "1"\n  extends nowhere_like\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "a.rules"))
    first = caught.value.diagnostics[0]
    assert "unknown ruleset 'nowhere_like'" in first.message
    assert (first.line, first.column) == (3, 3)


def test_extends_chain_longer_than_the_limit(tmp_path: Path) -> None:
    for index in range(MAX_EXTENDS_DEPTH + 1):
        parent = f"  extends r{index + 1}\n" if index < MAX_EXTENDS_DEPTH else ""
        (tmp_path / f"r{index}.rules").write_text(f'ruleset r{index}\n  version "1"\n{parent}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ruleset(str(tmp_path / "r0.rules"))
    assert f"extends chain longer than {MAX_EXTENDS_DEPTH} rulesets" in caught.value.diagnostics[0].message


def test_bad_regular_expression_in_matches() -> None:
    first = _diagnostics(rule('  require not matches("abc", "(a")'))[0]
    assert first.message.startswith("regular expression: ") and first.message.endswith("(RE2 syntax)")
    assert (first.line, first.column) == (8, 30)


def test_a_pattern_over_the_length_limit_is_refused_where_it_is_written() -> None:
    from compliance.dsl.patterns import MAX_PATTERN_LENGTH

    first = _diagnostics(rule(f'  require not matches("abc", "{"a" * (MAX_PATTERN_LENGTH + 1)}")'))[0]
    assert f"the limit is {MAX_PATTERN_LENGTH}" in first.message and (first.line, first.column) == (8, 30)


def test_parse_expression_reports_its_position() -> None:
    with pytest.raises(InputError) as caught:
        parse_expression("a and (b or", "<expr>")
    first = caught.value.diagnostics[0]
    assert (first.line, first.column) == (1, 12)
    assert "end of the file" in first.message


def test_comments_are_kept_with_line_and_column() -> None:
    parsed = parse_ruleset('# head\nruleset demo  # name\n  version "a # not a comment"\n', "x.rules")
    assert [(c.text, c.line, c.column) for c in parsed.comments] == [("# head", 1, 1), ("# name", 2, 15)]


def test_brackets_in_comments_do_not_count_as_nesting() -> None:
    text = rule("  require true", before="".join(f"# note {i} (see below\n" for i in range(MAX_NESTING + 1)))
    load_ruleset_text(text, "demo.rules")


# ---- depth and size limits: a long chain is an InputError at its place, never a RecursionError

def test_an_attribute_chain_deeper_than_the_limit_is_refused_where_it_gets_too_deep() -> None:
    from compliance.dsl.parser import MAX_EXPRESSION_DEPTH

    with pytest.raises(InputError) as caught:
        parse_ruleset(rule("  require product" + ".type" * 1000 + " == 1"), "demo.rules")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.line == 8
    assert f"nests too deeply: more than {MAX_EXPRESSION_DEPTH} levels" in diagnostic.message


def test_a_long_chain_of_and_is_refused_but_one_below_the_limit_is_read() -> None:
    load_ruleset_text(rule("  require true" + " and true" * 90), "demo.rules")
    with pytest.raises(InputError, match="nests too deeply"):
        load_ruleset_text(rule("  require true" + " and true" * 200), "demo.rules")


def test_parse_expression_has_the_ruleset_limits() -> None:
    with pytest.raises(InputError, match="nests too deeply"):
        parse_expression("a" + "[1]" * 500)
    with pytest.raises(InputError, match=f"larger than {MAX_SOURCE_BYTES} bytes"):
        parse_expression("a" + " or a" * (MAX_SOURCE_BYTES // 5))


def test_a_message_hole_too_deep_is_refused_at_the_message() -> None:
    with pytest.raises(InputError) as caught:
        parse_ruleset(rule('  require true\n  message "{a' + ".b" * 500 + '}"'), "demo.rules")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (9, 11)
    assert "an expression in a message nests too deeply" in diagnostic.message


def test_a_duration_of_thousands_of_digits_is_an_input_error() -> None:
    with pytest.raises(InputError, match="a duration has at most 6 digits") as caught:
        parse_ruleset(rule("  require 1 days < " + "9" * 4400 + " days"), "demo.rules")
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (8, 20)
