"""No input can start a line of a report or write a terminal escape: newlines and control
characters in contract, ruleset or snapshot text (and file names) are escaped in the text report;
GitHub annotations escape every control character besides the runner's own rules."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_support import BROKEN, run_main

from compliance.report.github import escape_data, escape_property
from compliance.report.text import escape_controls

FORGED = "::error file=x.yaml,line=1::forged"
HOSTILE = f"a\n{FORGED}\r\n\x1b[2J\x07\x85\u2028tail"


def _contract(folder: Path, name: str = "contract.yaml") -> Path:
    text = BROKEN.read_text(encoding="utf-8")
    # The id shows in the report's heading; YAML's double quotes carry the control characters.
    escaped = HOSTILE.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    text = re.sub(r"(?m)^id: .*$", lambda _: f'id: "{escaped}"', text, count=1)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _rules(folder: Path) -> Path:
    path = folder / "inject.rules"
    path.write_text("ruleset inject\n  version \"1.0.0\"\n\nrule INJ-1 \"title\\n::error::t\"\n"
                    "  topic leverage_cap\n  severity error\n  citation \"c\x1b[31m\\n::warning::c\"\n"
                    "  require false\n  message \"m\\n::error file=y::injected {id}\"\n"
                    "  fix \"f\\t\\n::notice::fix\"\n", encoding="utf-8")
    return path


def _no_forged_lines(report: str, allowed_commands: bool) -> None:
    for line in report.split("\n"):
        if not allowed_commands:
            assert not line.startswith("::"), line
        assert "\x1b" not in line and "\x07" not in line and "\r" not in line and "\x85" not in line
        assert "\u2028" not in line
    assert FORGED not in report.split("\n")


@pytest.mark.parametrize("ruleset", ["esma_like", "file"])
def test_the_text_report_escapes_controls_from_every_input(tmp_path: Path, ruleset: str) -> None:
    contract = _contract(tmp_path, "con\ntract\x1b.yaml")
    spec = str(_rules(tmp_path)) if ruleset == "file" else ruleset
    result = run_main("check", str(contract), "--ruleset", spec, cwd=tmp_path)
    assert result.code == 1, result.err
    _no_forged_lines(result.out, allowed_commands=False)
    assert "\\n::error file=x.yaml" in result.out       # shown, escaped, on the heading's line
    assert "con\\ntract\\x1b.yaml" in result.out


def test_github_annotations_carry_no_control_character(tmp_path: Path) -> None:
    contract = _contract(tmp_path, "con\ntract\x1b.yaml")
    result = run_main("check", str(contract), "--ruleset", str(_rules(tmp_path)), "--format", "github",
                     cwd=tmp_path)
    assert result.code == 1, result.err
    lines = result.out.rstrip("\n").split("\n")
    *annotations, summary = lines
    assert annotations and all(line.startswith("::error ") for line in annotations)
    assert not summary.startswith("::")
    for line in lines:
        assert not re.search("[\x00-\x1f\x7f-\x9f]", line), repr(line)
    assert "file=con%0Atract%1B.yaml" in annotations[0]


@pytest.mark.parametrize("text, data, prop", [
    ("50%", "50%25", "50%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("k: v, w", "k: v, w", "k%3A v%2C w"),
    ("\x1b[31m\x07\x00\x7f\x9b", "%1B[31m%07%00%7F%9B", "%1B[31m%07%00%7F%9B"),
    ("\u2028", "%E2%80%A8", "%E2%80%A8"),
    ("plain ü 中", "plain ü 中", "plain ü 中"),
])
def test_github_escaping_rules(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


@pytest.mark.parametrize("text, shown", [
    ("a\nb", "a\\nb"), ("a\r\nb", "a\\r\\nb"), ("\x1b[2J", "\\x1b[2J"), ("\x07", "\\x07"),
    ("\x85", "\\x85"), ("\u2029", "\\u2029"), ("tab\tkept", "tab\tkept"), ("ü 中", "ü 中"),
])
def test_text_escaping_rules(text: str, shown: str) -> None:
    assert escape_controls(text) == shown


@pytest.mark.parametrize("command", [["list"], ["show", "INJ-1"], ["test"]])
def test_rules_commands_escape_controls_of_the_ruleset(tmp_path: Path, command: list[str]) -> None:
    rules = _rules(tmp_path)
    args = ["rules", *command, "--ruleset", str(rules)] if command[0] != "test" else \
        ["rules", "test", str(rules)]
    result = run_main(*args, cwd=tmp_path)
    assert result.code in (0, 1), result.err
    assert "\x1b" not in result.out and "\r" not in result.out
