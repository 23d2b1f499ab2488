"""Unit arithmetic at its boundaries: the leverage/margin rule, currencies, calendar months, printing."""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import pytest

from compliance.dsl.units import (Duration, Leverage, Money, Percent, UnitError, format_value,
                                  leverage_from_margin, margin_for_leverage, parse_duration,
                                  parse_decimal, parse_leverage, parse_money, parse_percent)
from compliance.evaluate.builtins import REGISTRY
from compliance.evaluate.values import MISSING, arith, compare, compare_op

CAP_30 = parse_leverage("30:1")


def leverage_of(text: str) -> Leverage:
    return REGISTRY["leverage_of"].scalar(parse_percent(text))


def margin_of(leverage: Leverage) -> Percent:
    return REGISTRY["margin_of"].scalar(leverage)


def test_published_margin_of_a_30_to_1_cap_complies() -> None:
    # 3.33% is arithmetically 30.03:1, but it is how ESMA publishes the 30:1 cap.
    assert compare_op("<=", leverage_of("3.33%"), CAP_30) is True
    assert compare(leverage_of("3.33%"), CAP_30) == 0


def test_a_margin_just_below_the_published_one_exceeds_the_cap() -> None:
    assert compare_op("<=", leverage_of("3.32%"), CAP_30) is False


def test_ratios_written_as_ratios_compare_exactly() -> None:
    assert compare_op(">", parse_leverage("30.03:1"), CAP_30) is True
    assert compare_op("<=", parse_leverage("30.03:1"), CAP_30) is False
    assert compare(parse_leverage("60:2"), CAP_30) == 0


@pytest.mark.parametrize("cap, margin", [("30:1", "3.33%"), ("3:1", "33.33%"), ("20:1", "5%"),
                                         ("2:1", "50%"), ("7:1", "14.29%")])
def test_margin_of_rounds_half_up_to_a_basis_point(cap: str, margin: str) -> None:
    assert margin_of(parse_leverage(cap)) == parse_percent(margin)
    assert margin_for_leverage(parse_leverage(cap)) == parse_percent(margin)


def test_margin_of_a_leverage_stated_as_margin_is_that_margin() -> None:
    assert margin_for_leverage(leverage_from_margin(parse_percent("3.33%"))) == parse_percent("3.33%")


def test_percent_and_leverage_do_not_compare_without_conversion() -> None:
    with pytest.raises(UnitError, match="convert with margin_of"):
        compare(parse_percent("3.33%"), CAP_30)


def test_currencies_do_not_mix() -> None:
    with pytest.raises(UnitError, match="currencies differ"):
        arith("+", parse_money("EUR 1"), parse_money("USD 1"))
    with pytest.raises(UnitError):
        compare(parse_money("EUR 1"), parse_money("USD 1"))


def test_money_over_money_is_a_percentage() -> None:
    share = arith("/", parse_money("EUR 25"), parse_money("EUR 100"))
    assert share == parse_percent("25%")


@pytest.mark.parametrize("op, left, right, expected", [
    ("+", parse_money("EUR 1.10"), parse_money("EUR 2.20"), parse_money("EUR 3.30")),
    ("*", parse_money("EUR 100"), parse_percent("3.33%"), parse_money("EUR 3.33")),
    ("*", parse_percent("50%"), parse_percent("50%"), parse_percent("25%")),
    ("/", parse_percent("50%"), parse_percent("25%"), Decimal(2)),
    ("-", _dt.date(2026, 3, 1), _dt.date(2026, 2, 1), Duration(28, "days")),
])
def test_unit_algebra(op: str, left: object, right: object, expected: object) -> None:
    assert arith(op, left, right) == expected


def test_money_times_money_is_an_error() -> None:
    with pytest.raises(UnitError):
        arith("*", parse_money("EUR 2"), parse_money("EUR 3"))


def test_division_by_zero_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="division by zero"):
        arith("/", Decimal(1), Decimal(0))


def test_missing_propagates() -> None:
    assert arith("+", MISSING, Decimal(1)) is MISSING
    assert compare_op("<", MISSING, Decimal(1)) is MISSING


@pytest.mark.parametrize("start, shift, expected", [
    ((2026, 1, 31), "1 month", (2026, 2, 28)),
    ((2024, 1, 31), "1 month", (2024, 2, 29)),
    ((2026, 3, 31), "1 month", (2026, 4, 30)),
    ((2026, 8, 31), "6 months", (2027, 2, 28)),
    ((2024, 2, 29), "1 year", (2025, 2, 28)),
    ((2026, 12, 31), "2 days", (2027, 1, 2)),
])
def test_calendar_shifts_at_month_ends(start: tuple, shift: str, expected: tuple) -> None:
    assert arith("+", _dt.date(*start), parse_duration(shift)) == _dt.date(*expected)


def test_days_and_months_do_not_compare() -> None:
    with pytest.raises(UnitError, match="days and months"):
        compare(parse_duration("30 days"), parse_duration("1 month"))


@pytest.mark.parametrize("value, text", [
    (parse_percent("50%"), "50%"), (parse_percent("3.330%"), "3.33%"), (parse_percent("0.5%"), "0.5%"),
    (margin_for_leverage(CAP_30), "3.33%"), (CAP_30, "30:1"), (parse_leverage("1:2"), "0.5:1"),
    (leverage_from_margin(parse_percent("3.33%")), "30.03:1"),
    (parse_money("EUR 25000"), "EUR 25,000"), (parse_money("USD 1234.5"), "USD 1,234.50"),
    (parse_duration("14 days"), "2 weeks"), (parse_duration("1 day"), "1 day"),
    (parse_duration("24 months"), "2 years"), (_dt.date(2026, 1, 31), "2026-01-31"),
    (Decimal("1.50"), "1.5"), (True, "true"), (MISSING if False else None, "missing"),
])
def test_printing(value: object, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize("text", ["0:1", "30:0", "-3:1"])
def test_leverage_must_be_positive(text: str) -> None:
    with pytest.raises(UnitError):
        parse_leverage(text)


def test_money_keeps_exact_cents() -> None:
    assert parse_money("EUR 0.10").amount + parse_money("EUR 0.20").amount == Decimal("0.30")
    assert Money(Decimal("0.30"), "EUR") == parse_money("EUR 0.3")


# ---- limits on written numbers: hostile text is a UnitError, never ValueError or InvalidOperation

@pytest.mark.parametrize("text, message", [
    ("1" * 4400 + " days", "a duration has at most 6 digits"),
    ("1234567 days", "a duration has at most 6 digits"),
])
def test_durations_longer_than_six_digits_are_refused(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=message) as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 200, "the message quotes the whole literal"


def test_a_six_digit_duration_and_leading_zeros_are_read() -> None:
    assert parse_duration("999999 days") == Duration(999999, "days")
    assert parse_duration("0000002 weeks") == Duration(14, "days")


@pytest.mark.parametrize("text, message", [
    ("1e9999999999999999999", "is not a number"),
    ("1e999999999", "out of range"),
    ("1e19", "out of range"),
    ("1e-19", "out of range"),
    ("1" * 35, "35 significant digits"),
    ("1" * 5000, "5000 significant digits"),
    ("Infinity", "not a finite number"),
])
def test_absurd_numbers_are_refused(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["999999999999999999", "1e18", "1e-18", "0e-5000", "0.000001"])
def test_numbers_within_the_limits_are_read(text: str) -> None:
    assert parse_decimal(text) == Decimal(text)


def test_huge_amounts_in_money_and_percentages_are_unit_errors() -> None:
    with pytest.raises(UnitError, match="significant digits"):
        parse_money("EUR " + "1" * 40)
    with pytest.raises(UnitError, match="out of range"):
        parse_percent("1" + "0" * 30 + "%")
