"""Stored rulesets (compliance.dsl.store): the precompiled built-ins are current and read back as
the rulesets they were built from; the user cache is used only while every file of a chain is
unchanged, by the version that wrote it, and anything damaged, foreign or unsafe is ignored."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.dsl import loader, store

ROOT = Path(__file__).resolve().parents[2]

PARENT = '''ruleset parent_house
version "1"

let max_leverage = 10:1

rule HOUSE-1 "Leverage at most the house cap"
  topic leverage_cap
  severity error
  citation "House rule 1"
  applies to contract
  require leverage.fx_major <= max_leverage
  message "leverage {leverage.fx_major} is above {max_leverage}"
  fix "lower it"
'''

CHILD = '''ruleset child_house
version "1"
extends parent_house

override let max_leverage = 20:1
'''

CONTRACT = '''kind: contract
id: C-1
client: {category: retail}
product: {type: cfd}
leverage: {fx_major: "15:1"}
'''


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(store.CACHE_DIR_VARIABLE, str(folder))
    monkeypatch.delenv(store.NO_CACHE_VARIABLE, raising=False)
    loader._load_default.cache_clear()
    yield folder / "rulesets"
    loader._load_default.cache_clear()


@pytest.fixture()
def house(tmp_path):
    (tmp_path / "parent_house.rules").write_text(PARENT)
    (tmp_path / "child_house.rules").write_text(CHILD)
    (tmp_path / "c.yaml").write_text(CONTRACT)
    return tmp_path


def _check(capsys, folder: Path, ruleset: str, *extra: str) -> tuple[int, dict]:
    loader._load_default.cache_clear()  # each call stands for a new process
    code = main(["check", str(folder / "c.yaml"), "--ruleset", str(folder / ruleset), "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _outcomes(report: dict) -> list[tuple[str, str, str]]:
    return [(f["rule_id"], f["outcome"], f["message"]) for f in report["findings"]]


class _NoParsing:
    """Fails the test when a ruleset is parsed: the stored one was expected to be used."""

    def __init__(self, monkeypatch):
        from compliance.dsl import parser
        self.calls = 0

        def refuse(text, path):
            self.calls += 1
            raise AssertionError(f"{path} was parsed; the cache should have been used")

        monkeypatch.setattr(parser, "parse_ruleset", refuse)


# ---- the precompiled built-ins ----------------------------------------------------------------

def test_precompiled_builtins_are_current():
    assert store._main(["--check"]) == 0


@pytest.mark.parametrize("name", loader.builtin_names())
def test_a_precompiled_ruleset_reads_back_as_the_ruleset_it_was_built_from(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    files, sources = loader.read_chain(loader.builtin_dir() / f"{name}.rules")
    built = loader._check(files, loader.default_document_types, store.chain_digest(sources))
    stored = loader._stored((loader.builtin_dir() / f"{name}.rules").resolve())
    assert stored is not None
    displays = [s.display for s in sources]
    # AST nodes compare by identity, so the two are compared as stored: every field and span
    assert store.encode(stored, displays) == store.encode(built, displays)
    assert (stored.sha256, stored.path, dict(stored.sources)) == (built.sha256, built.path, dict(built.sources))


def test_a_builtin_check_does_not_parse(cache, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    guard = _NoParsing(monkeypatch)
    loader._load_default.cache_clear()
    code = main(["check", "contract_templates/eu_retail_cfd.yaml", "--ruleset", "esma_like", "--format", "json"])
    assert code in (0, 1) and guard.calls == 0
    assert not cache.exists()  # a current precompiled ruleset is not copied into the user cache


def test_stored_rulesets_name_their_files_relative_to_where_the_run_starts(cache, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    loader._load_default.cache_clear()
    from_root = loader.load_ruleset("fca_like")
    monkeypatch.chdir(tmp_path)
    loader._load_default.cache_clear()
    elsewhere = loader.load_ruleset("fca_like")
    assert from_root.path == "rulesets/fca_like.rules"
    assert {r.span.path for r in from_root.rules} == {"rulesets/fca_like.rules", "rulesets/esma_like.rules"}
    assert elsewhere.path == str(ROOT / "rulesets" / "fca_like.rules")
    assert {r.span.path for r in elsewhere.rules} == {str(ROOT / "rulesets" / n) for n in ("fca_like.rules", "esma_like.rules")}
    assert set(elsewhere.sources) == {str(ROOT / "rulesets" / "fca_like.rules"), str(ROOT / "rulesets" / "esma_like.rules")}


# ---- the user cache ----------------------------------------------------------------------------

def test_a_user_ruleset_is_stored_then_read_without_parsing(cache, house, monkeypatch, capsys):
    first = _check(capsys, house, "child_house.rules")
    assert len(list(cache.glob("*.json"))) == 1
    guard = _NoParsing(monkeypatch)
    assert _check(capsys, house, "child_house.rules") == first and guard.calls == 0


def test_a_changed_ruleset_is_rebuilt(cache, house, capsys):
    code, report = _check(capsys, house, "child_house.rules")
    assert code == 0
    (house / "child_house.rules").write_text(CHILD.replace("20:1", "12:1"))
    code, report = _check(capsys, house, "child_house.rules")
    assert code == 1 and "above 12:1" in _outcomes(report)[0][2]


def test_a_changed_parent_in_the_chain_is_rebuilt(cache, house, capsys):
    assert _check(capsys, house, "child_house.rules")[0] == 0
    (house / "parent_house.rules").write_text(PARENT.replace("fx_major <= max_leverage", "fx_major < 15:1"))
    code, report = _check(capsys, house, "child_house.rules")
    assert code == 1 and _outcomes(report)[0][:2] == ("HOUSE-1", "failed")


def test_another_tool_version_never_reads_the_cache(cache, house, monkeypatch, capsys):
    first = _check(capsys, house, "child_house.rules")
    stored = next(cache.glob("*.json"))
    # the same file under the next version's name: its header still says the old version
    monkeypatch.setattr(store, "__version__", "99.0.0")
    stored.rename(store.cache_path((house / "child_house.rules").resolve(), (house / "child_house.rules").read_bytes()))
    parsed = []
    from compliance.dsl import parser
    real = parser.parse_ruleset
    monkeypatch.setattr(parser, "parse_ruleset", lambda text, path: parsed.append(path) or real(text, path))
    assert _check(capsys, house, "child_house.rules") == first
    assert parsed, "a cache written by another version was read"


@pytest.mark.parametrize("damage", ["truncated", "empty", "not json", "foreign class", "forged field",
                                    "wrong sha", "pickle"])
def test_a_damaged_or_foreign_cache_file_is_ignored_and_rewritten(cache, house, capsys, damage):
    first = _check(capsys, house, "child_house.rules")
    stored = next(cache.glob("*.json"))
    text = stored.read_text()
    head, body = text.split("\n", 1)
    damaged = {
        "truncated": text[:len(text) // 2],
        "empty": "",
        "not json": "\x00\x01 not a ruleset",
        "foreign class": head + "\n" + body.replace('"$":"model.Ruleset"', '"$":"os.system"', 1),
        "forged field": head + "\n" + body.replace('"$":"model.Ruleset"', '"$":"model.Ruleset","__class__":1', 1),
        "wrong sha": head.replace(json.loads(head)["chain"][0][1], "0" * 64) + "\n" + body,
        "pickle": "\x80\x04\x95cos\nsystem\n(S'touch pwned'\ntR.",
    }[damage]
    stored.write_text(damaged)
    assert _check(capsys, house, "child_house.rules") == first
    assert not (house / "pwned").exists()
    assert stored.read_text() == text or damage == "wrong sha"  # rebuilt and stored again


def test_a_cache_file_others_can_write_is_not_read(cache, house, monkeypatch, capsys):
    if not hasattr(os, "getuid"):
        pytest.skip("POSIX permissions")
    first = _check(capsys, house, "child_house.rules")
    stored = next(cache.glob("*.json"))
    forged = stored.read_text().replace("is above", "is fine at")
    stored.write_text(forged)
    stored.chmod(0o666)
    (house / "c.yaml").write_text(CONTRACT.replace("15:1", "25:1"))
    code, report = _check(capsys, house, "child_house.rules")
    assert code == 1 and "is above" in _outcomes(report)[0][2]
    assert first[0] == 0


def test_an_unwritable_cache_folder_gives_correct_results(tmp_path, house, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv(store.CACHE_DIR_VARIABLE, str(blocker))
    (house / "c.yaml").write_text(CONTRACT.replace("15:1", "25:1"))
    code, report = _check(capsys, house, "child_house.rules")
    assert code == 1 and _outcomes(report)[0][:2] == ("HOUSE-1", "failed")
    assert blocker.read_text().startswith("a file")


def test_no_cache_neither_reads_nor_writes(cache, house, monkeypatch, capsys):
    first = _check(capsys, house, "child_house.rules", "--no-cache")
    assert not cache.exists()
    assert os.environ.get(store.NO_CACHE_VARIABLE) is None  # the flag lasts for its run only
    _check(capsys, house, "child_house.rules")
    stored = next(cache.glob("*.json"))
    stored.write_text(stored.read_text().replace("is above", "is fine at"))
    (house / "c.yaml").write_text(CONTRACT.replace("15:1", "25:1"))
    code, report = _check(capsys, house, "child_house.rules", "--no-cache")
    assert code == 1 and "is above" in _outcomes(report)[0][2] and first[0] == 0


def test_the_store_refuses_what_it_cannot_keep():
    from compliance.dsl.model import Ruleset
    ruleset = Ruleset("r", "1", "", "", "r.rules", "0", ("r",), {"p": object()}, (), (), ())
    with pytest.raises(TypeError, match="cannot keep"):
        store.encode(ruleset, ["r.rules"])
