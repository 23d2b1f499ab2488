"""A figure without a value (a money total over several currencies, an unset warning level) reads
"n/a" in every format for people, never Python's "None"."""
from __future__ import annotations

from compliance.findings import Report
from compliance.report.html import render_html
from compliance.report.markdown import render_markdown
from compliance.report.text import render_text


def _audit() -> Report:
    metrics = {"accounts": 3, "by_client_category": {"retail": 3}, "under_warning_level": None,
               "under_close_out_level": 1,
               "negative_equity": {"accounts": 1, "total": None, "platform_owes": None},
               "concentration": {"top10_exposure_share": "1.0000", "top10_accounts": ["A", "B", "C"]}}
    stress = [{"shock": "-5%", "close_outs": 2, "new_close_outs": 1, "negative_equity": 1,
               "new_negative_equity": 0, "platform_shortfall": None, "client_debt": None}]
    return Report(tool_version="0", rulesets=(), inputs=(), findings=(), kind="audit",
                  extra={"accounts": 3, "metrics": metrics, "stress": stress, "rule_counts": []})


def test_missing_figures_read_n_a_in_text_markdown_and_html():
    report = _audit()
    for rendered in (render_text(report), render_markdown(report), render_html(report)):
        assert "None" not in rendered
        assert "n/a" in rendered
    assert "platform owes n/a" in render_text(report)
