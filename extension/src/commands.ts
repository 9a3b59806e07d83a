// The everyday commands: status, logs, sync, search, mode switches, token, reconnect.
import * as vscode from "vscode";
import { CLUSTER_CHOSEN, type Connection } from "./connection.ts";
import type { SearchPanel } from "./search/panel.ts";
import type { SearchQuickPick } from "./search/quick-pick.ts";
import { SECTION, TOKEN_SECRET } from "./settings.ts";
import { statusText } from "./status.ts";

interface ActionItem extends vscode.QuickPickItem {
  command?: string;
}

export class Commands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly connection: Connection,
    private readonly log: vscode.LogOutputChannel,
    panel: SearchPanel,
    quickPick: SearchQuickPick,
  ) {
    const reg = (id: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, fn);
    this.disposables = [
      reg("contextEngine.showStatus", () => this.showStatus()),
      reg("contextEngine.showLogs", () => this.showLogs()),
      reg("contextEngine.syncNow", () => this.syncNow()),
      reg("contextEngine.search", (q?: unknown) => quickPick.show(typeof q === "string" ? q : "")),
      reg("contextEngine.focusSearch", (q?: unknown) => panel.reveal(typeof q === "string" ? q : undefined)),
      reg("contextEngine.searchSelection", () => this.searchSelection(panel)),
      reg("contextEngine.openSettings", () => vscode.commands.executeCommand("workbench.action.openSettings", `@ext:${ctx.extension.id}`)),
      reg("contextEngine.useLocalMode", () => this.switchMode("local")),
      reg("contextEngine.useCluster", () => this.switchMode("cluster")),
      reg("contextEngine.setToken", () => this.setToken()),
      reg("contextEngine.reconnect", () => this.connection.start()),
    ];
  }

  /** The editor's selection (or the word at the cursor) searched in the panel. */
  private async searchSelection(panel: SearchPanel): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return panel.reveal();
    const sel = editor.selection;
    const range = sel.isEmpty ? editor.document.getWordRangeAtPosition(sel.active) : sel;
    const text = range ? editor.document.getText(range).trim().slice(0, 2000) : "";
    await panel.reveal(text || undefined);
  }

  private async showStatus(): Promise<void> {
    const s = this.connection.current;
    const { tooltip } = statusText(s);
    const info: ActionItem[] = tooltip
      .split("\n")
      .slice(0, -1)
      .map((line, i) => ({ label: i === 0 ? `$(info) ${line}` : `$(blank) ${line}` }));
    const actions: ActionItem[] = [
      { label: "$(search) Search Code", command: "contextEngine.search" },
      ...(s.mode === "cluster" ? [{ label: "$(sync) Sync Workspace Now", command: "contextEngine.syncNow" }] : []),
      { label: "$(refresh) Reconnect", command: "contextEngine.reconnect" },
      { label: "$(output) Show Logs", command: "contextEngine.showLogs" },
      s.mode === "cluster" ? { label: "$(device-desktop) Use Local Mode", command: "contextEngine.useLocalMode" } : { label: "$(cloud) Use Cluster", command: "contextEngine.useCluster" },
      { label: "$(cloud-upload) Deploy Context Engine", command: "contextEngine.deploy" },
    ];
    const pick = await vscode.window.showQuickPick<ActionItem>(
      [...info, { label: "Actions", kind: vscode.QuickPickItemKind.Separator }, ...actions],
      { title: `Context Engine status: ${s.mode} mode, ${s.phase}`, placeHolder: "Pick an action" },
    );
    if (pick?.command) await vscode.commands.executeCommand(pick.command);
  }

  /** The log, ending with where things stand now (the first thing a person looks for). */
  private showLogs(): void {
    const s = this.connection.current;
    this.log.info(`status: ${s.mode} mode, ${s.phase}: ${s.detail}${s.indexer ? ` (MCP ${s.indexer.url})` : ""}`);
    this.log.show(true);
  }

  private async syncNow(): Promise<void> {
    try {
      await this.connection.syncNow();
      const ls = this.connection.current.lastSync;
      void vscode.window.showInformationMessage(`Context Engine: workspace synced (${ls?.uploaded ?? 0} file(s) sent, ${ls?.deleted ?? 0} deleted).`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Context Engine: ${(e as Error).message}`);
    }
  }

  private async switchMode(mode: "local" | "cluster"): Promise<void> {
    if (mode === "cluster") await this.ctx.globalState.update(CLUSTER_CHOSEN, true);
    const config = vscode.workspace.getConfiguration(SECTION);
    // The configuration listener restarts the connection when the value changes; same value: restart here.
    if (config.get("mode") === mode) await this.connection.start();
    else await config.update("mode", mode, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(mode === "local" ? "Context Engine: local mode (the engine runs on this machine)." : "Context Engine: cluster mode.");
  }

  private async setToken(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: "Context Engine access token",
      prompt: "The cluster's CONTEXT_ENGINE_TOKEN (sent as a bearer token to the MCP servers and the uploader). Empty removes it.",
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim()) await this.ctx.secrets.store(TOKEN_SECRET, value.trim());
    else await this.ctx.secrets.delete(TOKEN_SECRET);
    void vscode.window.showInformationMessage(value.trim() ? "Context Engine: token saved in the secret storage." : "Context Engine: token removed.");
    if (this.connection.current.mode === "cluster") await this.connection.start();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
