"""The limits of a Monte Carlo run, in a module of its own so that ``compliance risk --help`` and
the flag checks need not import numpy."""
from __future__ import annotations

# Paths x horizon days simulated in one run: about 10 s (Student-t; GBM half that) on one core,
# measured at 2.5e7 Student-t steps a second; memory stays at CHUNK_PATHS x horizon floats
# (about 400 MB at the longest horizon).
MAX_PATH_DAYS = 250_000_000
MAX_PATHS = 10_000_000
MAX_HORIZON_DAYS = 2520     # ten years of trading days
