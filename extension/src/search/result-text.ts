// How a result reads as text outside the panel: its icon and one-line detail in the quick pick, path:line, and the
// context block an agent gets (path, line range, fenced code). No editor API here, so the unit tests run it.
import type { SearchResult } from "../../../server/src/search/types.ts";
import { parseSnippet } from "./snippet-view.ts";

/** A span longer than this is copied cut short: a whole 2,000-line file is no longer "context". */
const MAX_COPY_LINES = 400;

/** Codicons by symbol kind (the ones the editor's outline uses), then by kind of file. */
const SYMBOL_ICONS: Record<string, string> = {
  function: "symbol-function", method: "symbol-method", constructor: "symbol-constructor", class: "symbol-class",
  interface: "symbol-interface", struct: "symbol-struct", enum: "symbol-enum", trait: "symbol-interface", impl: "symbol-class",
  record: "symbol-struct", module: "symbol-module", namespace: "symbol-namespace", type: "symbol-type-parameter",
  variable: "symbol-variable", constant: "symbol-constant", property: "symbol-property", field: "symbol-field",
  heading: "symbol-string", macro: "symbol-misc", object: "symbol-object",
};
const KIND_ICONS: Record<string, string> = { test: "beaker", doc: "book", config: "settings-gear", code: "file-code" };

export function resultIcon(r: Pick<SearchResult, "symbol_kind" | "kind" | "symbol">): string {
  return SYMBOL_ICONS[r.symbol_kind] ?? (r.symbol ? "symbol-misc" : (KIND_ICONS[r.kind] ?? "file"));
}

const COMMENT_ONLY = /^(?:\/\*\*?|\*\/?|\/\/+|#+|"""|'''|<!--|-->)\s*$/;

/** The line a result is about: the matched line if it says something, else the first line of code in the snippet. */
export function detailLine(r: Pick<SearchResult, "snippet" | "start_line" | "match_line">): string {
  const rows = parseSnippet(r.snippet, r.start_line).filter((row) => row.line !== null);
  const says = (t: string) => t.trim() && !COMMENT_ONLY.test(t.trim());
  const at = rows.find((row) => row.line === r.match_line && says(row.text)) ?? rows.find((row) => says(row.text));
  return (at?.text ?? "").trim().replace(/^(?:\/\*\*?|\*|\/\/+|#)\s+/, "");
}

/** "src/a.ts:12" (the matched line) for one result; one per line for several. */
export function pathLines(results: Pick<SearchResult, "path" | "match_line" | "start_line">[]): string {
  return results.map((r) => `${r.path}:${r.match_line || r.start_line}`).join("\n");
}

/** One result as context: "path:start-end (symbol)", then its code fenced with the language. */
export function contextBlock(r: Pick<SearchResult, "path" | "start_line" | "end_line" | "symbol_path" | "symbol" | "language">, code: string): string {
  const lines = code.replace(/\n$/, "").split("\n");
  const cut = lines.length > MAX_COPY_LINES;
  const end = cut ? r.start_line + MAX_COPY_LINES - 1 : r.end_line;
  const sym = r.symbol_path || r.symbol;
  const fence = "`".repeat(Math.max(3, longestBacktickRun(code) + 1));
  const body = (cut ? lines.slice(0, MAX_COPY_LINES) : lines).join("\n");
  return `${r.path}:${r.start_line}-${end}${sym ? ` (${sym})` : ""}${cut ? ` [first ${MAX_COPY_LINES} of ${r.end_line - r.start_line + 1} lines]` : ""}\n${fence}${fenceLanguage(r.language)}\n${body}\n${fence}`;
}

function longestBacktickRun(text: string): number {
  let best = 0;
  for (const m of text.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}

/** Markdown fence names for the engine's language ids where they differ. */
function fenceLanguage(language: string): string {
  return ({ csharp: "cs", bash: "sh", tsx: "tsx", cpp: "cpp" } as Record<string, string>)[language] ?? language;
}

