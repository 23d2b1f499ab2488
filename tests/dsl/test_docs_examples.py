"""Every ```rules block of docs/dsl.md parses; whole files (starting with 'ruleset') also check, and the
builtin table lists exactly the registry's functions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from compliance.dsl.loader import load_ruleset_text
from compliance.dsl.parser import parse_ruleset
from compliance.evaluate.builtins import REGISTRY

DOC = Path(__file__).resolve().parents[2] / "docs" / "dsl.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = [(TEXT[:match.start()].count("\n") + 2, match.group(1))
          for match in re.finditer(r"^```rules\n(.*?)^```", TEXT, re.S | re.M)]


def test_the_reference_has_examples() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("line, block", BLOCKS, ids=[f"docs/dsl.md:{line}" for line, _ in BLOCKS])
def test_example_parses_and_checks(line: int, block: str) -> None:
    complete = block.lstrip().startswith(("ruleset", "#")) and re.search(r"^ruleset ", block, re.M)
    text = block if complete else 'ruleset fragment\n  version "1"\n\n' + block
    parse_ruleset(text, f"docs/dsl.md:{line}")
    if complete:
        load_ruleset_text(text, f"docs/dsl.md:{line}")


def test_in_file_test_examples_pass() -> None:
    from compliance.evaluate.testing import run_tests

    complete = [block for _line, block in BLOCKS if "\ntest " in block]
    assert complete
    for block in complete:
        results = run_tests(load_ruleset_text(block, "docs/dsl.md"))
        assert results and all(r.passed for r in results), [e for r in results for e in r.expectations]


def test_every_builtin_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)\(", TEXT, re.M))
    assert documented == set(REGISTRY)


def test_formatter_example_is_already_canonical() -> None:
    from compliance.dsl.formatter import format_ruleset

    block = next(block for _line, block in BLOCKS if block.startswith("ruleset formatted"))
    assert format_ruleset(block, "docs/dsl.md") == block
