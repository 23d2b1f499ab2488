"""The language server's features, called in-process on ruleset texts: diagnostics and quick fixes,
hover, completion, definitions, symbols, formatting and the in-file test lens."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsp_texts import DEMO, cursor, line_of, mark  # noqa: E402

from compliance.commands.schema import snapshot_schema  # noqa: E402
from compliance.documents import models  # noqa: E402
from compliance.dsl import ast  # noqa: E402
from compliance.dsl.checker import OUTCOMES, SEVERITIES, TOPICS  # noqa: E402
from compliance.dsl.formatter import format_ruleset  # noqa: E402
from compliance.dsl.loader import builtin_dir, builtin_names  # noqa: E402
from compliance.evaluate.builtins import REGISTRY  # noqa: E402
from compliance.lsp import completion, edits, hover, lenses, navigation  # noqa: E402
from compliance.lsp.analysis import Analysis, analyse  # noqa: E402
from compliance.lsp.source import Source, path_to_uri  # noqa: E402

ESMA = builtin_dir() / "esma_like.rules"


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return path_to_uri(tmp_path / "demo.rules")


def at(text: str, uri: str) -> tuple[Analysis, int, int]:
    clean, line, character = cursor(text)
    return analyse(clean, uri), line, character


def test_the_demo_ruleset_checks(uri: str) -> None:
    analysis = analyse(DEMO, uri)
    assert analysis.diagnostics == ()
    assert analysis.ruleset is not None and analysis.ruleset.chain == ("demo", "esma_like")


# ---- diagnostics and quick fixes ---------------------------------------------------------------

# (what the rule author meant, what they typed): the diagnostic's quick fix restores the first.
MISTAKES = [
    ("client.category ==", "client.categry =="),
    ("topic leverage_cap", "topic leverage_cp"),
    ("length(c.text)", "lenght(c.text)"),
    ("to ESMA-LEV-1 ", "to ESMA-LEV-11 "),
    ("extends esma_like", "extends esma_lik"),
    ("<= local_cap and", "<= local_cpa and"),
]


@pytest.mark.parametrize("meant, typed", MISTAKES, ids=[typed for _m, typed in MISTAKES])
def test_a_did_you_mean_quick_fix_puts_back_what_was_meant(meant: str, typed: str, uri: str) -> None:
    broken = DEMO.replace(meant, typed, 1)
    analysis = analyse(broken, uri)
    typed_line = broken[:broken.index(typed)].count("\n")
    # A rule that does not check is left out, so tests expecting it are reported too.
    (problem,) = [p for p in edits.diagnostics(analysis) if p.range.start.line == typed_line]
    line = broken.split("\n")[typed_line]
    (action,) = edits.quick_fixes(analysis, uri, [problem])
    (edit,) = action.edit.changes[uri]
    assert line[edit.range.start.character:edit.range.end.character] in typed
    fixed_line = line[:edit.range.start.character] + edit.new_text + line[edit.range.end.character:]
    lines = broken.split("\n")
    lines[edit.range.start.line] = fixed_line
    assert "\n".join(lines) == DEMO
    assert analyse("\n".join(lines), uri).diagnostics == ()


def test_a_syntax_error_is_one_diagnostic_where_the_parser_stopped(uri: str) -> None:
    broken = DEMO.replace("require equity >=", "require equity >= >=")
    (problem,) = edits.diagnostics(analyse(broken, uri))
    line = broken[:broken.index(">= >=")].count("\n")
    assert (problem.range.start.line, problem.range.start.character) == (line, broken.split("\n")[line].rindex(">="))
    assert edits.quick_fixes(analyse(broken, uri), uri, [problem]) == []


def test_an_error_in_every_rule_is_reported_at_once(uri: str) -> None:
    broken = DEMO.replace("client.category", "client.categry").replace("margin_used", "margin_usd")
    lines = {p.range.start.line for p in edits.diagnostics(analyse(broken, uri))}
    assert {broken[:broken.index(w)].count("\n") for w in ("categry", "margin_usd")} <= lines


def test_a_ruleset_extending_a_sibling_file_resolves_it(tmp_path: Path) -> None:
    (tmp_path / "house.rules").write_text(DEMO.replace("ruleset demo", "ruleset house"), encoding="utf-8")
    child = 'ruleset child\n  version "1"\n  extends house\n\noverride let local_cap = 20:1\n'
    analysis = analyse(child, path_to_uri(tmp_path / "child.rules"))
    assert analysis.diagnostics == ()
    assert analysis.ruleset is not None and analysis.ruleset.chain == ("child", "house", "esma_like")


def test_an_extends_cycle_is_reported_on_the_extends_clause(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text('ruleset a\n  version "1"\n  extends b\n', encoding="utf-8")
    analysis = analyse('ruleset b\n  version "1"\n  extends a\n', path_to_uri(tmp_path / "b.rules"))
    (problem,) = edits.diagnostics(analysis)
    assert problem.range.start.line == 2 and "cycle" in problem.message


# ---- hover --------------------------------------------------------------------------------------

def _hover(text: str, uri: str) -> str:
    analysis, line, character = at(text, uri)
    found = hover.hover(analysis, line, character)
    assert found is not None
    return found.contents.value


def test_hover_on_a_rule_id_shows_title_citation_and_exceptions(uri: str) -> None:
    shown = _hover(mark(DEMO, "to ESMA-LEV-1", 5), uri)
    parent = analyse(ESMA.read_text(encoding="utf-8"), path_to_uri(ESMA)).ruleset
    assert parent is not None
    rule = parent.rule("ESMA-LEV-1")
    assert rule is not None
    assert rule.title in shown and rule.citation in shown and rule.topic in shown
    assert "DEMO-LEV-1-GOLD" in shown and "ESMA-CFD-PRO" in shown


def test_hover_shows_a_rules_source_and_confidence_when_it_has_them(uri: str) -> None:
    analysis = analyse(DEMO, uri)
    assert analysis.parsed is not None
    rule = next(i for i in analysis.parsed.items if isinstance(i, ast.Rule))
    more = (ast.Clause("source", "OJ L 136, 1.6.2018", rule.span), ast.Clause("confidence", "verified", rule.span))
    items = tuple(replace(i, clauses=i.clauses + more) if i is rule else i for i in analysis.parsed.items)
    shown = hover.rule_markdown(replace(analysis, parsed=replace(analysis.parsed, items=items)), rule.rule_id)
    assert shown is not None and "OJ L 136, 1.6.2018" in shown and "verified" in shown
    plain = hover.rule_markdown(analysis, rule.rule_id)
    assert plain is not None and "Source" not in plain and "Confidence" not in plain


def test_hover_on_a_parameter_shows_each_dated_value(uri: str) -> None:
    shown = _hover(mark(DEMO, "close_out_level = 55%", 3), uri)
    assert "| 2018-08-01 | `55%` |" in shown and "| 2030-01-01 | `60%` |" in shown
    assert "esma_like" in shown   # what it overrides


@pytest.mark.parametrize("fragment, offset, section, name", [
    ("client.category ==", 8, models.Client, "category"),
    ("client.category ==", 2, models.Contract, "client"),
    ("c.text", 3, models.Clause, "text"),
])
def test_hover_on_a_contract_field_shows_its_description(fragment: str, offset: int, section: type,
                                                          name: str, uri: str) -> None:
    shown = _hover(mark(DEMO, fragment, offset), uri)
    assert section.fields()[name].description in shown


def test_hover_on_an_account_field_shows_the_snapshot_description(uri: str) -> None:
    shown = _hover(mark(DEMO, "equity >=", 1), uri)
    assert snapshot_schema()["properties"]["equity"]["description"] in shown


def test_hover_on_a_loop_variable_shows_its_collection(uri: str) -> None:
    shown = _hover(mark(DEMO, "offered <= local_cap", 2), uri)
    assert models.Contract.fields()["leverage"].description in shown


@pytest.mark.parametrize("name", ["all", "length"])
def test_hover_on_a_call_shows_the_builtin_signature(name: str, uri: str) -> None:
    if name == "all":   # a quantifier is no builtin: nothing to show
        analysis, line, character = at(mark(DEMO, "all(c in", 1), uri)
        assert hover.hover(analysis, line, character) is None
        return
    shown = _hover(mark(DEMO, "length(c.text)", 2), uri)
    assert REGISTRY[name].signature in shown and REGISTRY[name].doc in shown


def test_hover_on_an_exception_shows_what_it_qualifies(uri: str) -> None:
    analysis = analyse(DEMO + "\ndisable ESMA-INC-2 because \"reviewed by hand\"\n", uri)
    line = DEMO.split("\n").index(next(l for l in DEMO.split("\n") if l.startswith("exception")))
    found = hover.hover(analysis, line, len("exception "))
    assert found is not None
    shown = found.contents.value
    assert "Gold has its own cap" in shown and "ESMA-LEV-1" in shown
    assert '`class == "gold"`' in shown and "`offered <= 20:1`" in shown


@pytest.mark.parametrize("fragment, offset, expected", [
    ("extends esma_like", 9, "ESMA product intervention"),
    ("class, offered", 1, "each key of `leverage`"),
])
def test_hover_on_the_extended_ruleset_and_a_map_key(fragment: str, offset: int, expected: str,
                                                     uri: str) -> None:
    assert expected in _hover(mark(DEMO, fragment, offset), uri)


def test_no_hover_on_a_comment_or_blank(uri: str) -> None:
    analysis, line, character = at(mark(DEMO, "\n\nlet local_cap", 1), uri)
    assert hover.hover(analysis, line, character) is None


# ---- completion ---------------------------------------------------------------------------------

def _labels(text: str, uri: str) -> list[str]:
    analysis, line, character = at(text, uri)
    return [item.label for item in completion.complete(analysis, line, character)]


def test_completion_after_a_dot_lists_the_sections_fields(uri: str) -> None:
    text = mark(DEMO.replace("client.category ==", "client. =="), "client. ==", 7)
    assert _labels(text, uri) == list(models.Client.fields())


def test_completion_after_a_loop_variables_dot_lists_the_elements_fields(uri: str) -> None:
    text = mark(DEMO.replace("length(c.text)", "length(c.)"), "c.)", 2)
    assert _labels(text, uri) == list(models.Clause.fields())


@pytest.mark.parametrize("replaced, by, expected", [
    ("topic leverage_cap", "topic ", TOPICS),
    ("severity warning", "severity ", SEVERITIES),
    ("expect DEMO-LEV-1 passed", "expect DEMO-LEV-1 ", OUTCOMES),
    ("extends esma_like", "extends ", tuple(n for n in builtin_names())),
])
def test_completion_of_a_clause_value(replaced: str, by: str, expected: tuple[str, ...], uri: str) -> None:
    text = mark(DEMO.replace(replaced, by, 1), by, len(by))
    assert _labels(text, uri) == list(expected)


def test_completion_after_exception_to_lists_the_rules_of_the_chain(uri: str) -> None:
    text = mark(DEMO.replace("to ESMA-LEV-1 ", "to  "), "to  ", 3)
    labels = _labels(text, uri)
    parent = analyse(ESMA.read_text(encoding="utf-8"), path_to_uri(ESMA)).ruleset
    assert parent is not None
    assert set(labels) == {r.rule_id for r in parent.rules} | {"DEMO-LEV-1", "DEMO-ACC-1"}


def test_completion_in_an_expression_offers_names_builtins_and_fields(uri: str) -> None:
    labels = _labels(mark(DEMO, "offered <= local_cap", 0), uri)
    assert {"class", "offered", "local_cap", "close_out_level", "retail_cap", "as_of"} <= set(labels)
    assert set(REGISTRY) <= set(labels) and set(models.Contract.fields()) <= set(labels)


def test_completion_in_an_account_rule_offers_the_snapshot_fields(uri: str) -> None:
    labels = _labels(mark(DEMO, "equity >= close_out_level", 0), uri)
    assert set(snapshot_schema()["properties"]) <= set(labels)
    assert "leverage" not in labels     # a contract field


def test_completion_at_the_start_of_a_clause_offers_clause_keywords(uri: str) -> None:
    labels = _labels(mark(DEMO, "  severity warning", 2), uri)
    assert set(completion.RULE_CLAUSES) <= set(labels)


def test_no_completion_inside_a_string(uri: str) -> None:
    assert _labels(mark(DEMO, '"House policy, Art. 1"', 7), uri) == []


def test_completion_works_while_the_line_does_not_parse(uri: str) -> None:
    text = DEMO.replace("  when client.category", "  when client.\n  when client.category")
    analysis, line, character = at(mark(text, "client.\n", 7), uri)
    assert analysis.parsed is None
    assert [i.label for i in completion.complete(analysis, line, character)] == list(models.Client.fields())


# ---- definitions and symbols ---------------------------------------------------------------------

@pytest.mark.parametrize("fragment, offset, in_parent, start", [
    ("to ESMA-LEV-1", 5, True, "rule ESMA-LEV-1 "),
    ("close_out_level = 55%", 2, True, "let close_out_level "),     # an override: what it overrides
    ("close_out_level * margin_used", 2, False, "override let close_out_level"),
])
def test_go_to_definition_across_extends(fragment: str, offset: int, in_parent: bool, start: str,
                                         uri: str) -> None:
    analysis, line, character = at(mark(DEMO, fragment, offset), uri)
    first = navigation.definition(analysis, line, character)[0]
    if in_parent:
        assert (first.uri, first.range.start.line) == (path_to_uri(ESMA), line_of(ESMA, start))
    else:
        own = next(i for i, text in enumerate(DEMO.split("\n")) if text.startswith(start))
        assert (first.uri, first.range.start.line) == (uri, own)


def test_go_to_definition_of_an_own_rule_and_of_the_extended_file(uri: str) -> None:
    analysis, line, character = at(mark(DEMO, "expect DEMO-LEV-1 failed", 9), uri)
    (location,) = navigation.definition(analysis, line, character)
    assert location.uri == uri and location.range.start.line == DEMO.split("\n").index(
        'rule DEMO-LEV-1 "Major FX capped at the house cap"')
    analysis, line, character = at(mark(DEMO, "extends esma_like", 10), uri)
    (location,) = navigation.definition(analysis, line, character)
    assert location.uri == path_to_uri(ESMA) and location.range.start.line == 0


def test_document_symbols_outline_the_file(uri: str) -> None:
    (root,) = navigation.symbols(analyse(DEMO, uri))
    assert root.name == "demo"
    assert [(s.name, s.kind.name) for s in root.children or []] == [
        ("close_out_level", "Constant"), ("local_cap", "Constant"), ("DEMO-LEV-1", "Function"),
        ("DEMO-ACC-1", "Function"), ("DEMO-LEV-1-GOLD", "Event"), ("fifty to one fails", "Method"),
        ("thirty to one passes", "Method")]
    lines = DEMO.split("\n")
    for symbol in root.children or []:
        assert symbol.name in lines[symbol.selection_range.start.line]


# ---- formatting ---------------------------------------------------------------------------------

def test_formatting_rewrites_the_file_in_the_canonical_layout(uri: str) -> None:
    messy = DEMO.replace("  topic leverage_cap", "      topic   leverage_cap").replace("30:1\n", "60:2\n", 1)
    (edit,) = edits.formatting(analyse(messy, uri)) or []
    assert edit.new_text == format_ruleset(messy, "demo.rules") != messy
    assert edit.range.start.line == 0 and edit.range.end.line == messy.count("\n")
    assert edits.formatting(analyse(edit.new_text, uri)) == []


def test_formatting_refuses_a_file_with_errors(uri: str) -> None:
    assert edits.formatting(analyse(DEMO.replace("client.category", "client.categry"), uri)) is None
    assert edits.formatting(analyse(DEMO + "\nrule", uri)) is None


# ---- in-file tests as code lenses ------------------------------------------------------------------

def test_code_lenses_run_the_files_tests(uri: str) -> None:
    analysis = analyse(DEMO.replace("expect DEMO-LEV-1 passed", "expect DEMO-LEV-1 failed"), uri)
    found = lenses.code_lenses(analysis)
    assert [lens.command.title for lens in found if lens.command] == ["Run all 2 tests", "Run test", "Run test"]
    outcome = lenses.run_tests(analysis)
    assert (outcome.passed, outcome.failed) == (1, 1)
    assert outcome.results == {"fifty to one fails": True, "thirty to one passes": False}
    titles = [lens.command.title for lens in lenses.code_lenses(analysis, outcome.results) if lens.command]
    assert titles[1:] == ["PASS · run again", "FAIL · run again"]
    one = lenses.run_tests(analysis, "fifty to one fails")
    assert (one.passed, one.failed) == (1, 0)


def test_tests_do_not_run_in_a_file_with_errors(uri: str) -> None:
    analysis = analyse(DEMO.replace("client.category", "client.categry"), uri)
    outcome = lenses.run_tests(analysis)
    assert (outcome.passed, outcome.failed, outcome.results) == (0, 0, {})
    assert len(outcome.problems) == len(analysis.diagnostics) > 0


# ---- positions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("before", ["", "保本 ", "😀 ", "a😀b保 "])
def test_positions_count_utf16_units_as_lsp_does(before: str) -> None:
    line = f'  message "{before}"  # x.y'
    source = Source("file:///x.rules", "ruleset x\n" + line)
    index = line.index("x.y")
    position = source.position(1, index)
    assert position.character == len(line[:index].encode("utf-16-le")) // 2
    assert source.character(position) == index
