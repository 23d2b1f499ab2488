"""Hand-built reports every renderer test draws on: a contract check and a platform audit.

A plain module (not conftest) so tests can import it by a name no other test folder uses."""
from __future__ import annotations

from pathlib import Path

from compliance.findings import Finding, InputInfo, Report, RuleInfo, RuleRun, RulesetInfo

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
# The official schema, kept unmodified in the repository (source and licence: tests/schemas/README.md).
SARIF_SCHEMA_PATH = REPO_ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"

ACME = "contracts/acme-retail.yaml"
CLEAN = "contracts/beta-professional.yaml"
ESMA = "esma_like"
HOUSE = "house_rules"

RULES = (
    RuleInfo("LEV-001", ESMA, "Retail leverage cap on major FX pairs", "leverage_cap", "error",
             "ESMA Decision (EU) 2018/796, Art. 2(a)",
             fix="Lower leverage.fx_major to {cap} or less.",
             description="Retail clients may be offered at most 30:1 on major currency pairs."),
    RuleInfo("MCO-001", ESMA, "Margin close-out at 50%", "margin_close_out", "error",
             "ESMA Decision (EU) 2018/796, Art. 2(b)",
             fix="Set margin.close_out_level to 50% or higher.",
             description="Positions are closed when equity falls to 50% of the initial margin."),
    RuleInfo("RW-002", ESMA, "Risk warning states the share of losing accounts", "risk_warning",
             "warning", "ESMA Decision (EU) 2018/796, Annex II",
             fix="State disclosures.risk_warning.loss_percentage."),
    RuleInfo("FEE-003", HOUSE, "Financing day count stated", "fees_disclosure", "info",
             "House policy FIN-7", fix="Add financing.day_count, e.g. ACT/365."),
    RuleInfo("INC-001", ESMA, "No trading bonuses", "incentives", "error",
             "ESMA Decision (EU) 2018/796, Art. 2(e)", fix="Remove the bonus from incentives."),
    RuleInfo("CM-001", ESMA, "Client money segregated", "client_money", "error",
             "MiFID II Art. 16(10)", fix="Set custody.segregated: true."),
)

FINDINGS = (
    Finding("LEV-001", "leverage_cap", "error", ACME, 12, 13, "leverage.fx_major",
            "FX major leverage 50:1 exceeds the retail cap of 30:1", RULES[0].citation,
            "Lower leverage.fx_major to 30:1 or less.", ruleset=ESMA, title=RULES[0].title,
            document_id="ACME-CFD-RETAIL-2026"),
    Finding("MCO-001", "margin_close_out", "error", ACME, 20, 20, "margin.close_out_level",
            "Close-out level 30% is below the required 50%", RULES[1].citation,
            "Set margin.close_out_level to 50% or higher.", ruleset=ESMA, title=RULES[1].title,
            document_id="ACME-CFD-RETAIL-2026"),
    Finding("RW-002", "risk_warning", "warning", ACME, 31, 5, "disclosures.risk_warning",
            "disclosures.risk_warning.loss_percentage is not stated: the warning must state the "
            "share of retail accounts that lose money",
            RULES[2].citation, "State disclosures.risk_warning.loss_percentage.", ruleset=ESMA,
            title=RULES[2].title, document_id="ACME-CFD-RETAIL-2026", outcome="not_stated"),
    Finding("FEE-003", "fees_disclosure", "info", ACME, 27, 3, "financing",
            "The financing terms name no day count, so interest cannot be computed exactly",
            RULES[3].citation, "Add financing.day_count, e.g. ACT/365.", ruleset=HOUSE,
            title=RULES[3].title, document_id="ACME-CFD-RETAIL-2026"),
    Finding("INC-001", "incentives", "error", ACME, 40, 5, "incentives[0]",
            "A 20% deposit bonus is offered to retail clients", RULES[4].citation,
            "Remove the bonus from incentives.", waived=True, ruleset=ESMA, title=RULES[4].title,
            waiver_reason="legacy promotion ends with the quarter "
                          "(approved by Head of Compliance, until 2026-03-31)",
            document_id="ACME-CFD-RETAIL-2026"),
)

NOTICE = Finding(
    "WAIVER-EXPIRED", "client_money", "warning", "waivers.yaml", 9, 5, "CM-001",
    "the waiver of CM-001 for BETA-PRO-2026 (approved by J. Doe) expired on 2026-01-31; the "
    "finding it covered counts again", "", "Renew the waiver with a new approval, or fix the finding.")


def _runs() -> tuple[RuleRun, ...]:
    runs = []
    outcomes = {"LEV-001": "failed", "MCO-001": "failed", "RW-002": "not_stated", "FEE-003": "failed",
                "INC-001": "failed", "CM-001": "passed"}
    for rule in RULES:
        runs.append(RuleRun(rule.rule_id, rule.ruleset, ACME, "ACME-CFD-RETAIL-2026",
                            outcomes[rule.rule_id], f"{rule.title}: evaluated",
                            waived=rule.rule_id == "INC-001"))
    for rule in RULES:
        outcome = "not_applicable" if rule.rule_id in ("LEV-001", "INC-001") else "passed"
        explanation = ("the rule applies to retail clients; the client category is professional"
                       if outcome == "not_applicable" else f"{rule.title}: satisfied")
        runs.append(RuleRun(rule.rule_id, rule.ruleset, CLEAN, "BETA-PRO-2026", outcome, explanation))
    return tuple(runs)


def make_check_report(**changes: object) -> Report:
    fields: dict[str, object] = dict(
        tool_version="0.1.0",
        rulesets=(RulesetInfo(ESMA, "2026.1", "a" * 64, title="ESMA-like product intervention",
                              jurisdiction="EU"),
                  RulesetInfo(HOUSE, "3", "b" * 64, title="House rules",
                              disabled=(("RW-001", "superseded by RW-002 for this firm"),))),
        inputs=(InputInfo(ACME, "1" * 64), InputInfo(CLEAN, "2" * 64)),
        findings=FINDINGS, runs=_runs(), rules=RULES, as_of="2026-02-15", notices=(NOTICE,))
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


def make_audit_report() -> Report:
    snapshot = "snapshots/2026-02-15.csv"
    findings = tuple(
        Finding("ACC-NEG", "account_state", "error", snapshot, row, None, account,
                f"Account {account} has negative equity of EUR {amount}",
                "ESMA Decision (EU) 2018/796, Art. 2(d)", "Credit the account back to zero.",
                ruleset=ESMA, title="No negative equity under protection", document_id="snapshot")
        for row, account, amount in ((14, "A-1003", "-120.50"), (77, "A-1076", "-2,310.00")))
    findings += (Finding("ACC-MARGIN", "account_state", "warning", snapshot, 41, None, "A-1040",
                         "Margin level 62% is under the warning level of 80%",
                         "House policy MC-2", "Notify the client by email and app.", ruleset=ESMA,
                         title="Margin call sent below the warning level", document_id="snapshot"),)
    extra = {
        "accounts": 1200,
        "metrics": {
            "accounts": 1200,
            "by_client_category": {"professional": 180, "retail": 1020},
            "leverage": {"percentiles": {"p50": "4.2", "p90": "18.7", "p99": "29.9"},
                         "histogram": [{"bucket": "0-1", "count": 210}, {"bucket": "1-5", "count": 480},
                                       {"bucket": "5-10", "count": 260}, {"bucket": "10-20", "count": 170},
                                       {"bucket": "20-30", "count": 72}, {"bucket": "30+", "count": 8}],
                         "non_positive_equity": 2},
            "margin_level": {"percentiles": {"p1": "0.55", "p10": "1.35", "p50": "4.80"},
                             "histogram": [{"bucket": "<50%", "count": 3}, {"bucket": "50-80%", "count": 17},
                                           {"bucket": "80-100%", "count": 40},
                                           {"bucket": "100-200%", "count": 310},
                                           {"bucket": ">200%", "count": 830}]},
            "under_warning_level": 20,
            "under_close_out_level": 3,
            "negative_equity": {"accounts": 2, "total": "-2430.50", "platform_owes": "2430.50"},
            "concentration": {"top10_exposure_share": "0.1834",
                              "top10_accounts": ["A-1001", "A-1002", "A-1076"]},
        },
        "stress": [
            {"shock": "-5%", "close_outs": 14, "new_close_outs": 11, "negative_equity": 2,
             "new_negative_equity": 0, "platform_shortfall": "2430.50", "client_debt": "0.00"},
            {"shock": "-10%", "close_outs": 61, "new_close_outs": 58, "negative_equity": 9,
             "new_negative_equity": 7, "platform_shortfall": "18250.00", "client_debt": "0.00"},
            {"shock": "-20%", "close_outs": 240, "new_close_outs": 237, "negative_equity": 55,
             "new_negative_equity": 53, "platform_shortfall": "162400.75", "client_debt": "0.00"},
        ],
        "rule_counts": [
            {"rule_id": "ACC-NEG", "title": "No negative equity under protection",
             "topic": "account_state", "severity": "error", "breaches": 2, "share": "0.0017",
             "money_involved": "2430.50", "money_column": "equity",
             "top_offenders": [{"account_id": "A-1076", "value": "-2310.00",
                                "message": "negative equity under protection"},
                               {"account_id": "A-1003", "value": "-120.50",
                                "message": "negative equity under protection"}]},
            {"rule_id": "ACC-MARGIN", "title": "Margin call sent below the warning level",
             "topic": "account_state", "severity": "warning", "breaches": 1, "share": "0.0008",
             "money_involved": "0.00",
             "top_offenders": [{"account_id": "A-1040", "value": "0.62",
                                "message": "margin level under 80%"}]},
        ],
    }
    return Report(
        tool_version="0.1.0",
        rulesets=(RulesetInfo(ESMA, "2026.1", "a" * 64),),
        inputs=(InputInfo(snapshot, "3" * 64),),
        findings=findings,
        runs=(RuleRun("ACC-NEG", ESMA, snapshot, "snapshot", "failed", "2 accounts"),
              RuleRun("ACC-MARGIN", ESMA, snapshot, "snapshot", "failed", "1 account"),
              RuleRun("ACC-LEV", ESMA, snapshot, "snapshot", "passed", "no account over the cap")),
        rules=(RuleInfo("ACC-NEG", ESMA, "No negative equity under protection", "account_state",
                        "error", "ESMA Decision (EU) 2018/796, Art. 2(d)"),
               RuleInfo("ACC-MARGIN", ESMA, "Margin call sent below the warning level",
                        "account_state", "warning", "House policy MC-2"),
               RuleInfo("ACC-LEV", ESMA, "Account leverage within the cap", "account_state",
                        "error", "ESMA Decision (EU) 2018/796, Art. 2(a)")),
        as_of="2026-02-15", kind="audit", extra=extra)
