"""Helpers of the robustness tests: run the command line in a child process with a time limit, and
take a picture of a folder (bytes, mode and kind of every entry) to prove nothing changed."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from compliance.records import record
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contract_templates" / "eu_retail_cfd.yaml"
BROKEN = ROOT / "tests" / "fixtures" / "broken" / "ESMA-LEV-1.yaml"
SNAPSHOT_CSV = ("account_id,client_category,balance,equity,margin_used,exposure\n"
                "A-1,retail,1000,900,100,3000\nA-2,retail,10,-5,40,400\n")
# "PATH:LINE:COL: error: MESSAGE" (line and column optional) at the start of a stderr line.
POSITIONED = r"^{path}:(\d+):(\d+): error: "


@record
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | str | None = None, timeout: float = 60,
            stdin: int | None = subprocess.DEVNULL) -> Run:
    """``compliance ARGS`` in a child process; a hang fails the test instead of stalling it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "compliance", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, errors="replace", timeout=timeout,
                            stdin=stdin)
    return Run(result.returncode, result.stdout, result.stderr)


def run_main(*args: str, cwd: Path | str) -> Run:
    """``compliance ARGS`` in this process (for cases that cannot hang): faster than a child."""
    import contextlib
    import io

    from compliance.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return Run(code, out.getvalue(), err.getvalue())


def picture(folder: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every entry below ``folder`` (not following links): kind, mode and, for files, bytes."""
    found: dict[str, tuple[str, int, bytes]] = {}
    for directory, subdirectories, files in os.walk(folder):
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, folder)] = ("link", mode, os.readlink(path).encode())
            elif stat.S_ISREG(info.st_mode):
                found[os.path.relpath(path, folder)] = ("file", mode, Path(path).read_bytes())
            else:
                found[os.path.relpath(path, folder)] = (stat.filemode(info.st_mode)[0], mode, b"")
    return found


def copy_contract(folder: Path, name: str = "contract.yaml", source: Path = CONTRACT) -> Path:
    path = folder / name
    path.write_bytes(source.read_bytes())
    return path
