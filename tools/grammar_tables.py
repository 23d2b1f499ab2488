"""Write compliance/dsl/grammar_tables.py: the LALR(1) tables of grammar.lark, as Lark computes
them, taken from Lark's public serialization (``Lark.memo_serialize``).

Run it after editing the grammar (``python tools/grammar_tables.py``; a test fails until you do).
``--check`` writes nothing and exits 1 when the shipped tables differ from the grammar's. The
runtime parser (``compliance.dsl.grammar``) only reads the generated file: it never imports Lark.
"""
from __future__ import annotations

import argparse
import hashlib
import pprint
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = ROOT / "compliance" / "dsl" / "grammar.lark"
TARGET = ROOT / "compliance" / "dsl" / "grammar_tables.py"
sys.path.insert(0, str(ROOT))

from compliance.dsl.grammar import OPTIONS, Tables, TerminalSpec  # noqa: E402


def compute_tables(text: str) -> Tables:
    """Lark's LALR(1) analysis of grammar ``text``, from its serialized form, as plain data."""
    from lark import Lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = Lark(text, **OPTIONS).memo_serialize([TerminalDef, Rule])
    table = data["parser"]["parser"]
    tokens = table["tokens"]
    rules = [memo[ref["@"]] for ref in data["rules"]]
    number = {id(rule): index for index, rule in enumerate(rules)}
    by_memo = {ref["@"]: index for index, ref in enumerate(data["rules"])}
    actions: dict[int, dict[str, int]] = {}
    for state, transitions in table["states"].items():
        actions[int(state)] = {
            tokens[symbol]: (target if kind == 0 else -1 - by_memo[target["@"]])
            for symbol, (kind, target) in transitions.items()}
    del number
    renumber = _canonical_numbering(actions, table["start_states"])
    states = tuple({symbol: (renumber[target] if target >= 0 else target)
                    for symbol, target in sorted(actions[old].items())}
                   for old in sorted(renumber, key=renumber.__getitem__))
    terminals = [memo[ref["@"]] for ref in data["parser"]["lexer_conf"]["terminals"]]
    # In the order Lark's scanner tries them (lark/lexer.py, BasicLexer): priority, then the longest
    # possible match, then the longest pattern, then the name.
    ordered = sorted(terminals, key=lambda t: (-t["priority"], -_max_width(t["pattern"]),
                                               -len(t["pattern"]["value"]), t["name"]))
    specs = tuple(TerminalSpec(t["name"], _regexp(t["pattern"]), t["priority"], _max_width(t["pattern"]),
                               t["pattern"]["value"] if t["pattern"]["__type__"] == "PatternStr" else None)
                  for t in ordered)
    return Tables(specs, tuple(sorted(data["parser"]["lexer_conf"]["ignore"])),
                  {start: renumber[state] for start, state in sorted(table["start_states"].items())},
                  {start: renumber[state] for start, state in sorted(table["end_states"].items())},
                  states, tuple(_rule_shape(rule) for rule in rules))


def _regexp(pattern: dict[str, Any]) -> str:
    import re

    value = pattern["value"]
    flags = "".join(pattern.get("flags") or ())
    body = re.escape(value) if pattern["__type__"] == "PatternStr" else value
    return f"(?{flags}:{body})" if flags else body


def _max_width(pattern: dict[str, Any]) -> int:
    if pattern["__type__"] == "PatternStr":
        return len(pattern["value"])
    return int(pattern["_width"][1])


def _canonical_numbering(actions: dict[int, dict[str, int]], starts: dict[str, int]) -> dict[int, int]:
    """Number the states in the order a breadth-first walk from the start states meets them,
    following symbols in sorted order: the numbering then depends on the grammar alone."""
    order: dict[int, int] = {}
    queue = [state for _start, state in sorted(starts.items())]
    for state in queue:
        if state not in order:
            order[state] = len(order)
            queue.extend(target for _symbol, target in sorted(actions[state].items()) if target >= 0)
    if len(order) != len(actions):
        raise RuntimeError("a parser state cannot be reached from a start state")
    return order


def _rule_shape(rule: dict[str, Any]) -> tuple[Any, ...]:
    """How Lark's tree builder shapes the children of ``rule`` (with keep_all_tokens, every token
    is kept): where the None placeholders of absent optional parts go, which helper rules splice
    into their parent, and whether a ?rule of one child stands for that child."""
    options, expansion = rule["options"], rule["expansion"]
    empty = options["empty_indices"]
    if empty:  # a True stands where an absent optional part was, between symbols
        marks = "".join("1" if absent else "0" for absent in empty)
        nones_at = [len(run) for run in marks.split("0")]
    else:
        nones_at = [0] * (len(expansion) + 1)
    if not options["keep_all_tokens"]:
        raise RuntimeError("the tables assume keep_all_tokens (grammar.OPTIONS)")
    keep: list[tuple[int, bool, int]] = []
    pending = 0
    for index, symbol in enumerate(expansion):
        pending += nones_at[index]
        splice = symbol["__type__"] == "NonTerminal" and symbol["name"].startswith("_")
        keep.append((index, splice, pending))
        pending = 0
    trailing = pending + nones_at[len(expansion)]
    needed = bool(empty) or any(splice for _i, splice, _n in keep)
    callback = rule["alias"] or options["template_source"] or rule["origin"]["name"]
    return (rule["origin"]["name"], len(expansion), str(callback),
            bool(options["expand1"] and not rule["alias"]),
            tuple(keep) if needed else None, trailing if needed else 0)


def generate(text: str) -> str:
    """The source of grammar_tables.py for grammar ``text``."""
    tables = compute_tables(text)

    def literal(value: Any) -> str:
        return pprint.pformat(value, width=100, compact=True, sort_dicts=False)

    return "\n".join([
        '"""LALR(1) tables of grammar.lark, computed by Lark: ``python tools/grammar_tables.py``.',
        "",
        "Generated; do not edit. Regenerate after changing the grammar (a test fails until you do).",
        '"""',
        f"GRAMMAR_SHA256 = {hashlib.sha256(text.encode('utf-8')).hexdigest()!r}",
        f"TERMINALS = {literal(tuple((t.name, t.regexp, t.priority, t.max_width, t.literal) for t in tables.terminals))}",
        f"IGNORE = {tables.ignore!r}",
        f"START_STATES = {tables.start_states!r}",
        f"END_STATES = {tables.end_states!r}",
        f"RULES = {literal(tables.rules)}",
        f"STATES = {literal(tables.states)}",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when stale")
    args = parser.parse_args(argv)
    source = generate(GRAMMAR.read_text(encoding="utf-8"))
    if args.check:
        stale = TARGET.read_text(encoding="utf-8") != source
        print(f"{TARGET.name} is {'stale' if stale else 'current'}")
        return 1 if stale else 0
    TARGET.write_text(source, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
