"""Flags and helpers shared by the commands that produce reports."""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys

from compliance.errors import InputError
from compliance.findings import FAIL_ON_LEVELS, Report

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "github")


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="text", choices=FORMATS, help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE (atomically)")
    parser.add_argument("--fail-on", default="error", choices=FAIL_ON_LEVELS,
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("--template", metavar="FILE",
                        help="render with your own Jinja2 template (runs sandboxed)")


def parse_as_of(text: str | None) -> _dt.date:
    if text is None:
        return _dt.date.today()
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.at("--as-of", None, None, f"'{text}' is not a date such as 2026-01-31") from None


def render(report: Report, args: argparse.Namespace) -> str:
    fmt = args.format
    if getattr(args, "template", None):
        from compliance.report.templating import render_with_template
        return render_with_template(report, args.template, fail_on=args.fail_on)
    if fmt == "json":
        from compliance.report.json_report import render_json
        return render_json(report)
    if fmt == "sarif":
        from compliance.report.sarif import render_sarif
        return render_sarif(report, base_dir=".")
    if fmt == "junit":
        from compliance.report.junit import render_junit
        return render_junit(report, fail_on=args.fail_on)
    if fmt == "github":
        from compliance.report.github import render_github
        return render_github(report, base_dir=".")
    if fmt == "markdown":
        from compliance.report.markdown import render_markdown
        return render_markdown(report, fail_on=args.fail_on)
    if fmt == "html":
        from compliance.report.html import render_html
        return render_html(report, fail_on=args.fail_on)
    from compliance.report.text import render_text
    to_terminal = not args.output and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return render_text(report, color=to_terminal)


def emit_report(report: Report, args: argparse.Namespace) -> int:
    from compliance.report.output import emit

    emit(render(report, args), args.output)
    return report.exit_code(args.fail_on)
