"""What changed between two rulesets (or one ruleset between two dates): rules and parameters
added, removed, tightened or loosened, each with its citation.

A rule in both is *tightened* when every document passing the new version passed the old one and
some document no longer passes (the solver proves both halves and shows that document), *loosened*
the other way round, *equivalent* when the two accept the same documents, and *changed* when each
accepts a document the other rejects, or when the rule is outside the analysed fragment and its
text or the parameters it reads differ.
"""
from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import z3

from compliance.analysis.common import encode, new_document, params, verdicts
from compliance.analysis.symbolic import Unsupported
from compliance.analysis.witness import Found, search, to_yaml
from compliance.dsl.checker import CheckedRule, Ruleset

ADDED, REMOVED, TIGHTENED, LOOSENED, CHANGED, EQUIVALENT = (
    "added", "removed", "tightened", "loosened", "changed", "equivalent")


@dataclass(frozen=True)
class Change:
    kind: str                  # rule | parameter
    name: str
    change: str
    citation: str = ""
    detail: str = ""
    example: Found | None = None
    target: str = "contract"


@dataclass(frozen=True)
class Diff:
    old: Ruleset
    new: Ruleset
    old_date: _dt.date
    new_date: _dt.date
    changes: tuple[Change, ...]


def diff_rulesets(old: Ruleset, new: Ruleset, old_date: _dt.date, new_date: _dt.date) -> Diff:
    old_params, new_params = params(old, old_date), params(new, new_date)
    changes = _parameter_changes(old, new, old_params, new_params)
    old_rules = {r.rule_id: r for r in old.rules}
    new_rules = {r.rule_id: r for r in new.rules}
    for rule_id, rule in new_rules.items():
        if rule_id not in old_rules:
            changes.append(Change("rule", rule_id, ADDED, rule.citation_on(new_date), rule.title,
                                  target=rule.target))
    for rule_id, rule in old_rules.items():
        if rule_id not in new_rules:
            changes.append(Change("rule", rule_id, REMOVED, rule.citation_on(old_date), rule.title,
                                  target=rule.target))
    for rule_id, rule in new_rules.items():
        if rule_id in old_rules:
            found = _rule_change(old, new, old_rules[rule_id], rule, old_date, new_date,
                                 old_params, new_params)
            if found is not None:
                changes.append(found)
    return Diff(old, new, old_date, new_date, tuple(changes))


def _parameter_changes(old: Ruleset, new: Ruleset, old_params: Mapping[str, Any],
                       new_params: Mapping[str, Any]) -> list[Change]:
    from compliance.dsl.units import format_value

    changes = []
    for name in new.params:
        if name not in old.params:
            changes.append(Change("parameter", name, ADDED, detail=format_value(new_params[name])))
        elif _shown(old_params[name]) != _shown(new_params[name]):
            changes.append(Change("parameter", name, CHANGED,
                                  detail=f"{_shown(old_params[name])} -> {_shown(new_params[name])}"))
    for name in old.params:
        if name not in new.params:
            changes.append(Change("parameter", name, REMOVED, detail=_shown(old_params[name])))
    return changes


def _shown(value: Any) -> str:
    from compliance.dsl.units import format_value
    return format_value(value)


def _rule_change(old: Ruleset, new: Ruleset, before: CheckedRule, after: CheckedRule,
                 old_date: _dt.date, new_date: _dt.date, old_params: Mapping[str, Any],
                 new_params: Mapping[str, Any]) -> Change | None:
    citation = after.citation_on(new_date)
    if before.target != after.target:
        return Change("rule", after.rule_id, CHANGED, citation, "now applies to " + after.target,
                      target=after.target)
    document = new_document(after.target, [old, new])
    try:
        first = encode(old, before, document, old_date)
        second = encode(new, after, document, new_date)
        if not first.exact or not second.exact:
            raise Unsupported(first.not_exact_reason if not first.exact else second.not_exact_reason)
    except Unsupported as reason:
        if _fingerprint(before, old, old_params) == _fingerprint(after, new, new_params):
            return None
        return Change("rule", after.rule_id, CHANGED, citation, f"not analysed: {reason}",
                      target=after.target)
    solver = z3.Solver()
    solver.set(timeout=10_000)
    solver.add(document.all_constraints())
    was, now = first.outcomes.passes(), second.outcomes.passes()
    newly_failing = solver.check(was, z3.Not(now)) != z3.unsat
    newly_passing = solver.check(now, z3.Not(was)) != z3.unsat
    meta = _metadata(before, after, old_date, new_date)
    if not newly_failing and not newly_passing:
        return Change("rule", after.rule_id, CHANGED, citation, meta, target=after.target) if meta else None
    change = TIGHTENED if newly_failing and not newly_passing else \
        LOOSENED if newly_passing and not newly_failing else CHANGED
    goal = [was, z3.Not(now)] if newly_failing else [now, z3.Not(was)]

    def confirms(candidate: Any) -> bool:
        old_v = verdicts(old, candidate, old_date, [before])[before.rule_id]
        new_v = verdicts(new, candidate, new_date, [after])[after.rule_id]
        ok = ("passed", "not_applicable")
        return (old_v in ok) != (new_v in ok)

    example = search(document, goal, new_date, confirms, after.target)
    what = {TIGHTENED: "some documents that passed now fail", LOOSENED: "some documents that failed now pass",
            CHANGED: "some documents that passed now fail, and some that failed now pass"}[change]
    return Change("rule", after.rule_id, change, citation, "; ".join(filter(None, [what, meta])),
                  example, after.target)


def _metadata(before: CheckedRule, after: CheckedRule, old_date: _dt.date, new_date: _dt.date) -> str:
    """What changed besides the documents the rule accepts: severity, topic, what silence is, and
    the provision in force (a dated citation changes over time in one ruleset too)."""
    notes = [f"{name} {getattr(before, name)} -> {getattr(after, name)}"
             for name in ("severity", "topic", "silence") if getattr(before, name) != getattr(after, name)]
    if before.citation_on(old_date) != after.citation_on(new_date):
        notes.append("citation changed")
    return "; ".join(notes)


def _fingerprint(rule: CheckedRule, ruleset: Ruleset, values: Mapping[str, Any]) -> str:
    from compliance.commands.rules import _params_used
    from compliance.dsl.formatter import format_expression

    parts = [format_expression(e) for e in (*rule.scope, rule.when, rule.require) if e is not None]
    parts.append(f"silence {rule.silence}")
    parts += [format_expression(e.when) + " / " + (format_expression(e.require) if e.require else "")
              for e in rule.exceptions]
    parts += [f"{name}={_shown(values.get(name))}" for name in _params_used(rule, ruleset)]
    return "\n".join(parts)


# ---- output -------------------------------------------------------------------------------------

def _header(diff: Diff) -> str:
    if diff.old is diff.new:
        return f"{diff.new.name}: {diff.old_date.isoformat()} -> {diff.new_date.isoformat()}"
    return (f"{diff.old.name} {diff.old.version} (as of {diff.old_date.isoformat()}) -> "
            f"{diff.new.name} {diff.new.version} (as of {diff.new_date.isoformat()})")


def render_text(diff: Diff) -> str:
    out = [_header(diff), ""]
    if not diff.changes:
        out.append("no change")
    for change in diff.changes:
        line = f"{change.kind} {change.name}: {change.change}"
        if change.detail:
            line += f" ({change.detail})"
        out.append(line)
        if change.citation:
            out.append(f"  citation: {change.citation}")
        if change.example is not None:
            out.append("  for example:")
            out += ["    " + text for text in to_yaml(change.example.data, change.target).splitlines()]
    return "\n".join(out) + "\n"


def render_json(diff: Diff) -> str:
    from compliance.analysis.render import json_value

    payload = {"old": {"ruleset": diff.old.name, "version": diff.old.version, "as_of": diff.old_date.isoformat()},
               "new": {"ruleset": diff.new.name, "version": diff.new.version, "as_of": diff.new_date.isoformat()},
               "changes": [{"kind": c.kind, "name": c.name, "change": c.change, "citation": c.citation,
                            "detail": c.detail,
                            "example": None if c.example is None else json_value(dict(c.example.data))}
                           for c in diff.changes]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
