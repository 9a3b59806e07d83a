// Opens a search result: the file with the cursor on the line that matched, the result's span shaded with the
// editor's range highlight (the colour "Go to Symbol" uses), until the user moves on.
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { Connection } from "../connection.ts";

export class ResultOpener implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("editor.rangeHighlightBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.rangeHighlightForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  private clear: vscode.Disposable | undefined;

  constructor(private readonly connection: Connection) {}

  /** `side`: in the editor group beside the active one (Alt+Enter, the "Open to the Side" button). */
  async open(r: SearchResult, side = false): Promise<void> {
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
    const clamp = (line: number) => Math.min(Math.max(0, line - 1), last);
    const start = clamp(r.start_line);
    const end = Math.max(start, clamp(r.end_line));
    const at = clamp(r.match_line || r.start_line);
    const col = matchColumn(doc.lineAt(at).text);
    const span = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
    const editor = await vscode.window.showTextDocument(doc, {
      selection: new vscode.Range(at, col, at, col),
      preview: !side,
      ...(side ? { viewColumn: vscode.ViewColumn.Beside } : {}),
    });
    editor.revealRange(new vscode.Range(at, 0, at, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(this.decoration, [span]);
    this.clear?.dispose();
    // The shading goes when the user moves on (a click, typing, another selection).
    this.clear = vscode.window.onDidChangeTextEditorSelection((e) => {
      if (e.textEditor === editor && e.kind !== undefined && e.kind !== vscode.TextEditorSelectionChangeKind.Command) {
        editor.setDecorations(this.decoration, []);
      }
    });
  }

  dispose(): void {
    this.clear?.dispose();
    this.decoration.dispose();
  }
}

/** The cursor goes to the line's first non-blank character, as "Go to Line" leaves it after a Home. */
function matchColumn(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index : 0;
}
