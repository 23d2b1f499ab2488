"""``compliance check PATH... [--ruleset NAME|FILE]``: review contracts before they are signed or merged."""
from __future__ import annotations

import argparse

from compliance.commands._common import add_report_flags, emit_report, parse_as_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="contract files, platform profiles or directories")
    parser.add_argument("--ruleset", action="append", metavar="NAME|FILE",
                        help="built-in ruleset name or ruleset file; repeat or comma-separate for "
                             "several (default: each contract's own 'rulesets:' list)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="evaluate the rules in force on this date (default: today)")
    parser.add_argument("--waivers", metavar="FILE", help="YAML file of approved waivers")
    parser.add_argument("--only-contracts", action="store_true",
                        help="skip named files that are not contracts, with a note on stderr "
                             "(for hooks handed every changed YAML file, such as pre-commit)")
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    import sys

    from compliance.review import check_contracts

    paths = list(args.paths)
    if args.only_contracts:
        from compliance.documents.contract import split_contracts

        from compliance.documents.contract import CHECKED_KINDS

        paths, skipped = split_contracts(paths, CHECKED_KINDS)
        for path, why in skipped:
            sys.stderr.write(f"{path}: note: skipped, {why}\n")
        if not paths:
            sys.stderr.write("compliance: note: no contract among the files given; nothing to check\n")
            return 0
    report = check_contracts(paths, args.ruleset, parse_as_of(args.as_of), args.waivers)
    return emit_report(report, args)
