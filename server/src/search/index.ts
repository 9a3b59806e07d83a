export { SearchEngine, denseQueryText, type CodeSearch, type SearchOptions, type SearchResponse, type SearchEngineDeps } from "./engine.ts";
export { CachedSearch, DEFAULT_CACHE_ENTRIES, type CacheStats } from "./cache.ts";
export { startSearchPool, type PoolStats, type SearchPool, type SearchPoolOptions } from "./pool.ts";
export { DEFAULT_ADMISSION, type AdmissionLimits, type Refusal } from "./lanes.ts";
export { parseQuery, extractTerms, type ParsedQuery } from "./query.ts";
export { MAX_QUERY_CHARS, queryLengthProblem } from "./linear-scan.ts";
export type { SearchResult } from "./types.ts";
export { renderGrouped, NO_RESULTS, type RenderOptions } from "./render.ts";
