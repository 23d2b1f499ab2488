"""``compliance check PATH... [--ruleset NAME|FILE]``: review contracts before they are signed or merged."""
from __future__ import annotations

import argparse

from compliance.commands._common import add_report_flags, emit_report, parse_as_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="contract files or directories")
    parser.add_argument("--ruleset", action="append", metavar="NAME|FILE",
                        help="built-in ruleset name or ruleset file; repeat or comma-separate for "
                             "several (default: each contract's own 'rulesets:' list)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="evaluate the rules in force on this date (default: today)")
    parser.add_argument("--waivers", metavar="FILE", help="YAML file of approved waivers")
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    from compliance.review import check_contracts

    report = check_contracts(args.paths, args.ruleset, parse_as_of(args.as_of), args.waivers)
    return emit_report(report, args)
