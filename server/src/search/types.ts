/** The shape of one search result, on the wire (MCP structured output, CLI --json, the extension panel). */
export interface SearchResult {
  path: string;
  repo: string;
  start_line: number;
  end_line: number;
  symbol: string;
  symbol_path: string;
  language: string;
  kind: string;
  score: number;
  /** Human-readable reasons: "lexical #2", "symbol match: register_hook", "test file down-ranked". */
  why: string[];
  /** Score parts: dense, lexical, rrf, boosts... */
  components: Record<string, number>;
  /** The span's text with line numbers ("  12 | code"). */
  snippet: string;
}
