"""``compliance rules``: list, show, test and format rulesets (docs/dsl.md).

    compliance rules list [--ruleset NAME|FILE ...] [--format text|json]
    compliance rules show RULE_ID [--ruleset NAME|FILE ...]
    compliance rules test [--ruleset NAME|FILE ...] [PATHS ...] [--format text|json]
    compliance rules fmt [FILES ...] [--check] [--diff]

Without ``--ruleset`` (and, for ``test``, without paths) every built-in ruleset is used. The DSL
modules are imported inside the handlers, so building the CLI parser stays cheap.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compliance.errors import InputError

if TYPE_CHECKING:
    from compliance.dsl.checker import CheckedRule, Ruleset
    from compliance.evaluate.testing import TestResult

EXIT_OK, EXIT_FAILED = 0, 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    ruleset_help = "a built-in ruleset name or a ruleset file (repeatable; default: all built-in)"

    listing = actions.add_parser("list", help="the rules of rulesets, and the disabled ones")
    listing.add_argument("--ruleset", action="append", metavar="NAME|FILE", help=ruleset_help)
    listing.add_argument("--format", default="text", choices=["text", "json"])

    show = actions.add_parser("show", help="one rule: metadata, source, exceptions, parameters")
    show.add_argument("rule_id", metavar="RULE_ID")
    show.add_argument("--ruleset", action="append", metavar="NAME|FILE", help=ruleset_help)

    test = actions.add_parser("test", help="run the in-file tests of rulesets")
    test.add_argument("paths", nargs="*", metavar="PATHS",
                      help="ruleset files, or folders searched for *.rules")
    test.add_argument("--ruleset", action="append", metavar="NAME|FILE", help=ruleset_help)
    test.add_argument("--format", default="text", choices=["text", "json"])
    test.add_argument("--coverage", action="store_true",
                      help="per rule, which outcomes and exceptions the tests reach")
    test.add_argument("--min-coverage", type=float, metavar="N",
                      help="with --coverage: exit 1 below N percent")

    fmt = actions.add_parser("fmt", help="rewrite ruleset files in the canonical layout")
    fmt.add_argument("files", nargs="*", metavar="PATHS",
                     help="ruleset files, or folders searched for *.rules (default: the built-in ruleset files)")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 listing files that would change")
    fmt.add_argument("--diff", action="store_true", help="change nothing; print a unified diff")

    from compliance.commands import analyse
    analyse.add_actions(actions, ruleset_help)


def run(args: argparse.Namespace) -> int:
    from compliance.commands import analyse
    if args.action in analyse.ACTIONS or args.action == "test" and (args.coverage or args.min_coverage):
        return analyse.run(args)
    handler = {"list": _list, "show": _show, "test": _test, "fmt": _fmt}[args.action]
    return handler(args)


# ---- loading ------------------------------------------------------------------------------------

def _ruleset_files(paths: Sequence[str]) -> list[str]:
    """Files as given; folders searched recursively for ruleset files (``rules test`` and ``fmt``)."""
    from compliance.dsl.loader import EXTENSION

    files: list[str] = []
    for path in paths:
        folder = Path(path)
        if folder.is_dir():
            found = sorted(str(p) for p in folder.rglob(f"*{EXTENSION}"))
            if not found:
                raise InputError.at(path, None, None, f"no {EXTENSION} files in this folder")
            files += found
        else:
            files.append(path)
    return files


def _specs(given: Sequence[str] | None, paths: Sequence[str] = ()) -> list[str]:
    from compliance.dsl.loader import builtin_names

    specs = list(given or []) + _ruleset_files(paths)
    if not specs and not given and not paths:
        specs = builtin_names()
        if not specs:
            raise InputError.at("--ruleset", None, None, "no built-in rulesets found; give --ruleset")
    return specs


def _load_all(specs: Iterable[str]) -> list["Ruleset"]:
    """Every ruleset, checked; all problems of all files are reported together."""
    from compliance.dsl.loader import load_ruleset

    loaded, problems = [], []
    for spec in specs:
        try:
            loaded.append(load_ruleset(spec))
        except InputError as error:
            problems += error.diagnostics
    if problems:
        raise InputError(problems)
    return loaded


def _origin(rule: Any, ruleset: "Ruleset") -> str:
    return ruleset.name if rule.ruleset in ("", ruleset.name) else f"{ruleset.name} ({rule.ruleset})"


# ---- list ---------------------------------------------------------------------------------------

def _list(args: argparse.Namespace) -> int:
    rulesets = _load_all(_specs(args.ruleset))
    rows = [{"rule_id": r.rule_id, "severity": r.severity, "topic": r.topic, "applies_to": r.target,
             "title": r.title, "ruleset": rs.name, "defined_in": r.ruleset or rs.name,
             "silence": r.silence, "section": r.section, "citation": r.citation,
             "citations": [{"from": effective.isoformat() if effective else None, "text": text}
                           for effective, text in r.citations],
             "sources": list(r.sources), "confidence": r.confidence}
            for rs in rulesets for r in rs.rules]
    disabled = [{"rule_id": rule_id, "reason": reason, "disabled_by": by, "ruleset": rs.name}
                for rs in rulesets for rule_id, reason, by in rs.disabled]
    if args.format == "json":
        sys.stdout.write(json.dumps({"rules": rows, "disabled": disabled}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    table = [(row["rule_id"], row["severity"], row["topic"], row["applies_to"], _clip(row["title"], 60),
              row["ruleset"] if row["defined_in"] == row["ruleset"] else f"{row['ruleset']} ({row['defined_in']})")
             for row in rows]
    sys.stdout.write(_lines_escaped(_table(("RULE", "SEVERITY", "TOPIC", "APPLIES TO", "TITLE",
                                            "RULESET"), table)))
    if disabled:
        sys.stdout.write("\nDisabled:\n")
        for row in disabled:
            sys.stdout.write(_lines_escaped(f"  {row['rule_id']} in {row['ruleset']} "
                                            f"(by {row['disabled_by']}): {row['reason']}\n"))
    return EXIT_OK


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(header[i]), *(len(row[i]) for row in rows)]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in [tuple(header), *rows]]
    return "\n".join(lines) + "\n"


# ---- show ---------------------------------------------------------------------------------------

def _show(args: argparse.Namespace) -> int:
    rulesets = _load_all(_specs(args.ruleset))
    found = [(rs, rs.rule(args.rule_id)) for rs in rulesets if rs.rule(args.rule_id) is not None]
    if not found:
        import difflib
        known = sorted({r.rule_id for rs in rulesets for r in rs.rules})
        disabled = [f"{rs.name} disables it: {reason}" for rs in rulesets
                    for rule_id, reason, _by in rs.disabled if rule_id == args.rule_id]
        close = difflib.get_close_matches(args.rule_id, known, n=1)
        hint = f"; {disabled[0]}" if disabled else (f" (did you mean '{close[0]}'?)" if close else "")
        raise InputError.at("RULE_ID", None, None, f"no rule {args.rule_id} in "
                            f"{', '.join(rs.name for rs in rulesets)}{hint}")
    ruleset, rule = found[0]   # a child repeats its parent's rules: show the first ruleset given
    sys.stdout.write(_lines_escaped(render_rule(rule, ruleset)))
    return EXIT_OK


def render_rule(rule: "CheckedRule", ruleset: "Ruleset") -> str:
    from compliance.dsl.formatter import format_expression

    out = [f"{rule.rule_id}: {rule.title}",
           f"  ruleset:    {_origin(rule, ruleset)} {ruleset.version}".rstrip(),
           f"  topic:      {rule.topic}",
           f"  severity:   {rule.severity}",
           f"  silence:    {_silence_text(rule)}",
           f"  applies to: {rule.target}" + (f" (section {rule.section})" if rule.section else "")]
    dated = [(effective, text) for effective, text in rule.citations if effective is not None]
    out.append(f"  citation:   {rule.citation}")
    for effective, text in dated:
        out.append(f"    from {effective.isoformat()}: {text}")
    out += [f"  source:     {source}" for source in rule.sources]
    if rule.confidence:
        out.append(f"  confidence: {rule.confidence}")
    out += [f"  defined at: {rule.span.path}:{rule.span.line}:{rule.span.column}", "", "Source:"]
    out += ["  " + line for line in _source(rule.span, ruleset)]
    if rule.exceptions:
        out += ["", "Exceptions:"]
        for exception in rule.exceptions:
            out.append(f"  {exception.rule_id}: {exception.title} ({exception.span.path}:{exception.span.line})")
            out += ["    " + line for line in _source(exception.span, ruleset)]
    used = _params_used(rule, ruleset)
    if used:
        out += ["", "Parameters:"]
        for name in used:
            param = ruleset.params[name]
            out.append(f"  {name} (from {param.ruleset}):")
            for dated in param.values:
                since = f"from {dated.effective.isoformat()}" if dated.effective else "always"
                out.append(f"    {since:<16} {format_expression(dated.value)}")
    return "\n".join(out) + "\n"


def _silence_text(rule: "CheckedRule") -> str:
    """What the rule reports when the document is silent on what it reads."""
    reason = f": {rule.silence_reason}" if rule.silence_reason else ""
    if rule.silence == "breach":
        return f"a breach (failed, {rule.severity}){reason}"
    return f"not stated, {rule.silence}{reason}"


def _source(span: Any, ruleset: "Ruleset") -> list[str]:
    text = ruleset.sources.get(span.path)
    if text is None:
        return ["(source not available)"]
    lines = text.split("\n")
    end = span.end_line or span.line
    return [line.rstrip() for line in lines[span.line - 1:end]]


def _params_used(rule: "CheckedRule", ruleset: "Ruleset") -> list[str]:
    """Parameters a rule, its section and its exceptions read, in first-use order (loop variables
    shadow them)."""
    from compliance.dsl import ast

    roots: list[Any] = [*rule.scope, rule.when, rule.require, rule.subject, rule.message, rule.fix]
    if rule.for_each is not None:
        roots.append(rule.for_each.collection)
    for exception in rule.exceptions:
        roots += [exception.when, exception.require, exception.message, exception.fix]
    expressions: list[ast.Expr] = []
    for root in (node for node in roots if node is not None):
        if isinstance(root, ast.Template):
            expressions += [part for part in root.parts if not isinstance(part, str)]
        else:
            expressions.append(root)
    loop = {rule.for_each.key_var, rule.for_each.value_var} if rule.for_each is not None else set()
    names = (node.name for expr in expressions for node in ast.walk(expr) if isinstance(node, ast.Name))
    return list(dict.fromkeys(name for name in names if name in ruleset.params and name not in loop))


# ---- test ---------------------------------------------------------------------------------------

def _test(args: argparse.Namespace) -> int:
    from compliance.evaluate.testing import run_tests

    rulesets = _load_all(_specs(args.ruleset, args.paths))
    results = [(ruleset, result) for ruleset in rulesets for result in run_tests(ruleset)]
    passed = sum(1 for _rs, result in results if result.passed)
    failed = len(results) - passed
    if args.format == "json":
        payload = {"tests": [_test_json(result) for _rs, result in results],
                   "summary": {"passed": passed, "failed": failed}}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_lines_escaped(render_results([result for _rs, result in results])))
    return EXIT_OK if failed == 0 else EXIT_FAILED


def render_results(results: Sequence["TestResult"]) -> str:
    out: list[str] = []
    for result in results:
        out.append(f"{'PASS' if result.passed else 'FAIL'} {result.name}")
        for expectation in result.expectations:
            if expectation.passed:
                continue
            span = expectation.span
            out.append(f"  {span.path}:{span.line}:{span.column}: expected {expectation.rule_id} to be "
                       f"{expectation.expected}, got {expectation.actual}")
            out += [f"      {line}" for line in expectation.explanations]
    passed = sum(1 for result in results if result.passed)
    out.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(out) + "\n"


def _test_json(result: "TestResult") -> dict[str, Any]:
    return {"name": result.name, "ruleset": result.ruleset, "passed": result.passed,
            "path": result.span.path, "line": result.span.line, "column": result.span.column,
            "expectations": [{"rule_id": e.rule_id, "expected": e.expected, "actual": e.actual,
                              "passed": e.passed, "line": e.span.line, "column": e.span.column,
                              "explanations": list(e.explanations)} for e in result.expectations]}


# ---- fmt ----------------------------------------------------------------------------------------

def _fmt(args: argparse.Namespace) -> int:
    import difflib

    from compliance.dsl.formatter import format_ruleset, structure
    from compliance.dsl.loader import EXTENSION, builtin_dir, read_source
    from compliance.dsl.parser import parse_ruleset
    from compliance.report.output import write_atomic

    files = _ruleset_files(args.files) or sorted(str(p) for p in builtin_dir().glob(f"*{EXTENSION}"))
    changed: list[str] = []
    problems = []
    for name in files:
        text, _data = read_source(Path(name))
        try:
            formatted = format_ruleset(text, name)
        except InputError as error:
            problems += error.diagnostics
            continue
        if formatted == text:
            continue
        if structure(parse_ruleset(formatted, name)) != structure(parse_ruleset(text, name)):
            # A formatter bug must never change what a ruleset means: refuse to write.
            raise RuntimeError(f"formatting {name} would change its meaning; file left unchanged")
        changed.append(name)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                fromfile=name, tofile=f"{name} (formatted)"))
        elif args.check:
            sys.stdout.write(f"would reformat {name}\n")
        else:
            write_atomic(name, formatted, rewrite_input=True)
            sys.stdout.write(f"reformatted {name}\n")
    if problems:
        raise InputError(problems)
    if args.check or args.diff:
        return EXIT_FAILED if changed else EXIT_OK
    return EXIT_OK


def _lines_escaped(text: str) -> str:
    """Text for the terminal: its own line breaks kept, every other control character of the
    ruleset's text escaped (no terminal escape, no forged line)."""
    from compliance.report.text import escape_controls

    return "\n".join(escape_controls(line) for line in text.split("\n"))
