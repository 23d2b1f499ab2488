"""In-file tests as code lenses: "Run test" above each ``test`` block and "Run all tests" above the
ruleset; the command runs them as ``compliance rules test`` does and reports pass or fail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from compliance.dsl import ast
from compliance.lsp.analysis import Analysis

RUN_TESTS = "compliance.runTests"


def code_lenses(analysis: Analysis, last: dict[str, bool] | None = None) -> list[types.CodeLens]:
    """Lenses for the file's tests; ``last`` (test name -> passed) shows the outcome of a run."""
    parsed = analysis.parsed
    if parsed is None:
        return []
    source = analysis.source
    tests = [item for item in parsed.items if isinstance(item, ast.TestCase)]
    if not tests:
        return []
    uri = source.uri
    lenses = [types.CodeLens(range=source.head_range(parsed.span), command=types.Command(
        title=f"Run all {len(tests)} tests", command=RUN_TESTS, arguments=[uri]))]
    for test in tests:
        title = "Run test"
        if last and test.name in last:
            title = ("PASS" if last[test.name] else "FAIL") + " · run again"
        lenses.append(types.CodeLens(range=source.head_range(test.span), command=types.Command(
            title=title, command=RUN_TESTS, arguments=[uri, test.name])))
    return lenses


@dataclass(frozen=True)
class Outcome:
    """What a run of the tests found: the lines ``compliance rules test`` prints, and the counts."""

    passed: int
    failed: int
    results: dict[str, bool]
    report: str
    problems: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "failed": self.failed, "results": self.results,
                "report": self.report, "problems": list(self.problems)}


def run_tests(analysis: Analysis, name: str | None = None) -> Outcome:
    """Run the file's tests (or the one named); a file with errors runs none."""
    from compliance.commands.rules import render_results
    from compliance.evaluate.testing import run_test

    ruleset = analysis.ruleset
    if ruleset is None:
        problems = tuple(d.render() for d in analysis.diagnostics)
        return Outcome(0, 0, {}, f"not run: the file has {len(problems)} error(s)", problems)
    cases = [case for case in ruleset.tests if name is None or case.name == name]
    results = [run_test(case, ruleset) for case in cases]
    passed = sum(1 for result in results if result.passed)
    return Outcome(passed, len(results) - passed, {r.name: r.passed for r in results},
                   render_results(results))
