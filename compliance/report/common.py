"""Small helpers the renderers share: grouping, counting words, money, locations and relative URIs."""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from compliance.findings import SEVERITY_RANK, Finding, Report, RuleInfo

SEVERITY_ORDER = ("error", "warning", "info")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``plural(1, "error")`` -> ``1 error``; ``plural(3, "error")`` -> ``3 errors``; "info" stays."""
    if count == 1 or word == "info":
        return f"{count} {word}"
    return f"{count} {many or word + 's'}"


def location(finding: Finding) -> str:
    """``path:line:col`` as editors and terminals understand it (parts left off when unknown)."""
    place = finding.path
    if finding.line is not None:
        place += f":{finding.line}"
        if finding.column is not None:
            place += f":{finding.column}"
    return place


def is_failure(finding: Finding, fail_on: str) -> bool:
    """A finding fails a run when it is not waived and its severity reaches ``fail_on``."""
    if finding.waived or fail_on == "never":
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def rule_index(report: Report) -> dict[tuple[str, str], RuleInfo]:
    """Rules by (ruleset, rule_id), and by ("", rule_id) for lookups that do not know the ruleset."""
    index: dict[tuple[str, str], RuleInfo] = {}
    for rule in report.rules:
        index.setdefault((rule.ruleset, rule.rule_id), rule)
        index.setdefault(("", rule.rule_id), rule)
    return index


def rule_title(report_rules: dict[tuple[str, str], RuleInfo], ruleset: str, rule_id: str,
               fallback: str = "") -> str:
    rule = report_rules.get((ruleset, rule_id)) or report_rules.get(("", rule_id))
    return rule.title if rule is not None else fallback


def document_ids(report: Report) -> dict[str, str]:
    """Each input path's document (contract) id, as far as the runs and findings name it."""
    ids: dict[str, str] = {}
    for run in report.runs:
        if run.document_id:
            ids.setdefault(run.path, run.document_id)
    for finding in report.findings:
        if finding.document_id:
            ids.setdefault(finding.path, finding.document_id)
    return ids


def document_paths(report: Report) -> list[str]:
    """Every document the report covers, in input order, then any only findings or runs name."""
    paths = [item.path for item in report.inputs]
    seen = set(paths)
    for path in sorted({run.path for run in report.runs} | {f.path for f in report.findings}):
        if path not in seen:
            paths.append(path)
            seen.add(path)
    return paths


def relative_posix(path: str, base_dir: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """``path`` relative to ``base_dir`` with forward slashes, and whether it lies inside it.

    Relative paths are taken as the user named them (relative to where the tool ran), so the result
    does not depend on the machine when both are relative."""
    if base_dir is None:
        return path.replace(os.sep, "/"), not os.path.isabs(path)
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(base_dir))
    posix = posixpath.normpath(relative.replace(os.sep, "/"))
    inside = not (posix == ".." or posix.startswith("../") or os.path.isabs(relative))
    return posix, inside


def artifact_uri(path: str, base_dir: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """A percent-encoded URI reference for ``path``: relative to ``base_dir`` when inside it
    (second value True), else an absolute ``file://`` URI."""
    posix, inside = relative_posix(path, base_dir)
    if inside:
        # A colon in the first segment would read as a scheme; quote() leaves no colon unencoded.
        # fsencode: a file name that is not UTF-8 is encoded as the bytes it has on disk.
        return quote(os.fsencode(posix), safe="/"), True
    absolute = os.path.abspath(path).replace(os.sep, "/")
    if not absolute.startswith("/"):
        absolute = "/" + absolute  # Windows drive letters: file:///C:/...
    return "file://" + quote(os.fsencode(absolute), safe="/:"), False


_CAMEL_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def camel_case(text: str) -> str:
    """``"Retail leverage cap (FX majors)"`` -> ``RetailLeverageCapFXMajors``."""
    return "".join(word[:1].upper() + word[1:] for word in _CAMEL_SPLIT.split(text) if word)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sorted by path, line, rule_id (the spec's order), then the rest of ``Finding.sort_key``."""
    return sorted(findings, key=Finding.sort_key)


def worst_severity(findings: Sequence[Finding]) -> str:
    return max((f.severity for f in findings), key=lambda s: SEVERITY_RANK[s], default="info")


_MD_BACKSLASH = re.compile(r"([\\`*\[\]|])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def markdown_escape(text: object) -> str:
    """Text that Markdown shows as itself, inline: no HTML, links, emphasis, code or table cells.

    HTML specials become entities (``<script>`` stays inert), Markdown punctuation gets a backslash,
    and line breaks become spaces so a value cannot start a heading or a list. ``_`` inside a word
    is left alone (CommonMark does not emphasise there), so ``fx_major`` stays readable."""
    value = _LINE_BREAKS.sub(" ", str(text))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_BACKSLASH.sub(lambda match: "\\" + match.group(0), value)


def money(amount: Any, currency: Any = None, by_currency: Mapping[str, Any] | None = None) -> Any:
    """``94.31 EUR`` when the currency is known; the amount as it is otherwise. A total a book in
    several currencies has none of (no exchange rates given) reads per currency,
    ``120.00 EUR; 35.50 USD``, from ``by_currency``; None with nothing to show reads n/a."""
    if amount is None and by_currency:
        return "; ".join(f"{value} {code}" for code, value in sorted(by_currency.items()) if value is not None)
    return f"{amount} {currency}" if amount is not None and currency else amount


def amounts_of(by_currency: Mapping[str, Mapping[str, Any]] | None, key: str) -> dict[str, Any]:
    """One figure (``key``) of each currency of a per-currency table such as the negative
    equity's ``by_currency``."""
    return {code: figures[key] for code, figures in (by_currency or {}).items() if key in figures}
