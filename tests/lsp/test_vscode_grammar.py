"""The VS Code extension's files: valid JSON, the TextMate grammar's keywords equal to the
language's (``grammar.lark``), and sample lines highlighted as a reader expects."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "rules.tmLanguage.json").read_text(encoding="utf-8"))
LARK = (ROOT / "compliance" / "dsl" / "grammar.lark").read_text(encoding="utf-8")
KEYWORD_ENTRIES = ("declaration", "clause", "logical", "boolean")


def _alternatives(pattern: str) -> set[str]:
    """The words of a ``\\b(a|b|c)\\b`` pattern."""
    found = re.search(r"\\b\(([a-z_|]+)\)\\b", pattern)
    assert found, pattern
    return set(found.group(1).split("|"))


def _lark_terminal_words(name: str) -> set[str]:
    line = next(line for line in LARK.splitlines() if re.match(rf"{name}(\.\d+)?:", line))
    return set(re.findall(r"[a-z]+", line.split(":", 1)[1])) - {"b"}   # \b in a regex


def test_the_extension_files_are_valid_json() -> None:
    for path in (VSCODE / "package.json", VSCODE / "language-configuration.json"):
        json.loads(path.read_text(encoding="utf-8"))
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (grammar,) = package["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).is_file() and grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (VSCODE / package["main"]).is_file()


def test_the_keywords_are_the_languages_keywords() -> None:
    literal_words = set(re.findall(r'"([a-z_]+)"', LARK))
    durations = _lark_terminal_words("DURATION_UNIT")
    highlighted = set().union(*(_alternatives(GRAMMAR["repository"][e]["match"]) for e in KEYWORD_ENTRIES))
    assert highlighted == literal_words - durations
    assert _alternatives(GRAMMAR["repository"]["duration"]["match"]) == durations
    assert _alternatives(GRAMMAR["repository"]["quantifier"]["match"]) == _lark_terminal_words("QUANT")


def test_each_pattern_compiles() -> None:
    for name, entry in GRAMMAR["repository"].items():
        for key in ("match", "begin", "end"):
            if key in entry:
                re.compile(entry[key])
        for inner in entry.get("patterns", []):
            re.compile(inner["match"])


def _scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) of each token of one line, as TextMate picks them: at each point the pattern
    whose match starts first, the earlier pattern on a tie (strings end at their closing quote)."""
    patterns = [GRAMMAR["repository"][p["include"][1:]] for p in GRAMMAR["patterns"]]
    found, position = [], 0
    while position < len(line):
        best = None
        for entry in patterns:
            match = re.compile(entry.get("match") or entry["begin"]).search(line, position)
            if match and match.end() > match.start() and (best is None or match.start() < best[0].start()):
                best = (match, entry)
        if best is None:
            break
        match, entry = best
        end = match.end()
        if "begin" in entry:
            close = re.compile(entry["end"]).search(line, end)
            end = close.end() if close else len(line)
        if "name" in entry:
            found.append((line[match.start():end], entry["name"]))
        else:   # only a captured part is scoped (a builtin's name before its parenthesis)
            found.append((match.group(1), entry["captures"]["1"]["name"]))
        position = end
    return found


@pytest.mark.parametrize("line, expected", [
    ('rule ESMA-LEV-1 "Leverage caps"  # Art. 2',
     [("rule", "storage.type.rules"), ("ESMA-LEV-1", "entity.name.tag.rule-id.rules"),
      ('"Leverage caps"', "string.quoted.double.rules"), ("# Art. 2", "comment.line.number-sign.rules")]),
    ("let cap = 30:1 from 2018-08-01, 50% from 2030-01-01",
     [("let", "storage.type.rules"), ("=", "keyword.operator.rules"), ("30:1", "constant.numeric.ratio.rules"),
      ("from", "keyword.other.clause.rules"), ("2018-08-01", "constant.numeric.date.rules"),
      ("50%", "constant.numeric.percent.rules"), ("from", "keyword.other.clause.rules"),
      ("2030-01-01", "constant.numeric.date.rules")]),
    ("  require exists x and min_deposit >= EUR 100 or length(t) > 2 days",
     [("require", "keyword.other.clause.rules"), ("exists", "keyword.operator.logical.rules"),
      ("and", "keyword.operator.logical.rules"), (">=", "keyword.operator.rules"),
      ("EUR 100", "constant.numeric.money.rules"), ("or", "keyword.operator.logical.rules"),
      ("length", "support.function.rules"), (">", "keyword.operator.rules"),
      ("2 days", "constant.numeric.duration.rules")]),
    ('  when all(c in clauses: c.ok == true)',
     [("when", "keyword.other.clause.rules"), ("all", "keyword.other.quantifier.rules"),
      ("in", "keyword.operator.logical.rules"), ("==", "keyword.operator.rules"),
      ("true", "constant.language.boolean.rules")]),
])
def test_sample_lines_are_highlighted(line: str, expected: list[tuple[str, str]]) -> None:
    assert _scopes(line) == expected
