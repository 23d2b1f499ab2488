"""Loading contract files: bad input is an InputError at the right place; good input is typed exactly."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.documents import yaml_loader
from compliance.documents.contract import (
    contract_json_schema,
    contract_type,
    find_contracts,
    load_contract,
)
from compliance.documents.declarations import pydantic_model
from compliance.documents.model import Position
from compliance.documents.models import Contract
from compliance.dsl import types as T
from compliance.dsl.units import Duration, Leverage, Money, Percent
from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"
TEMPLATES = sorted((ROOT / "contract_templates").glob("*.yaml"))


def load_error(path: Path | str) -> InputError:
    with pytest.raises(InputError) as caught:
        load_contract(str(path))
    return caught.value


def only(error: InputError) -> tuple[int | None, int | None, str]:
    assert len(error.diagnostics) == 1, [d.render() for d in error.diagnostics]
    d = error.diagnostics[0]
    return d.line, d.column, d.message


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Bad input: one case per class of problem
# ---------------------------------------------------------------------------------------------

BAD_FIXTURES = [
    # file, line, column, a piece of the message
    ("broken_yaml.yaml", 5, 8, "invalid YAML: mapping values are not allowed"),
    ("unknown_key.yaml", 3, 1, "unknown key 'levrage' (did you mean 'leverage'?)"),
    ("not_a_contract.yaml", 1, 1, "not a contract (kind is 'waivers')"),
    ("list_root.yaml", 1, 1, "not a contract: the file holds a list"),
    ("duplicate_key.yaml", 5, 3, "duplicate key 'close_out_level' (first given at line 4)"),
    ("alias_bomb.yaml", 3, 4, "anchors (&a) are not allowed"),
    ("empty.yaml", 1, 1, "file is empty"),
    ("not_utf8.yaml", 3, 17, "file is not valid UTF-8 (byte 0xfc"),
]


@pytest.mark.parametrize("name,line,column,message", BAD_FIXTURES, ids=[c[0] for c in BAD_FIXTURES])
def test_bad_fixture_is_an_input_error_at_its_place(name: str, line: int, column: int,
                                                    message: str) -> None:
    got_line, got_column, got_message = only(load_error(FIXTURES / name))
    assert (got_line, got_column) == (line, column)
    assert message in got_message


def test_wrong_types_are_all_reported_at_their_keys() -> None:
    error = load_error(FIXTURES / "wrong_type.yaml")
    rendered = [d.render().splitlines()[0] for d in error.diagnostics]
    path = str(FIXTURES / "wrong_type.yaml")
    assert rendered == [
        f"{path}:4:3: error: leverage.fx_major: 'abc' is not a leverage ratio such as 30:1",
        f"{path}:6:3: error: client.category: 'retial' is not allowed; must be one of retail, "
        "professional, eligible_counterparty (did you mean 'retail'?)",
    ]


def test_error_carries_the_source_line_with_a_caret() -> None:
    error = load_error(FIXTURES / "unknown_key.yaml")
    assert error.diagnostics[0].render().splitlines()[1:] == ["    levrage:", "    ^"]


def test_alias_without_anchor_and_nested_anchor_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: contract\nid: X\ntitle: *nothing\n")
    line, column, message = only(load_error(path))
    assert (line, column) == (3, 8) or "invalid YAML" in message  # parsers differ on unknown aliases


def test_too_deep(tmp_path: Path) -> None:
    depth = yaml_loader.MAX_DEPTH + 1
    path = write(tmp_path, "kind: contract\nid: X\nx: " + "[" * depth + "]" * depth + "\n")
    line, column, message = only(load_error(path))
    assert (line, column) == (3, 4 + yaml_loader.MAX_DEPTH - 1)
    assert f"nested more than {yaml_loader.MAX_DEPTH} levels deep" in message


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"kind: contract\nid: X\n" + b"# padding\n" * (yaml_loader.MAX_FILE_BYTES // 10))
    line, column, message = only(load_error(path))
    assert (line, column) == (1, 1)
    assert "larger than the limit" in message


def test_too_many_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_loader, "MAX_NODES", 10)
    path = write(tmp_path, "kind: contract\nid: X\nrulesets: [a, b, c, d, e, f, g, h]\n")
    line, column, message = only(load_error(path))
    assert line == 3 and "more than 10 values" in message


@pytest.mark.parametrize("number, message", [
    ("1" * 5000, f"more than {yaml_loader.MAX_NUMBER_DIGITS} digits"),
    ("-" + "9" * 101 + ".5", f"more than {yaml_loader.MAX_NUMBER_DIGITS} digits"),
    ("0x" + "f" * 101, f"more than {yaml_loader.MAX_NUMBER_DIGITS} digits"),
    ("1e9999999999999999999", "out of range"),
    ("1e" + "9" * 5000, "out of range"),
    ("2.5E-1001", "out of range"),
])
def test_numbers_beyond_the_limits_are_refused_at_the_scalar(tmp_path: Path, number: str,
                                                            message: str) -> None:
    path = write(tmp_path, f"kind: contract\nid: X\nextra: [1, {number}]\n")
    line, column, text = only(load_error(path))
    assert (line, column) == (3, 12)
    assert message in text and len(text) < 200


def test_numbers_at_the_limits_are_read() -> None:
    data = yaml_loader.parse_yaml("a: " + "9" * 100 + "\nb: 1e1000\nc: 0.5e-1000\n", "n.yaml").data
    assert data == {"a": int("9" * 100), "b": Decimal("1e1000"), "c": Decimal("0.5e-1000")}


def test_a_file_name_with_a_nul_is_an_input_error() -> None:
    assert only(load_error("a\x00b.yaml")) == (None, None, "the file name contains a NUL character")


def test_several_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: contract\nid: A\n---\nkind: contract\nid: B\n")
    assert only(load_error(path))[:2] == (3, 1)


def test_non_string_key_and_python_tag(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: contract\nid: X\n1: one\nt: !!python/object/apply:os.system [ls]\n")
    messages = [(d.line, d.column, d.message) for d in load_error(path).diagnostics]
    assert messages[0] == (3, 1, "key '1' is not a string; quote it if it is meant as one")
    assert messages[1][:2] == (4, 4) and "is not allowed" in messages[1][2]


def test_missing_file_and_missing_required_key(tmp_path: Path) -> None:
    assert only(load_error(tmp_path / "absent.yaml")) == (None, None, "no such file")
    path = write(tmp_path, "kind: contract\nclauses:\n  - title: no id\n")
    assert [(d.line, d.column, d.message) for d in load_error(path).diagnostics] == [
        (1, 1, "missing required key 'id'"),
        (3, 5, "clauses[0]: missing required key 'id'"),
    ]


@pytest.mark.parametrize("text,message", [
    ("margin: {close_out_level: 50}", "margin.close_out_level: 50 is not a percentage: a bare "
                                      "number is a fraction between 0 and 1"),
    ("margin: {close_out_level: fifty}", "'fifty' is not a percentage such as 50%"),
    ("leverage: {fx_majr: 30:1}", "leverage: unknown underlying class 'fx_majr' (did you mean "
                                  "'fx_major'?)"),
    ("leverage: {fx_major: 0}", "is not a leverage ratio such as 30:1"),
    ("minimum_equity: 25000", "25000 is not an amount of money such as EUR 25000"),
    ("minimum_equity: {amount: 1, currency: euro}", "currency 'euro' is not a three-letter"),
    ("effective_date: 2026-13-01", "is not a valid date"),
    ("margin: {cure_period: 2 fortnights}", "is not a duration such as 2 days"),
    ("negative_balance_protection: yes", "'yes' is not true or false"),
    ("title: 2026", "2026 is not text; quote the value"),
    ("clauses: {id: a}", "clauses: must be a list, not a mapping"),
    ("provider: ACME", "provider: must be a mapping of keys, not 'ACME'"),
    ("margin: {notice_channels: [email, fax]}", "'fax' is not allowed; must be one of email"),
])
def test_value_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, f"kind: contract\nid: X\n{text}\n")
    line, column, got = only(load_error(path))
    assert line == 3 and message in got


# ---------------------------------------------------------------------------------------------
# Good input: exact typed values and positions
# ---------------------------------------------------------------------------------------------

def test_typed_values_are_exact() -> None:
    data: dict[str, Any] = dict(load_contract(str(FIXTURES / "typed_values.yaml")).data)
    assert data["effective_date"] == dt.date(2026, 1, 1)
    assert data["leverage"] == {"fx_major": Leverage(Decimal(30)), "gold": Leverage(Decimal(20))}
    assert data["initial_margin"] == {"fx_major": Percent(Decimal("0.0333")),
                                      "crypto": Percent(Decimal("0.5"))}
    assert data["minimum_equity"] == Money(Decimal(25000), "EUR")
    assert data["day_trading"]["minimum_equity"] == Money(Decimal("25000.50"), "USD")
    assert data["day_trading"]["buying_power_multiple"] == Decimal(4)
    assert data["margin"] == {"cure_period": Duration(2, "days"),
                              "close_out_level": Percent(Decimal("0.5"))}
    assert "title" not in data and "provider" not in data  # absent optional fields are omitted


def test_unquoted_ratio_is_not_sexagesimal() -> None:
    loaded = yaml_loader.parse_yaml("a: 30:1\nb: 1:30:00\nc: 0.1\nd: NO\ne: 2026-01-01\n", "t")
    assert loaded.data == {"a": "30:1", "b": "1:30:00", "c": Decimal("0.1"), "d": "NO",
                           "e": "2026-01-01"}
    assert isinstance(loaded.data["c"], Decimal)


def test_positions_of_nested_keys_and_list_items() -> None:
    positions = load_contract(str(FIXTURES / "typed_values.yaml")).positions
    assert positions[()] == Position(1, 1)
    assert positions[("leverage",)] == Position(4, 1)
    assert positions[("leverage", "gold")] == Position(6, 3)
    assert positions[("initial_margin", "crypto")] == Position(7, 35)
    assert positions[("clauses",)] == Position(15, 1)
    assert positions[("clauses", 0)] == Position(16, 5)
    assert positions[("clauses", 0, "text")] == Position(17, 5)
    assert positions[("clauses", 1)] == Position(18, 5)
    assert positions[("clauses", 1, "title")] == Position(18, 18)
    # Columns count characters, not bytes: 平仓顺序 is four columns wide.
    assert positions[("clauses", 1, "text")] == Position(18, 31)


def test_document_carries_path_and_sha256() -> None:
    import hashlib

    path = FIXTURES / "minimal.yaml"
    document = load_contract(str(path))
    assert document.kind == "contract" and document.path == str(path)
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document.data == {"kind": "contract", "id": "MINIMAL-1"}


# ---------------------------------------------------------------------------------------------
# The DSL type, the templates, finding contracts, the schema command
# ---------------------------------------------------------------------------------------------

def test_contract_type_is_derived_from_the_declarations() -> None:
    t = contract_type()
    assert t.kind == "record" and not t.fields["id"].optional and t.fields["title"].optional
    assert t.fields["leverage"].required() == T.map_of(T.LEVERAGE)
    assert t.fields["initial_margin"].element == T.PERCENT
    assert t.fields["effective_date"].kind == "date"
    margin = t.fields["margin"]
    assert margin.kind == "record" and margin.optional
    assert margin.fields["close_out_level"].kind == "percent"
    assert margin.fields["cure_period"].kind == "duration"
    assert margin.fields["notice_channels"].required() == T.list_of(T.STRING)
    assert t.fields["minimum_equity"].kind == "money" and t.fields["minimum_equity"].currency is None
    assert t.fields["negative_balance_protection"].kind == "bool"
    assert t.fields["day_trading"].fields["buying_power_multiple"].kind == "number"
    clause = t.fields["clauses"].element
    assert clause is not None and set(clause.fields) == {"id", "title", "text"}
    assert contract_type() is t  # cached


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_template_loads_and_declares_rulesets(template: Path) -> None:
    data = load_contract(str(template)).data
    assert data["kind"] == "contract" and data["rulesets"]
    assert data["clauses"] and data["disclosures"]["risk_warning"]["text"]
    # The pydantic models accept exactly what the loader accepts.
    model = pydantic_model(Contract).model_validate(yaml_loader.load_yaml(str(template)).data)
    assert model.id == data["id"]


def test_at_least_nine_templates() -> None:
    assert len(TEMPLATES) >= 9


def test_chinese_template_makes_no_promise_of_returns() -> None:
    text = (ROOT / "contract_templates" / "cn_margin_loan_peizi.yaml").read_text(encoding="utf-8")
    for word in ("保本", "保收益", "稳赚", "零风险", "无风险", "保底", "刚性兑付", "配资"):
        assert word not in text


def test_pydantic_model_rejects_what_the_loader_rejects() -> None:
    from pydantic import ValidationError

    for name in ("wrong_type.yaml", "unknown_key.yaml"):
        data = yaml_loader.load_yaml(str(FIXTURES / name)).data
        with pytest.raises(ValidationError):
            pydantic_model(Contract).model_validate(data)


def test_find_contracts_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, "kind: contract\nid: A\n", "b.yaml")
    write(tmp_path, "kind: contract\nid: B\n", "sub/a.yml")
    write(tmp_path, "kind: contract\nid: [broken\n", "sub/broken.yaml")  # found, fails on load
    write(tmp_path, "kind: waivers\n", "waivers.yaml")
    write(tmp_path, "kind: contract\n", "notes.txt")
    assert find_contracts([str(tmp_path)]) == sorted([
        str(tmp_path / "b.yaml"), str(tmp_path / "sub" / "a.yml"),
        str(tmp_path / "sub" / "broken.yaml")])
    assert find_contracts([str(ROOT / "contract_templates")]) == [str(p) for p in TEMPLATES]


def test_find_contracts_named_file_errors(tmp_path: Path) -> None:
    waivers = write(tmp_path, "kind: waivers\n", "w.yaml")
    with pytest.raises(InputError) as caught:
        find_contracts([str(waivers), str(tmp_path / "missing.yaml")])
    assert [(d.line, d.message) for d in caught.value.diagnostics] == [
        (1, "not a contract (kind is 'waivers'); expected 'kind: contract'"),
        (None, "no such file or directory")]


def _to_json(value: Any) -> Any:
    """YAML data as JSON would hold it (what yaml-language-server validates)."""
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def _schema_from_cli(name: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "compliance", "schema", name], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_schema_command_contract_validates_templates() -> None:
    from jsonschema import Draft202012Validator

    schema = _schema_from_cli("contract")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema") and schema["$id"]
    assert schema["properties"]["leverage"]["description"]
    validator = Draft202012Validator(schema)
    for template in TEMPLATES:
        data = _to_json(yaml_loader.load_yaml(str(template)).data)
        assert not list(validator.iter_errors(data)), template.name
    bad = _to_json(yaml_loader.load_yaml(str(FIXTURES / "unknown_key.yaml")).data)
    assert list(validator.iter_errors(bad))
    assert schema == contract_json_schema()


@pytest.mark.parametrize("name", ["snapshot", "findings"])
def test_schema_command_other_schemas(name: str) -> None:
    from jsonschema import Draft202012Validator

    schema = _schema_from_cli(name)
    Draft202012Validator.check_schema(schema)
    if name == "snapshot":
        Draft202012Validator(schema).validate({
            "account_id": "A1", "client_category": "retail", "balance": 1000, "equity": 900,
            "margin_used": 500, "exposure": 10000, "largest_position": 6000})
        assert "account_id" in schema["required"]
    else:
        Draft202012Validator(schema).validate({
            "tool": {"name": "compliance", "version": "0.1.0"},
            "ruleset": {"name": "esma_like", "version": "1", "sha256": "00"},
            "inputs": [{"path": "c.yaml", "sha256": "00"}],
            "findings": [{"rule_id": "R1", "topic": "leverage_cap", "severity": "error",
                          "path": "c.yaml", "line": 3, "column": 3, "subject": "leverage.fx_major",
                          "message": "m", "citation": "c", "fix": "f", "waived": False}],
            "summary": {"errors": 1, "warnings": 0, "info": 0, "rules_evaluated": 1, "passed": 0}})


def test_schema_output_is_deterministic() -> None:
    from compliance.commands.schema import render, schema_for

    first = render(schema_for("contract"))
    assert first == render(schema_for("contract"))
    assert first.endswith("}\n") and '\n  "$defs"' in first


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=12) | st.sampled_from(["NO", "yes", "on", "True", "false", "~", ".inf", "-.5", "0x1F",
                                                "0o17", "+3", "null", "Null", "nan", ".NaN", "1e5"]))
def test_plain_scalars_that_start_like_text_are_text(value: str) -> None:
    # The reader returns a plain scalar as text at once unless its first character may begin a
    # null, a boolean or a number; no core-schema pattern matches anything that starts otherwise.
    from compliance.documents import yaml_loader as Y

    patterns = (Y._NULL_RE, Y._BOOL_RE, Y._INT_RE, Y._OCT_RE, Y._HEX_RE, Y._FLOAT_RE, Y._SPECIAL_FLOAT_RE)
    if value and value[0] not in Y._MAY_START_NON_TEXT:
        assert not any(pattern.match(value) for pattern in patterns)
        assert Y.resolve_plain(value) == value
