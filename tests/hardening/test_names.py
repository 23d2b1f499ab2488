"""Paths and names of any length or content (300 characters, over PATH_MAX, a NUL, a lone
surrogate) give exit 2 with a readable message, never an internal error; an empty ``--ruleset``
is an error; JSON snapshots with lone surrogates in ids, categories or column names are refused
at the string."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_support import SNAPSHOT_CSV, copy_contract, picture, run_main

from compliance.cli import main
from compliance.documents.files import MAX_PATH_CHARS, SHOWN_PATH_CHARS

LONG = "x" * 300                       # over NAME_MAX (255 bytes)
OVER_PATH_MAX = "d/" * (MAX_PATH_CHARS // 2 + 10) + "c.yaml"


def _cases(folder: Path) -> dict[str, list[str]]:
    contract = str(copy_contract(folder))
    snapshot = folder / "accounts.csv"
    snapshot.write_text(SNAPSHOT_CSV, encoding="utf-8")
    return {
        "contract": ["check", "{name}", "--ruleset", "esma_like"],
        "ruleset name": ["check", contract, "--ruleset", "{name}"],
        "ruleset file": ["check", contract, "--ruleset", "{name}.rules"],
        "template": ["check", contract, "--ruleset", "esma_like", "--template", "{name}"],
        "output": ["check", contract, "--ruleset", "esma_like", "--output", "{name}"],
        "waivers": ["check", contract, "--ruleset", "esma_like", "--waivers", "{name}"],
        "snapshot": ["audit", "{name}.csv", "--ruleset", "esma_like"],
        "fx rates": ["audit", str(snapshot), "--ruleset", "esma_like", "--fx-rates", "{name}"],
        "audit ruleset": ["audit", str(snapshot), "--ruleset", "{name}"],
    }


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("which", ["contract", "ruleset name", "ruleset file", "template", "output",
                                   "waivers", "snapshot", "fx rates", "audit ruleset"])
@pytest.mark.parametrize("name", ["long", "over-path-max", "nul", "surrogate"])
def test_any_name_is_exit_2_with_a_readable_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, which: str,
                                                    name: str) -> None:
    monkeypatch.chdir(tmp_path)
    written = {"long": LONG, "over-path-max": OVER_PATH_MAX, "nul": "a\x00b",
               "surrogate": "s\ud800t"}[name]
    args = [part.replace("{name}", written) for part in _cases(tmp_path)[which]]
    before = picture(tmp_path)
    code, err = _cli(args, capsys)
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    first = err.splitlines()[0]
    assert re.match(r"^\S.*: error: \S", first), first
    assert "\x00" not in err and "\ud800" not in err        # shown escaped
    assert len(first) < SHOWN_PATH_CHARS + 400              # a long name is cut in the message
    err.encode("utf-8")                                     # printable as UTF-8
    assert picture(tmp_path) == before


@pytest.mark.parametrize("value", ["", ",", " , ", "esma_like,", ",esma_like", "esma_like,,fca_like"])
def test_an_empty_ruleset_name_is_an_error(tmp_path: Path, value: str) -> None:
    contract = copy_contract(tmp_path)
    result = run_main("check", str(contract), "--ruleset", value, cwd=tmp_path)
    assert result.code == 2, result.out
    assert result.err.startswith("--ruleset: error: empty ruleset name")


@pytest.mark.parametrize("value", ["", ",", " "])
def test_an_empty_audit_ruleset_is_an_error(tmp_path: Path, value: str) -> None:
    snapshot = tmp_path / "accounts.csv"
    snapshot.write_text(SNAPSHOT_CSV, encoding="utf-8")
    result = run_main("audit", str(snapshot), "--ruleset", value, cwd=tmp_path)
    assert result.code == 2 and result.err.startswith("--ruleset: error: empty ruleset name")


def _account(**changes: str) -> str:
    fields = {"account_id": "A-1", "client_category": "retail", "balance": "1000", "equity": "-5",
              "margin_used": "100", "exposure": "3000", "currency": "EUR"}
    fields.update(changes)
    return "{" + ", ".join(f'"{key}": "{value}"' for key, value in fields.items()) + "}"


@pytest.mark.parametrize("where, account", [
    ("id", _account(account_id="A\\ud800")),
    ("category", _account(client_category="ret\\udfffail")),
    ("currency", _account(currency="\\udc00UR")),
    ("column", _account(**{"x\\ud800": "1"})),
])
def test_a_json_snapshot_with_a_lone_surrogate_is_refused_at_the_string(tmp_path: Path, where: str,
                                                                       account: str) -> None:
    path = tmp_path / "accounts.json"
    text = '{"accounts": [\n' + _account(account_id="A-0") + ",\n" + account + "\n]}\n"
    path.write_text(text, encoding="utf-8")
    before = picture(tmp_path)
    result = run_main("audit", str(path), "--ruleset", "esma_like", cwd=tmp_path)
    assert result.code == 2, result.err
    line_text = text.split("\n")[2]
    column = line_text.index("\\ud") if "\\ud" in line_text else line_text.index("\\udc")
    column = line_text.rindex('"', 0, column) + 1
    assert re.match(rf"^{re.escape(str(path))}:3:{column}: error: .*lone surrogate", result.err), result.err
    assert picture(tmp_path) == before


def test_a_json_snapshot_with_a_surrogate_pair_is_read(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"accounts": [' + _account(account_id="A\\ud83d\\ude00") + "]}\n", encoding="utf-8")
    result = run_main("audit", str(path), "--ruleset", "esma_like", "--format", "json", cwd=tmp_path)
    assert result.code in (0, 1), result.err
    assert "A\U0001F600" in result.out or "A\\ud83d\\ude00" in result.out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown", "html"])
def test_a_file_name_that_is_not_utf8_renders_in_every_format(tmp_path: Path, fmt: str) -> None:
    import os

    name = os.fsdecode(b"bad\xff.yaml")          # as Python sees such a name: surrogateescape
    copy_contract(tmp_path, name)
    result = run_main("check", name, "--ruleset", "esma_like", "--format", fmt, cwd=tmp_path)
    assert result.code == 0, result.err
    if fmt == "sarif":
        assert '"uri": "bad%FF.yaml"' in result.out   # the bytes on disk, percent-encoded
