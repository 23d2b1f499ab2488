"""The parse tables shipped in grammar_tables.py, and the contextual lexer, against Lark itself.

The parser reads tokens with its own lexer and takes its LALR tables from a generated file; both
must give exactly what Lark gives from grammar.lark with its own contextual lexer: the same AST
for every file, and the same error, at the same place, for every broken one.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from compliance.dsl import grammar, grammar_tables, parser
from compliance.dsl.lexer import Lexer
from compliance.errors import InputError

ROOT = Path(__file__).parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*.rules"))


def _dump(node: Any) -> Any:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,) + tuple((f.name, _dump(getattr(node, f.name)))
                                              for f in dataclasses.fields(node))
    if isinstance(node, (list, tuple)):
        return tuple(_dump(item) for item in node)
    return node


class _LarkBuilder(parser._Builder):
    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        return Tree(data, children)  # Lark splices a helper rule's tree into its parent


class _LarkReference:
    """Lark's own pipeline (contextual lexer, tables built from grammar.lark, Lark's LALR parser
    and tree builder) with our AST builder."""

    def __init__(self) -> None:
        self.builder = _LarkBuilder()
        options = dict(grammar.OPTIONS, lexer="contextual")
        self.lark = Lark(grammar.grammar_text(), transformer=self.builder, **options)

    def parse(self, text: str, path: str) -> Any:
        self.builder.read = parser._Read(path, text.split("\n"), None)
        try:
            header, items = self.lark.parse(text, start="start")
        except UnexpectedInput as error:
            token = getattr(error, "token", None)
            if token is not None and token.type == "$END":  # we place the end at the end
                lines = text.split("\n")
                return ("error", len(lines), len(lines[-1]) + 1)
            return ("error", error.line, error.column)
        except InputError as error:
            first = error.diagnostics[0]
            return ("error", first.line, first.column, first.message)
        except parser._TooDeep as error:
            return ("too deep", error.span.line, error.span.column)
        return _dump((header, tuple(items)))


def _ours(text: str, path: str) -> Any:
    try:
        parsed = parser.parse_ruleset(text, path)
    except InputError as error:
        first = error.diagnostics[0]
        if "unexpected" in first.message:
            return ("error", first.line, first.column)
        if "nest" in first.message:
            return ("too deep", first.line, first.column)
        return ("error", first.line, first.column, first.message)
    return _dump(((parsed.name, parsed.header, parsed.span), parsed.items))


@pytest.fixture(scope="module")
def reference() -> _LarkReference:
    return _LarkReference()


def _tool() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("grammar_tables_tool", ROOT / "tools" / "grammar_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_tables_mean_what_lark_computes_from_the_current_grammar() -> None:
    # Fails after an edit of grammar.lark until `python tools/grammar_tables.py` is run. The
    # comparison is of the tables themselves (what the grammar means to the parser), not of the
    # file's text, so another Lark version that computes the same tables passes.
    assert grammar_tables.GRAMMAR_SHA256 == grammar.grammar_digest(grammar.grammar_text())
    assert _tool().compute_tables(grammar.grammar_text()) == grammar.load_tables()


def test_stale_tables_are_refused_with_the_command_that_regenerates_them(monkeypatch: pytest.MonkeyPatch) -> None:
    assert grammar.load_tables().states is grammar_tables.STATES
    monkeypatch.setattr(grammar_tables, "GRAMMAR_SHA256", "0" * 64)
    with pytest.raises(grammar.StaleTables, match="tools/grammar_tables.py"):
        grammar.load_tables()


def test_the_runtime_parser_never_imports_lark() -> None:
    import subprocess
    import sys

    code = ("import sys; from compliance.dsl.loader import load_ruleset; load_ruleset('esma_like'); "
            "print('lark' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_parses_in_threads_do_not_share_a_builder() -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [path.read_text(encoding="utf-8") for path in RULESETS]
    expected = [_ours(text, path.name) for text, path in zip(texts, RULESETS)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda pair: _ours(*pair), [(t, p.name) for t, p in zip(texts, RULESETS)] * 3))
    assert got == expected * 3


@pytest.mark.parametrize("path", RULESETS, ids=[p.stem for p in RULESETS])
def test_every_builtin_ruleset_reads_as_with_lark_itself(path: Path, reference: _LarkReference) -> None:
    text = path.read_text(encoding="utf-8")
    assert _ours(text, path.name) == reference.parse(text, path.name)


CONTEXT_CASES = {
    # after a value, "-2" is a minus and a number, not a signed amount
    "minus after a name": "x -2 > 0",
    "signed amount after a currency": "EUR -2 < EUR 0",
    # a keyword where only a name can stand is a name
    "keyword as a field": "x.from == 1",
    "quantifier word as a field": "x.count == 1",
    "keyword-prefixed name": "fromage == 1",
    "duration unit": "1 days < 2 weeks",
    "unit word as a name": "days == 1",
}


@pytest.mark.parametrize("require", CONTEXT_CASES.values(), ids=CONTEXT_CASES.keys())
def test_words_are_read_in_their_context_as_lark_reads_them(require: str, reference: _LarkReference) -> None:
    text = f'ruleset demo\n\nrule DEMO-1 "t"\n  require {require}\n'
    ours = _ours(text, "demo.rules")
    assert ours == reference.parse(text, "demo.rules")
    assert ours[0] != "error"


_PIECES = ["(", ")", "[", "]", "{", "}", "-", "-2", "from", "count", ".", ",", ":", '"', "#", "in",
           "not", "and", "1 days", "EUR 5", "30:1", "5%", "x.from", "any(", "rule", "let", "\n", "  ",
           "==", "+", "2026-01-01", "exists", "@", "é", "\\", '"{x.y}"', "ESMA-1"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_rulesets_read_as_with_lark_itself(data: st.DataObject, reference: _LarkReference) -> None:
    source = data.draw(st.sampled_from(RULESETS)).read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(source)))
    start = source.rfind("\n", 0, start) + 1
    text = source[:300] + "\n" + source[start:start + data.draw(st.integers(0, 2000))]
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(st.sampled_from(_PIECES)) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(1, 4)):]
    assert _ours(text, "m.rules") == reference.parse(text, "m.rules")


def test_a_long_gap_before_an_unreadable_character_is_read_in_linear_time() -> None:
    # The blanks before a token are matched possessively; a backtracking match would take
    # quadratic time or worse here.
    with pytest.raises(InputError) as caught:
        parser.parse_ruleset("ruleset x" + " " * 200_000 + "@", "gap.rules")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (1, 200_010)
    assert diagnostic.message == "unexpected character '@'"


def test_lines_and_columns_count_across_blank_lines_and_comments() -> None:
    machinery = parser._machinery()
    lexer: Lexer = machinery[1]
    everything = {spec.name for spec in machinery[0].terminals}
    comments: list[Any] = []
    text = 'ruleset x  # one\n\n\t  version "1"\n# two\nrule'
    tokens = list(lexer.tokens(text, lambda: everything, comments))
    assert [(t.value, t.line, t.column, t.end_column) for t in tokens] == [
        ("ruleset", 1, 1, 8), ("x", 1, 9, 10), ("version", 3, 4, 11), ('"1"', 3, 12, 15), ("rule", 5, 1, 5)]
    assert [(c.value, c.line, c.column) for c in comments] == [("# one", 1, 12), ("# two", 4, 1)]


def test_every_grammar_rule_that_builds_a_node_has_a_builder_method() -> None:
    # Rules whose one child stands for them (?rule: other) and Lark's helper rules build nothing.
    building = {callback for symbol, size, callback, inline, keep, _trailing in grammar_tables.RULES
                if not symbol.startswith("_") and not (inline and size == 1 and keep is None)}
    assert building and all(callable(getattr(parser._Builder, name, None)) for name in building)
