"""Run-time values and builtins: exact unit arithmetic and comparison, and every builtin's
signature check and scalar implementation, as tables of domain cases.

Expected figures are worked out by hand from the formulas of docs/sources.md, formulas (and the
docstrings of ``compliance.risk``), not copied from the implementation.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from compliance.dsl import types as T
from compliance.dsl.units import (
    Duration,
    Leverage,
    Money,
    Percent,
    UnitError,
    leverage_from_margin,
    parse_leverage,
    parse_percent,
)
from compliance.evaluate.builtins import REGISTRY, SignatureError
from compliance.evaluate.values import (
    MISSING,
    arith,
    as_margin,
    compare,
    compare_op,
    equal,
    kind_of,
    member,
    negate,
    shift_date,
)

D = Decimal


def pct(text: str) -> Percent:
    return parse_percent(text)


def lev(text: str) -> Leverage:
    return parse_leverage(text)


def eur(amount: str) -> Money:
    return Money(D(amount), "EUR")


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def days(n: int) -> Duration:
    return Duration(n, "days")


def months(n: int) -> Duration:
    return Duration(n, "months")


def date(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


def close_to(value: Decimal, exact: Decimal, places: int = 28) -> bool:
    return abs(value - exact) < D(10) ** -places


# ---- arithmetic ---------------------------------------------------------------------------------

ARITH = [
    # money keeps its currency; a share of money is a percentage
    ("eur plus eur", "+", eur("100"), eur("50"), eur("150")),
    ("eur minus eur goes negative", "-", eur("100"), eur("150.25"), eur("-50.25")),
    ("margin used over equity is a share", "/", eur("100"), eur("400"), pct("25%")),
    ("money times a number", "*", eur("100"), D(3), eur("300")),
    ("money times a percentage", "*", eur("25000"), pct("3.33%"), eur("832.5")),
    ("number times money", "*", D(2), eur("10.5"), eur("21")),
    ("percentage times money", "*", pct("50%"), eur("80"), eur("40")),
    ("money divided by a number", "/", eur("100"), D(8), eur("12.5")),
    ("money plus literal zero", "+", eur("7"), D(0), eur("7")),
    ("zero plus money", "+", D(0), eur("7"), eur("7")),
    ("zero minus money", "-", D(0), eur("7"), eur("-7")),
    # dates and durations
    ("date plus days", "+", date("2026-01-15"), days(10), date("2026-01-25")),
    ("date minus days crosses a year", "-", date("2026-01-05"), days(10), date("2025-12-26")),
    ("date plus a month", "+", date("2026-01-15"), months(1), date("2026-02-15")),
    ("jan 31 + 1 month is feb 28", "+", date("2026-01-31"), months(1), date("2026-02-28")),
    ("jan 31 + 1 month in a leap year is feb 29", "+", date("2024-01-31"), months(1), date("2024-02-29")),
    ("may 31 + 1 month is jun 30", "+", date("2026-05-31"), months(1), date("2026-06-30")),
    ("mar 31 - 1 month is feb 28", "-", date("2026-03-31"), months(1), date("2026-02-28")),
    ("dec 31 + 2 months crosses the year", "+", date("2025-12-31"), months(2), date("2026-02-28")),
    ("a year of months from feb 29", "+", date("2024-02-29"), months(12), date("2025-02-28")),
    ("date minus date is days", "-", date("2026-03-01"), date("2026-02-01"), days(28)),
    ("days plus days", "+", days(2), days(5), days(7)),
    ("months minus months", "-", months(6), months(1), months(5)),
    # text
    ("text concatenation", "+", "close-", "out", "close-out"),
    # dimensionless
    ("percent plus percent", "+", pct("50%"), pct("30%"), pct("80%")),
    ("percent minus percent", "-", pct("50%"), pct("80%"), pct("-30%")),
    ("percent of a percent", "*", pct("50%"), pct("50%"), pct("25%")),
    ("percent over percent is a plain ratio", "/", pct("50%"), pct("25%"), D(2)),
    ("percent times a number", "*", pct("3%"), D(4), pct("12%")),
    ("number times a percent", "*", D(4), pct("3%"), pct("12%")),
    ("percent over a number", "/", pct("6%"), D(12), pct("0.5%")),
    ("percent plus literal zero stays a percent", "+", pct("5%"), D(0), pct("5%")),
    ("numbers", "-", D("1.10"), D("0.2"), D("0.90")),
    ("one third is exact to 34 digits", "/", D(1), D(3), D("0." + "3" * 34)),
]


@pytest.mark.parametrize("op, left, right, expected", [case[1:] for case in ARITH],
                         ids=[case[0] for case in ARITH])
def test_arith(op: str, left: Any, right: Any, expected: Any) -> None:
    result = arith(op, left, right)
    assert result == expected
    assert type(result) is type(expected)


ARITH_ERRORS = [
    ("eur plus usd", "+", eur("1"), usd("1"), "currencies differ"),
    ("eur compared via minus usd", "-", eur("1"), usd("1"), "currencies differ"),
    ("money times money", "*", eur("2"), eur("3"), "cannot multiply"),
    ("money plus a non-zero number", "+", eur("2"), D(3), "cannot compute money (EUR) + number"),
    ("money divided by zero", "/", eur("2"), D(0), "division by zero"),
    ("money over zero money", "/", eur("2"), eur("0"), "division by zero"),
    ("number divided by zero", "/", D(1), D(0), "division by zero"),
    ("zero over zero", "/", D(0), D(0), "division by zero"),
    ("percent over zero percent", "/", pct("5%"), pct("0%"), "division by zero"),
    ("days plus months", "+", days(30), months(1), "cannot combine"),
    ("date plus date", "+", date("2026-01-01"), date("2026-01-02"), "cannot compute date + date"),
    ("text minus text", "-", "a", "b", "cannot compute string - string"),
    ("bool is not a number", "+", True, D(1), "cannot compute bool + number"),
    ("a list is not a number", "*", [D(1)], D(2), "cannot compute list * number"),
]


@pytest.mark.parametrize("op, left, right, message", [case[1:] for case in ARITH_ERRORS],
                         ids=[case[0] for case in ARITH_ERRORS])
def test_arith_errors(op: str, left: Any, right: Any, message: str) -> None:
    with pytest.raises(UnitError, match=re.escape(message)):
        arith(op, left, right)


@pytest.mark.parametrize("left, right", [(MISSING, D(1)), (eur("1"), MISSING), (MISSING, MISSING),
                                         (MISSING, eur("0"))])
def test_missing_propagates_through_arithmetic(left: Any, right: Any) -> None:
    for op in "+-*/":
        assert arith(op, left, right) is MISSING


@pytest.mark.parametrize("value, expected", [
    (eur("12.5"), eur("-12.5")), (pct("3.33%"), pct("-3.33%")), (D(4), D(-4)), (7, -7),
    (MISSING, MISSING)])
def test_negate(value: Any, expected: Any) -> None:
    assert negate(value) is expected if expected is MISSING else negate(value) == expected


@pytest.mark.parametrize("value", ["text", True, date("2026-01-01"), lev("30:1")])
def test_negate_rejects_what_has_no_sign(value: Any) -> None:
    with pytest.raises(UnitError, match="cannot negate"):
        negate(value)


def test_shift_date_by_days_and_months() -> None:
    assert shift_date(date("2026-02-28"), days(1)) == date("2026-03-01")
    assert shift_date(date("2026-08-31"), months(-6)) == date("2026-02-28")
    assert shift_date(date("2026-01-30"), months(1)) == date("2026-02-28")
    assert shift_date(date("2026-01-29"), months(13)) == date("2027-02-28")


# ---- comparison ---------------------------------------------------------------------------------

COMPARE = [
    ("higher leverage", lev("30:1"), lev("20:1"), 1),
    ("30.03:1 written as a ratio is above 30:1", lev("30.03:1"), lev("30:1"), 1),
    ("3.33% margin complies with 30:1", leverage_from_margin(pct("3.33%")), lev("30:1"), 0),
    ("3.32% margin is above 30:1", leverage_from_margin(pct("3.32%")), lev("30:1"), 1),
    ("5% margin is 20:1", lev("20:1"), leverage_from_margin(pct("5%")), 0),
    ("money", eur("10"), eur("20"), -1),
    ("money equal to the cent", eur("10.00"), eur("10"), 0),
    ("negative money below zero", eur("-0.01"), D(0), -1),
    ("zero below positive money", D(0), eur("5"), -1),
    ("dates", date("2026-01-02"), date("2026-01-01"), 1),
    ("days", days(2), days(14), -1),
    ("months", months(6), months(6), 0),
    ("text", "eligible_counterparty", "retail", -1),
    ("bools", True, False, 1),
    ("50% is the fraction 0.5", pct("50%"), D("0.5"), 0),
    ("percents", pct("49.99%"), pct("50%"), -1),
    ("numbers", D(2), 10, -1),
]


@pytest.mark.parametrize("left, right, expected", [case[1:] for case in COMPARE],
                         ids=[case[0] for case in COMPARE])
def test_compare(left: Any, right: Any, expected: int) -> None:
    assert compare(left, right) == expected
    assert compare(right, left) == -expected


COMPARE_ERRORS = [
    ("percent vs leverage", pct("3.33%"), lev("30:1"), "convert with margin_of"),
    ("leverage vs percent", lev("30:1"), pct("3.33%"), "convert with margin_of"),
    ("eur vs usd", eur("1"), usd("1"), "currencies differ"),
    ("money vs non-zero number", eur("5"), D(3), "cannot compare money"),
    ("number vs money", D(3), eur("5"), "cannot compare number with money"),
    ("days vs months", days(30), months(1), "days and months differ"),
    ("bool vs number", True, D(1), "cannot compare bool with number"),
    ("text vs number", "30", D(30), "cannot compare string with number"),
    ("date vs text", date("2026-01-01"), "2026-01-01", "cannot compare date with string"),
]


@pytest.mark.parametrize("left, right, message", [case[1:] for case in COMPARE_ERRORS],
                         ids=[case[0] for case in COMPARE_ERRORS])
def test_compare_errors(left: Any, right: Any, message: str) -> None:
    with pytest.raises(UnitError, match=re.escape(message)):
        compare(left, right)


@pytest.mark.parametrize("op, left, right, expected", [
    ("<=", leverage_from_margin(pct("3.33%")), lev("30:1"), True),
    ("<", leverage_from_margin(pct("3.33%")), lev("30:1"), False),
    (">=", eur("50"), eur("50"), True),
    (">", eur("50"), eur("50"), False),
    ("==", [D(1), pct("5%")], [D(1), pct("5%")], True),
    ("==", [D(1)], [D(1), D(2)], False),
    ("==", {"fx_major": lev("30:1")}, {"fx_major": lev("30:1")}, True),
    ("==", {"fx_major": lev("30:1")}, {"gold": lev("30:1")}, False),
    ("!=", "retail", "professional", True),
    ("!=", D(1), D("1.00"), False),
])
def test_compare_op(op: str, left: Any, right: Any, expected: bool) -> None:
    assert compare_op(op, left, right) is expected


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparison_with_missing_is_unknown(op: str) -> None:
    assert compare_op(op, MISSING, D(1)) is MISSING
    assert compare_op(op, eur("1"), MISSING) is MISSING


def test_equal_on_mixed_units_raises_rather_than_guessing() -> None:
    with pytest.raises(UnitError):
        equal(eur("1"), usd("1"))


@pytest.mark.parametrize("item, collection, expected", [
    ("fx_major", {"fx_major": lev("30:1"), "gold": lev("20:1")}, True),
    ("crypto", {"fx_major": lev("30:1")}, False),
    ("cfd", ["cfd", "spread_bet"], True),
    ("margin_loan", ["cfd", "spread_bet"], False),
    (D(2), [D(1), D(2)], True),
    ("x", [eur("1"), "x"], True),         # a value of another unit is skipped, not an error
    (pct("50%"), [eur("1"), D("0.5")], True),
    (pct("50%"), [eur("1")], False),
    ("x", (), False),
])
def test_member(item: Any, collection: Any, expected: bool) -> None:
    assert member(item, collection) is expected


def test_member_missing_and_errors() -> None:
    assert member(MISSING, ["a"]) is MISSING
    assert member("a", MISSING) is MISSING
    with pytest.raises(UnitError, match="cannot look for a value in string"):
        member("a", "abc")


@pytest.mark.parametrize("value, kind", [
    (True, "bool"), (D(1), "number"), (3, "number"), (pct("5%"), "percent"), (lev("2:1"), "leverage"),
    (eur("1"), "money (EUR)"), (Money(D(1), ""), "money"), (date("2026-01-01"), "date"),
    (days(1), "duration"), ("x", "string"), ([1], "list"), ((1,), "list"), ({}, "map"),
    (None, "NoneType")])
def test_kind_of(value: Any, kind: str) -> None:
    assert kind_of(value) == kind


@pytest.mark.parametrize("leverage, margin", [("30:1", "3.33%"), ("20:1", "5%"), ("2:1", "50%"),
                                              ("3:1", "33.33%"), ("1:1", "100%")])
def test_as_margin_is_the_published_margin(leverage: str, margin: str) -> None:
    assert as_margin(lev(leverage)) == pct(margin)


# ---- builtins: signatures -----------------------------------------------------------------------

L, P, N, M, S, B, DT = T.LEVERAGE, T.PERCENT, T.NUMBER, T.money("EUR"), T.STRING, T.BOOL, T.DATE
LS, MP = T.list_of(T.STRING), T.map_of(T.LEVERAGE)
REC = T.record({"a": T.NUMBER})

# name -> (accepted argument types, their result type, rejected argument lists)
SIGNATURES: dict[str, tuple[list[T.Type], T.Type, list[list[T.Type]]]] = {
    "margin_of": ([L], P, [[P], [N], [L, L], []]),
    "leverage_of": ([P], L, [[L], [M], [M, P], [M, T.money("USD")], [P, P]]),
    "liquidation_drop": ([L, P], P, [[P, P], [L, M], [L], [S, P]]),
    "warning_drop": ([N, N], P, [[L, L], [DT, P]]),
    "close_out_drop": ([L, P], P, [[M, P], [L, S]]),
    "collateral_ratio_drop": ([N, P], P, [[L, B], [L, P, P]]),
    "levered_return": ([L, P, P], P, [[L, P], [L, P, M], [P, P, P]]),
    "break_even_return": ([L, P], P, [[L, L], [L]]),
    "mentions": ([S, LS], B, [[N, LS], [S, N], [S]]),
    "mentions_all": ([LS, S], B, [[MP, LS], [S, B]]),
    "first_mention": ([S, LS], S, [[DT, LS], [S, P]]),
    "missing_phrases": ([S, LS], LS, [[S, M], [B, S]]),
    "matches": ([S, S], B, [[S, LS], [N, S]]),
    "without": ([S, LS], S, [[N, LS], [S, N], [S]]),
    "lower": ([S], S, [[LS], [N], [S, S]]),
    "length": ([LS], N, [[N], [B], [S, S]]),
    "keys": ([MP], LS, [[LS], [S], []]),
    "join": ([LS, S], S, [[S, S], [LS, LS]]),
    "abs": ([M], M, [[L], [S], [DT]]),
    "days_between": ([DT, DT], N, [[DT, S], [S, DT], [DT]]),
    "either": ([P, P], P, [[P, L], [P], [P, P, P]]),
    "stated": ([M], B, [[], [M, M]]),
    "says": ([LS, LS], B, [[N, LS], [S]]),
    "pluck": ([T.list_of(T.record({"text": T.STRING})), S], LS, [[S, S], [LS, N]]),
    "percentages_in": ([S], T.list_of(P), [[N], [S, S]]),
    "percentage_near": ([LS, LS], P, [[N, LS], [S]]),
    "claims": ([LS, T.map_of(LS), S], B, [[S, LS], [N, T.map_of(LS)], [S, T.map_of(S)], [S]]),
    "first_claim": ([S, T.map_of(LS)], S, [[S, S], [S, T.map_of(LS), N]]),
    "claim_explanation": ([S, T.map_of(LS)], S, [[B, T.map_of(LS)]]),
    "contradicts": ([S, S, T.map_of(LS)], B, [[S], [S, N], [S, S, LS]]),
    "first_contradiction": ([LS, S], S, [[S, B]]),
    "contradiction_explanation": ([S, S], S, [[S], [S, N]]),
    "language_of": ([LS], S, [[N], [MP], [S, S]]),
    "leverages_in": ([S], T.list_of(L), [[N], []]),
    "percentages_of": ([LS, S], T.list_of(P), [[S], [S, N]]),
    "leverages_other_than": ([LS, MP], T.list_of(L), [[S], [S, P], [N, L]]),
    "percentages_other_than": ([S, S, T.list_of(P)], T.list_of(P), [[S, S], [S, S, L], [S, N, P]]),
    "currency_pair": ([S], LS, [[LS], [N], [S, S]]),
}


def test_every_builtin_has_a_signature_case() -> None:
    assert set(SIGNATURES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_accepts_its_types(name: str) -> None:
    accepted, result, _rejected = SIGNATURES[name]
    assert REGISTRY[name].check(accepted) == result


@pytest.mark.parametrize("name, arguments", [(name, bad) for name, (_a, _r, rejected) in sorted(SIGNATURES.items())
                                             for bad in rejected])
def test_signature_rejects_wrong_types(name: str, arguments: list[T.Type]) -> None:
    with pytest.raises(SignatureError):
        REGISTRY[name].check(arguments)


def test_signature_errors_say_what_is_wrong() -> None:
    with pytest.raises(SignatureError, match="takes 2 argument\\(s\\), 1 given"):
        REGISTRY["liquidation_drop"].check([L])
    with pytest.raises(SignatureError, match="argument 2 must be number or percent, not money \\(EUR\\)"):
        REGISTRY["liquidation_drop"].check([L, M])
    with pytest.raises(SignatureError, match="cannot combine money \\(EUR\\) with money \\(USD\\)"):
        REGISTRY["leverage_of"].check([M, T.money("USD")])


def test_any_passes_every_signature_slot() -> None:
    assert REGISTRY["margin_of"].check([T.ANY]) == P
    assert REGISTRY["leverage_of"].check([T.money(), T.money("USD")]) == L
    assert REGISTRY["length"].check([REC]) == N and REGISTRY["keys"].check([REC]) == LS
    assert REGISTRY["abs"].check([P]) == P


# ---- builtins: scalar implementations -----------------------------------------------------------

def call(name: str, *args: Any) -> Any:
    return REGISTRY[name].scalar(*args)


def third(x: int, y: int) -> Decimal:
    return D(x) / D(y)


# name, arguments, the exact fraction expected (a Percent unless noted)
RISK = [
    # p* = (1 - mL) / (L(1 - m)): 3:1 at 30% -> 0.1 / 2.1 = 1/21
    ("liquidation_drop", (lev("3:1"), pct("30%")), third(1, 21)),
    ("liquidation_drop", (D(2), D("0.25")), third(1, 3)),          # (1-0.5)/(2*0.75)
    ("liquidation_drop", (lev("4:1"), pct("25%")), D(0)),          # mL = 1: no room
    ("liquidation_drop", (lev("1:1"), pct("30%")), D(1)),          # no debt: only a fall to zero
    ("warning_drop", (lev("2:1"), pct("40%")), third(1, 6)),       # (1-0.8)/(2*0.6)
    # CFD close-out, margin marked to market: p* = (1 - c) / (L - c)
    ("close_out_drop", (lev("30:1"), pct("50%")), third(1, 59)),
    ("close_out_drop", (lev("2:1"), pct("50%")), third(1, 3)),
    # maintenance collateral ratio: p = 1 - R(L-1)/L
    ("collateral_ratio_drop", (lev("2:1"), pct("130%")), D("0.35")),
    ("collateral_ratio_drop", (lev("3:1"), pct("150%")), D(0)),
    # L*r - (L-1)*c: 5 * 8% - 4 * 6% = 16%
    ("levered_return", (lev("5:1"), pct("8%"), pct("6%")), D("0.16")),
    ("levered_return", (D(5), D("0.08"), D("0.06")), D("0.16")),
    ("levered_return", (lev("2:1"), pct("-10%"), pct("5%")), D("-0.25")),
    # (L-1)*c/L: 4 * 6% / 5 = 4.8%
    ("break_even_return", (lev("5:1"), pct("6%")), D("0.048")),
    ("break_even_return", (lev("1:1"), pct("6%")), D(0)),
]


@pytest.mark.parametrize("name, args, exact", RISK, ids=[f"{c[0]}{i}" for i, c in enumerate(RISK)])
def test_risk_builtins(name: str, args: tuple[Any, ...], exact: Decimal) -> None:
    result = call(name, *args)
    assert isinstance(result, Percent)
    assert close_to(result.fraction, exact), (result, exact)


def test_liquidation_drop_of_3_to_1_at_30_percent_is_one_twenty_first() -> None:
    result = call("liquidation_drop", lev("3:1"), pct("30%"))
    assert str(result) == "4.7619%"
    assert close_to(result.fraction * 21, D(1))


@pytest.mark.parametrize("name, arity", [("liquidation_drop", 2), ("warning_drop", 2), ("close_out_drop", 2),
                                         ("collateral_ratio_drop", 2), ("levered_return", 3),
                                         ("break_even_return", 2), ("days_between", 2)])
def test_missing_argument_gives_missing(name: str, arity: int) -> None:
    for position in range(arity):
        args: list[Any] = [lev("2:1") if name != "days_between" else date("2026-01-01")] + \
            [pct("10%") if name != "days_between" else date("2026-02-01")] * (arity - 1)
        args[position] = MISSING
        assert call(name, *args) is MISSING


def test_risk_builtins_reject_non_quantities_at_run_time() -> None:
    with pytest.raises(UnitError, match="expected a leverage, got money"):
        call("liquidation_drop", eur("3"), pct("30%"))
    with pytest.raises(UnitError, match="expected a percentage, got string"):
        call("break_even_return", lev("3:1"), "6%")


def test_margin_of_and_leverage_of() -> None:
    assert call("margin_of", lev("30:1")) == pct("3.33%")
    assert call("margin_of", lev("10:1")) == pct("10%")
    assert call("margin_of", MISSING) is MISSING
    from_margin = call("leverage_of", pct("3.33%"))
    assert isinstance(from_margin, Leverage)
    assert str(from_margin) == "30.03:1"                  # 1 / 0.0333, shown to two decimals
    assert compare_op("<=", from_margin, lev("30:1")) is True
    assert compare_op("<=", call("leverage_of", pct("3.32%")), lev("30:1")) is False
    assert call("leverage_of", MISSING) is MISSING


@pytest.mark.parametrize("exposure, equity, expected", [
    (eur("30000"), eur("1000"), Leverage(D(30))),
    (eur("2500"), eur("1000"), Leverage(D("2.5"))),
    (eur("100"), eur("0"), MISSING),                        # no leverage without positive equity
    (eur("100"), eur("-50"), MISSING),
    (MISSING, eur("10"), MISSING),
])
def test_leverage_of_a_position(exposure: Any, equity: Any, expected: Any) -> None:
    result = call("leverage_of", exposure, equity)
    assert result is MISSING if expected is MISSING else compare(result, expected) == 0


def test_leverage_of_a_position_rejects_mixed_currencies_and_non_money() -> None:
    with pytest.raises(UnitError, match="currencies differ"):
        call("leverage_of", eur("100"), usd("10"))
    with pytest.raises(UnitError, match="two amounts of money"):
        call("leverage_of", D(100), eur("10"))


MENTIONS = [
    ("case-insensitive", "We GUARANTEE your returns", ["guarantee"], True),
    ("full-width latin", "ＧＵＡＲＡＮＴＥＥＤ profit", ["guaranteed"], True),
    ("spacing collapses", "risk   free\ntrading", ["risk free"], True),
    ("CJK across a stray space", "本产品 保 本 保息", ["保本"], True),
    ("CJK phrase written with a space", "本产品保本", ["保 本"], True),
    ("full-width CJK punctuation", "收益：稳赚", ["稳赚"], True),
    ("any text of a list", ["nothing here", "no loss guaranteed"], ["no loss"], True),
    ("a single phrase as text", "Principal protected", "principal protected", True),
    ("absent", "Trading CFDs is risky", ["guaranteed", "risk-free"], False),
    ("latin phrase does not match across words", "risk freedom", ["riskfree"], False),
    ("empty phrase never matches", "anything", ["", "  "], False),
]


@pytest.mark.parametrize("texts, phrases, expected", [c[1:] for c in MENTIONS], ids=[c[0] for c in MENTIONS])
def test_mentions(texts: Any, phrases: Any, expected: bool) -> None:
    assert call("mentions", texts, phrases) is expected


def test_mentions_family() -> None:
    warning = "CFDs are complex instruments. 74% of retail investor accounts lose money."
    phrases = ["complex instruments", "lose money", "high risk"]
    assert call("mentions_all", warning, phrases[:2]) is True
    assert call("mentions_all", warning, phrases) is False
    assert call("first_mention", warning, ["high risk", "LOSE MONEY", "complex"]) == "LOSE MONEY"
    assert call("first_mention", warning, ["high risk"]) is MISSING
    assert call("missing_phrases", warning, phrases) == ["high risk"]
    assert call("missing_phrases", warning, phrases[:2]) == []
    assert call("missing_phrases", MISSING, ["a", "b"]) == ["a", "b"]   # an absent text lacks them all
    assert call("mentions", MISSING, ["a"]) is MISSING
    assert call("mentions_all", MISSING, ["a"]) is MISSING
    with pytest.raises(UnitError, match="expected text, got number"):
        call("mentions", D(1), ["a"])


WITHOUT = [
    ("a disclaimer goes, the rest stays", "You cannot lose more than your deposit.",
     ["cannot lose more than"], "you | your deposit."),
    ("longest phrase first", "there are no guaranteed returns", ["no guaranteed return", "no guaranteed returns"],
     "there are |"),
    ("every occurrence, ignoring case and width", "NOT risk-free; ｎｏｔ risk-free", ["not risk-free"], "| ; |"),
    ("CJK across a stray space", "本产品不 保 本", ["不保本"], "本产品 |"),
    ("each text of a list", ["Not risk-free", "fine"], ["not risk-free"], ["|", "fine"]),
    ("no phrases: the normalised text", "Risk  Free", [], "risk free"),
    ("a phrase with regex characters is literal", "a (b) c", ["(b)"], "a | c"),
]


@pytest.mark.parametrize("texts, phrases, expected", [c[1:] for c in WITHOUT], ids=[c[0] for c in WITHOUT])
def test_without(texts: Any, phrases: Any, expected: Any) -> None:
    assert call("without", texts, phrases) == expected


def test_without_keeps_a_claim_next_to_a_disclaimer() -> None:
    text = "Trading is not risk-free, but our fund is risk-free."
    cleaned = call("without", text, ["not risk-free"])
    assert call("mentions", cleaned, ["risk-free"]) is True
    assert call("mentions", call("without", "CFDs are not risk-free.", ["not risk-free"]), ["risk-free"]) is False
    assert call("without", MISSING, ["x"]) is MISSING


@pytest.mark.parametrize("texts, pattern, expected", [
    ("Returns of 15% per year GUARANTEED", r"\d+% per (year|annum)", True),
    ("returns of fifteen percent", r"\d+%", False),
    (["first", "Capital Protected"], r"capital\s+protected", True),
    ("ＡＢＣ 123", r"abc \d{3}", True),               # text and pattern both normalised
    ("abc", "", True),
])
def test_matches(texts: Any, pattern: str, expected: bool) -> None:
    assert call("matches", texts, pattern) is expected


def test_matches_missing_and_unsafe_patterns() -> None:
    assert call("matches", MISSING, "x") is MISSING
    assert call("matches", "x", MISSING) is MISSING
    with pytest.raises(UnitError, match="regular expression"):
        call("matches", "aaaa", r"(a)\1")               # back-references are not RE2


@pytest.mark.parametrize("pattern, text, expected", [
    (r"\p{Han}{2}", "本产品保本", True),                 # Unicode classes, as RE2 spells them
    (r"\p{Nd}+\s?%", "７２ %", True),                  # the text is normalised (NFKC) first
    (r"(a+)+$", "a" * 5000 + "b", False),              # no catastrophic backtracking
    (r"guaranteed\s+returns?", "GUARANTEED RETURN", True),
])
def test_matches_runs_re2(pattern: str, text: str, expected: bool) -> None:
    assert call("matches", text, pattern) is expected


def test_matches_agrees_with_python_re_on_the_shared_syntax() -> None:
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    atoms = st.sampled_from(["a", "b", "ab", "[ab]", "[^a]", r"\d", r"\s", ".", "x"])
    pattern = st.lists(st.tuples(atoms, st.sampled_from(["", "?", "*", "+", "{1,2}"])), min_size=1,
                       max_size=5).map(lambda parts: "".join(a + q for a, q in parts))
    alternatives = st.lists(pattern, min_size=1, max_size=3).map("|".join)
    texts = st.text(alphabet="abx 1", max_size=12)

    @settings(max_examples=300, deadline=None)
    @given(alternatives, texts)
    def agree(regex: str, text: str) -> None:
        from compliance.evaluate.builtins import normalise

        # matches() reads the text normalised, as mentions() does (spaces collapsed, trimmed)
        expected = re.search(regex, normalise(text), re.IGNORECASE) is not None
        assert call("matches", text, regex) is expected

    agree()


@pytest.mark.parametrize("name, args, expected", [
    ("lower", ("Retail CLIENT",), "retail client"),
    ("lower", ("STRASSE ß",), "strasse ss"),             # casefold, not just lower()
    ("length", (["a", "b", "c"],), D(3)),
    ("length", ("保本",), D(2)),
    ("length", ({"fx_major": 1, "gold": 2},), D(2)),
    ("keys", ({"fx_major": 1, "crypto": 2},), ["fx_major", "crypto"]),
    ("join", (["fx_major", pct("3.33%"), D(30), eur("25000")], ", "), "fx_major, 3.33%, 30, EUR 25,000"),
    ("join", ([], "; "), ""),
    ("abs", (eur("-12.5"),), eur("12.5")),
    ("abs", (pct("-3%"),), pct("3%")),
    ("abs", (D(-4),), D(4)),
    ("days_between", (date("2026-01-31"), date("2026-03-01")), D(29)),
    ("days_between", (date("2024-02-28"), date("2024-03-01")), D(2)),
    ("days_between", (date("2026-03-01"), date("2026-02-01")), D(-28)),
])
def test_collection_and_text_builtins(name: str, args: tuple[Any, ...], expected: Any) -> None:
    result = call(name, *args)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("name", ["lower", "length", "keys", "abs"])
def test_unary_builtins_pass_missing_through(name: str) -> None:
    assert call(name, MISSING) is MISSING


def test_join_of_missing_is_missing() -> None:
    assert call("join", MISSING, ", ") is MISSING


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_entries_are_documented(name: str) -> None:
    entry = REGISTRY[name]
    assert entry.name == name
    assert entry.signature.startswith(f"{name}(") and "->" in entry.signature
    assert entry.doc.strip()
    assert isinstance(entry.scalar, Callable)  # type: ignore[arg-type]


# ---- reading facts from what a document states -------------------------------------------------

@pytest.mark.parametrize("value, otherwise, expected", [
    (Percent(Decimal("0.5")), Percent(Decimal("0.3")), Percent(Decimal("0.5"))),   # the key wins
    (MISSING, Percent(Decimal("0.3")), Percent(Decimal("0.3"))),                    # else the text
    (MISSING, MISSING, MISSING),
])
def test_either_takes_the_key_before_the_text(value, otherwise, expected) -> None:  # type: ignore[no-untyped-def]
    assert REGISTRY["either"].scalar(value, otherwise) == expected


def test_stated_and_says_are_silent_rather_than_false() -> None:
    assert REGISTRY["stated"].scalar(MISSING) is MISSING
    assert REGISTRY["stated"].scalar(Decimal(0)) is True
    assert REGISTRY["says"].scalar(["all open positions are closed"], ["all open positions"]) is True
    assert REGISTRY["says"].scalar(["positions may be closed"], ["all open positions"]) is MISSING
    assert REGISTRY["says"].scalar(MISSING, ["x"]) is MISSING


def test_pluck_leaves_out_items_that_do_not_state_the_field() -> None:
    clauses = [{"id": "a", "text": "one"}, {"id": "b"}, {"id": "c", "text": "three"}, "not a record"]
    assert REGISTRY["pluck"].scalar(clauses, "text") == ["one", "three"]
    assert REGISTRY["pluck"].scalar(MISSING, "text") is MISSING


@pytest.mark.parametrize("text, expected", [
    ("72% of retail investor accounts lose money", ["0.72"]),
    ("between 74-89% of accounts", ["0.89"]),
    ("rates of 6.5 % and 12.25% a year", ["0.065", "0.1225"]),
    ("保证金比例为１００％", ["1"]),                      # full-width digits and sign
    ("version 1.2.3, no percentage", []),
])
def test_percentages_in_reads_every_percentage(text: str, expected: list[str]) -> None:
    found = REGISTRY["percentages_in"].scalar(text)
    assert [p.fraction for p in found] == [Decimal(e) for e in expected]


@pytest.mark.parametrize("texts, expected", [
    (["Positions are closed out when equity falls below 50.5% of the margin. Fees are 2%."], "0.505"),
    (["Fees are 2%. We close out at 60%."], "0.6"),           # the sentence that names it
    (["当维持担保比例低于130%时，本公司将强制平仓。"], "1.3"),
    (["We may close positions."], None),                    # named, but no figure: silent
    (["Equity at 50% triggers a call."], None),             # a figure, not named: silent
])
def test_percentage_near_reads_the_figure_of_the_sentence_naming_it(texts, expected) -> None:  # type: ignore[no-untyped-def]
    found = REGISTRY["percentage_near"].scalar(texts, ["close out", "closed out", "强制平仓"])
    assert (found is MISSING) if expected is None else found.fraction == Decimal(expected)
