"""Text and JSON forms of the analysis results (prove, witness), one function per result."""
from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from compliance.analysis.prove import IMPLIED, NOT_ANALYSED, NOT_IMPLIED, Dominance, Verdict
from compliance.analysis.witness import dsl_value, to_yaml
from compliance.dsl.units import Duration, Leverage, Money, Percent


def json_value(value: Any) -> Any:
    """A typed value as JSON: quantities in their written form ("40%", "30:1", "EUR 100")."""
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return value
    if isinstance(value, (Percent, Leverage, Money, Duration, _dt.date)):
        return dsl_value(value).strip('"')
    if isinstance(value, (Decimal, int)):
        return dsl_value(value)
    return str(value)


def _verdict_line(verdict: Verdict, house: str) -> str:
    if verdict.verdict == IMPLIED:
        if not verdict.implied_by:
            return f"{verdict.rule_id}: implied (every document passes it)"
        return f"{verdict.rule_id}: implied by {house} rules {', '.join(verdict.implied_by)}"
    if verdict.verdict == NOT_IMPLIED:
        return f"{verdict.rule_id}: NOT implied" + (f" ({verdict.reason})" if verdict.reason else "")
    if verdict.verdict == NOT_ANALYSED:
        return f"{verdict.rule_id}: not analysed: {verdict.reason}"
    return f"{verdict.rule_id}: undecided: {verdict.reason}"


def dominance_text(result: Dominance, explanations: Mapping[str, list[str]]) -> str:
    house, reg = result.house.name, result.reg.name
    out = [f"Is {house} at least as strict as {reg}? ({result.target} rules, as of "
           f"{result.as_of.isoformat()})", ""]
    for verdict in result.verdicts:
        out.append(_verdict_line(verdict, house))
        if verdict.witness is not None:
            scope = "every rule" if verdict.verdict == NOT_IMPLIED else "every analysed rule"
            out.append(f"  witness: passes {scope} of {house}, and {verdict.rule_id} is "
                       f"{verdict.reg_outcome}:")
            out += ["    " + line for line in to_yaml(verdict.witness.data, result.target).splitlines()]
            out += ["  " + line for line in explanations.get(verdict.rule_id, [])]
    if result.house_left_out:
        out += ["", f"{house} rules left out of the premise (outside the analysed fragment):"]
        out += [f"  {rule_id}: {why}" for rule_id, why in sorted(result.house_left_out.items())]
    counts = _counts(result)
    out += ["", f"{counts[IMPLIED]} implied, {counts[NOT_IMPLIED]} not implied, "
                f"{counts[NOT_ANALYSED]} not analysed, {counts['undecided']} undecided"]
    return "\n".join(out) + "\n"


def _counts(result: Dominance) -> dict[str, int]:
    counts = {IMPLIED: 0, NOT_IMPLIED: 0, NOT_ANALYSED: 0, "undecided": 0}
    for verdict in result.verdicts:
        counts[verdict.verdict] += 1
    return counts


def dominance_json(result: Dominance, explanations: Mapping[str, list[str]]) -> str:
    rules = []
    for verdict in result.verdicts:
        entry: dict[str, Any] = {"rule_id": verdict.rule_id, "title": verdict.title,
                                 "citation": verdict.citation, "verdict": verdict.verdict,
                                 "implied_by": list(verdict.implied_by), "reason": verdict.reason,
                                 "witness": None}
        if verdict.witness is not None:
            entry["witness"] = {"document": json_value(dict(verdict.witness.data)),
                                "yaml": to_yaml(verdict.witness.data, result.target),
                                "house_outcomes": dict(verdict.house_outcomes),
                                "reg_outcome": verdict.reg_outcome,
                                "explanation": explanations.get(verdict.rule_id, [])}
        rules.append(entry)
    payload = {"house": result.house.name, "reg": result.reg.name, "target": result.target,
               "as_of": result.as_of.isoformat(), "all_implied": result.all_implied,
               "rules": rules, "house_left_out": dict(sorted(result.house_left_out.items())),
               "summary": _counts(result)}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
