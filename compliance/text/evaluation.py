"""Scoring the prose analysers against a labelled corpus: precision and recall by language, kind
and placement, whether each finding points at the labelled phrase, and numbers found in prose.

A corpus item is a mapping with ``id``, ``text``, ``language``, ``placement``, ``kind`` (a kind,
a list of kinds, or ``clean``), for positives ``phrase`` (the text a finding must overlap, one per
kind), and optionally ``numbers``: a list of ``[kind, value]`` pairs the text states.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ALL_KINDS = ("guarantee", "no_risk", "compensation", "peizi", "nbp_contradiction", "inducement")

Finding = tuple[str, int, int]   # kind, start, end (original offsets)


def detect(text: str) -> list[Finding]:
    """Every finding of the claims analyser and the contradiction detectors, default vocabulary."""
    from compliance.text.claims import analyse
    from compliance.text.contradictions import contradictions
    found = [(c.kind, c.start, c.end) for c in analyse(text).claims]
    found += [(c.kind, c.start, c.end) for c in contradictions(text)]
    return found


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    span_hits: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def span_accuracy(self) -> float:
        return self.span_hits / self.tp if self.tp else 1.0


@dataclass
class Score:
    by: dict[str, dict[str, Tally]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))
    misses: list[str] = field(default_factory=list)

    def add(self, item: Mapping[str, Any], groups: Iterable[tuple[str, str]], tp: int, fp: int, fn: int,
            span_hits: int) -> None:
        for axis, value in groups:
            tally = self.by[axis][value]
            tally.tp += tp
            tally.fp += fp
            tally.fn += fn
            tally.span_hits += span_hits


def expected_kinds(item: Mapping[str, Any]) -> list[str]:
    kind = item["kind"]
    kinds = kind if isinstance(kind, list) else [kind]
    return [k for k in kinds if k != "clean"]


def expected_phrases(item: Mapping[str, Any]) -> dict[str, str]:
    phrase = item.get("phrase")
    phrases = phrase if isinstance(phrase, list) else [phrase] * len(expected_kinds(item))
    return {k: p for k, p in zip(expected_kinds(item), phrases) if p}


def score(items: Sequence[Mapping[str, Any]], detector: Callable[[str], list[Finding]] = detect) -> Score:
    """(item, kind) pairs: a kind expected and found is a true positive; found and not expected a
    false positive; expected and not found a false negative. Span hits count true positives whose
    finding overlaps the labelled phrase."""
    result = Score()
    for item in items:
        text = item["text"]
        found = detector(text)
        expected = set(expected_kinds(item))
        phrases = expected_phrases(item)
        predicted = {kind for kind, _, _ in found}
        for kind in ALL_KINDS:
            truth, guess = kind in expected, kind in predicted
            if not truth and not guess:
                continue
            hit = 0
            if truth and guess and kind in phrases:
                at = text.find(phrases[kind])
                hit = int(any(k == kind and s < at + len(phrases[kind]) and at < e for k, s, e in found))
            elif truth and guess:
                hit = 1
            groups = [("all", "all"), ("language", item["language"]), ("kind", kind),
                      ("placement", item["placement"])]
            result.add(item, groups, int(truth and guess), int(guess and not truth), int(truth and not guess), hit)
            if truth != guess or (truth and not hit):
                what = "missed" if truth and not guess else "false" if guess and not truth else "wrong span"
                result.misses.append(f"{item['id']}: {what} {kind}: {text}")
    return result


def score_numbers(items: Sequence[Mapping[str, Any]]) -> dict[str, Tally]:
    """Numbers stated in prose, per language: each expected (kind, value) found is a true positive."""
    from compliance.text.numbers import numbers_in
    tallies: dict[str, Tally] = defaultdict(Tally)
    for item in items:
        if "numbers" not in item:
            continue
        expected = [(kind, Decimal(value)) for kind, value in item["numbers"]]
        found = [(n.kind, n.value) for n in numbers_in(item["text"])]
        remaining = list(found)
        tally = tallies[item["language"]]
        for pair in expected:
            if pair in remaining:
                remaining.remove(pair)
                tally.tp += 1
            else:
                tally.fn += 1
        tally.fp += len(remaining)
    return tallies


def load(paths: Iterable[str]) -> list[dict[str, Any]]:
    import yaml
    items: list[dict[str, Any]] = []
    for path in sorted(paths):
        with open(path, encoding="utf-8") as handle:
            items.extend(yaml.safe_load(handle) or [])
    return items
