"""The regional rulesets (csrc_like, fca_like, finra_like): their in-file tests, effective dates
through the API and the CLI, the binding-limits view over several rulesets, and their templates."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.binding import binding_limits, limit_values
from compliance.documents.contract import load_contract
from compliance.dsl.loader import load_ruleset, load_ruleset_text
from compliance.evaluate.scalar import evaluate_document, overall
from compliance.evaluate.testing import run_tests, untested_rules

ROOT = Path(__file__).resolve().parent.parent
REGIMES = ("csrc_like", "fca_like", "finra_like")
TEMPLATES = {"cn_securities_margin_rzrq.yaml": ["csrc_like"], "uk_cfd_retail.yaml": ["fca_like"],
             "us_reg_t_margin.yaml": ["finra_like", "platform_default"]}


def ruleset(name: str):  # type: ignore[no-untyped-def]
    return load_ruleset(str(ROOT / "rulesets" / f"{name}.rules"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compliance", *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def check_json(path: Path | str, rulesets: str, as_of: str) -> dict:
    done = cli("check", str(path), "--ruleset", rulesets, "--as-of", as_of, "--format", "json",
               "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def outcome(name: str, path: Path, rule_id: str, as_of: dt.date) -> str:
    results = [r for r in evaluate_document(ruleset(name), load_contract(str(path)), as_of)
               if r.rule.rule_id == rule_id]
    return overall(results)


# ---- in-file tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", REGIMES)
def test_in_file_tests_pass(name: str) -> None:
    results = run_tests(ruleset(name))
    assert results, f"{name} has no in-file tests"
    failing = [(t.name, e.rule_id, e.expected, e.actual, e.explanations)
               for t in results for e in t.expectations if not e.passed]
    assert failing == []


@pytest.mark.parametrize("name", REGIMES)
def test_every_rule_has_a_passing_and_a_failing_test(name: str) -> None:
    loaded = ruleset(name)
    own = [rule for rule in loaded.rules if rule.ruleset == name]
    assert len(own) >= 10
    assert untested_rules(loaded) == {}


def test_fca_like_extends_esma_like_and_overrides_what_differs() -> None:
    fca = ruleset("fca_like")
    assert fca.chain == ("fca_like", "esma_like")
    assert fca.params["close_out_comparison"].ruleset == "fca_like"
    assert "PS19/11" in fca.rule("ESMA-BIN-1").citation
    assert "COBS 22.5" in fca.rule("ESMA-RW-1").citation


def test_finra_like_keeps_the_pdt_rules_without_an_invented_end_date() -> None:
    pdt = ruleset("finra_like").params["pdt_rules_in_force"]
    assert [value.effective for value in pdt.values] == [None]


@pytest.mark.parametrize("name", REGIMES)
def test_citations_name_their_sources(name: str) -> None:
    loaded = ruleset(name)
    text = (ROOT / "rulesets" / f"{name}.rules").read_text(encoding="utf-8")
    assert text.count('\n  source "') >= 3
    for rule in loaded.rules:
        if rule.ruleset == name:
            assert rule.citation.strip(), rule.rule_id


def test_csrc_citations_are_bilingual() -> None:
    for rule in ruleset("csrc_like").rules:
        if rule.rule_id.startswith("CSRC-CLAIM") or rule.rule_id in ("CSRC-LIC-1", "CSRC-SUIT-1"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.citation), rule.rule_id
            assert any(ch.isascii() and ch.isalpha() for ch in rule.citation), rule.rule_id


# ---- effective dates: the same contract before and after a change ------------------------------

CN_80 = """kind: contract
id: CN-80
effective_date: 2026-02-01
product: {type: margin_account}
leverage: {equity: "2.25:1"}
margin: {financing_margin_ratio: 80%}
"""


@pytest.mark.parametrize("as_of, expected", [
    (dt.date(2023, 9, 8), "failed"),     # 100% in force (the cut takes effect after that close)
    (dt.date(2023, 9, 11), "passed"),    # 80%
    (dt.date(2026, 1, 13), "passed"),
    (dt.date(2026, 1, 14), "failed"),    # 100% again, for new contracts
])
def test_financing_margin_ratio_by_date(tmp_path: Path, as_of: dt.date, expected: str) -> None:
    path = tmp_path / "cn.yaml"
    path.write_text(CN_80, encoding="utf-8")
    assert outcome("csrc_like", path, "CSRC-LEV-1", as_of) == expected
    assert outcome("csrc_like", path, "CSRC-LEV-2", as_of) == expected


def test_existing_contract_keeps_the_ratio_it_was_concluded_under(tmp_path: Path) -> None:
    path = tmp_path / "cn.yaml"
    path.write_text(CN_80.replace("2026-02-01", "2025-06-01"), encoding="utf-8")
    assert outcome("csrc_like", path, "CSRC-LEV-1", dt.date(2026, 3, 1)) == "passed"


@pytest.mark.parametrize("as_of, ratio, expected", [
    (dt.date(2023, 10, 29), "50%", "passed"), (dt.date(2023, 10, 30), "50%", "failed"),
    (dt.date(2024, 7, 21), "80%", "passed"), (dt.date(2024, 7, 22), "80%", "failed"),
])
def test_short_sale_margin_ratio_by_date(tmp_path: Path, as_of: dt.date, ratio: str, expected: str) -> None:
    path = tmp_path / "cn.yaml"
    path.write_text(f"kind: contract\nid: S\nproduct: {{type: margin_account}}\n"
                    f"margin: {{short_sale_margin_ratio: {ratio}}}\n", encoding="utf-8")
    assert outcome("csrc_like", path, "CSRC-SHORT-1", as_of) == expected


def test_cli_as_of_before_and_after_and_the_report_states_the_date(tmp_path: Path) -> None:
    path = tmp_path / "cn.yaml"
    path.write_text(CN_80, encoding="utf-8")
    before = check_json(path, "csrc_like", "2026-01-13")
    after = check_json(path, "csrc_like", "2026-01-14")
    assert before["as_of"] == "2026-01-13" and after["as_of"] == "2026-01-14"
    assert "CSRC-LEV-1" not in {f["rule_id"] for f in before["findings"]}
    lev = [f for f in after["findings"] if f["rule_id"] == "CSRC-LEV-1"]
    assert lev and "100%" in lev[0]["message"] and "2026-01-14" in lev[0]["message"]
    text = cli("check", str(path), "--ruleset", "csrc_like", "--as-of", "2026-01-14", "--format", "markdown")
    assert "2026-01-14" in text.stdout


def test_cli_fca_rules_apply_from_1_august_2019(tmp_path: Path) -> None:
    path = tmp_path / "uk.yaml"
    path.write_text("kind: contract\nid: UK\nclient: {category: retail}\nproduct: {type: cfd}\n"
                    "leverage: {fx_major: \"100:1\"}\n", encoding="utf-8")
    before = check_json(path, "fca_like", "2019-07-31")
    after = check_json(path, "fca_like", "2019-08-01")
    assert before["findings"] == [] and before["as_of"] == "2019-07-31"
    assert "ESMA-LEV-1" in {f["rule_id"] for f in after["findings"]}


# ---- binding limits -------------------------------------------------------------------------------

def by_limit(rows: list[dict]) -> dict[str, dict]:
    return {row["limit"]: row for row in rows}


def test_binding_esma_fca_platform() -> None:
    rows = by_limit(binding_limits([ruleset("esma_like"), ruleset("fca_like"), ruleset("platform_default")],
                                   dt.date(2026, 3, 1)))
    fx = rows["leverage_cap.fx_major"]
    assert fx["values"] == [{"ruleset": "esma_like", "value": "30:1"}, {"ruleset": "fca_like", "value": "30:1"}]
    assert fx["binding_value"] == "30:1" and fx["direction"] == "lowest"
    comparison = rows["close_out_comparison"]
    assert comparison["binding_value"] == "at_or_below"     # FCA's "fall to 50%" closes out earlier
    assert comparison["binding"] in ("fca_like", "platform_default")
    assert rows["close_out_level"]["binding_value"] == "50%"
    # a limit only one ruleset sets is not shown
    assert "financing_margin_ratio" not in rows


def test_binding_picks_the_strictest_value() -> None:
    stricter = load_ruleset_text(
        'ruleset tighter\n  version "1"\n  extends esma_like\n'
        'override let retail_cap = {fx_major: 20:1, crypto: 2:1}\n'
        'override let close_out_level = 60%\n', "tighter.rules")
    rows = by_limit(binding_limits([ruleset("esma_like"), stricter], dt.date(2026, 3, 1)))
    assert rows["leverage_cap.fx_major"]["binding"] == "tighter"
    assert rows["leverage_cap.fx_major"]["binding_value"] == "20:1"
    assert rows["close_out_level"]["binding"] == "tighter"
    assert rows["leverage_cap.crypto"]["tied"] == ["esma_like", "tighter"]


@pytest.mark.parametrize("as_of, csrc_ratio, csrc_cap, binding", [
    (dt.date(2015, 1, 1), "50%", "3:1", "platform_default"),
    (dt.date(2025, 6, 1), "80%", "2.25:1", "platform_default"),
    (dt.date(2026, 3, 1), "100%", "2:1", "csrc_like"),       # tied: the first one listed
])
def test_binding_csrc_platform(as_of: dt.date, csrc_ratio: str, csrc_cap: str, binding: str) -> None:
    rows = by_limit(binding_limits([ruleset("csrc_like"), ruleset("platform_default")], as_of))
    ratio = rows["financing_margin_ratio"]
    assert ratio["values"] == [{"ruleset": "csrc_like", "value": csrc_ratio},
                               {"ruleset": "platform_default", "value": "100%"}]
    assert ratio["binding"] == binding and ratio["binding_value"] == "100%"
    cap = rows["leverage_cap.margin_financing"]
    assert cap["values"][0] == {"ruleset": "csrc_like", "value": csrc_cap}
    assert cap["binding_value"] == "2:1" and cap["direction"] == "lowest"
    assert rows["close_out_collateral_ratio"]["binding_value"] == "130%"
    assert rows["close_out_comparison"]["binding"] == "platform_default"


def test_money_limits_in_different_currencies_are_not_compared() -> None:
    other = load_ruleset_text('ruleset eu_min\n  version "1"\nlet min_equity = EUR 5000\n', "eu_min.rules")
    rows = by_limit(binding_limits([ruleset("finra_like"), other], dt.date(2026, 3, 1)))
    assert rows["minimum_equity"]["binding"] is None
    assert "not comparable" in rows["minimum_equity"]["note"]


def test_limit_values_of_finra() -> None:
    values = limit_values(ruleset("finra_like"), dt.date(2026, 3, 1))
    assert {"maintenance_margin", "maintenance_margin.short", "minimum_equity",
            "minimum_equity.pattern_day_trader", "leverage_cap.margin_financing"} <= set(values)


# ---- several rulesets through the CLI -------------------------------------------------------------

BROKEN_UK = """kind: contract
id: UK-BROKEN
client: {category: retail}
product: {type: cfd}
leverage: {fx_major: "50:1"}
"""


def test_cli_several_rulesets_findings_carry_their_ruleset_and_the_binding_table(tmp_path: Path) -> None:
    path = tmp_path / "uk.yaml"
    path.write_text(BROKEN_UK, encoding="utf-8")
    report = check_json(path, "esma_like,fca_like,platform_default", "2026-03-01")
    lev = {f["ruleset"] for f in report["findings"] if f["rule_id"] == "ESMA-LEV-1"}
    assert lev == {"esma_like", "fca_like"}
    assert "FCA-RW-6" in {f["rule_id"] for f in report["findings"] if f["ruleset"] == "fca_like"}
    assert {f["ruleset"] for f in report["findings"]} == {"esma_like", "fca_like", "platform_default"}

    text = cli("check", str(path), "--ruleset", "esma_like,fca_like,platform_default", "--as-of", "2026-03-01")
    assert text.returncode == 1, text.stderr
    assert "Binding limits" in text.stdout
    line = next(l for l in text.stdout.splitlines() if l.strip().startswith("close_out_comparison"))
    assert "esma_like below" in line and "fca_like at_or_below" in line and "-> at_or_below" in line

    markdown = cli("check", str(path), "--ruleset", "esma_like,fca_like", "--as-of", "2026-03-01",
                   "--format", "markdown").stdout
    assert "## Binding limits" in markdown and "| Limit | Regime values | Binding |" in markdown
    assert "| leverage_cap.fx_major | esma_like 30:1, fca_like 30:1 |" in markdown
    html = cli("check", str(path), "--ruleset", "esma_like,fca_like", "--as-of", "2026-03-01",
               "--format", "html").stdout
    assert 'id="binding-limits"' in html and "leverage_cap.fx_major" in html


def test_one_ruleset_shows_no_binding_table(tmp_path: Path) -> None:
    path = tmp_path / "uk.yaml"
    path.write_text(BROKEN_UK, encoding="utf-8")
    text = cli("check", str(path), "--ruleset", "fca_like", "--as-of", "2026-03-01")
    assert "Binding limits" not in text.stdout


# ---- templates ------------------------------------------------------------------------------------

# The templates are correct on the day they were last reviewed (terms such as the quarterly loss
# percentage age): contract_templates/REVIEW_DATE.
TEMPLATES_REVIEWED = (ROOT / "contract_templates" / "REVIEW_DATE").read_text(encoding="utf-8").strip()

@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_complies_with_the_rulesets_it_declares(name: str) -> None:
    path = ROOT / "contract_templates" / name
    assert load_contract(str(path)).data["rulesets"] == TEMPLATES[name]
    done = cli("check", str(path), "--as-of", TEMPLATES_REVIEWED, "--format", "json", "--fail-on", "info")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["findings"] == []
    assert report["summary"]["not_stated"] == 0


def test_no_template_breaks() -> None:
    done = cli("check", "contract_templates", "--as-of", TEMPLATES_REVIEWED, "--fail-on", "info")
    assert done.returncode == 0, done.stdout
