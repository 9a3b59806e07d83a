// Hybrid search: lexical and dense candidates (same filters) fused by reciprocal rank, code-aware boosts, adjacent
// hits merged into spans, a per-file cap, and every result explained.
import type { Embedder } from "../embedding/types.ts";
import type { Logger } from "../log/index.ts";
import type { Point, ScoredPoint, SearchFilter, Store } from "../store/types.ts";
import { boostFor } from "./boosts.ts";
import { mergeAdjacent, renderSnippet, type Hit } from "./merge.ts";
import { parseQuery, type ParsedQuery } from "./query.ts";
import { reciprocalRankFusion } from "./rrf.ts";
import type { SearchResult } from "./types.ts";

export interface SearchOptions {
  limit?: number;
  filter?: SearchFilter;
  /** At most this many results from one file (default 3). */
  perFileCap?: number;
  /** Candidates taken from each list before fusion (default 150). */
  candidates?: number;
  /** Include memories (kind=memory) among the results; default code only. */
  includeMemories?: boolean;
  /** Lines of snippet per result (default 40). */
  snippetLines?: number;
}

export interface SearchResponse {
  results: SearchResult[];
  query: { text: string; terms: string[]; filter: SearchFilter };
  took_ms: number;
}

export interface SearchEngineDeps {
  store: Store;
  embedder: Embedder;
  log: Logger;
  /** Repo searched when the caller names none; undefined or "*" = all. */
  defaultRepo?: string;
}

const CODE_KINDS = ["code", "doc", "config", "test"] as const;

export class SearchEngine {
  constructor(private readonly deps: SearchEngineDeps) {}

  async search(raw: string, opts: SearchOptions = {}): Promise<SearchResponse> {
    const started = performance.now();
    const limit = Math.max(1, Math.min(opts.limit ?? 10, 200));
    const q = parseQuery(raw);
    const filter = this.effectiveFilter(q.filter, opts);
    const candidates = opts.candidates ?? Math.max(150, limit * 5);

    const [lexical, dense] = await Promise.all([
      q.terms.length ? this.deps.store.searchLexical({ terms: q.terms }, filter, candidates) : Promise.resolve([]),
      this.denseCandidates(q.text, filter, candidates),
    ]);
    const hits = this.fuse(q, lexical, dense);
    const spans = mergeAdjacent(hits);
    const perFile = opts.perFileCap ?? 3;
    const count = new Map<string, number>();
    const results: SearchResult[] = [];
    for (const s of spans) {
      const key = `${s.repo}\u0000${s.path}`;
      const n = count.get(key) ?? 0;
      if (n >= perFile) continue;
      count.set(key, n + 1);
      const p = s.best.point;
      results.push({
        path: s.path,
        repo: s.repo,
        start_line: s.start_line,
        end_line: s.end_line,
        symbol: p.symbol,
        symbol_path: p.symbol_path,
        language: p.language,
        kind: p.kind,
        score: round(s.score),
        why: s.why,
        components: Object.fromEntries(Object.entries(s.components).map(([k, v]) => [k, round(v)])),
        snippet: renderSnippet(s, opts.snippetLines ?? 40),
      });
      if (results.length >= limit) break;
    }
    return {
      results,
      query: { text: q.text, terms: q.terms.map((t) => t.term), filter },
      took_ms: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  private effectiveFilter(inline: SearchFilter, opts: SearchOptions): SearchFilter {
    const filter: SearchFilter = { ...opts.filter, ...definedOnly(inline) };
    if (filter.repo === undefined && this.deps.defaultRepo) filter.repo = this.deps.defaultRepo;
    if (!filter.kind?.length && !opts.includeMemories) filter.kind = [...CODE_KINDS];
    return filter;
  }

  private async denseCandidates(text: string, filter: SearchFilter, k: number): Promise<ScoredPoint[]> {
    if (this.deps.embedder.dimension === 0 || !text.trim()) return [];
    const [vector] = await this.deps.embedder.embed([text.slice(0, 4000)]);
    if (!vector) return [];
    return this.deps.store.searchDense(vector, filter, k);
  }

  private fuse(q: ParsedQuery, lexical: ScoredPoint[], dense: ScoredPoint[]): Hit[] {
    const toRanked = (list: ScoredPoint[]) => list.map((s) => ({ key: s.point.id, item: s }));
    const fused = reciprocalRankFusion<ScoredPoint>([
      { name: "lexical", weight: 1, items: toRanked(lexical) },
      { name: "dense", weight: 1, items: toRanked(dense) },
    ]);
    const lexScore = new Map(lexical.map((s) => [s.point.id, s.score]));
    const denseScore = new Map(dense.map((s) => [s.point.id, s.score]));
    const hits: Hit[] = [];
    for (const [id, f] of fused) {
      const p: Point = f.item.point;
      const boost = boostFor(p, q);
      const why: string[] = [];
      if (f.ranks.lexical) why.push(`lexical #${f.ranks.lexical}`);
      if (f.ranks.dense) why.push(`dense #${f.ranks.dense}`);
      why.push(...boost.why);
      const components: Record<string, number> = { rrf: f.score, boost: boost.factor };
      if (lexScore.has(id)) components.lexical = lexScore.get(id)!;
      if (denseScore.has(id)) components.dense = denseScore.get(id)!;
      if (f.ranks.lexical) components.lexical_rank = f.ranks.lexical;
      if (f.ranks.dense) components.dense_rank = f.ranks.dense;
      // Scaled so that scores read as 0..~1 numbers rather than 0.016.
      hits.push({ point: p, score: f.score * 30 * boost.factor, why, components });
    }
    return hits.sort((a, b) => b.score - a.score);
  }
}

function definedOnly(f: SearchFilter): SearchFilter {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && !(Array.isArray(v) && !v.length)));
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
