"""The audit HTML and a Chinese disclosure opened in a real browser: headless Chromium renders it to a PNG without console
errors. Skipped where Chromium is not installed (CI installs Debian's ``chromium``)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from compliance.findings import Report
from compliance.report.html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium logs page console messages as "...:INFO:CONSOLE(12)] "message", source: URL (12)" and
# errors thrown by scripts as "Uncaught ...". Its own noise (dbus, GPU, sandbox) never names the page.
CONSOLE_LINE = re.compile(r":CONSOLE\(\d+\)\]|Uncaught|ERROR:CONSOLE", re.IGNORECASE)


def _screenshot(html_file: Path, tmp_path: Path) -> tuple[Path, str]:
    assert CHROMIUM is not None
    shot = tmp_path / "shot.png"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
        "--window-size=1280,2000", "--enable-logging=stderr", "--v=0", html_file.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return shot, done.stdout + done.stderr


def _console_errors(log: str, page: Path) -> list[str]:
    return [line for line in log.splitlines()
            if CONSOLE_LINE.search(line) and (page.name in line or "Uncaught" in line)]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_audit_html_renders_in_chromium(tmp_path: Path, audit_report: Report) -> None:
    page = tmp_path / "audit.html"
    page.write_text(render_html(audit_report), encoding="utf-8")
    shot, log = _screenshot(page, tmp_path)
    assert shot.is_file() and shot.stat().st_size > 10_000, log[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _console_errors(log, page) == []


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_console_error_detection_works(tmp_path: Path) -> None:
    """The check above would see a broken page: a script error is caught in the log."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p>"
                    "<script>console.error('boom'); no_such_function();</script></body></html>",
                    encoding="utf-8")
    _, log = _screenshot(page, tmp_path)
    assert any("no_such_function" in line for line in _console_errors(log, page)), log[-2000:]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_chinese_disclosure_html_renders_in_chromium(tmp_path: Path) -> None:
    from compliance.disclosure import build_disclosure, render_disclosure
    from compliance.documents.contract import load_contract

    contract = Path(__file__).parents[2] / "contract_templates" / "cn_margin_loan_peizi.yaml"
    page = tmp_path / "disclosure.html"
    statement = build_disclosure(load_contract(str(contract)))
    page.write_text(render_disclosure(statement, "zh", "html"), encoding="utf-8")
    shot, log = _screenshot(page, tmp_path)
    assert shot.is_file() and shot.stat().st_size > 10_000, log[-2000:]
    assert _console_errors(log, page) == []
