"""Going to definitions across ``extends`` (rules, exceptions, parameters, the extended file) and
the outline of a file (document symbols)."""
from __future__ import annotations

from lsprotocol import types

from compliance.dsl import ast
from compliance.lsp.analysis import Analysis, Declared, file_path
from compliance.lsp.source import RULE_ID, Source, path_to_uri


def definition(analysis: Analysis, line: int, character: int) -> list[types.Location]:
    source = analysis.source
    found = source.word_at(line, character)
    if found is None:
        return []
    word, start, _end = found
    if source.line(line)[:start].strip() == "extends":
        return [_file_location(file) for file in analysis.parents if file.name == word][:1]
    if RULE_ID.match(word):
        declared = analysis.rules(word)
    else:
        declared = analysis.params(word)
    # On a definition itself, go to what it overrides.
    elsewhere = [d for d in declared if not _starts_at(d, analysis, line)]
    return [_location(analysis, d) for d in elsewhere]


def _starts_at(declared: Declared, analysis: Analysis, line: int) -> bool:
    return declared.file is analysis.parsed and declared.span.line - 1 == line


def _file_source(analysis: Analysis, file: ast.RulesetFile) -> Source:
    if file is analysis.parsed:
        return analysis.source
    return Source(path_to_uri(file_path(file)), file.source)


def _location(analysis: Analysis, declared: Declared) -> types.Location:
    source = _file_source(analysis, declared.file)
    return types.Location(uri=source.uri, range=source.head_range(declared.span))


def _file_location(file: ast.RulesetFile) -> types.Location:
    start = types.Position(line=0, character=0)
    return types.Location(uri=path_to_uri(file_path(file)), range=types.Range(start=start, end=start))


# ---- the outline --------------------------------------------------------------------------------

Kind = types.SymbolKind


def symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    """The ruleset, and below it its parameters, rules, exceptions, disabled rules and tests."""
    parsed = analysis.parsed
    if parsed is None:
        return []
    source = analysis.source
    children = [symbol for item in parsed.items if (symbol := _symbol(source, item)) is not None]
    whole = source.whole()
    return [types.DocumentSymbol(name=parsed.name, kind=Kind.Module, range=whole,
                                 selection_range=source.head_range(parsed.span),
                                 detail=parsed.header_value("title") or None, children=children)]


def _symbol(source: Source, item: object) -> types.DocumentSymbol | None:
    if isinstance(item, ast.Param):
        name, kind, detail = item.name, Kind.Constant, "parameter"
    elif isinstance(item, ast.Rule):
        name, kind, detail = item.rule_id, Kind.Function, item.title
    elif isinstance(item, ast.Exception_):
        name, kind, detail = item.rule_id, Kind.Event, f"exception to {item.base_id}: {item.title}"
    elif isinstance(item, ast.Disable):
        name, kind, detail = item.rule_id, Kind.Null, f"disabled: {item.reason}"
    elif isinstance(item, ast.TestCase):
        name, kind = item.name or "(unnamed test)", Kind.Method
        detail = ", ".join(f"{e.rule_id} {e.outcome}" for e in item.expectations)
    else:
        return None  # an item kind this server does not know yet
    span = item.span
    return types.DocumentSymbol(name=name, kind=kind, range=source.span_range(span),
                                selection_range=source.head_range(span), detail=detail or None)
