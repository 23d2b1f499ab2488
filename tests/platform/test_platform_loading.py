"""Platform profiles: validation errors at their place (exit 2), the referenced contracts as the
derived ``contracts`` list, ``check`` finding ``kind: platform`` files, and the JSON Schema."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.documents.platform import load_platform
from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
BROKER = ROOT / "platform_profiles" / "licensed_broker.yaml"
CONTRACT = ROOT / "contract_templates" / "cn_securities_margin_rzrq.yaml"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]


# (what is wrong, the profile body after kind/id, the line and column the error must point at,
#  a word the message must name)
BAD_PROFILES = [
    ("a percentage above 1 without the sign", "leverage:\n  close_out_collateral_ratio: 130\n", 4, 3,
     "close_out_collateral_ratio"),
    ("an unknown key", "depository:\n  arangement: none\n", 4, 3, "arangement"),
    ("a value outside the vocabulary", "depository:\n  arrangement: trust_me\n", 4, 3, "arrangement"),
    ("a funding source without its type", "funding:\n  sources:\n    - share: 50%\n", 5, 7, "type"),
    ("a date that is not a date", "licence:\n  valid_until: next year\n", 4, 3, "valid_until"),
    ("a top-level derived key written by hand", "contracts: []\n", 3, 1, "contracts"),
]


@pytest.mark.parametrize(("why", "body", "line", "column", "names"), BAD_PROFILES,
                         ids=[case[0] for case in BAD_PROFILES])
def test_invalid_profiles_are_positioned_input_errors(tmp_path, capsys, why, body, line, column, names):
    profile = _write(tmp_path, "p.yaml", "kind: platform\nid: p\n" + body)
    assert main(["check", str(profile), "--ruleset", "platform_due_diligence"]) == 2
    errors = _errors(capsys)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{profile}:{line}:{column}: error: ")
    assert names in errors[0]


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    profile = _write(tmp_path, "p.yaml", """\
        kind: platform
        id: p
        licence:
          issued_on: soon
        leverage:
          maximum: lots
        """)
    assert main(["check", str(profile), "--ruleset", "platform_due_diligence"]) == 2
    assert [e.split(": error: ")[0] for e in _errors(capsys)] == [f"{profile}:4:3", f"{profile}:6:3"]


def test_the_referenced_contracts_become_the_derived_contracts_list(tmp_path):
    shutil.copy(CONTRACT, tmp_path / "agreement.yaml")
    profile = _write(tmp_path, "sub/p.yaml", """\
        kind: platform
        id: p
        references:
          contracts:
            - ../agreement.yaml
        """)
    document = load_platform(str(profile))
    (contract,) = document.data["contracts"]
    assert contract["file"] == str(tmp_path / "agreement.yaml")
    assert contract["custody"]["custodian"] == "示例银行股份有限公司"
    # A finding on any field of the contract points at the profile line that references it.
    reference = document.positions[("references", "contracts", 0)]
    assert document.position_of(("contracts", 0, "custody", "custodian")) == reference
    assert reference.line == 5


@pytest.mark.parametrize(("reference", "why"), [
    ("missing.yaml", "names no file"),
    ("notes.txt", "not a contract file"),
    ("other_profile.yaml", "not a contract"),
], ids=["no such file", "not YAML", "a profile, not a contract"])
def test_unusable_references_are_errors_at_the_reference(tmp_path, capsys, reference, why):
    _write(tmp_path, "notes.txt", "secret line\n")
    _write(tmp_path, "other_profile.yaml", "kind: platform\nid: q\n")
    profile = _write(tmp_path, "p.yaml", f"kind: platform\nid: p\nreferences:\n  contracts:\n    - {reference}\n")
    assert main(["check", str(profile), "--ruleset", "platform_due_diligence"]) == 2
    err = capsys.readouterr().err
    assert f"{profile}:5:7: error: references.contracts[0]" in err and why in err
    assert "secret line" not in err  # a reference never makes the tool print another file's content


def test_an_invalid_referenced_contract_is_reported_in_its_own_file(tmp_path, capsys):
    contract = _write(tmp_path, "c.yaml", "kind: contract\nid: c\nleverage:\n  equity: lots\n")
    profile = _write(tmp_path, "p.yaml", "kind: platform\nid: p\nreferences:\n  contracts: [c.yaml]\n")
    assert main(["check", str(profile), "--ruleset", "platform_due_diligence"]) == 2
    (error,) = _errors(capsys)
    assert error.startswith(f"{contract}:4:3: error: ")


def test_check_finds_platform_profiles_in_directories(tmp_path, capsys):
    _write(tmp_path, "a/p.yaml", "kind: platform\nid: p\nrulesets: [platform_due_diligence]\n")
    shutil.copy(CONTRACT, tmp_path / "a" / "c.yaml")
    assert main(["check", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {Path(item["path"]).name for item in report["inputs"]} == {"p.yaml", "c.yaml"}
    assert {f["rule_id"] for f in report["findings"] if f["path"].endswith("p.yaml")} >= {"PDD-DEP-1"}


def test_a_contract_is_not_a_platform_profile():
    with pytest.raises(InputError) as error:
        load_platform(str(CONTRACT))
    assert "expected 'kind: platform'" in error.value.diagnostics[0].message


def test_the_json_schema_is_derived_from_the_declarations(capsys):
    from compliance.documents.platform_models import Platform

    assert main(["schema", "platform"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$id"] == "urn:compliance:schema:platform"
    assert set(schema["properties"]) == set(Platform.fields())
    assert schema["required"] == ["kind", "id"]


def test_the_dsl_type_of_a_profile_includes_the_contract_fields():
    from compliance.documents.contract import contract_type
    from compliance.documents.platform import platform_type

    contracts = platform_type().fields["contracts"]
    assert set(contracts.element.fields) == set(contract_type().fields) | {"file"}
