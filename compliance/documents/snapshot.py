"""Account snapshots: one row per account, read column-wise into numpy arrays.

A snapshot is a CSV, Parquet, YAML or JSON file (YAML/JSON: a top-level mapping with a list
``accounts:`` of rows). Rules over millions of accounts are evaluated on the columns held here, so
nothing in the reading path loops over rows in Python; only the error paths (find the first bad
row) and the per-row views (``row``, ``row_document``) do.

Columns (see the "Account snapshots" section of the spec):

* required: ``account_id``, ``client_category``, ``balance``, ``equity``, ``margin_used``,
  ``exposure``;
* optional: ``currency``, ``negative_balance_protection``, ``instrument_class``,
  ``positions_count``, ``product_type``, ``largest_position``.

Decisions, so that users can rely on them:

* Columns not listed above are not read (CSV and Parquet skip them entirely) and are named in
  ``Snapshot.ignored_columns`` so that a command can warn about them.
* Duplicate account ids are an error: a finding must name one account without ambiguity.
* A snapshot without any account row is an error (an export that produced only a header).
* At most ``MAX_ROWS`` rows; a CSV line (one record) may be at most ``CSV_BLOCK_SIZE`` bytes.
* A YAML or JSON snapshot may be at most ``TREE_MAX_BYTES`` (32 MiB) and hold at most
  ``TREE_MAX_VALUES`` values, nested at most 64 levels (``yaml_loader.MAX_DEPTH``); larger
  snapshots belong in CSV or Parquet. YAML is read by the project's safe reader
  (``yaml_loader``): no anchors or aliases, no tags, and every unquoted value is taken as the text
  written (``2020-13-01`` or a 5,000-digit number are texts, judged by the column's rules).
* An amount must lie below ``MAX_AMOUNT`` (1e13) in magnitude, where float64 holds every amount
  to the cent exactly and money totals of 50 million rows stay exact; a count below
  ``MAX_COUNT``. A number beyond, or ``nan``/``inf``, is an error at its cell. A value quoted in a message is cut to ``_SHOWN_CHARS`` characters.
* In Parquet, as in CSV, an empty string is a missing value.
* Money is held as float64. ``row(i)`` gives it back exactly as written (``Decimal(repr(x))``) for
  amounts of at most 15 significant digits, which covers every amount to the cent below 10^13.
* Without a ``currency`` column (or with an empty cell) money is in ``NO_CURRENCY`` ("XXX", the
  ISO 4217 code for "no currency"), which the DSL refuses to compare with an amount in EUR.

Positions: for CSV the line is the record's line in the file (the header is line 1) and the column
is the 1-based character column where the field starts; for YAML/JSON they come from the parser's
marks; Parquet has no lines, so the "line" is the 1-based row number and the column the 1-based
field number in the file's schema.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance import vocabulary
from compliance.documents.files import check_input, os_reason, read_input
from compliance.documents.model import Document, Position
from compliance.documents.yaml_loader import MAX_DEPTH, decode_utf8, parse_yaml
from compliance.dsl import types as t
from compliance.dsl.units import Money
from compliance.errors import Diagnostic, InputError
from compliance.records import field, record, replace

REQUIRED_COLUMNS = ("account_id", "client_category", "balance", "equity", "margin_used", "exposure")
OPTIONAL_COLUMNS = ("currency", "negative_balance_protection", "instrument_class", "positions_count",
                    "product_type", "largest_position", "cash", "securities_value", "liabilities")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

MONEY_COLUMNS = ("balance", "equity", "margin_used", "exposure", "largest_position", "cash",
                 "securities_value", "liabilities")
# Amounts that cannot be negative: required margin, notionals, assets held and amounts owed.
NON_NEGATIVE_COLUMNS = ("margin_used", "exposure", "largest_position", "securities_value", "liabilities")
COUNT_COLUMNS = ("positions_count",)
FLAG_COLUMNS = ("negative_balance_protection",)
# Categorical columns with a closed vocabulary; codes index these tuples, so code 0 is always
# "retail" whatever the file contains, and compiled rules can compare codes directly.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "client_category": vocabulary.CLIENT_CATEGORIES,
    "instrument_class": vocabulary.UNDERLYING_CLASSES,
    "product_type": vocabulary.PRODUCT_TYPES,
}
# The currency column has an open vocabulary: its labels are the codes found, sorted.
CATEGORY_COLUMNS = ("client_category", "currency", "instrument_class", "product_type")

TRUE_TEXTS = ("true", "True", "TRUE", "1", "yes", "Yes", "YES")
FALSE_TEXTS = ("false", "False", "FALSE", "0", "no", "No", "NO")
NO_CURRENCY = "XXX"

MAX_ROWS = 50_000_000
MAX_AMOUNT = 1e13              # |amount| below this: exact to the cent in float64
MAX_COUNT = 1_000_000_000      # positions_count
CSV_BLOCK_SIZE = 16 << 20      # the longest CSV record pyarrow can parse
_HEADER_LIMIT = 1 << 20        # the longest CSV header line
_HASH_CHUNK = 4 << 20
# YAML and JSON snapshots are for small exports: reading keeps every value's position, at about
# 1.2 s and 30 MiB of memory per MiB of YAML (measured: 25 MiB, 200,000 accounts, 30 s, 790 MiB).
TREE_MAX_BYTES = 32 << 20      # YAML and JSON snapshots
TREE_MAX_VALUES = 5_000_000    # scalars, mappings and lists in a YAML/JSON snapshot
# A CSV or Parquet snapshot: 50 million rows of ~100 bytes fit well below this.
MAX_SNAPSHOT_BYTES = 64 << 30
_SHOWN_CHARS = 40              # a value quoted in a message is cut to this many characters


# ---------------------------------------------------------------------------------------------
# Where a row and a cell are in the file
# ---------------------------------------------------------------------------------------------

class _Locator:
    """Maps (row, column) to a position in the file; each file format has its own."""

    def line_of_row(self, row: int) -> int:
        raise NotImplementedError

    def position(self, row: int, column: str) -> Position:
        raise NotImplementedError

    def source_line(self, row: int) -> str | None:
        return None


class _CsvLocator(_Locator):
    """Record i is on line i + 2 unless the file has blank lines or quoted line breaks; then the
    lines of the records are worked out once, by the csv module (a rare, slower path)."""

    def __init__(self, path: str, header: Sequence[str], plain_lines: bool):
        self._path = path
        self._header = list(header)
        self._record_lines: np.ndarray | None = None if plain_lines else _record_lines(path)
        self._line_starts: np.ndarray | None = None

    def line_of_row(self, row: int) -> int:
        if self._record_lines is None:
            return row + 2
        return int(self._record_lines[row])

    def _line_text(self, line: int) -> str:
        if self._line_starts is None:
            data = np.memmap(self._path, dtype=np.uint8, mode="r")
            newlines = np.flatnonzero(data == 10)
            self._line_starts = np.concatenate(([0], newlines + 1))
            del data
        if line - 1 >= len(self._line_starts):
            return ""
        start = int(self._line_starts[line - 1])
        with open(self._path, "rb") as handle:
            handle.seek(start)
            raw = handle.readline(CSV_BLOCK_SIZE)
        if line == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def source_line(self, row: int) -> str | None:
        return self._line_text(self.line_of_row(row))

    def position(self, row: int, column: str) -> Position:
        line = self.line_of_row(row)
        index = self._header.index(column)
        starts = _field_starts(self._line_text(line))
        return Position(line, starts[index] + 1 if index < len(starts) else 1)

    def header_position(self, column: str) -> Position:
        starts = _field_starts(self._line_text(1))
        index = self._header.index(column)
        return Position(1, starts[index] + 1 if index < len(starts) else 1)


def _header_column(header: Sequence[str], index: int) -> int:
    """The 1-based column of a header field. A stray quote inside a name can make the quote-aware
    scan disagree with the csv module's reading; the running length of the names then stands in."""
    starts = _field_starts(",".join(header))
    if len(starts) == len(header):
        return starts[index] + 1
    return sum(len(name) + 1 for name in header[:index]) + 1


def _field_starts(line: str) -> list[int]:
    """0-based offsets at which the comma-separated fields of one line start."""
    starts, quoted = [0], False
    for offset, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            starts.append(offset + 1)
    return starts


def _record_lines(path: str) -> np.ndarray:
    """The line on which each data record starts, skipping blank lines as pyarrow does."""
    lines: list[int] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        previous_end = reader.line_num
        for record in reader:
            if record and any(record):
                lines.append(previous_end + 1)
            previous_end = reader.line_num
    return np.asarray(lines, dtype=np.int64)


class _ParquetLocator(_Locator):
    def __init__(self, schema_names: Sequence[str]):
        self._names = list(schema_names)

    def line_of_row(self, row: int) -> int:
        return row + 1

    def position(self, row: int, column: str) -> Position:
        return Position(row + 1, self._names.index(column) + 1)


class _TreeLocator(_Locator):
    """YAML/JSON: the place of each row's mapping and of each of its values, from the positions
    ``yaml_loader`` records (keys and list items); a value is found after its key on the key's
    line. Without positions (JSON the YAML reader cannot read) every place is line 1, column 1."""

    def __init__(self, positions: dict[tuple[Any, ...], Position], lines: list[str]):
        self._positions, self._lines = positions, lines

    def _row(self, row: int) -> Position:
        return self._positions.get(("accounts", row), Position(1, 1))

    def line_of_row(self, row: int) -> int:
        return self._row(row).line

    def position(self, row: int, column: str) -> Position:
        key = self._positions.get(("accounts", row, column))
        if key is None:
            return self._row(row)
        text = self._lines[key.line - 1] if 0 < key.line <= len(self._lines) else ""
        colon = text.find(":", key.column - 1 + len(column))
        if colon < 0:
            return key
        start = colon + 1
        while start < len(text) and text[start] in " \t":
            start += 1
        return Position(key.line, start + 1) if start < len(text) else key


# ---------------------------------------------------------------------------------------------
# The snapshot
# ---------------------------------------------------------------------------------------------

@record(eq=False)
class Snapshot:
    """The columns of an account snapshot.

    ``numeric``: float64 arrays for the money columns and ``positions_count`` present in the file.
    ``valid``: a bool mask "value present" for every optional column present (required columns have
    no nulls). ``categories``: ``(codes, labels)`` with int16 codes, -1 where the value is missing.
    ``flags``: bool arrays (False where missing; see ``valid``). ``account_id``: a pyarrow string
    array, only turned into Python strings for the rows asked for.
    """

    path: str
    sha256: str
    n_rows: int
    numeric: dict[str, np.ndarray]
    valid: dict[str, np.ndarray]
    categories: dict[str, tuple[np.ndarray, tuple[str, ...]]]
    flags: dict[str, np.ndarray]
    account_id: pa.Array
    columns: tuple[str, ...]                 # the known columns present in the file
    ignored_columns: tuple[str, ...] = ()    # columns in the file that are not read
    file_format: str = "csv"
    _locator: _Locator = field(default_factory=_Locator, repr=False)
    assumed: frozenset[str] = frozenset()     # columns filled by a ruleset's assumption

    def line_of_row(self, i: int) -> int:
        return self._locator.line_of_row(i)

    @cached_property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the accounts are held in (NO_CURRENCY first when some have none); read
        once, since every money total asks."""
        if "currency" not in self.categories:
            return (NO_CURRENCY,)
        codes, labels = self.categories["currency"]
        present = np.bincount(codes.astype(np.int64) + 1, minlength=len(labels) + 1)
        return tuple(([NO_CURRENCY] if present[0] else []) + [lab for k, lab in enumerate(labels) if present[k + 1]])

    def position(self, i: int, column: str) -> Position:
        return self._locator.position(i, column)

    def account_ids(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        taken = self.account_id.take(pa.array(np.asarray(indices, dtype=np.int64)))
        return [str(value) for value in taken.to_pylist()]

    def currency_of(self, i: int) -> str:
        if "currency" not in self.categories:
            return NO_CURRENCY
        codes, labels = self.categories["currency"]
        code = int(codes[i])
        return labels[code] if code >= 0 else NO_CURRENCY

    def row(self, i: int) -> dict[str, Any]:
        """One account as exact values. A missing optional value leaves its key out."""
        if not 0 <= i < self.n_rows:
            raise IndexError(f"row {i} of a snapshot of {self.n_rows} rows")
        currency = self.currency_of(i)
        out: dict[str, Any] = {}
        for name in self.columns:
            if name in self.valid and not self.valid[name][i]:
                continue
            if name == "account_id":
                out[name] = str(self.account_id[i].as_py())
            elif name in MONEY_COLUMNS:
                out[name] = Money(_exact(float(self.numeric[name][i])), currency)
            elif name in COUNT_COLUMNS:
                out[name] = int(self.numeric[name][i])
            elif name in FLAG_COLUMNS:
                out[name] = bool(self.flags[name][i])
            else:
                codes, labels = self.categories[name]
                out[name] = labels[int(codes[i])]
        return out

    def row_document(self, i: int) -> Document:
        data = self.row(i)
        positions = {(): Position(self.line_of_row(i), 1)}
        for name in data:
            if name in self.assumed:  # not in the file: the row is where it was read as stated
                positions[(name,)] = positions[()]
            else:
                positions[(name,)] = self.position(i, name)
        return Document(kind="account", path=self.path, data=data, positions=positions,
                        sha256=self.sha256)

    def with_default(self, name: str, value: Any) -> tuple["Snapshot", int]:
        """The snapshot as rules read it when it does not state ``name`` for some accounts: those
        rows hold ``value`` (an assumption of the ruleset), and how many rows that was."""
        if name not in VOCABULARIES or not isinstance(value, str) or value not in VOCABULARIES[name]:
            raise ValueError(f"an assumption can only fill a category column with one of its values, "
                             f"not {name} = {value!r}")
        code = VOCABULARIES[name].index(value)
        if name in self.categories:
            codes, labels = self.categories[name]
            silent = codes < 0
            filled = int(silent.sum())
            if not filled:
                return self, 0
            codes = np.where(silent, np.int16(code), codes).astype(codes.dtype)
        else:
            labels = VOCABULARIES[name]
            codes = np.full(self.n_rows, code, dtype=np.int16)
            filled = self.n_rows
        present = name in self.columns
        return replace(self, categories={**self.categories, name: (codes, labels)},
                       valid={**self.valid, name: np.ones(self.n_rows, dtype=bool)},
                       columns=self.columns if present else (*self.columns, name),
                       assumed=self.assumed if present else self.assumed | {name}), filled


def _exact(value: float) -> Decimal:
    """The decimal text a float was read from, for texts of at most 15 significant digits."""
    if value.is_integer() and abs(value) < 2 ** 53:
        return Decimal(int(value))
    return Decimal(repr(value))


def snapshot_type() -> t.Type:
    """The record type of one account row, as the DSL checker sees it."""
    from compliance.documents.snapshot_fields import snapshot_type as fields
    return fields()


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def load_snapshot(path: str, *, progress: bool = False) -> Snapshot:
    """Read and validate a snapshot; every problem is an InputError naming file, line and column."""
    extension = os.path.splitext(path)[1].lower()
    readers: dict[str, Callable[[str, bool], tuple[pa.Table, _Locator, str, tuple[str, ...]]]] = {
        ".csv": _read_csv, ".parquet": _read_parquet, ".pq": _read_parquet,
        ".yaml": _read_tree, ".yml": _read_tree, ".json": _read_tree,
    }
    reader = readers.get(extension)
    if reader is None:
        raise InputError.at(path, None, None, f"unknown snapshot file type {extension or '(none)'!r}; "
                            "expected .csv, .parquet, .yaml, .yml or .json")
    # A FIFO, a device (/dev/zero) or a folder is refused here, before pyarrow or numpy open it.
    size = check_input(path, what="a snapshot", limit=MAX_SNAPSHOT_BYTES).st_size
    try:
        digest = _sha256(path)
    except OSError as error:
        raise InputError.at(path, None, None, f"cannot read the file: {os_reason(error)}") from None
    if size == 0:
        raise InputError.at(path, 1, 1, "the file is empty; expected a header and account rows")
    table, locator, file_format, ignored = reader(path, progress)
    return _build(path, digest, table, locator, file_format, ignored)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _count_newlines(path: str) -> tuple[int, bool]:
    """The number of b"\\n" in the file, and whether it ends with one."""
    count, last = 0, b""
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count, last == b"\n"


def _csv_header(path: str) -> list[str]:
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_LIMIT)
    first, newline, _ = head.partition(b"\n")
    if not newline and len(head) == _HEADER_LIMIT:
        raise InputError.at(path, 1, 1, f"the header line is longer than {_HEADER_LIMIT} bytes")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError.at(path, 1, error.start + 1, "the header is not UTF-8 text") from None
    text = text.rstrip("\r")
    try:
        return next(csv.reader([text]), [])
    except csv.Error as error:   # e.g. a carriage return inside an unquoted field
        column = text.find("\r") + 1 if "\r" in text else 1
        raise InputError.at(path, 1, column, f"the header is not valid CSV: {error}") from None


def _check_header(path: str, names: list[str], locate_column: Callable[[int], Position]
                  ) -> tuple[str, ...]:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            where = locate_column(index)
            raise InputError.at(path, where.line, where.column, f"column {name!r} appears twice")
        seen.add(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        found = ", ".join(names) if names else "none"
        raise InputError([Diagnostic(path, 1, 1, f"missing required column {name!r} "
                                     f"(columns found: {found})") for name in missing])
    return tuple(name for name in names if name not in KNOWN_COLUMNS)


def _csv_column_types() -> dict[str, pa.DataType]:
    types: dict[str, pa.DataType] = {name: pa.float64() for name in MONEY_COLUMNS}
    types.update({name: pa.int64() for name in COUNT_COLUMNS})
    types.update({name: pa.bool_() for name in FLAG_COLUMNS})
    types.update({name: pa.string() for name in ("account_id",) + CATEGORY_COLUMNS})
    return types


def _read_csv(path: str, progress: bool) -> tuple[pa.Table, _Locator, str, tuple[str, ...]]:
    import pyarrow.csv as pacsv

    header = _csv_header(path)
    ignored = _check_header(path, header, lambda index: Position(1, _header_column(header, index)))
    newlines, ends_with_newline = _count_newlines(path)
    wanted = [name for name in header if name in KNOWN_COLUMNS]

    def read(types: dict[str, pa.DataType]) -> pa.Table:
        read_options = pacsv.ReadOptions(block_size=CSV_BLOCK_SIZE, use_threads=True)
        convert_options = pacsv.ConvertOptions(
            column_types=types, include_columns=wanted, strings_can_be_null=True,
            null_values=[""],   # not pyarrow's default list, which would read "NA" or "nan" as missing
            true_values=list(TRUE_TEXTS), false_values=list(FALSE_TEXTS))
        if not (progress and sys.stderr.isatty()):
            return pacsv.read_csv(path, read_options=read_options, convert_options=convert_options)
        return _read_csv_with_progress(path, read_options, convert_options)

    try:
        table = read(_csv_column_types())
    except pa.ArrowInvalid as typed_error:
        # A value that does not convert: read every column as text and find the first bad cell.
        try:
            table = read({name: pa.string() for name in wanted})
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise _csv_structure_error(path, header, str(error)) from None
        del typed_error  # the text columns are checked cell by cell in _build
    except pa.ArrowNotImplementedError as error:
        raise _csv_structure_error(path, header, str(error)) from None
    # Plain files have one line per record: header + rows (+ nothing after the last newline).
    plain = newlines == table.num_rows + (1 if ends_with_newline else 0)
    return table, _CsvLocator(path, header, plain), "csv", ignored


def _read_csv_with_progress(path: str, read_options: Any, convert_options: Any) -> pa.Table:
    import pyarrow.csv as pacsv

    total = max(os.path.getsize(path), 1)
    batches = []
    with pa.OSFile(path, "rb") as source:
        reader = pacsv.open_csv(source, read_options=read_options, convert_options=convert_options)
        for batch in reader:
            batches.append(batch)
            done = min(source.tell(), total)
            sys.stderr.write(f"\rreading {path}: {done / 2**20:,.0f} / {total / 2**20:,.0f} MiB "
                             f"({100 * done / total:3.0f}%)")
            sys.stderr.flush()
        schema = reader.schema
    sys.stderr.write("\r\x1b[K")
    sys.stderr.flush()
    return pa.Table.from_batches(batches, schema=schema)


def _csv_structure_error(path: str, header: list[str], arrow_message: str) -> InputError:
    """A CSV pyarrow cannot split into records: find the first bad line with the csv module."""
    with open(path, "rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return InputError.at(path, line_number, error.start + 1, "the line is not UTF-8 text")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        previous_end = reader.line_num
        for record in reader:
            if record and any(record) and len(record) != len(header):
                return InputError.at(path, previous_end + 1, 1,
                                     f"expected {len(header)} fields as in the header, "
                                     f"found {len(record)}")
            previous_end = reader.line_num
    message = arrow_message.splitlines()[0] if arrow_message else "unreadable CSV"
    if "straddling" in message or "block" in message:
        message = f"a record is longer than {CSV_BLOCK_SIZE >> 20} MiB"
    return InputError.at(path, None, None, f"cannot read the CSV file: {message}")


def _read_parquet(path: str, progress: bool) -> tuple[pa.Table, _Locator, str, tuple[str, ...]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = list(parquet.schema_arrow.names)
    except UnicodeDecodeError:
        raise InputError.at(path, None, None, "cannot read the Parquet file: a column name is "
                            "not UTF-8 text") from None
    except (pa.ArrowException, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError.at(path, None, None, f"cannot read the Parquet file: {first}") from None
    ignored = _check_header(path, names, lambda index: Position(1, index + 1))
    try:
        table = parquet.read(columns=[name for name in names if name in KNOWN_COLUMNS])
    except (pa.ArrowException, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError.at(path, None, None, f"cannot read the Parquet file: {first}") from None
    _check_parquet_types(path, table, names)
    return _parquet_texts(path, table, names), _ParquetLocator(names), "parquet", ignored


def _parquet_texts(path: str, table: pa.Table, names: list[str]) -> pa.Table:
    """String columns as plain strings, checked to be UTF-8, with "" read as missing (as in CSV)."""
    for index, name in enumerate(table.column_names):
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            row = _first_non_utf8(column)
            raise InputError.at(path, row + 1, names.index(name) + 1,
                                f"column {name!r}: the value is not UTF-8 text") from None
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
        table = table.set_column(index, name, column)
    return table


def _first_non_utf8(column: pa.ChunkedArray) -> int:
    """The first row whose bytes are not UTF-8 (an error path: a Python loop is fine)."""
    for row, value in enumerate(column.cast(pa.binary()).to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return row
    return 0


def _check_parquet_types(path: str, table: pa.Table, names: list[str]) -> None:
    def is_text(kind: pa.DataType) -> bool:
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))

    def is_number(kind: pa.DataType) -> bool:
        return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind)
                    or pa.types.is_decimal(kind))

    expected: dict[str, tuple[str, Callable[[pa.DataType], bool]]] = {}
    for name in MONEY_COLUMNS:
        expected[name] = ("a number", is_number)
    for name in COUNT_COLUMNS:
        expected[name] = ("an integer", pa.types.is_integer)
    for name in FLAG_COLUMNS:
        expected[name] = ("a boolean", pa.types.is_boolean)
    for name in CATEGORY_COLUMNS:
        expected[name] = ("a string", is_text)
    expected["account_id"] = ("a string or an integer",
                              lambda kind: is_text(kind) or pa.types.is_integer(kind))
    problems = []
    for name in table.column_names:
        wanted, accepts = expected[name]
        kind = table.schema.field(name).type
        if not accepts(kind):
            problems.append(Diagnostic(path, None, names.index(name) + 1,
                                       f"column {name!r} has Parquet type {kind}; expected {wanted}"))
    if problems:
        raise InputError(problems)


def _read_tree(path: str, progress: bool) -> tuple[pa.Table, _Locator, str, tuple[str, ...]]:
    """YAML or JSON: ``accounts:`` is a list of mappings; values go through the text path."""
    size = os.path.getsize(path)
    if size > TREE_MAX_BYTES:
        raise InputError.at(path, None, None,
                            f"the file has {size:,} bytes; a YAML or JSON snapshot may have at most "
                            f"{TREE_MAX_BYTES >> 20} MiB (use CSV or Parquet for larger snapshots)")
    text = decode_utf8(read_input(path, TREE_MAX_BYTES, what="a snapshot").data, path)
    is_json = path.lower().endswith(".json")
    if is_json:
        data = _json_data(path, text)
        try:  # positions only: JSON is YAML, except for a few texts the YAML reader refuses
            positions = _yaml_positions_and_data(path, text)[0]
        except InputError:
            positions = {}
    else:
        positions, data = _yaml_positions_and_data(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        raise InputError.at(path, 1, 1, "expected a mapping with a list 'accounts:' of account rows")
    rows: list[Any] = data["accounts"]
    locator = _TreeLocator(positions, text.splitlines() if positions else [])
    names: list[str] = []
    for index, account in enumerate(rows):
        if not isinstance(account, dict):
            where = locator.position(index, "")
            raise InputError.at(path, where.line, where.column,
                                f"account {index + 1} is not a mapping of column: value")
        for key in account:
            if str(key) not in names:
                names.append(str(key))
    if not rows:
        raise InputError.at(path, 1, 1, "the snapshot has no account rows")
    ignored = _check_header(path, names, lambda index: Position(1, 1))
    columns = {name: pa.array([_as_text(account.get(name)) for account in rows], pa.string())
               for name in names if name in KNOWN_COLUMNS}
    return pa.table(columns), locator, "json" if is_json else "yaml", ignored


def _yaml_positions_and_data(path: str, text: str) -> tuple[dict[tuple[Any, ...], Position], Any]:
    loaded = parse_yaml(text, path, sha256="-", max_nodes=TREE_MAX_VALUES, resolve=_plain_text,
                        kind="snapshot")
    return loaded.positions, loaded.data


def _plain_text(text: str) -> str | None:
    """An unquoted YAML value as written; only the YAML 1.2 nulls are missing values."""
    return None if text in ("", "~", "null", "Null", "NULL") else text


def _json_data(path: str, text: str) -> Any:
    """JSON with every number kept as its text (no int() of 5,000 digits, no float rounding).
    A string escaping a lone surrogate (``"\\ud800"``) is an error at the string: no UTF-8 output
    could hold it."""
    try:
        data = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
        if _SURROGATE_ESCAPE.search(text):
            _refuse_lone_surrogates(path, text)
        return data
    except json.JSONDecodeError as error:
        raise InputError.at(path, error.lineno, error.colno, f"invalid JSON: {error.msg}") from None
    except RecursionError:
        line, column = _json_too_deep(text)
        raise InputError.at(path, line, column,
                            f"invalid JSON: nested more than {MAX_DEPTH} levels deep") from None


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(path: str, text: str) -> None:
    """An error at the first JSON string that decodes to a lone surrogate (an error path)."""
    for token in _JSON_TOKEN.finditer(text):
        string = token.group()
        if string[0] == '"' and _SURROGATE_ESCAPE.search(string) \
                and _SURROGATE.search(json.loads(string)):
            before = text[:token.start()]
            line = before.count("\n") + 1
            column = token.start() - (before.rfind("\n") + 1) + 1
            raise InputError.at(path, line, column, f"the string {_shown(string)} holds a lone "
                                "surrogate (\\ud800-\\udfff), which is not a character")


def _json_too_deep(text: str) -> tuple[int | None, int | None]:
    """Where JSON nesting first passes MAX_DEPTH levels (an error path)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                offset = token.start()
                line = text.count("\n", 0, offset) + 1
                return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
        elif bracket in "]}":
            depth -= 1
    return None, None


def _as_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return "{...}"  # rejected later as "not a number" etc., with its position
    if isinstance(value, list):
        return "[...]"
    return str(value)


# ---------------------------------------------------------------------------------------------
# From an Arrow table to validated numpy columns
# ---------------------------------------------------------------------------------------------

class _Problems:
    """Collects one diagnostic per bad column (its first bad row), then fails once."""

    def __init__(self, path: str, locator: _Locator):
        self.path, self.locator = path, locator
        self.items: list[Diagnostic] = []

    def at_row(self, row: int, column: str, message: str) -> None:
        where = self.locator.position(row, column)
        self.items.append(Diagnostic(self.path, where.line, where.column,
                                     f"column {column!r}: {message}",
                                     self.locator.source_line(row)))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(sorted(self.items, key=lambda d: (d.line or 0, d.column or 0)))


def _build(path: str, digest: str, table: pa.Table, locator: _Locator, file_format: str,
           ignored: tuple[str, ...]) -> Snapshot:
    n_rows = table.num_rows
    if n_rows == 0:
        raise InputError.at(path, 2 if file_format == "csv" else 1, 1,
                            "the snapshot has no account rows")
    if n_rows > MAX_ROWS:
        raise InputError.at(path, None, None,
                            f"the snapshot has {n_rows:,} rows; at most {MAX_ROWS:,} are supported")
    problems = _Problems(path, locator)
    numeric: dict[str, np.ndarray] = {}
    valid: dict[str, np.ndarray] = {}
    categories: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
    flags: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name)
        present = _present(column, name, problems)
        if name in OPTIONAL_COLUMNS:
            valid[name] = present
        if name in MONEY_COLUMNS or name in COUNT_COLUMNS:
            numeric[name] = _numbers(column, name, present, problems)
        elif name in FLAG_COLUMNS:
            flags[name] = _flags(column, name, present, problems)
        elif name in CATEGORY_COLUMNS:
            categories[name] = _categories(column, name, present, problems)
    account_id = _account_ids(table.column("account_id"), problems)
    problems.raise_if_any()
    columns = tuple(name for name in KNOWN_COLUMNS if name in table.column_names)
    return Snapshot(path=path, sha256=digest, n_rows=n_rows, numeric=numeric, valid=valid,
                    categories=categories, flags=flags, account_id=account_id, columns=columns,
                    ignored_columns=ignored, file_format=file_format, _locator=locator)


def _present(column: pa.ChunkedArray, name: str, problems: _Problems) -> np.ndarray:
    if column.null_count == 0:
        return np.ones(len(column), dtype=bool)
    present = column.is_valid().to_numpy(zero_copy_only=False)
    if name in REQUIRED_COLUMNS:
        problems.at_row(int(np.argmin(present)), name, "a value is required")
    return np.asarray(present, dtype=bool)


def _first_problem(column: pa.ChunkedArray, judge: Callable[[str], str | None]
                   ) -> tuple[int, str] | None:
    for index, value in enumerate(column.to_pylist()):
        if value is not None:
            problem = judge(value)
            if problem is not None:
                return index, problem
    return None


# The decimal forms pyarrow converts; "1_000" or "1,000" are not numbers in a snapshot.
# ASCII digits only: \\d also matches digits of other scripts ("1\u0663"), which pyarrow refuses.
_NUMBER_TEXT = re.compile(r"^[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$")


def _shown(text: str) -> str:
    """A value as quoted in a message, cut so that a hostile value cannot flood the terminal."""
    if len(text) <= _SHOWN_CHARS:
        return repr(text)
    return f"{text[:_SHOWN_CHARS - 10]!r}... ({len(text):,} characters)"


def _number_problem(text: str) -> str | None:
    if _NUMBER_TEXT.match(text):
        return None if math.isfinite(float(text)) else f"{_shown(text.strip())} is not a finite number"
    if text.strip().lower() in ("nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity",
                                "+infinity", "-infinity"):
        return f"{_shown(text)} is not a finite number"
    return f"{_shown(text)} is not a number"


def _numbers(column: pa.ChunkedArray, name: str, present: np.ndarray,
             problems: _Problems) -> np.ndarray:
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        bad = _first_problem(column, _number_problem)
        if bad is not None:
            problems.at_row(bad[0], name, bad[1])
            return np.zeros(len(column))
        column = pc.cast(pc.utf8_trim_whitespace(column), pa.float64())
    values = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    values = np.where(present, values, 0.0) if not present.all() else np.asarray(values)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmin(finite))
        problems.at_row(row, name, f"{float(values[row])!r} is not a finite number")
    elif name in MONEY_COLUMNS and (np.abs(values) >= MAX_AMOUNT).any():
        row = int(np.argmax(np.abs(values) >= MAX_AMOUNT))
        problems.at_row(row, name, f"{_exact(float(values[row]))} is out of range: an amount "
                        f"must lie below {MAX_AMOUNT:.0e} in magnitude (exact to the cent)")
    elif name in COUNT_COLUMNS and (values >= MAX_COUNT).any():
        row = int(np.argmax(values >= MAX_COUNT))
        problems.at_row(row, name, f"{_exact(float(values[row]))} is out of range: a count "
                        f"must lie below {MAX_COUNT:,}")
    elif name in NON_NEGATIVE_COLUMNS and (values < 0).any():
        row = int(np.argmax(values < 0))
        problems.at_row(row, name, f"{_exact(float(values[row]))} is negative; "
                        "margin and notional amounts cannot be")
    elif name in COUNT_COLUMNS:
        whole = (values >= 0) & (values == np.floor(values))
        if not whole.all():
            row = int(np.argmin(whole))
            problems.at_row(row, name, f"{_exact(float(values[row]))} is not a whole number >= 0")
    return np.ascontiguousarray(values, dtype=np.float64)


def _flags(column: pa.ChunkedArray, name: str, present: np.ndarray, problems: _Problems) -> np.ndarray:
    if pa.types.is_boolean(column.type):
        return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    texts = pc.utf8_trim_whitespace(column.cast(pa.string()))
    is_true = pc.is_in(texts, value_set=pa.array(TRUE_TEXTS))
    is_false = pc.is_in(texts, value_set=pa.array(FALSE_TEXTS))
    known = pc.or_(is_true, is_false).to_numpy(zero_copy_only=False) | ~present
    if not known.all():
        row = int(np.argmin(known))
        problems.at_row(row, name, f"{_shown(texts[row].as_py())} is not a boolean "
                        "(use true/false, yes/no or 1/0)")
    return np.asarray(is_true.to_numpy(zero_copy_only=False), dtype=bool) & present


def _categories(column: pa.ChunkedArray, name: str, present: np.ndarray,
                problems: _Problems) -> tuple[np.ndarray, tuple[str, ...]]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    encoded = pc.dictionary_encode(column.combine_chunks())
    found = [str(value) for value in encoded.dictionary.to_pylist()]
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    if name in VOCABULARIES:
        labels = VOCABULARIES[name]
        allowed = ", ".join(labels)
        message = f"is not a known {name.replace('_', ' ')} (one of: {allowed})"
    else:
        labels = tuple(sorted(value for value in found if _is_currency(value)))
        message = "is not a currency code (three capital letters, such as EUR)"
    bad = [code for code, value in enumerate(found) if value not in labels]
    if bad:
        row = int(np.argmax(np.isin(indices, bad)))
        problems.at_row(row, name, f"{_shown(found[int(indices[row])])} {message}")
    remap = np.array([labels.index(value) if value in labels else -1 for value in found] + [-1],
                     dtype=np.int16)
    return remap[indices], labels   # index -1 picks the trailing -1: missing stays missing


def _is_currency(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def _account_ids(column: pa.ChunkedArray, problems: _Problems) -> pa.Array:
    if pa.types.is_integer(column.type):
        column = column.cast(pa.string())
    elif pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    ids = column.combine_chunks()
    if ids.null_count or len(ids) < 2:
        return ids
    # Sorting is ~10x faster than hashing a million strings; duplicates end up side by side.
    order = pc.sort_indices(ids).to_numpy()
    ordered = ids.take(pa.array(order))
    same = pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    if same.any():
        pairs = np.flatnonzero(same)
        # Of all repeats, report the one that comes first in the file, against its first occurrence.
        later = np.maximum(order[pairs], order[pairs + 1])
        second = int(later.min())
        value = ids[second].as_py()
        first = int(np.flatnonzero(pc.equal(ids, value).to_numpy(zero_copy_only=False))[0])
        line = problems.locator.line_of_row(first)
        problems.at_row(second, "account_id", f"duplicate account id {value!r} (first on line {line})")
    return ids
