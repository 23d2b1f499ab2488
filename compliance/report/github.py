"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message ``%``, CR and LF
become ``%25``, ``%0D``, ``%0A``; in properties also ``:`` and ``,`` become ``%3A`` and ``%2C``.
Every other control character (ESC, BEL, NUL, DEL, C1) is written the same way (``%1B``): the
runner does not decode those, so they show as text and never reach the log as control bytes.
Waived findings show as notices. The last line is a plain summary for the log.
"""
from __future__ import annotations

import os
import re

from compliance.findings import Finding, Report
from compliance.report.common import relative_posix, rule_index, rule_title, sorted_findings
from compliance.report.text import summary_line

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


_DATA = re.compile("[%\x00-\x1f\x7f-\x9f]")
_PROPERTY = re.compile("[%:,\x00-\x1f\x7f-\x9f]")
# Line and paragraph separators: not line breaks to the runner, but some viewers break on them.
_SEPARATORS = {"\u2028": "%E2%80%A8", "\u2029": "%E2%80%A9"}


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match.group()):02X}"


def escape_data(text: str) -> str:
    text = _DATA.sub(_percent, text)
    for char, code in _SEPARATORS.items():
        text = text.replace(char, code)
    return text


def escape_property(text: str) -> str:
    text = _PROPERTY.sub(_percent, text)
    for char, code in _SEPARATORS.items():
        text = text.replace(char, code)
    return text


def annotation(finding: Finding, title: str = "", *,
               base_dir: str | os.PathLike[str] | None = None) -> str:
    command = "notice" if finding.waived else _COMMANDS[finding.severity]
    path, _ = relative_posix(finding.path, base_dir)
    properties = [f"file={escape_property(path)}"]
    if finding.line is not None:
        properties.append(f"line={finding.line}")
        if finding.column is not None:
            properties.append(f"col={finding.column}")
    properties.append(f"title={escape_property(f'{finding.rule_id} {title}'.strip())}")
    message = f"{finding.subject}: {finding.message}" if finding.subject else finding.message
    if finding.fix:
        message += f" (fix: {finding.fix})"
    if finding.citation:
        message += f" [{finding.citation}]"
    if finding.waived:
        message = f"waived ({finding.severity}): {message}; {finding.waiver_reason or 'no reason given'}"
    return f"::{command} {','.join(properties)}::{escape_data(message)}"


def render_github(report: Report, *, base_dir: str | os.PathLike[str] | None = None) -> str:
    """``base_dir``: make paths relative to the repository root when the tool ran elsewhere."""
    rules = rule_index(report)
    lines = [annotation(f, f.title or rule_title(rules, f.ruleset, f.rule_id), base_dir=base_dir)
             for f in sorted_findings((*report.findings, *report.notices))]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
