"""Ruleset text -> tokens, each read in the parser's current context.

This gives the tokens Lark's contextual lexer gives, at a fraction of its start-up cost. Lark
compiles one scanner per parser state on first use (dozens of regular expressions, ~20 ms in a
fresh process); here one scanner holds every terminal, and only when the token it finds is not
acceptable in the current parser state (``-2`` after ``x`` is a minus, not a signed amount; ``from``
after ``.`` is a field name, not a keyword) are the acceptable terminals tried one by one, in
Lark's order, which is exactly what Lark's scanner for that state would have matched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Collection, Iterator, Sequence

from compliance.dsl.grammar import TerminalSpec
from compliance.errors import ComplianceError


class Token:
    """A terminal as read: its grammar name, text and place (columns count from 1; the end
    column is the one just after the token)."""

    __slots__ = ("type", "value", "line", "column", "end_line", "end_column")

    def __init__(self, type_: str, value: str, line: int, column: int, end_line: int, end_column: int):
        self.type = type_
        self.value = value
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.line}:{self.column})"


class LexError(ComplianceError):
    """Nothing acceptable starts at ``line``:``column``. ``found`` is the token read there without
    regard to context (None: no terminal matches at all); ``expected`` names what would fit."""

    def __init__(self, line: int, column: int, found: Token | None, expected: Collection[str]):
        super().__init__(f"{line}:{column}")
        self.line = line
        self.column = column
        self.found = found
        self.expected = frozenset(name for name in expected if name.isupper())  # terminals only


class TooDeeplyNested(ComplianceError):
    """``token`` opens a bracket deeper than the nesting limit allows."""

    def __init__(self, token: Token):
        super().__init__(token.value)
        self.token = token


@dataclass(frozen=True)
class _Scanner:
    pattern: re.Pattern[str]
    keywords: dict[str, dict[str, str]]      # pattern terminal -> {word: keyword terminal}
    names: frozenset[str]                    # the terminals it reads (keywords read by a pattern excluded)


class Lexer:
    """Built once per grammar from its terminals; ``tokens`` is called once per text.

    ``comment`` names the ignored terminal whose tokens are handed back as comments; the other
    ignored terminals (whitespace) are skipped inside the main scanner's match, which saves a
    Python-level step for every gap between tokens.
    """

    _END = "_end_of_text"

    def __init__(self, terminals: Sequence[TerminalSpec], ignore: Collection[str], comment: str):
        # ``terminals`` come in the order Lark's scanner tries them (grammar.Tables); the first
        # that matches wins, as in Lark.
        self._ordered = list(terminals)
        self._ignore = frozenset(ignore)
        self._comment = comment
        self._opening = frozenset(t.name for t in terminals if t.literal in ("(", "[", "{"))
        self._closing = frozenset(t.name for t in terminals if t.literal in (")", "]", "}"))
        self._words_read_by = _words_read_by(self._ordered)
        blanks = [t.regexp for t in self._ordered if t.name in self._ignore and t.name != comment]
        self._blank = "|".join(f"(?:{regexp})" for regexp in blanks) or "(?!)"
        self._skip_blank = re.compile(f"(?:{self._blank})*+")
        main = self._scanner([t for t in self._ordered if t.name == comment or t.name not in self._ignore])
        # Blanks, then a token or the end of the text, in one match; the blanks are possessive (*+),
        # so a long gap before something unreadable is not backtracked through.
        self._main = _Scanner(re.compile(f"(?:{self._blank})*+(?:{main.pattern.pattern}|(?P<{self._END}>\\Z))"),
                              main.keywords, main.names)
        self._by_context: dict[frozenset[str], _Scanner] = {}

    def _scanner(self, terminals: Sequence[TerminalSpec]) -> _Scanner:
        # As Lark does: a keyword that a pattern terminal of equal priority also matches ("from"
        # and NAME) is read by the pattern and then renamed, so "fromage" stays one name.
        present = {t.name for t in terminals}
        keywords: dict[str, dict[str, str]] = {}
        embedded: set[str] = set()
        for pattern_name, words in self._words_read_by.items():
            if pattern_name in present:
                for literal, name in words.items():
                    if name in present:
                        keywords.setdefault(pattern_name, {})[literal] = name
                        embedded.add(name)
        own = [t for t in terminals if t.name not in embedded]
        union = "|".join(f"(?P<{t.name}>{t.regexp})" for t in own)
        return _Scanner(re.compile(union), keywords, frozenset(t.name for t in own))

    def _context_scanner(self, acceptable: Collection[str]) -> _Scanner:
        key = frozenset(acceptable)
        scanner = self._by_context.get(key)
        if scanner is None:
            scanner = self._scanner([t for t in self._ordered if t.name in key or t.name in self._ignore])
            self._by_context[key] = scanner
        return scanner

    def tokens(self, text: str, acceptable: Callable[[], Collection[str]],
               comments: list[Token] | None = None, max_nesting: int = 1 << 30) -> Iterator[Token]:
        """The tokens of ``text``; ``acceptable()`` names the terminals the parser can take next.
        Comments go to ``comments`` when given; whitespace is dropped. A bracket opened deeper
        than ``max_nesting`` raises TooDeeplyNested."""
        match, keywords = self._main.pattern.match, self._main.keywords
        comment, end_of_text = self._comment, self._END
        opening, closing, depth = self._opening, self._closing, 0
        position, line, line_start = 0, 1, 0
        while True:
            found = match(text, position)
            if found is None:  # nothing known starts after the blanks here
                start = self._skip_blank.match(text, position).end()  # type: ignore[union-attr]
                line, line_start = _advance(text, position, start, line, line_start)
                raise LexError(line, start - line_start + 1, None, acceptable())
            kind = found.lastgroup or ""
            start = found.start(kind)
            if start != position:
                line, line_start = _advance(text, position, start, line, line_start)
            if kind == end_of_text:
                return
            value = found.group(kind)
            if kind in keywords:
                kind = keywords[kind].get(value, kind)
            if kind != comment:
                allowed = acceptable()
                if kind not in allowed:
                    again, kind = self._in_context(text, start, allowed, line, line_start, value, kind)
                    value = again.group()
            column = start - line_start + 1
            position = start + len(value)
            if kind == comment:  # a comment never spans lines
                if comments is not None:
                    comments.append(Token(kind, value.rstrip(), line, column, line, column + len(value)))
            elif kind in self._ignore:  # a blank read in context: nothing to hand on
                line, line_start = _advance(text, start, position, line, line_start)
            elif "\n" in value:  # no terminal but whitespace spans lines today; kept exact regardless
                end_line, end_start = _advance(text, start, position, line, line_start)
                yield Token(kind, value, line, column, end_line, position - end_start + 1)
                line, line_start = end_line, end_start
            else:
                token = Token(kind, value, line, column, line, column + len(value))
                if kind in opening:
                    depth += 1
                    if depth > max_nesting:
                        raise TooDeeplyNested(token)
                elif kind in closing and depth:
                    depth -= 1
                yield token

    def _in_context(self, text: str, position: int, allowed: Collection[str], line: int,
                    line_start: int, value: str, kind: str) -> tuple[re.Match[str], str]:
        scanner = self._context_scanner(allowed)
        again = scanner.pattern.match(text, position)
        if again is None:
            # What Lark reports here: the terminals this context reads, keywords read as names left out.
            column = position - line_start + 1
            raise LexError(line, column, Token(kind, value, line, column, line, column + len(value)),
                           scanner.names - self._ignore)
        again_kind = again.lastgroup or ""
        if again_kind in scanner.keywords:
            again_kind = scanner.keywords[again_kind].get(again.group(), again_kind)
        return again, again_kind


def _words_read_by(terminals: Sequence[TerminalSpec]) -> dict[str, dict[str, str]]:
    """For each pattern terminal, the keywords of equal priority that it reads in full."""
    found: dict[str, dict[str, str]] = {}
    words = [t for t in terminals if t.literal is not None]
    for pattern in terminals:
        if pattern.literal is not None:
            continue
        compiled = re.compile(pattern.regexp)
        for word in words:
            literal = word.literal or ""
            read = compiled.match(literal)  # Lark's test: the pattern's own match is the whole word
            if word.priority == pattern.priority and read is not None and read.group() == literal:
                found.setdefault(pattern.name, {})[literal] = word.name
    return found


def _advance(text: str, start: int, end: int, line: int, line_start: int) -> tuple[int, int]:
    """The line and the offset where it starts, after reading ``text[start:end]``."""
    newlines = text.count("\n", start, end)
    if newlines:
        return line + newlines, text.rindex("\n", start, end) + 1
    return line, line_start
