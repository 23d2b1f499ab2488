from __future__ import annotations

import re
from dataclasses import replace

from report_samples import ACME

from compliance.findings import Report
from compliance.report.github import escape_data, escape_property, render_github


def test_one_annotation_per_finding_then_a_summary(check_report: Report) -> None:
    lines = render_github(check_report).splitlines()
    assert len(lines) == len(check_report.findings) + len(check_report.notices) + 1
    assert lines[0] == (
        f"::error file={ACME},line=12,col=13,title=LEV-001 Retail leverage cap on major FX pairs"
        "::leverage.fx_major: FX major leverage 50:1 exceeds the retail cap of 30:1 "
        "(fix: Lower leverage.fx_major to 30:1 or less.) [ESMA Decision (EU) 2018/796, Art. 2(a)]")
    assert lines[-1].startswith("2 errors, 2 warnings, 1 info (1 not stated) in 2 contracts")


def test_severity_commands_and_waived_as_notice(check_report: Report) -> None:
    by_rule = {re.search(r"title=([A-Z0-9-]+)", line).group(1): line  # type: ignore[union-attr]
               for line in render_github(check_report).splitlines()[:-1]}
    assert by_rule["RW-002"].startswith("::warning ")
    assert by_rule["FEE-003"].startswith("::notice ")
    assert by_rule["INC-001"].startswith("::notice ")
    assert "::waived (error): " in by_rule["INC-001"]
    assert by_rule["WAIVER-EXPIRED"].startswith("::warning file=waivers.yaml,line=9,col=5,")


def test_escaping_of_message_and_properties(check_report: Report) -> None:
    assert escape_data("100% sure\r\nnext") == "100%25 sure%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    finding = replace(check_report.findings[0], path="dir,odd/a:b.yaml", title="Cap, with: colon",
                      message="line one\nline two at 100%", fix="", citation="")
    line = render_github(replace(check_report, findings=(finding,), notices=())).splitlines()[0]
    assert line == ("::error file=dir%2Codd/a%3Ab.yaml,line=12,col=13,title=LEV-001 Cap%2C with%3A "
                    "colon::leverage.fx_major: line one%0Aline two at 100%25")
    assert "\n" not in line


def test_finding_without_position_has_no_line(check_report: Report) -> None:
    finding = replace(check_report.findings[0], line=None, column=None)
    line = render_github(replace(check_report, findings=(finding,), notices=())).splitlines()[0]
    assert line.startswith(f"::error file={ACME},title=")
