"""``--output`` never destroys data: an input named as the output is refused (also through links),
a symlink's target is replaced and the link kept, devices and FIFOs are written to, not replaced,
modes follow the umask or the replaced file, and no temporary file survives an error or a signal."""
from __future__ import annotations

import os
import signal
import stat
import threading
import time
from pathlib import Path

import pytest
from tree_support import SNAPSHOT_CSV, copy_contract, picture, run_cli, run_main

from compliance.errors import InputError
from compliance.report import output


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    contract = copy_contract(tmp_path)
    snapshot = tmp_path / "accounts.csv"
    snapshot.write_text(SNAPSHOT_CSV, encoding="utf-8")
    ruleset = tmp_path / "house.rules"
    ruleset.write_text("ruleset house\n  version \"1.0.0\"\n\nrule H-1 \"t\"\n  topic leverage_cap\n"
                       "  severity error\n  citation \"x\"\n  require true\n  message \"m\"\n",
                       encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers: []\n", encoding="utf-8")
    template = tmp_path / "report.j2"
    template.write_text("{{ verdict }}\n", encoding="utf-8")
    return {"contract": contract, "snapshot": snapshot, "ruleset": ruleset, "waivers": waivers,
            "template": template}


def _check(inputs: dict[str, Path], output_path: Path | str, *extra: str):  # type: ignore[no-untyped-def]
    return run_main("check", str(inputs["contract"]), "--ruleset", "esma_like",
                   "--waivers", str(inputs["waivers"]), "--output", str(output_path), *extra,
                   cwd=inputs["contract"].parent)


@pytest.mark.parametrize("target", ["contract", "waivers", "ruleset", "template"])
@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_an_input_named_as_output_is_refused(tmp_path: Path, inputs: dict[str, Path],
                                             target: str, how: str) -> None:
    named = inputs[target]
    if how == "symlink":
        named = tmp_path / "alias"
        named.symlink_to(inputs[target])
    elif how == "hardlink":
        named = tmp_path / "alias"
        os.link(inputs[target], named)
    extra = {"ruleset": ["--ruleset", str(inputs["ruleset"])],
             "template": ["--template", str(inputs["template"])]}.get(target, [])
    before = picture(tmp_path)
    result = _check(inputs, named, *extra)
    assert result.code == 2, result.err
    assert f"{named}: error: cannot write the output: it is an input of this run" in result.err
    assert picture(tmp_path) == before


def test_the_snapshot_named_as_audit_output_is_refused(tmp_path: Path, inputs: dict[str, Path]) -> None:
    before = picture(tmp_path)
    result = run_main("audit", str(inputs["snapshot"]), "--ruleset", "esma_like", "--output",
                     str(inputs["snapshot"]), cwd=tmp_path)
    assert result.code == 2 and "it is an input of this run" in result.err
    assert picture(tmp_path) == before


def test_a_contract_found_in_a_searched_folder_is_an_input_too(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    contract = copy_contract(folder)
    before = picture(tmp_path)
    result = run_main("check", str(folder), "--output", str(contract), cwd=tmp_path)
    assert result.code == 2 and "it is an input of this run" in result.err
    assert picture(tmp_path) == before


def test_through_a_symlink_the_target_is_replaced_and_the_link_kept(tmp_path: Path,
                                                                     inputs: dict[str, Path]) -> None:
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "report.json"
    link.symlink_to(real)
    result = _check(inputs, link, "--format", "json")
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").startswith("{")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(real.parent)) == ["latest.json"]


def test_devices_and_fifos_are_written_to_not_replaced(tmp_path: Path, inputs: dict[str, Path]) -> None:
    result = _check(inputs, "/dev/null")
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = _check(inputs, fifo, "--format", "json")
    finally:
        reader.join(timeout=30)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].startswith(b"{")


def test_a_fifo_nobody_reads_is_an_error_not_a_wait(tmp_path: Path, inputs: dict[str, Path]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = picture(tmp_path)
    result = _check(inputs, fifo)
    assert result.code == 2 and f"{fifo}: error: cannot write the output" in result.err
    assert picture(tmp_path) == before


def test_dev_stdout_writes_to_standard_output(inputs: dict[str, Path]) -> None:
    # A child process: /dev/stdout must be its real standard output (a pipe here).
    result = run_cli("check", str(inputs["contract"]), "--ruleset", "esma_like", "--output",
                     "/dev/stdout", "--format", "json", cwd=inputs["contract"].parent)
    assert result.code == 0, result.err
    assert result.out.startswith("{")


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_of_the_umask(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "report.txt"
    old = os.umask(umask)
    try:
        output.write_atomic(target, "report\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["report.txt"]


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664, 0o444])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    output.write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.parametrize("interruption", ["sigterm", "sigint", "disk-full"])
def test_no_temporary_file_survives_an_interrupted_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         interruption: str) -> None:
    from compliance.cli import _on_sigterm

    target = tmp_path / "report.txt"
    target.write_text("the previous report\n", encoding="utf-8")
    before = picture(tmp_path)

    def interrupted_fsync(fd: int) -> None:   # the signal arrives while the report is written
        if interruption == "disk-full":
            raise OSError(28, "No space left on device")
        os.kill(os.getpid(), signal.SIGTERM if interruption == "sigterm" else signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    try:
        expected = {"sigterm": KeyboardInterrupt, "sigint": KeyboardInterrupt, "disk-full": InputError}
        with pytest.raises(expected[interruption]):
            output.write_atomic(target, "x" * 2_000_000)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert picture(tmp_path) == before


def test_sigterm_during_a_run_exits_143_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from tree_support import ROOT

    copy_contract(tmp_path)
    target = tmp_path / "report.json"
    target.write_text("the previous report\n", encoding="utf-8")
    before = picture(tmp_path)
    # A check whose output is written slowly: fsync is made to wait so that SIGTERM lands there.
    script = ("import os, sys, time\n"
              "real = os.fsync\n"
              "os.fsync = lambda fd: (open('writing', 'w').close(), time.sleep(30), real(fd))\n"
              "from compliance.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    process = subprocess.Popen([sys.executable, "-c", script, "check", "contract.yaml",
                                "--ruleset", "esma_like", "--format", "json", "--output",
                                "report.json"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "writing").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    (tmp_path / "writing").unlink()
    assert process.returncode == 143, err
    assert "terminated" in err
    assert picture(tmp_path) == before


def test_in_process_writes_to_devices_fifos_and_through_links(tmp_path: Path,
                                                             capfd: pytest.CaptureFixture[str]) -> None:
    output.write_atomic("/dev/null", "nothing\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="nobody reads"):
        output.write_atomic(fifo, "x")
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    time.sleep(0.2)   # the reader has the FIFO open
    output.write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert received == [b"through the pipe\n"]
    with pytest.raises(InputError, match="folder"):
        output.write_atomic(tmp_path, "x")
    with pytest.raises(InputError, match="does not exist"):
        output.write_atomic(tmp_path / "no" / "such.txt", "x")
    with pytest.raises(InputError, match="NUL"):
        output.write_atomic("a\x00b", "x")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="symbolic links"):
        output.write_atomic(loop, "x")
    assert sorted(os.listdir(tmp_path)) == ["loop", "pipe"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_a_replaced_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")
    os.chown(target, 12345, 23456)
    output.write_atomic(target, "new\n")
    info = target.stat()
    assert (info.st_uid, info.st_gid) == (12345, 23456)
