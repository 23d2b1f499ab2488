"""One text as the editor sees it: lines, LSP positions (UTF-16 code units) and the words around a
position. The DSL counts columns in characters from 1; LSP counts UTF-16 units from 0."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from lsprotocol import types

from compliance.dsl import ast

WORD = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+|[A-Za-z_][A-Za-z0-9_]*")
RULE_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\Z")
# Where an item starts: the grammar's item keywords at the start of a line.
ITEM_START = re.compile(r"^\s*(?:override\s+)?(ruleset|let|rule|exception|disable|test)\b")


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    return unquote(parsed.path)


def path_to_uri(path: str | Path) -> str:
    return "file://" + quote(str(Path(path).resolve()))


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Source:
    uri: str
    text: str
    lines: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.text.split("\n")))

    @property
    def path(self) -> str:
        return uri_to_path(self.uri)

    def line(self, index: int) -> str:
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    # ---- positions -----------------------------------------------------------------------------
    def position(self, line: int, character: int) -> types.Position:
        """A 0-based line and character index as an LSP position."""
        return types.Position(line=line, character=_units(self.line(line)[:character]))

    def range(self, line: int, start: int, end_line: int, end: int) -> types.Range:
        return types.Range(start=self.position(line, start), end=self.position(end_line, end))

    def span_range(self, span: ast.Span) -> types.Range:
        """A span of the DSL (1-based, end exclusive) as an LSP range."""
        end_line = (span.end_line or span.line) - 1
        end = span.end_column - 1 if span.end_line else span.column - 1
        return self.range(span.line - 1, span.column - 1, end_line, end)

    def head_range(self, span: ast.Span) -> types.Range:
        """The first line of a span: where an item is named."""
        text = self.line(span.line - 1)
        return self.range(span.line - 1, span.column - 1, span.line - 1, len(text.rstrip()))

    def whole(self) -> types.Range:
        return self.range(0, 0, len(self.lines) - 1, len(self.lines[-1]))

    def character(self, position: types.Position) -> int:
        """The character index of an LSP position in its line."""
        text = self.line(position.line)
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return index
            units += _units(char)
        return len(text)

    # ---- words ----------------------------------------------------------------------------------
    def word_at(self, line: int, character: int) -> tuple[str, int, int] | None:
        """The word (a name or a rule id) under the cursor: (word, start, end)."""
        text = self.line(line)
        for found in WORD.finditer(text):
            if found.start() <= character <= found.end():
                return found.group(), found.start(), found.end()
        return None

    def item_lines(self, line: int) -> tuple[int, int]:
        """The lines of the item (rule, let, test, ...) around ``line``: [first, last)."""
        first = line
        while first > 0 and not ITEM_START.match(self.line(first)):
            first -= 1
        last = line + 1
        while last < len(self.lines) and not ITEM_START.match(self.line(last)):
            last += 1
        return first, last

    def item_text(self, line: int, upto: int | None = None) -> str:
        """The text of the item around ``line``, up to character ``upto`` of that line if given."""
        first, last = self.item_lines(line)
        if upto is not None:
            return "\n".join([*self.lines[first:line], self.line(line)[:upto]])
        return "\n".join(self.lines[first:last])
