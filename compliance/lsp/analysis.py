"""What the editor knows about one open ruleset: its parse, the files it extends, the checked model
when the whole chain checks, and every diagnostic of the text, each placed in this file."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compliance.dsl import ast
from compliance.dsl.checker import check
from compliance.dsl.loader import default_document_types, parse_chain, resolve
from compliance.dsl.model import Ruleset
from compliance.dsl.parser import parse_ruleset
from compliance.errors import Diagnostic, InputError
from compliance.lsp.source import Source

_EXTENDS = re.compile(r"^\s*extends\s+([a-z_][a-z0-9_]*)\s*$", re.M)
Item = Any   # an ast item: Param, Rule, Exception_, Disable, TestCase (and what the DSL adds later)


@dataclass(frozen=True)
class Declared:
    """An item of a file of the chain, with the file it is written in."""

    file: ast.RulesetFile
    item: Item

    @property
    def span(self) -> ast.Span:
        return self.item.span  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Analysis:
    source: Source
    parsed: ast.RulesetFile | None            # None: the text does not parse
    parents: tuple[ast.RulesetFile, ...]      # what it extends, nearest first
    ruleset: Ruleset | None                   # None: the chain does not check
    diagnostics: tuple[Diagnostic, ...]

    @property
    def files(self) -> tuple[ast.RulesetFile, ...]:
        return ((self.parsed,) if self.parsed is not None else ()) + self.parents

    def items(self, kind: type) -> Iterator[Declared]:
        """Items of one AST class in the chain: this file's first, then each parent's."""
        for file in self.files:
            for item in file.items:
                if isinstance(item, kind):
                    yield Declared(file, item)

    def rules(self, rule_id: str) -> list[Declared]:
        """The rules and exceptions of this id, the nearest definition (or override) first."""
        return [d for d in (*self.items(ast.Rule), *self.items(ast.Exception_))
                if d.item.rule_id == rule_id]

    def params(self, name: str) -> list[Declared]:
        return [d for d in self.items(ast.Param) if d.item.name == name]

    def rule_ids(self) -> list[str]:
        return _unique(d.item.rule_id for d in self.items(ast.Rule))

    def exception_ids(self) -> list[str]:
        return _unique(d.item.rule_id for d in self.items(ast.Exception_))

    def param_names(self) -> list[str]:
        return _unique(d.item.name for d in self.items(ast.Param))

    def merged_rule(self, rule_id: str) -> ast.Rule | None:
        """A rule with the clauses of its overrides applied (what the checker evaluates)."""
        merged: ast.Rule | None = None
        for declared in reversed(self.rules(rule_id)):
            rule = declared.item
            if not isinstance(rule, ast.Rule):
                continue
            rule = replace(rule, ruleset=declared.file.name)
            if merged is not None and rule.override:
                given = {clause.keyword for clause in rule.clauses}
                kept = tuple(c for c in merged.clauses if c.keyword not in given)
                rule = replace(rule, clauses=kept + rule.clauses)
            merged = rule
        return merged

    def exceptions_of(self, rule_id: str) -> list[Declared]:
        """The exceptions that qualify a rule: its own, and those to the whole of its section."""
        checked = self.ruleset.rule(rule_id) if self.ruleset is not None else None
        section = checked.section if checked is not None else ""
        return [d for d in self.items(ast.Exception_)
                if d.item.base_id == rule_id or (section and d.item.section == section)]


def _unique(values: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(values))


def analyse(text: str, uri: str) -> Analysis:
    """Parse and check ``text`` as the file at ``uri``; never raises for bad input."""
    source = Source(uri, text)
    path = source.path
    try:
        parsed = parse_ruleset(text, path)
    except InputError as error:
        # Mid-edit: what the file extends is still worth knowing, for names to complete.
        written = _EXTENDS.search(text)
        parents = _chain(written.group(1), path)[0] if written else ()
        return Analysis(source, None, parents, None, tuple(error.diagnostics))
    parents, problems = _parents(parsed, path)
    if problems:
        return Analysis(source, parsed, parents, None, problems)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        ruleset = check([parsed, *parents], default_document_types, sha)
    except InputError as error:
        return Analysis(source, parsed, parents, None, _placed(error.diagnostics, parsed))
    return Analysis(source, parsed, parents, ruleset, ())


def _extends_span(parsed: ast.RulesetFile) -> ast.Span:
    return next((span for key, _value, span in parsed.header if key == "extends"), parsed.span)


def _chain(name: str, path: str) -> tuple[tuple[ast.RulesetFile, ...], str | None]:
    """The parsed files of ruleset ``name`` and what it extends, or the problem reading them."""
    try:
        found = resolve(name, relative_to=Path(path).resolve().parent)
        files, _sha = parse_chain(found.resolve())
    except InputError as error:
        first = error.diagnostics[0]
        where = "" if first.line is None or first.path == "--ruleset" else f"{first.path}:{first.line}: "
        return (), where + first.message
    return tuple(files), None


def _parents(parsed: ast.RulesetFile, path: str) -> tuple[tuple[ast.RulesetFile, ...], tuple[Diagnostic, ...]]:
    name = parsed.header_value("extends")
    if name is None:
        return (), ()
    span = _extends_span(parsed)
    files, problem = _chain(name, path)
    if problem is not None:
        return (), (Diagnostic(path, span.line, span.column, problem),)
    if any(file.name == parsed.name for file in files):
        chain = " -> ".join([parsed.name, *(file.name for file in files)])
        return (), (Diagnostic(path, span.line, span.column, f"extends cycle: {chain}"),)
    return files, ()


def _placed(diagnostics: list[Diagnostic], parsed: ast.RulesetFile) -> tuple[Diagnostic, ...]:
    """Problems in a parent file are shown on this file's ``extends`` clause."""
    span = _extends_span(parsed)
    placed = []
    for diagnostic in diagnostics:
        if diagnostic.path != parsed.path:
            diagnostic = Diagnostic(parsed.path, span.line, span.column,
                                    f"in {diagnostic.path}:{diagnostic.line}: {diagnostic.message}")
        placed.append(diagnostic)
    return tuple(placed)


def file_path(file: ast.RulesetFile) -> Path:
    """Where a file of the chain lies (the loader names parents relative to the working folder)."""
    return Path(file.path).resolve()
