"""Inputs are read only from regular files: a FIFO, a device or a folder named as any input is an
exit-2 error naming the path and what it is, decided before reading (never a hang), and nothing in
the folder changes. Every case runs in a child process with a time limit, since the failure being
guarded against is a hang."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from tree_support import SNAPSHOT_CSV, copy_contract, picture, run_cli

from compliance.documents.files import check_input, read_input
from compliance.errors import InputError

RULES = ("ruleset fifo_test\n  version \"1.0.0\"\n\nrule F-1 \"t\"\n  topic leverage_cap\n"
         "  severity error\n  citation \"x\"\n  require true\n  message \"m\"\n")


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def _case_args(case: str, folder: Path) -> tuple[list[str], Path]:
    """The command line that hands the special file to one reader, and the special file."""
    contract = copy_contract(folder)
    snapshot = folder / "accounts.csv"
    snapshot.write_text(SNAPSHOT_CSV, encoding="utf-8")
    if case.startswith("snapshot"):
        fifo = _fifo(folder, f"fifo.{case.split('-')[1]}")
        return ["audit", str(fifo), "--ruleset", "esma_like"], fifo
    fifo = _fifo(folder, {"contract": "fifo.yaml", "waivers": "waivers.yaml",
                          "fx": "rates.yaml", "ruleset": "fifo.rules",
                          "template": "fifo.j2", "audit-contract": "c.yaml"}[case])
    return {
        "contract": ["check", str(fifo), "--ruleset", "esma_like"],
        "waivers": ["check", str(contract), "--ruleset", "esma_like", "--waivers", str(fifo)],
        "fx": ["audit", str(snapshot), "--ruleset", "esma_like", "--fx-rates", str(fifo)],
        "ruleset": ["check", str(contract), "--ruleset", str(fifo)],
        "template": ["check", str(contract), "--ruleset", "esma_like", "--template", str(fifo)],
        "audit-contract": ["audit", str(snapshot), "--ruleset", "esma_like", "--contract", str(fifo)],
    }[case], fifo


@pytest.mark.parametrize("case", ["contract", "waivers", "fx", "ruleset", "template",
                                  "audit-contract", "snapshot-csv", "snapshot-json",
                                  "snapshot-yaml", "snapshot-parquet"])
def test_a_fifo_as_any_input_is_refused_without_waiting(tmp_path: Path, case: str) -> None:
    args, fifo = _case_args(case, tmp_path)
    before = picture(tmp_path)
    result = run_cli(*args, cwd=tmp_path, timeout=60)
    assert result.code == 2, result.err
    assert f"{fifo}: error: " in result.err
    assert "named pipe" in result.err
    assert "Traceback" not in result.err
    assert picture(tmp_path) == before


def test_a_fifo_named_yaml_in_a_searched_folder_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    copy_contract(folder)
    _fifo(folder, "trap.yaml")
    before = picture(tmp_path)
    result = run_cli("check", str(folder), "--ruleset", "esma_like", "--format", "json",
                     cwd=tmp_path, timeout=60)
    assert result.code == 0, result.err
    assert "contract.yaml" in result.out and "trap.yaml" not in result.out
    assert picture(tmp_path) == before


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", ["check", "audit-link"])
def test_endless_devices_are_refused(tmp_path: Path, device: str, command: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} is not on this system")
    if command == "check":
        args = ["check", device, "--ruleset", "esma_like"]
        shown = device
    else:  # a snapshot name with the right extension, pointing at the device
        link = tmp_path / "accounts.csv"
        link.symlink_to(device)
        args, shown = ["audit", str(link), "--ruleset", "esma_like"], str(link)
    before = picture(tmp_path)
    result = run_cli(*args, cwd=tmp_path, timeout=60)
    assert result.code == 2, result.err
    assert f"{shown}: error: " in result.err and "character device" in result.err
    assert picture(tmp_path) == before


def test_a_folder_as_a_snapshot_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "accounts.csv"
    folder.mkdir()
    result = run_cli("audit", str(folder), "--ruleset", "esma_like", cwd=tmp_path)
    assert result.code == 2
    assert f"{folder}: error: " in result.err and "folder" in result.err


# ---- the one reading function, in process -------------------------------------------------

def test_read_input_refuses_a_fifo_before_reading(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path, "f.yaml")
    for call in (lambda: read_input(str(fifo), 100), lambda: check_input(str(fifo))):
        with pytest.raises(InputError) as caught:
            call()   # O_NONBLOCK: returns at once although nobody writes to the FIFO
        assert "named pipe" in caught.value.diagnostics[0].message


def test_read_input_bounds_the_bytes_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 101)
    with pytest.raises(InputError) as caught:
        read_input(str(path), 100)
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (1, 1)
    assert read_input(str(path), 101).data == b"x" * 101


def test_standard_input_is_read_within_its_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from compliance.documents import files

    read_end, write_end = os.pipe()
    os.write(write_end, b"kind: contract\n")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(pipe))
        assert files.read_input("-", 100, allow_stdin=True).data == b"kind: contract\n"
    read_end, write_end = os.pipe()
    os.write(write_end, b"x" * 200)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(pipe))
        with pytest.raises(InputError, match="larger than the limit"):
            files.read_input("-", 100, allow_stdin=True)
    read_end, write_end = os.pipe()   # a writer that never writes nor closes
    monkeypatch.setattr(files, "STDIN_MAX_SECONDS", 0.2)
    with os.fdopen(read_end, "rb") as pipe:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(pipe))
        with pytest.raises(InputError, match="within"):
            files.read_input("-", 100, allow_stdin=True)
    os.close(write_end)
    with pytest.raises(InputError, match="no such file"):
        files.read_input("-", 100)     # '-' is a file name where standard input is not allowed


@pytest.mark.parametrize("name, problem", [("", "empty"), ("a\x00b", "NUL"),
                                           ("x" * 5000, "longer than"), ("s\ud800", "surrogate")])
def test_names_no_system_call_takes(name: str, problem: str) -> None:
    from compliance.documents.files import name_problem, shown_path

    assert problem in (name_problem(name) or "")
    shown = shown_path(name)
    assert "\x00" not in shown and "\ud800" not in shown and len(shown) < 250


def test_a_fifo_in_the_ruleset_cache_is_not_waited_for(tmp_path: Path) -> None:
    from compliance.dsl.store import read_stored

    fifo = _fifo(tmp_path, "stored.json")
    assert read_stored(fifo, owned=True) is None
    assert read_stored(fifo, owned=False) is None
