"""``compliance disclose CONTRACT``: the risk-disclosure statement computed from a contract.

The language is ``--lang``, else the contract's own ``language`` (``zh``, ``zh-CN`` ... give
Chinese), else English. The statement is rendered completely before anything is written, so a
contract that lacks a number the statement needs (exit 2, every missing key named at its place in
the file) leaves ``--output`` untouched.
"""
from __future__ import annotations

import argparse

LANGUAGES = ("en", "zh")
FORMATS = ("text", "markdown", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", metavar="CONTRACT", help="the contract file")
    parser.add_argument("--lang", choices=LANGUAGES,
                        help="language of the statement (default: the contract's language, else en)")
    parser.add_argument("--format", default="text", choices=FORMATS,
                        help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the statement to FILE (atomically)")
    parser.add_argument("--template", metavar="FILE",
                        help="render with your own Jinja2 template (runs sandboxed)")


def language_for(contract_language: str | None, requested: str | None) -> str:
    if requested:
        return requested
    if contract_language and contract_language.split("-")[0].lower() in LANGUAGES:
        return contract_language.split("-")[0].lower()
    return "en"


def run(args: argparse.Namespace) -> int:
    from compliance.disclosure import (
        build_disclosure, render_disclosure, render_disclosure_with_template,
    )
    from compliance.documents.contract import load_contract
    from compliance.report.output import emit

    disclosure = build_disclosure(load_contract(args.contract))
    lang = language_for(disclosure.language, args.lang)
    if args.template:
        content = render_disclosure_with_template(disclosure, args.template, lang, args.format)
    else:
        content = render_disclosure(disclosure, lang, args.format)
    emit(content, args.output)
    return 0
