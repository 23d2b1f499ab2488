"""The regulator-style reports: content, and hostile contract text coming out inert."""
from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from compliance.findings import Report
from compliance.report.html import render_html
from compliance.report.markdown import render_markdown

HOSTILE = "<script>alert(1)</script> {{ 7*7 }} [click](javascript:alert(2)) a|b"


def _hostile(report: Report) -> Report:
    finding = replace(report.findings[0], message=f"The clause says: {HOSTILE}",
                      subject=HOSTILE, fix=HOSTILE, citation=HOSTILE, title=HOSTILE)
    waived = replace(report.findings[4], waiver_reason=HOSTILE)
    return replace(report, findings=(finding, waived), as_of=HOSTILE,
                   inputs=(replace(report.inputs[0], path=f"contracts/{HOSTILE}.yaml"),))


def test_html_escapes_contract_text(check_report: Report) -> None:
    html = render_html(_hostile(check_report))
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert 'href="javascript' not in html


def test_markdown_escapes_contract_text(check_report: Report) -> None:
    md = render_markdown(_hostile(check_report))
    assert "<script" not in md.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    # '*' is backslash-escaped so that Markdown shows it rather than starting emphasis; a
    # CommonMark renderer displays the literal text {{ 7*7 }}. Never 49: no template ran on it.
    assert "{{ 7\\*7 }}" in md and "49" not in md
    assert "\\[click\\](javascript:alert(2))" in md
    assert "a\\|b" in md                       # cannot open a new table cell
    unescaped = re.sub(r"\\(.)", r"\1", md)
    assert "{{ 7*7 }}" in unescaped


def test_markdown_values_cannot_start_blocks(check_report: Report) -> None:
    finding = replace(check_report.findings[0], message="first line\n# Heading\n- item")
    md = render_markdown(replace(check_report, findings=(finding,)))
    assert "\n# Heading" not in md and "\n- item" not in md
    assert "first line # Heading - item" in md


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def test_html_is_self_contained_and_printable(audit_report: Report) -> None:
    html = render_html(audit_report)
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert not any(name in ("src", "href") for name, _ in parser.attributes)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", html)
    assert "@media print" in html and "page-break-before: always" in html
    assert parser.tags.count("svg") == 3 and parser.tags.count("section") >= 5


def test_check_report_content(check_report: Report) -> None:
    for text in (render_markdown(check_report), render_html(check_report)):
        assert "FAIL" in text
        assert "2 errors, 2 warnings, 1 info (1 not stated) in 2 contracts; 5 rules passed" in text
        assert "contracts/acme-retail.yaml:12:13" in text
        assert "ESMA Decision (EU) 2018/796, Art. 2(a)" in text
        assert "Lower leverage.fx_major to 30:1 or less." in text
        assert "legacy promotion ends with the quarter" in text           # waived, with reason
        assert "superseded by RW-002 for this firm" in text               # disabled rule
        assert "a" * 64 in text and "b" * 64 in text and "1" * 64 in text  # provenance
        assert text.index("Leverage caps") < text.index("Risk warnings") < text.index("Fees disclosure")


@pytest.mark.parametrize("render", [render_markdown, render_html])
def test_verdict_pass_when_nothing_fails(check_report: Report, render: object) -> None:
    clean = replace(check_report, findings=check_report.findings[2:4], notices=())
    text = render(clean)  # type: ignore[operator]
    assert "PASS" in text and "no finding at or above error" in text
    assert "FAIL" in render(clean, fail_on="warning")  # type: ignore[operator]


def test_audit_report_content(audit_report: Report) -> None:
    md = render_markdown(audit_report)
    html = render_html(audit_report)
    for text in (md, html):
        assert "Platform metrics" in text and "Stress results" in text
        assert "Breaches per rule" in text and "A-1076" in text
        assert "18.34%" in text and "0.17%" in text
        assert "162400.75" in text
    assert "<title id=\"chart-leverage-title\">Effective leverage of accounts</title>" in html
    assert "\u2588" in md  # histograms as text bars in Markdown


def test_audit_without_extras_renders(audit_report: Report) -> None:
    bare = replace(audit_report, extra={})
    assert "Stress results" not in render_html(bare)
    assert "Platform metrics" in render_markdown(bare)
