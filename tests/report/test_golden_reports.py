"""Every format rendered from the two fixed reports, compared byte for byte with tests/golden/report/.

To regenerate the golden files after an intended change, run
``UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden_reports.py`` and review the diff before committing;
without UPDATE_GOLDEN a missing or different golden file fails the test.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from report_samples import GOLDEN_DIR, make_audit_report, make_check_report

from compliance.findings import Report
from compliance.report.github import render_github
from compliance.report.html import render_html
from compliance.report.json_report import render_json
from compliance.report.junit import render_junit
from compliance.report.markdown import render_markdown
from compliance.report.sarif import render_sarif
from compliance.report.text import render_text

RENDERERS: dict[str, Callable[[Report], str]] = {
    "txt": render_text,
    "color.txt": lambda report: render_text(report, color=True),
    "json": render_json,
    "sarif": lambda report: render_sarif(report, base_dir="."),
    "junit.xml": render_junit,
    "github.txt": render_github,
    "md": render_markdown,
    "html": render_html,
}
REPORTS = {"check": make_check_report, "audit": make_audit_report}
CASES = [(report, fmt) for report in REPORTS for fmt in RENDERERS]


@pytest.mark.parametrize(("report_name", "fmt"), CASES, ids=[f"{r}.{f}" for r, f in CASES])
def test_matches_golden(report_name: str, fmt: str) -> None:
    rendered = RENDERERS[fmt](REPORTS[report_name]())
    golden = GOLDEN_DIR / "report" / f"{report_name}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
    assert golden.is_file(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == golden.read_bytes().decode("utf-8")


@pytest.mark.parametrize(("report_name", "fmt"), CASES, ids=[f"{r}.{f}" for r, f in CASES])
def test_rendering_is_deterministic(report_name: str, fmt: str) -> None:
    first = RENDERERS[fmt](REPORTS[report_name]())
    second = RENDERERS[fmt](REPORTS[report_name]())
    assert first == second
