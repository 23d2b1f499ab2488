"""Prose analysis (issue 15): precision and recall on the labelled corpus, start-up cost of each
library, and the cost of analysing one text; with --rulesets, the rulesets' verdicts end to end.

    python benchmarks/bench_prose.py [--runs 5] [--misses]
    python benchmarks/bench_prose.py --rulesets [--misses]

--rulesets places every corpus text in a contract (as a marketing item, as a clause, and where the
corpus found it: a risk warning, a product name, an incentive), evaluates each built-in ruleset
that reads prose, and prints the precision and recall of its verdicts per language, kind and
placement, for each part of the corpus; "untouched" is the part written after the prose rules and
scored once.

Prints, for the development part (tuned against), the held-out part (written before tuning) and
the late held-out part (written after the tuning rounds) and the final one (written after the
last fix, measured once) separately: precision, recall and span accuracy per language, kind and placement; numbers found
in prose; language-detection accuracy. Then the cold import cost of each library, measured in
fresh processes side by side with `python -c pass`, and the median microseconds per text.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.text.evaluation import Score, load, score, score_numbers  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "prose"
# Fresh processes may cache bytecode, as an installed package does (some shells here set
# PYTHONDONTWRITEBYTECODE, which makes every cold import compile from source); a warm-up run of
# each statement writes the cache before the timed runs.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
SAMPLE = "Trade gold and oil with tight spreads, guaranteed monthly returns"
COLD = {
    "import compliance.text": "import compliance.text",
    "re2 (import)": "import re2",
    "opencc (t2s, one text)": "import opencc; opencc.OpenCC('t2s').convert('穩賺不賠')",
    "fastText lid.176 (load, one text)":
        "from compliance.text.language import detect_language; detect_language('Trade gold now')",
    "claims analyser (first English text)":
        f"from compliance.text.claims import analyse; analyse({SAMPLE!r})",
    "claims analyser (first Chinese text)":
        "from compliance.text.claims import analyse; analyse('專業分析師帶單，保證收益')",
    "jieba (not used; import and dictionary)": "import jieba; jieba.initialize()",
}


def print_score(title: str, result: Score, span: bool = True) -> None:
    print(f"\n{title}")
    span_head = f"{'span':>7}" if span else ""
    print(f"  {'group':<28}{'precision':>10}{'recall':>8}{span_head}{'tp':>6}{'fp':>5}{'fn':>5}")
    for axis in ("all", "language", "kind", "placement"):
        for value, tally in sorted(result.by[axis].items()):
            label = "all" if axis == "all" else f"{axis}={value}"
            shown = f"{tally.span_accuracy:>7.3f}" if span else ""
            print(f"  {label:<28}{tally.precision:>10.3f}{tally.recall:>8.3f}{shown}"
                  f"{tally.tp:>6}{tally.fp:>5}{tally.fn:>5}")


def print_numbers(items: list[dict]) -> None:
    for language, tally in sorted(score_numbers(items).items()):
        print(f"  numbers in prose, {language:<7} precision {tally.precision:.3f} recall {tally.recall:.3f}"
              f" (tp {tally.tp}, fp {tally.fp}, fn {tally.fn})")


def language_accuracy(items: list[dict]) -> str:
    from compliance.text.language import detect_language
    cases = [(i["text"], i["language"]) for i in items if i["language"] not in ("mixed",)]
    right = sum(detect_language(text).code == code for text, code in cases)
    return f"{right}/{len(cases)} = {right / len(cases):.3f}"


def _once(code: str) -> float | None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, env=ENV)
    return None if done.returncode != 0 else time.perf_counter() - start


def cold(code: str, runs: int) -> tuple[float, float] | None:
    """Median ms of a fresh process running ``code`` and of ``python -c pass``, interleaved run
    by run so that both see the same load on a shared machine."""
    measured, baseline = [], []
    _once(code)
    for _ in range(runs):
        seconds = _once(code)
        if seconds is None:
            return None
        measured.append(seconds)
        baseline.append(_once("pass") or 0.0)
    return statistics.median(measured) * 1000, statistics.median(baseline) * 1000


FIRST_USE = {
    "claims(), first English text": f"from compliance.text.claims import analyse as f; f({SAMPLE!r})",
    "claims(), first Chinese text": "from compliance.text.claims import analyse as f; f('專業分析師帶單，保證收益')",
    "contradictions(), first text": f"from compliance.text.contradictions import contradictions as f; f({SAMPLE!r})",
    "language_of(), first English text": "from compliance.text.language import detect_language as f; f('Trade gold now')",
    "language_of(), first Chinese text": "from compliance.text.language import detect_language as f; f('保证收益')",
}


def first_use(statement: str, runs: int) -> float | None:
    """Median ms of the first call, timed inside a fresh process that has already imported the
    evaluator (as a `compliance check` has): what a text rule adds to a cold check."""
    code = ("import time, compliance.evaluate.builtins, compliance.evaluate.scalar\n"
            "start = time.perf_counter()\n" + statement.replace("; ", "\n") +
            "\nprint((time.perf_counter() - start) * 1000)")
    times = []
    for run in range(runs + 1):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=ENV)
        if done.returncode != 0:
            return None
        if run:   # the first run writes the bytecode cache
            times.append(float(done.stdout.strip()))
    return statistics.median(times)


def per_text(items: list[dict]) -> tuple[float, float]:
    """Median microseconds per text: the full analysis (normalise, claims, contradictions), and
    language detection; caches are bypassed by timing first calls on distinct texts."""
    from compliance.text import claims, contradictions, language, normalise
    texts = [i["text"] for i in items]
    analysis, detection = [], []
    for round_ in range(3):
        for cache in (normalise._normalise_cached, claims._analyse, contradictions._contradictions,
                      language._detect):
            cache.cache_clear()
        for text in texts:
            start = time.perf_counter()
            claims.analyse(text)
            contradictions.contradictions(text)
            analysis.append(time.perf_counter() - start)
            start = time.perf_counter()
            language.detect_language(text)
            detection.append(time.perf_counter() - start)
    return statistics.median(analysis) * 1e6, statistics.median(detection) * 1e6


PARTS = ("dev", "holdout", "late", "final", "untouched", "untouched2")
AS_OF = dt.date(2026, 1, 1)


def print_verdicts(title: str, result: Score) -> None:
    print_score(title, result, span=False)


def rulesets_main(options: argparse.Namespace) -> None:
    from compliance.text.verdicts import RULESETS, score_ruleset
    parts = {part: load(glob.glob(str(CORPUS / part / "*.yaml"))) for part in PARTS}
    for name in RULESETS:
        for part, items in parts.items():
            start = time.perf_counter()
            result = score_ruleset(name, items, AS_OF)
            seconds = time.perf_counter() - start
            print_verdicts(f"{name}, {part}: {len(items)} texts, each as marketing, as a clause and in its "
                           f"own placement ({seconds:.1f} s)", result)
            if options.misses and part in options.misses_of:
                print("\n".join(f"  miss: {m}" for m in result.misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list every miss (dev part only)")
    parser.add_argument("--misses-of", nargs="*", default=["dev"], help="the parts whose misses --misses lists")
    parser.add_argument("--dev-only", action="store_true", help="leave the held-out part unscored (while tuning)")
    parser.add_argument("--rulesets", action="store_true", help="the rulesets' verdicts end to end")
    options = parser.parse_args()
    if options.rulesets:
        rulesets_main(options)
        return
    parts = {part: load(glob.glob(str(CORPUS / part / "*.yaml"))) for part in PARTS}
    for part, items in parts.items():
        if part != "dev" and options.dev_only:
            continue
        clean = sum(i["kind"] == "clean" for i in items)
        result = score(items)
        print_score(f"{part}: {len(items)} texts, {clean} hard negatives ({clean / len(items):.0%})", result)
        print_numbers(items)
        if options.misses and part == "dev":
            print("\n".join(f"  miss: {m}" for m in result.misses))
    others = load([str(CORPUS / "languages.yaml")])
    everything = [item for items in parts.values() for item in items] + others
    print(f"\nlanguage detection (en and zh corpus texts, {len(others)} texts in other languages): "
          f"{language_accuracy(everything)}")
    print(f"\ncold start, median of {options.runs} fresh processes, each beside python -c pass:")
    for label, code in COLD.items():
        if code == "pass":
            continue
        pair = cold(code, options.runs)
        shown = "not installed" if pair is None else \
            f"{pair[0]:7.1f} ms  vs python -c pass {pair[1]:6.1f} ms  (+{pair[0] - pair[1]:6.1f} ms)"
        print(f"  {label:<42}{shown}")
    print(f"\nfirst use inside a process that has loaded the evaluator, median of {options.runs}:")
    for label, statement in FIRST_USE.items():
        ms = first_use(statement, options.runs)
        print(f"  {label:<42}{'failed' if ms is None else f'{ms:7.1f} ms'}")
    analysis_us, detection_us = per_text([item for items in parts.values() for item in items])
    print(f"\nper text (median over {len(everything) - len(others)} texts, uncached): analysis "
          f"{analysis_us:.0f} us, language detection {detection_us:.0f} us")


if __name__ == "__main__":
    main()
