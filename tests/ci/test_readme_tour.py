"""Every command of the README's five-minute tour runs as written, from a copy of the repository's
files: the tour is what a new user types first."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("contract_templates", "platform_profiles", "tests/fixtures", "examples", "rulesets", "benchmarks")
# Commands whose subject breaks rules on purpose (exit 1: findings); every other one exits 0.
EXPECTED_EXIT = {
    "compliance check tests/fixtures/broken/ESMA-LEV-1.yaml --ruleset esma_like": 1,
    # a profile showing the warning signs of an unlicensed 配资 platform
    "compliance diligence platform_profiles/warning_signs/unlicensed.yaml --lang zh --format html --output dd.html": 1,
    # a generated book of 100,000 accounts has accounts under close-out
    "compliance audit accounts.parquet --ruleset esma_like --stress=-5%,-10%,-20% --format html --output audit.html": 1,
}


def _tour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A five-minute tour", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the tour has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_the_tour_has_the_commands_it_promises() -> None:
    commands = _tour_commands()
    assert len(commands) >= 10
    assert any("--waivers" in command for command in commands)
    assert any(command.startswith("compliance rules fmt --check") for command in commands)


def test_every_tour_command_runs_as_written(tmp_path: Path) -> None:
    for name in NEEDED:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "data", "*.pyc"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    for command in _tour_commands():
        argv = shlex.split(command)
        if argv[0] == "compliance":
            argv = [sys.executable, "-m", "compliance", *argv[1:]]
        elif argv[0] == "python":
            argv = [sys.executable, *argv[1:]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        shown = f"{command}\nexit {done.returncode}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, shown
        assert ": error: " not in done.stderr, shown
        assert done.returncode == EXPECTED_EXIT.get(command, 0), shown
    assert (tmp_path / "results.sarif").is_file() and (tmp_path / "audit.html").is_file()
