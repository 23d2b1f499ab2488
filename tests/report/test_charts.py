from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from compliance.findings import Report
from compliance.report.charts import (
    audit_charts, axis_scale, histogram_svg, leverage_histogram, stress_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_charts_are_valid_accessible_svg(audit_report: Report) -> None:
    charts = audit_charts(audit_report.extra)
    assert sorted(charts) == ["leverage", "margin_level", "stress"]
    for svg in charts.values():
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None and title.text
        assert root.get("aria-labelledby", "").split()[0] == title.get("id")
        assert root.find(f"{SVG}desc") is not None


def test_charts_are_deterministic(audit_report: Report) -> None:
    assert audit_charts(audit_report.extra) == audit_charts(dict(audit_report.extra))


def test_histogram_bar_heights_follow_counts() -> None:
    svg = histogram_svg("h", "T", [{"bucket": "a", "count": 50}, {"bucket": "b", "count": 100}],
                        x_label="x")
    heights = [float(r.get("height", "0")) for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_text_in_charts_is_escaped() -> None:
    svg = histogram_svg("h", "<b>&", [{"bucket": "<script>", "count": 1}], x_label="x")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_missing_data_gives_no_chart() -> None:
    assert leverage_histogram({}) is None and stress_chart([]) is None
    assert audit_charts({}) == {}


@pytest.mark.parametrize(("value", "expected"), [
    (0, (1.0, 1)), (3, (3.0, 3)), (240, (250.0, 5)), (830, (1000.0, 5)), (1001, (1500.0, 3))])
def test_axis_scale(value: float, expected: tuple[float, int]) -> None:
    assert axis_scale(value) == expected
