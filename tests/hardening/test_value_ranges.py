"""Every number, date and duration has a documented range; a value beyond it is exit 2 at the
value's position (``PATH:LINE:COL: error:``), never exit 3. Covers bare YAML numbers, snapshot
cells, calendar arithmetic of the DSL at the ends of the calendar and builtins outside their
domain."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_support import CONTRACT, copy_contract, picture, run_main

from compliance.documents.snapshot import MAX_AMOUNT, MAX_COUNT
from compliance.dsl.units import MAX_DECIMAL_EXPONENT

HEADER = "account_id,client_category,balance,equity,margin_used,exposure,positions_count\n"


def _contract_with(tmp_path: Path, old: str, new: str) -> tuple[Path, int, int]:
    """The contract template with one line changed; the (line, column) of the changed key."""
    text = CONTRACT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "contract.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = text[:text.index(old)]
    line = before.count("\n") + 1
    column = len(old) - len(old.lstrip()) + 1
    return path, line, column


@pytest.mark.parametrize("written", ["1e26", "1e1000", "0x" + "f" * 99, f"1e{MAX_DECIMAL_EXPONENT + 1}",
                                     "-1e26", "1" * 40])
def test_a_bare_yaml_number_out_of_range_is_an_error_at_its_key(tmp_path: Path, written: str) -> None:
    path, line, column = _contract_with(tmp_path, "  fx_major: 30:1", f"  fx_major: {written}")
    before = picture(tmp_path)
    result = run_main("check", str(path), "--ruleset", "esma_like", cwd=tmp_path)
    assert result.code == 2, result.err
    assert re.search(rf"^{re.escape(str(path))}:{line}:{column}: error: leverage\.fx_major: ",
                     result.err, re.MULTILINE), result.err
    assert picture(tmp_path) == before


def test_a_bare_number_inside_the_range_is_still_read(tmp_path: Path) -> None:
    path, _, _ = _contract_with(tmp_path, "  fx_major: 30:1", f"  fx_major: 1e{MAX_DECIMAL_EXPONENT}")
    result = run_main("check", str(path), "--ruleset", "esma_like", cwd=tmp_path)
    assert result.code == 1, result.err   # far above the cap: a finding, not an input error


@pytest.mark.parametrize("cell, column, value", [
    ("balance", 3, f"{MAX_AMOUNT:.0f}"), ("equity", 4, "-1e308"), ("exposure", 6, "1e300"),
    ("positions_count", 7, str(MAX_COUNT)),
])
def test_a_snapshot_cell_out_of_range_is_an_error_at_the_cell(tmp_path: Path, cell: str,
                                                              column: int, value: str) -> None:
    fields = ["A-1", "retail", "1000", "900", "100", "3000", "2"]
    fields[column - 1] = value
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + ",".join(fields) + "\n", encoding="utf-8")
    before = picture(tmp_path)
    result = run_main("audit", str(path), "--ruleset", "esma_like", "--stress=-10%", cwd=tmp_path)
    assert result.code == 2, result.err
    start = len(",".join(fields[:column - 1])) + (2 if column > 1 else 1)
    assert re.search(rf"^{re.escape(str(path))}:2:{start}: error: .*out of range", result.err,
                     re.MULTILINE), result.err
    assert picture(tmp_path) == before


def _ruleset(tmp_path: Path, requirement: str) -> tuple[Path, int, int]:
    text = ("ruleset ranges_test\n  version \"1.0.0\"\n\nrule R-1 \"t\"\n  topic leverage_cap\n"
            f"  severity error\n  citation \"x\"\n  require {requirement}\n  message \"m\"\n")
    path = tmp_path / "ranges.rules"
    path.write_text(text, encoding="utf-8")
    return path, 8, len("  require ") + 1


@pytest.mark.parametrize("requirement, as_of", [
    ("as_of + 999999 months > as_of", "2026-01-31"),
    ("as_of + 1 day > as_of", "9999-12-31"),
    ("as_of - 1 month < as_of", "0001-01-01"),
    ("as_of - 1 day < as_of", "0001-01-01"),
    ("as_of + 999999 days > as_of", "8000-01-01"),
])
def test_dsl_arithmetic_beyond_its_domain_is_an_error_at_the_expression(
        tmp_path: Path, requirement: str, as_of: str) -> None:
    contract = copy_contract(tmp_path)
    rules, line, column = _ruleset(tmp_path, requirement)
    before = picture(tmp_path)
    result = run_main("check", str(contract), "--ruleset", str(rules), "--as-of", as_of, cwd=tmp_path)
    assert result.code == 2, result.err
    assert re.search(rf"^{re.escape(rules.name)}:{line}:{column}: error: cannot evaluate: ", result.err,
                     re.MULTILINE), result.err
    assert "internal error" not in result.err
    assert picture(tmp_path) == before


@pytest.mark.parametrize("requirement", ["liquidation_drop(1:1, 100%) > 0%", "liquidation_drop(1:1, -5%) > 0%",
                                         "warning_drop(2:1, 100%) > 0%"])
def test_a_builtin_outside_its_domain_is_a_finding_not_an_internal_error(tmp_path: Path,
                                                                       requirement: str) -> None:
    # The builtins map their domain errors to a unit error (evaluate/builtins.py _drop): the rule
    # cannot be evaluated on this contract, a finding at the contract (exit 1), never exit 3.
    contract = copy_contract(tmp_path)
    rules, _, _ = _ruleset(tmp_path, requirement)
    result = run_main("check", str(contract), "--ruleset", str(rules), "--format", "json", cwd=tmp_path)
    assert result.code == 1, result.err
    assert "cannot be evaluated" in result.out


def test_arithmetic_inside_the_calendar_is_evaluated(tmp_path: Path) -> None:
    contract = copy_contract(tmp_path)
    rules, _, _ = _ruleset(tmp_path, "as_of + 999999 days > as_of and as_of - 1 day < as_of")
    result = run_main("check", str(contract), "--ruleset", str(rules), "--as-of", "2026-01-31",
                     cwd=tmp_path)
    assert result.code == 0, result.err


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_the_ends_of_the_calendar_are_accepted_as_as_of(tmp_path: Path, as_of: str) -> None:
    contract = copy_contract(tmp_path)
    result = run_main("check", str(contract), "--ruleset", "esma_like", "--as-of", as_of, cwd=tmp_path)
    assert result.code in (0, 1), result.err


@pytest.mark.parametrize("flag, value", [("--as-of", "10000-01-01"), ("--as-of", "0000-12-31"),
                                         ("--as-of", "2026-02-30")])
def test_a_flag_out_of_range_is_exit_2(tmp_path: Path, flag: str, value: str) -> None:
    contract = copy_contract(tmp_path)
    result = run_main("check", str(contract), "--ruleset", "esma_like", flag, value, cwd=tmp_path)
    assert result.code == 2 and result.err.startswith(f"{flag}: error: ")
