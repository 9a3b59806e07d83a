// The search panel: a webview view in the Context Engine view container, talking to the engine through the connection.
// Results are opened, handed to chat or copied from here (buttons, keys, and the webview's context menu).
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { ConnectionState } from "../backend.ts";
import type { Connection } from "../connection.ts";
import { McpToolError } from "../engine/indexer-client.ts";
import { markStep } from "../walkthrough.ts";
import type { ResultHandoff } from "./handoff.ts";
import { makeNonce, searchPanelHtml } from "./html.ts";
import type { ResultOpener } from "./open-result.ts";

export const SEARCH_VIEW_ID = "contextEngine.search";

/** Snippet lines the panel asks for: the matched lines and their neighbours, a glance, not the function. */
const PANEL_SNIPPET_LINES = 7;

export type ResultAction = "chat" | "copyContext" | "copyPath" | "open" | "openSide";

type Inbound =
  | { type: "ready" }
  | { type: "search"; query: string; language?: string; under?: string; repo?: string }
  | { type: "open"; index: number; side?: boolean }
  | { type: "action"; action: ResultAction; indices: number[] }
  | { type: "selection"; indices: number[] }
  | { type: "command"; id: string };

/** The only commands the webview may ask for. */
const PANEL_COMMANDS = new Set(["contextEngine.showStatus", "contextEngine.showLogs", "contextEngine.reconnect"]);

/** Commands of the results' context menu (webview/context): each gets `{ index }` from the result's data-vscode-context. */
export const RESULT_COMMANDS: Record<string, ResultAction> = {
  "contextEngine.result.open": "open",
  "contextEngine.result.openToSide": "openSide",
  "contextEngine.result.addToChat": "chat",
  "contextEngine.result.copyAsContext": "copyContext",
  "contextEngine.result.copyPath": "copyPath",
};

export function connectionBanner(s: ConnectionState): { phase: string; text: string } {
  switch (s.phase) {
    case "ready":
      return { phase: "ready", text: "" };
    case "error":
      return { phase: "error", text: `${s.error ?? s.detail} (Context Engine: Show Status for actions)` };
    case "stopped":
      return { phase: "stopped", text: s.detail };
    default:
      return {
        phase: s.phase,
        text: s.index?.searchable
          ? `${s.detail}. Every file can be searched; results sharpen as symbols land.`
          : `${s.detail}. Results may be incomplete until indexing finishes.`,
      };
  }
}

export class SearchPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private results: SearchResult[] = [];
  private selection: number[] = [];
  private inflight: AbortController | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly opener: ResultOpener,
    private readonly handoff: ResultHandoff,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(SEARCH_VIEW_ID, this, { webviewOptions: { retainContextWhenHidden: true } }),
      connection.onDidChange((s) => this.post({ type: "connection", ...connectionBanner(s) })),
      ...Object.entries(RESULT_COMMANDS).map(([id, action]) =>
        vscode.commands.registerCommand(id, (ctx?: { index?: unknown }) => (typeof ctx?.index === "number" ? this.act(action, this.targets(ctx.index)) : undefined)),
      ),
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

  /** The results an action on result `index` applies to: the selection when it holds that result, else it alone. */
  private targets(index: number): number[] {
    return this.selection.length > 1 && this.selection.includes(index) ? this.selection : [index];
  }

  private async act(action: ResultAction, indices: number[]): Promise<void> {
    const picked = indices.map((i) => this.results[i]).filter((r): r is SearchResult => !!r);
    if (!picked.length) return;
    try {
      if (action === "open" || action === "openSide") await this.opener.open(picked[0]!, action === "openSide");
      else if (action === "chat") await this.handoff.addToChat(picked);
      else if (action === "copyContext") await this.handoff.copyAsContext(picked);
      else await this.handoff.copyPaths(picked);
    } catch (e) {
      void vscode.window.showErrorMessage(`Context Engine: ${(e as Error).message}`);
    }
  }

  private async onMessage(m: Inbound): Promise<void> {
    switch (m.type) {
      case "ready":
        this.post({ type: "connection", ...connectionBanner(this.connection.current) });
        return;
      case "command":
        if (PANEL_COMMANDS.has(m.id)) await vscode.commands.executeCommand(m.id);
        return;
      case "open":
        return this.act(m.side ? "openSide" : "open", [m.index]);
      case "action":
        return this.act(m.action, m.indices);
      case "selection":
        this.selection = m.indices;
        return;
      case "search":
        return this.search(m);
    }
  }

  private async search(m: Extract<Inbound, { type: "search" }>): Promise<void> {
    this.inflight?.abort();
    const ac = new AbortController();
    this.inflight = ac;
    const started = Date.now();
    try {
      const page = await this.connection.search(m.query, { language: m.language, under: m.under, repo: m.repo, snippetLines: PANEL_SNIPPET_LINES }, ac.signal);
      if (ac.signal.aborted) return;
      this.results = page.results;
      this.selection = [];
      if (page.results.length) markStep("searched");
      // Tabs are shown as wide as the editor shows them for that language.
      const tabSizes = page.results.map((r) => vscode.workspace.getConfiguration("editor", { languageId: r.language }).get<number>("tabSize") ?? 4);
      this.post({ type: "results", query: m.query, results: page.results, terms: page.terms, note: page.note, tabSizes, tookMs: Date.now() - started });
    } catch (e) {
      if (ac.signal.aborted) return;
      const message = (e as Error).message;
      this.log.warn(`search "${m.query}": ${message}`);
      this.results = [];
      this.post({ type: "error", message: e instanceof McpToolError ? `The engine could not search: ${message}` : message });
    }
  }

  dispose(): void {
    this.inflight?.abort();
    for (const d of this.disposables) d.dispose();
  }
}
