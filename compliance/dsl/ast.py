"""The typed AST of a ruleset file: frozen dataclasses, each node with its Span.

Everything after the parser sees only these nodes; no module but ``grammar.py`` knows Lark.
"""
from __future__ import annotations

import datetime as _dt
import typing
from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Span:
    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0


# ---- expressions --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Literal:
    value: Any          # Decimal | Percent | Leverage | Money | date | Duration | str | bool
    text: str           # as written, for the formatter
    span: Span


@dataclass(frozen=True, eq=False)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, eq=False)
class Attr:
    target: "Expr"
    name: str
    span: Span


@dataclass(frozen=True, eq=False)
class Index:
    target: "Expr"
    index: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class Negate:
    operand: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class Arith:
    op: str             # + - * /
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class Compare:
    op: str             # == != < <= > >= in "not in"
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class BoolOp:
    op: str             # and | or
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class Not:
    operand: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class Exists:
    target: "Expr"
    negated: bool       # written ``missing x``
    span: Span


@dataclass(frozen=True, eq=False)
class Call:
    name: str
    args: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True, eq=False)
class Quantifier:
    kind: str           # any all count sum min max
    var: str
    collection: "Expr"
    body: "Expr"
    span: Span


@dataclass(frozen=True, eq=False)
class ListExpr:
    items: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True, eq=False)
class MapExpr:
    entries: tuple[tuple[str, "Expr"], ...]
    span: Span


Expr = Union[Literal, Name, Attr, Index, Negate, Arith, Compare, BoolOp, Not, Exists, Call,
             Quantifier, ListExpr, MapExpr]
EXPRESSIONS: tuple[type, ...] = typing.get_args(Expr)


def children(node: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of an expression, in source order: the one definition of the tree's
    shape that every walker (checker, evaluators, formatter, analysis) uses."""
    if isinstance(node, (Attr, Negate, Not, Exists)):
        return (node.target if isinstance(node, (Attr, Exists)) else node.operand,)
    if isinstance(node, Index):
        return (node.target, node.index)
    if isinstance(node, (Arith, Compare, BoolOp)):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Quantifier):
        return (node.collection, node.body)
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, MapExpr):
        return tuple(value for _key, value in node.entries)
    return ()


def walk(node: Expr) -> list[Expr]:
    """Every expression node below ``node``, itself first (depth first, no recursion)."""
    found: list[Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


def dispatch_table(owner: Any, prefix: str, nodes: tuple[type, ...] | None = None) -> dict[type, Any]:
    """``{node class: owner.<prefix><class name in lower case>}`` for the classes (the expression
    classes unless ``nodes`` says otherwise) ``owner`` (a class or a module) has such a function
    for: the one way the checker, both evaluators and the formatter find what to do with a node,
    looked up once per class."""
    table = {}
    for node in (EXPRESSIONS if nodes is None else nodes):
        method = getattr(owner, prefix + node.__name__.lower(), None)
        if method is not None:
            table[node] = method
    return table


@dataclass(frozen=True, eq=False)
class Template:
    """A message or fix text with ``{expression}`` holes filled with the values involved."""

    text: str                                  # as written (without quotes)
    parts: tuple[Union[str, Expr], ...]
    span: Span


# ---- declarations -------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DatedValue:
    value: Expr
    effective: _dt.date | None   # applies from this date on; None: from the beginning
    span: Span


@dataclass(frozen=True, eq=False)
class Param:
    name: str
    values: tuple[DatedValue, ...]
    override: bool
    span: Span


@dataclass(frozen=True, eq=False)
class ForEach:
    key_var: str                 # the list element, or the map key when value_var is given
    value_var: str | None
    collection: Expr
    span: Span


@dataclass(frozen=True, eq=False)
class Clause:
    """One keyword clause of a rule, exception, section or assumption, as written (kept for
    checking and formatting)."""

    keyword: str
    # str for topic/severity/applies_to/source/confidence; Expr; Template; ForEach;
    # citation: DatedCitation tuple; silence: Silence; set: SetDefault
    value: Any
    span: Span


@dataclass(frozen=True, eq=False)
class DatedCitation:
    """One provision a rule cites, and the date from which it is the one in force (None: from
    the beginning)."""

    text: str
    effective: _dt.date | None
    span: Span


@dataclass(frozen=True, eq=False)
class Silence:
    """What a rule does when the document does not state what its requirement reads:
    ``severity`` is error, warning or info for a ``not_stated`` finding, or "breach" when the
    silence is itself the breach (``failed``); ``reason`` says what the rule needs and why."""

    severity: str
    reason: str
    span: Span


@dataclass(frozen=True, eq=False)
class SetDefault:
    """``set FIELD = VALUE`` of an assumption: the value a document is read with when it does not
    state FIELD."""

    target: Expr
    value: Expr
    span: Span


@dataclass(frozen=True, eq=False)
class Rule:
    rule_id: str
    title: str
    clauses: tuple[Clause, ...]
    override: bool
    span: Span
    ruleset: str = ""
    inherited_from: str = ""      # for an override: the ruleset that first defined the rule
    overridden: tuple[str, ...] = ()  # for an override: the clauses it replaced

    def clause(self, keyword: str) -> Clause | None:
        for item in self.clauses:
            if item.keyword == keyword:
                return item
        return None

    def value(self, keyword: str, default: Any = None) -> Any:
        found = self.clause(keyword)
        return default if found is None else found.value


@dataclass(frozen=True, eq=False)
class Exception_:
    rule_id: str
    base_id: str                 # the rule it qualifies; "" when it qualifies a section
    title: str
    clauses: tuple[Clause, ...]
    span: Span
    ruleset: str = ""
    section: str = ""            # the section whose every rule it qualifies (a label, as in Catala)

    clause = Rule.clause
    value = Rule.value


@dataclass(frozen=True, eq=False)
class Section:
    """A heading that states once what the rules after it share: the document kind they apply
    to and the condition under which they apply (the ruleset's scope), up to the next section."""

    name: str
    title: str
    clauses: tuple[Clause, ...]
    span: Span
    ruleset: str = ""

    clause = Rule.clause
    value = Rule.value


@dataclass(frozen=True, eq=False)
class Assumption:
    """What a document is taken to state when it is silent on a field that decides which rules
    apply (its product type): evaluated under the declared default, and reported as not stated."""

    rule_id: str
    title: str
    clauses: tuple[Clause, ...]
    span: Span
    ruleset: str = ""

    clause = Rule.clause
    value = Rule.value


@dataclass(frozen=True, eq=False)
class Disable:
    rule_id: str
    reason: str
    span: Span


@dataclass(frozen=True, eq=False)
class Expect:
    rule_id: str
    outcome: str
    span: Span


@dataclass(frozen=True, eq=False)
class TestCase:
    name: str
    target: str | None                 # contract | account
    document: MapExpr | None
    as_of: _dt.date | None
    expectations: tuple[Expect, ...]
    span: Span
    clause_spans: tuple[tuple[str, Span], ...] = ()


@dataclass(frozen=True, eq=False)
class Comment:
    text: str
    line: int
    column: int


Item = Union[Param, Section, Assumption, Rule, Exception_, Disable, TestCase]
ITEMS: tuple[type, ...] = typing.get_args(Item)


@dataclass(frozen=True, eq=False)
class RulesetFile:
    name: str
    path: str
    source: str
    header: tuple[tuple[str, str, Span], ...]   # (keyword, value, span): version, title, ...
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = ()
    span: Span = field(default_factory=lambda: Span("", 1, 1))

    def header_value(self, keyword: str) -> str | None:
        for key, value, _ in self.header:
            if key == keyword:
                return value
        return None
