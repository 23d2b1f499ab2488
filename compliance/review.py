"""Contract review: contracts x rulesets -> findings -> one Report.

The pipeline of ``compliance check``: find the contract files (and platform profiles, which bring
the contracts they reference), load and validate each (collecting
every input error before giving up), pick the rulesets (``--ruleset`` or each contract's own
``rulesets:`` list), evaluate every contract rule, turn failures into findings, apply waivers.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from compliance import __version__
from compliance.documents.model import Document
from compliance.dsl.model import CheckedAssumption, CheckedRule, Ruleset
from compliance.errors import Diagnostic, InputError
from compliance.evaluate.scalar import Result, evaluate_document, overall
from compliance.findings import (
    Finding,
    InputInfo,
    Report,
    RuleInfo,
    RuleRun,
    RulesetInfo,
    sort_findings,
)
from compliance.records import record


@record
class Reviewed:
    document: Document
    ruleset: Ruleset
    results: tuple[Result, ...]


def split_ruleset_specs(specs: Sequence[str] | None) -> list[str]:
    """``--ruleset a,b --ruleset c`` -> [a, b, c] in order, without repeats. An empty name (``''``,
    ``','``, ``'a,'``: often an unset variable in a script) is an error, not silently dropped."""
    names: list[str] = []
    for spec in specs or ():
        for part in spec.split(","):
            part = part.strip()
            if not part:
                raise InputError.at("--ruleset", None, None,
                                    f"empty ruleset name in {spec!r}; give built-in names or "
                                    "ruleset files, separated by commas")
            if part not in names:
                names.append(part)
    return names


def load_rulesets(specs: Sequence[str]) -> dict[str, Ruleset]:
    from compliance.dsl.loader import load_ruleset

    loaded: dict[str, Ruleset] = {}
    problems: list[Diagnostic] = []
    for spec in specs:
        try:
            loaded[spec] = load_ruleset(spec)
        except InputError as error:
            problems.extend(error.diagnostics)
    if problems:
        raise InputError(problems)
    return loaded


def rulesets_for(document: Document, chosen: Sequence[str]) -> list[str]:
    if chosen:
        return list(chosen)
    declared = document.data.get("rulesets") or []
    if not declared:
        position = document.position_of(())
        noun = "platform profile" if document.kind == "platform" else "contract"
        raise InputError.at(document.path, position.line if position else 1, 1,
                            f"the {noun} declares no rulesets (add a 'rulesets:' list) and no "
                            "--ruleset was given")
    return [str(name) for name in declared]


def finding_of(result: Result, document: Document) -> Finding:
    rule = result.rule
    position = result.position
    return Finding(
        rule_id=rule.rule_id, topic=rule.topic,
        severity=(result.severity or rule.severity),  # type: ignore[arg-type]
        path=document.path, line=position.line if position else None,
        column=position.column if position else None, subject=result.subject,
        message=result.message or rule.title, citation=result.citation or rule.citation,
        fix=result.fix, ruleset=rule.ruleset, title=rule.title,
        document_id=str(document.data.get("id", "")), explanation=result.explanation,
        outcome="not_stated" if result.outcome == "not_stated" else "failed")


def rule_info(rule: CheckedRule, ruleset: Ruleset, as_of: _dt.date | None = None) -> RuleInfo:
    description = rule.title
    source = ruleset.sources.get(rule.span.path)
    if source is not None:
        lines = source.split("\n")[rule.span.line - 1:rule.span.end_line or rule.span.line]
        description = "\n".join(lines).strip()
    from compliance.dsl.formatter import format_expression

    loop = rule.for_each
    scope = ""
    if loop is not None:
        names = loop.key_var if loop.value_var is None else f"{loop.key_var}, {loop.value_var}"
        scope = f"each {names} in {format_expression(loop.collection)}"
    conditions = [format_expression(c) for c in (*rule.scope, *((rule.when,) if rule.when else ()))]
    return RuleInfo(rule_id=rule.rule_id, ruleset=ruleset.name, title=rule.title, topic=rule.topic,
                    severity=rule.severity,  # type: ignore[arg-type]
                    citation=rule.citation_on(as_of) if as_of is not None else rule.citation,
                    fix=rule.fix.text if rule.fix else "", description=description,
                    condition=" and ".join(f"({c})" if " or " in c and len(conditions) > 1 else c
                                           for c in conditions),
                    requirement=format_expression(rule.require), scope=scope,
                    silence=rule.silence, sources=rule.sources, confidence=rule.confidence)


def assumption_info(assumption: "CheckedAssumption", ruleset: Ruleset, as_of: _dt.date) -> RuleInfo:
    """An assumption listed like a rule (SARIF descriptors, reports): what a silent document is
    read as."""
    from compliance.documents.model import render_path
    from compliance.dsl.formatter import format_expression

    field = render_path(assumption.path)
    return RuleInfo(rule_id=assumption.rule_id, ruleset=ruleset.name, title=assumption.title,
                    topic=assumption.topic, severity=assumption.severity,  # type: ignore[arg-type]
                    citation=assumption.citation_on(as_of), fix=f"state {field}",
                    description=f"When {field} is not stated, the document is read with {field} = "
                                f"{format_expression(assumption.value)}, and that is reported.",
                    requirement=f"exists {field}", silence=assumption.severity,
                    sources=assumption.sources, confidence=assumption.confidence)


def ruleset_info(ruleset: Ruleset) -> RulesetInfo:
    return RulesetInfo(name=ruleset.name, version=ruleset.version, sha256=ruleset.sha256,
                       title=ruleset.title, jurisdiction=ruleset.jurisdiction,
                       disabled=tuple((rule_id, f"{reason} (disabled in {by})")
                                      for rule_id, reason, by in ruleset.disabled))


def findings_and_runs(reviewed: Sequence[Reviewed]) -> tuple[list[Finding], list[RuleRun]]:
    """Failures become findings; every rule on every document becomes a run (JUnit test case)."""
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    for item in reviewed:
        by_rule: dict[str, list[Result]] = {}
        for result in item.results:
            by_rule.setdefault(result.rule.rule_id, []).append(result)
            if result.outcome in ("failed", "not_stated"):
                findings.append(finding_of(result, item.document))
        for rule_id, results in by_rule.items():
            outcome = overall(results)
            explanation = "; ".join(f"{r.subject + ': ' if r.subject else ''}{r.explanation}"
                                    for r in results if r.outcome == outcome)
            runs.append(RuleRun(rule_id=rule_id, ruleset=item.ruleset.name, path=item.document.path,
                                document_id=str(item.document.data.get("id", "")),
                                outcome=outcome, explanation=explanation))  # type: ignore[arg-type]
    return findings, runs


# Above this many contracts, the review runs in worker processes, one per core. A contract costs
# ~2 ms to load and evaluate, a forked worker ~20 ms to start and return its results, so below a
# few hundred contracts the workers cost more than they save (benchmarks/bench_check.py measures
# both ways). COMPLIANCE_WORKERS sets the number of processes (1: none).
PARALLEL_THRESHOLD = 400
WORKERS_VARIABLE = "COMPLIANCE_WORKERS"


def worker_count() -> int:
    import os

    chosen = os.environ.get(WORKERS_VARIABLE, "")
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return min(os.cpu_count() or 1, 8)


@record
class FileReview:
    """What one contract file contributes to the report (small, so it crosses processes cheaply)."""

    path: str
    sha256: str
    document_id: str
    rulesets: tuple[str, ...]
    findings: tuple[Finding, ...]
    runs: tuple[RuleRun, ...]
    problems: tuple[Diagnostic, ...] = ()


def review_file(path: str, chosen: Sequence[str], as_of: _dt.date) -> FileReview:
    from compliance.documents.platform import load_document
    from compliance.dsl.loader import load_ruleset

    try:
        document = load_document(path)
        specs = rulesets_for(document, chosen)
        rulesets = {spec: load_ruleset(spec) for spec in specs}
        # Evaluation raises InputError for a date beyond the calendar or a builtin outside its
        # domain (the rule or --as-of asks for it).
        reviewed = [Reviewed(document, ruleset, tuple(evaluate_document(ruleset, document, as_of)))
                    for ruleset in rulesets.values()]
    except InputError as error:
        return FileReview(path, "", "", (), (), (), tuple(error.diagnostics))
    findings, runs = findings_and_runs(reviewed)
    return FileReview(path, document.sha256, str(document.data.get("id", "")), tuple(specs),
                      tuple(findings), tuple(runs))


def _review_batch(job: tuple[list[str], list[str], _dt.date]) -> list[FileReview]:
    files, chosen, as_of = job
    return [review_file(path, chosen, as_of) for path in files]


def _worker_signals() -> None:
    """Workers leave Ctrl-C to the parent (which stops them) and die at once on SIGTERM."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def review_files(files: Sequence[str], chosen: Sequence[str], as_of: _dt.date) -> list[FileReview]:
    import os

    workers = worker_count()
    if len(files) < PARALLEL_THRESHOLD or workers < 2:
        return _review_batch((list(files), list(chosen), as_of))
    import multiprocessing

    # Interleaved batches keep the work even; the result is re-sorted by path, so the report
    # does not depend on how it was split.
    batches = [(list(files[index::workers]), list(chosen), as_of) for index in range(workers)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    if context is not None and not chosen:
        # Forked workers inherit what is loaded here: read the built-in rulesets a contract may
        # declare once, rather than once in every worker and again for the report.
        from compliance.dsl.loader import builtin_names, load_ruleset

        for name in builtin_names():
            load_ruleset(name)
    if context is not None:
        from compliance.text import preload

        preload()   # the prose libraries too: once here, not once per worker
    pool = (context or multiprocessing).Pool(workers, initializer=_worker_signals)
    try:
        batches_done = pool.map_async(_review_batch, batches).get()
        pool.close()
    except BaseException:
        # Ctrl-C, SIGTERM or an error: stop every worker now (SIGTERM), not after its batch.
        pool.terminate()
        raise
    finally:
        pool.join()
    reviews = [review for batch in batches_done for review in batch]
    return sorted(reviews, key=lambda review: review.path)


def check_contracts(paths: Sequence[str], ruleset_specs: Sequence[str] | None, as_of: _dt.date,
                    waivers_path: str | None = None) -> Report:
    """The whole of ``compliance check``, as a function."""
    from compliance.documents.contract import CHECKED_KINDS, find_contracts
    from compliance.records import replace

    chosen = split_ruleset_specs(ruleset_specs)
    files = find_contracts(list(paths), CHECKED_KINDS)
    if not files:
        raise InputError.at(", ".join(paths), None, None, "no contract files found (looked for *.yaml "
                            "and *.yml files whose kind is contract or platform)")
    waivers = None
    if waivers_path:
        from compliance.waivers import load_waivers
        waivers = load_waivers(waivers_path)
    if chosen:
        load_rulesets(chosen)  # a bad --ruleset is reported once, before any contract is read
    reviews = review_files(files, chosen, as_of)
    problems = [problem for review in reviews for problem in review.problems]
    if problems:
        raise InputError(problems)
    needed: list[str] = []
    for review in reviews:
        needed.extend(spec for spec in review.rulesets if spec not in needed)
    rulesets = load_rulesets(needed)
    report = Report(
        tool_version=__version__,
        rulesets=tuple(ruleset_info(r) for r in rulesets.values()),
        inputs=tuple(InputInfo(review.path, review.sha256) for review in reviews),
        findings=sort_findings(f for review in reviews for f in review.findings),
        runs=tuple(sorted((run for review in reviews for run in review.runs),
                          key=lambda r: (r.path, r.ruleset, r.rule_id))),
        rules=tuple([*(rule_info(rule, r, as_of) for r in rulesets.values() for rule in r.rules
                       if rule.target in CHECKED_KINDS),
                     *(assumption_info(a, r, as_of) for r in rulesets.values() for a in r.assumptions
                       if a.target in CHECKED_KINDS)]),
        as_of=as_of.isoformat(), kind="check")
    if waivers is not None:
        from compliance.waivers import apply_waivers
        ids = {review.path: review.document_id for review in reviews}
        marked, notices = apply_waivers(report.findings, waivers, as_of=as_of, document_ids=ids,
                                        rule_topics={r.rule_id: r.topic for r in report.rules})
        report = replace(report, findings=sort_findings(marked), notices=sort_findings(notices),
                         runs=_mark_waived_runs(report.runs, marked))
    if len(rulesets) > 1:
        from compliance.binding import binding_limits
        report = replace(report, extra={**report.extra,
                                        "binding_limits": binding_limits(list(rulesets.values()), as_of)})
    return report


def _mark_waived_runs(runs: Sequence[RuleRun], findings: Sequence[Finding]) -> tuple[RuleRun, ...]:
    from compliance.records import replace

    waived = {(f.path, f.ruleset, f.rule_id) for f in findings if f.waived}
    unwaived = {(f.path, f.ruleset, f.rule_id) for f in findings if not f.waived}
    return tuple(replace(run, waived=True) if (run.path, run.ruleset, run.rule_id) in waived
                 and (run.path, run.ruleset, run.rule_id) not in unwaived else run for run in runs)
