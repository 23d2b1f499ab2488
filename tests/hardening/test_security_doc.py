"""docs/security.md states every limit with the value the code enforces: each constant below is
imported, formatted as the page writes it, and looked for in the table cell that names it; and
every ``MAX_*`` constant of the modules that enforce limits is in this list, so a new limit cannot
go undocumented."""
from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def count(value: int) -> str:
    return f"{value:,}"


def size(value: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if value >= 1 << shift and value % (1 << shift) == 0:
            return f"{value >> shift} {unit}"
    return f"{value:,}"


def seconds(value: float) -> str:
    return f"{value:g} s"


def power(value: float) -> str:
    return f"{value:.0e}".replace("e+", "e")


# (module, constant, how the page writes its value)
LIMITS: list[tuple[str, str, Callable[..., str]]] = [
    ("compliance.documents.files", "STDIN_MAX_SECONDS", seconds),
    ("compliance.documents.files", "MAX_PATH_CHARS", count),
    ("compliance.documents.files", "SHOWN_PATH_CHARS", count),
    ("compliance.documents.yaml_loader", "MAX_FILE_BYTES", size),
    ("compliance.documents.yaml_loader", "MAX_DEPTH", count),
    ("compliance.documents.yaml_loader", "MAX_NODES", count),
    ("compliance.documents.yaml_loader", "MAX_NUMBER_DIGITS", count),
    ("compliance.documents.yaml_loader", "MAX_NUMBER_EXPONENT", count),
    ("compliance.dsl.units", "MAX_DECIMAL_DIGITS", count),
    ("compliance.dsl.units", "MAX_DECIMAL_EXPONENT", count),
    ("compliance.dsl.units", "MAX_DURATION_DIGITS", count),
    ("compliance.dsl.loader", "MAX_SOURCE_BYTES", count),
    ("compliance.dsl.parser", "MAX_NESTING", count),
    ("compliance.dsl.parser", "MAX_EXPRESSION_DEPTH", count),
    ("compliance.dsl.loader", "MAX_EXTENDS_DEPTH", count),
    ("compliance.dsl.patterns", "MAX_PATTERN_LENGTH", count),
    ("compliance.dsl.patterns", "MAX_PATTERN_MEMORY", size),
    ("compliance.evaluate.builtins", "MAX_TEXT_CHARS", count),
    ("compliance.documents.snapshot", "MAX_SNAPSHOT_BYTES", size),
    ("compliance.documents.snapshot", "MAX_ROWS", count),
    ("compliance.documents.snapshot", "CSV_BLOCK_SIZE", size),
    ("compliance.documents.snapshot", "_HEADER_LIMIT", size),
    ("compliance.documents.snapshot", "TREE_MAX_BYTES", size),
    ("compliance.documents.snapshot", "TREE_MAX_VALUES", count),
    ("compliance.documents.snapshot", "MAX_AMOUNT", power),
    ("compliance.documents.snapshot", "MAX_COUNT", count),
    ("compliance.documents.snapshot", "_SHOWN_CHARS", count),
    ("compliance.audit.stress", "MAX_SHOCKS", count),
    ("compliance.risk.limits", "MAX_HORIZON_DAYS", count),
    ("compliance.risk.limits", "MAX_PATHS", count),
    ("compliance.risk.limits", "MAX_PATH_DAYS", count),
    ("compliance.report.sandbox", "MAX_TEMPLATE_BYTES", size),
    ("compliance.report.sandbox", "MAX_TEMPLATE_SECONDS", seconds),
    ("compliance.report.sandbox", "MAX_OUTPUT_CHARS", count),
    ("compliance.report.sandbox", "MAX_STRING_CHARS", count),
    ("compliance.report.sandbox", "MAX_SEQUENCE_ITEMS", count),
    ("compliance.report.sandbox", "MAX_INT_BITS", count),
    ("compliance.report.sandbox", "MAX_FORMAT_WIDTH", count),
    ("compliance.report.sandbox", "MAX_LOOP_ITERATIONS", count),
    ("compliance.report.sandbox", "MAX_MACRO_CALLS", count),
    ("compliance.report.sandbox", "MAX_MACRO_DEPTH", count),
]

# Modules whose MAX_* constants are limits on inputs.
ENFORCING = sorted({module for module, _, _ in LIMITS})
NOT_IN_TABLE: set[tuple[str, str]] = set()


def _cells() -> list[str]:
    return [cell for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")
            for cell in line.split(" | ")]


@pytest.mark.parametrize("module, name, shown", LIMITS, ids=[name for _, name, _ in LIMITS])
def test_the_page_states_each_limit_with_its_value(module: str, name: str,
                                                   shown: Callable[..., str]) -> None:
    value = getattr(importlib.import_module(module), name)
    cells = [cell for cell in _cells() if f"`{name}`" in cell]
    assert cells, f"docs/security.md does not name {name}"
    assert any(shown(value) in cell for cell in cells), \
        f"docs/security.md gives {name} another value than {shown(value)!r}: {cells}"


@pytest.mark.parametrize("module", ENFORCING)
def test_every_limit_constant_is_on_the_page(module: str) -> None:
    listed = {name for m, name, _ in LIMITS if m == module}
    source = Path(importlib.import_module(module).__file__ or "").read_text(encoding="utf-8")
    defined = re.findall(r"^(_?MAX_[A-Z_]+)\s*=", source, re.MULTILINE)  # not the imported ones
    names = {name for name in defined if (module, name) not in NOT_IN_TABLE}
    assert names <= listed, f"limits of {module} missing from the page and this test: {names - listed}"


def test_the_calendar_range_is_stated() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"{dt.date.min.isoformat()} to {dt.date.max.isoformat()}" in text
