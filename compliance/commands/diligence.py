"""``compliance diligence PROFILE``: the due-diligence report of a platform profile.

The report (Markdown or HTML, English or Chinese) is the check of ``compliance check PROFILE
--ruleset platform_due_diligence`` laid out for a reviewer: the verdict, what fails with its
evidence and citation, what is missing, and how far prices can fall at the leverage offered. The
exit code is the check's (``--fail-on``). The language is ``--lang``, else the profile's own
``language``, else English. Nothing is written unless the whole report renders.
"""
from __future__ import annotations

import argparse

from compliance.commands._common import parse_as_of
from compliance.diligence import DEFAULT_RULESET, FORMATS, LANGUAGES
from compliance.findings import FAIL_ON_LEVELS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", metavar="PROFILE", help="the platform profile (kind: platform)")
    parser.add_argument("--ruleset", default=DEFAULT_RULESET, metavar="NAME|FILE",
                        help=f"ruleset to review with (default: {DEFAULT_RULESET})")
    parser.add_argument("--lang", choices=LANGUAGES,
                        help="language of the report (default: the profile's language, else en)")
    parser.add_argument("--format", default="markdown", choices=FORMATS,
                        help="output format (default: markdown)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="review with the rules in force on this date (default: today)")
    parser.add_argument("--fail-on", default="error", choices=FAIL_ON_LEVELS,
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE (atomically)")


def run(args: argparse.Namespace) -> int:
    from compliance.commands.disclose import language_for
    from compliance.diligence import build_diligence, render_diligence
    from compliance.documents.platform import load_platform
    from compliance.report.output import emit

    diligence, report = build_diligence(args.profile, args.ruleset, parse_as_of(args.as_of))
    language = load_platform(args.profile).data.get("language") if args.lang is None else None
    emit(render_diligence(diligence, language_for(language, args.lang), args.format), args.output)
    return report.exit_code(args.fail_on)
