"""compliance: rules-as-code checks of leveraged-trading contracts and account snapshots."""
from __future__ import annotations

__version__ = "0.2.0"
# The name the tool is installed by (pip install leverage-compliance).
DISTRIBUTION = "leverage-compliance"
