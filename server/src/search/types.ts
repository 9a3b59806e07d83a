/** The shape of one search result, on the wire (MCP structured output, CLI --json, the extension panel). */
export interface SearchResult {
  path: string;
  repo: string;
  start_line: number;
  end_line: number;
  symbol: string;
  symbol_path: string;
  /** function | method | class | interface | ... ("" when none): which icon a client shows. */
  symbol_kind: string;
  language: string;
  kind: string;
  score: number;
  /** Human-readable reasons: "lexical #2", "symbol match: register_hook", "test file down-ranked". */
  why: string[];
  /** Score parts: dense, lexical, rrf, boosts... */
  components: Record<string, number>;
  /**
   * The lines of the span that matched the query, with a little context, numbered ("  12 | code"); pieces that do not
   * touch are separated by a "⋯" line. The whole span when it is short.
   */
  snippet: string;
  /** The best matching line: where a client opens the file (the span's first code line when no query word matched). */
  match_line: number;
  /** Every line of the span holding a query word, in order (at most 50). */
  match_lines: number[];
}
