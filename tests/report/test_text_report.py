from __future__ import annotations

from report_samples import ACME, CLEAN, make_check_report

from compliance.findings import Report
from compliance.records import replace
from compliance.report.text import render_text, summary_line


def test_summary_line_counts_open_findings_contracts_and_runs(check_report: Report) -> None:
    assert summary_line(check_report) == (
        "2 errors, 2 warnings, 1 info (1 not stated) in 2 contracts; 5 rules passed, 2 not applicable, 1 waived")
    assert render_text(check_report).endswith(summary_line(check_report) + "\n")


def test_findings_are_grouped_by_contract_with_location_citation_and_fix(check_report: Report) -> None:
    text = render_text(check_report)
    assert text.index(f"{ACME} (ACME-CFD-RETAIL-2026)") < text.index("LEV-001")
    assert f"{CLEAN} (BETA-PRO-2026): no findings" in text
    assert f"at {ACME}:12:13" in text
    assert "citation: ESMA Decision (EU) 2018/796, Art. 2(a)" in text
    assert "fix: Lower leverage.fx_major to 30:1 or less." in text
    assert "[waived: legacy promotion ends with the quarter (approved by Head of Compliance" in text


def test_colour_only_when_asked(check_report: Report) -> None:
    assert "\x1b[" not in render_text(check_report)
    coloured = render_text(check_report, color=True)
    assert "\x1b[1;31merror  \x1b[0m" in coloured
    assert "\x1b[1;33mwarning\x1b[0m" in coloured


def test_plural_words_for_single_counts() -> None:
    report = make_check_report(findings=(), notices=(), runs=(), inputs=(make_check_report().inputs[0],))
    assert summary_line(report) == ("0 errors, 0 warnings, 0 info in 1 contract; 0 rules passed, "
                                    "0 not applicable, 0 waived")


def test_audit_shows_metrics_stress_and_rule_counts(audit_report: Report) -> None:
    text = render_text(audit_report)
    assert "Audit of snapshots/2026-02-15.csv as of 2026-02-15" in text
    assert "leverage percentiles: p50 4.2, p90 18.7, p99 29.9" in text
    assert "-20%" in text and "162400.75" in text
    assert "ACC-NEG  No negative equity under protection: 2 accounts" in text
    assert "A-1076: equity -2310.00" in text  # the column the amount is read from
    assert text.rstrip().endswith("in 1 snapshot; 1 rule passed, 0 not applicable, 0 waived")


def test_audit_lists_at_most_twenty_findings_per_rule(audit_report: Report) -> None:
    many = tuple(replace(audit_report.findings[0], line=100 + i, subject=f"A-{i}")
                 for i in range(25))
    text = render_text(replace(audit_report, findings=many))
    assert text.count("error   ACC-NEG  No negative") == 20
    assert "... and 5 more findings of ACC-NEG" in text
