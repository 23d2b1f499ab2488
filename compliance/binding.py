"""Which limit binds when several rulesets apply: the strictest value of each shared parameter."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from compliance.dsl.checker import Ruleset


def binding_limits(rulesets: list[Ruleset], as_of: _dt.date) -> list[dict[str, Any]]:
    return []
