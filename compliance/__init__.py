"""compliance: rules-as-code checks of leveraged-trading contracts and account snapshots."""
from __future__ import annotations

__version__ = "0.1.0"
