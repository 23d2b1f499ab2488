"""Ctrl-C or SIGTERM during a parallel check of 10,000 contracts stops every worker within a
second: exit 130 (SIGINT) or 143 (SIGTERM), no process of the run left, nothing written; and the
flag limits of ``compliance risk`` are ones the machine can run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tree_support import ROOT, copy_contract, picture, run_cli

from compliance.review import PARALLEL_THRESHOLD
from compliance.risk.limits import MAX_HORIZON_DAYS, MAX_PATH_DAYS, MAX_PATHS

CONTRACTS = 10_000


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still counts for killpg; the ones left are reaped by init shortly.
    return True


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the check runs in parallel on 2+ cores")
@pytest.mark.parametrize("sent, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_parallel_check_within_a_second(tmp_path: Path, sent: int, code: int) -> None:
    assert CONTRACTS > PARALLEL_THRESHOLD
    folder = tmp_path / "contracts"
    folder.mkdir()
    first = copy_contract(folder, "c00000.yaml")
    for index in range(1, CONTRACTS):
        os.link(first, folder / f"c{index:05d}.yaml")   # links: fast to make, each a contract
    report = tmp_path / "report.json"
    report.write_text("the previous report\n", encoding="utf-8")
    before = picture(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "compliance", "check", str(folder), "--format", "json", "--output",
         str(report)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    group = process.pid
    try:
        time.sleep(4)   # the folder is searched and the workers are busy
        assert process.poll() is None, "the check ended before it could be interrupted"
        # Ctrl-C reaches every process of the terminal's group; SIGTERM only the one named.
        if sent == signal.SIGINT:
            os.killpg(group, sent)
        else:
            process.send_signal(sent)
        started = time.monotonic()
        _, err = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(group, signal.SIGKILL)
    assert process.returncode == code, err
    assert elapsed < 1.5, f"took {elapsed:.2f} s to stop"
    deadline = time.monotonic() + 1.0
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(group), "a worker outlived the run"
    assert picture(tmp_path) == before


@pytest.mark.parametrize("paths, horizon", [(MAX_PATHS, MAX_HORIZON_DAYS),
                                            (MAX_PATH_DAYS // 100 + 1, 100)])
def test_risk_refuses_more_simulated_days_than_it_can_run(paths: int, horizon: int) -> None:
    started = time.monotonic()
    result = run_cli("risk", "--leverage", "3", "--maintenance", "30%", "--paths", str(paths),
                     "--horizon", str(horizon), timeout=60)
    assert result.code == 2, result.err
    assert result.err.startswith("--paths: error: ") and f"{MAX_PATH_DAYS:,}" in result.err
    assert time.monotonic() - started < 30


def test_risk_help_states_the_limits() -> None:
    result = run_cli("risk", "--help")
    assert result.code == 0
    shown = " ".join(result.out.split())
    assert f"{MAX_PATHS:,}" in shown and f"{MAX_PATH_DAYS:,}" in shown and str(MAX_HORIZON_DAYS) in shown


def test_risk_at_the_limit_runs(tmp_path: Path) -> None:
    # The largest run allowed at a short horizon, kept small here: a tenth of the limit.
    result = run_cli("risk", "--leverage", "3", "--maintenance", "30%", "--paths",
                     str(MAX_PATH_DAYS // 10 // 21), "--horizon", "21", "--format", "json", timeout=120)
    assert result.code == 0, result.err
