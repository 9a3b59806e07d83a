// The walkthrough's steps complete when their action happens: the engine runs in some mode, the first index is done,
// a search found something, an agent started the MCP server.
//
// VS Code registers an extension's walkthrough some seconds after startup (it waits up to 5 s for an experiment
// service), and a completion event that happened before (a context key already true, a command already run) never
// completes a step in that session; local mode indexes a small folder before that. So a step is marked complete
// directly (the workbench's own "welcome.markStepComplete", which records it even before registration), and its
// context key is set as well for the manifest's `onContext` completion events.
import * as vscode from "vscode";
import type { ConnectionState } from "./backend.ts";
import type { Connection } from "./connection.ts";

export type WalkthroughStep = "running" | "indexed" | "searched" | "agentConnected";

/** The manifest's walkthrough step each of our steps completes. */
const STEP_IDS: Record<WalkthroughStep, string> = { running: "mode", indexed: "index", searched: "search", agentConnected: "agents" };
const WALKTHROUGH_ID = "contextEngine.gettingStarted";

const done = new Set<WalkthroughStep>();
let extensionId = "";
let log: vscode.LogOutputChannel | undefined;

/** Marks a step done (once per session: the walkthrough remembers completed steps itself). */
export function markStep(step: WalkthroughStep): void {
  if (done.has(step)) return;
  done.add(step);
  void vscode.commands.executeCommand("setContext", `contextEngine.walkthrough.${step}`, true);
  if (!extensionId) return;
  const id = `${extensionId}#${WALKTHROUGH_ID}#${STEP_IDS[step]}`;
  // Not registered yet: VS Code has recorded the step and says so by throwing; an editor without the command has the
  // context key.
  vscode.commands.executeCommand("welcome.markStepComplete", id).then(
    () => log?.debug(`walkthrough step done: ${id}`),
    (e: Error) => log?.debug(`walkthrough step ${id}: ${e.message}`),
  );
}

export class WalkthroughProgress implements vscode.Disposable {
  private readonly sub: vscode.Disposable;

  constructor(connection: Connection, context: vscode.ExtensionContext, channel: vscode.LogOutputChannel) {
    extensionId = context.extension.id;
    log = channel;
    this.sub = connection.onDidChange((s) => this.update(s));
    this.update(connection.current);
  }

  private update(s: ConnectionState): void {
    if (s.phase === "ready" || s.phase === "indexing" || s.phase === "syncing") markStep("running");
    const indexing = s.index?.status === "indexing" || s.index?.status === "scanning";
    if (s.phase === "ready" && s.index && !indexing) markStep("indexed");
  }

  dispose(): void {
    this.sub.dispose();
  }
}
