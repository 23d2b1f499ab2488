"""``compliance audit SNAPSHOT --ruleset NAME|FILE``: audit every account of a snapshot."""
from __future__ import annotations

import argparse
import sys

from compliance.commands._common import add_report_flags, emit_report, parse_as_of
from compliance.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="accounts as CSV, Parquet, YAML or JSON")
    parser.add_argument("--ruleset", required=True, metavar="NAME|FILE",
                        help="built-in ruleset name or ruleset file")
    parser.add_argument("--contract", metavar="FILE",
                        help="the contract whose close-out and warning levels apply to these accounts")
    parser.add_argument("--stress", metavar="SHOCKS",
                        help="comma-separated price moves applied to all positions, e.g. -5%%,-10%%,-20%%")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="evaluate the rules in force on this date (default: today)")
    parser.add_argument("--fx-rates", metavar="FILE",
                        help="exchange rates (YAML: base, rates) to total money across the currencies "
                             "of a snapshot; without them such totals are given per currency only")
    parser.add_argument("--max-findings", type=int, default=100, metavar="N",
                        help="list at most N breaching accounts per rule (totals stay exact; default 100)")
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    from compliance.audit.run import audit_snapshot
    from compliance.audit.stress import parse_shocks

    if not args.ruleset.strip(" ,"):
        raise InputError.at("--ruleset", None, None, f"empty ruleset name {args.ruleset!r}; give a "
                            "built-in name or a ruleset file")
    if args.max_findings < 1:
        raise InputError.at("--max-findings", None, None, "must be at least 1")
    shocks = parse_shocks(args.stress) if args.stress else []
    report = audit_snapshot(args.snapshot, args.ruleset, as_of=parse_as_of(args.as_of),
                            contract_path=args.contract, shocks=shocks,
                            max_findings=args.max_findings, progress=sys.stderr.isatty(),
                            fx_rates_path=args.fx_rates)
    return emit_report(report, args)
