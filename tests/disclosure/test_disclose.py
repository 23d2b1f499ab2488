"""`compliance disclose`: the risk-disclosure statement, its figures, errors, escaping and goldens.

Golden files live in tests/golden/disclosure/ and are rendered from frozen copies of two contract
templates in tests/fixtures/disclosure/. After an intended change of wording or layout, run
``UPDATE_GOLDEN=1 python -m pytest tests/disclosure`` and review the diff before committing.
"""
from __future__ import annotations

import os
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest

from compliance import cli
from compliance.disclosure import (
    build_disclosure, fmt_money, fmt_percent, fmt_rate, render_disclosure, text_table,
)
from compliance.documents.contract import load_contract
from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "disclosure"
GOLDEN = ROOT / "tests" / "golden" / "disclosure"
EU_CFD = FIXTURES / "eu_retail_cfd.yaml"
CN_LOAN = FIXTURES / "cn_margin_loan_peizi.yaml"
SUFFIX = {"text": "txt", "markdown": "md", "html": "html"}


@pytest.fixture(autouse=True)
def only_the_disclose_command(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", {"disclose": cli.COMMANDS["disclose"]})


def fraction(value: Decimal) -> Fraction:
    return Fraction(value)


def close(value: Decimal, expected: Fraction) -> bool:
    """Equal to 30 significant digits (the figures are Decimal with 34 digits of precision)."""
    return abs(Fraction(value) - expected) < Fraction(1, 10 ** 30)


# ---------------------------------------------------------------------------------------------
# Contracts written for the tests
# ---------------------------------------------------------------------------------------------

CFD = """\
kind: contract
id: T-CFD
title: {title}
language: {language}
provider: {{name: "{provider}", new_provider: {new_provider}}}
client: {{category: retail}}
product: {{type: cfd, base_currency: EUR}}
leverage:
  fx_major: 30:1
  equity: 5:1
margin:
  close_out_level: 50%
  warning_level: 75%
negative_balance_protection: {nbp}
financing: {{annual_rate: 4%, rate_type: fixed, day_count: ACT/365}}
fees:
  - name: Commission
    description: "{fee}"
    rate: 0.1%
    basis: notional per side
disclosures:
  risk_warning: {{loss_percentage: 71%}}
"""

LOAN = """\
kind: contract
id: T-LOAN
language: en
provider: {{name: Harbour}}
product: {{type: margin_loan, base_currency: SGD}}
leverage: {{equity: "{leverage}"}}
margin:
  maintenance: {maintenance}
negative_balance_protection: {nbp}
financing: {{annual_rate: 6%, rate_type: fixed, day_count: ACT/365}}
fees: []
disclosures:
  risk_warning: {{loss_percentage: 40%}}
"""


def cfd(tmp_path: Path, **overrides: str) -> Path:
    values = {"title": "Test agreement", "language": "en", "provider": "Test Markets",
              "new_provider": "false", "nbp": "true", "fee": "Charged on opening and closing."}
    values.update(overrides)
    path = tmp_path / "cfd.yaml"
    path.write_text(CFD.format(**values), encoding="utf-8")
    return path


def loan(tmp_path: Path, leverage: str = "3:1", maintenance: str = "30%", nbp: str = "false") -> Path:
    path = tmp_path / "loan.yaml"
    path.write_text(LOAN.format(leverage=leverage, maintenance=maintenance, nbp=nbp),
                    encoding="utf-8")
    return path


def disclose(path: Path):
    return build_disclosure(load_contract(str(path)))


# ---------------------------------------------------------------------------------------------
# Golden files: en/zh x text/markdown/html on the two frozen contracts
# ---------------------------------------------------------------------------------------------

GOLDEN_CASES = [(contract, lang, fmt) for contract in (EU_CFD, CN_LOAN)
                for lang in ("en", "zh") for fmt in ("text", "markdown", "html")]


@pytest.mark.parametrize(("contract", "lang", "fmt"), GOLDEN_CASES,
                         ids=[f"{c.stem}.{l}.{SUFFIX[f]}" for c, l, f in GOLDEN_CASES])
def test_matches_golden(contract: Path, lang: str, fmt: str, tmp_path: Path) -> None:
    output = tmp_path / "statement"
    assert cli.main(["disclose", str(contract), "--lang", lang, "--format", fmt,
                     "--output", str(output)]) == 0
    rendered = output.read_bytes()
    golden = GOLDEN / f"{contract.stem}.{lang}.{SUFFIX[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered)
    assert golden.is_file(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == golden.read_bytes()


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_stdout_is_the_same_statement_and_runs_are_identical(fmt: str, capsys) -> None:
    outputs = []
    for _ in range(2):
        assert cli.main(["disclose", str(CN_LOAN), "--format", fmt]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    golden = GOLDEN / f"cn_margin_loan_peizi.zh.{SUFFIX[fmt]}"  # the contract's language is zh
    if golden.is_file():
        assert outputs[0] == golden.read_text("utf-8")


# ---------------------------------------------------------------------------------------------
# Figures against independent computation
# ---------------------------------------------------------------------------------------------

def test_cfd_close_out_drop_at_30_to_1_with_50_percent_close_out() -> None:
    d = disclose(EU_CFD)
    fx = next(c for c in d.classes if c.underlying_class == "fx_major")
    # Equity N/L - N·p against half the margin on the current notional, N·(1-p)/L:
    # 1/L - p = c·(1-p)/L  =>  p = (1-c)/(L-c)
    L, c = Fraction(30), Fraction(1, 2)
    expected = (1 - c) / (L - c)
    assert close(fx.close_out_drop, expected)
    # and brute force from the definition: at that fall equity is exactly half the margin
    notional, p = Fraction(300_000), expected
    assert (notional / L - notional * p) == c * notional * (1 - p) / L
    assert fmt_percent(fx.close_out_drop) == "1.69%"
    warning = (1 - Fraction(3, 4)) / (L - Fraction(3, 4))
    assert close(fx.warning_drop, warning)
    assert fx.margin == Decimal("0.0333") and fx.margin_stated


def test_every_class_is_listed_in_canonical_order_with_its_own_drop() -> None:
    d = disclose(EU_CFD)
    assert [c.underlying_class for c in d.classes] == [
        "fx_major", "fx_minor", "gold", "index_major", "index_minor", "commodity", "equity",
        "crypto", "bond", "other"]
    crypto = next(c for c in d.classes if c.underlying_class == "crypto")
    assert close(crypto.close_out_drop, Fraction(1, 3))  # (1 - 1/2) / (2 - 1/2)


def test_margin_loan_3x_with_30_percent_maintenance_is_4_76(tmp_path: Path) -> None:
    d = disclose(loan(tmp_path))
    line = d.classes[0]
    L, m = Fraction(3), Fraction(3, 10)
    # brute force: own 1, debt L-1; closed when (V - D)/V = m
    V0, D = L, L - 1
    V = D / (1 - m)
    assert close(line.close_out_drop, 1 - V / V0)
    assert close(line.close_out_drop, Fraction(1, 21))
    assert fmt_percent(line.close_out_drop) == "4.76%"
    out = render_disclosure(d, "zh", "text")
    assert "若标的价格下跌4.76%，您的持仓将被强制平仓" in out


def test_chinese_collateral_ratio_lines() -> None:
    d = disclose(CN_LOAN)
    line = d.classes[0]
    # 维持担保比例 R = assets / liabilities = 2·(1-p) / 1 at 2x: R = 130% at p = 35%, 150% at 25%
    assert line.leverage == 2
    assert close(line.close_out_drop, Fraction(35, 100))
    assert close(line.warning_drop, Fraction(25, 100))
    rows = {fmt_percent(m.move): m for m in d.example.moves}
    assert close(rows["5.00%"].line_measure, Fraction(19, 10))   # 19,000 / 10,000
    assert not rows["10.00%"].closed_out and not rows["10.00%"].warning_reached


def test_worked_loss_example_at_the_highest_leverage() -> None:
    d = disclose(EU_CFD)
    e = d.example
    assert (e.underlying_class, e.leverage) == ("fx_major", 30)
    assert fmt_money(e.deposit) == "EUR 10,000.00"
    assert fmt_money(e.position) == "EUR 300,000.00"
    five, ten = e.moves
    assert fmt_money(five.loss) == "EUR 15,000.00" and five.closed_out
    assert fmt_money(five.client_loss) == "EUR 10,000.00"      # NBP caps the loss at the deposit
    assert fmt_money(five.written_off) == "EUR 5,000.00" and five.debt.amount == 0
    assert fmt_money(ten.loss) == "EUR 30,000.00"
    # at the close-out line: loss = 300,000 · 1/59
    assert close(e.loss_at_close_out.amount, Fraction(300_000, 59))
    assert fmt_money(e.equity_at_close_out) == "EUR 4,915.25"
    assert [row.at_line for row in e.rows] == [True, False, False]  # 1.69% comes first


def test_without_negative_balance_protection_the_client_owes_the_rest(tmp_path: Path) -> None:
    d = disclose(cfd(tmp_path, nbp="false"))
    five = d.example.moves[0]
    assert fmt_money(five.debt) == "EUR 5,000.00" and fmt_money(five.client_loss) == "EUR 15,000.00"
    en = render_disclosure(d, "en", "text")
    zh = render_disclosure(d, "zh", "text")
    assert "you can lose more than all the money you deposited" in en
    assert "still owe EUR 5,000.00" in en
    assert "您可能损失超过全部本金，并需偿还欠款" in zh
    assert "还需偿还EUR 5,000.00欠款" in zh


def test_negative_balance_protection_in_plain_words() -> None:
    d = disclose(CN_LOAN)
    assert d.negative_balance_protection is True
    assert "您的损失不会超过账户内的资金" in render_disclosure(d, "zh", "markdown")
    assert "your losses cannot exceed the money in your account" in render_disclosure(d, "en", "html")


def test_financing_cost_and_break_even_margin_loan() -> None:
    d = disclose(CN_LOAN)
    f = d.financing
    # 6.5% a year, ACT/365, on the CNY 10,000 borrowed at 2x
    assert f.charged_on == "borrowed" and f.day_count == "ACT/365"
    assert f.cost_per_year.amount == Decimal("650.000")
    # break-even r: 2·r = 1·6.5%  =>  3.25%
    assert close(f.break_even_return, Fraction(65, 2000))
    zh = render_disclosure(d, "zh", "text")
    assert "持有一年（365天）需支付利息CNY 650.00" in zh
    assert "至少要上涨3.25%" in zh


def test_financing_cfd_floating_rate_counts_the_spread_on_the_whole_position() -> None:
    d = disclose(EU_CFD)
    f = d.financing
    assert f.plus_reference and f.charged_on == "position"
    expected = Fraction(300_000) * Fraction(25, 1000) * Fraction(365, 360)
    assert close(f.cost_per_year.amount, expected)
    assert fmt_money(f.cost_per_year) == "EUR 7,604.17"
    assert close(f.break_even_return, Fraction(25, 1000) * Fraction(365, 360))
    assert "plus the reference rate" in render_disclosure(d, "en", "text")


def test_act_360_loan_interest_for_a_calendar_year() -> None:
    d = disclose(ROOT / "contract_templates" / "us_margin_account.yaml")
    assert fmt_money(d.financing.cost_per_year) == "USD 861.81"   # 10,000 · 8.5% · 365/360


def test_risk_warning_with_the_providers_loss_percentage() -> None:
    d = disclose(EU_CFD)
    assert d.risk_warning.loss_percentage == Decimal("0.72")
    en = render_disclosure(d, "en", "text")
    assert ("72.00% of retail investor accounts lose money when trading CFDs with this provider"
            in en)
    zh = render_disclosure(d, "zh", "text")
    assert "有72.00%出现亏损" in zh


def test_new_provider_gets_the_standard_range(tmp_path: Path) -> None:
    d = disclose(cfd(tmp_path, new_provider="true"))
    assert d.risk_warning.new_provider
    en = render_disclosure(d, "en", "markdown")
    assert "Between 74.00% and 89.00% of retail investor accounts lose money" in en
    assert "with this provider" not in en
    assert "74.00%至89.00%的零售投资者账户" in render_disclosure(d, "zh", "markdown")


def test_fees_are_listed_with_exact_rates() -> None:
    d = disclose(CN_LOAN)
    assert [fee.name for fee in d.fees] == ["交易佣金", "印花税"]
    zh = render_disclosure(d, "zh", "text")
    assert "交易佣金：按成交金额的0.025%收取" in zh        # not rounded to 0.03%
    en = render_disclosure(disclose(EU_CFD), "en", "text")
    assert "Inactivity fee: EUR 10.00 (per month)" in en


# ---------------------------------------------------------------------------------------------
# Missing numbers: exit 2, every key named at its place, nothing written
# ---------------------------------------------------------------------------------------------

def test_missing_keys_are_all_reported_with_positions(tmp_path: Path, capsys) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text("kind: contract\nid: X\nprovider: {name: P}\n"
                    "product: {type: cfd, base_currency: EUR}\nleverage: {fx_major: 30:1}\n"
                    "margin:\n  warning_level: 75%\nfees: []\n", encoding="utf-8")
    output = tmp_path / "out.md"
    assert cli.main(["disclose", str(path), "--format", "markdown", "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6:1: error: the disclosure needs margin.close_out_level (or margin.maintenance);" \
           " the contract does not state it" in err
    for key in ("negative_balance_protection", "financing.day_count", "financing.annual_rate",
                "disclosures.risk_warning.loss_percentage"):
        assert f"the disclosure needs {key}" in err
    assert len(re.findall(r"^\S+:\d+:\d+: error: ", err, re.M)) == 5
    assert "Traceback" not in err
    assert not output.exists()


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path: Path, capsys) -> None:
    path = cfd(tmp_path)
    path.write_text(path.read_text("utf-8").replace("  close_out_level: 50%\n", ""), "utf-8")
    output = tmp_path / "statement.html"
    output.write_text("previous statement", encoding="utf-8")
    assert cli.main(["disclose", str(path), "--format", "html", "--output", str(output)]) == 2
    assert "margin.close_out_level" in capsys.readouterr().err
    assert output.read_text("utf-8") == "previous statement"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfd.yaml", "statement.html"]


def test_margin_loan_needs_its_own_close_out_line(tmp_path: Path) -> None:
    path = loan(tmp_path)
    path.write_text(path.read_text("utf-8").replace("  maintenance: 30%\n", "  cure_period: 2 days\n"),
                    "utf-8")
    with pytest.raises(InputError) as raised:
        disclose(path)
    [problem] = raised.value.diagnostics
    assert problem.message.startswith("the disclosure needs margin.close_out_collateral_ratio "
                                      "(or margin.maintenance)")
    assert (problem.line, problem.column) == (7, 1)   # the margin mapping


def test_unsupported_product_and_bad_flags_exit_2(tmp_path: Path, capsys) -> None:
    path = cfd(tmp_path)
    path.write_text(path.read_text("utf-8").replace("type: cfd", "type: binary_option"), "utf-8")
    assert cli.main(["disclose", str(path)]) == 2
    assert "not product type 'binary_option'" in capsys.readouterr().err
    assert cli.main(["disclose", str(EU_CFD), "--lang", "fr"]) == 2
    assert cli.main(["disclose", str(EU_CFD), "--format", "json"]) == 2
    assert cli.main(["disclose", str(tmp_path / "nope.yaml")]) == 2


def test_a_maintenance_line_of_100_percent_is_an_error_at_its_key(tmp_path: Path, capsys) -> None:
    assert cli.main(["disclose", str(loan(tmp_path, maintenance="100%"))]) == 2
    err = capsys.readouterr().err
    assert ":8:3: error: margin.maintenance: maintenance must be in [0%, 100%)" in err


# ---------------------------------------------------------------------------------------------
# Hostile contract text, languages, formats, user templates
# ---------------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> {{ 7*7 }} {% raw %}"


def test_contract_text_is_escaped_and_inert(tmp_path: Path, capsys) -> None:
    path = cfd(tmp_path, provider=HOSTILE, fee=HOSTILE, title="'<img src=x onerror=alert(1)>'")
    assert cli.main(["disclose", str(path), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert cli.main(["disclose", str(path), "--format", "markdown", "--lang", "zh"]) == 0
    markdown = capsys.readouterr().out
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "49" not in markdown


def test_text_output_has_no_markup_and_no_control_characters(tmp_path: Path) -> None:
    d = disclose(cfd(tmp_path, provider="Evil\\x1b[31m Markets"))
    text = render_disclosure(d, "en", "text")
    assert "\x1b" not in text and "Evil [31m Markets" in text
    assert "**" not in text and "<p>" not in text and "| ---" not in text


def test_language_defaults_to_the_contracts_own(capsys) -> None:
    assert cli.main(["disclose", str(CN_LOAN)]) == 0
    assert capsys.readouterr().out.startswith("风险揭示书\n")
    assert cli.main(["disclose", str(CN_LOAN), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("Risk disclosure statement\n")
    assert cli.main(["disclose", str(EU_CFD)]) == 0
    assert capsys.readouterr().out.startswith("Risk disclosure statement\n")


def test_html_is_a_whole_document_in_the_right_language() -> None:
    d = disclose(CN_LOAN)
    html = render_disclosure(d, "zh", "html")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert html.rstrip().endswith("</html>") and "<script" not in html
    assert '<div class="risk-warning" role="note">' in html


def test_user_template_runs_sandboxed(tmp_path: Path, capsys) -> None:
    template = tmp_path / "mine.j2"
    template.write_text("{{ d.provider }}: {{ pct(d.example.close_out_drop) }} ({{ lang }})\n",
                        encoding="utf-8")
    assert cli.main(["disclose", str(EU_CFD), "--template", str(template)]) == 0
    assert capsys.readouterr().out == "ACME Markets: 1.69% (en)\n"

    template.write_text("{{ d.__class__.__mro__ }}\n", encoding="utf-8")
    assert cli.main(["disclose", str(EU_CFD), "--template", str(template)]) == 2
    assert f"{template}:1: error: template" in capsys.readouterr().err

    template.write_text("line one\n{{ nothing_here }}\n", encoding="utf-8")
    assert cli.main(["disclose", str(EU_CFD), "--template", str(template)]) == 2
    assert f"{template}:2: error: template error: 'nothing_here' is undefined" in \
        capsys.readouterr().err


def test_user_template_output_is_escaped(tmp_path: Path, capsys) -> None:
    template = tmp_path / "mine.html.j2"
    template.write_text("<b>{{ d.provider }}</b>\n", encoding="utf-8")
    assert cli.main(["disclose", str(cfd(tmp_path, provider=HOSTILE)),
                     "--template", str(template)]) == 0
    assert "&lt;script&gt;" in capsys.readouterr().out


@pytest.mark.parametrize("contract", sorted((ROOT / "contract_templates").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_contract_template_has_a_statement_or_names_what_is_missing(contract: Path) -> None:
    try:
        d = disclose(contract)
    except InputError as error:  # a template may lack a number: then each is named, never a crash
        assert all(p.message.startswith("the disclosure needs ") for p in error.diagnostics)
        return
    for lang in ("en", "zh"):
        for fmt in ("text", "markdown", "html"):
            first = render_disclosure(d, lang, fmt)
            assert first == render_disclosure(d, lang, fmt)
            assert fmt_percent(d.example.close_out_drop) in first


# ---------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------

def test_number_formats() -> None:
    with localcontext() as ctx:
        ctx.prec = 34
        assert fmt_percent(Decimal(1) / Decimal(21)) == "4.76%"
    assert fmt_percent(Decimal("0.00005")) == "0.01%"          # half-up
    assert fmt_percent(Decimal("-0.5263157")) == "-52.63%"
    assert fmt_rate(Decimal("0.065")) == "6.50%"
    assert fmt_rate(Decimal("0.00025")) == "0.025%"
    assert fmt_rate(Decimal("0.0333")) == "3.33%"
    from compliance.dsl.units import Money
    assert fmt_money(Money(Decimal("7604.1666666"), "EUR")) == "EUR 7,604.17"
    assert fmt_money(Money(Decimal("-5000"), "EUR")) == "EUR -5,000.00"
    assert fmt_money(Money(Decimal("1234567.005"), "CNY")) == "CNY 1,234,567.01"


def test_text_table_aligns_chinese_by_display_width() -> None:
    table = text_table(["类别", "跌幅"], [["股票", "35.00%"], ["fx", "1.69%"]])
    lines = table.splitlines()
    assert lines[0] == "类别    跌幅"
    assert lines[2] == "股票  35.00%"
    assert lines[3] == "fx     1.69%"


# ---------------------------------------------------------------------------------------------
# Every bundled template, and only the figures the product's regime requires
# ---------------------------------------------------------------------------------------------

TEMPLATE_FILES = sorted((ROOT / "contract_templates").glob("*.yaml"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=[p.stem for p in TEMPLATE_FILES])
def test_every_template_has_a_statement(template: Path, lang: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["disclose", str(template), "--lang", lang]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.strip()


MARGIN_LOAN = """\
kind: contract
id: LOAN-1
product: {type: margin_loan, base_currency: CNY}
provider: {name: Example Securities}
leverage: {equity: "2:1"}
margin: {close_out_collateral_ratio: 130%, warning_collateral_ratio: 150%}
financing: {annual_rate: 6%, day_count: ACT/365}
fees: []
"""


def test_a_margin_loan_needs_neither_the_esma_loss_percentage_nor_nbp(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "loan.yaml"
    path.write_text(MARGIN_LOAN, encoding="utf-8")
    assert cli.main(["disclose", str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    # no negative balance protection stated: the statement says losses can exceed the deposit
    assert "you can lose more than the money and securities you deposit" in out
    assert "accounts lost money" not in out   # no loss percentage stated, none invented


def test_a_cfd_still_needs_the_loss_percentage_and_nbp(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cfd.yaml"
    path.write_text(MARGIN_LOAN.replace("margin_loan", "cfd").replace(
        "margin: {close_out_collateral_ratio: 130%, warning_collateral_ratio: 150%}",
        "margin: {close_out_level: 50%}"), encoding="utf-8")
    assert cli.main(["disclose", str(path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert ": error: the disclosure needs disclosures.risk_warning.loss_percentage" in err
    assert ": error: the disclosure needs negative_balance_protection" in err


def test_quoted_chinese_loses_the_spaces_of_a_folded_line() -> None:
    from compliance.disclosure import quoted_text

    assert quoted_text("您的亏损可能超过您 提交的全部担保物。 不保本") == "您的亏损可能超过您提交的全部担保物。不保本"
    assert quoted_text("CFDs are complex instruments") == "CFDs are complex instruments"
    assert quoted_text("融资融券 (margin trading) 交易") == "融资融券 (margin trading) 交易"


# Chinese fonts as each system ships them: Windows, macOS, Linux (Noto and WenQuanYi packages).
CJK_FONTS = {"windows": "Microsoft YaHei", "macos": "PingFang SC", "linux": "Noto Sans CJK SC",
             "linux-small": "WenQuanYi Micro Hei"}


@pytest.mark.parametrize("lang, noted", [("zh", True), ("en", False)])
def test_chinese_html_names_fonts_of_every_system_and_notes_when_none_is_found(lang: str, noted: bool) -> None:
    html = render_disclosure(disclose(CN_LOAN), lang, "html")
    body_font = re.search(r"body \{ font: ([^;]+);", html).group(1)
    probe = re.search(r'@font-face \{ font-family: "cjk-font-present";([^}]+)\}', html).group(1)
    for font in CJK_FONTS.values():
        assert f'"{font}"' in body_font and f'local("{font}")' in probe
    # The note shows only where the probe face is missing (size-adjust shrinks it where present).
    assert "size-adjust: 1%" in probe
    assert ('class="cjk-font-note"' in html) is noted
