// Fixed search results for the answer pipeline's tests: the injected `search` is the seam, not the feature.
import type { SearchResult } from "../../server/src/search/types.ts";
import type { SearchFilter } from "../../server/src/store/types.ts";

/** A result whose snippet is numbered like the search engine renders it ("  12 | code"). */
export function searchResult(path: string, start: number, end: number, symbol: string, score = 1): SearchResult {
  const lines: string[] = [];
  for (let n = start; n <= end; n++) lines.push(`${String(n).padStart(4)} | // ${path} line ${n}${symbol ? ` in ${symbol}` : ""}`);
  return {
    path,
    repo: "demo",
    start_line: start,
    end_line: end,
    symbol,
    symbol_path: symbol,
    symbol_kind: symbol ? "function" : "",
    language: path.endsWith(".md") ? "markdown" : "typescript",
    kind: path.endsWith(".md") ? "doc" : "code",
    score,
    why: ["lexical #1"],
    components: { rrf: score },
    snippet: lines.join("\n"),
    match_line: start,
    match_lines: [],
  };
}

/** A search over fixed results that records each call; `byQuery` answers specific queries differently. */
export function fixedSearch(results: SearchResult[], byQuery: Record<string, SearchResult[]> = {}) {
  const calls: { query: string; limit: number; filter: SearchFilter; snippetLines?: number }[] = [];
  const search = async (query: string, opts: { limit: number; filter: SearchFilter; snippetLines?: number }) => {
    calls.push({ query, ...opts });
    return { results: (byQuery[query] ?? results).slice(0, opts.limit) };
  };
  return { search, calls };
}
