"""Shared pieces of the hardening tests: seed inputs, a hypothesis mutation strategy, the check that
an error renders as ``PATH:LINE:COL: error: MESSAGE``, and the register of open crash bugs.

The register (``KNOWN_CRASHES``) lists crashes found by the fuzzer or by these tests that are not
fixed yet; each has a strict xfail test with its minimal input in ``test_fuzz_regressions.py``. The
property tests tolerate a crash only when it matches an entry here (same exception type raised
from the same function), so a new crash fails them. When a bug is fixed its xfail starts passing
(strict: the suite fails) and its entry here must be removed.
"""
from __future__ import annotations

import re
import traceback
from pathlib import Path

from hypothesis import strategies as st

from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[2]

# PATH:LINE:COL: error: MESSAGE, or PATH:LINE: error:, or PATH: error: (no position); the
# offending line and a caret may follow on the next two lines.
DIAGNOSTIC = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?: error: (?P<msg>\S.*)$")

# (exception type, function in which it is raised inside the package or the library it calls)
KNOWN_CRASHES: list[tuple[type[BaseException], str, str]] = [
]


# Diagnostics that are exit-2 errors but not in the one-line ``PATH:LINE:COL: error:`` form yet
# (message substring -> the open defect), each with a strict xfail in test_fuzz_regressions.py.
KNOWN_FORMAT_DEFECTS: dict[str, str] = {}


def known_crash(error: BaseException) -> str | None:
    """The register entry an unexpected exception matches, if any."""
    functions = {frame.name for frame in traceback.extract_tb(error.__traceback__)}
    for kind, function, description in KNOWN_CRASHES:
        if isinstance(error, kind) and function in functions:
            return description
    return None


def assert_renders(error: InputError) -> None:
    """Every diagnostic renders as ``PATH[:LINE[:COL]]: error: MESSAGE`` on its first line."""
    assert error.diagnostics, "an InputError without any diagnostic"
    for diagnostic in error.diagnostics:
        if any(text in diagnostic.message for text in KNOWN_FORMAT_DEFECTS):
            continue
        assert "\n" not in diagnostic.message, f"a message on several lines: {diagnostic.message!r}"
        rendered = diagnostic.render()
        first, *rest = rendered.split("\n")
        match = DIAGNOSTIC.match(first)
        assert match, f"badly formed diagnostic: {first!r}"
        if diagnostic.line is not None:
            assert match.group("line") == str(diagnostic.line)
            assert diagnostic.line >= 1
        if diagnostic.column is not None and diagnostic.line is not None:
            assert diagnostic.column >= 1, rendered
        assert len(rest) in (0, 2), rendered
        for extra in rest:  # the source line shown is cut to a bounded width
            assert len(extra) <= 4 + 200 + 1, "a diagnostic floods the terminal"


def expect_result_or_input_error(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run an entry point: a result or an InputError that renders; a crash only if registered."""
    try:
        return call(*args, **kwargs)
    except InputError as error:
        assert_renders(error)
        return error
    except Exception as error:  # noqa: BLE001
        if known_crash(error) is None:
            raise
        return error


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------

def ruleset_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "rulesets").glob("*.rules"))]


def ruleset_blocks() -> list[str]:
    """Small programs: a ruleset header and one block (rule, let, test...) of a real ruleset."""
    out = []
    for text in ruleset_texts():
        name = next((line.split()[1] for line in text.splitlines() if line.startswith("ruleset ")), "x")
        for block in text.split("\n\n"):
            body = "\n".join(line for line in block.split("\n") if not line.lstrip().startswith("#"))
            if body.strip() and "ruleset " not in body:
                out.append(f'ruleset {name}\n  version "1.0.0"\n\n{body}\n')
    return out


def contract_texts() -> list[str]:
    return [p.read_text(encoding="utf-8")
            for p in sorted((ROOT / "contract_templates").glob("*.yaml"))]


SNAPSHOT_CSV = ("account_id,client_category,balance,equity,margin_used,exposure,currency,"
                "negative_balance_protection,instrument_class,positions_count\n"
                "A-1,retail,1000.50,900.25,100,3000,EUR,true,fx_major,2\n"
                "A-2,professional,25000,24000,5000.75,150000,USD,false,equity,10\n"
                "A-3,retail,10,-5,40,400,EUR,yes,crypto,1\n")
SNAPSHOT_YAML = ("accounts:\n"
                 "  - {account_id: A-1, client_category: retail, balance: 1000.50, equity: 900,\n"
                 "     margin_used: 100, exposure: 3000, currency: EUR}\n"
                 "  - {account_id: A-2, client_category: professional, balance: 25000,\n"
                 "     equity: 24000, margin_used: 5000, exposure: 150000}\n")
SNAPSHOT_JSON = ('{"accounts": [{"account_id": "A-1", "client_category": "retail", "balance": 1000.5,'
                 ' "equity": 900, "margin_used": 100, "exposure": 3000, "currency": "EUR"}]}\n')
WAIVERS = ("waivers:\n"
           "  - rule_id: ESMA-INC-1\n"
           "    contract: ACME-CFD-RETAIL-2026\n"
           "    reason: legacy promotion ends with the quarter\n"
           "    approved_by: Head of Compliance\n"
           "    expires: 2026-03-31\n")

# ---------------------------------------------------------------------------------------------
# Mutation strategy
# ---------------------------------------------------------------------------------------------

TOKENS = [
    "ruleset", "version", "extends", "rule", "exception", "disable", "let", "test", "given",
    "expect", "require", "when", "message", "for each", "and", "or", "not", "in", "missing",
    "matches(", "open(\"x\")", "__class__", "30:1", "50%", "1e308", "EUR 25000", "2026-02-30",
    "\"", "\\", "{", "}", "[", "]", "(", ")", ",", ":", "\n", "\t", "&a ", "*a", "<<: ", "? ",
    "!!python/object:os.system ", "!!binary ", "---\n", "- ", "|\n", "~", "null", ".inf", "NaN",
    "0x1F", "\x00", "\ufeff", "中文", "𝔘", "9" * 40, "-1e308", "kind: contract\n",
]
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@st.composite
def mutated(draw, seeds: list[str], max_ops: int = 6, huge: bool = True):  # type: ignore[no-untyped-def]
    """A seed with 1..max_ops mutations: deletions, duplications, swaps, insertions of characters
    and tokens, truncation, huge numbers, NULs and deep brackets."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, max_ops))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = min(n, i + draw(st.integers(0, 40)))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "token", "truncate",
                                   "number", "brackets", "nul"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.sampled_from([1, 2, 5])) + text[j:]
        elif op == "swap":
            k = draw(st.integers(0, n))
            a, b = sorted((i, k))
            text = text[:a] + text[b:b + 8] + text[a + 8:b] + text[a:a + 8] + text[b + 8:]
        elif op == "insert":
            text = text[:i] + draw(_TEXT) + text[i:]
        elif op == "token":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "truncate":
            text = text[:i]
        elif op == "number":
            sizes = [20, 309, 400, 5000] if huge else [20, 309, 400]
            digits = "1" * draw(st.sampled_from(sizes))
            text = text[:i] + draw(st.sampled_from([digits, "-" + digits, digits + ".5",
                                                    "1e" + digits[:6]])) + text[i:]
        elif op == "brackets":
            opener, closer = draw(st.sampled_from([("(", ")"), ("[", "]"), ("{", "}")]))
            depth = draw(st.sampled_from([2, 63, 64, 65, 200]))
            text = text[:i] + opener * depth + "1" + closer * depth + text[i:]
        else:
            text = text[:i] + "\x00" + text[i:]
    return text
