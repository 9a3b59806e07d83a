// Wiring only: each feature is a class with dispose(), registered in context.subscriptions. Nothing heavy runs
// before activation returns; the engine connects in the background.
import * as vscode from "vscode";
import { ClusterCommands } from "./cluster-commands.ts";
import { Commands } from "./commands.ts";
import { Connection } from "./connection.ts";
import { McpRegistration } from "./mcp.ts";
import { ResultHandoff } from "./search/handoff.ts";
import { ResultOpener } from "./search/open-result.ts";
import { SearchPanel } from "./search/panel.ts";
import { SearchQuickPick } from "./search/quick-pick.ts";
import { SECTION } from "./settings.ts";
import { StatusBar } from "./status.ts";
import { WalkthroughProgress } from "./walkthrough.ts";

/** Settings whose change needs a reconnect (the rest are read when used). */
const RECONNECT_ON = ["mode", "kubeconfig", "context", "namespace", "repoName", "urls", "local", "syncOnOpen", "sync.exclude"];

export function activate(context: vscode.ExtensionContext): { connection: Connection } {
  const log = vscode.window.createOutputChannel("Context Engine", { log: true });
  const connection = new Connection(context, log);
  const opener = new ResultOpener(connection);
  const panel = new SearchPanel(connection, opener, new ResultHandoff(connection), log);
  const quickPick = new SearchQuickPick(connection, opener);
  context.subscriptions.push(
    log,
    connection,
    opener,
    panel,
    new StatusBar(connection),
    new McpRegistration(connection),
    new WalkthroughProgress(connection, context, log),
    new Commands(context, connection, log, panel, quickPick),
    new ClusterCommands(context, connection, log),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RECONNECT_ON.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) void connection.start();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void connection.start()),
  );
  log.info(`Context Engine ${context.extension.packageJSON.version as string} activated`);
  void connection.start();
  return { connection };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
