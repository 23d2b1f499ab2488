"""``compliance risk``: liquidation room, returns after financing and Monte Carlo figures, for a
contract file or for terms given on the command line (docs/risk.md).

numpy and the contract loader are imported inside :func:`run`, so that building the CLI parser
for other commands stays cheap.
"""
from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any

from compliance import vocabulary
from compliance.errors import InputError
from compliance.records import record
from compliance.risk.limits import MAX_HORIZON_DAYS, MAX_PATH_DAYS, MAX_PATHS

# Which close-out rule a contract's product type follows (docs/sources.md: EU, US, CN).
_CFD_PRODUCTS = set(vocabulary.CFD_LIKE_PRODUCTS)
_RULE_LABELS = {
    "maintenance": "maintenance (equity / position value)",
    "close_out": "close-out level (equity / initial margin)",
    "collateral_ratio": "维持担保比例 line (assets / liabilities)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", nargs="?", metavar="CONTRACT",
                        help="a contract file; flags given explicitly override its terms")
    terms = parser.add_argument_group("terms")
    terms.add_argument("--leverage", help="position value / own equity, e.g. 3 or 3:1")
    terms.add_argument("--class", dest="underlying_class",
                       help="the contract's underlying class to simulate (default: highest leverage)")
    terms.add_argument("--maintenance", help="margin-loan line: equity / position value, e.g. 30%%")
    terms.add_argument("--close-out", dest="close_out",
                       help="CFD line: equity / initial margin, e.g. 50%%")
    terms.add_argument("--collateral-ratio", dest="collateral_ratio",
                       help="维持担保比例 close-out line: assets / liabilities, e.g. 130%%")
    terms.add_argument("--warning", help="warning line, on the same basis as the close-out rule")
    terms.add_argument("--rate", help="annual financing rate (default: the contract's, else 0%%)")
    terms.add_argument("--nbp", action=argparse.BooleanOptionalAction, default=None,
                       help="negative balance protection (default: the contract's, else on)")
    market = parser.add_argument_group("market")
    market.add_argument("--volatility", default="25%", help="annual volatility (default 25%%)")
    market.add_argument("--return", dest="expected_return", default="8%",
                        help="expected annual return of the asset (default 8%%)")
    market.add_argument("--risk-free", dest="risk_free", default="0%",
                        help="annual risk-free rate for the Sharpe ratio (default 0%%)")
    market.add_argument("--target-volatility", dest="target_volatility",
                        help="suggest the leverage that gives this annual volatility")
    sim = parser.add_argument_group("Monte Carlo")
    sim.add_argument("--horizon", default="21",
                     help=f"trading days, 1 to {MAX_HORIZON_DAYS} (default 21, about a month)")
    sim.add_argument("--paths", default="100000",
                     help=f"simulated paths, at most {MAX_PATHS:,}; 0 skips the simulation. "
                          f"Paths x horizon is at most {MAX_PATH_DAYS:,} (about 10 seconds)")
    sim.add_argument("--seed", default="42", help="random seed (default 42)")
    sim.add_argument("--model", default="gbm", choices=["gbm", "student-t"])
    sim.add_argument("--df", default="4", help="Student-t degrees of freedom, above 2 (default 4)")
    sim.add_argument("--confidence", default="99%", help="VaR / expected-shortfall level")
    parser.add_argument("--format", default="text", choices=["text", "json"])
    parser.add_argument("--output", metavar="FILE", help="write to FILE (atomically)")


# ---------------------------------------------------------------------------------------------
# Terms: flags and contract -> exact values
# ---------------------------------------------------------------------------------------------

@record
class Terms:
    leverage: Decimal
    rule: str                    # "maintenance" | "close_out" | "collateral_ratio"
    line: Decimal
    warning: Decimal | None
    financing_rate: Decimal
    negative_balance_protection: bool
    volatility: Decimal
    expected_return: Decimal
    risk_free: Decimal
    target_volatility: Decimal | None
    horizon_days: int
    paths: int
    seed: int
    model: str
    df: Decimal
    confidence: Decimal
    contract: str | None = None
    underlying_class: str | None = None
    leverage_cap: Decimal | None = None
    by_class: tuple[tuple[str, Decimal], ...] = ()


def _fail(flag: str, message: str) -> InputError:
    return InputError.at(flag, None, None, message)


def _percent(flag: str, text: str) -> Decimal:
    """``30%``, or a fraction such as ``0.3`` (a bare number above 1 is refused, as in contracts)."""
    from compliance.dsl.units import UnitError, parse_decimal, parse_percent
    try:
        if "%" in text:
            return parse_percent(text).fraction
        value = parse_decimal(text)
    except UnitError as error:
        raise _fail(flag, f"{error}; write a percentage such as 30%") from None
    if abs(value) > 1:
        raise _fail(flag, f"{text!r} is ambiguous: write {text}% or a fraction such as 0.3")
    return value


def _leverage(flag: str, text: str) -> Decimal:
    from compliance.dsl.units import UnitError, parse_leverage
    try:
        return parse_leverage(text if ":" in text else f"{text}:1").times
    except UnitError as error:
        raise _fail(flag, f"{error}; write a positive leverage such as 3 or 3:1") from None


def _integer(flag: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise _fail(flag, f"{text!r} is not a whole number") from None
    if not low <= value <= high:
        raise _fail(flag, f"{value} is out of range: use {low} to {high}")
    return value


def _check(flag: str, ok: bool, message: str) -> None:
    if not ok:
        raise _fail(flag, message)


def _contract_terms(path: str, underlying_class: str | None) -> dict[str, Any]:
    """Leverage, close-out rule, financing and NBP as a contract states them."""
    from compliance.documents.contract import load_contract
    data = load_contract(path).data
    found: dict[str, Any] = {"contract": path}
    caps = {name: value.times for name, value in (data.get("leverage") or {}).items()}
    margin = data.get("margin") or {}
    if caps:
        found["by_class"] = tuple(sorted(caps.items()))
        if underlying_class is None:
            underlying_class = max(sorted(caps), key=lambda name: caps[name])
        _check("--class", underlying_class in caps,
               f"{path} has no leverage for class {underlying_class!r}; it has {', '.join(sorted(caps))}")
        found.update(underlying_class=underlying_class, leverage=caps[underlying_class],
                     leverage_cap=caps[underlying_class])
    elif margin.get("financing_margin_ratio") is not None:
        # 融资保证金比例 f allows at most L = 1 + 1/f (docs/sources.md, CN).
        f = margin["financing_margin_ratio"].fraction
        if f > 0:
            found["leverage"] = found["leverage_cap"] = 1 + 1 / f
    product = (data.get("product") or {}).get("type")
    candidates = [("collateral_ratio", "close_out_collateral_ratio", "warning_collateral_ratio"),
                  ("maintenance", "maintenance", "warning_level"),
                  ("close_out", "close_out_level", "warning_level")]
    if product in _CFD_PRODUCTS:
        candidates.reverse()
    for rule, line_key, warning_key in candidates:
        if margin.get(line_key) is not None:
            found.update(rule=rule, line=margin[line_key].fraction)
            if margin.get(warning_key) is not None:
                found["warning"] = margin[warning_key].fraction
            break
    rate = (data.get("financing") or {}).get("annual_rate")
    if rate is not None:
        found["financing_rate"] = rate.fraction
    if isinstance(data.get("negative_balance_protection"), bool):
        found["negative_balance_protection"] = data["negative_balance_protection"]
    return found


def _rule_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    given = [(rule, flag, value) for rule, flag, value in (
        ("maintenance", "--maintenance", args.maintenance),
        ("close_out", "--close-out", args.close_out),
        ("collateral_ratio", "--collateral-ratio", args.collateral_ratio)) if value is not None]
    _check(given[1][1] if len(given) > 1 else "--maintenance", len(given) <= 1,
           "give only one of --maintenance, --close-out and --collateral-ratio")
    if not given:
        return {}
    rule, flag, text = given[0]
    line = _percent(flag, text)
    if rule == "maintenance":
        _check(flag, 0 <= line < 1, f"{text} is outside [0%, 100%): the maintenance line is a "
                                    "share of the position value")
    elif rule == "close_out":
        _check(flag, 0 <= line <= 1, f"{text} is outside [0%, 100%]")
    else:
        _check(flag, line >= 1, f"{text} is below 100%: at 100% the client's equity is already zero")
    return {"rule": rule, "line": line}


def build_terms(args: argparse.Namespace) -> Terms:
    """Every input, checked; an InputError names the flag of the first bad one."""
    found: dict[str, Any] = {}
    if args.contract:
        found = _contract_terms(args.contract, args.underlying_class)
    elif args.underlying_class:
        raise _fail("--class", "--class needs a CONTRACT")
    found.update(_rule_from_flags(args))
    if args.leverage is not None:
        found["leverage"] = _leverage("--leverage", args.leverage)
    if "leverage" not in found:
        raise _fail("--leverage", "no leverage: give --leverage or a CONTRACT that states one")
    if "rule" not in found:
        raise _fail("--maintenance", "no close-out rule: give --maintenance, --close-out or "
                                     "--collateral-ratio, or a CONTRACT that states one")
    if args.warning is not None:
        found["warning"] = _percent("--warning", args.warning)
    if args.rate is not None:
        found["financing_rate"] = _percent("--rate", args.rate)
    if args.nbp is not None:
        found["negative_balance_protection"] = args.nbp
    volatility = _percent("--volatility", args.volatility)
    _check("--volatility", volatility > 0, "volatility must be above 0%")
    df = _decimal("--df", args.df)
    _check("--df", args.model != "student-t" or df > 2, "Student-t needs --df above 2")
    confidence = _percent("--confidence", args.confidence)
    _check("--confidence", 0 < confidence < 1, "confidence must be between 0% and 100%")
    target = None
    if args.target_volatility is not None:
        target = _percent("--target-volatility", args.target_volatility)
        _check("--target-volatility", target >= 0, "the target volatility must not be negative")
    horizon = _integer("--horizon", args.horizon, 1, MAX_HORIZON_DAYS)
    paths = _integer("--paths", args.paths, 0, MAX_PATHS)
    _check("--paths", paths * horizon <= MAX_PATH_DAYS,
           f"--paths {paths:,} x --horizon {horizon:,} is {paths * horizon:,} simulated days; at "
           f"most {MAX_PATH_DAYS:,} (about 10 seconds): lower --paths or --horizon")
    return Terms(
        leverage=found["leverage"], rule=found["rule"], line=found["line"],
        warning=found.get("warning"), financing_rate=found.get("financing_rate", Decimal(0)),
        negative_balance_protection=found.get("negative_balance_protection", True),
        volatility=volatility, expected_return=_percent("--return", args.expected_return),
        risk_free=_percent("--risk-free", args.risk_free), target_volatility=target,
        horizon_days=horizon, paths=paths,
        seed=_integer("--seed", args.seed, 0, 2 ** 63 - 1), model=args.model, df=df,
        confidence=confidence, contract=found.get("contract"),
        underlying_class=found.get("underlying_class"), leverage_cap=found.get("leverage_cap"),
        by_class=found.get("by_class", ()))


def _decimal(flag: str, text: str) -> Decimal:
    from compliance.dsl.units import UnitError, parse_decimal
    try:
        return parse_decimal(text)
    except UnitError as error:
        raise _fail(flag, str(error)) from None


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def _drop(rule: str, leverage: Decimal, line: Decimal) -> Decimal:
    from compliance.risk import close_out_drop, collateral_ratio_drop, liquidation_drop
    function = {"maintenance": liquidation_drop, "close_out": close_out_drop,
                "collateral_ratio": collateral_ratio_drop}[rule]
    return function(leverage, line)


def _number(value: Decimal | float) -> float:
    """JSON numbers: rounded so that the output is stable and readable, never ``-0.0``."""
    return round(float(value), 10) + 0.0


def figures(terms: Terms) -> dict[str, Any]:
    """Every figure of the report, as plain JSON-ready data in a fixed order."""
    from compliance.risk import (
        break_even_return,
        levered_return,
        levered_volatility,
        sharpe_ratio,
        volatility_target_leverage,
    )
    lev = terms.leverage
    drop = _drop(terms.rule, lev, terms.line)
    liquidation: dict[str, Any] = {"liquidation_drop": _number(drop), "warning_drop": None}
    if terms.warning is not None:
        liquidation["warning_drop"] = _number(_drop(terms.rule, lev, terms.warning))
    liquidation["by_class"] = [
        {"class": name, "leverage": _number(cap),
         "liquidation_drop": _number(_drop(terms.rule, cap, terms.line))}
        for name, cap in terms.by_class]
    r, sigma, c, rf = terms.expected_return, terms.volatility, terms.financing_rate, terms.risk_free
    returns: dict[str, Any] = {
        "levered_return": _number(levered_return(lev, r, c)),
        "levered_volatility": _number(levered_volatility(lev, sigma)),
        "sharpe_ratio": _number(sharpe_ratio(lev, r, sigma, c, rf)),
        "unlevered_sharpe_ratio": _number(sharpe_ratio(Decimal(1), r, sigma, c, rf)),
        "break_even_return": _number(break_even_return(lev, c)),
        "volatility_target_leverage": None,
    }
    if terms.target_volatility is not None:
        returns["volatility_target_leverage"] = _number(
            volatility_target_leverage(terms.target_volatility, sigma, terms.leverage_cap))
    return {"terms": _terms_json(terms), "liquidation": liquidation, "returns": returns,
            "monte_carlo": _monte_carlo(terms, drop) if terms.paths else None}


def _terms_json(terms: Terms) -> dict[str, Any]:
    optional = {"warning": terms.warning, "target_volatility": terms.target_volatility,
                "leverage_cap": terms.leverage_cap}
    return {
        "contract": terms.contract, "class": terms.underlying_class,
        "leverage": _number(terms.leverage), "rule": terms.rule, "line": _number(terms.line),
        **{key: None if value is None else _number(value) for key, value in optional.items()},
        "financing_rate": _number(terms.financing_rate),
        "negative_balance_protection": terms.negative_balance_protection,
        "volatility": _number(terms.volatility), "expected_return": _number(terms.expected_return),
        "risk_free": _number(terms.risk_free),
    }


def _monte_carlo(terms: Terms, drop: Decimal) -> dict[str, Any]:
    from compliance.risk.montecarlo import (
        gbm_liquidation_probability,
        simulate_liquidation,
    )
    market = {"expected_return": float(terms.expected_return),
              "volatility": float(terms.volatility),
              "financing_rate": float(terms.financing_rate), "horizon_days": terms.horizon_days}
    result = simulate_liquidation(
        float(terms.leverage), float(drop), **market, paths=terms.paths, seed=terms.seed,
        model=terms.model, df=float(terms.df), confidence=float(terms.confidence),
        negative_balance_protection=terms.negative_balance_protection)
    return {
        "model": result.model, "df": _number(terms.df) if terms.model == "student-t" else None,
        "paths": result.paths, "horizon_days": result.horizon_days, "seed": result.seed,
        "liquidation_probability": _number(result.liquidation_probability),
        "standard_error": _number(result.standard_error),
        "closed_form_gbm": _number(gbm_liquidation_probability(float(drop), **market)),
        "liquidation_day_percentiles": {str(q): day for q, day in result.liquidation_day_percentiles},
        "mean_days_to_liquidation": None if result.mean_days_to_liquidation is None
        else _number(result.mean_days_to_liquidation),
        "cumulative_probability": [_number(p) for p in result.cumulative_probability],
        "confidence": _number(result.confidence),
        "value_at_risk": _number(result.value_at_risk),
        "expected_shortfall": _number(result.expected_shortfall),
        "mean_equity": _number(result.mean_equity),
        "debt_probability": _number(result.debt_probability),
    }


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def _pct(value: float | None, places: int = 2) -> str:
    return "-" if value is None else f"{value * 100:.{places}f}%"


def _room(drop: float) -> str:
    return _pct(drop) + (" (the position opens at or below this line)" if drop == 0 else "")


def render_text(report: dict[str, Any]) -> str:
    t, liq, ret, mc = report["terms"], report["liquidation"], report["returns"], report["monte_carlo"]
    rule_label = _RULE_LABELS[t["rule"]]
    lines = ["Liquidation and risk figures"]
    if t["contract"]:
        lines.append(f"  contract            {t['contract']}"
                     + (f" (class {t['class']})" if t["class"] else ""))
    lines += [
        f"  leverage            {t['leverage']:g}:1",
        f"  line                {_pct(t['line'])}, {rule_label}",
        f"  financing rate      {_pct(t['financing_rate'])} a year",
        f"  negative balance protection {'on' if t['negative_balance_protection'] else 'off'}",
        "",
        "Price room (fall from entry that reaches the line)",
        f"  forced liquidation  {_room(liq['liquidation_drop'])}",
        f"  warning line        {_room(liq['warning_drop'])}" if t["warning"] is not None else
        "  warning line        - (no warning line given)",
    ]
    for row in liq["by_class"]:
        lines.append(f"    {row['class']:<16} {row['leverage']:>7g}:1  {_pct(row['liquidation_drop'])}")
    lines += [
        "",
        f"Returns, annual (asset {_pct(t['expected_return'])}, volatility {_pct(t['volatility'])}, "
        f"risk-free {_pct(t['risk_free'])})",
        f"  levered return      {_pct(ret['levered_return'])} after financing",
        f"  levered volatility  {_pct(ret['levered_volatility'])}",
        f"  Sharpe ratio        {ret['sharpe_ratio']:.2f} (unlevered {ret['unlevered_sharpe_ratio']:.2f})",
        f"  break-even return   {_pct(ret['break_even_return'])} of the asset",
    ]
    if ret["volatility_target_leverage"] is not None:
        lines.append(f"  leverage for the target volatility  {ret['volatility_target_leverage']:.2f}:1")
    if mc is not None:
        model = mc["model"] + (f", df {mc['df']:g}" if mc["df"] is not None else "")
        days = ", ".join(f"p{q} {day}" for q, day in mc["liquidation_day_percentiles"].items())
        lines += [
            "",
            f"Monte Carlo ({model}; {mc['paths']} paths, {mc['horizon_days']} trading days, "
            f"seed {mc['seed']})",
            f"  P(forced liquidation)  {_pct(mc['liquidation_probability'])} "
            f"± {_pct(mc['standard_error'])} (closed form, GBM: {_pct(mc['closed_form_gbm'])})",
            f"  day of liquidation     {days or '- (none)'}",
            f"  VaR at {_pct(mc['confidence'], 1):<15} {_pct(mc['value_at_risk'])} of equity",
            f"  expected shortfall     {_pct(mc['expected_shortfall'])} of equity",
            f"  mean equity at horizon {mc['mean_equity']:.4f} x initial",
            f"  P(negative equity)     {_pct(mc['debt_probability'])}",
        ]
    return "\n".join(lines) + "\n"


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    from compliance.report.output import emit
    from compliance.risk import RiskInputError
    terms = build_terms(args)
    try:
        report = figures(terms)
    except RiskInputError as error:
        raise InputError.at(terms.contract or "compliance risk", None, None, str(error)) from None
    emit(render_json(report) if args.format == "json" else render_text(report), args.output)
    return 0
