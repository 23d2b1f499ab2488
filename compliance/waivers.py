"""Waivers (spec "Waivers"): approved, dated exceptions that mark findings as waived.

A waivers file is YAML::

    waivers:
      - rule_id: INC-001
        contract: ACME-CFD-RETAIL-2026      # a contract id, or a path glob such as contracts/acme-*.yaml
        reason: legacy promotion ends with the quarter
        approved_by: Head of Compliance
        expires: 2026-03-31

A waiver applies up to and including its ``expires`` day and stops the day after: with
``as_of == expires`` the finding is waived, with ``as_of == expires + 1 day`` it is not. An expired
waiver that would have matched is reported as a ``WAIVER-EXPIRED`` warning, and the finding counts
again. A waived finding keeps its severity; it is reported, but does not count towards the exit code.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from compliance.documents.yaml_loader import LoadedYaml, load_yaml
from compliance.errors import Diagnostic, InputError
from compliance.findings import Finding
from compliance.records import record, replace

WAIVER_KEYS = ("rule_id", "contract", "reason", "approved_by", "expires")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXPIRED_RULE_ID = "WAIVER-EXPIRED"
UNUSED_RULE_ID = "WAIVER-UNUSED"


@record
class Waiver:
    rule_id: str
    contract: str          # a contract id, or a glob over the contract's path
    reason: str
    approved_by: str
    expires: date          # the last day on which the waiver applies
    path: str = ""         # where the waiver is written, for notices about it
    line: int | None = None
    column: int | None = None

    def is_active(self, as_of: date) -> bool:
        """Valid through the whole of the ``expires`` day; expired from the next day on."""
        return as_of <= self.expires

    def covers(self, finding: Finding, document_id: str) -> bool:
        """Same rule, and the contract named by id or matched by a glob over the finding's path."""
        if finding.rule_id != self.rule_id:
            return False
        if document_id and self.contract == document_id:
            return True
        path = finding.path.replace("\\", "/")
        candidates = {path, path[2:] if path.startswith("./") else path}
        return any(fnmatchcase(candidate, self.contract) for candidate in candidates)

    def describe(self) -> str:
        return f"the waiver of {self.rule_id} for {self.contract}"

    def reason_text(self) -> str:
        """What a waived finding shows: ``reason (approved by X, until DATE)``."""
        return f"{self.reason} (approved by {self.approved_by}, until {self.expires.isoformat()})"


class _Reader:
    """Checks a loaded waivers file, collecting every problem before failing once."""

    def __init__(self, path: str, loaded: LoadedYaml):
        self.path = path
        self.loaded = loaded
        self.diagnostics: list[Diagnostic] = []

    def problem(self, place: tuple[str | int, ...], message: str) -> None:
        position = self.loaded.positions.get(place) or self.loaded.positions.get(place[:-1])
        line = position.line if position else None
        column = position.column if position else None
        source = self.loaded.source_line(line) if line else None
        self.diagnostics.append(Diagnostic(self.path, line, column, message, source))

    def text(self, entry: Mapping[str, Any], key: str, place: tuple[str | int, ...]) -> str:
        if key not in entry:
            self.problem(place, f"waiver has no {key!r}: each waiver needs "
                                f"{', '.join(WAIVER_KEYS)}")
            return ""
        value = entry[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(place + (key,), f"{key!r} must be non-empty text, got {value!r}")
            return ""
        return value.strip()

    def expiry(self, entry: Mapping[str, Any], place: tuple[str | int, ...]) -> date | None:
        if "expires" not in entry:
            self.problem(place, "waiver has no 'expires': every waiver needs an expiry date "
                                "(YYYY-MM-DD)")
            return None
        value = entry["expires"]
        try:
            if isinstance(value, str) and _ISO_DATE.match(value.strip()):
                return date.fromisoformat(value.strip())
        except ValueError:
            pass
        self.problem(place + ("expires",), f"'expires' must be an ISO date such as 2026-12-31, "
                                           f"got {value!r}")
        return None

    def waiver(self, entry: Any, index: int) -> Waiver | None:
        place: tuple[str | int, ...] = ("waivers", index)
        if not isinstance(entry, dict):
            self.problem(place, "each waiver must be a mapping of "
                                f"{', '.join(WAIVER_KEYS)}")
            return None
        for key in entry:
            if key not in WAIVER_KEYS:
                close = difflib.get_close_matches(key, WAIVER_KEYS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; expected {', '.join(WAIVER_KEYS)}"
                self.problem(place + (key,), f"unknown key {key!r} in a waiver{hint}")
        values = {key: self.text(entry, key, place)
                  for key in ("rule_id", "contract", "reason", "approved_by")}
        expires = self.expiry(entry, place)
        if expires is None or not all(values.values()):
            return None
        position = self.loaded.positions.get(place)
        return Waiver(expires=expires, path=self.path, line=position.line if position else None,
                      column=position.column if position else None, **values)


def load_waivers(path: str) -> list[Waiver]:
    """Read and check a waivers file; every problem is reported as ``PATH:LINE:COL: error: ...``."""
    loaded = load_yaml(path)
    reader = _Reader(path, loaded)
    data = loaded.data
    if not isinstance(data, dict):
        raise InputError.at(path, 1, 1, "a waivers file must be a mapping with a 'waivers:' list")
    for key in data:
        if key != "waivers":
            reader.problem((key,), f"unknown key {key!r} at the top of a waivers file; "
                                   "expected only 'waivers'")
    entries = data.get("waivers")
    if "waivers" not in data:
        reader.problem((), "a waivers file needs a 'waivers:' list")
    elif not isinstance(entries, list):
        reader.problem(("waivers",), "'waivers' must be a list of waivers, each "
                                     f"{{{', '.join(WAIVER_KEYS)}}}")
    waivers = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        waiver = reader.waiver(entry, index)
        if waiver is not None:
            waivers.append(waiver)
    if reader.diagnostics:
        raise InputError(reader.diagnostics)
    return waivers


def _notice(waiver: Waiver, rule_id: str, severity: str, topic: str, message: str,
            fix: str) -> Finding:
    return Finding(rule_id=rule_id, topic=topic, severity=severity,  # type: ignore[arg-type]
                   path=waiver.path, line=waiver.line, column=waiver.column,
                   subject=waiver.rule_id, message=message, citation="", fix=fix,
                   document_id=waiver.contract)


def apply_waivers(findings: Iterable[Finding], waivers: Iterable[Waiver], *, as_of: date,
                  document_ids: Mapping[str, str], rule_topics: Mapping[str, str] | None = None,
                  report_unused: bool = True) -> tuple[list[Finding], list[Finding]]:
    """Mark the findings that an active waiver covers; return them and the notices about waivers.

    ``document_ids`` maps an input path to its contract id (used when a finding carries none).
    Notices: a ``WAIVER-EXPIRED`` warning for each expired waiver that would have matched a finding
    (which then stays unwaived), and, when ``report_unused``, a ``WAIVER-UNUSED`` info for each
    active waiver that matched nothing (its topic from ``rule_topics`` when given)."""
    waivers = list(waivers)
    used: set[int] = set()
    expired: dict[int, str] = {}  # waiver index -> the topic of a finding it would have waived
    result: list[Finding] = []
    for finding in findings:
        if finding.waived:
            result.append(finding)
            continue
        document_id = finding.document_id or document_ids.get(finding.path, "")
        covering = [i for i, waiver in enumerate(waivers) if waiver.covers(finding, document_id)]
        active = [i for i in covering if waivers[i].is_active(as_of)]
        if active:
            used.update(active)
            # The first active waiver in the file gives the reason shown.
            result.append(replace(finding, waived=True,
                                  waiver_reason=waivers[active[0]].reason_text()))
            continue
        for index in covering:
            expired.setdefault(index, finding.topic)
        result.append(finding)
    notices: list[Finding] = []
    for index, waiver in enumerate(waivers):
        if index in expired:
            days = (as_of - waiver.expires).days
            notices.append(_notice(
                waiver, EXPIRED_RULE_ID, "warning", expired[index],
                f"{waiver.describe()} (approved by {waiver.approved_by}) expired on "
                f"{waiver.expires.isoformat()}, {days} day{'s' if days != 1 else ''} before "
                f"{as_of.isoformat()}; the finding it covered counts again",
                "Renew the waiver with a new approval and expiry date, or fix the finding."))
        elif report_unused and index not in used and waiver.is_active(as_of):
            notices.append(_notice(
                waiver, UNUSED_RULE_ID, "info", (rule_topics or {}).get(waiver.rule_id, ""),
                f"{waiver.describe()} (approved by {waiver.approved_by}, until "
                f"{waiver.expires.isoformat()}) matched no finding",
                "Remove the waiver, or correct its rule_id or contract."))
    return result, notices

