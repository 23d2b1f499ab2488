"""`compliance risk`: exit codes, error lines, the seed figures on screen, byte-identical JSON."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from compliance import cli


@pytest.fixture(autouse=True)
def only_the_risk_command(monkeypatch):
    # The CLI frame imports every command module; test this one on its own.
    monkeypatch.setattr(cli, "COMMANDS", {"risk": cli.COMMANDS["risk"]})


SEED_001 = ["risk", "--leverage", "3", "--maintenance", "30%", "--volatility", "15%",
            "--return", "8%", "--rate", "4%", "--risk-free", "2%"]


def test_seed_terms_on_screen(capsys):
    assert cli.main(SEED_001 + ["--paths", "2000"]) == 0
    out = capsys.readouterr().out
    assert "4.76%" in out           # liquidation room at 3x, 30%
    assert "16.00%" in out          # 3·8% - 2·4%
    assert "Sharpe ratio        0.31 (unlevered 0.40)" in out


def test_leverage_as_a_ratio_and_json_figures(capsys):
    assert cli.main(["risk", "--leverage", "2:1", "--maintenance", "0.3", "--paths", "0",
                     "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["liquidation"]["liquidation_drop"] == pytest.approx(2 / 7, abs=1e-9)
    assert report["monte_carlo"] is None


def test_same_seed_gives_byte_identical_json(tmp_path):
    outputs = []
    for name in ("a.json", "b.json"):
        path = tmp_path / name
        assert cli.main(SEED_001 + ["--paths", "5000", "--model", "student-t", "--format", "json",
                                    "--output", str(path)]) == 0
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    other = tmp_path / "c.json"
    assert cli.main(SEED_001 + ["--paths", "5000", "--model", "student-t", "--seed", "7",
                                "--format", "json", "--output", str(other)]) == 0
    assert other.read_bytes() != outputs[0]
    mc = json.loads(outputs[0])["monte_carlo"]
    assert mc["paths"] == 5000 and 0 < mc["liquidation_probability"] < 1


@pytest.mark.parametrize("flags, where", [
    (["--leverage", "3", "--maintenance", "abc"], "--maintenance"),
    (["--leverage", "0", "--maintenance", "30%"], "--leverage"),
    (["--leverage", "-2", "--maintenance", "30%"], "--leverage"),
    (["--leverage", "3", "--maintenance", "100%"], "--maintenance"),
    (["--leverage", "3", "--maintenance", "30"], "--maintenance"),
    (["--leverage", "3"], "--maintenance"),
    (["--maintenance", "30%"], "--leverage"),
    (["--leverage", "3", "--maintenance", "30%", "--close-out", "50%"], "--close-out"),
    (["--leverage", "3", "--close-out", "50%", "--volatility", "0%"], "--volatility"),
    (["--leverage", "3", "--close-out", "50%", "--horizon", "0"], "--horizon"),
    (["--leverage", "3", "--close-out", "50%", "--model", "student-t", "--df", "2"], "--df"),
    (["--leverage", "3", "--collateral-ratio", "90%"], "--collateral-ratio"),
])
def test_bad_values_exit_2_with_one_error_line(capsys, flags, where):
    assert cli.main(["risk"] + flags) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{where}: error: ")
    assert "Traceback" not in err


def test_no_numpy_when_the_parser_is_built():
    # Building the parser imports this command module; numpy must wait for run().
    code = ("import sys; import compliance.commands.risk; "
            "assert 'numpy' not in sys.modules, 'numpy imported at module level'")
    subprocess.run([sys.executable, "-c", code], check=True)


CONTRACT = """\
kind: contract
id: TEST-CFD
title: Test CFD agreement
product: {type: cfd}
leverage: {fx_major: "30:1", equity: "5:1"}
margin: {close_out_level: 50%, warning_level: 80%}
financing: {annual_rate: 6%}
negative_balance_protection: true
"""

needs_contracts = pytest.mark.skipif(
    importlib.util.find_spec("compliance.documents.contract") is None,
    reason="the contract loader is not there yet")


@needs_contracts
def test_contract_terms(tmp_path, capsys):
    path = tmp_path / "cfd.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    assert cli.main(["risk", str(path), "--paths", "0", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["terms"]["class"] == "fx_major" and report["terms"]["rule"] == "close_out"
    assert report["terms"]["financing_rate"] == pytest.approx(0.06)
    assert report["liquidation"]["liquidation_drop"] == pytest.approx(0.5 / 29.5, abs=1e-9)
    assert report["liquidation"]["warning_drop"] == pytest.approx(0.2 / 29.2, abs=1e-9)
    by_class = {row["class"]: row["liquidation_drop"] for row in report["liquidation"]["by_class"]}
    assert by_class["equity"] == pytest.approx(0.5 / 4.5, abs=1e-9)


@needs_contracts
def test_contract_with_an_unknown_class_is_exit_2(tmp_path, capsys):
    path = tmp_path / "cfd.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    assert cli.main(["risk", str(path), "--class", "gold"]) == 2
    assert capsys.readouterr().err.startswith("--class: error: ")
