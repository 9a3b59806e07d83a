// Callers and importers: lexical candidates for a name, kept only where the text really calls or imports it.
import type { SearchFilter } from "../store/types.ts";
import type { SearchResult } from "../search/types.ts";
import type { McpContext } from "./context.ts";

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The last name of a dotted path: `Session.request` -> `request`, `requests.sessions` -> `sessions`. */
function leaf(name: string): string {
  const parts = name.trim().split(/[.:/\\#]+/).filter(Boolean);
  return parts[parts.length - 1] ?? name.trim();
}

export async function searchMentions(ctx: McpContext, name: string, what: "callers" | "importers", limit: number, filter: SearchFilter, lane?: string): Promise<SearchResult[]> {
  const id = leaf(name);
  if (!/^[\w$]+$/.test(id)) throw new Error(`"${name}" is not a symbol or module name`);
  const pattern =
    what === "callers"
      ? new RegExp(`(?<![\\w$])${escape(id)}\\s*\\(`)
      : new RegExp(`^\\s*(?:import\\b.*\\b${escape(id)}\\b|from\\s+\\S*\\b${escape(id)}\\b.*\\bimport\\b|from\\s+\\S+\\s+import\\b.*\\b${escape(id)}\\b|.*\\brequire\\(\\s*['"][^'"]*\\b${escape(id)}\\b[^'"]*['"]\\s*\\)|use\\s+\\S*\\b${escape(id)}\\b|#include\\s*[<"][^>"]*\\b${escape(id)}\\b)`, "m");
  const res = await ctx.search.search(name, { limit: 200, filter, perFileCap: 50, snippetLines: 400 }, lane);
  const out: SearchResult[] = [];
  const perFile = new Map<string, number>();
  for (const r of res.results) {
    const code = r.snippet.split("\n").map((l) => l.replace(/^\s*\d+ \| /, ""));
    const hits = code.map((l, i) => (pattern.test(l) ? i : -1)).filter((i) => i >= 0);
    if (!hits.length) continue;
    // The definition itself is not a caller.
    if (what === "callers" && (r.symbol === id || r.symbol_path.endsWith(`.${id}`)) && hits.every((i) => /\b(def|function|func|fn)\b/.test(code[i]!))) continue;
    const n = perFile.get(r.path) ?? 0;
    if (n >= 3) continue;
    perFile.set(r.path, n + 1);
    const lines = r.snippet.split("\n");
    const first = Math.max(0, hits[0]! - 2);
    out.push({ ...r, snippet: lines.slice(first, first + 8).join("\n"), why: [...r.why, `${what === "callers" ? "calls" : "imports"} ${id}`] });
    if (out.length >= limit) break;
  }
  return out;
}
