export { SearchEngine, type SearchOptions, type SearchResponse, type SearchEngineDeps } from "./engine.ts";
export { parseQuery, extractTerms, type ParsedQuery } from "./query.ts";
export { MAX_QUERY_CHARS, queryLengthProblem } from "./linear-scan.ts";
export type { SearchResult } from "./types.ts";
export { renderGrouped, NO_RESULTS, type RenderOptions } from "./render.ts";
