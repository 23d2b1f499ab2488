"""Exact quantities: percentages, leverage ratios, money, dates and durations.

Every threshold in a ruleset and every number in a contract is one of these values, held as
``decimal.Decimal`` so that comparisons are exact to the cent and to the basis point.

Leverage and margin are two ways of writing the same limit: a 30:1 cap is an initial margin of
1/30 = 3.333...%. Regulators and brokers print that margin rounded to two decimals of a percent
(ESMA's major-FX cap is "3.33%"), so a strict ``leverage <= 30`` test on a 3.33% margin would reject
a compliant contract (3.33% is arithmetically 30.03:1). The rule implemented here:

* a leverage written as a ratio (``30:1``) and a leverage written as a ratio compare exactly;
* a leverage that came from a margin percentage compares with another leverage *in margin space*,
  the ratio side being converted with :func:`margin_for_leverage`, which rounds half-up to
  ``MARGIN_PLACES`` (0.01 percentage point), the precision in which caps are published.

So ``leverage_from_margin(3.33%) <= 30:1`` holds, ``leverage_from_margin(3.32%) <= 30:1`` does not,
and ``30.03:1 <= 30:1`` (both written as ratios) does not.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import ClassVar

from compliance.errors import DomainError
from compliance.records import record

# 0.01 percentage point = 0.0001 as a fraction: the precision in which margin caps are published.
MARGIN_PLACES = Decimal("0.0001")

# Enough digits for money up to 10^18 with cents and for ratios of such amounts.
_PRECISION = 34

# Limits on written numbers (rulesets, contracts, command-line options), so that hostile text can
# neither hit Python's 4300-digit int() limit nor make Decimal arithmetic trap later on:
MAX_DECIMAL_DIGITS = _PRECISION    # significant digits of a number
MAX_DECIMAL_EXPONENT = 18          # 1e-18 <= |x| < 1e19 (or 0): money up to 10^18 as above
MAX_DURATION_DIGITS = 6            # 999999 days is some 2,700 years


class UnitError(DomainError):
    """Two quantities that cannot be combined or compared (EUR with USD, a percentage with money)."""


class CalendarError(DomainError):
    """Date arithmetic beyond the calendar (0001-01-01 to 9999-12-31): ``as_of + 999999 months``,
    ``9999-12-31 + 1 day``. The evaluator reports it at the expression (exit 2), since it is the
    rule or the run's date that asks for it."""


def _dec(value: Decimal | int | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _trim(value: Decimal) -> str:
    """Plain decimal text without exponent and without trailing zeros: 3.330 -> 3.33, 1E+1 -> 10."""
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}"
    text = f"{value.normalize():f}"
    return text


@record
class Percent:
    """A dimensionless share, stored as a fraction: 50% is ``Percent(Decimal("0.5"))``."""

    fraction: Decimal
    kind: ClassVar[str] = "percent"

    @property
    def magnitude(self) -> Decimal:
        """The number the unit stands for, as vector code computes with it: the fraction."""
        return self.fraction

    @classmethod
    def of(cls, percent_text: str | Decimal | int) -> "Percent":
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return cls(_dec(percent_text) / 100)

    def __str__(self) -> str:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            shown = self.fraction * 100
        if shown != shown.quantize(Decimal("0.0001")):
            shown = shown.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return f"{_trim(shown)}%"


@record
class Leverage:
    """A leverage ratio ``times:1``.

    ``from_margin`` is set when the leverage was stated as an initial-margin percentage; it then
    decides comparisons (see the module docstring).
    """

    times: Decimal
    from_margin: Percent | None = None
    kind: ClassVar[str] = "leverage"

    @property
    def magnitude(self) -> Decimal:
        return self.times

    def __str__(self) -> str:
        # Computed leverages (exposure / equity, 1 / 3.33%) are shown to two decimals: 30.03:1.
        if self.times != self.times.quantize(Decimal("0.01")):
            return f"{_trim(self.times.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))}:1"
        return f"{_trim(self.times)}:1"


@record
class Money:
    amount: Decimal
    currency: str
    kind: ClassVar[str] = "money"

    @property
    def magnitude(self) -> Decimal:
        return self.amount

    def __str__(self) -> str:
        amount = self.amount
        if not amount.is_finite():
            return f"{self.currency} {amount}"
        # Snapshot amounts are not bounded like written ones (1e30 equity): give quantize room.
        with localcontext() as ctx:
            ctx.prec = max(_PRECISION, amount.adjusted() + 4)
            if amount == amount.to_integral_value():
                return f"{self.currency} {amount.quantize(Decimal(1)):,f}"
            return f"{self.currency} {amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,f}"


@record
class Duration:
    """A length of time in whole units. Months and years stay calendar units (a 6-month roll-over
    is not 180 days); comparisons between different units are therefore only defined for
    days/weeks and for months/years."""

    amount: int
    unit: str  # "days" | "months"
    kind: ClassVar[str] = "duration"

    @property
    def magnitude(self) -> Decimal:
        return Decimal(self.amount)

    def __str__(self) -> str:
        if self.unit == "days":
            if self.amount % 7 == 0 and self.amount:
                weeks = self.amount // 7
                return f"{weeks} week" + ("s" if weeks != 1 else "")
            return f"{self.amount} day" + ("s" if self.amount != 1 else "")
        if self.amount % 12 == 0 and self.amount:
            years = self.amount // 12
            return f"{years} year" + ("s" if years != 1 else "")
        return f"{self.amount} month" + ("s" if self.amount != 1 else "")


def duration(amount: int, unit: str) -> Duration:
    unit = unit.rstrip("s")
    if unit == "day":
        return Duration(amount, "days")
    if unit == "week":
        return Duration(amount * 7, "days")
    if unit == "month":
        return Duration(amount, "months")
    if unit == "year":
        return Duration(amount * 12, "months")
    raise UnitError(f"unknown duration unit {unit!r}")


# ---------------------------------------------------------------------------------------------
# Leverage <-> margin
# ---------------------------------------------------------------------------------------------

def margin_for_leverage(leverage: Leverage) -> Percent:
    """The initial margin a leverage cap stands for, as published: 30:1 -> 3.33%, 20:1 -> 5%."""
    if leverage.from_margin is not None:
        return leverage.from_margin
    if leverage.times <= 0:
        raise UnitError(f"leverage {leverage} is not positive")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        exact = Decimal(1) / leverage.times
    return Percent(exact.quantize(MARGIN_PLACES, rounding=ROUND_HALF_UP))


def leverage_from_margin(margin: Percent) -> Leverage:
    """The leverage an initial margin allows: 3.33% -> 30.03:1, remembered as stated in margin."""
    if margin.fraction <= 0:
        raise UnitError(f"initial margin {margin} is not positive")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Leverage(Decimal(1) / margin.fraction, from_margin=margin)


def compare_leverage(left: Leverage, right: Leverage) -> int:
    """-1, 0 or 1 as ``left`` is lower, equal or higher leverage than ``right``."""
    if (left.from_margin is None) == (right.from_margin is None) and left.from_margin is None:
        return (left.times > right.times) - (left.times < right.times)
    # Higher leverage means lower margin, hence the reversed comparison.
    lm, rm = margin_for_leverage(left).fraction, margin_for_leverage(right).fraction
    return (lm < rm) - (lm > rm)


# ---------------------------------------------------------------------------------------------
# Parsing of the textual forms shared by the DSL and by contract files
# ---------------------------------------------------------------------------------------------

_NUMBER = r"[+-]?(?:\d[\d_]*)(?:\.\d+)?"
PERCENT_RE = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")
LEVERAGE_RE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*$")
MONEY_RE = re.compile(rf"^\s*([A-Z]{{3}})\s+({_NUMBER}(?:,\d{{3}})*(?:\.\d+)?)\s*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DURATION_RE = re.compile(r"^\s*(\d+)\s*(day|days|week|weeks|month|months|year|years)\s*$")


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short: a 5,000-digit literal must not flood the terminal."""
    return repr(text) if len(text) <= 40 else repr(text[:30]) + f"... ({len(text)} characters)"


def parse_decimal(text: str) -> Decimal:
    cleaned = text.replace("_", "").replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # also an exponent beyond what Decimal can hold (1e99999999999999999999)
        raise UnitError(f"{_shown(text)} is not a number") from None
    return check_range(value, text)


def check_range(value: Decimal, text: str | None = None) -> Decimal:
    """``value`` when it lies in the range every written number must keep (finite, at most
    :data:`MAX_DECIMAL_DIGITS` significant digits, magnitude 1e-18 to below 1e19); else UnitError.
    Bare YAML numbers (``1e26``, a 99-digit ``0x...``) come through here as well as texts."""
    if text is None:
        text = str(value) if value.is_finite() and abs(value.adjusted()) < 60 else f"{value:.3e}" \
            if value.is_finite() else str(value)
    if not value.is_finite():
        raise UnitError(f"{_shown(text)} is not a finite number")
    if value:
        digits = len(value.as_tuple().digits)
        if digits > MAX_DECIMAL_DIGITS:
            raise UnitError(f"{_shown(text)} has {digits} significant digits; at most "
                            f"{MAX_DECIMAL_DIGITS} are allowed")
        if not -MAX_DECIMAL_EXPONENT <= value.adjusted() <= MAX_DECIMAL_EXPONENT:
            raise UnitError(f"{_shown(text)} is out of range: numbers must lie between "
                            f"1e-{MAX_DECIMAL_EXPONENT} and 1e{MAX_DECIMAL_EXPONENT + 1}")
    return value


def parse_percent(text: str) -> Percent:
    match = PERCENT_RE.match(text)
    if not match:
        raise UnitError(f"{_shown(text)} is not a percentage such as 50%")
    return Percent.of(parse_decimal(match.group(1)))


def parse_leverage(text: str) -> Leverage:
    match = LEVERAGE_RE.match(text)
    if not match:
        raise UnitError(f"{_shown(text)} is not a leverage ratio such as 30:1")
    left, right = parse_decimal(match.group(1)), parse_decimal(match.group(2))
    if left <= 0 or right <= 0:
        raise UnitError(f"{_shown(text)}: both sides of a leverage ratio must be positive")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Leverage(left / right)


def parse_money(text: str) -> Money:
    match = MONEY_RE.match(text)
    if not match:
        raise UnitError(f"{_shown(text)} is not an amount of money such as EUR 25000")
    return Money(parse_decimal(match.group(2)), match.group(1))


def parse_date(text: str) -> _dt.date:
    if not DATE_RE.match(text):
        raise UnitError(f"{_shown(text)} is not an ISO date such as 2026-01-31")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UnitError(f"{_shown(text)} is not a valid date: {exc}") from None


def parse_duration(text: str) -> Duration:
    match = DURATION_RE.match(text)
    if not match:
        raise UnitError(f"{_shown(text)} is not a duration such as 2 days or 6 months")
    amount = match.group(1).lstrip("0") or "0"
    if len(amount) > MAX_DURATION_DIGITS:
        raise UnitError(f"{_shown(text)}: a duration has at most {MAX_DURATION_DIGITS} digits")
    return duration(int(amount), match.group(2))


def format_value(value: object) -> str:
    """How a value appears in messages, reports and the formatter."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _trim(value) if value == value.quantize(Decimal("0.0001")) else _trim(
            value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {format_value(item)}" for key, item in value.items()) + "}"
    if value is None:
        return "missing"
    return str(value)
