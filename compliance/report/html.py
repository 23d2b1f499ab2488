"""``--format html``: the regulator-style report as one self-contained HTML file
(``templates/report.html.j2``): inline CSS and SVG, no script, no external resource, printable.
"""
from __future__ import annotations

from compliance.findings import Report
from compliance.report.templating import render_builtin, render_with_template

__all__ = ["render_html", "render_with_template"]


def render_html(report: Report, *, fail_on: str = "error") -> str:
    return render_builtin("report.html.j2", "html", report, fail_on)
