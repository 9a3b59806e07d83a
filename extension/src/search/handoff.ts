// Handing results on: to the editor's chat as attached context (the span of the file, so the agent reads the code as
// it is now), or to the clipboard as context an agent can read anywhere (path, line range, fenced code), or as
// path:line. Where the editor has no chat, "Add to chat" copies the context and says so.
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { Connection } from "../connection.ts";
import { contextBlock, pathLines } from "./result-text.ts";

/** VS Code's command that opens the chat view; its `attachFiles` takes a URI or a URI with a range. */
const CHAT_OPEN = "workbench.action.chat.open";

export class ResultHandoff {
  constructor(private readonly connection: Connection) {}

  async copyPaths(results: SearchResult[]): Promise<void> {
    await vscode.env.clipboard.writeText(pathLines(results));
    void vscode.window.setStatusBarMessage(`Context Engine: copied ${results.length === 1 ? pathLines(results) : `${results.length} locations`}`, 3000);
  }

  async copyAsContext(results: SearchResult[], why = ""): Promise<void> {
    const blocks: string[] = [];
    for (const r of results) blocks.push(contextBlock(r, await this.spanText(r)));
    await vscode.env.clipboard.writeText(blocks.join("\n\n") + "\n");
    const what = results.length === 1 ? `${results[0]!.path}:${results[0]!.start_line}-${results[0]!.end_line}` : `${results.length} results`;
    void vscode.window.showInformationMessage(`Context Engine: copied ${what} as context (path, lines and code)${why}. Paste it into your agent's prompt.`);
  }

  /** Attaches each span to the chat input; without a chat in this editor, copies them as context instead. */
  async addToChat(results: SearchResult[]): Promise<"chat" | "clipboard"> {
    const attach: { uri: vscode.Uri; range: ChatRange }[] = [];
    for (const r of results) {
      const uri = this.connection.resolveResult(r);
      if (uri) attach.push({ uri, range: chatRange(r) });
    }
    if (attach.length && (await vscode.commands.getCommands(true)).includes(CHAT_OPEN)) {
      try {
        await vscode.commands.executeCommand(CHAT_OPEN, { attachFiles: attach });
        return "chat";
      } catch {
        // No chat provider here (chat turned off, or not set up): the clipboard still carries the context.
      }
    }
    await this.copyAsContext(results, " because this editor has no chat to attach it to");
    return "clipboard";
  }

  /** The span's lines as the file has them now (the document if open, else the file on disk). */
  private async spanText(r: SearchResult): Promise<string> {
    const uri = this.connection.resolveResult(r);
    if (uri) {
      try {
        const doc = await vscode.workspace.openTextDocument(uri);
        const last = Math.min(doc.lineCount, r.end_line);
        return doc.getText(new vscode.Range(Math.max(0, r.start_line - 1), 0, last - 1, doc.lineAt(last - 1).text.length));
      } catch {
        // Gone from the workspace: the engine's snippet is what is left.
      }
    }
    return r.snippet.split("\n").filter((l) => !/^\s*⋯\s*$/.test(l)).map((l) => l.replace(/^\s*\d+ \| ?/, "")).join("\n");
  }
}

/** The chat's range shape (the editor's model range: 1-based lines and columns). */
interface ChatRange {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

function chatRange(r: SearchResult): ChatRange {
  return { startLineNumber: r.start_line, startColumn: 1, endLineNumber: r.end_line, endColumn: Number.MAX_SAFE_INTEGER };
}
