// The VS Code client of the compliance language server: starts `compliance lsp` on standard input
// and output for every .rules file. Plain JavaScript, so that nothing needs compiling to read or
// run it; `npm install` brings vscode-languageclient when the extension is packaged.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("compliance");
  return {
    command: config.get("server.command", "compliance"),
    args: config.get("server.args", ["lsp"]),
  };
}

async function activate(context) {
  client = new LanguageClient("compliance", "Compliance rules", serverOptions(), {
    documentSelector: [
      { scheme: "file", language: "rules" },
      { scheme: "untitled", language: "rules" },
    ],
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("compliance.server")) {
        await client.stop();
        client = new LanguageClient("compliance", "Compliance rules", serverOptions(), client.clientOptions);
        await client.start();
      }
    }),
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
