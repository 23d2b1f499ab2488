"""``compliance rules list|show|test|fmt``, ``compliance schema ...`` and ``python -m compliance``,
through the command line as users run them (``compliance.cli.main`` in-process, plus one real
subprocess for the module entry point)."""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from compliance import __version__
from compliance.cli import main

ROOT = Path(__file__).resolve().parents[1]
ESMA = ROOT / "rulesets" / "esma_like.rules"

CHILD = '''\
ruleset house_eu
  version "2"
  extends esma_like

disable ESMA-INC-2 because "research tools are reviewed by hand in this firm"
'''

TESTED = '''\
ruleset tested
  version "1"

rule T-NBP-1 "Negative balance protection"
  topic negative_balance_protection
  severity error
  citation "Art. 2(c)"
  require negative_balance_protection == true

test "protection stated"
  given contract {negative_balance_protection: true}
  expect T-NBP-1 passed

test "protection stated, wrongly expected to fail"
  given contract {negative_balance_protection: true}
  expect T-NBP-1 failed
'''

MESSY = '''\
ruleset   messy
    version "1"
rule M-NBP-1 "nbp"
      topic negative_balance_protection
  severity error
  citation "x"
  require   negative_balance_protection==true
test "t"
  given contract {negative_balance_protection: true}
  expect M-NBP-1 passed
'''


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def esma_rule_ids() -> list[str]:
    """The rule ids of the built-in ruleset, read from its source (not from the tool)."""
    return re.findall(r"^rule (\S+) ", ESMA.read_text(encoding="utf-8"), flags=re.MULTILINE)


# ---- rules list ---------------------------------------------------------------------------------

def test_list_shows_every_rule_with_severity_and_topic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "list", "--ruleset", "esma_like")
    assert code == 0 and err == ""
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert out.splitlines()[0].split()[:3] == ["RULE", "SEVERITY", "TOPIC"]
    assert set(rows) == set(esma_rule_ids())
    assert rows["ESMA-LEV-1"][1:4] == ["error", "leverage_cap", "contract"]
    assert rows["ESMA-NBP-1"][1:3] == ["error", "negative_balance_protection"]
    assert rows["ESMA-ACC-MCO-1"][3] == "account"
    assert "Disabled:" not in out


def test_list_names_disabled_rules_with_their_reason(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    child = tmp_path / "house_eu.rules"
    child.write_text(CHILD, encoding="utf-8")
    code, out, _err = run(capsys, "rules", "list", "--ruleset", str(child))
    assert code == 0
    table, disabled = out.split("\nDisabled:\n")
    listed = {line.split()[0] for line in table.splitlines()[1:]}
    assert listed == set(esma_rule_ids()) - {"ESMA-INC-2"}
    # inherited rules say where they were defined
    assert re.search(r"^ESMA-LEV-1 .*house_eu \(esma_like\)$", table, flags=re.MULTILINE)
    assert disabled.strip() == ("ESMA-INC-2 in house_eu (by house_eu): research tools are reviewed by "
                                "hand in this firm")


def test_list_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = tmp_path / "house_eu.rules"
    child.write_text(CHILD, encoding="utf-8")
    code, out, _err = run(capsys, "rules", "list", "--ruleset", "esma_like", "--ruleset", str(child),
                          "--format", "json")
    assert code == 0
    payload = json.loads(out)
    by_ruleset: dict[str, set[str]] = {}
    for row in payload["rules"]:
        by_ruleset.setdefault(row["ruleset"], set()).add(row["rule_id"])
    assert by_ruleset["esma_like"] == set(esma_rule_ids())
    assert by_ruleset["house_eu"] == set(esma_rule_ids()) - {"ESMA-INC-2"}
    lev = next(row for row in payload["rules"] if row["rule_id"] == "ESMA-LEV-1" and row["ruleset"] == "house_eu")
    assert (lev["severity"], lev["topic"], lev["applies_to"], lev["defined_in"]) == \
        ("error", "leverage_cap", "contract", "esma_like")
    assert payload["disabled"] == [{"rule_id": "ESMA-INC-2", "ruleset": "house_eu", "disabled_by": "house_eu",
                                    "reason": "research tools are reviewed by hand in this firm"}]


def test_list_without_ruleset_covers_every_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "rules", "list", "--format", "json")
    assert code == 0
    names = {row["ruleset"] for row in json.loads(out)["rules"]}
    assert names == {path.stem for path in (ROOT / "rulesets").glob("*.rules")}


def test_list_of_an_unknown_ruleset_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "list", "--ruleset", "no_such_ruleset")
    assert code == 2 and out == ""
    assert "error:" in err and "no_such_ruleset" in err and "Traceback" not in err


# ---- rules show ---------------------------------------------------------------------------------

def test_show_prints_citation_source_exceptions_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "show", "ESMA-LEV-1", "--ruleset", "esma_like")
    assert code == 0 and err == ""
    source = ESMA.read_text(encoding="utf-8").split("\n")
    start = source.index('rule ESMA-LEV-1 "Leverage caps per underlying class (stated as leverage)"')
    assert out.startswith("ESMA-LEV-1: Leverage caps per underlying class (stated as leverage)\n")
    assert "  citation:   Decision (EU) 2018/796, Art. 2(a) and Annex I" in out
    assert f"  defined at: rulesets/esma_like.rules:{start + 1}:1" in out
    # the rule's source, verbatim, up to its fix clause
    body = out.split("\nSource:\n")[1].split("\n\nExceptions:\n")[0].split("\n")
    assert body[0] == "  " + source[start]
    assert body[-1].strip().startswith("fix ") and body[-1] == "  " + source[start + len(body) - 1]
    assert any("  require offered <= retail_cap[class]" in line for line in body)
    # the professional-client exemption of its section, with where it is written
    exceptions = out.split("\nExceptions:\n")[1]
    pro_line = next(n for n, line in enumerate(source) if line.startswith("exception ESMA-CFD-PRO to section cfd_contracts"))
    assert exceptions.startswith("  ESMA-CFD-PRO: Professional clients and eligible counterparties are outside the measures "
                                 f"(rulesets/esma_like.rules:{pro_line + 1})")
    assert "when client.category in exempt_categories" in exceptions
    # the parameters it reads, with their dated values
    params = out.split("\nParameters:\n")[1]
    assert "  retail_cap (from esma_like):" in params and "fx_major: 30:1" in params
    assert re.search(r"cfd_measures_in_force \(from esma_like\):\n\s+always\s+false\n\s+from 2018-08-01\s+true",
                     params)
    assert "  exempt_categories (from esma_like):" in params


def test_show_unknown_rule_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "show", "ESMA-LEV-9", "--ruleset", "esma_like")
    assert code == 2 and out == ""
    found = re.fullmatch(r"RULE_ID: error: no rule ESMA-LEV-9 in esma_like \(did you mean '(ESMA-LEV-\d)'\?\)\n",
                         err)
    assert found and found.group(1) in esma_rule_ids()
    # nothing close: no suggestion at all
    code, _out, err = run(capsys, "rules", "show", "ZZZ", "--ruleset", "esma_like")
    assert code == 2 and err == "RULE_ID: error: no rule ZZZ in esma_like\n"


def test_show_disabled_rule_says_who_disabled_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = tmp_path / "house_eu.rules"
    child.write_text(CHILD, encoding="utf-8")
    code, _out, err = run(capsys, "rules", "show", "ESMA-INC-2", "--ruleset", str(child))
    assert code == 2
    assert "no rule ESMA-INC-2 in house_eu; house_eu disables it: research tools are reviewed by hand" in err


def test_show_inherited_rule_names_its_origin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = tmp_path / "house_eu.rules"
    child.write_text(CHILD, encoding="utf-8")
    code, out, _err = run(capsys, "rules", "show", "ESMA-NBP-1", "--ruleset", str(child))
    assert code == 0
    assert "  ruleset:    house_eu (esma_like) 2\n" in out
    assert 'rule ESMA-NBP-1 "Negative balance protection"' in out.split("\nSource:\n")[1]


# ---- rules test ---------------------------------------------------------------------------------

def test_builtin_in_file_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "rules", "test", "--ruleset", "esma_like")
    expected = len(re.findall(r"^test ", ESMA.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == f"{expected} passed, 0 failed"
    assert all(line.startswith("PASS ") for line in lines[:-1]) and len(lines) == expected + 1


def test_wrong_expectation_fails_with_a_located_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "tested.rules"
    rules.write_text(TESTED, encoding="utf-8")
    expect_line = TESTED.split("\n").index("  expect T-NBP-1 failed") + 1
    code, out, _err = run(capsys, "rules", "test", str(rules))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "PASS protection stated"
    assert lines[1] == "FAIL protection stated, wrongly expected to fail"
    assert lines[2] == f"  {rules}:{expect_line}:3: expected T-NBP-1 to be failed, got passed"
    assert lines[-1] == "1 passed, 1 failed"


def test_test_json_and_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "tested.rules").write_text(TESTED, encoding="utf-8")
    code, out, _err = run(capsys, "rules", "test", str(tmp_path), "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert payload["summary"] == {"passed": 1, "failed": 1}
    failing = payload["tests"][1]
    assert failing["passed"] is False and failing["ruleset"] == "tested"
    assert failing["expectations"][0] | {"explanations": None} == {
        "rule_id": "T-NBP-1", "expected": "failed", "actual": "passed", "passed": False,
        "line": TESTED.split("\n").index("  expect T-NBP-1 failed") + 1, "column": 3, "explanations": None}


def test_test_of_an_empty_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "rules", "test", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: error: no .rules files in this folder" in err


# ---- rules fmt ----------------------------------------------------------------------------------

def test_fmt_check_rewrite_and_idempotence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = tmp_path / "messy.rules"
    messy.write_text(MESSY, encoding="utf-8")

    code, out, _err = run(capsys, "rules", "fmt", "--check", str(messy))
    assert (code, out) == (1, f"would reformat {messy}\n")
    assert messy.read_text(encoding="utf-8") == MESSY          # --check changes nothing

    code, out, _err = run(capsys, "rules", "fmt", "--diff", str(messy))
    assert code == 1 and messy.read_text(encoding="utf-8") == MESSY
    assert out.startswith(f"--- {messy}\n+++ {messy} (formatted)\n@@ ")
    assert "\n-ruleset   messy\n" in out and "\n+ruleset messy\n" in out
    assert "\n-      topic negative_balance_protection\n+  topic negative_balance_protection\n" in out

    code, out, _err = run(capsys, "rules", "fmt", str(messy))
    assert (code, out) == (0, f"reformatted {messy}\n")
    formatted = messy.read_text(encoding="utf-8")
    assert formatted.startswith('ruleset messy\n  version "1"\n\nrule M-NBP-1 "nbp"\n'
                                "  topic negative_balance_protection\n")
    assert "  require negative_balance_protection == true\n\ntest \"t\"\n" in formatted

    # canonical now: check passes, a second run changes nothing, and the meaning is kept
    assert run(capsys, "rules", "fmt", "--check", str(messy))[:2] == (0, "")
    assert run(capsys, "rules", "fmt", str(messy))[:2] == (0, "")
    assert messy.read_text(encoding="utf-8") == formatted
    assert run(capsys, "rules", "test", str(messy))[1].splitlines()[-1] == "1 passed, 0 failed"


def test_fmt_check_on_the_builtin_rulesets_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "rules", "fmt", "--check")[:2] == (0, "")


def test_fmt_reports_a_syntax_error_with_its_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text('ruleset broken\n  version "1"\n\nrule X-1 "x"\n  require ((\n', encoding="utf-8")
    code, out, err = run(capsys, "rules", "fmt", str(broken))
    assert code == 2 and out == ""
    assert re.search(rf"^{re.escape(str(broken))}:\d+:\d+: error: ", err, flags=re.MULTILINE)


# ---- schema -------------------------------------------------------------------------------------

def schema(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, Any]:
    code, out, err = run(capsys, "schema", name)
    assert code == 0 and err == ""
    assert out.endswith("}\n")
    return json.loads(out)


@pytest.mark.parametrize("name", ["contract", "snapshot", "findings"])
def test_schemas_are_valid_draft_2020_12(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = schema(capsys, name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # deterministic output: the same bytes twice
    assert main(["schema", name]) == 0
    assert capsys.readouterr().out == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _json_ready(value: Any) -> Any:
    """YAML 1.1 data as JSON holds it: dates become ISO text."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def test_contract_schema_accepts_the_template_and_rejects_unknown_keys(
        capsys: pytest.CaptureFixture[str]) -> None:
    validator = Draft202012Validator(schema(capsys, "contract"))
    template = yaml.safe_load((ROOT / "contract_templates" / "eu_retail_cfd.yaml").read_text(encoding="utf-8"))
    data = _json_ready(template)
    assert [error.message for error in validator.iter_errors(data)] == []
    # PyYAML reads 30:1 as a YAML 1.1 base-60 integer (1801); the quoted text form validates too
    assert validator.is_valid({**data, "leverage": {"fx_major": "30:1", "crypto": "2:1"}})
    assert not validator.is_valid({**data, "levarage": {"fx_major": "30:1"}})
    assert not validator.is_valid({**data, "client": {**data["client"], "category": "amateur"}})
    assert not validator.is_valid({**data, "leverage": {"fx_major": "thirty"}})


def test_snapshot_schema_states_the_required_columns(capsys: pytest.CaptureFixture[str]) -> None:
    validator = Draft202012Validator(schema(capsys, "snapshot"))
    row = {"account_id": "A1", "client_category": "retail", "balance": 1000, "equity": "400.50",
           "margin_used": 1000, "exposure": 30000, "currency": "EUR", "instrument_class": "fx_major"}
    assert validator.is_valid(row)
    for column in ("account_id", "client_category", "balance", "equity", "margin_used", "exposure"):
        assert not validator.is_valid({k: v for k, v in row.items() if k != column}), column
    assert not validator.is_valid({**row, "currency": "euro"})


def test_findings_schema_validates_check_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    validator = Draft202012Validator(schema(capsys, "findings"))
    code, out, _err = run(capsys, "check", "tests/fixtures/broken/ESMA-LEV-1.yaml", "--ruleset", "esma_like",
                          "--format", "json", "--as-of", "2026-01-01")
    assert code == 1
    report = json.loads(out)
    # the breach, and the fixture's unstated calculation date of its loss percentage
    assert [(f["rule_id"], f["outcome"]) for f in report["findings"]] == [
        ("ESMA-LEV-1", "failed"), ("ESMA-RW-6", "not_stated")]
    assert [error.message for error in validator.iter_errors(report)] == []
    report["findings"][1]["outcome"] = "unknown"          # not an outcome a finding can have
    assert not validator.is_valid(report)
    report["findings"][1]["outcome"] = "not_stated"
    report["findings"][0]["topic"] = "leverage"           # not in the controlled vocabulary
    assert not validator.is_valid(report)


def test_unknown_schema_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schema", "waivers")
    assert code == 2 and out == ""
    assert err.startswith("compliance schema: error: ") and "invalid choice: 'waivers'" in err


def test_schema_for_rejects_unknown_names() -> None:
    from compliance.commands.schema import schema_for
    with pytest.raises(ValueError, match="unknown schema 'waivers'"):
        schema_for("waivers")


# ---- python -m compliance -----------------------------------------------------------------------

def _module(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "compliance", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_python_dash_m_version_and_help() -> None:
    done = _module("--version")
    assert (done.returncode, done.stdout) == (0, f"compliance {__version__} (leverage-compliance)\n")
    done = _module("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: compliance ")
    for command in ("check", "audit", "disclose", "rules", "schema"):
        assert command in done.stdout


def test_main_module_exits_with_the_cli_code(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # in-process too, so that the entry module is measured
    monkeypatch.setattr(sys, "argv", ["compliance", "--version"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("compliance", run_name="__main__")
    assert done.value.code == 0
    assert capsys.readouterr().out == f"compliance {__version__} (leverage-compliance)\n"
    monkeypatch.setattr(sys, "argv", ["compliance", "schema", "nothing"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("compliance", run_name="__main__")
    assert done.value.code == 2
