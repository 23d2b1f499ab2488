"""Scoring the rulesets' prose rules end to end on the labelled corpus: each text placed in a
contract (as a marketing item, as a clause and where the corpus found it), the ruleset evaluated,
and the verdicts of its prose rules compared with the labels, by language, kind and placement.

A rule group is the set of rules of a ruleset that look for one family of kinds; a text labelled
with a kind of the group should fail one of them, and a text labelled with none should fail none.
Kinds a ruleset does not look for (配资 under ESMA) are not scored for it.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from compliance.text.evaluation import Score, expected_kinds

GROUPS: dict[str, tuple[str, ...]] = {
    "claims": ("guarantee", "no_risk", "compensation"),
    "peizi": ("peizi",),
    "nbp_contradiction": ("nbp_contradiction",),
    "inducement": ("inducement",),
}

_ESMA = {**{f"ESMA-CLAIM-{n}": "claims" for n in range(1, 5)},
         **{f"ESMA-NBP-{n}": "nbp_contradiction" for n in range(2, 5)},
         **{f"ESMA-SUIT-{n}": "inducement" for n in range(3, 6)}}
# ruleset -> (its prose rules and their group, the contract a text is placed in)
RULESETS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "platform_default": (
        {"PD-CLAIM-1": "claims", "PD-CLAIM-2": "claims", "PD-CLAIM-3": "claims", "PD-CLAIM-6": "claims",
         "PD-CLAIM-4": "peizi", "PD-CLAIM-5": "peizi",
         "PD-NBP-2": "nbp_contradiction", "PD-NBP-3": "nbp_contradiction", "PD-NBP-4": "nbp_contradiction"},
        {"product": {"type": "margin_loan"}, "negative_balance_protection": True}),
    "csrc_like": (
        {**{f"CSRC-CLAIM-{n}": "claims" for n in range(1, 5)}, "CSRC-PEIZI-1": "peizi", "CSRC-PEIZI-2": "peizi"},
        {"product": {"type": "margin_account"}}),
    "esma_like": (_ESMA, {"product": {"type": "cfd"}, "negative_balance_protection": True}),
    "fca_like": (_ESMA, {"product": {"type": "cfd"}, "negative_balance_protection": True}),
}
PLACEMENTS = ("marketing", "clause", "risk_warning", "product_name", "incentive")


def placements_of(item: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text as a marketing item and as a clause, and where the corpus found it."""
    own = item["placement"]
    return ("marketing", "clause") + (() if own in ("marketing", "clause") else (own,))


def placed(text: str, placement: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """A contract holding ``text`` at ``placement``, on top of ``base``."""
    data: dict[str, Any] = {"kind": "contract", "id": "corpus", "client": {"category": "retail"},
                            **{key: dict(value) if isinstance(value, dict) else value
                               for key, value in base.items()}}
    if placement == "marketing":
        data["marketing"] = [{"id": "m", "text": text}]
    elif placement == "clause":
        data["clauses"] = [{"id": "c", "text": text}]
    elif placement == "risk_warning":
        data["disclosures"] = {"risk_warning": {"text": text}}
    elif placement == "product_name":
        data["product"] = {**data.get("product", {}), "name": text}
    elif placement == "incentive":
        data["incentives"] = [{"type": "gift", "description": text}]
    else:
        raise ValueError(f"unknown placement {placement!r}")
    return data


@lru_cache(maxsize=8)
def _prepared(name: str, as_of: _dt.date) -> tuple[Any, list[Any], dict[str, Any]]:
    from compliance.dsl.loader import load_ruleset
    from compliance.evaluate.scalar import params_as_of

    ruleset = load_ruleset(name)
    wanted = RULESETS[name][0]
    rules = [rule for rule in ruleset.rules if rule.rule_id in wanted]
    return ruleset, rules, params_as_of(ruleset, as_of)


def failed_groups(name: str, text: str, placement: str, as_of: _dt.date) -> dict[str, str]:
    """The groups whose rules ``name`` fails for the text at the placement, each with the kind
    its first finding names."""
    from compliance.documents.model import Document
    from compliance.evaluate.scalar import evaluate_document

    ruleset, rules, params = _prepared(name, as_of)
    groups, base = RULESETS[name]
    document = Document("contract", "<corpus>", placed(text, placement, base))
    found: dict[str, str] = {}
    for result in evaluate_document(ruleset, document, as_of, rules=rules, params=params):
        group = groups.get(result.rule.rule_id)
        if group is not None and result.outcome == "failed" and group not in found:
            found[group] = _kind_named(group, result.message)
    return found


def _kind_named(group: str, message: str) -> str:
    """The kind a finding's message names (a claim's explanation starts with its kind's label)."""
    from compliance.text.claims import _LABEL

    if group != "claims":
        return GROUPS[group][0]
    return next((kind for kind, label in _LABEL.items() if kind in GROUPS[group] and label in message),
                GROUPS[group][0])


def score_ruleset(name: str, items: Sequence[Mapping[str, Any]], as_of: _dt.date) -> Score:
    """(item, placement, kind) triples for the kinds the ruleset looks for: a labelled kind whose
    group failed is a true positive, one whose group passed a false negative; a group that failed
    where no kind of it is labelled is a false positive of the kind its finding names."""
    covered = {group for group in RULESETS[name][0].values()}
    result = Score()
    for item in items:
        expected = set(expected_kinds(item))
        for placement in placements_of(item):
            fired = failed_groups(name, item["text"], placement, as_of)
            for group in covered:
                labelled = [kind for kind in GROUPS[group] if kind in expected]
                outcomes = [(kind, group in fired, True) for kind in labelled]
                if group in fired and not labelled:
                    outcomes.append((fired[group], True, False))
                for kind, guess, truth in outcomes:
                    groups = [("all", "all"), ("language", item["language"]), ("kind", kind),
                              ("placement", placement)]
                    tp, fp, fn = int(truth and guess), int(guess and not truth), int(truth and not guess)
                    result.add(item, groups, tp, fp, fn, tp)
                    if fp or fn:
                        what = "missed" if fn else "false"
                        result.misses.append(f"{item['id']} as {placement}: {what} {kind}: {item['text']}")
    return result
