"""The pre-commit hooks of .pre-commit-hooks.yaml, end to end, as a user's repository runs them.

A throwaway "tool" repository is made from this checkout's sources (so the hooks and the code
under test are the working tree's, committed in a temporary git repository), and a throwaway
"user" repository holds a passing and a failing contract, a passing and a failing ruleset, and
the other YAML any repository has (the pre-commit config itself, a CI workflow, a Kubernetes
manifest). ``pre-commit run --all-files`` installs the hooks as pre-commit does for any user (its
own virtualenv, ``pip install`` of the tool) and the test asserts what the user sees.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "contract_templates" / "eu_retail_cfd.yaml"
# What `pip install .` of the tool needs; nothing else is copied.
TOOL_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "compliance", "rulesets")

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
"""
HOUSE_RULES = """\
ruleset house
  version "1"

rule HOUSE-LEV-1 "Major FX leverage at most 20:1"
  topic leverage_cap
  severity error
  citation "House policy LEV-1"
  require leverage.fx_major <= 20:1

test "30:1 is above the house cap"
  given contract {leverage: {fx_major: 30:1}}
  expect HOUSE-LEV-1 EXPECTED
"""

def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _tool_repository(where: Path) -> str:
    where.mkdir()
    for name in TOOL_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, where / name)
    _git(where, "init", "-q")
    _git(where, "add", "-A")
    _git(where, "commit", "-q", "-m", "tool")
    return _git(where, "rev-parse", "HEAD")


def _user_repository(where: Path, tool: Path, rev: str) -> None:
    (where / "contracts").mkdir(parents=True)
    (where / ".github" / "workflows").mkdir(parents=True)
    (where / "k8s").mkdir()
    (where / "rules").mkdir()
    template = TEMPLATE.read_text(encoding="utf-8")
    (where / "contracts" / "good.yaml").write_text(template, encoding="utf-8")
    assert "  fx_major: 30:1\n" in template
    (where / "contracts" / "bad.yaml").write_text(
        template.replace("  fx_major: 30:1\n", "  fx_major: 50:1\n", 1), encoding="utf-8")
    (where / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW, encoding="utf-8")
    (where / "k8s" / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (where / "rules" / "house.rules").write_text(HOUSE_RULES.replace("EXPECTED", "failed"),
                                                 encoding="utf-8")
    (where / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {tool.as_uri()}\n    rev: {rev}\n    hooks:\n"
        "      - id: compliance-check\n      - id: compliance-rules-test\n", encoding="utf-8")
    _git(where, "init", "-q")
    _git(where, "add", "-A")


def _run_hooks(repo: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "NO_COLOR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_hooks_check_only_contracts_and_test_the_rulesets_they_are_handed(tmp_path: Path) -> None:
    rev = _tool_repository(tmp_path / "tool")
    user = tmp_path / "user"
    user.mkdir()
    _user_repository(user, tmp_path / "tool", rev)

    done = _run_hooks(user, tmp_path / "cache")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out
    # The failing contract is reported at its line, by rule; the passing one is not.
    bad_line = next(number for number, text in enumerate(
        (user / "contracts" / "bad.yaml").read_text().splitlines(), 1) if "fx_major: 50:1" in text)
    assert f"contracts/bad.yaml:{bad_line}:" in out and "ESMA-LEV-1" in out
    assert "contracts/good.yaml:" not in out.replace("contracts/good.yaml: ok", "")
    # Other YAML is skipped with a note, never reported as an error.
    for other in (".pre-commit-config.yaml", ".github/workflows/ci.yml", "k8s/deployment.yaml"):
        assert f"{other}: note: skipped, not a contract" in out
        assert f"{other}:1:1: error" not in out
    # The repository's own ruleset passes its test (pre-commit hides a passing hook's output).
    assert _status(out, "compliance rules test (rulesets)") == "Passed"
    assert _status(out, "compliance check (contracts)") == "Failed"

    # Fix the contract and break the house ruleset's test: the contract hook passes, the rules
    # hook fails on the repository's own test.
    (user / "contracts" / "bad.yaml").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    (user / "rules" / "house.rules").write_text(HOUSE_RULES.replace("EXPECTED", "failed").replace(
        "<= 20:1", "<= 50:1"), encoding="utf-8")
    _git(user, "add", "-A")
    done = _run_hooks(user, tmp_path / "cache")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "FAIL 30:1 is above the house cap" in out and "expected HOUSE-LEV-1 to be failed, got passed" in out
    assert "ESMA-LEV-1" not in out
    assert _status(out, "compliance check (contracts)") == "Passed"
    assert _status(out, "compliance rules test (rulesets)") == "Failed"


def _status(out: str, hook_name: str) -> str:
    """pre-commit's verdict on one hook: the word after its dotted status line."""
    line = next(line for line in out.splitlines() if line.startswith(hook_name))
    return line.rstrip(".").rsplit(".", 1)[-1].strip()


def test_the_documented_rev_exists_and_carries_these_hooks() -> None:
    import re

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    [rev] = re.findall(r"^\s+rev: ([0-9a-f]{40})\b", text, re.M)
    hooks_then = _git(ROOT, "show", f"{rev}:.pre-commit-hooks.yaml")
    assert hooks_then == (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").strip()
