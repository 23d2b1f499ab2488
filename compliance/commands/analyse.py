"""``compliance rules prove|witness|lint|diff`` and ``rules test --coverage``: rule analysis with
an SMT solver (docs/analysis.md). Registered by ``compliance.commands.rules``; z3 and the analysis
modules are imported inside the handlers.

    compliance rules prove HOUSE --at-least-as-strict-as REG [--as-of DATE] [--target T] [--format F]
    compliance rules witness RULE [--ruleset R] [--fails|--passes] [--save] [--as-of DATE]
    compliance rules lint [--ruleset R ...]
    compliance rules diff A [B] [--from DATE1 --to DATE2]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from typing import Any

from compliance.errors import InputError

EXIT_OK, EXIT_FAILED = 0, 1
ACTIONS = ("prove", "witness", "lint", "diff")


def add_actions(actions: Any, ruleset_help: str) -> None:
    prove = actions.add_parser("prove", help="prove that one ruleset is at least as strict as another")
    prove.add_argument("house", metavar="HOUSE", help="the stricter ruleset (name or file)")
    prove.add_argument("--at-least-as-strict-as", dest="reg", required=True, metavar="REG",
                       help="the ruleset every document passing HOUSE must pass")
    prove.add_argument("--as-of", metavar="DATE", help="parameters in force on DATE (default today)")
    prove.add_argument("--target", default="contract", choices=["contract", "account"])
    prove.add_argument("--format", default="text", choices=["text", "json"])
    prove.add_argument("--silence-passes", action="store_true",
                       help="count not_stated as passing (default: only passed and not_applicable)")
    prove.add_argument("--allow-not-analysed", action="store_true",
                       help="exit 0 when every analysed rule is implied, even if some are not analysed")

    witness = actions.add_parser("witness", help="the smallest document that fails (or passes) a rule")
    witness.add_argument("rule_id", metavar="RULE")
    witness.add_argument("--ruleset", action="append", metavar="NAME|FILE", help=ruleset_help)
    side = witness.add_mutually_exclusive_group()
    side.add_argument("--fails", dest="outcome", action="store_const", const="failed")
    side.add_argument("--passes", dest="outcome", action="store_const", const="passed")
    witness.set_defaults(outcome="failed")
    witness.add_argument("--as-of", metavar="DATE")
    witness.add_argument("--save", action="store_true", help="append it to the ruleset as an in-file test")
    witness.add_argument("--format", default="text", choices=["text", "json"])

    lint = actions.add_parser("lint", help="rules that cannot fail or apply, dead exceptions and parameters")
    lint.add_argument("--ruleset", action="append", metavar="NAME|FILE", help=ruleset_help)

    diff = actions.add_parser("diff", help="what changed between two rulesets, or one over time")
    diff.add_argument("first", metavar="A")
    diff.add_argument("second", metavar="B", nargs="?")
    diff.add_argument("--from", dest="date_from", metavar="DATE1")
    diff.add_argument("--to", dest="date_to", metavar="DATE2")
    diff.add_argument("--as-of", metavar="DATE", help="for two rulesets: compare on DATE (default today)")
    diff.add_argument("--format", default="text", choices=["text", "json"])


def run(args: argparse.Namespace) -> int:
    from compliance.analysis import z3
    z3()
    handlers = {"prove": _prove, "witness": _witness, "lint": _lint, "diff": _diff, "test": _coverage}
    return handlers[args.action](args)


def _date(text: str | None, flag: str = "--as-of") -> _dt.date:
    from compliance.commands._common import parse_as_of
    try:
        return parse_as_of(text)
    except InputError:
        raise InputError.at(flag, None, None, f"'{text}' is not a date such as 2026-01-31") from None


def _load(spec: str) -> Any:
    from compliance.dsl.loader import load_ruleset
    return load_ruleset(spec)


# ---- prove --------------------------------------------------------------------------------------

def _prove(args: argparse.Namespace) -> int:
    from compliance.analysis.common import explanations
    from compliance.analysis.prove import IMPLIED, NOT_ANALYSED, prove
    from compliance.analysis.render import dominance_json, dominance_text

    house, reg = _load(args.house), _load(args.reg)
    as_of = _date(args.as_of)
    result = prove(house, reg, as_of, args.target, args.silence_passes)
    explained = {v.rule_id: explanations(reg, v.witness.document, as_of, reg.rule(v.rule_id))
                 for v in result.verdicts if v.witness is not None}
    render = dominance_json if args.format == "json" else dominance_text
    sys.stdout.write(render(result, explained))
    accepted = (IMPLIED, NOT_ANALYSED) if args.allow_not_analysed else (IMPLIED,)
    return EXIT_OK if all(v.verdict in accepted for v in result.verdicts) else EXIT_FAILED


# ---- witness ------------------------------------------------------------------------------------

def _witness(args: argparse.Namespace) -> int:
    from compliance.analysis.cases import rule_case, test_block
    from compliance.analysis.common import explanations
    from compliance.analysis.render import json_value
    from compliance.analysis.witness import to_yaml
    from compliance.commands.rules import _load_all, _specs
    from compliance.evaluate.testing import DEFAULT_AS_OF

    rulesets = _load_all(_specs(args.ruleset))
    found = [(rs, rs.rule(args.rule_id)) for rs in rulesets if rs.rule(args.rule_id) is not None]
    if not found:
        raise InputError.at("RULE", None, None, f"no rule {args.rule_id} in "
                            f"{', '.join(rs.name for rs in rulesets)}")
    ruleset, rule = found[0]
    as_of = _date(args.as_of) if args.as_of else DEFAULT_AS_OF
    case = rule_case(ruleset, rule, as_of, args.outcome)
    if case.found is None:
        sys.stderr.write(f"compliance: no witness for {rule.rule_id} {args.outcome}: {case.reason}\n")
        return EXIT_FAILED
    explained = explanations(ruleset, case.found.document, as_of, rule)
    text = to_yaml(case.found.data, rule.target)
    if args.format == "json":
        payload = {"rule_id": rule.rule_id, "ruleset": ruleset.name, "outcome": args.outcome,
                   "as_of": as_of.isoformat(), "target": rule.target,
                   "document": json_value(dict(case.found.data)), "yaml": text,
                   "explanation": explained}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        kind = "snapshot row" if rule.target == "account" else "contract"
        sys.stdout.write(f"# A {kind} on which {rule.rule_id} is {args.outcome} "
                         f"(as of {as_of.isoformat()}), re-checked by the evaluator:\n{text}")
        sys.stdout.write("".join(f"# {line}\n" for line in explained))
    if args.save:
        _append_test(ruleset, test_block(case, as_of))
    return EXIT_OK


def _append_test(ruleset: Any, block: str) -> None:
    from compliance.dsl.formatter import format_ruleset
    from compliance.report.output import write_atomic

    from compliance.documents.files import read_input
    from compliance.dsl.parser import MAX_SOURCE_BYTES

    path = ruleset.path
    text = read_input(path, MAX_SOURCE_BYTES, what="a ruleset file").data.decode("utf-8")
    formatted = format_ruleset(text.rstrip("\n") + "\n\n" + block, path)
    write_atomic(path, formatted, rewrite_input=True)   # --save extends the ruleset on purpose
    sys.stderr.write(f"compliance: test appended to {path}\n")


# ---- lint ---------------------------------------------------------------------------------------

def _lint(args: argparse.Namespace) -> int:
    from compliance.analysis.lint import lint
    from compliance.commands.rules import _load_all, _specs

    findings = [f for ruleset in _load_all(_specs(args.ruleset)) for f in lint(ruleset)]
    for finding in dict.fromkeys(f.render() for f in findings):
        sys.stdout.write(finding + "\n")
    sys.stdout.write(f"{len(set(f.render() for f in findings))} lint finding(s)\n")
    # info findings are notes: only warnings and errors fail
    return EXIT_FAILED if any(f.severity != "info" for f in findings) else EXIT_OK


# ---- test --coverage ----------------------------------------------------------------------------

def _coverage(args: argparse.Namespace) -> int:
    from compliance.analysis.coverage import coverage, render_json, render_text
    from compliance.commands.rules import _load_all, _specs

    reports = [coverage(ruleset) for ruleset in _load_all(_specs(args.ruleset, args.paths))]
    sys.stdout.write(render_json(reports) if args.format == "json" else render_text(reports))
    reached = sum(r.reached for r in reports)
    total = sum(r.total for r in reports)
    share = 100.0 * reached / total if total else 100.0
    if args.min_coverage is not None and share < args.min_coverage:
        sys.stderr.write(f"compliance: coverage {share:.1f}% is below --min-coverage {args.min_coverage:g}%\n")
        return EXIT_FAILED
    return EXIT_OK


# ---- diff ---------------------------------------------------------------------------------------

def _diff(args: argparse.Namespace) -> int:
    from compliance.analysis.diff import diff_rulesets, render_json, render_text

    if args.second is None:
        if not (args.date_from and args.date_to):
            raise InputError.at("diff", None, None, "give two rulesets, or one with --from and --to")
        ruleset = _load(args.first)
        changes = diff_rulesets(ruleset, ruleset, _date(args.date_from, "--from"), _date(args.date_to, "--to"))
    else:
        old, new = _load(args.first), _load(args.second)
        when_old = _date(args.date_from or args.as_of, "--from")
        when_new = _date(args.date_to or args.as_of, "--to")
        changes = diff_rulesets(old, new, when_old, when_new)
    sys.stdout.write(render_json(changes) if args.format == "json" else render_text(changes))
    return EXIT_OK
