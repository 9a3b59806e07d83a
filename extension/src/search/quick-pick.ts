// "Context Engine: Search Code": the same search in a quick pick, results as you type. Each item: the symbol's icon,
// its name, path:line, and the line that matched.
import * as vscode from "vscode";
import type { SearchResult } from "../../../server/src/search/types.ts";
import type { Connection } from "../connection.ts";
import { markStep } from "../walkthrough.ts";
import type { ResultOpener } from "./open-result.ts";
import { detailLine, resultIcon } from "./result-text.ts";

interface ResultItem extends vscode.QuickPickItem {
  result?: SearchResult;
}

export class SearchQuickPick {
  constructor(
    private readonly connection: Connection,
    private readonly opener: ResultOpener,
  ) {}

  async show(initial = ""): Promise<void> {
    const qp = vscode.window.createQuickPick<ResultItem>();
    qp.title = "Context Engine: Search Code";
    qp.placeholder = "Describe what you are looking for, or type an identifier";
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.value = initial;
    let timer: NodeJS.Timeout | undefined;
    let inflight: AbortController | undefined;
    const run = async (q: string) => {
      inflight?.abort();
      if (!q.trim()) {
        qp.items = [];
        qp.busy = false;
        return;
      }
      const ac = new AbortController();
      inflight = ac;
      qp.busy = true;
      try {
        const { results, note } = await this.connection.search(q, {}, ac.signal);
        if (ac.signal.aborted) return;
        if (results.length) markStep("searched");
        qp.items = results.length
          ? results.map((r) => ({
              label: `$(${resultIcon(r)}) ${r.symbol_path || r.symbol || r.path.split("/").pop()}`,
              description: `${r.path}:${r.match_line || r.start_line}`,
              detail: detailLine(r),
              alwaysShow: true,
              result: r,
            }))
          : [{ label: "No results", detail: note ?? "Try other words, an identifier, or the search panel's filters.", alwaysShow: true }];
      } catch (e) {
        if (!ac.signal.aborted) qp.items = [{ label: "$(error) Search failed", detail: (e as Error).message, alwaysShow: true }];
      } finally {
        if (inflight === ac) qp.busy = false;
      }
    };
    qp.onDidChangeValue((v) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(v), 300);
    });
    qp.onDidAccept(async () => {
      const item = qp.selectedItems[0];
      if (!item?.result) return;
      qp.hide();
      await this.opener.open(item.result);
    });
    qp.onDidHide(() => {
      inflight?.abort();
      if (timer) clearTimeout(timer);
      qp.dispose();
    });
    qp.show();
    if (initial) void run(initial);
  }
}
