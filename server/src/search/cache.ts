// A result cache for searches: keyed by the query text and every option that shapes the answer, valid for one index
// generation (Store.generation: any write, by this process or another, starts a new generation and empties it).
import type { Store } from "../store/types.ts";
import type { CodeSearch, SearchOptions, SearchResponse } from "./engine.ts";

/** Entries kept (least recently used go first): a response of 10 results is a few kB. */
export const DEFAULT_CACHE_ENTRIES = 512;

/** JSON with object keys sorted, so that option objects built in another order give the same key. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

export function searchKey(raw: string, opts: SearchOptions): string {
  return canonical([raw, opts]);
}

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
}

/** The searches of one store, answered from the cache while the index is unchanged. */
export class CachedSearch implements CodeSearch {
  private readonly entries = new Map<string, SearchResponse>();
  private generation = "";
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly inner: CodeSearch,
    private readonly store: Pick<Store, "generation">,
    private readonly capacity = DEFAULT_CACHE_ENTRIES,
  ) {}

  get stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size };
  }

  async search(raw: string, opts: SearchOptions = {}, lane?: string): Promise<SearchResponse> {
    if (!this.store.generation || this.capacity <= 0) return this.inner.search(raw, opts, lane);
    const started = performance.now();
    const generation = this.store.generation();
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
    const key = searchKey(raw, opts);
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      // A copy: callers may shape what they get; the cached answer must stay as computed.
      return { ...structuredClone(hit), took_ms: Math.round((performance.now() - started) * 100) / 100 };
    }
    this.misses++;
    const res = await this.inner.search(raw, opts, lane);
    // Stored under the generation read before the search: a write meanwhile starts a new one, never read with this.
    if (this.generation === generation) {
      this.entries.set(key, structuredClone(res));
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return res;
  }
}
