"""Waivers (spec "Waivers"): loading with positions, matching by id and glob, expiry boundary."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from report_samples import ACME, FINDINGS

from compliance.errors import InputError
from compliance.records import replace
from compliance.waivers import Waiver, apply_waivers, load_waivers

OPEN = [replace(f, waived=False, waiver_reason="") for f in FINDINGS]
GOOD = """\
waivers:
  - rule_id: INC-001
    contract: ACME-CFD-RETAIL-2026
    reason: legacy promotion ends with the quarter
    approved_by: Head of Compliance
    expires: 2026-03-31
  - rule_id: RW-002
    contract: "contracts/acme-*.yaml"
    reason: new warning text is with the printer
    approved_by: J. Doe
    expires: "2026-02-28"
"""


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _error(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load_waivers(_write(tmp_path, text))
    return caught.value


def test_load_waivers(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    first, second = load_waivers(path)
    assert first == Waiver("INC-001", "ACME-CFD-RETAIL-2026", "legacy promotion ends with the quarter",
                           "Head of Compliance", date(2026, 3, 31), path, 2, 5)
    assert second.contract == "contracts/acme-*.yaml" and second.expires == date(2026, 2, 28)


def test_matching_by_contract_id_and_by_path_glob(tmp_path: Path) -> None:
    waivers = load_waivers(_write(tmp_path, GOOD))
    findings, notices = apply_waivers(OPEN, waivers, as_of=date(2026, 2, 15), document_ids={})
    waived = {f.rule_id: f for f in findings if f.waived}
    assert sorted(waived) == ["INC-001", "RW-002"]
    assert waived["INC-001"].waiver_reason == (
        "legacy promotion ends with the quarter (approved by Head of Compliance, until 2026-03-31)")
    assert waived["RW-002"].severity == "warning"          # keeps its severity
    assert [f.rule_id for f in findings if not f.waived] == ["LEV-001", "MCO-001", "FEE-003"]
    assert notices == []


def test_contract_id_comes_from_document_ids_when_the_finding_has_none(tmp_path: Path) -> None:
    waiver = load_waivers(_write(tmp_path, GOOD))[0]
    finding = replace(OPEN[4], document_id="")
    [marked], _ = apply_waivers([finding], [waiver], as_of=date(2026, 1, 1),
                                document_ids={ACME: "ACME-CFD-RETAIL-2026"})
    assert marked.waived
    [unmarked], _ = apply_waivers([finding], [waiver], as_of=date(2026, 1, 1), document_ids={})
    assert not unmarked.waived


@pytest.mark.parametrize(("as_of", "waived"), [
    (date(2026, 2, 27), True), (date(2026, 2, 28), True), (date(2026, 3, 1), False)],
    ids=["day-before", "expiry-day", "day-after"])
def test_waiver_applies_on_its_expiry_day_and_stops_the_day_after(
        tmp_path: Path, as_of: date, waived: bool) -> None:
    waiver = load_waivers(_write(tmp_path, GOOD))[1]
    [finding], notices = apply_waivers([OPEN[2]], [waiver], as_of=as_of, document_ids={})
    assert finding.waived is waived
    if waived:
        assert notices == []
    else:
        [notice] = notices
        assert (notice.rule_id, notice.severity, notice.topic) == (
            "WAIVER-EXPIRED", "warning", "risk_warning")
        assert (notice.path, notice.line) == (waiver.path, 7)
        assert "J. Doe" in notice.message and "2026-02-28" in notice.message
        assert "RW-002" in notice.message


def test_unused_waiver_is_reported_as_info(tmp_path: Path) -> None:
    waivers = load_waivers(_write(tmp_path, GOOD))
    _, notices = apply_waivers(OPEN[:1], waivers, as_of=date(2026, 1, 1), document_ids={},
                               rule_topics={"INC-001": "incentives"})
    assert [(n.rule_id, n.severity, n.topic) for n in notices] == [
        ("WAIVER-UNUSED", "info", "incentives"), ("WAIVER-UNUSED", "info", "")]
    _, quiet = apply_waivers(OPEN[:1], waivers, as_of=date(2026, 1, 1), document_ids={},
                             report_unused=False)
    assert quiet == []


def test_missing_reason_and_approver_are_errors_with_lines(tmp_path: Path) -> None:
    error = _error(tmp_path, "waivers:\n  - rule_id: X-1\n    contract: C\n    expires: 2026-01-01\n")
    messages = [(d.line, d.column, d.message) for d in error.diagnostics]
    assert messages == [
        (2, 5, "waiver has no 'reason': each waiver needs rule_id, contract, reason, approved_by, expires"),
        (2, 5, "waiver has no 'approved_by': each waiver needs rule_id, contract, reason, "
               "approved_by, expires")]
    assert str(error).startswith(f"{tmp_path / 'waivers.yaml'}:2:5: error: waiver has no 'reason'")


def test_blank_reason_is_an_error(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("reason: legacy promotion ends with the quarter",
                                          'reason: "  "'))
    assert [(d.line, d.message) for d in error.diagnostics] == [
        (4, "'reason' must be non-empty text, got '  '")]


@pytest.mark.parametrize("bad", ["2026-02-30", "31/03/2026", "2026-3-1", "tomorrow", "20260331"])
def test_bad_dates_are_errors(tmp_path: Path, bad: str) -> None:
    error = _error(tmp_path, GOOD.replace("expires: 2026-03-31", f"expires: {bad}"))
    [diagnostic] = error.diagnostics
    assert diagnostic.line == 6 and "'expires' must be an ISO date" in diagnostic.message


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("    approved_by: J. Doe", "    approved_by: J. Doe\n    aproved: x"))
    [diagnostic] = error.diagnostics
    assert (diagnostic.line, diagnostic.column) == (11, 5)
    assert diagnostic.message == "unknown key 'aproved' in a waiver; did you mean 'approved_by'?"


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("waivers: {rule_id: X}\n", 1, "'waivers' must be a list"),
    ("- rule_id: X\n", 1, "must be a mapping with a 'waivers:' list"),
    ("waiver: []\n", 1, "unknown key 'waiver'"),
    ("waivers:\n  - just text\n", 2, "each waiver must be a mapping"),
])
def test_file_shape_errors(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    error = _error(tmp_path, text)
    assert error.diagnostics[0].line == line and fragment in error.diagnostics[0].message


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("expires: 2026-03-31", "expires: soon").replace("approved_by: J. Doe", "approved_by: 7")
    error = _error(tmp_path, text)
    assert [d.line for d in error.diagnostics] == [6, 10]
