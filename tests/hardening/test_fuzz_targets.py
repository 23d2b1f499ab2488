"""The fuzz targets (fuzz/targets.py) run on their seeds without crashing, so that fuzz/run.py
fuzzes working entry points: each seed gives a result or an InputError that renders."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hardening_support import assert_renders

from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _targets():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_targets", ROOT / "fuzz" / "targets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_targets"] = module
    spec.loader.exec_module(module)
    return module


TARGETS = _targets()


@pytest.mark.parametrize("name", sorted(TARGETS.TARGETS))
def test_each_target_runs_on_its_seeds(name: str) -> None:
    run = TARGETS.TARGETS[name]()
    seeds = TARGETS.seeds(name)
    assert seeds, f"target {name} has no seed"
    for data in seeds[:6] + [b"", b"\x00\xff", seeds[0][: len(seeds[0]) // 2]]:
        try:
            run(data)
        except InputError as error:
            assert_renders(error)
