"""``compliance lsp`` driven by a real LSP client over stdio, in a subprocess: initialize, open,
change, hover, completion, definition, formatting, code actions, the test lens, shutdown, exit."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as t  # noqa: E402
from lsp_texts import DEMO, cursor, line_of, mark  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from compliance.documents import models  # noqa: E402
from compliance.dsl.formatter import format_ruleset  # noqa: E402
from compliance.dsl.loader import builtin_dir  # noqa: E402
from compliance.lsp.source import path_to_uri  # noqa: E402

TIMEOUT = 15   # seconds for any one answer: a hung server fails the test instead of blocking it
T = TypeVar("T")


class Client(LanguageClient):
    """A client that keeps what the server publishes and shows."""

    def __init__(self) -> None:
        super().__init__("compliance-tests", "1")
        self.diagnostics: asyncio.Queue[t.PublishDiagnosticsParams] = asyncio.Queue()
        self.messages: list[t.ShowMessageParams] = []

        @self.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: t.PublishDiagnosticsParams) -> None:
            self.diagnostics.put_nowait(params)

        @self.feature(t.WINDOW_SHOW_MESSAGE)
        def shown(params: t.ShowMessageParams) -> None:
            self.messages.append(params)

        @self.feature(t.WINDOW_LOG_MESSAGE)
        def logged(params: t.LogMessageParams) -> None:
            pass

    async def next_diagnostics(self) -> t.PublishDiagnosticsParams:
        return await asyncio.wait_for(self.diagnostics.get(), TIMEOUT)


def run(scenario: Callable[[Client, str], Awaitable[T]], cwd: Path) -> T:
    """Start the server, initialize, run ``scenario``, shut down and exit; the server must end
    with exit code 0."""
    async def session() -> T:
        client = Client()
        await client.start_io(sys.executable, "-m", "compliance", "lsp", cwd=str(cwd))
        try:
            result = await asyncio.wait_for(client.initialize_async(t.InitializeParams(
                capabilities=t.ClientCapabilities(), root_uri=path_to_uri(cwd))), TIMEOUT)
            assert result.server_info is not None and result.server_info.name == "compliance"
            client.initialized(t.InitializedParams())
            value = await scenario(client, path_to_uri(cwd / "demo.rules"))
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
            server = client._server
            assert server is not None
            assert await asyncio.wait_for(server.wait(), TIMEOUT) == 0
            return value
        finally:
            if client._server is not None and client._server.returncode is None:
                client._server.kill()
                await client._server.wait()
    return asyncio.run(session())


def _open(client: Client, uri: str, text: str) -> None:
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        text_document=t.TextDocumentItem(uri=uri, language_id="rules", version=1, text=text)))


def _doc(uri: str) -> t.TextDocumentIdentifier:
    return t.TextDocumentIdentifier(uri=uri)


def _position(text: str) -> t.Position:
    _clean, line, character = cursor(text)
    return t.Position(line=line, character=character)


async def _ask(request: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(request, TIMEOUT)


def test_a_session_from_initialize_to_exit(tmp_path: Path) -> None:
    broken = DEMO.replace("client.category ==", "client.categry ==")
    typo_line = broken[:broken.index("categry")].count("\n")

    async def scenario(client: Client, uri: str) -> None:
        _open(client, uri, broken)
        opened = await client.next_diagnostics()
        messages = [(d.range.start.line, d.message) for d in opened.diagnostics]
        assert (typo_line, "unknown field 'client.categry' (did you mean 'category'?)") in messages
        start = opened.diagnostics[0].range.start
        assert (start.line, start.character) == (typo_line, broken.split("\n")[typo_line].index("client"))

        # Typing the fix: an incremental change replacing the misspelt word.
        column = broken.split("\n")[typo_line].index("categry")
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[t.TextDocumentContentChangePartial(
                range=t.Range(start=t.Position(line=typo_line, character=column),
                              end=t.Position(line=typo_line, character=column + len("categry"))),
                text="category")]))
        changed = await client.next_diagnostics()
        assert (changed.version, list(changed.diagnostics)) == (2, [])

        found = await _ask(client.text_document_hover_async(t.HoverParams(
            text_document=_doc(uri), position=_position(mark(DEMO, "client.category ==", 8)))))
        assert models.Client.fields()["category"].description in found.contents.value
        assert found.range.start == _position(mark(DEMO, "category ==", 0))

        completed = await _ask(client.text_document_completion_async(t.CompletionParams(
            text_document=_doc(uri), position=_position(mark(DEMO, "client.category ==", 7)))))
        assert [item.label for item in completed.items] == list(models.Client.fields())

        (location,) = (await _ask(client.text_document_definition_async(t.DefinitionParams(
            text_document=_doc(uri), position=_position(mark(DEMO, "to ESMA-LEV-1", 5))))))[:1]
        esma = builtin_dir() / "esma_like.rules"
        assert (location.uri, location.range.start.line) == (path_to_uri(esma), line_of(esma, "rule ESMA-LEV-1 "))

        edits = await _ask(client.text_document_formatting_async(t.DocumentFormattingParams(
            text_document=_doc(uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True))))
        assert list(edits) == []   # the text is already in the canonical layout

    run(scenario, tmp_path)


def test_formatting_quick_fixes_and_the_test_lens_over_the_wire(tmp_path: Path) -> None:
    messy = DEMO.replace("  topic leverage_cap", "     topic    leverage_cap")
    broken = DEMO.replace("topic leverage_cap", "topic leverage_cp")

    async def scenario(client: Client, uri: str) -> None:
        _open(client, uri, messy)
        assert list((await client.next_diagnostics()).diagnostics) == []
        (edit,) = await _ask(client.text_document_formatting_async(t.DocumentFormattingParams(
            text_document=_doc(uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True))))
        assert edit.new_text == format_ruleset(messy, "demo.rules")

        symbols = await _ask(client.text_document_document_symbol_async(t.DocumentSymbolParams(
            text_document=_doc(uri))))
        assert [s.name for s in symbols[0].children][:3] == ["close_out_level", "local_cap", "DEMO-LEV-1"]

        found = await _ask(client.text_document_code_lens_async(t.CodeLensParams(text_document=_doc(uri))))
        command = found[0].command
        assert command is not None and command.title == "Run all 2 tests"
        result = await _ask(client.workspace_execute_command_async(t.ExecuteCommandParams(
            command=command.command, arguments=command.arguments)))
        assert (result["passed"], result["failed"]) == (2, 0)
        assert client.messages and client.messages[-1].message == "2 passed, 0 failed"

        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=broken)]))
        problems = (await client.next_diagnostics()).diagnostics
        topic = next(p for p in problems if "leverage_cp" in p.message)
        actions = await _ask(client.text_document_code_action_async(t.CodeActionParams(
            text_document=_doc(uri), range=topic.range,
            context=t.CodeActionContext(diagnostics=[topic]))))
        (change,) = actions[0].edit.changes[uri]
        assert change.new_text == "leverage_cap"
        line = broken.split("\n")[change.range.start.line]
        assert line[change.range.start.character:change.range.end.character] == "leverage_cp"
        refused = await _ask(client.text_document_formatting_async(t.DocumentFormattingParams(
            text_document=_doc(uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True))))
        assert refused is None

    run(scenario, tmp_path)


def test_without_pygls_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from compliance.cli import main

    monkeypatch.delitem(sys.modules, "compliance.lsp.server", raising=False)
    for name in [name for name in sys.modules if name.split(".")[0] == "pygls"]:
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["lsp"]) == 2
    assert capsys.readouterr().err == ("compliance lsp: error: the language server needs pygls: "
                                       "pip install 'leverage-compliance[lsp]'\n")
