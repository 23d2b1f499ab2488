"""Ruleset texts the language-server tests edit, and a cursor marker to place positions in them."""
from __future__ import annotations

from pathlib import Path

CURSOR = "¦"

# Extends a built-in ruleset, overrides one of its parameters, qualifies one of its rules, and has
# an account rule, a loop, a quantifier, and a passing and a failing in-file test.
DEMO = '''ruleset demo
  version "1"
  title "Demo house rules"
  extends esma_like

override let close_out_level = 55% from 2018-08-01, 60% from 2030-01-01

let local_cap = 30:1

rule DEMO-LEV-1 "Major FX capped at the house cap"
  topic leverage_cap
  severity error
  citation "House policy, Art. 1"
  for each class, offered in leverage
  when client.category == "retail"
  require offered <= local_cap and (missing clauses or all(c in clauses: length(c.text) > 0))

rule DEMO-ACC-1 "Accounts keep half their margin"
  topic margin_close_out
  severity warning
  citation "House policy, Art. 2"
  applies to account
  require equity >= close_out_level * margin_used

exception DEMO-LEV-1-GOLD to ESMA-LEV-1 "Gold has its own cap"
  when class == "gold"
  require offered <= 20:1

test "fifty to one fails"
  given contract {client: {category: "retail"}, leverage: {fx_major: 50:1}}
  expect DEMO-LEV-1 failed

test "thirty to one passes"
  given contract {client: {category: "retail"}, leverage: {fx_major: 30:1}}
  expect DEMO-LEV-1 passed
'''


def cursor(text: str) -> tuple[str, int, int]:
    """The text without the cursor marker, and the marker's line and character (0-based)."""
    index = text.index(CURSOR)
    clean = text.replace(CURSOR, "", 1)
    line = clean.count("\n", 0, index)
    return clean, line, index - (clean.rfind("\n", 0, index) + 1)


def mark(text: str, fragment: str, offset: int = 0) -> str:
    """``text`` with the cursor ``offset`` characters into the first occurrence of ``fragment``."""
    at = text.index(fragment) + offset
    return text[:at] + CURSOR + text[at:]


def line_of(path: Path, start: str) -> int:
    """The 0-based line of ``path`` that starts with ``start``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(index for index, line in enumerate(lines) if line.startswith(start))
