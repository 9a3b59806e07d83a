// The status bar item: mode, connection and index state at a glance; a click shows the full status.
import * as vscode from "vscode";
import type { ConnectionState } from "./backend.ts";
import type { Connection } from "./connection.ts";

export function statusText(s: ConnectionState): { text: string; tooltip: string; error: boolean } {
  const where = s.mode === "local" ? "local" : "cluster";
  const idx = s.index;
  // The words alone say the state (icons are not read out, and tests read the text).
  const name = `Context Engine (${where})`;
  let text: string;
  switch (s.phase) {
    case "starting":
      text = `$(loading~spin) ${name}: starting`;
      break;
    case "syncing":
      text = `$(sync~spin) ${name}: syncing`;
      break;
    case "indexing":
      text = idx?.searchable
        ? `$(search) ${name}: searchable, adding symbols ${idx.done}/${idx.total}`
        : `$(loading~spin) ${name}: indexing${idx?.total ? ` ${idx.done}/${idx.total}` : ""}`;
      break;
    case "ready":
      text =
        idx && (idx.status === "indexing" || idx.status === "scanning")
          ? `$(loading~spin) ${name}: indexing${idx.total ? ` ${idx.done}/${idx.total}` : ""}`
          : `$(search) ${name}${s.lexicalOnly ? " · lexical" : ""}`;
      break;
    case "error":
      text = `$(error) ${name}: error`;
      break;
    default:
      text = `$(circle-slash) ${name}: stopped`;
  }
  const lines = [`Context Engine — ${where} mode, ${s.phase}`, s.detail];
  if (idx) lines.push(`Index: ${idx.status}${idx.total ? `, ${idx.done}/${idx.total} files` : ""}${idx.points !== undefined ? `, ${idx.points} points` : ""}`);
  if (s.lastSync) lines.push(`Last sync: ${s.lastSync.at} (${s.lastSync.uploaded} sent, ${s.lastSync.deleted} deleted)`);
  if (s.lexicalOnly) lines.push(`Lexical-only: ${s.lexicalOnly}`);
  if (s.runtime) lines.push(`Runtime: ${s.runtime}`);
  if (s.store) lines.push(`Store: ${s.store}`);
  if (s.indexer) lines.push(`MCP: ${s.indexer.url}`);
  lines.push("Click for status and actions");
  return { text, tooltip: lines.filter(Boolean).join("\n"), error: s.phase === "error" };
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly sub: vscode.Disposable;

  constructor(connection: Connection) {
    this.item = vscode.window.createStatusBarItem("contextEngine.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Context Engine";
    this.item.command = "contextEngine.showStatus";
    this.render(connection.current);
    this.sub = connection.onDidChange((s) => this.render(s));
    this.item.show();
  }

  private render(s: ConnectionState): void {
    const { text, tooltip, error } = statusText(s);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
