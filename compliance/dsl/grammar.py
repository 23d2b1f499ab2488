"""grammar.lark -> LALR(1) tables (computed by Lark), and the table-driven parser that runs them.

Lark reads the grammar and computes its LALR(1) parse table, the terminals and, for each grammar
rule, how Lark shapes its children (``?rule`` inlining, ``_helper`` splicing, ``None`` for an
absent ``[optional]`` part). That costs ~110 ms and Lark's import another ~35 ms, so it is done
once, by ``python -m compliance.dsl.grammar``, into ``grammar_tables.py`` (plain literals, shipped
with the package); at run time a shift/reduce loop of a few lines runs those tables and hands each
reduction to the AST builder exactly as Lark would. A test keeps the file in step with the grammar
and checks the parser against Lark's own on every built-in ruleset and on mutated ones. Should the
file ever be stale, the tables are computed from the grammar with Lark instead: a mismatch costs
time, never correctness.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

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


class Rejected(Exception):
    """The parser cannot take ``token`` here; ``expected`` names the terminals it could take."""

    def __init__(self, token: Any, expected: Collection[str]):
        super().__init__(getattr(token, "value", ""))
        self.token = token
        self.expected = frozenset(name for name in expected if name.isupper())


class LalrParser:
    """The grammar's LALR(1) parser, building with ``builder``: one method per grammar rule (or
    ``__default__``), called with the rule's children (tokens, None for an absent optional part,
    and what earlier calls returned)."""

    def __init__(self, builder: Any):
        tables = load_tables()
        self.terminals = tables.terminals
        self.ignore = frozenset(tables.ignore)
        self._tables = tables
        self._reductions = tuple(_reduction(rule, builder) for rule in tables.rules)
        # A ?rule of one symbol (expr: or_expr, sum: product, ...) passes its value up unchanged;
        # most reductions are of this kind, so they only replace the state on top of the stack.
        self._passes_up = tuple(symbol if size == 1 and inline and keep is None else None
                                for symbol, size, _build, inline, keep, _trailing in tables.rules)

    def session(self, start: str) -> "Session":
        return Session(self._tables, self._reductions, self._passes_up, start)


def _reduction(rule: tuple[Any, ...], builder: Any) -> tuple[Any, ...]:
    symbol, size, callback, inline, keep, trailing = rule
    if symbol.startswith("_"):  # a helper rule of a repetition: its children join the parent's
        build: Callable[[list[Any]], Any] = _as_is
    else:
        build = getattr(builder, callback, None) or partial(builder.__default__, callback, meta=None)
    return symbol, size, build, inline, keep, trailing


def _as_is(children: list[Any]) -> list[Any]:
    return children


class Session:
    """One parse: ``accepts()`` names what can come next; ``run`` feeds the tokens and the end."""

    __slots__ = ("_states", "_reductions", "_passes_up", "_stack", "_values", "_end_state")

    def __init__(self, tables: Tables, reductions: tuple[tuple[Any, ...], ...],
                 passes_up: tuple[str | None, ...], start: str):
        self._states = tables.states
        self._reductions = reductions
        self._passes_up = passes_up
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
        value = children[0] if inline and len(children) == 1 else build(children)
        stack.append(self._states[stack[-1]][symbol])
        values.append(value)


# ---- the tables: shipped, or computed by Lark -------------------------------------------------

def load_tables() -> Tables:
    text = grammar_text()
    try:
        from compliance.dsl import grammar_tables as shipped

        if shipped.GRAMMAR_SHA256 == grammar_digest(text):
            return Tables(tuple(TerminalSpec(*t) for t in shipped.TERMINALS), shipped.IGNORE,
                          shipped.START_STATES, shipped.END_STATES, shipped.STATES, shipped.RULES)
    except Exception:  # noqa: BLE001 - stale or unreadable tables only cost the time to compute them
        pass
    return compute_tables(text)


def compute_tables(text: str) -> Tables:
    """Lark's LALR(1) analysis of grammar ``text``, as plain data."""
    from lark import Lark
    from lark.lexer import PatternStr

    lark = Lark(text, **OPTIONS)
    table = lark.parser.parser._parse_table  # Lark's LALR analysis; public in spirit, not in name
    rules = list(lark.rules)
    number = {rule: index for index, rule in enumerate(rules)}
    actions = {state: {str(symbol): (target if action.name == "Shift" else -1 - number[target])
                       for symbol, (action, target) in transitions.items()}
               for state, transitions in table.states.items()}
    renumber = _canonical_numbering(actions, table.start_states)
    states = tuple({symbol: (renumber[target] if target >= 0 else target)
                    for symbol, target in sorted(actions[old].items())}
                   for old in sorted(renumber, key=renumber.__getitem__))
    # In the order Lark's scanner tries them (lark/lexer.py, BasicLexer): priority, then the longest
    # possible match, then the longest pattern, then the name.
    scanning_order = sorted(lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                           -len(t.pattern.value), t.name))
    terminals = tuple(TerminalSpec(str(t.name), t.pattern.to_regexp(), t.priority, t.pattern.max_width,
                                   t.pattern.value if isinstance(t.pattern, PatternStr) else None)
                      for t in scanning_order)
    return Tables(terminals, tuple(sorted(map(str, lark.lexer_conf.ignore))),
                  {start: renumber[state] for start, state in sorted(table.start_states.items())},
                  {start: renumber[state] for start, state in sorted(table.end_states.items())},
                  states, tuple(_rule_shape(rule) for rule in rules))


def _canonical_numbering(actions: dict[Any, dict[str, int]], starts: dict[str, Any]) -> dict[Any, int]:
    """Number the states in the order a breadth-first walk from the start states meets them,
    following symbols in sorted order. Lark's own numbering follows set iteration order and
    changes from run to run; this one depends on the grammar alone, so the generated file does."""
    order: dict[Any, int] = {}
    queue = [state for _start, state in sorted(starts.items())]
    for state in queue:
        if state not in order:
            order[state] = len(order)
            queue.extend(target for _symbol, target in sorted(actions[state].items()) if target >= 0)
    if len(order) != len(actions):
        raise RuntimeError("a parser state cannot be reached from a start state")
    return order


def _rule_shape(rule: Any) -> tuple[Any, ...]:
    """How Lark's tree builder (lark/parse_tree_builder.py) shapes the children of ``rule``."""
    options, expansion = rule.options, rule.expansion
    if options.empty_indices:  # a True stands where an absent optional part was, between symbols
        marks = "".join("1" if absent else "0" for absent in options.empty_indices)
        nones_at = [len(run) for run in marks.split("0")]
    else:
        nones_at = [0] * (len(expansion) + 1)
    keep: list[tuple[int, bool, int]] = []
    pending = 0
    for index, symbol in enumerate(expansion):
        pending += nones_at[index]
        if options.keep_all_tokens or not (symbol.is_term and symbol.filter_out):
            keep.append((index, not symbol.is_term and symbol.name.startswith("_"), pending))
            pending = 0
    trailing = pending + nones_at[len(expansion)]
    needed = bool(options.empty_indices) or len(keep) < len(expansion) or any(s for _i, s, _n in keep)
    callback = rule.alias or options.template_source or rule.origin.name
    return (str(rule.origin.name), len(expansion), str(callback), bool(options.expand1 and not rule.alias),
            tuple(keep) if needed else None, trailing if needed else 0)


def generate_tables(text: str) -> str:
    """The source of grammar_tables.py for grammar ``text``."""
    import pprint

    import lark

    tables = compute_tables(text)

    def literal(value: Any) -> str:
        return pprint.pformat(value, width=100, compact=True, sort_dicts=False)

    return "\n".join([
        '"""LALR(1) tables of grammar.lark, computed by Lark: ``python -m compliance.dsl.grammar``.',
        "",
        "Generated; do not edit. Regenerate after changing the grammar (a test fails until you do).",
        '"""',
        f"GRAMMAR_SHA256 = {grammar_digest(text)!r}",
        f"LARK_VERSION = {lark.__version__!r}",
        f"TERMINALS = {literal(tuple((t.name, t.regexp, t.priority, t.max_width, t.literal) for t in tables.terminals))}",
        f"IGNORE = {tables.ignore!r}",
        f"START_STATES = {tables.start_states!r}",
        f"END_STATES = {tables.end_states!r}",
        f"RULES = {literal(tables.rules)}",
        f"STATES = {literal(tables.states)}",
        "",
    ])


def main() -> None:
    target = Path(__file__).with_name("grammar_tables.py")
    target.write_text(generate_tables(grammar_text()), encoding="utf-8")
    print(f"wrote {target.name}")


if __name__ == "__main__":
    main()
