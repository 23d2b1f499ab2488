"""Snapshot reading: the four formats, exact row values, and every class of bad input."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.documents.model import Position
from compliance.documents.snapshot import (Snapshot, load_snapshot, snapshot_type)
from compliance.dsl.units import Money
from compliance.errors import InputError

HEADER = ("account_id,client_category,balance,equity,margin_used,exposure,currency,"
          "negative_balance_protection,instrument_class,positions_count,product_type,"
          "largest_position")
ROWS = [
    ("A1", "retail", "1000.10", "900.50", "100", "3000", "EUR", "true", "fx_major", "2", "cfd", "2000"),
    ("A2", "professional", "-50", "-60.25", "0", "0", "GBP", "no", "gold", "0", "spread_bet", "0"),
    ("A3", "retail", "10", "20", "5", "100", "", "", "", "", "", ""),
]
COLUMNS = HEADER.split(",")


def write_csv(path: Path, rows=ROWS, header: str = HEADER) -> str:
    path.write_text(header + "\n" + "".join(",".join(row) + "\n" for row in rows))
    return str(path)


def tree_rows(rows=ROWS) -> list[dict]:
    out = []
    for row in rows:
        account = {}
        for name, text in zip(COLUMNS, row):
            if text == "":
                continue
            if name in ("balance", "equity", "margin_used", "exposure", "largest_position"):
                account[name] = float(text) if "." in text else int(text)
            elif name == "positions_count":
                account[name] = int(text)
            elif name == "negative_balance_protection":
                account[name] = text in ("true", "yes", "1")
            else:
                account[name] = text
        out.append(account)
    return out


def write_parquet(path: Path, rows=ROWS) -> str:
    accounts = tree_rows(rows)
    types = {"balance": pa.float64(), "equity": pa.float64(), "margin_used": pa.float64(),
             "exposure": pa.float64(), "largest_position": pa.float64(),
             "positions_count": pa.int64(), "negative_balance_protection": pa.bool_()}
    table = pa.table({name: pa.array([a.get(name) for a in accounts], types.get(name, pa.string()))
                      for name in COLUMNS})
    pq.write_table(table, path)
    return str(path)


def write_yaml(path: Path, rows=ROWS) -> str:
    lines = ["accounts:"]
    for account in tree_rows(rows):
        lines.append("  - " + "\n    ".join(f"{k}: {json.dumps(v)}" for k, v in account.items()))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def write_json(path: Path, rows=ROWS) -> str:
    path.write_text(json.dumps({"accounts": tree_rows(rows)}, indent=2))
    return str(path)


def error_of(path: str) -> str:
    with pytest.raises(InputError) as caught:
        load_snapshot(path)
    return "\n".join(d.render().splitlines()[0] for d in caught.value.diagnostics)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def test_csv_columns(tmp_path):
    snap = load_snapshot(write_csv(tmp_path / "accounts.csv"))
    assert snap.n_rows == 3
    assert snap.numeric["balance"].tolist() == [1000.10, -50.0, 10.0]
    assert snap.numeric["equity"].dtype == np.float64
    assert snap.valid["currency"].tolist() == [True, True, False]
    codes, labels = snap.categories["client_category"]
    assert labels == ("retail", "professional", "eligible_counterparty")
    assert codes.tolist() == [0, 1, 0]
    assert snap.categories["currency"][0].tolist() == [0, 1, -1]
    assert snap.categories["currency"][1] == ("EUR", "GBP")
    assert snap.flags["negative_balance_protection"].tolist() == [True, False, False]
    assert snap.valid["negative_balance_protection"].tolist() == [True, True, False]
    assert snap.account_ids([2, 0]) == ["A3", "A1"]
    assert len(snap.sha256) == 64


def test_row_is_exact(tmp_path):
    snap = load_snapshot(write_csv(tmp_path / "accounts.csv"))
    assert snap.row(0) == {
        "account_id": "A1", "client_category": "retail",
        "balance": Money(Decimal("1000.10"), "EUR"), "equity": Money(Decimal("900.5"), "EUR"),
        "margin_used": Money(Decimal("100"), "EUR"), "exposure": Money(Decimal("3000"), "EUR"),
        "currency": "EUR", "negative_balance_protection": True, "instrument_class": "fx_major",
        "positions_count": 2, "product_type": "cfd", "largest_position": Money(Decimal(2000), "EUR"),
    }
    # Missing optional values leave their keys out; money without a currency is in XXX.
    assert snap.row(2) == {
        "account_id": "A3", "client_category": "retail", "balance": Money(Decimal(10), "XXX"),
        "equity": Money(Decimal(20), "XXX"), "margin_used": Money(Decimal(5), "XXX"),
        "exposure": Money(Decimal(100), "XXX")}


def test_row_document_positions_csv(tmp_path):
    snap = load_snapshot(write_csv(tmp_path / "accounts.csv"))
    doc = snap.row_document(1)
    assert doc.kind == "account" and doc.path.endswith("accounts.csv")
    assert doc.positions[()] == Position(3, 1)
    assert doc.positions[("client_category",)] == Position(3, 4)
    assert doc.positions[("equity",)] == Position(3, 21)   # A2,professional,-50,-60.25
    assert snap.line_of_row(0) == 2


def test_yaml_positions(tmp_path):
    snap = load_snapshot(write_yaml(tmp_path / "accounts.yaml"))
    # Each account has 12 keys on 12 lines after "accounts:".
    assert snap.line_of_row(0) == 2
    assert snap.line_of_row(1) == 14
    assert snap.position(1, "balance") == Position(16, 14)


def test_four_formats_identical(tmp_path):
    snaps = [load_snapshot(write_csv(tmp_path / "a.csv")),
             load_snapshot(write_parquet(tmp_path / "a.parquet")),
             load_snapshot(write_yaml(tmp_path / "a.yaml")),
             load_snapshot(write_json(tmp_path / "a.json"))]
    first = snaps[0]
    for other in snaps[1:]:
        assert other.n_rows == first.n_rows
        assert other.columns == first.columns
        for group in ("numeric", "valid", "flags"):
            mine, theirs = getattr(first, group), getattr(other, group)
            assert mine.keys() == theirs.keys()
            for name in mine:
                assert np.array_equal(mine[name], theirs[name]), (other.file_format, name)
        for name, (codes, labels) in first.categories.items():
            assert np.array_equal(codes, other.categories[name][0])
            assert labels == other.categories[name][1]
        assert [other.row(i) for i in range(3)] == [first.row(i) for i in range(3)]


def test_unknown_columns_are_ignored(tmp_path):
    rows = [row[:6] + ("note",) for row in ROWS]
    snap = load_snapshot(write_csv(tmp_path / "a.csv", rows,
                                   "account_id,client_category,balance,equity,margin_used,exposure,note"))
    assert snap.ignored_columns == ("note",)
    assert "note" not in snap.row(0)


def test_csv_with_blank_and_quoted_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("account_id,client_category,balance,equity,margin_used,exposure\n"
                    '"A\n1",retail,1,1,0,0\n\nA2,retail,x,1,0,0\n')
    assert error_of(str(path)) == f"{path}:5:11: error: column 'balance': 'x' is not a number"


def test_snapshot_type():
    kind = snapshot_type()
    assert kind.kind == "record"
    assert kind.fields["equity"].kind == "money" and kind.fields["equity"].currency is None
    assert not kind.fields["equity"].optional
    assert kind.fields["currency"].optional and kind.fields["largest_position"].kind == "money"


def test_progress_prints_nothing_without_a_terminal(tmp_path, capsys):
    load_snapshot(write_csv(tmp_path / "a.csv"), progress=True)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------
# Bad input: file, line, column and message
# ---------------------------------------------------------------------------------------------

def bad_csv(tmp_path: Path, row: int, column: str, text: str) -> str:
    rows = [list(r) for r in ROWS]
    rows[row][COLUMNS.index(column)] = text
    return write_csv(tmp_path / "accounts.csv", [tuple(r) for r in rows])


@pytest.mark.parametrize("row, column, text, col, message", [
    (1, "equity", "abc", 21, "column 'equity': 'abc' is not a number"),
    (0, "balance", '"1,000"', 11, "column 'balance': '1,000' is not a number"),
    (2, "equity", "nan", 14, "column 'equity': nan is not a finite number"),
    (2, "exposure", "inf", 19, "column 'exposure': inf is not a finite number"),
    (2, "margin_used", "-5", 17, "column 'margin_used': -5 is negative; margin and notional "
                                "amounts cannot be"),
    (1, "client_category", "Retail", 4, "column 'client_category': 'Retail' is not a known client "
     "category (one of: retail, professional, eligible_counterparty)"),
    (2, "instrument_class", "fx", 25, "column 'instrument_class': 'fx' is not a known instrument "
     "class (one of: fx_major, fx_minor, gold, index_major, index_minor, commodity, equity, "
     "crypto, bond, other)"),
    (0, "negative_balance_protection", "maybe", 39, "column 'negative_balance_protection': 'maybe' "
     "is not a boolean (use true/false, yes/no or 1/0)"),
    (1, "currency", "eur", 32, "column 'currency': 'eur' is not a currency code (three capital "
     "letters, such as EUR)"),
    (2, "positions_count", "1.5", 26, "column 'positions_count': 1.5 is not a whole number >= 0"),
    (1, "equity", "", 21, "column 'equity': a value is required"),
    (2, "account_id", "A1", 1, "column 'account_id': duplicate account id 'A1' (first on line 2)"),
])
def test_bad_cell(tmp_path, row, column, text, col, message):
    path = bad_csv(tmp_path, row, column, text)
    assert error_of(path) == f"{path}:{row + 2}:{col}: error: {message}"


def test_errors_are_collected_per_column(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][COLUMNS.index("equity")] = "abc"
    rows[2][COLUMNS.index("client_category")] = "bank"
    path = write_csv(tmp_path / "a.csv", [tuple(r) for r in rows])
    lines = error_of(path).splitlines()
    assert lines[0].startswith(f"{path}:3:21: error: column 'equity'")
    assert lines[1].startswith(f"{path}:4:4: error: column 'client_category': 'bank'")


def test_missing_required_column(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,client_category,balance,margin_used,exposure\nA1,retail,1,0,0\n")
    assert error_of(str(path)) == (
        f"{path}:1:1: error: missing required column 'equity' (columns found: account_id, "
        "client_category, balance, margin_used, exposure)")


def test_empty_file(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("")
    assert error_of(str(path)) == f"{path}:1:1: error: the file is empty; expected a header and account rows"


def test_header_only(tmp_path):
    path = write_csv(tmp_path / "accounts.csv", [])
    assert error_of(path) == f"{path}:2:1: error: the snapshot has no account rows"


def test_wrong_field_count(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,client_category,balance,equity,margin_used,exposure\n"
                    "A1,retail,1,1,0,0\nA2,retail,1,1,0\n")
    assert error_of(str(path)) == f"{path}:3:1: error: expected 6 fields as in the header, found 5"


def test_not_utf8(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"account_id,client_category,balance,equity,margin_used,exposure\n"
                     b"A\xff1,retail,1,1,0,0\n")
    assert error_of(str(path)) == f"{path}:2:2: error: the line is not UTF-8 text"


def test_unknown_extension(tmp_path):
    path = tmp_path / "accounts.xlsx"
    path.write_text("x")
    assert error_of(str(path)) == (f"{path}: error: unknown snapshot file type '.xlsx'; expected "
                                   ".csv, .parquet, .yaml, .yml or .json")


def test_missing_file(tmp_path):
    assert error_of(str(tmp_path / "none.csv")).startswith(f"{tmp_path / 'none.csv'}: error: no such file")


def test_parquet_wrong_type(tmp_path):
    path = tmp_path / "a.parquet"
    table = pa.table({"account_id": ["A1"], "client_category": ["retail"], "balance": ["1"],
                      "equity": [1.0], "margin_used": [0.0], "exposure": [0.0]})
    pq.write_table(table, path)
    with pytest.raises(InputError) as caught:
        load_snapshot(str(path))
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.column, diagnostic.message) == (
        3, "column 'balance' has Parquet type string; expected a number")


def test_parquet_null_in_required_column(tmp_path):
    path = tmp_path / "a.parquet"
    table = pa.table({"account_id": ["A1", "A2"], "client_category": ["retail", "retail"],
                      "balance": [1.0, None], "equity": [1.0, 1.0], "margin_used": [0.0, 0.0],
                      "exposure": [0.0, 0.0]})
    pq.write_table(table, path)
    assert error_of(str(path)) == f"{path}:2:3: error: column 'balance': a value is required"


def test_not_a_parquet_file(tmp_path):
    path = tmp_path / "a.parquet"
    path.write_text("hello")
    assert error_of(str(path)).startswith(f"{path}: error: cannot read the Parquet file:")


def test_yaml_errors(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("accounts:\n  - {account_id: A1, client_category: retail, balance: 1,\n"
                    "     equity: abc, margin_used: 0, exposure: 0}\n")
    assert error_of(str(path)) == f"{path}:3:14: error: column 'equity': 'abc' is not a number"
    path.write_text("accounts: [1, 2]\n")
    assert error_of(str(path)) == f"{path}:1:12: error: account 1 is not a mapping of column: value"
    path.write_text("accounts: {a: 1}\n")
    assert error_of(str(path)) == (f"{path}:1:1: error: expected a mapping with a list 'accounts:' "
                                   "of account rows")
    path.write_text("accounts: [\n")
    assert error_of(str(path)).startswith(f"{path}:2:1: error: invalid YAML")


def test_json_errors(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"accounts": [\n  {"account_id": "A1"}\n')
    assert error_of(str(path)).startswith(f"{path}:3:1: error: invalid JSON")
    path.write_text('{"accounts": [{"account_id": "A1", "client_category": "retail", "balance": 1,\n'
                    '  "equity": 1, "margin_used": 0, "exposure": true}]}')
    assert error_of(str(path)) == f"{path}:2:46: error: column 'exposure': 'true' is not a number"


# ---------------------------------------------------------------------------------------------
# Exactness
# ---------------------------------------------------------------------------------------------

cents = st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"),
                    places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cents, cents, cents.map(abs), cents.map(abs)), min_size=1, max_size=8))
def test_row_gives_back_the_decimals_written(tmp_path, amounts):
    rows = [(f"A{i}", "retail", str(b), str(e), str(m), str(x))
            for i, (b, e, m, x) in enumerate(amounts)]
    path = write_csv(tmp_path / "p.csv", rows,
                     "account_id,client_category,balance,equity,margin_used,exposure")
    snap: Snapshot = load_snapshot(path)
    for i, (b, e, m, x) in enumerate(amounts):
        row = snap.row(i)
        assert [row[k].amount for k in ("balance", "equity", "margin_used", "exposure")] == [b, e, m, x]


# ---------------------------------------------------------------------------------------------
# Hostile YAML, JSON, CSV and Parquet (see also tests/hardening)
# ---------------------------------------------------------------------------------------------

VALID_ROW = "{account_id: A1, client_category: retail, balance: 1, equity: 1, margin_used: 0, exposure: 0}"


def test_yaml_snapshot_values_are_texts_as_written(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("accounts:\n  - {account_id: 007, client_category: retail, balance: 1000.10,\n"
                    "     equity: 1e3, margin_used: 0, exposure: 0, negative_balance_protection: no, currency: ~}\n")
    snap = load_snapshot(str(path))
    assert snap.account_ids([0]) == ["007"]
    assert snap.row(0)["balance"] == Money(Decimal("1000.1"), "XXX")
    assert snap.numeric["equity"][0] == 1000.0
    assert snap.row(0)["negative_balance_protection"] is False
    path.write_text("accounts:\n  - {account_id: A1, client_category: retail, balance: 1,\n"
                    "     equity: 2020-13-01, margin_used: 0, exposure: 0}\n")
    assert error_of(str(path)) == f"{path}:3:14: error: column 'equity': '2020-13-01' is not a number"


def test_yaml_snapshot_refuses_aliases_tags_and_depth(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(f"row: &r {VALID_ROW}\naccounts: [*r]\n")
    assert error_of(str(path)) == f"{path}:1:6: error: anchors (&r) are not allowed in snapshot files"
    path.write_text(f"accounts: [!!python/object:os.system {VALID_ROW}]\n")
    assert "tag tag:yaml.org,2002:python/object:os.system is not allowed" in error_of(str(path))
    path.write_text("accounts: " + "[" * 100 + "]" * 100 + "\n")
    assert error_of(str(path)) == f"{path}:1:74: error: nested more than 64 levels deep"
    path.write_text("\x1faccounts: []\n")
    assert error_of(str(path)).startswith(f"{path}:1:1: error: invalid YAML: character U+001F")


def test_tree_snapshot_size_limit(tmp_path, monkeypatch):
    import compliance.documents.snapshot as snapshot_module
    monkeypatch.setattr(snapshot_module, "TREE_MAX_BYTES", 100)
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"accounts": tree_rows()}))
    assert "a YAML or JSON snapshot may have at most 0 MiB" in error_of(str(path))


def test_json_snapshot_numbers_keep_their_text(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"accounts": [{"account_id": 7, "client_category": "retail", "balance": 0.1,'
                    ' "equity": 1E2, "margin_used": 0, "exposure": NaN}]}')
    assert error_of(str(path)) == f"{path}:1:123: error: column 'exposure': 'NaN' is not a finite number"
    path.write_text('{"accounts": [{"account_id": 7, "client_category": "retail", "balance": 0.1,'
                    ' "equity": 1E2, "margin_used": 0, "exposure": [[1]]}]}')
    assert error_of(str(path)).endswith("column 'exposure': '[...]' is not a number")
    path.write_text('{"accounts": [{"account_id": 7, "client_category": "retail", "balance": '
                    + "9" * 5000 + ', "equity": 1, "margin_used": 0, "exposure": 0}]}')
    message = error_of(str(path))
    assert "(5,000 characters) is not a finite number" in message and len(message) < 300


def test_csv_numbers_are_ascii_decimals(tmp_path):
    path = write_csv(tmp_path / "a.csv", rows=[ROWS[0][:2] + ("1\u0663",) + ROWS[0][3:]])
    assert error_of(path) == f"{path}:2:11: error: column 'balance': '1\u0663' is not a number"


def test_csv_header_that_is_not_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"account_id,client\rcategory,balance\nA,retail,1\n")
    assert error_of(str(path)).startswith(f"{path}:1:18: error: the header is not valid CSV")


def test_parquet_empty_strings_are_missing(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"account_id": ["A1", "A2"], "client_category": ["retail", "retail"],
                             "balance": [1.0, 2.0], "equity": [1.0, 2.0], "margin_used": [0.0, 0.0],
                             "exposure": [0.0, 0.0], "instrument_class": ["", "gold"],
                             "currency": ["EUR", ""]}), path)
    snap = load_snapshot(str(path))
    assert list(snap.valid["instrument_class"]) == [False, True]
    assert "instrument_class" not in snap.row(0) and snap.currency_of(1) == "XXX"
    pq.write_table(pa.table({"account_id": ["A1"], "client_category": [""], "balance": [1.0],
                             "equity": [1.0], "margin_used": [0.0], "exposure": [0.0]}), path)
    assert error_of(str(path)) == f"{path}:1:2: error: column 'client_category': a value is required"


@pytest.mark.parametrize("product", ["rolling_spot_fx", "restricted_option", "spread_bet"])
def test_every_product_type_of_the_vocabulary_is_read(tmp_path: Path, product: str) -> None:
    """The snapshot reader takes its product types from the one vocabulary, as the contract
    schema and esma_like do (it used to reject rolling_spot_fx)."""
    path = tmp_path / "book.csv"
    path.write_text("account_id,client_category,balance,equity,margin_used,exposure,product_type\n"
                    f"A1,retail,100,100,10,300,{product}\n", encoding="utf-8")
    snapshot = load_snapshot(str(path))
    assert snapshot.row(0)["product_type"] == product
