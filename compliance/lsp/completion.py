"""Completion: fields (after ``.`` too), parameters, builtins, topics, severities, targets, outcomes,
rulesets after ``extends`` and rule ids after ``exception ... to``, ``expect`` and ``disable``.
Read from the text before the cursor, so it works on a line that does not parse yet."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lsprotocol import types

from compliance.dsl import ast
from compliance.dsl.checker import OUTCOMES, SEVERITIES, TARGETS, TOPICS
from compliance.lsp import context, fields
from compliance.lsp.analysis import Analysis

Kind = types.CompletionItemKind

RULE_CLAUSES = ("topic", "severity", "citation", "applies to", "for each", "when", "require",
                "subject", "message", "fix")
TEST_CLAUSES = ("given contract", "given account", "as of", "expect")

_ID = r"[A-Z0-9-]*"
_RULE_ID_AFTER = re.compile(rf"(?:\bexception\s+\S+\s+to|^\s*(?:expect|disable|override\s+rule))\s+{_ID}\Z")
_OUTCOME = re.compile(r"^\s*expect\s+[A-Z][A-Z0-9-]*\s+\w*\Z")
_WORD_AFTER = {
    re.compile(r"^\s*topic\s+\w*\Z"): TOPICS,
    re.compile(r"^\s*severity\s+\w*\Z"): SEVERITIES,
    re.compile(r"^\s*(?:applies\s+to|given)\s+\w*\Z"): TARGETS,
}
_RULE_IN_TEXT = re.compile(r'^\s*(?:override\s+)?rule\s+([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\s+"([^"\n]*)', re.M)
_EXTENDS = re.compile(r"^\s*extends\s+\w*\Z")
_OVERRIDE_LET = re.compile(r"^\s*override\s+let\s+\w*\Z")
_DOTTED = re.compile(r"((?:[a-z_][a-z0-9_]*\.)+)[a-z0-9_]*\Z")
_CLAUSE_START = re.compile(r"^\s+[a-z]*\Z")
_IN_STRING = re.compile(r'^(?:[^"\\]|\\.|"(?:[^"\\]|\\.)*")*"[^"]*\Z')


def complete(analysis: Analysis, line: int, character: int) -> list[types.CompletionItem]:
    source = analysis.source
    before = source.line(line)[:character]
    for matcher, handler in _HANDLERS:
        if matcher(before):
            return handler(analysis, line, before)
    return []


# ---- the contexts ---------------------------------------------------------------------------------

def _rule_ids(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    """The rules of the chain, with their titles (``override rule``: the parents' rules only)."""
    own = before.lstrip().startswith("override")
    titles: dict[str, str] = {}
    for declared in analysis.items(ast.Rule):
        if own and declared.file is analysis.parsed:
            continue
        titles.setdefault(declared.item.rule_id, declared.item.title)
    if not own:  # rules being typed in a text that does not parse yet
        for found in _RULE_IN_TEXT.finditer(analysis.source.text):
            titles.setdefault(found.group(1), found.group(2))
    return [_item(rule_id, Kind.Reference, title) for rule_id, title in titles.items()]


def _words(words: Iterable[str], kind: types.CompletionItemKind) -> Callable[..., list[types.CompletionItem]]:
    return lambda analysis, line, before: [_item(word, kind) for word in words]


def _rulesets(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    from compliance.dsl.loader import builtin_names
    return [_item(name, Kind.Module, "built-in ruleset") for name in builtin_names()
            if name != (analysis.parsed.name if analysis.parsed else None)]


def _inherited_params(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    names = [item.name for file in analysis.parents for item in file.items if isinstance(item, ast.Param)]
    return [_item(name, Kind.Constant, "parameter") for name in dict.fromkeys(names)]


def _members(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    """After ``a.b.``: the fields below ``a.b`` (a loop variable stands for its collection)."""
    source = analysis.source
    match = _DOTTED.search(before)
    assert match is not None
    written = tuple(part for part in match.group(1).split(".") if part)
    item_text = source.item_text(line)
    target = context.target_of(item_text)
    path = context.field_path(written[0], written[1:], item_text, target)
    if path is None:
        return []
    return [_field_item(field) for field in fields.children(target, path)]


def _clause_keywords(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    head = analysis.source.item_text(line).lstrip()
    words = TEST_CLAUSES if head.startswith("test") else RULE_CLAUSES
    if head.startswith(("rule", "override rule", "exception")) or head.startswith("test"):
        return [_item(word, Kind.Keyword) for word in words] + _expression(analysis, line, before)
    return _expression(analysis, line, before)


def _expression(analysis: Analysis, line: int, before: str) -> list[types.CompletionItem]:
    """Anywhere in an expression: loop variables, parameters, as_of, builtins, top-level fields."""
    from compliance.evaluate.builtins import REGISTRY

    source = analysis.source
    item_text = source.item_text(line)
    target = context.target_of(item_text)
    found = [_item(name, Kind.Variable, "loop variable") for name in context.locals_of(item_text)]
    params = dict.fromkeys([*context.params_in_text(source), *analysis.param_names()])
    found += [_item(name, Kind.Constant, "parameter") for name in params]
    found.append(_item("as_of", Kind.Constant, "the evaluation date"))
    for builtin in REGISTRY.values():
        found.append(types.CompletionItem(
            label=builtin.name, kind=Kind.Function, detail=builtin.signature,
            documentation=builtin.doc, insert_text=f"{builtin.name}($1)",
            insert_text_format=types.InsertTextFormat.Snippet))
    found += [_field_item(field) for field in fields.top_level(target)]
    return found


def _in_string(before: str) -> bool:
    return _IN_STRING.match(before) is not None


_HANDLERS: list[tuple[Callable[[str], bool], Callable[[Analysis, int, str], list[types.CompletionItem]]]] = [
    (_in_string, lambda analysis, line, before: []),
    (lambda b: bool(_RULE_ID_AFTER.search(b)), _rule_ids),
    (lambda b: bool(_OUTCOME.match(b)), _words(OUTCOMES, Kind.EnumMember)),
    *((lambda b, m=matcher: bool(m.match(b)), _words(words, Kind.EnumMember))  # type: ignore[misc]
      for matcher, words in _WORD_AFTER.items()),
    (lambda b: bool(_EXTENDS.match(b)), _rulesets),
    (lambda b: bool(_OVERRIDE_LET.match(b)), _inherited_params),
    (lambda b: bool(_DOTTED.search(b)), _members),
    (lambda b: bool(_CLAUSE_START.match(b)), _clause_keywords),
    (lambda b: bool(b.strip()) and not b.lstrip().startswith("#"), _expression),
]


def _item(label: str, kind: types.CompletionItemKind, detail: str = "") -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail or None)


def _field_item(field: fields.Field) -> types.CompletionItem:
    documentation = field.description
    if field.allowed:
        documentation += "\n\nOne of: " + ", ".join(field.allowed)
    return types.CompletionItem(label=field.path[-1], kind=Kind.Field, detail=field.type,
                                documentation=documentation)
