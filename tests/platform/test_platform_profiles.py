"""The bundled platform profiles: the licensed broker passes with no finding at all, and each
warning-sign profile fails for exactly its sign (the gate the lead adds to CI runs the first)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "platform_profiles"
REVIEW_DATE = (PROFILES / "REVIEW_DATE").read_text().strip()

WARNING_SIGNS = {
    "no_depository": {"PDD-DEP-1", "PDD-DEP-3", "PDD-CN-DEP-1"},
    "unverifiable_audit": {"PDD-AUD-1"},
    "undisclosed_funding": {"PDD-FUND-1"},
    "unlicensed": {"PDD-CN-LIC-1", "PDD-CN-MKT-1", "PDD-CN-MKT-2"},
    "contradicting_contracts": {"PDD-XDOC-1", "PDD-XDOC-2", "PDD-XDOC-3", "PDD-XDOC-4"},
}


def _check(path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict]:
    code = main(["check", str(path), "--as-of", REVIEW_DATE, "--format", "json", *flags])
    return code, json.loads(capsys.readouterr().out)


def test_the_licensed_broker_passes_with_no_finding_at_all(capsys):
    code, report = _check(PROFILES / "licensed_broker.yaml", capsys, "--fail-on", "info")
    assert code == 0
    assert report["findings"] == []


@pytest.mark.parametrize("name", sorted(WARNING_SIGNS))
def test_each_warning_sign_fails_for_its_sign(capsys, name):
    code, report = _check(PROFILES / "warning_signs" / f"{name}.yaml", capsys)
    assert code == 1
    failed = {f["rule_id"] for f in report["findings"] if f["outcome"] == "failed"}
    assert failed == WARNING_SIGNS[name]
    assert all(f["severity"] == "error" for f in report["findings"] if f["outcome"] == "failed")


def test_every_warning_sign_profile_is_in_the_table():
    assert {path.stem for path in (PROFILES / "warning_signs").glob("*.yaml")} == set(WARNING_SIGNS)
