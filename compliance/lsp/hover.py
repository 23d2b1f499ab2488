"""Hover help: a rule's title, citation, source and confidence; a parameter's dated values; a
field's description from the contract or snapshot schema; a builtin's signature."""
from __future__ import annotations

from typing import Any

from lsprotocol import types

from compliance.catalogue import text as as_text
from compliance.dsl import ast
from compliance.dsl.formatter import format_expression
from compliance.lsp import context
from compliance.lsp.analysis import Analysis
from compliance.lsp.source import RULE_ID


def hover(analysis: Analysis, line: int, character: int) -> types.Hover | None:
    source = analysis.source
    found = source.word_at(line, character)
    if found is None:
        return None
    word, start, end = found
    text = source.line(line)
    if RULE_ID.match(word):
        markdown = rule_markdown(analysis, word)
    elif text[end:].lstrip().startswith("("):
        markdown = builtin_markdown(word)
    elif text[:start].strip() == "extends":
        markdown = _extends_markdown(analysis, word)
    else:
        path = context.path_before(text, start) + (word,)
        markdown = name_markdown(analysis, line, path)
    if markdown is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                       range=source.range(line, start, line, end))


# ---- rules ------------------------------------------------------------------------------------------

def clause_text(node: Any, keyword: str) -> str:
    """A clause's value as text ('' when absent): a string, a list of strings or a literal."""
    found = node.value(keyword) if hasattr(node, "value") else None
    return as_text(found)


def rule_markdown(analysis: Analysis, rule_id: str) -> str | None:
    declared = analysis.rules(rule_id)
    if not declared:
        return None
    first = declared[0]
    if isinstance(first.item, ast.Exception_):
        return _exception_markdown(analysis, first.item, first.file.name)
    rule = analysis.merged_rule(rule_id)
    assert rule is not None
    target = clause_text(rule, "applies_to") or "contract"
    facts = [f"`{clause_text(rule, 'topic')}`", clause_text(rule, "severity"), f"applies to {target}",
             f"ruleset `{rule.ruleset}`"]
    out = [f"**{rule_id}** — {rule.title}", "", " · ".join(fact for fact in facts if fact)]
    for keyword, label in (("citation", "Citation"), ("source", "Source"), ("confidence", "Confidence")):
        value = clause_text(rule, keyword)
        if value:
            out += ["", f"**{label}:** {value}"]
    require = rule.value("require")
    if require is not None:
        out += ["", f"**Requires:** `{format_expression(require)}`"]
    exceptions = analysis.exceptions_of(rule_id)
    if exceptions:
        out += ["", "**Exceptions:**"]
        out += [f"- {d.item.rule_id} — {d.item.title}" for d in exceptions]
    return "\n".join(out)


def _exception_markdown(analysis: Analysis, exception: ast.Exception_, ruleset: str) -> str:
    out = [f"**{exception.rule_id}** — {exception.title}", "",
           f"exception to **{exception.base_id}** · ruleset `{ruleset}`"]
    when = exception.value("when")
    if when is not None:
        out += ["", f"**When:** `{format_expression(when)}`"]
    require = exception.value("require")
    out += ["", f"**Requires instead:** `{format_expression(require)}`" if require is not None
            else "Without a `require`: the subject is exempt (not applicable)."]
    citation = clause_text(exception, "citation")
    if citation:
        out += ["", f"**Citation:** {citation}"]
    return "\n".join(out)


def _extends_markdown(analysis: Analysis, name: str) -> str | None:
    parent = next((file for file in analysis.parents if file.name == name), None)
    if parent is None:
        return None
    rules = sum(1 for item in parent.items if isinstance(item, ast.Rule))
    title = parent.header_value("title") or ""
    return (f"**{name}** {parent.header_value('version') or ''} — {title}\n\n"
            f"{rules} rules · {parent.path}")


# ---- names ------------------------------------------------------------------------------------------

def builtin_markdown(name: str) -> str | None:
    from compliance.evaluate.builtins import REGISTRY

    builtin = REGISTRY.get(name)
    if builtin is None:
        return None
    account = "may be used in account rules" if builtin.vectorisable else \
        "contract rules only (account rules run column-wise)"
    return f"```\n{builtin.signature}\n```\n\n{builtin.doc}\n\n*{account}*"


def name_markdown(analysis: Analysis, line: int, path: tuple[str, ...]) -> str | None:
    found = context.meaning(analysis, analysis.source, line, path)
    if found.kind == "param":
        return param_markdown(analysis, path[0]) if len(path) == 1 else None
    if found.kind == "context":
        return "**as_of** (date): the date the rules are evaluated on (`--as-of`, default today)"
    if found.kind == "local" and found.local is not None and found.local.is_key:
        return f"**{path[0]}**: each key of `{'.'.join(found.local.collection)}`"
    if found.field is None:
        return None
    field = found.field
    out = [f"**{'.'.join(path)}** ({field.type}) — {found.target} field", "", field.description]
    if found.kind == "local":
        out[0] = f"**{'.'.join(path)}** ({field.type}) — each of `{'.'.join(found.local.collection)}`"  # type: ignore[union-attr]
    if field.allowed:
        out += ["", "One of: " + ", ".join(f"`{value}`" for value in field.allowed)]
    return "\n".join(out)


def param_markdown(analysis: Analysis, name: str) -> str | None:
    declared = analysis.params(name)
    if not declared:
        return None
    nearest = declared[0]
    param: ast.Param = nearest.item
    kind = ""
    if analysis.ruleset is not None and name in analysis.ruleset.params:
        kind = f" ({analysis.ruleset.params[name].type})"
    out = [f"**{name}**{kind} — parameter of `{nearest.file.name}`", "",
           "| applies from | value |", "| --- | --- |"]
    ordered = sorted(param.values, key=lambda v: (v.effective is not None, v.effective or ""))
    for dated in ordered:
        since = dated.effective.isoformat() if dated.effective else "the beginning"
        value = format_expression(dated.value).replace("|", "\\|")
        out.append(f"| {since} | `{value}` |")
    if len(declared) > 1:
        out += ["", "Overrides the value in " + ", ".join(f"`{d.file.name}`" for d in declared[1:])]
    return "\n".join(out)
