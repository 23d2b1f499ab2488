"""``compliance diligence``: the report in both languages against golden files, its verdicts and
exit codes, and the risk maths of the leverage offered.

To regenerate the golden files after an intended change, run
``UPDATE_GOLDEN=1 python -m pytest tests/platform/test_diligence.py`` and review the diff before
committing; without UPDATE_GOLDEN a missing or different golden file fails the test.
"""
from __future__ import annotations

import datetime as _dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.diligence import build_diligence, render_diligence

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "diligence"
REVIEW_DATE = _dt.date.fromisoformat((ROOT / "platform_profiles" / "REVIEW_DATE").read_text().strip())
PROFILES = {
    "licensed_broker": "platform_profiles/licensed_broker.yaml",
    "contradicting_contracts": "platform_profiles/warning_signs/contradicting_contracts.yaml",
    "unlicensed": "platform_profiles/warning_signs/unlicensed.yaml",
}
EXTENSIONS = {"markdown": "md", "html": "html"}
CASES = [(name, lang, fmt) for name in PROFILES for lang in ("en", "zh") for fmt in EXTENSIONS]


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the report names files as given, relative to the checkout


def _render(name: str, lang: str, fmt: str) -> str:
    diligence, _report = build_diligence(PROFILES[name], "platform_due_diligence", REVIEW_DATE)
    return render_diligence(diligence, lang, fmt)


@pytest.mark.parametrize(("name", "lang", "fmt"), CASES, ids=[f"{n}.{l}.{EXTENSIONS[f]}" for n, l, f in CASES])
def test_matches_golden(name, lang, fmt):
    rendered = _render(name, lang, fmt)
    golden = GOLDEN / f"{name}.{lang}.{EXTENSIONS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
    assert golden.is_file(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == golden.read_bytes().decode("utf-8")


def test_rendering_is_deterministic():
    assert _render("unlicensed", "zh", "html") == _render("unlicensed", "zh", "html")


@pytest.mark.parametrize(("name", "verdict", "code"), [
    ("licensed_broker", "pass", 0), ("unlicensed", "fail", 1), ("contradicting_contracts", "fail", 1)])
def test_verdict_and_exit_code_follow_the_check(capsys, name, verdict, code):
    diligence, _report = build_diligence(PROFILES[name], "platform_due_diligence", REVIEW_DATE)
    assert diligence.verdict == verdict
    assert main(["diligence", PROFILES[name], "--as-of", REVIEW_DATE.isoformat(), "--lang", "en"]) == code
    assert capsys.readouterr().out.startswith("# Platform due diligence")


def test_the_profile_language_is_the_default(capsys):
    main(["diligence", PROFILES["licensed_broker"], "--as-of", REVIEW_DATE.isoformat()])
    assert capsys.readouterr().out.startswith("# 平台尽职调查报告")  # the broker's profile says zh
    main(["diligence", PROFILES["licensed_broker"], "--as-of", REVIEW_DATE.isoformat(), "--lang", "en"])
    assert capsys.readouterr().out.startswith("# Platform due diligence")


def test_a_contract_is_refused(capsys):
    assert main(["diligence", "contract_templates/eu_retail_cfd.yaml"]) == 2
    assert "expected 'kind: platform'" in capsys.readouterr().err


def test_points_not_stated_are_listed_as_missing(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("kind: platform\nid: p\njurisdiction: CN\n", encoding="utf-8")
    diligence, _report = build_diligence(str(profile), "platform_due_diligence", REVIEW_DATE)
    assert diligence.verdict == "fail"
    assert {p.rule_id for p in diligence.missing} >= {"PDD-LIC-2", "PDD-KYC-1", "PDD-REF-1"}
    assert diligence.leverage == ()
    assert "cannot be computed" in render_diligence(diligence, "en", "markdown")


def test_the_close_out_fall_brings_the_collateral_ratio_to_its_line():
    diligence, _report = build_diligence(PROFILES["contradicting_contracts"], "platform_due_diligence",
                                         REVIEW_DATE)
    profile, contract = diligence.leverage
    assert contract.leverage > profile.leverage  # the referenced contract offers more
    for line in (profile, contract):
        # own money 1, position L, debt L-1: after the fall, assets / liabilities is the line (or
        # the account opens at or below it: no room at all).
        assets = line.leverage * (1 - line.drop)
        ratio = assets / (line.leverage - 1)
        assert ratio == line.line or (line.drop == 0 and line.line * (line.leverage - 1) >= line.leverage)
    assert profile.drop > contract.drop == Decimal(0)
