"""The pygls wiring of ``compliance lsp``: each LSP request handed to its feature module, with the
analysis of the open text (re-made on every change) and diagnostics published as the user types."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from compliance import __version__
from compliance.lsp import completion, edits, hover, lenses, navigation
from compliance.lsp.analysis import Analysis, analyse


class RulesServer(LanguageServer):
    """The server, with each open document's latest analysis and last run of its tests."""

    def __init__(self) -> None:
        super().__init__("compliance", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}    # the latest analysis whose text parsed
        self.test_runs: dict[str, dict[str, bool]] = {}

    def refresh(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        analysis = analyse(document.source, uri)
        self.analyses[uri] = analysis
        self.test_runs.pop(uri, None)
        if analysis.parsed is not None:
            self.parsed[uri] = analysis
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=edits.diagnostics(analysis)))
        return analysis

    def current(self, uri: str) -> Analysis:
        analysis = self.analyses.get(uri)
        return analysis if analysis is not None else self.refresh(uri)

    def readable(self, uri: str) -> Analysis:
        """The analysis to read names from: while the text does not parse (mid-word), the last
        one that did, over the current text."""
        analysis = self.current(uri)
        previous = self.parsed.get(uri)
        if analysis.parsed is None and previous is not None:
            return replace(analysis, parsed=previous.parsed, parents=previous.parents)
        return analysis


def build_server() -> RulesServer:
    server = RulesServer()
    _register(server)
    return server


def _register(server: RulesServer) -> None:  # noqa: C901 - one small handler per LSP method
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RulesServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RulesServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RulesServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)   # a file it extends may have changed on disk

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RulesServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        for table in (ls.analyses, ls.parsed, ls.test_runs):
            table.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: RulesServer, params: types.HoverParams) -> types.Hover | None:
        analysis = ls.readable(params.text_document.uri)
        position = params.position
        return hover.hover(analysis, position.line, analysis.source.character(position))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[".", " "]))
    def on_completion(ls: RulesServer, params: types.CompletionParams) -> types.CompletionList:
        analysis = ls.readable(params.text_document.uri)
        position = params.position
        items = completion.complete(analysis, position.line, analysis.source.character(position))
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: RulesServer, params: types.DefinitionParams) -> list[types.Location]:
        analysis = ls.readable(params.text_document.uri)
        position = params.position
        return navigation.definition(analysis, position.line, analysis.source.character(position))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: RulesServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        return navigation.symbols(ls.current(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: RulesServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        analysis = ls.current(params.text_document.uri)
        result = edits.formatting(analysis)
        if result is None:
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning,
                message=f"Not formatted: the file has {len(analysis.diagnostics)} error(s)"))
        return result

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def on_code_action(ls: RulesServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        return edits.quick_fixes(ls.current(uri), uri, list(params.context.diagnostics))

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def on_code_lens(ls: RulesServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        return lenses.code_lenses(ls.current(uri), ls.test_runs.get(uri))

    @server.command(lenses.RUN_TESTS)
    def on_run_tests(ls: RulesServer, *arguments: Any) -> dict[str, Any]:
        uri = str(arguments[0]) if arguments else ""
        name = str(arguments[1]) if len(arguments) > 1 else None
        outcome = lenses.run_tests(ls.current(uri), name)
        ls.test_runs.setdefault(uri, {}).update(outcome.results)
        failed = outcome.failed or outcome.problems
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Info,
                                                     message="\n".join([outcome.report, *outcome.problems])))
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error if failed else types.MessageType.Info,
            message=outcome.report.strip().splitlines()[-1]))
        return outcome.as_json()
