"""Print how long the language server takes to answer as the user types, beside the baseline of
checking the same text with the loader.

    python benchmarks/bench_lsp.py [--runs 21]

For each built-in ruleset, in process and warm (as a running server is), medians of ``--runs``:
  baseline  ``load_ruleset_text``: parse + check of the text (what ``compliance check`` does)
  analyse   the server's analysis of the text after a change: parse, the extends chain read from
            disk, check, and the diagnostics
  hover     a hover on the first rule id, on that analysis
  complete  a completion after ``client.``, on that analysis
The ratio analyse / baseline shows what the server adds to a check (reading the extended files).
Target: an answer well under 100 ms on the largest ruleset, so diagnostics keep up with typing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.dsl.loader import builtin_dir, builtin_names, load_ruleset_text  # noqa: E402
from compliance.lsp import completion, hover  # noqa: E402
from compliance.lsp.analysis import analyse  # noqa: E402
from compliance.lsp.source import path_to_uri  # noqa: E402


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    print(f"{'ruleset':<18}{'lines':>7}{'baseline ms':>13}{'analyse ms':>12}{'ratio':>7}"
          f"{'hover ms':>10}{'complete ms':>13}")
    for name in builtin_names():
        path = builtin_dir() / f"{name}.rules"
        text = path.read_text(encoding="utf-8")
        uri = path_to_uri(path)
        baseline = median_ms(lambda: load_ruleset_text(text, str(path)), runs)
        analysed = median_ms(lambda: analyse(text, uri), runs)
        analysis = analyse(text, uri)
        lines = text.split("\n")
        rule_line = next(i for i, line in enumerate(lines) if line.startswith("rule "))
        hovered = median_ms(lambda: hover.hover(analysis, rule_line, 6), runs)
        typed = text + "\nrule X-1 \"t\"\n  when client."
        typing = analyse(typed, uri)
        last = typed.count("\n")
        completed = median_ms(lambda: completion.complete(typing, last, len("  when client.")), runs)
        print(f"{name:<18}{len(lines):>7}{baseline:>13.1f}{analysed:>12.1f}{analysed / baseline:>7.2f}"
              f"{hovered:>10.2f}{completed:>13.2f}")


if __name__ == "__main__":
    main()
