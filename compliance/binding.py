"""Which limit binds when several rulesets apply: the strictest value of each shared limit.

A ruleset declares which of its parameters is which limit by the parameter's NAME: the table
``PARAM_LIMITS`` below is the shared vocabulary (documented in docs/regimes.md). A parameter named
there is read as that limit in every ruleset; a map parameter (``retail_cap``) gives one limit per
key (``leverage_cap.fx_major``). Parameter names are used rather than limit names because a
parameter may not be called like a contract field (``minimum_equity``, ``initial_margin``): it
would hide the field from the ruleset's own rules.

For each limit that at least two of the rulesets set (on the as-of date), the result lists each
regime's value and the one that binds: the lowest leverage cap; the highest margin, close-out,
maintenance or minimum equity; the close-out comparison that closes out earliest.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from compliance.dsl.model import Ruleset
from compliance.dsl.units import Leverage, Money, Percent, format_value


@dataclass(frozen=True)
class Limit:
    name: str            # the limit, or its prefix for a map parameter ("leverage_cap")
    direction: str       # "lowest" | "highest" | "strictest"
    per_key: bool = False


# parameter name -> limit. Several names may stand for one limit (rulesets written before the
# vocabulary keep their names).
PARAM_LIMITS: dict[str, Limit] = {
    "retail_cap": Limit("leverage_cap", "lowest", per_key=True),
    "retail_initial_margin": Limit("initial_margin", "highest", per_key=True),
    "max_margin_loan_leverage": Limit("leverage_cap.margin_financing", "lowest"),
    "close_out_level": Limit("close_out_level", "highest"),
    "close_out_comparison": Limit("close_out_comparison", "strictest"),
    "maintenance_margin": Limit("maintenance_margin", "highest"),
    "min_maintenance": Limit("maintenance_margin", "highest"),
    "short_maintenance_margin": Limit("maintenance_margin.short", "highest"),
    "reg_t_initial_margin": Limit("initial_margin.margin_financing", "highest"),
    "min_equity": Limit("minimum_equity", "highest"),
    "pdt_min_equity": Limit("minimum_equity.pattern_day_trader", "highest"),
    "financing_margin_min": Limit("financing_margin_ratio", "highest"),
    "min_financing_margin_ratio": Limit("financing_margin_ratio", "highest"),
    "short_sale_margin_min": Limit("short_sale_margin_ratio", "highest"),
    "warning_collateral_ratio": Limit("warning_collateral_ratio", "highest"),
    "close_out_collateral_ratio": Limit("close_out_collateral_ratio", "highest"),
    "withdrawal_collateral_ratio": Limit("withdrawal_collateral_ratio", "highest"),
}

# For "strictest" limits: later in the list closes out earlier (at the level beats below it).
STRICTNESS: dict[str, tuple[str, ...]] = {
    "close_out_comparison": ("below", "at_or_below"),
}


def limit_values(ruleset: Ruleset, as_of: _dt.date) -> dict[str, Any]:
    """The limits one ruleset sets on ``as_of``: limit name -> value (missing ones left out)."""
    from compliance.evaluate.scalar import params_as_of
    from compliance.evaluate.values import MISSING

    params = params_as_of(ruleset, as_of)
    found: dict[str, Any] = {}
    for name, limit in PARAM_LIMITS.items():
        value = params.get(name, MISSING)
        if value is MISSING:
            continue
        if limit.per_key:
            if isinstance(value, dict):
                for key, item in value.items():
                    if item is not MISSING:
                        found.setdefault(f"{limit.name}.{key}", item)
            continue
        found.setdefault(limit.name, value)
    return found


def _direction(limit_name: str) -> str:
    for limit in PARAM_LIMITS.values():
        if limit_name == limit.name or limit.per_key and limit_name.startswith(limit.name + "."):
            return limit.direction
    return "highest"


def _sort_key(value: Any, limit_name: str) -> Any:
    """A number that orders values from least to most of the quantity (None: not comparable)."""
    if isinstance(value, Leverage):
        return value.times
    if isinstance(value, Percent):
        return value.fraction
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, str):
        order = STRICTNESS.get(limit_name.split(".")[0], ())
        return order.index(value) if value in order else None
    return value


def _comparable(values: list[Any]) -> bool:
    currencies = {v.currency for v in values if isinstance(v, Money)}
    kinds = {type(v) for v in values}
    return len(kinds) == 1 and len(currencies) <= 1


def binding_limits(rulesets: list[Ruleset], as_of: _dt.date) -> list[dict[str, Any]]:
    """Every limit set by several of the rulesets, with each regime's value and the one that binds."""
    per_ruleset = [(ruleset.name, limit_values(ruleset, as_of)) for ruleset in rulesets]
    names: list[str] = []
    for _name, limits in per_ruleset:
        names.extend(limit for limit in limits if limit not in names)
    rows = []
    for limit in sorted(names):
        setters = [(name, limits[limit]) for name, limits in per_ruleset if limit in limits]
        if len(setters) < 2:
            continue
        direction = _direction(limit)
        raw = [value for _name, value in setters]
        keys = [_sort_key(value, limit) for value in raw]
        row: dict[str, Any] = {
            "limit": limit,
            "values": [{"ruleset": name, "value": format_value(value) if not isinstance(value, str)
                        else value} for name, value in setters],
            "binding": None, "binding_value": None, "direction": direction,
        }
        if _comparable(raw) and None not in keys:
            wanted = min(keys) if direction == "lowest" else max(keys)
            winners = [name for (name, _value), key in zip(setters, keys) if key == wanted]
            value = raw[keys.index(wanted)]
            row["binding"] = winners[0]
            row["binding_value"] = value if isinstance(value, str) else format_value(value)
            row["tied"] = winners if len(winners) > 1 else []
        else:
            row["tied"] = []
            row["note"] = "not comparable (different units or currencies)"
        rows.append(row)
    return rows
