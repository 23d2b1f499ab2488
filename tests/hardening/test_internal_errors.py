"""Internal errors (exit 3): one line asking for a bug report, no traceback unless --debug."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hardening_support import ROOT

from compliance import cli
from compliance.commands import check, rules

CONTRACT = str(ROOT / "contract_templates" / "eu_retail_cfd.yaml")


def _boom(args: object) -> int:
    raise RuntimeError("boom")


@pytest.mark.parametrize("module,argv", [
    (check, ["check", CONTRACT, "--ruleset", "esma_like"]),
    (rules, ["rules", "list"]),
])
def test_an_internal_error_is_one_line_and_exit_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], module, argv) -> None:
    monkeypatch.setattr(module, "run", _boom)
    assert cli.main(argv) == cli.EXIT_INTERNAL
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "Traceback" not in err
    assert err.startswith("compliance: internal error (RuntimeError): boom.")
    assert "bug" in err and "report" in err and "--debug" in err


@pytest.mark.parametrize("where", [["--debug", "check"], ["check", "--debug"]])
def test_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch, where: list[str]) -> None:
    monkeypatch.setattr(check, "run", _boom)
    argv = where + [CONTRACT, "--ruleset", "esma_like"]
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(argv)


def _child(debug: bool) -> subprocess.CompletedProcess[str]:
    code = ("import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from compliance.commands import check\n"
            "def boom(args): raise RuntimeError('boom')\n"
            "check.run = boom\n"
            "from compliance.cli import main\n"
            f"raise SystemExit(main({(['--debug'] if debug else []) + ['check', CONTRACT]!r}))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_real_process_exits_3_without_a_traceback() -> None:
    done = _child(debug=False)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_real_process_with_debug_shows_the_traceback() -> None:
    done = _child(debug=True)
    assert done.returncode == 1  # the uncaught exception, as Python reports it
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: boom" in done.stderr


def test_input_errors_are_exit_2_with_positions(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: contract\nid: [unclosed\n", encoding="utf-8")
    assert cli.main(["check", str(bad), "--ruleset", "esma_like"]) == cli.EXIT_INPUT
    _out, err = capsys.readouterr()
    assert err.startswith(f"{bad}:3:1: error: invalid YAML") or err.startswith(f"{bad}:2:")
    assert "Traceback" not in err
