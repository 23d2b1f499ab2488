"""A safe YAML reader that keeps the position of every key and list item.

The reader builds plain Python data from the *event* stream of PyYAML's safe parser (libyaml when
available) instead of calling ``yaml.load``: no object is ever constructed from a tag, and the
limits below are checked while the document is read, before anything large is built.

Scalars are resolved with the YAML 1.2 core schema, not PyYAML's YAML 1.1 resolver:

* ``true``/``false`` are booleans; ``yes``, ``no``, ``on``, ``off`` stay strings (the "Norway
  problem": a country code ``NO`` must not become ``False``);
* ``30:1`` stays the string ``"30:1"`` (YAML 1.1 reads it as the base-60 integer 1801);
* ``2026-01-01`` stays a string (dates are converted against the schema, never by the reader);
* integers become ``int``; numbers with a fraction or an exponent become ``decimal.Decimal`` made
  from the written text, so ``0.1`` is exactly one tenth and never passes through ``float``;
* ``50%``, ``EUR 25000``, ``ACT/365`` are strings;
* a number with more than :data:`MAX_NUMBER_DIGITS` digits, or whose exponent lies beyond
  :data:`MAX_NUMBER_EXPONENT`, is an error at the scalar (Python's ``int()`` refuses more than 4300
  digits, and ``Decimal`` cannot hold ``1e9999999999999999999``); ``.inf`` and ``.nan`` are read as
  Decimal infinities and NaN, which the schema's validators reject.

Every problem is an :class:`~compliance.errors.InputError` carrying ``PATH:LINE:COL``.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import yaml

from compliance.documents.files import read_input
from compliance.documents.model import FieldPath, Position
from compliance.errors import Diagnostic, DomainError, InputError
from compliance.records import record

# Limits against hostile or accidental input. A real contract is a few kilobytes, a few hundred
# nodes and nested four or five levels deep.
MAX_FILE_BYTES = 2 * 1024 * 1024   # 2 MiB; line length needs no separate cap under this one
MAX_DEPTH = 64                     # nested mappings and lists
MAX_NODES = 100_000                # scalars, mappings and lists in one file
MAX_NUMBER_DIGITS = 100            # digits of one unquoted number (money to the cent needs ~20)
MAX_NUMBER_EXPONENT = 1000         # 1e1000 and 1e-1000 are the furthest a number may reach
# Anchors and aliases are refused outright: a contract has no need for them, and refusing them
# rules out "billion laughs" expansion without having to count expanded nodes.

_SAFE_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)\Z")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)\Z")
_INT_RE = re.compile(r"^[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"^0o[0-7]+\Z")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT_RE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z")
# The line breaks of YAML (and of PyYAML's marks); str.splitlines() knows more (\v, \f, \x1c...),
# which would make a mark's line point at the wrong source line.
_YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def _yaml_lines(text: str) -> list[str]:
    lines = _YAML_BREAK.split(text)
    return lines[:-1] if lines and not lines[-1] else lines


@record
class LoadedYaml:
    """The data of one YAML file, the position of each key and list item, and the file's hash."""

    data: Any
    positions: dict[FieldPath, Position]
    sha256: str
    lines: list[str]

    def source_line(self, line: int) -> str | None:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None


def read_source(path: str) -> bytes:
    """The bytes of ``path``, refusing anything but a regular file and files over
    :data:`MAX_FILE_BYTES` without reading them all."""
    return read_input(path, MAX_FILE_BYTES, what="a YAML file").data


def decode_utf8(raw: bytes, path: str) -> str:
    """UTF-8 text (a leading byte-order mark is allowed); anything else is an error at its place."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[:error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise InputError.at(path, line, column,
                            f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset "
                            f"{error.start})") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InputError.at(path, line, None, "file contains a NUL character; is it binary?")
    return text


def load_yaml(path: str) -> LoadedYaml:
    """Read ``path`` safely: see the module docstring for the rules and limits."""
    raw = read_source(path)
    text = decode_utf8(raw, path)
    return parse_yaml(text, path, sha256=hashlib.sha256(raw).hexdigest())


def parse_yaml(text: str, path: str, sha256: str = "", *, max_nodes: int | None = None,
               resolve: Callable[[str], Any] | None = None, kind: str = "contract") -> LoadedYaml:
    """Parse YAML ``text`` (named ``path`` in messages) into data and positions.

    Account snapshots pass a larger ``max_nodes``, their own ``resolve`` for unquoted scalars (they
    read every value as text) and ``kind="snapshot"`` for the messages."""
    if not sha256:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # MAX_NODES is read at call time (not bound as a default) so that it stays one module setting.
    builder = _Builder(path, _yaml_lines(text), MAX_NODES if max_nodes is None else max_nodes,
                       resolve or resolve_plain, kind)
    parser = _SAFE_PARSER(text)
    feed = builder.feed
    try:
        try:
            while parser.check_event():   # yaml.parse's loop, without its generator
                feed(parser.get_event())
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or "invalid YAML"
        if error.context:
            message += f" ({error.context})"
        raise builder.error(mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                            f"invalid YAML: {message}") from None
    except yaml.reader.ReaderError as error:  # a control character the YAML spec forbids
        position = error.position
        if _SAFE_PARSER is not yaml.SafeLoader:  # libyaml counts bytes of UTF-8, not characters
            position = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        before = _yaml_lines(text[:position] + "|")
        line, column = len(before), len(before[-1])
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise builder.error(line, column, f"invalid YAML: character U+{code:04X} is not allowed "
                                          f"({error.reason})") from None
    except yaml.YAMLError as error:
        raise InputError.at(path, None, None, f"invalid YAML: {error}") from None
    if builder.diagnostics:
        raise InputError(builder.diagnostics)
    if not builder.has_document:
        raise InputError.at(path, 1, 1, "file is empty: expected a YAML mapping")
    return LoadedYaml(builder.root, builder.positions, sha256, builder.lines)


# The first characters of null, booleans and numbers in the core schema; any other is text.
_MAY_START_NON_TEXT = frozenset("0123456789+-.~nNtTfF")


class ScalarError(DomainError):
    """An unquoted scalar that looks like a number but is beyond the reader's limits."""


def _check_number(value: str) -> None:
    """Refuse numbers beyond :data:`MAX_NUMBER_DIGITS` / :data:`MAX_NUMBER_EXPONENT`, before any
    conversion (``int()`` of 5,000 digits raises, ``Decimal('1e' + 20 digits)`` raises)."""
    shown = value if len(value) <= 40 else value[:30] + f"... ({len(value)} characters)"
    mantissa, _, exponent = value.lower().partition("e")
    digits = sum(char.isdigit() for char in mantissa.lstrip("+-").lstrip("0."))
    if digits > MAX_NUMBER_DIGITS:
        raise ScalarError(f"number {shown} has more than {MAX_NUMBER_DIGITS} digits; "
                          "quote it if it is meant as text")
    if exponent and (len(exponent.lstrip("+-").lstrip("0")) > 6
                     or abs(int(exponent)) > MAX_NUMBER_EXPONENT):
        raise ScalarError(f"number {shown} is out of range: the exponent must lie between "
                          f"-{MAX_NUMBER_EXPONENT} and {MAX_NUMBER_EXPONENT}")


def resolve_plain(value: str) -> Any:
    """The YAML 1.2 core-schema value of an unquoted scalar; :class:`ScalarError` for a number
    beyond the limits (the caller reports it at the scalar's position)."""
    if value and value[0] not in _MAY_START_NON_TEXT:  # most scalars: keys and words
        return value
    if _NULL_RE.match(value):
        return None
    if _BOOL_RE.match(value):
        return value.lower() == "true"
    if _INT_RE.match(value):
        _check_number(value)
        return int(value)
    if _OCT_RE.match(value) or _HEX_RE.match(value):
        if len(value) - 2 > MAX_NUMBER_DIGITS:
            raise ScalarError(f"number {value[:30]}... has more than {MAX_NUMBER_DIGITS} digits; "
                              "quote it if it is meant as text")
        return int(value[2:], 8 if value[1] == "o" else 16)
    if _FLOAT_RE.match(value):
        _check_number(value)
        return Decimal(value)
    if _SPECIAL_FLOAT_RE.match(value):
        # Kept as a Decimal infinity or NaN; the schema's validators reject non-finite numbers.
        return Decimal(value.replace(".", "").lower().replace("inf", "Infinity"))
    return value


class _Frame:
    """A mapping or list being built, with the path that leads to it."""

    __slots__ = ("container", "path", "key", "key_is_next", "first_seen")

    def __init__(self, container: dict[str, Any] | list[Any], path: FieldPath):
        self.container = container
        self.path = path
        self.key: str | None = None        # mapping: the key whose value comes next
        self.key_is_next = True            # mapping: the next node is a key
        self.first_seen: dict[str, int] = {}


class _Builder:
    """Turns parser events into data and positions, enforcing the limits."""

    def __init__(self, path: str, lines: list[str], max_nodes: int = MAX_NODES,
                 resolve: Callable[[str], Any] | None = None, kind: str = "contract"):
        self.path = path
        self.lines = lines
        self.max_nodes = max_nodes
        self.resolve = resolve or resolve_plain
        self.kind = kind
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.positions: dict[FieldPath, Position] = {(): Position(1, 1)}
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0
        self.has_document = False
        self.documents = 0

    def error(self, line: int | None, column: int | None, message: str) -> InputError:
        return InputError(self._diagnostic(line, column, message))

    def _diagnostic(self, line: int | None, column: int | None, message: str) -> Diagnostic:
        source = self.lines[line - 1] if line and 0 < line <= len(self.lines) else None
        return Diagnostic(self.path, line, column, message, source)

    def feed(self, event: yaml.Event) -> None:
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if type(event) is yaml.ScalarEvent:  # most events: the same steps as below, checked first
            if event.anchor is None and self.nodes < self.max_nodes:
                self.nodes += 1
                self.has_document = True
            else:
                self._node(event, line, column)
            stack = self.stack
            frame = stack[-1] if stack else None
            if (frame is not None and frame.key_is_next and event.tag is None and event.implicit[0]
                    and not event.style and type(frame.container) is dict):
                key = event.value  # a plain key: resolved only if it could be other than text
                if key and key[0] not in _MAY_START_NON_TEXT and key not in frame.first_seen:
                    frame.key_is_next = False
                    frame.first_seen[key] = line
                    frame.key = key
                    self.positions[frame.path + (key,)] = Position(line, column)
                    return
            self._scalar(event, line, column)
            return
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.error(line, column, "more than one YAML document in the file; "
                                               "put one contract per file")
            return
        if isinstance(event, yaml.AliasEvent):
            raise self.error(line, column, f"aliases (*{event.anchor}) are not allowed in "
                                           f"{self.kind} files; write the value out")
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._node(event, line, column)
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line, column)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.tag not in _ALLOWED_COLLECTION_TAGS:
                self.diagnostics.append(self._diagnostic(line, column,
                                                         f"tag {event.tag} is not allowed"))
            if len(self.stack) >= MAX_DEPTH:
                raise self.error(line, column, f"nested more than {MAX_DEPTH} levels deep")
            container: dict[str, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else [])
            path = self._place(container, line, column)
            self.stack.append(_Frame(container, path))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.stack.pop()

    def _node(self, event: yaml.NodeEvent, line: int, column: int) -> None:
        """A value or a container starts: no anchors, and count it against the limit."""
        if event.anchor is not None:
            raise self.error(line, column, f"anchors (&{event.anchor}) are not allowed in "
                                           f"{self.kind} files")
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.error(line, column, f"more than {self.max_nodes} values in one file")
        self.has_document = True

    def _scalar(self, event: yaml.ScalarEvent, line: int, column: int) -> None:
        plain = not event.style and event.implicit[0]
        if event.tag not in (None, "!", _STR_TAG):
            self.diagnostics.append(self._diagnostic(
                line, column, f"tag {event.tag} is not allowed; write the value without a tag"))
        value: Any = event.value
        if plain and event.tag is None:
            try:
                value = self.resolve(event.value)
            except ScalarError as error:  # reported; the text is kept so reading can go on
                self.diagnostics.append(self._diagnostic(line, column, str(error)))
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key_is_next:
            self._key(frame, value, event.value, line, column)
            return
        self._place(value, line, column)

    def _key(self, frame: _Frame, key: Any, text: str, line: int, column: int) -> None:
        assert isinstance(frame.container, dict)
        frame.key_is_next = False
        if not isinstance(key, str):
            self.diagnostics.append(self._diagnostic(
                line, column, f"key {text!r} is not a string; quote it if it is meant as one"))
            key = text
        if key in frame.first_seen:
            self.diagnostics.append(self._diagnostic(
                line, column, f"duplicate key {key!r} (first given at line {frame.first_seen[key]})"))
            frame.key = None   # the first value is kept; the duplicate's value is read and dropped
            return
        frame.first_seen[key] = line
        frame.key = key
        self.positions[frame.path + (key,)] = Position(line, column)

    def _place(self, value: Any, line: int, column: int) -> FieldPath:
        """Put a value (scalar or new container) where the parser is; return its path."""
        if not self.stack:
            self.root = value
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            path = frame.path + (len(frame.container),)
            frame.container.append(value)
            self.positions[path] = Position(line, column)
            return path
        if frame.key_is_next:
            # A mapping or list used as a key: '? [a, b]: value'.
            self.diagnostics.append(self._diagnostic(line, column, "a key must be a plain string"))
            frame.key_is_next = False
            frame.key = None
            return frame.path + ("?",)
        frame.key_is_next = True
        key = frame.key
        if key is None:
            return frame.path + ("?",)
        frame.container[key] = value
        return frame.path + (key,)
