"""What a change in the rules does to the book: which contracts and accounts change verdict, in
which rule, and why, between two dates of one ruleset or between two versions of it.

Contracts run through the scalar evaluator; snapshots through the vector backend (one pass per
side over the columns, no loop over rows), and only the accounts listed in the report are
re-evaluated one by one, for their explanations.
"""
from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from compliance.dsl.checker import Ruleset

MAX_LISTED = 20      # accounts listed per rule and transition


@dataclass(frozen=True)
class Flip:
    document: str              # contract path, or account id
    rule_id: str
    before: str
    after: str
    why: str
    citation: str = ""


@dataclass(frozen=True)
class SnapshotFlips:
    path: str
    accounts: int
    counts: dict[tuple[str, str, str], int]      # (rule, before, after) -> accounts
    listed: tuple[Flip, ...]


@dataclass(frozen=True)
class Impact:
    old: Ruleset
    new: Ruleset
    old_date: _dt.date
    new_date: _dt.date
    contracts: int
    contract_flips: tuple[Flip, ...]
    snapshots: tuple[SnapshotFlips, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.contract_flips) or any(s.counts for s in self.snapshots)


def impact(paths: Sequence[str], old: Ruleset, new: Ruleset, old_date: _dt.date,
           new_date: _dt.date) -> Impact:
    contracts, snapshots = _split(paths)
    flips: list[Flip] = []
    for path in contracts:
        flips += _contract_flips(path, old, new, old_date, new_date)
    found = tuple(_snapshot_flips(path, old, new, old_date, new_date) for path in snapshots)
    return Impact(old, new, old_date, new_date, len(contracts), tuple(flips), found)


SNAPSHOT_SUFFIXES = (".csv", ".parquet", ".json")


def _split(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    import os

    from compliance.documents.contract import find_contracts

    snapshots = [p for p in paths if os.path.isfile(p) and p.endswith(SNAPSHOT_SUFFIXES)]
    yaml_snapshots = [p for p in paths if os.path.isfile(p) and p.endswith((".yaml", ".yml"))
                      and not _is_contract(p)]
    rest = [p for p in paths if p not in snapshots and p not in yaml_snapshots]
    return (find_contracts(rest) if rest else []), snapshots + yaml_snapshots


def _is_contract(path: str) -> bool:
    from compliance.documents.contract import _looks_like_contract
    return _looks_like_contract(path)


def _outcomes(ruleset: Ruleset, document: Any, as_of: _dt.date) -> dict[str, tuple[str, str]]:
    from compliance.evaluate.scalar import evaluate_document, overall

    by_rule: dict[str, list[Any]] = {}
    for result in evaluate_document(ruleset, document, as_of):
        by_rule.setdefault(result.rule.rule_id, []).append(result)
    out = {}
    for rule in ruleset.rules:
        if rule.target != document.kind:
            continue
        results = by_rule.get(rule.rule_id, [])
        outcome = overall(results)
        decisive = next((r for r in results if r.outcome == outcome), None)
        out[rule.rule_id] = (outcome, decisive.explanation if decisive else "no subject")
    return out


def _compare(name: str, old: Ruleset, new: Ruleset, before: dict[str, tuple[str, str]],
             after: dict[str, tuple[str, str]], old_date: _dt.date, new_date: _dt.date) -> list[Flip]:
    flips = []
    for rule_id in sorted(set(before) | set(after)):
        was, why_was = before.get(rule_id, ("absent", "the rule does not exist"))
        now, why_now = after.get(rule_id, ("absent", "the rule does not exist"))
        if was != now:
            why = why_now if now not in ("passed", "absent") else why_was
            flips.append(Flip(name, rule_id, was, now, why, _citation(old, new, rule_id, old_date, new_date)))
    return flips


def _citation(old: Ruleset, new: Ruleset, rule_id: str, old_date: _dt.date, new_date: _dt.date) -> str:
    """The provision in force: on the new date, or on the old one for a rule that was removed."""
    rule = new.rule(rule_id)
    if rule is not None:
        return rule.citation_on(new_date)
    rule = old.rule(rule_id)
    return rule.citation_on(old_date) if rule is not None else ""


def _contract_flips(path: str, old: Ruleset, new: Ruleset, old_date: _dt.date,
                    new_date: _dt.date) -> list[Flip]:
    from compliance.documents.contract import load_contract

    document = load_contract(path)
    return _compare(path, old, new, _outcomes(old, document, old_date), _outcomes(new, document, new_date),
                    old_date, new_date)


def _snapshot_flips(path: str, old: Ruleset, new: Ruleset, old_date: _dt.date,
                    new_date: _dt.date) -> SnapshotFlips:
    import numpy as np

    from compliance.documents.snapshot import load_snapshot
    from compliance.evaluate.vector import OUTCOME_NAMES

    snapshot = load_snapshot(path)
    before = _column_outcomes(old, snapshot, old_date)
    after = _column_outcomes(new, snapshot, new_date)
    absent = np.full(snapshot.n_rows, -1, dtype=np.int8)
    names = {-1: "absent", **dict(enumerate(OUTCOME_NAMES))}
    counts: dict[tuple[str, str, str], int] = {}
    listed: list[Flip] = []
    for rule_id in sorted(set(before) | set(after)):
        was, now = before.get(rule_id, absent), after.get(rule_id, absent)
        codes = (was.astype(np.int16) + 1) * 5 + now.astype(np.int16) + 1   # one code per transition
        changed = was != now
        if not changed.any():
            continue
        kinds, tally = np.unique(codes[changed], return_counts=True)
        for code, number in zip(kinds.tolist(), tally.tolist()):
            a, b = divmod(code, 5)
            transition = (rule_id, names[a - 1], names[b - 1])
            counts[transition] = int(number)
            rows = np.flatnonzero(changed & (codes == code))[:MAX_LISTED]
            listed += _explain_rows(snapshot, rows, rule_id, old, new, old_date, new_date)
    return SnapshotFlips(path, snapshot.n_rows, counts, tuple(listed))


def _column_outcomes(ruleset: Ruleset, snapshot: Any, as_of: _dt.date) -> dict[str, Any]:
    """Outcome codes per account rule, with the columns the ruleset's assumptions fill filled in
    (each side of the comparison with its own assumptions, as ``audit`` reads a snapshot)."""
    from compliance.evaluate.scalar import params_as_of
    from compliance.evaluate.vector import apply_column_assumptions, evaluate_snapshot

    params = params_as_of(ruleset, as_of)
    filled, _assumed = apply_column_assumptions(ruleset, snapshot, params, as_of)
    return {o.rule.rule_id: o.outcomes for o in evaluate_snapshot(ruleset, filled, as_of, params)}


def _explain_rows(snapshot: Any, rows: Any, rule_id: str, old: Ruleset, new: Ruleset,
                  old_date: _dt.date, new_date: _dt.date) -> list[Flip]:
    ids = snapshot.account_ids(rows) if len(rows) else []
    flips = []
    for row, account in zip(rows.tolist(), ids):
        document = snapshot.row_document(int(row))
        flips += [f for f in _compare(account, old, new, _outcomes(old, document, old_date),
                                      _outcomes(new, document, new_date), old_date, new_date)
                  if f.rule_id == rule_id]
    return flips


# ---- output ----------------------------------------------------------------------------------------

def _title(result: Impact) -> str:
    if result.old is result.new or result.old.sha256 == result.new.sha256:
        return (f"Impact of {result.new.name} {result.new.version} from {result.old_date.isoformat()} "
                f"to {result.new_date.isoformat()}")
    return (f"Impact of {result.old.name} {result.old.version} -> {result.new.name} {result.new.version} "
            f"(as of {result.old_date.isoformat()} -> {result.new_date.isoformat()})")


def render_text(result: Impact) -> str:
    out = [_title(result), ""]
    out.append(f"{result.contracts} contract(s): {len({f.document for f in result.contract_flips})} change verdict")
    for flip in result.contract_flips:
        out.append(f"  {flip.document}: {flip.rule_id}: {flip.before} -> {flip.after}: {flip.why}")
    for snap in result.snapshots:
        out.append(f"{snap.path}: {snap.accounts} account(s)")
        if not snap.counts:
            out.append("  no account changes verdict")
        for (rule_id, before, after), number in sorted(snap.counts.items()):
            out.append(f"  {rule_id}: {before} -> {after}: {number} account(s)")
            out += [f"    {f.document}: {f.why}" for f in snap.listed
                    if (f.rule_id, f.before, f.after) == (rule_id, before, after)]
    return "\n".join(out) + "\n"


def to_json(result: Impact) -> dict[str, Any]:
    def flip(f: Flip) -> dict[str, str]:
        return {"document": f.document, "rule_id": f.rule_id, "before": f.before, "after": f.after,
                "why": f.why, "citation": f.citation}
    return {
        "old": {"ruleset": result.old.name, "version": result.old.version, "sha256": result.old.sha256,
                "as_of": result.old_date.isoformat()},
        "new": {"ruleset": result.new.name, "version": result.new.version, "sha256": result.new.sha256,
                "as_of": result.new_date.isoformat()},
        "contracts": {"checked": result.contracts, "changes": [flip(f) for f in result.contract_flips]},
        "snapshots": [{"path": s.path, "accounts": s.accounts,
                       "changes": [{"rule_id": r, "before": b, "after": a, "accounts": n}
                                   for (r, b, a), n in sorted(s.counts.items())],
                       "listed": [flip(f) for f in s.listed]} for s in result.snapshots],
    }


def render_json(result: Impact) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("\n", " ").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")


def render_markdown(result: Impact) -> str:
    out = [f"# {_md(_title(result))}", "", f"## Contracts ({result.contracts} checked)", ""]
    if result.contract_flips:
        out += ["| contract | rule | before | after | why |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {_md(f.document)} | {_md(f.rule_id)} | {f.before} | {f.after} | {_md(f.why)} |"
                for f in result.contract_flips]
    else:
        out.append("No contract changes verdict.")
    for snap in result.snapshots:
        out += ["", f"## Snapshot {_md(snap.path)} ({snap.accounts} accounts)", ""]
        if not snap.counts:
            out.append("No account changes verdict.")
            continue
        out += ["| rule | before | after | accounts |", "| --- | --- | --- | ---: |"]
        out += [f"| {_md(r)} | {b} | {a} | {n} |" for (r, b, a), n in sorted(snap.counts.items())]
        out += ["", "| account | rule | before | after | why |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {_md(f.document)} | {_md(f.rule_id)} | {f.before} | {f.after} | {_md(f.why)} |"
                for f in snap.listed]
    return "\n".join(out) + "\n"


def render_html(result: Impact) -> str:
    e = html.escape

    def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [f"<h1>{e(_title(result))}</h1>", f"<h2>Contracts ({result.contracts} checked)</h2>"]
    parts.append(table(("contract", "rule", "before", "after", "why"),
                       [(f.document, f.rule_id, f.before, f.after, f.why) for f in result.contract_flips])
                 if result.contract_flips else "<p>No contract changes verdict.</p>")
    for snap in result.snapshots:
        parts.append(f"<h2>Snapshot {e(snap.path)} ({snap.accounts} accounts)</h2>")
        parts.append(table(("rule", "before", "after", "accounts"),
                           [(r, b, a, n) for (r, b, a), n in sorted(snap.counts.items())]))
        parts.append(table(("account", "rule", "before", "after", "why"),
                           [(f.document, f.rule_id, f.before, f.after, f.why) for f in snap.listed]))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(_title(result))}</title><style>{style}</style></head><body>"
            + "".join(parts) + "</body></html>\n")


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
