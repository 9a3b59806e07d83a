// Search results as text for an agent or a terminal: grouped by file (a file's header once, its hits below in rank
// order, each numbered by its overall rank), so repeats of a path or of a stretch of code cost no tokens.
import type { SearchResult } from "./types.ts";

export interface RenderOptions {
  tookMs?: number;
  /** Why nothing came back ("No good match for ..."), shown instead of the generic empty message. */
  note?: string;
  /** Snippet lines shown per hit (default: all the snippet holds). */
  snippetLines?: number;
  /** Show each hit's reasons (a terminal user reads them; an agent rarely needs them). */
  why?: boolean;
}

export const NO_RESULTS = "No results. Try other words, fewer filters, or check qdrant_status that the repo is indexed.";

export function renderGrouped(results: SearchResult[], o: RenderOptions = {}): string {
  if (!results.length) return o.note ?? NO_RESULTS;
  const files = new Map<string, { path: string; repo: string; hits: { rank: number; r: SearchResult }[] }>();
  results.forEach((r, i) => {
    const key = `${r.repo}\u0000${r.path}`;
    const f = files.get(key) ?? files.set(key, { path: r.path, repo: r.repo, hits: [] }).get(key)!;
    f.hits.push({ rank: i + 1, r });
  });
  const repos = new Set(results.map((r) => r.repo));
  const out: string[] = [];
  for (const f of files.values()) {
    const n = f.hits.length;
    out.push(`${f.path}${repos.size > 1 ? ` [${f.repo}]` : ""} (${n} result${n === 1 ? "" : "s"})`);
    for (const { rank, r } of f.hits) {
      const sym = r.symbol_path || r.symbol;
      const at = r.match_line > r.start_line ? `, match at ${r.match_line}` : "";
      out.push(`  [${rank}] ${r.start_line}-${r.end_line}${sym ? ` ${sym}` : ""} (score ${r.score}${at})`);
      if (o.why && r.why.length) out.push(`      why: ${r.why.join("; ")}`);
      const lines = r.snippet.split("\n");
      const shown = o.snippetLines === undefined ? lines : lines.slice(0, o.snippetLines);
      out.push(...shown.map((l) => `    ${l}`));
      if (shown.length < lines.length) out.push("    …");
    }
    out.push("");
  }
  const summary = `${results.length} result${results.length === 1 ? "" : "s"} in ${files.size} file${files.size === 1 ? "" : "s"}`;
  return out.join("\n") + (o.tookMs !== undefined ? `${summary}, ${o.tookMs} ms` : summary);
}
