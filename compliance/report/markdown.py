"""``--format markdown``: the regulator-style report as Markdown (``templates/report.md.j2``).

Every value is Markdown-escaped, so contract text cannot inject HTML, links or table cells.
Audit charts appear as tables with text bars; the HTML report draws them as SVG.
"""
from __future__ import annotations

from compliance.findings import Report
from compliance.report.templating import render_builtin, render_with_template

__all__ = ["render_markdown", "render_with_template"]


def render_markdown(report: Report, *, fail_on: str = "error") -> str:
    return render_builtin("report.md.j2", "markdown", report, fail_on)
