"""What the server shows and changes in the text: diagnostics, did-you-mean quick fixes, and
formatting with the project's formatter (refused while the file has errors)."""
from __future__ import annotations

import difflib
import re

from lsprotocol import types

from compliance.errors import Diagnostic
from compliance.lsp.analysis import Analysis
from compliance.lsp.source import WORD, Source

SOURCE_NAME = "compliance"
_SUGGESTION = re.compile(r"did you mean '([^']+)'\?")
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*|\S")


def diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    return [lsp_diagnostic(analysis.source, d) for d in analysis.diagnostics]


def lsp_diagnostic(source: Source, diagnostic: Diagnostic) -> types.Diagnostic:
    """A checker or parser problem, its range the token at its column."""
    line = max((diagnostic.line or 1) - 1, 0)
    start = max((diagnostic.column or 1) - 1, 0)
    match = _TOKEN.match(source.line(line), start)
    end = match.end() if match else start
    suggestion = _SUGGESTION.search(diagnostic.message)
    return types.Diagnostic(range=source.range(line, start, line, end), message=diagnostic.message,
                            severity=types.DiagnosticSeverity.Error, source=SOURCE_NAME,
                            data={"suggestion": suggestion.group(1)} if suggestion else None)


def quick_fixes(analysis: Analysis, uri: str, problems: list[types.Diagnostic]) -> list[types.CodeAction]:
    """For each problem that suggests a name, an edit putting the name in place of the misspelt
    word: the word on the problem's line, from its column on, closest to the suggestion."""
    source = analysis.source
    actions = []
    for problem in problems:
        found = _SUGGESTION.search(problem.message)
        if found is None:
            continue
        suggestion = found.group(1)
        line = problem.range.start.line
        span = _misspelt(source.line(line), source.character(problem.range.start), suggestion)
        if span is None:
            continue
        edit = types.TextEdit(range=source.range(line, span[0], line, span[1]), new_text=suggestion)
        actions.append(types.CodeAction(
            title=f"Change to '{suggestion}'", kind=types.CodeActionKind.QuickFix,
            diagnostics=[problem], is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: [edit]})))
    return actions


def _misspelt(text: str, start: int, suggestion: str) -> tuple[int, int] | None:
    best: tuple[float, int, int] | None = None
    for word in WORD.finditer(text, start):
        if word.group() == suggestion:
            continue
        score = difflib.SequenceMatcher(None, word.group(), suggestion).ratio()
        if score >= 0.6 and (best is None or score > best[0]):
            best = (score, word.start(), word.end())
    return (best[1], best[2]) if best else None


def formatting(analysis: Analysis) -> list[types.TextEdit] | None:
    """The whole text in the canonical layout; None while the file has errors (a file that does
    not check is left as written, so nothing the author is typing gets rearranged)."""
    from compliance.dsl.formatter import format_ruleset, structure
    from compliance.dsl.parser import parse_ruleset

    if analysis.diagnostics or analysis.parsed is None:
        return None
    source = analysis.source
    formatted = format_ruleset(source.text, source.path)
    if formatted == source.text:
        return []
    if structure(parse_ruleset(formatted, source.path)) != structure(analysis.parsed):
        return None  # the formatter must never change what a ruleset means
    return [types.TextEdit(range=source.whole(), new_text=formatted)]
