// Opens a search result: the file at its span, cursor on the first line, the whole span highlighted briefly.
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { Connection } from "../connection.ts";

export class ResultOpener implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("editor.findMatchHighlightBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.findMatchForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  private clear: vscode.Disposable | undefined;

  constructor(private readonly connection: Connection) {}

  async open(r: SearchResult): Promise<void> {
    const uri = this.connection.resolveResult(r);
    if (!uri) {
      void vscode.window.showWarningMessage(`Context Engine: ${r.path} is not in an open workspace folder (repo ${r.repo}).`);
      return;
    }
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(uri);
    } catch {
      void vscode.window.showWarningMessage(`Context Engine: ${r.path} no longer exists in the workspace; the index may be catching up.`);
      return;
    }
    const last = Math.max(0, doc.lineCount - 1);
    const start = Math.min(Math.max(0, r.start_line - 1), last);
    const end = Math.min(Math.max(start, r.end_line - 1), last);
    const range = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
    const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(start, 0, start, 0), preview: true });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(this.decoration, [range]);
    this.clear?.dispose();
    // The highlight goes when the user moves on (edits or another selection).
    this.clear = vscode.Disposable.from(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === editor && e.kind !== undefined && e.kind !== vscode.TextEditorSelectionChangeKind.Command) {
          editor.setDecorations(this.decoration, []);
        }
      }),
    );
  }

  dispose(): void {
    this.clear?.dispose();
    this.decoration.dispose();
  }
}
