"""The table-driven LALR(1) parser of grammar.lark: the shipped tables, and the loop that runs them.

Lark reads the grammar and computes its LALR(1) parse table, the terminals and, for each grammar
rule, how Lark shapes its children (``?rule`` inlining, ``_helper`` splicing, ``None`` for an
absent ``[optional]`` part). That costs ~110 ms and Lark's import another ~35 ms, so it is done
once, by ``python tools/grammar_tables.py`` from Lark's public serialization, into
``grammar_tables.py`` (plain literals, shipped with the package); at run time a shift/reduce loop
of a few lines runs those tables and hands each reduction to the AST builder exactly as Lark would.
The runtime never imports Lark. A test keeps the file in step with the grammar and checks the
parser against Lark's own on every built-in ruleset and on mutated ones.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

from compliance.errors import ComplianceError, InternalError

# keep_all_tokens: the AST builder sees keyword tokens too, so every node's span starts at its
# keyword exactly as written. maybe_placeholders: an absent [optional] part is a None child.
OPTIONS: dict[str, Any] = dict(parser="lalr", lexer="basic", start=["start", "expr"],
                               maybe_placeholders=True, keep_all_tokens=True)


def grammar_text() -> str:
    # The grammar ships beside this module (package data); reading it by path spares every start
    # the ~7 ms import of importlib.resources.
    return Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")


def grammar_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TerminalSpec:
    """One terminal of the grammar, as the lexer needs it."""

    name: str
    regexp: str
    priority: int
    max_width: int
    literal: str | None        # the text of a string terminal ("rule", "("), None for a pattern


@dataclass(frozen=True)
class Tables:
    """What Lark computed from the grammar, as plain data. ``terminals`` are in the order Lark's
    scanner tries them.

    ``states[n]`` maps each symbol acceptable in state ``n`` to an action: a state number to shift
    to (>= 0), or ``-1 - r`` to reduce by rule ``r``. ``rules[r]`` is ``(symbol, size, callback,
    inline, keep, trailing_nones)``: the nonterminal it reduces to, how many values it pops, the
    builder method it calls, whether a single child stands for the node itself (``?rule``), and
    which children it keeps, as ``(index, splice, nones_before)``, or None to keep them as they are.
    """

    terminals: tuple[TerminalSpec, ...]
    ignore: tuple[str, ...]
    start_states: dict[str, int]
    end_states: dict[str, int]
    states: tuple[dict[str, int], ...]
    rules: tuple[tuple[str, int, str, bool, tuple[tuple[int, bool, int], ...] | None, int], ...]


class Rejected(ComplianceError):
    """The parser cannot take ``token`` here; ``expected`` names the terminals it could take."""

    def __init__(self, token: Any, expected: Collection[str]):
        super().__init__(getattr(token, "value", ""))
        self.token = token
        self.expected = frozenset(name for name in expected if name.isupper())


class LalrParser:
    """The grammar's LALR(1) parser, building with a builder class: one method per grammar rule
    (or ``__default__``), called on the builder object of each parse with the rule's children
    (tokens, None for an absent optional part, and what earlier calls returned). The parser holds
    no state of a parse, so parses may run at once in several threads."""

    def __init__(self, builder_class: type):
        tables = load_tables()
        self.terminals = tables.terminals
        self.ignore = frozenset(tables.ignore)
        self._tables = tables
        self._reductions = tuple(_reduction(rule, builder_class) for rule in tables.rules)
        # A ?rule of one symbol (expr: or_expr, sum: product, ...) passes its value up unchanged;
        # most reductions are of this kind, so they only replace the state on top of the stack.
        self._passes_up = tuple(symbol if size == 1 and inline and keep is None else None
                                for symbol, size, _build, inline, keep, _trailing in tables.rules)

    def session(self, start: str, builder: Any) -> "Session":
        return Session(self._tables, self._reductions, self._passes_up, start, builder)


def _reduction(rule: tuple[Any, ...], builder_class: type) -> tuple[Any, ...]:
    symbol, size, callback, inline, keep, trailing = rule
    if symbol.startswith("_"):  # a helper rule of a repetition: its children join the parent's
        build: Callable[[Any, list[Any]], Any] = _as_is
    else:
        method = getattr(builder_class, callback, None)
        build = method if method is not None else partial(_default, callback)
    return symbol, size, build, inline, keep, trailing


def _as_is(_builder: Any, children: list[Any]) -> list[Any]:
    return children


def _default(callback: str, builder: Any, children: list[Any]) -> Any:
    return builder.__default__(callback, children, None)


class Session:
    """One parse: ``accepts()`` names what can come next; ``run`` feeds the tokens and the end."""

    __slots__ = ("_states", "_reductions", "_passes_up", "_stack", "_values", "_end_state", "_builder")

    def __init__(self, tables: Tables, reductions: tuple[tuple[Any, ...], ...],
                 passes_up: tuple[str | None, ...], start: str, builder: Any):
        self._states = tables.states
        self._reductions = reductions
        self._passes_up = passes_up
        self._builder = builder
        self._stack = [tables.start_states[start]]
        self._values: list[Any] = []
        self._end_state = tables.end_states[start]

    def accepts(self) -> Collection[str]:
        return self._states[self._stack[-1]].keys()

    def run(self, tokens: Iterable[Any], end: Callable[[], Any]) -> Any:
        """Feed ``tokens`` (anything with ``.type``), then the token ``end()`` makes (of type
        ``$END``); return what the start symbol's reduction built."""
        states, stack, values = self._states, self._stack, self._values
        reduce, passes_up = self._reduce, self._passes_up
        for token in tokens:
            kind = token.type
            while True:
                action = states[stack[-1]].get(kind)
                if action is None:
                    raise Rejected(token, states[stack[-1]])
                if action >= 0:
                    stack.append(action)
                    values.append(token)
                    break
                symbol = passes_up[-1 - action]
                if symbol is not None:
                    stack[-1] = states[stack[-2]][symbol]
                else:
                    reduce(-1 - action)
        token = end()
        while True:
            action = states[stack[-1]].get("$END")
            if action is None or action >= 0:
                raise Rejected(token, states[stack[-1]])
            reduce(-1 - action)
            if stack[-1] == self._end_state:
                return values[-1]

    def _reduce(self, rule: int) -> None:
        # What Lark's tree builder does at a reduction: keep, splice and pad the children, let a
        # single child of a ?rule stand for it, otherwise call the builder.
        symbol, size, build, inline, keep, trailing = self._reductions[rule]
        stack, values = self._stack, self._values
        if size:
            children = values[-size:]
            del stack[-size:]
            del values[-size:]
        else:
            children = []
        if keep is not None:
            kept: list[Any] = []
            for index, splice, nones in keep:
                if nones:
                    kept += [None] * nones
                if splice and not kept:
                    # A repetition grows on the left (items: items "," expr): take its list over
                    # rather than copying it, or a list of n items would cost n squared.
                    kept = children[index]
                elif splice:
                    kept += children[index]
                else:
                    kept.append(children[index])
            if trailing:
                kept += [None] * trailing
            children = kept
        value = children[0] if inline and len(children) == 1 else build(self._builder, children)
        stack.append(self._states[stack[-1]][symbol])
        values.append(value)


# ---- the shipped tables -------------------------------------------------------------------------

class StaleTables(InternalError):
    """grammar_tables.py was generated from another grammar.lark (a development slip: run
    ``python tools/grammar_tables.py``)."""


def load_tables() -> Tables:
    from compliance.dsl import grammar_tables as shipped

    if shipped.GRAMMAR_SHA256 != grammar_digest(grammar_text()):
        raise StaleTables("compliance/dsl/grammar_tables.py does not match grammar.lark; "
                          "regenerate it with: python tools/grammar_tables.py")
    return Tables(tuple(TerminalSpec(*t) for t in shipped.TERMINALS), shipped.IGNORE,
                  shipped.START_STATES, shipped.END_STATES, shipped.STATES, shipped.RULES)
