"""Where a character of a YAML string value stands in its file: the line and column of offset N
of the scalar at a field path, for plain, quoted and block (``|``, ``>``) scalars alike.

A finding about a phrase inside a long text ("guaranteed returns" in a clause) points at the
phrase itself, not at the key. The loader keeps the position of each key; this module re-reads
the file's events (only when a finding needs it) to find the scalar's own extent and style, and
aligns the value with the source: folding and indentation change only white space, so the
value's non-blank characters appear in the source in the same order, one for one, once quotes,
doubled single quotes and double-quoted escapes are accounted for.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from compliance.documents.model import FieldPath, Position

_ESCAPE_LENGTH = {"x": 2, "u": 4, "U": 8}
_BLANK_ESCAPES = frozenset("ntr0abevf_LNP \t")  # escapes that yield white space or nothing visible


def scalar_position(lines: Sequence[str], path: FieldPath, offset: int) -> Position | None:
    """The 1-based line and column in the file (given as its ``lines``, as the loader keeps them)
    of character ``offset`` of the string at ``path``; None when the path holds no string scalar
    or the offset is outside it. A blank character maps to the next non-blank one."""
    source = "\n".join(lines) + "\n"
    event = _scalar_event(source, path)
    if event is None or not isinstance(event.value, str) or not 0 <= offset < len(event.value):
        return None
    anchors = _anchors(source, event)
    value = event.value
    visible = [index for index, char in enumerate(value) if not char.isspace()]
    if len(visible) != len(anchors):
        return None  # an alignment this module does not know; the caller keeps the key position
    rank = next((k for k, index in enumerate(visible) if index >= offset), len(visible) - 1)
    if rank < 0:
        return None
    return _line_column(source, anchors[rank])


def _scalar_event(source: str, wanted: FieldPath) -> Any:
    """The scalar event at ``wanted``, found by following mappings and sequences."""
    stack: list[list[Any]] = []   # per open container: [kind, path, key or index, expecting_key]
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)):
            path = _path_of(stack)
            if isinstance(event, yaml.ScalarEvent):
                if stack and stack[-1][0] == "map" and stack[-1][3]:
                    stack[-1][2], stack[-1][3] = event.value, False
                    continue
                if path == wanted:
                    return event
                _advance(stack)
            else:
                stack.append(["map" if isinstance(event, yaml.MappingStartEvent) else "seq", path, 0, True])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            _advance(stack)
        elif isinstance(event, yaml.AliasEvent):
            _advance(stack)
    return None


def _path_of(stack: list[list[Any]]) -> FieldPath | None:
    if not stack:
        return ()
    top = stack[-1]
    if top[1] is None:
        return None
    return tuple(top[1]) + (top[2],)


def _advance(stack: list[list[Any]]) -> None:
    """A value was read in the innermost container: the next node is a key (map) or the next item."""
    if not stack:
        return
    top = stack[-1]
    if top[0] == "map":
        top[3] = True
    else:
        top[2] += 1


def _anchors(source: str, event: Any) -> list[int]:
    """Source indices of the characters that carry the value's non-blank characters, in order."""
    start, end = event.start_mark.index, event.end_mark.index
    style = event.style
    if style in ("|", ">"):
        start = source.index("\n", start) + 1 if "\n" in source[start:end] else end
        return [i for i in range(start, end) if not source[i].isspace()]
    if style == "'":
        return _single_quoted(source, start + 1, end - 1)
    if style == '"':
        return _double_quoted(source, start + 1, end - 1)
    return [i for i in range(start, end) if not source[i].isspace()]


def _single_quoted(source: str, start: int, end: int) -> list[int]:
    out, index = [], start
    while index < end:
        if source[index] == "'" and index + 1 < end and source[index + 1] == "'":
            out.append(index)
            index += 2
            continue
        if not source[index].isspace():
            out.append(index)
        index += 1
    return out


def _double_quoted(source: str, start: int, end: int) -> list[int]:
    out, index = [], start
    while index < end:
        char = source[index]
        if char == "\\" and index + 1 < end:
            code = source[index + 1]
            if code == "\n":                      # an escaped line break joins the lines
                index += 2
                continue
            length = _ESCAPE_LENGTH.get(code, 0)
            if length:
                decoded = chr(int(source[index + 2:index + 2 + length], 16))
                if not decoded.isspace():
                    out.append(index)
            elif code not in _BLANK_ESCAPES:
                out.append(index)
            index += 2 + length
            continue
        if not char.isspace():
            out.append(index)
        index += 1
    return out


def _line_column(source: str, index: int) -> Position:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return Position(line, column)
