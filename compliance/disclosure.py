"""The risk-disclosure statement of ``compliance disclose``, computed from a contract's own numbers.

:func:`build_disclosure` turns a loaded contract into a :class:`Disclosure`: frozen, exact
(``Decimal``) figures and nothing else. Wording lives in the templates
(``report/templates/_disclosure_{en,zh}.j2``: one phrasebook per language, written for its
readers) and layout in ``disclosure.{md,html,txt}.j2``; :func:`render_disclosure` joins them.

Which keys the statement needs depends on how the product closes positions out:

* every product: ``id``, ``product.type``, ``provider.name`` (or ``provider.legal_name``),
  ``product.base_currency`` (or ``financing.currency``), ``leverage`` (or ``initial_margin``; for a
  margin loan also ``margin.financing_margin_ratio``), ``financing.day_count`` and a rate, and
  ``fees`` (``fees: []`` states that there are none);
* CFDs, spread bets, rolling spot FX and restricted options, whose regime requires them:
  ``negative_balance_protection``, ``disclosures.risk_warning.loss_percentage`` (or
  ``provider.new_provider: true``, which brings the standard 74-89% range), and
  ``margin.close_out_level`` (equity /
  initial margin, ESMA's 50%), or ``margin.maintenance`` (equity / position value); financing is
  charged on the whole position, so the rate is ``financing.annual_rate``, or for a floating rate
  ``financing.spread`` over a named ``financing.reference_rate``;
* margin loans and margin accounts: ``margin.close_out_collateral_ratio`` (维持担保比例, assets /
  liabilities) or ``margin.maintenance``; financing is charged on the borrowed amount. Without
  ``negative_balance_protection`` the statement says losses can exceed the collateral; the loss
  percentage is shown when the contract states one.

The warning line (``margin.warning_level``, or ``margin.warning_collateral_ratio`` beside a
维持担保比例 close-out line) is optional: a contract without one is told, in plain words, that the
first step may be the close-out itself. Every missing key is reported at once, each at the place
in the file where it belongs (``PATH:LINE:COL: error: ...``).
"""
from __future__ import annotations

import functools
import os
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from compliance import vocabulary
from compliance.documents.model import Document, FieldPath, render_path
from compliance.dsl.units import Duration, Money
from compliance.errors import Diagnostic, InputError
from compliance.records import record

if TYPE_CHECKING:
    import jinja2

CFD_PRODUCTS = vocabulary.CFD_LIKE_PRODUCTS
LOAN_PRODUCTS = vocabulary.LOAN_PRODUCTS
CLASS_ORDER = vocabulary.UNDERLYING_CLASSES
EXAMPLE_DEPOSIT = Decimal(10_000)
EXAMPLE_MOVES = (Decimal("0.05"), Decimal("0.10"))
# ESMA's standard warning for a provider without 12 months of history (docs/sources.md, EU).
NEW_PROVIDER_RANGE = (Decimal("0.74"), Decimal("0.89"))
LANGUAGES = ("en", "zh")
FORMATS = ("text", "markdown", "html")

_PRECISION = 34
_ONE = Decimal(1)


# ---------------------------------------------------------------------------------------------
# The computed statement
# ---------------------------------------------------------------------------------------------

@record
class ClassLine:
    """One underlying class at its maximum leverage."""

    underlying_class: str
    leverage: Decimal             # position value / own money at opening
    margin: Decimal               # initial margin as a fraction of position value
    margin_stated: bool           # the contract states the margin (else it is 1/leverage)
    close_out_drop: Decimal       # price fall from opening that reaches the close-out line
    warning_drop: Decimal | None  # price fall that reaches the warning line, if there is one


@record
class Move:
    """One adverse price move in the worked example."""

    move: Decimal                 # the fall, as a fraction of the opening price
    loss: Money                   # position value lost
    loss_share: Decimal           # loss / deposit
    equity: Money                 # deposit - loss (negative: the account owes money)
    line_measure: Decimal | None  # the close-out measure after the move (None: no debt to measure)
    warning_reached: bool
    closed_out: bool
    client_loss: Money            # what the client loses: capped at the deposit under NBP
    debt: Money                   # owed by the client beyond the deposit (0 under NBP)
    written_off: Money            # negative balance the provider absorbs under NBP
    at_line: bool = False         # the row of the close-out line itself


@record
class LossExample:
    underlying_class: str
    leverage: Decimal
    deposit: Money
    position: Money
    borrowed: Money               # margin loans: the loan; CFDs: 0 (nothing is lent as cash)
    moves: tuple[Move, ...]
    close_out_drop: Decimal
    loss_at_close_out: Money
    equity_at_close_out: Money
    warning_drop: Decimal | None
    one_percent_loss_share: Decimal  # what a 1% fall costs, as a share of the deposit
    close_out_row: Move | None = None  # the close-out line as a row of the table (None: no room)

    @property
    def rows(self) -> tuple[Move, ...]:
        """The example moves and the close-out line, smallest fall first."""
        extra = () if self.close_out_row is None else (self.close_out_row,)
        return tuple(sorted(self.moves + extra, key=lambda row: (row.move, row.at_line)))


@record
class Financing:
    rate_type: str | None
    annual_rate: Decimal | None
    reference_rate: str | None
    spread: Decimal | None
    day_count: str
    interest_period: str | None
    penalty_rate: Decimal | None
    charged_on: str               # "position" (CFD overnight funding) | "borrowed" (margin loan)
    financed_amount: Money        # the example's amount that bears interest
    known_rate: Decimal           # annual_rate, or the spread alone over a floating reference
    plus_reference: bool          # the cost below is on top of the reference rate
    year_factor: Decimal          # days in a 365-day year over the day-count denominator
    cost_per_year: Money
    break_even_return: Decimal    # asset return a year that only pays for the financing


@record
class RiskWarning:
    new_provider: bool
    loss_percentage: Decimal | None
    range_low: Decimal | None
    range_high: Decimal | None
    calculation_date: str | None
    contract_text: str | None


@record
class FeeLine:
    name: str
    description: str | None
    amount: Money | None
    rate: Decimal | None
    basis: str | None


@record
class Disclosure:
    contract_id: str
    title: str | None
    version: str | None
    effective_date: str | None
    language: str | None          # the contract's own language
    provider: str
    regulator: str | None
    product_type: str
    product_family: str           # "cfd" | "loan"
    product_name: str | None
    client_category: str | None
    currency: str
    line_basis: str               # "close_out" | "maintenance" | "collateral_ratio"
    close_out_level: Decimal
    close_out_comparison: str     # "below" | "at_or_below"
    close_out_scope: str | None
    warning_level: Decimal | None
    notice_channels: tuple[str, ...]
    cure_period: Duration | None
    classes: tuple[ClassLine, ...]
    example: LossExample
    financing: Financing
    negative_balance_protection: bool
    risk_warning: RiskWarning
    fees: tuple[FeeLine, ...]

    @property
    def highest(self) -> ClassLine:
        return next(line for line in self.classes
                    if line.underlying_class == self.example.underlying_class)


# ---------------------------------------------------------------------------------------------
# Building it
# ---------------------------------------------------------------------------------------------

class _Missing:
    """Collects every key the statement needs and the contract lacks, to report them at once."""

    def __init__(self, document: Document):
        self.document = document
        self.diagnostics: list[Diagnostic] = []
        self._lines: list[str] | None = None

    def need(self, where: FieldPath, message: str) -> None:
        place = self.document.position_of(where)
        line, column = (place.line, place.column) if place else (1, 1)
        self.diagnostics.append(Diagnostic(self.document.path, line, column, message,
                                           self._source_line(line)))

    def key(self, where: FieldPath, *alternatives: FieldPath, why: str = "") -> None:
        wanted = render_path(where)
        if alternatives:
            wanted += " (or " + " or ".join(render_path(a) for a in alternatives) + ")"
        self.need(where, f"the disclosure needs {wanted}{why}; the contract does not state it")

    def _source_line(self, line: int) -> str | None:
        if self._lines is None:
            from compliance.documents.files import read_input
            from compliance.documents.yaml_loader import MAX_FILE_BYTES

            try:  # the file was read once already; a file swapped since is not waited for
                raw = read_input(self.document.path, MAX_FILE_BYTES, what="a contract").data
                self._lines = raw.decode("utf-8").splitlines()
            except (InputError, UnicodeDecodeError):
                self._lines = []
        return self._lines[line - 1] if 0 < line <= len(self._lines) else None

    def raise_if_any(self) -> None:
        if self.diagnostics:
            self.diagnostics.sort(key=lambda d: (d.line or 0, d.column or 0, d.message))
            raise InputError(self.diagnostics)


def _fraction(value: Any) -> Decimal | None:
    return None if value is None else value.fraction


def _exact(function: Any, *args: Any) -> Any:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return function(*args)


def build_disclosure(document: Document) -> Disclosure:
    """Every figure of the statement, exact. Raises InputError naming each key the product needs
    and the contract lacks (see the module docstring for which keys those are)."""
    from compliance.dsl.units import leverage_from_margin

    data = document.data
    missing = _Missing(document)
    provider = data.get("provider") or {}
    product = data.get("product") or {}
    margin = data.get("margin") or {}
    financing = data.get("financing") or {}
    warning = (data.get("disclosures") or {}).get("risk_warning") or {}

    product_type = product.get("type")
    family = "cfd" if product_type in CFD_PRODUCTS else "loan" if product_type in LOAN_PRODUCTS \
        else None
    if product_type is None:
        missing.key(("product", "type"), why=" to know how positions are closed out")
    elif family is None:
        missing.need(("product", "type"), f"the disclosure covers CFDs, spread bets, rolling spot "
                                          f"FX, restricted options, margin loans and margin "
                                          f"accounts, not product type {product_type!r}")

    provider_name = provider.get("name") or provider.get("legal_name")
    if provider_name is None:
        missing.key(("provider", "name"), ("provider", "legal_name"))
    currency = product.get("base_currency") or financing.get("currency")
    if currency is None:
        missing.key(("product", "base_currency"), ("financing", "currency"),
                    why=" for the worked example")

    # Leverage per class: as stated, or from the initial margin, or (margin loans) from the
    # 融资保证金比例 f, which allows at most L = 1 + 1/f (docs/sources.md, CN).
    leverage = {name: value.times for name, value in (data.get("leverage") or {}).items()}
    stated_margin = {name: value.fraction for name, value in (data.get("initial_margin") or {}).items()}
    for name, fraction in stated_margin.items():
        if name not in leverage and fraction > 0:
            leverage[name] = leverage_from_margin(data["initial_margin"][name]).times
    ratio = _fraction(margin.get("financing_margin_ratio"))
    if not leverage and family == "loan" and ratio:
        name = (product.get("underlying_classes") or ["equity"])[0]
        leverage[name] = _exact(lambda: 1 + 1 / ratio)
    if not leverage:
        alternatives: list[FieldPath] = [("initial_margin",)]
        if family == "loan":
            alternatives.append(("margin", "financing_margin_ratio"))
        missing.key(("leverage",), *alternatives)

    basis, line, warning_line = _close_out_rule(family, margin, missing)
    nbp = data.get("negative_balance_protection")
    if nbp is None and family == "loan":
        # Negative balance protection is a CFD measure; a margin loan that does not offer it
        # leaves the client liable for a shortfall, and the statement says so.
        nbp = False
    if nbp is None:
        missing.key(("negative_balance_protection",),
                    why=" (true or false: whether losses can exceed the account)")
    rate_terms = _rate_terms(financing, missing)
    risk_warning = _risk_warning(provider, warning, missing, required=family == "cfd")
    if data.get("fees") is None:
        missing.key(("fees",), why=" (write 'fees: []' if there are none)")

    missing.raise_if_any()
    assert family and basis and line is not None and currency and provider_name and rate_terms
    assert isinstance(nbp, bool) and risk_warning

    comparison = margin.get("close_out_comparison") or ("below" if family == "cfd" else "at_or_below")
    try:
        classes = tuple(
            ClassLine(name, leverage[name],
                      stated_margin.get(name) or _exact(lambda lev=leverage[name]: _ONE / lev),
                      name in stated_margin, _drop(basis, leverage[name], line),
                      None if warning_line is None else _drop(basis, leverage[name], warning_line))
            for name in sorted(leverage, key=_class_rank))
    except ValueError as error:  # RiskInputError: a line outside the range where it means anything
        where = {"close_out": ("margin", "close_out_level"), "maintenance": ("margin", "maintenance"),
                 "collateral_ratio": ("margin", "close_out_collateral_ratio")}[basis]
        missing.need(where, f"{render_path(where)}: {error}")
        missing.raise_if_any()
        raise
    highest = max(classes, key=lambda c: (c.leverage, -_class_rank(c.underlying_class)))
    example = _loss_example(highest, basis, line, warning_line, comparison, nbp, currency)
    return Disclosure(
        contract_id=data["id"], title=data.get("title"), version=data.get("version"),
        effective_date=_date_text(data.get("effective_date")), language=data.get("language"),
        provider=provider_name, regulator=provider.get("regulator"), product_type=product_type,
        product_family=family, product_name=product.get("name"),
        client_category=(data.get("client") or {}).get("category"), currency=currency,
        line_basis=basis, close_out_level=line, close_out_comparison=comparison,
        close_out_scope=margin.get("close_out_scope"), warning_level=warning_line,
        notice_channels=tuple(margin.get("notice_channels") or ()),
        cure_period=margin.get("cure_period"),
        classes=classes, example=example,
        financing=_financing(family, rate_terms, example),
        negative_balance_protection=nbp, risk_warning=risk_warning,
        fees=tuple(FeeLine(fee["name"], fee.get("description"), fee.get("amount"),
                           _fraction(fee.get("rate")), fee.get("basis"))
                   for fee in data.get("fees") or ()))


def _class_rank(name: str) -> int:
    return CLASS_ORDER.index(name) if name in CLASS_ORDER else len(CLASS_ORDER)


def _date_text(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _close_out_rule(family: str | None, margin: dict[str, Any], missing: _Missing
                    ) -> tuple[str | None, Decimal | None, Decimal | None]:
    """(basis, close-out line, warning line on the same basis) as the product works."""
    if family == "cfd":
        options = [("close_out", "close_out_level", "warning_level"),
                   ("maintenance", "maintenance", "warning_level")]
    elif family == "loan":
        options = [("collateral_ratio", "close_out_collateral_ratio", "warning_collateral_ratio"),
                   ("maintenance", "maintenance", "warning_level")]
    else:
        return None, None, None
    for basis, line_key, warning_key in options:
        if margin.get(line_key) is not None:
            return basis, margin[line_key].fraction, _fraction(margin.get(warning_key))
    first, second = (("margin", key) for _, key, _ in options)
    missing.key(first, second)
    return None, None, None


def _drop(basis: str, leverage: Decimal, line: Decimal) -> Decimal:
    from compliance.risk import close_out_drop, collateral_ratio_drop, liquidation_drop

    function = {"close_out": close_out_drop, "maintenance": liquidation_drop,
                "collateral_ratio": collateral_ratio_drop}[basis]
    return function(leverage, line)


def _rate_terms(financing: dict[str, Any], missing: _Missing) -> dict[str, Any] | None:
    ok = True
    if financing.get("day_count") is None:
        missing.key(("financing", "day_count"), why=" to compute the financing cost")
        ok = False
    floating = financing.get("rate_type") == "floating"
    if financing.get("annual_rate") is None:
        if floating and financing.get("spread") is not None:
            if financing.get("reference_rate") is None:
                missing.key(("financing", "reference_rate"), why=" (the rate the spread is over)")
                ok = False
        else:
            missing.need(("financing", "annual_rate"),
                         "the disclosure needs financing.annual_rate (or, for a floating rate, "
                         "financing.spread over a financing.reference_rate); the contract does "
                         "not state it")
            ok = False
    return dict(financing) if ok else None


# A folded YAML scalar (">") joins its lines with a space, which Chinese text never has between
# two characters: it is taken out where a line break fell between two CJK characters.
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t]+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")


def quoted_text(text: str | None) -> str | None:
    """Contract text as it is quoted in a statement: the spaces a line fold put between Chinese
    characters taken out, nothing else changed."""
    return None if text is None else _CJK_GAP.sub("", text)


def _risk_warning(provider: dict[str, Any], warning: dict[str, Any], missing: _Missing,
                  required: bool) -> RiskWarning | None:
    """The warning's figure: the provider's own loss percentage, or the standard range of a new
    provider. Only the CFD measures require the percentage; a margin loan's statement shows it
    when the contract states it and otherwise leaves the sentence out."""
    text = quoted_text(warning.get("text"))
    date = _date_text(warning.get("calculation_date"))
    new_provider = provider.get("new_provider") is True or (
        warning.get("loss_percentage") is None and warning.get("new_provider_range") is not None)
    if new_provider:
        low, high = NEW_PROVIDER_RANGE
        return RiskWarning(True, None, low, high, None, text)
    if warning.get("loss_percentage") is None and not required:
        return RiskWarning(False, None, None, None, date, text)
    if warning.get("loss_percentage") is None:
        missing.need(("disclosures", "risk_warning", "loss_percentage"),
                     "the disclosure needs disclosures.risk_warning.loss_percentage, the share of "
                     "retail accounts that lost money (or provider.new_provider: true for the "
                     "standard range); the contract does not state it")
        return None
    return RiskWarning(False, warning["loss_percentage"].fraction, None, None, date, text)


def _money(amount: Decimal, currency: str) -> Money:
    """Money at full precision (no context rounding here), without a negative zero."""
    return Money(amount.copy_abs() if amount.is_zero() else amount, currency)


def _loss_example(highest: ClassLine, basis: str, line: Decimal, warning_line: Decimal | None,
                  comparison: str, nbp: bool, currency: str) -> LossExample:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        lev, deposit = highest.leverage, EXAMPLE_DEPOSIT
        position = deposit * lev
        borrowed = deposit * (lev - 1) if basis != "close_out" else Decimal(0)
        moves = []
        for move in EXAMPLE_MOVES:
            loss = position * move
            equity = deposit - loss
            value = position - loss
            if basis == "close_out":      # equity / initial margin on the current value
                measure = equity / (value / lev) if value > 0 else None
            elif basis == "maintenance":  # equity / position value
                measure = equity / value if value > 0 else None
            else:                         # 维持担保比例: assets / liabilities
                measure = value / borrowed if borrowed > 0 else None
            closed = move > highest.close_out_drop or (
                move == highest.close_out_drop and comparison == "at_or_below")
            warned = highest.warning_drop is not None and move >= highest.warning_drop
            beyond = max(loss - deposit, Decimal(0))
            moves.append(Move(
                move, _money(loss, currency), loss / deposit, _money(equity, currency), measure,
                warned, closed, _money(min(loss, deposit) if nbp else loss, currency),
                _money(Decimal(0) if nbp else beyond, currency),
                _money(beyond if nbp else Decimal(0), currency)))
        drop = highest.close_out_drop
        loss_at_line = position * drop
        zero = _money(Decimal(0), currency)
        line_row = None if drop == 0 else Move(
            drop, _money(loss_at_line, currency), loss_at_line / deposit,
            _money(deposit - loss_at_line, currency), line, highest.warning_drop is not None,
            True, _money(loss_at_line, currency), zero, zero, at_line=True)
        return LossExample(
            highest.underlying_class, lev, _money(deposit, currency), _money(position, currency),
            _money(borrowed, currency), tuple(moves), drop,
            _money(loss_at_line, currency), _money(deposit - loss_at_line, currency),
            highest.warning_drop, lev / 100, line_row)


# Days of interest in a 365-day year over the convention's denominator (30/360: 360/360).
_YEAR_FACTOR = {"ACT/365": (365, 365), "ACT/360": (365, 360), "30/360": (360, 360),
                "ACT/ACT": (365, 365)}


def _financing(family: str, terms: dict[str, Any], example: LossExample) -> Financing:
    """The example position's financing for one year of 365 days.

    A CFD's overnight funding is charged on the whole position (the client borrows nothing, the
    provider finances the exposure), so the break-even return is the rate itself; a margin loan
    charges the borrowed part only, ``(L-1)·c / L`` of the position (risk.break_even_return)."""
    from compliance.risk import break_even_return

    annual = _fraction(terms.get("annual_rate"))
    spread = _fraction(terms.get("spread"))
    known = annual if annual is not None else spread
    assert known is not None
    day_count = terms["day_count"]
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        days, denominator = _YEAR_FACTOR[day_count]
        factor = Decimal(days) / Decimal(denominator)
        effective = known * factor
        if family == "cfd":
            financed = example.position
            break_even = effective
        else:
            financed = example.borrowed
            break_even = break_even_return(example.leverage, effective)
        cost = financed.amount * effective
    return Financing(
        rate_type=terms.get("rate_type"), annual_rate=annual,
        reference_rate=terms.get("reference_rate"), spread=spread, day_count=day_count,
        interest_period=terms.get("interest_period"),
        penalty_rate=_fraction(terms.get("penalty_rate")),
        charged_on="position" if family == "cfd" else "borrowed", financed_amount=financed,
        known_rate=known, plus_reference=annual is None, year_factor=factor,
        cost_per_year=_money(cost, financed.currency), break_even_return=break_even)


# ---------------------------------------------------------------------------------------------
# Formatting, shared by every template (and available to users' templates)
# ---------------------------------------------------------------------------------------------

def fmt_percent(value: Decimal | None, places: int = 2) -> str:
    """A computed fraction as a percentage, half-up to ``places`` decimals: 0.047619 -> 4.76%."""
    if value is None:
        raise ValueError("no value to format")
    shown = (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{shown + 0:f}%"


def fmt_rate(value: Decimal) -> str:
    """A percentage the contract states, exactly, with at least two decimals: 6.5% -> 6.50%,
    0.025% -> 0.025%."""
    shown = (value * 100).normalize()
    if -shown.as_tuple().exponent < 2:  # type: ignore[operator]
        shown = shown.quantize(Decimal("0.01"))
    return f"{shown + 0:f}%"


def fmt_money(money: Money) -> str:
    """``EUR 10,000.00``: currency code, thousands separators, cents rounded half-up."""
    amount = money.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) + 0
    return f"{money.currency} {amount:,.2f}"


def fmt_number(value: Decimal) -> str:
    """A leverage or count: 30 -> 30, 2.25 -> 2.25, 30.03003 -> 30.03."""
    shown = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{shown + 0:f}"


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NUMERIC_CELL = re.compile(r"^([A-Z]{3} )?[-+]?[0-9∞]")


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, columns aligned by display width (a Chinese character takes two
    cells); columns of figures right-aligned, the others left-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(_display_width(row[i]) for row in cells) for i in range(len(headers))]

    numeric = [i > 0 and all(_NUMERIC_CELL.match(row[i]) for row in cells[1:])
               for i in range(len(headers))]

    def line(row: list[str]) -> str:
        out = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _display_width(cell))
            out.append(pad + cell if numeric[i] else cell + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def underline(text: str, character: str = "=") -> str:
    """A rule as wide as ``text`` is on screen, to underline a plain-text heading."""
    return character * _display_width(str(text))


def _plain(value: Any) -> Any:
    """Plain-text output: contract text cannot carry terminal control sequences."""
    if isinstance(value, str):
        return "".join(ch if ch in "\n\t" or unicodedata.category(ch) != "Cc" else " "
                       for ch in value)
    return value


HELPERS = {"pct": fmt_percent, "rate": fmt_rate, "money": fmt_money, "num": fmt_number}


def disclosure_context(disclosure: Disclosure, lang: str, fmt: str) -> dict[str, Any]:
    """What a disclosure template sees: ``d`` (the :class:`Disclosure`), ``lang``, ``fmt`` and the
    formatting helpers ``pct``, ``rate``, ``money``, ``num`` (and ``text_table``, ``underline``)."""
    return {"d": disclosure, "lang": lang, "fmt": fmt, "text_table": text_table,
            "underline": underline, **HELPERS}


@functools.cache
def _text_environment() -> "jinja2.Environment":
    import jinja2

    from compliance.report.templating import TEMPLATES_DIR

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), undefined=jinja2.StrictUndefined,
        autoescape=False, finalize=_plain, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)


_TEMPLATE = {"text": "disclosure.txt.j2", "markdown": "disclosure.md.j2", "html": "disclosure.html.j2"}


def render_disclosure(disclosure: Disclosure, lang: str = "en", fmt: str = "markdown") -> str:
    """The statement in ``lang`` ("en" | "zh") and ``fmt`` ("text" | "markdown" | "html")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    if fmt == "text":
        env = _text_environment()
    else:
        from compliance.report.templating import builtin_environment
        env = builtin_environment("html" if fmt == "html" else "markdown")
    return env.get_template(_TEMPLATE[fmt]).render(disclosure_context(disclosure, lang, fmt))


def render_disclosure_with_template(disclosure: Disclosure, template_path: str | os.PathLike[str],
                                    lang: str, fmt: str) -> str:
    """A user's Jinja2 template over the statement, in the immutable sandbox, autoescaped, strict
    about undefined names; its errors are ``TEMPLATE:LINE: error: ...`` (exit 2). The template may
    import the built-in phrasebooks (``_disclosure_en.j2``, ``_disclosure_zh.j2``)."""
    from compliance.report.templating import render_user_template

    return render_user_template(template_path, dict(disclosure_context(disclosure, lang, fmt)))
