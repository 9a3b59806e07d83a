// The search panel: a webview view in the Context Engine view container, talking to the engine through the connection.
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { ConnectionState } from "../backend.ts";
import type { Connection } from "../connection.ts";
import { McpToolError } from "../engine/indexer-client.ts";
import { makeNonce, searchPanelHtml } from "./html.ts";
import type { ResultOpener } from "./open-result.ts";

export const SEARCH_VIEW_ID = "contextEngine.search";

type Inbound =
  | { type: "ready" }
  | { type: "search"; query: string; language?: string; under?: string; repo?: string }
  | { type: "open"; index: number }
  | { type: "command"; id: string };

/** The only commands the webview may ask for. */
const PANEL_COMMANDS = new Set(["contextEngine.showStatus", "contextEngine.showLogs", "contextEngine.reconnect"]);

export function connectionBanner(s: ConnectionState): { phase: string; text: string } {
  switch (s.phase) {
    case "ready":
      return { phase: "ready", text: "" };
    case "error":
      return { phase: "error", text: `${s.error ?? s.detail} (Context Engine: Show Status for actions)` };
    case "stopped":
      return { phase: "stopped", text: s.detail };
    default:
      return { phase: s.phase, text: `${s.detail}. Results may be incomplete until indexing finishes.` };
  }
}

export class SearchPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private results: SearchResult[] = [];
  private inflight: AbortController | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly opener: ResultOpener,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(SEARCH_VIEW_ID, this, { webviewOptions: { retainContextWhenHidden: true } }),
      connection.onDidChange((s) => this.post({ type: "connection", ...connectionBanner(s) })),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [] };
    view.webview.html = searchPanelHtml(makeNonce(), view.webview.cspSource);
    view.webview.onDidReceiveMessage((m: Inbound) => void this.onMessage(m), undefined, this.disposables);
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  private post(m: unknown): void {
    void this.view?.webview.postMessage(m);
  }

  /** Focus the panel's query box (and optionally run a query). */
  async reveal(query?: string): Promise<void> {
    await vscode.commands.executeCommand(`${SEARCH_VIEW_ID}.focus`);
    this.post(query ? { type: "setQuery", query } : { type: "focus" });
  }

  private async onMessage(m: Inbound): Promise<void> {
    if (m.type === "ready") {
      this.post({ type: "connection", ...connectionBanner(this.connection.current) });
      return;
    }
    if (m.type === "command") {
      if (PANEL_COMMANDS.has(m.id)) await vscode.commands.executeCommand(m.id);
      return;
    }
    if (m.type === "open") {
      const r = this.results[m.index];
      if (r) await this.opener.open(r);
      return;
    }
    if (m.type === "search") {
      this.inflight?.abort();
      const ac = new AbortController();
      this.inflight = ac;
      const started = Date.now();
      try {
        const results = await this.connection.search(m.query, { language: m.language, under: m.under, repo: m.repo }, ac.signal);
        if (ac.signal.aborted) return;
        this.results = results;
        this.post({ type: "results", query: m.query, results, tookMs: Date.now() - started });
      } catch (e) {
        if (ac.signal.aborted) return;
        const message = (e as Error).message;
        this.log.warn(`search "${m.query}": ${message}`);
        this.post({ type: "error", message: e instanceof McpToolError ? `The engine could not search: ${message}` : message });
      }
    }
  }

  dispose(): void {
    this.inflight?.abort();
    for (const d of this.disposables) d.dispose();
  }
}
