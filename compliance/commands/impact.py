"""``compliance impact PATH... --ruleset R --from DATE1 --to DATE2``: which contracts and accounts
change verdict when the rules change (two dates of one ruleset, or two rulesets with --new-ruleset)."""
from __future__ import annotations

import argparse

from compliance.commands._common import parse_as_of
from compliance.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="contract files or folders, and account snapshots (CSV, Parquet, YAML, JSON)")
    parser.add_argument("--ruleset", required=True, metavar="NAME|FILE", help="the ruleset (the old one)")
    parser.add_argument("--new-ruleset", metavar="NAME|FILE",
                        help="the new version of the ruleset (default: the same ruleset)")
    parser.add_argument("--from", dest="date_from", metavar="DATE1", help="old as-of date (default today)")
    parser.add_argument("--to", dest="date_to", metavar="DATE2", help="new as-of date (default today)")
    parser.add_argument("--format", default="text", choices=["text", "json", "markdown", "html"])
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE (atomically)")


def run(args: argparse.Namespace) -> int:
    from compliance.analysis.impact import RENDERERS, impact
    from compliance.dsl.loader import load_ruleset
    from compliance.report.output import emit

    if args.new_ruleset is None and args.date_from == args.date_to:
        raise InputError.at("impact", None, None, "nothing changes: give --from and --to dates, or --new-ruleset")
    old = load_ruleset(args.ruleset)
    new = load_ruleset(args.new_ruleset) if args.new_ruleset else old
    result = impact(args.paths, old, new, _date(args.date_from, "--from"), _date(args.date_to, "--to"))
    emit(RENDERERS[args.format](result), args.output)
    return 1 if result.changed else 0


def _date(text: str | None, flag: str):  # type: ignore[no-untyped-def]
    try:
        return parse_as_of(text)
    except InputError:
        raise InputError.at(flag, None, None, f"'{text}' is not a date such as 2026-01-31") from None
