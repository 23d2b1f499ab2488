"""Settings every test runs under: the ruleset cache in a folder of the test session's own, so
tests neither read what an earlier run left in the user's cache nor leave anything there; Ctrl-C
deliverable, whoever started the run."""
from __future__ import annotations

import os
import signal

import pytest

from compliance.dsl.store import CACHE_DIR_VARIABLE, NO_CACHE_VARIABLE

# A shell without job control starts background commands with SIGINT ignored, and an ignored
# signal stays ignored in every program they start: the interrupt tests would then test nothing
# but the shell. Python's own handler here means SIG_DFL in the commands the tests start.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
