"""Platform-wide audit of an account snapshot: metrics over all accounts and price-shock stress."""
from __future__ import annotations

from compliance.audit.metrics import PlatformMetrics, compute_metrics
from compliance.audit.stress import StressResult, parse_shocks, run_stress

__all__ = ["PlatformMetrics", "StressResult", "compute_metrics", "parse_shocks", "run_stress"]
