"""Hostile inputs against each documented limit (docs/security.md): each ends in a clear error at its
position, within a bounded time, and never in a traceback."""
from __future__ import annotations

import os
import re
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hardening_support import ROOT, assert_renders

from compliance.cli import main
from compliance.documents import yaml_loader
from compliance.documents.contract import load_contract
from compliance.documents.snapshot import load_snapshot
from compliance.documents.yaml_loader import parse_yaml
from compliance.dsl import parser as dsl_parser
from compliance.dsl.loader import MAX_EXTENDS_DEPTH, load_ruleset, load_ruleset_text
from compliance.dsl.parser import parse_ruleset
from compliance.errors import InputError
from compliance.report import output

SECONDS = 5.0  # generous: each case takes well under a second on a laptop
CONTRACT = ROOT / "contract_templates" / "eu_retail_cfd.yaml"
HEADER = "account_id,client_category,balance,equity,margin_used,exposure\n"


class Clock:
    def __enter__(self) -> "Clock":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        assert self.seconds < SECONDS, f"took {self.seconds:.1f} s"


def input_error(call, *args) -> InputError:  # type: ignore[no-untyped-def]
    with Clock(), pytest.raises(InputError) as caught:
        call(*args)
    assert_renders(caught.value)
    return caught.value


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with Clock():
        code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------

def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    lines = ['kind: contract', 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        prev, name = chr(96 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    error = input_error(parse_yaml, "\n".join(lines) + "\n", "bomb.yaml")
    [diagnostic] = error.diagnostics
    assert (diagnostic.line, diagnostic.column) == (2, 4)
    assert "anchors (&a) are not allowed" in diagnostic.message


def test_an_alias_alone_is_refused_where_it_is() -> None:
    error = input_error(parse_yaml, "kind: contract\nid: *x\n", "alias.yaml")
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (2, 5)
    assert "aliases (*x) are not allowed" in error.diagnostics[0].message


@pytest.mark.parametrize("opener,closer", [("[", "]"), ("{a: ", "}")])
def test_ten_thousand_deep_yaml_stops_with_a_positioned_error(
        opener: str, closer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Our limit (MAX_DEPTH) or PyYAML's own guard may fire first, depending on the PyYAML version
    # and on how far its scanner reads ahead; either way the user sees one positioned error on the
    # deep line, exit 2, and no traceback.
    path = tmp_path / "deep.yaml"
    path.write_text("kind: contract\nx: " + opener * 10_000 + "1" + closer * 10_000 + "\n")
    code, out, err = run(["check", str(path), "--ruleset", "esma_like"], capsys)
    assert code == 2 and out == ""
    [line] = [line for line in err.splitlines() if ": error: " in line]
    assert re.match(rf"{re.escape(str(path))}:2:\d+: error: ", line)


def test_block_nesting_past_the_depth_limit_is_refused_at_the_first_level_too_deep() -> None:
    # Block (indented) nesting is not guarded by PyYAML: this limit is ours alone.
    text = "kind: contract\n" + "".join(" " * level + f"k{level}:\n" for level in range(100)) + " " * 100 + "v\n"
    error = input_error(parse_yaml, text, "deep.yaml")
    [diagnostic] = error.diagnostics
    assert f"nested more than {yaml_loader.MAX_DEPTH} levels deep" in diagnostic.message
    # the root mapping is level 1 and k0's value level 2, so the mapping that starts with key
    # k64 (line 66, column 65) is the 65th level
    assert (diagnostic.line, diagnostic.column) == (2 + yaml_loader.MAX_DEPTH, yaml_loader.MAX_DEPTH + 1)


def test_a_50_mb_contract_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:  # sparse: no disk used
        handle.write(b"kind: contract\n")
        handle.truncate(50 * 1024 * 1024)
    tracemalloc.start()
    try:
        error = input_error(load_contract, str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"larger than the limit of {yaml_loader.MAX_FILE_BYTES} bytes" in error.diagnostics[0].message
    assert peak < 3 * yaml_loader.MAX_FILE_BYTES + (1 << 20), f"read {peak} bytes into memory"


def test_a_10_mb_single_line_contract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "line.yaml"
    path.write_bytes(b"kind: contract\nid: " + b"x" * (10 * 1024 * 1024) + b"\n")
    error = input_error(load_contract, str(path))
    assert "larger than the limit" in error.diagnostics[0].message


def test_a_long_line_under_the_limit_is_read_and_its_errors_stay_short(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("kind: contract\nid: ok\ntitle: [" + "1, " * 100_000 + "]\n", encoding="utf-8")
    error = input_error(load_contract, str(path))
    for diagnostic in error.diagnostics:
        assert max(len(line) for line in diagnostic.render().split("\n")) < 400


def test_integer_bombs_and_non_finite_numbers_in_a_contract(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("kind: contract\nid: n\nleverage: {fx_major: 1e308}\n"
                    "margin: {close_out_level: .nan}\n", encoding="utf-8")
    input_error(load_contract, str(path))


# ---------------------------------------------------------------------------------------------
# The rules language
# ---------------------------------------------------------------------------------------------

RULE = ('ruleset hostile\n  version "1"\n\nrule H-1 "hostile"\n  topic prohibited_claim\n'
        '  severity error\n  citation "test"\n  require {require}\n  message "m"\n')


def test_ten_thousand_nested_parentheses() -> None:
    text = RULE.replace("{require}", "(" * 10_000 + "true" + ")" * 10_000)
    error = input_error(parse_ruleset, text, "deep.rules")
    [diagnostic] = error.diagnostics
    assert f"nest deeper than {dsl_parser.MAX_NESTING} levels" in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (8, 11 + dsl_parser.MAX_NESTING)


@pytest.mark.parametrize("chain", ["not " * 5_000 + "true", "1 + " * 5_000 + "1 > 0",
                                   "-" * 5_000 + "1 < 0", "product" + ".type" * 5_000 + ' == "x"'],
                         ids=["not", "plus", "minus", "attribute"])
def test_deep_chains_without_brackets_are_refused(chain: str) -> None:
    error = input_error(load_ruleset_text, RULE.replace("{require}", chain), "chain.rules")
    assert "nests too deeply" in error.diagnostics[0].message


def test_a_ruleset_over_the_size_limit(tmp_path: Path) -> None:
    text = RULE.replace("{require}", "true") + "#" * dsl_parser.MAX_SOURCE_BYTES
    error = input_error(parse_ruleset, text, "big.rules")
    assert f"larger than {dsl_parser.MAX_SOURCE_BYTES} bytes" in error.diagnostics[0].message
    path = tmp_path / "big.rules"
    path.write_text(text, encoding="utf-8")
    error = input_error(load_ruleset, str(path))
    assert "larger than" in error.diagnostics[0].message


def test_rules_cannot_read_files_or_run_code() -> None:
    error = input_error(load_ruleset_text, RULE.replace("{require}", 'open("x") == "y"'), "o.rules")
    assert error.diagnostics[0].message == "unknown function 'open'"
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (8, 11)
    for hostile in ('__import__("os")', 'eval("1")', 'exec("1")', "title.__class__ == 1",
                    'import os'):
        input_error(load_ruleset_text, RULE.replace("{require}", hostile), "h.rules")


def _redos_files(tmp_path: Path) -> tuple[str, str]:
    rules = tmp_path / "redos.rules"
    rules.write_text(
        'ruleset redos\n  version "1"\n\nrule REDOS-1 "no catastrophic backtracking"\n'
        "  topic prohibited_claim\n  severity error\n  citation \"test\"\n"
        "  for each clause in clauses\n"
        '  require not matches(clause.text, "(a+)+$")\n'
        '  message "clause {clause.id} is all a"\n', encoding="utf-8")
    contract = tmp_path / "redos.yaml"
    text = "a" * 100_000 + "b"   # the classic exponential case for a backtracking engine
    contract.write_text(f"kind: contract\nid: REDOS\nclauses:\n  - id: c1\n    title: t\n    text: {text}\n"
                        f"  - id: c2\n    title: t\n    text: {'a' * 100_000}\n", encoding="utf-8")
    return str(rules), str(contract)


def test_pathological_regex_on_a_100_kb_clause_is_fast_and_right(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, contract = _redos_files(tmp_path)
    code, out, err = run(["check", contract, "--ruleset", rules, "--format", "json"], capsys)
    assert code == 1, err
    assert '"clauses[1].text"' in out or "c2" in out  # only the all-'a' clause matches
    assert "c1 is all a" not in out


@pytest.mark.parametrize("pattern,message", [
    ("(a", "missing )"), ("a{1001}", "bad repetition operator"), ("(a)\\\\1", "invalid escape"),
    ("(?=a)", "invalid perl operator"), ("x" * 1001, "the limit is 1000"),
    ("(((a{100}){100}){100}){100}", "beyond the memory bound"),
])
def test_unsupported_or_oversized_patterns_are_errors(pattern: str, message: str) -> None:
    text = RULE.replace("{require}", f'matches(title, "{pattern}")')
    error = input_error(load_ruleset_text, text, "re.rules")
    # RE2's own reason follows; its wording is RE2's, so only our part is asserted
    assert error.diagnostics[0].message.startswith("regular expression: ")
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (8, 26)


def _chain(tmp_path: Path, links: dict[str, str | None]) -> None:
    for name, parent in links.items():
        extends = f"\n  extends {parent}" if parent else ""
        (tmp_path / f"{name}.rules").write_text(f'ruleset {name}\n  version "1"{extends}\n',
                                                encoding="utf-8")


def test_extends_cycle_between_two_files(tmp_path: Path) -> None:
    _chain(tmp_path, {"cyc_a": "cyc_b", "cyc_b": "cyc_a"})
    error = input_error(load_ruleset, str(tmp_path / "cyc_a.rules"))
    assert "extends cycle: cyc_a -> cyc_b -> cyc_a" in error.diagnostics[0].message


def test_a_ruleset_extending_itself(tmp_path: Path) -> None:
    _chain(tmp_path, {"selfish": "selfish"})
    error = input_error(load_ruleset, str(tmp_path / "selfish.rules"))
    assert "extends cycle" in error.diagnostics[0].message
    error = input_error(load_ruleset_text, 'ruleset me\n  version "1"\n  extends me\n', "me.rules")
    assert "extends cycle: me -> me" in error.diagnostics[0].message


def test_an_extends_chain_longer_than_the_limit(tmp_path: Path) -> None:
    n = MAX_EXTENDS_DEPTH + 2
    _chain(tmp_path, {f"link{i}": (f"link{i + 1}" if i + 1 < n else None) for i in range(n)})
    error = input_error(load_ruleset, str(tmp_path / "link0.rules"))
    assert f"extends chain longer than {MAX_EXTENDS_DEPTH} rulesets" in error.diagnostics[0].message
    assert error.diagnostics[0].line is not None


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ report.__class__.__init__.__globals__['os'] }}",
    "{% set x = [].append(1) %}{{ x }}",
])
def test_user_templates_cannot_reach_python_internals(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: str) -> None:
    template = tmp_path / "evil.j2"
    template.write_text("first line\n" + payload + "\n", encoding="utf-8")
    code, out, err = run(["check", str(CONTRACT), "--ruleset", "esma_like",
                          "--template", str(template)], capsys)
    assert code == 2, (code, out, err)
    assert "<class" not in out and "subprocess" not in out and "__builtins__" not in out
    first = err.splitlines()[0]
    assert first.startswith(f"{template}:2: error: template"), err
    assert "security" in first or "undefined" in first or "unsafe" in first, first


def test_template_output_is_autoescaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "plain.j2"
    template.write_text("{{ '<script>' }}\n", encoding="utf-8")
    code, out, _err = run(["check", str(CONTRACT), "--ruleset", "esma_like",
                           "--template", str(template)], capsys)
    assert code in (0, 1)
    assert "<script>" not in out and "&lt;script&gt;" in out


# ---------------------------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------------------------

def test_a_csv_with_a_20_mb_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(HEADER.encode() + b"A-1,retail,1,1,1," + b"9" * (20 * 1024 * 1024) + b"\n")
    # About 1.5 s alone, most of it placing the caret (a Python loop over the line in
    # snapshot._field_starts); several times that on a loaded machine, hence the loose guard.
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_snapshot(str(path))
    assert time.perf_counter() - start < 60
    assert_renders(caught.value)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (2, 18)
    assert "'exposure'" in diagnostic.message and "not a finite number" in diagnostic.message


def test_a_csv_header_longer_than_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"a" * (2 << 20))
    error = input_error(load_snapshot, str(path))
    assert "header line is longer" in error.diagnostics[0].message


def test_a_parquet_file_that_is_garbage(tmp_path: Path) -> None:
    for name, data in [("garbage.parquet", os.urandom(4096)),
                       ("magic.parquet", b"PAR1" + os.urandom(4096) + b"PAR1"),
                       ("empty.parquet", b"")]:
        path = tmp_path / name
        path.write_bytes(data)
        error = input_error(load_snapshot, str(path))
        assert str(path) == error.diagnostics[0].path


def test_a_snapshot_with_1e308_values(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    # Finite but beyond the amounts' range (snapshot.MAX_AMOUNT): refused at the first such cell.
    path.write_text(HEADER + "A-1,retail,1e308,1e308,1e308,1e308\n", encoding="utf-8")
    error = input_error(load_snapshot, str(path))
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (2, 12)
    assert "out of range" in error.diagnostics[0].message
    path.write_text(HEADER + "A-1,retail,1,9.99e12,1,1\n", encoding="utf-8")
    assert load_snapshot(str(path)).numeric["equity"][0] == 9.99e12
    path.write_text(HEADER + "A-1,retail,1,1e309,1,1\n", encoding="utf-8")
    error = input_error(load_snapshot, str(path))
    assert (error.diagnostics[0].line, error.diagnostics[0].column) == (2, 14)
    assert "not a finite number" in error.diagnostics[0].message


def test_unknown_snapshot_type_and_missing_file(tmp_path: Path) -> None:
    input_error(load_snapshot, str(tmp_path / "x.xlsx"))
    input_error(load_snapshot, str(tmp_path / "missing.csv"))


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------

def test_output_into_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "report.json"
    code, _out, err = run(["check", str(CONTRACT), "--ruleset", "esma_like", "--format", "json",
                           "--output", str(target)], capsys)
    assert code == 2
    assert err.startswith(f"{target}: error: cannot write the output: folder")
    assert not target.parent.exists()


def _report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "report.json"
    code, _out, err = run(["check", str(CONTRACT), "--ruleset", "esma_like", "--format", "json",
                           "--output", str(target), "--as-of", "2026-06-30"], capsys)
    assert code in (0, 1), err
    return target


def test_an_interrupted_rename_leaves_the_previous_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = _report(tmp_path, capsys)
    before = target.read_bytes()

    def interrupted(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    code, _out, err = run(["check", str(CONTRACT), "--ruleset", "esma_like", "--format", "sarif",
                           "--output", str(target)], capsys)
    assert code == 130 and "interrupted" in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_write_failing_midway_leaves_the_previous_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("previous report\n", encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", disk_full)
    with pytest.raises(InputError):
        output.write_atomic(target, "x" * 1_000_000)
    assert target.read_text(encoding="utf-8") == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_killed_writer_never_leaves_a_half_written_report(tmp_path: Path) -> None:
    """A child process is killed (SIGKILL) in the middle of writing: the target is untouched."""
    import signal
    import subprocess

    target = tmp_path / "report.txt"
    target.write_text("previous report\n", encoding="utf-8")
    code = (
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from compliance.report import output\n"
        "real_fsync = os.fsync\n"
        "def slow(fd):\n"
        "    print('writing', flush=True); time.sleep(60)\n"
        "output.os.fsync = slow\n"
        f"output.write_atomic({str(target)!r}, 'new report ' * 100000)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"writing"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert target.read_text(encoding="utf-8") == "previous report\n"
