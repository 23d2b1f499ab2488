"""Settings every test runs under: the ruleset cache in a folder of the test session's own, so
tests neither read what an earlier run left in the user's cache nor leave anything there."""
from __future__ import annotations

import os

import pytest

from compliance.dsl.store import CACHE_DIR_VARIABLE, NO_CACHE_VARIABLE


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    saved = {name: os.environ.get(name) for name in (CACHE_DIR_VARIABLE, NO_CACHE_VARIABLE)}
    os.environ[CACHE_DIR_VARIABLE] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop(NO_CACHE_VARIABLE, None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
