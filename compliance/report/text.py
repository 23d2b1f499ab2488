"""The report for people at a terminal: findings grouped by contract, then one summary line.

Colour (ANSI) only when asked: the CLI passes ``color=sys.stdout.isatty()`` and honours NO_COLOR.
Every text that comes from an input (contract, ruleset, snapshot, waivers, file names) is shown
with its control characters escaped (:func:`escape_controls`): a newline is ``\\n``, ESC is ``\\x1b``,
so no input can start a line of the report (such as a forged ``::error`` workflow command) or
write a terminal escape.
"""
from __future__ import annotations

from compliance import records
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from compliance.findings import Finding, Report
from compliance.report.common import (
    amounts_of, document_ids, document_paths, location, money, plural, rule_index, rule_title,
    sorted_findings,
)

_STYLES = {"error": "1;31", "warning": "1;33", "info": "1;36", "waived": "2", "bold": "1",
           "dim": "2", "ok": "1;32"}
# How many findings of one rule an audit lists before "... and N more": the full list is in JSON/SARIF.
AUDIT_FINDINGS_PER_RULE = 20
TEXT_TOP_OFFENDERS = 5


# C0 controls but tab, DEL, C1 controls and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def escape_controls(text: str) -> str:
    """``text`` on one line and without terminal escapes: controls written as ``\\n``, ``\\xNN``."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group()) or
                        (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"),
                        text)


def escaped(value: Any) -> Any:
    """``value`` with :func:`escape_controls` applied to every string in it (dataclasses, dicts,
    lists and tuples are rebuilt; other values are returned as they are)."""
    if isinstance(value, str):
        return escape_controls(value) if _CONTROL.search(value) else value
    if records.is_record(value) and not isinstance(value, type):
        changes = {f.name: escaped(getattr(value, f.name)) for f in records.fields(value)
                   if f.init}
        return records.replace(value, **changes)
    if isinstance(value, dict):
        return {escaped(k): escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(escaped(item) for item in value)
    return value


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(style: str, text: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if color and text else text
    return paint


def _money(amount: Any, currency: Any, by_currency: Any = None) -> str:
    """An amount with its currency when known, per currency when a book in several has no total;
    n/a when there is no amount."""
    return _shown(money(amount, currency, by_currency))


def _shown(value: Any) -> str:
    """A figure, or n/a where it has none (a total over several currencies: see the JSON report)."""
    return "n/a" if value is None else str(value)


def summary_line(report: Report) -> str:
    """``3 errors, 1 warning, 0 info in 2 contracts; 41 rules passed, 12 not applicable, 1 waived``."""
    summary = report.summary
    documents = len(document_paths(report))
    noun = plural(documents, "snapshot") if report.kind == "audit" else plural(documents, "contract")
    stated = f" ({summary.not_stated} not stated)" if summary.not_stated else ""
    return (f"{plural(summary.errors, 'error')}, {plural(summary.warnings, 'warning')}, "
            f"{summary.info} info{stated} in {noun}; {plural(summary.passed, 'rule')} passed, "
            f"{summary.not_applicable} not applicable, {summary.waived} waived")


def _finding_lines(finding: Finding, title: str, paint: Callable[[str, str], str]) -> list[str]:
    head = f"  {paint(finding.severity, f'{finding.severity:<7}')} {paint('bold', finding.rule_id)}"
    if title:
        head += f"  {title}"
    if finding.outcome == "not_stated":
        head += "  " + paint("dim", "[not stated]")
    if finding.waived:
        head += "  " + paint("waived", f"[waived: {finding.waiver_reason or 'no reason given'}]")
    lines = [head]
    subject = f"{finding.subject}: " if finding.subject else ""
    indent = " " * 10
    lines.append(f"{indent}{subject}{finding.message}")
    lines.append(f"{indent}{paint('dim', 'at')} {location(finding)}")
    if finding.citation:
        lines.append(f"{indent}{paint('dim', 'citation:')} {finding.citation}")
    if finding.fix:
        lines.append(f"{indent}{paint('dim', 'fix:')} {finding.fix}")
    return lines


def _findings_block(report: Report, findings: Sequence[Finding],
                    paint: Callable[[str, str], str]) -> list[str]:
    rules = rule_index(report)
    lines: list[str] = []
    shown_per_rule: dict[str, int] = {}
    hidden_per_rule: dict[str, int] = {}
    for finding in findings:
        if report.kind == "audit":
            shown = shown_per_rule.get(finding.rule_id, 0)
            if shown >= AUDIT_FINDINGS_PER_RULE:
                hidden_per_rule[finding.rule_id] = hidden_per_rule.get(finding.rule_id, 0) + 1
                continue
            shown_per_rule[finding.rule_id] = shown + 1
        title = finding.title or rule_title(rules, finding.ruleset, finding.rule_id)
        if "binding_limits" in report.extra and finding.ruleset:  # several regimes: whose finding
            title = f"{title}  [{finding.ruleset}]" if title else f"[{finding.ruleset}]"
        lines.extend(_finding_lines(finding, title, paint))
    for rule_id, hidden in sorted(hidden_per_rule.items()):
        lines.append(f"  ... and {plural(hidden, 'more finding')} of {rule_id} (see --format json)")
    return lines


def _audit_lines(extra: Mapping[str, Any], paint: Callable[[str, str], str]) -> list[str]:
    lines: list[str] = []
    metrics = extra.get("metrics")
    if metrics:
        lines.append(paint("bold", "Platform metrics"))
        lines.append(f"  accounts: {metrics.get('accounts', extra.get('accounts', '?'))}")
        for category, count in sorted(metrics.get("by_client_category", {}).items()):
            lines.append(f"    {category}: {count}")
        for key, label in (("leverage", "leverage"), ("margin_level", "margin level")):
            percentiles = metrics.get(key, {}).get("percentiles", {})
            if percentiles:
                shown = ", ".join(f"{name} {value}" for name, value in percentiles.items())
                lines.append(f"  {label} percentiles: {shown}")
        for key, label in (("under_warning_level", "under the warning level"),
                           ("under_close_out_level", "under the close-out level")):
            if key in metrics:
                lines.append(f"  accounts {label}: {_shown(metrics[key])}")
        negative = metrics.get("negative_equity")
        if negative:
            currency, by_currency = negative.get("currency"), negative.get("by_currency")
            lines.append(f"  negative equity: {negative.get('accounts')} accounts, total "
                         f"{_money(negative.get('total'), currency, amounts_of(by_currency, 'total'))}, platform owes "
                         f"{_money(negative.get('platform_owes'), currency, amounts_of(by_currency, 'platform_owes'))}")
        concentration = metrics.get("concentration")
        if concentration:
            lines.append(f"  top-10 exposure share: {concentration.get('top10_exposure_share')}")
        fx = extra.get("fx")
        if fx:
            lines.append(f"  money across currencies converted to {fx.get('base')} at the rates of "
                         f"{fx.get('as_of') or 'an unstated date'} ({fx.get('source')})")
        lines.append("")
    stress = extra.get("stress")
    if stress:
        lines.append(paint("bold", "Stress results"))
        header = ("shock", "close-outs", "new", "neg. equity", "new", "shortfall", "client debt")
        currency = (metrics or {}).get("negative_equity", {}).get("currency")
        rows = [header] + [
            (str(s.get("shock")), str(s.get("close_outs")), str(s.get("new_close_outs")),
             str(s.get("negative_equity")), str(s.get("new_negative_equity")),
             _money(s.get("platform_shortfall"), currency), _money(s.get("client_debt"), currency))
            for s in stress]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            lines.append("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
        lines.append("")
    rule_counts = extra.get("rule_counts")
    if rule_counts:
        lines.append(paint("bold", "Breaches per rule"))
        for count in rule_counts:
            lines.append(f"  {paint(count.get('severity', 'info'), count.get('rule_id', '?'))}  "
                         f"{count.get('title', '')}: {plural(int(count.get('breaches', 0)), 'account')} "
                         f"(share {count.get('share')}, money involved "
                         f"{_money(count.get('money_involved'), count.get('money_currency'), count.get('money_involved_by_currency'))})")
            for offender in count.get("top_offenders", [])[:TEXT_TOP_OFFENDERS]:
                lines.append(f"      {offender.get('account_id')}: "
                             f"{_column_label(count)}{offender.get('value')}"
                             f"  {offender.get('message', '')}".rstrip())
        lines.append("")
    return lines


def _column_label(count: dict[str, Any]) -> str:
    """The money column an offender's value is read from, as a label before the value."""
    column = count.get("money_column")
    return f"{str(column).replace('_', ' ')} " if column else ""


# ---- binding limits (several rulesets at once; compliance.binding) ----------------------------------

def binding_rows(rows: Any) -> list[dict[str, str]]:
    """Each shared limit as three cells: the limit, every regime's value, the binding one."""
    out = []
    for row in rows or ():
        values = ", ".join(f"{v.get('ruleset')} {v.get('value')}" for v in row.get("values", []))
        if row.get("binding"):
            binding = f"{row.get('binding_value')} ({row.get('binding')}"
            tied = [name for name in row.get("tied") or [] if name != row.get("binding")]
            binding += f", tied with {', '.join(tied)})" if tied else ")"
        else:
            binding = row.get("note") or "not comparable"
        out.append({"limit": str(row.get("limit", "")), "regimes": values, "binding": binding})
    return out


def _binding_lines(rows: Any, paint: Callable[[str, str], str]) -> list[str]:
    table = binding_rows(rows)
    if not table:
        return []
    lines = [paint("bold", "Binding limits (the strictest regime binds)")]
    width = max(len(row["limit"]) for row in table)
    for row in table:
        lines.append(f"  {row['limit'].ljust(width)}  {row['regimes']}  -> {row['binding']}")
    lines.append("")
    return lines


def render_text(report: Report, *, color: bool = False) -> str:
    report = escaped(report)
    paint = _painter(color)
    lines: list[str] = []
    if report.kind == "audit":
        title = "Audit of " + ", ".join(item.path for item in report.inputs)
        if report.as_of:
            title += f" as of {report.as_of}"
        lines += [paint("bold", title), ""]
        lines += _audit_lines(report.extra, paint)
    ids = document_ids(report)
    by_path: dict[str, list[Finding]] = {}
    for finding in sorted_findings(report.findings):
        by_path.setdefault(finding.path, []).append(finding)
    for path in document_paths(report):
        heading = path + (f" ({ids[path]})" if path in ids else "")
        findings = by_path.get(path, [])
        if not findings:
            lines += [f"{paint('bold', heading)}: {paint('ok', 'no findings')}", ""]
            continue
        lines.append(paint("bold", heading))
        lines += _findings_block(report, findings, paint)
        lines.append("")
    if report.notices:
        notices = sorted_findings(report.notices)
        lines.append(paint("bold", "Waiver notices"))
        lines += _findings_block(report, notices, paint)
        lines.append("")
    lines += _binding_lines(report.extra.get("binding_limits"), paint)
    if lines and lines[-1] != "":
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
