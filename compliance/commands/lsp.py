"""``compliance lsp``: the language server for ``.rules`` files, speaking LSP on standard input and
output (docs/editors.md). pygls is an optional dependency: ``pip install 'leverage-compliance[lsp]'``.
"""
from __future__ import annotations

import argparse

from compliance.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Editors' clients pass --stdio when told to use standard input and output, the only transport.
    parser.add_argument("--stdio", action="store_true", help="talk on standard input and output (the default)")


def run(args: argparse.Namespace) -> int:
    try:
        from compliance.lsp.server import build_server
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise InputError.at("compliance lsp", None, None, "the language server needs pygls: "
                            "pip install 'leverage-compliance[lsp]'") from None
    build_server().start_io()
    return 0
