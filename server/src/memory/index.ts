// Memories: short notes an agent keeps (decisions, conventions, gotchas), stored beside code as kind=memory points,
// embedded like chunks and found with the same hybrid machinery.
import { queryVector, type Embedder } from "../embedding/types.ts";
import { reciprocalRankFusion } from "../search/rrf.ts";
import { extractTerms, queryLengthProblem } from "../search/index.ts";
import { pointId } from "../store/ids.ts";
import type { Point, ScoredPoint, Store } from "../store/types.ts";
import { memoryLexicalFields } from "../text/index.ts";

export interface MemoryMetadata {
  kind?: string;
  language?: string;
  path?: string;
  tags?: string[];
  topic?: string;
  priority?: number;
  author?: string;
  [extra: string]: unknown;
}

export interface Memory {
  id: string;
  information: string;
  metadata: MemoryMetadata;
  created_at: string;
  repo: string;
}

export interface MemoryQuery {
  limit?: number;
  kind?: string;
  language?: string;
  tags?: string[];
  topic?: string;
  priority_min?: number;
  /** Repo tag to search ("*" = all). */
  repo?: string;
}

export interface FoundMemory extends Memory {
  score: number;
  why: string[];
}

export class MemoryService {
  constructor(
    private readonly store: Store,
    private readonly embedder: Embedder,
    /** Repo tag new memories get, and the default of searches. */
    private readonly repo: string,
  ) {}

  async remember(information: string, metadata: MemoryMetadata = {}): Promise<Memory> {
    const text = information.trim();
    if (!text) throw new Error("information is empty: give the text to remember");
    const created_at = new Date().toISOString();
    // Same text and metadata = same memory: storing it twice does not duplicate it.
    const id = pointId("memory", this.repo, text, JSON.stringify(metadata));
    const [vector] = this.embedder.dimension ? await this.embedder.embed([text]) : [undefined];
    const point: Point = {
      id, repo: this.repo, path: `memory/${id}`, language: metadata.language ?? "", start_line: 1,
      end_line: text.split("\n").length, symbol: metadata.topic ?? "", symbol_kind: "memory", symbol_path: metadata.topic ?? "",
      kind: "memory", text, file_hash: "", metadata, created_at,
      lexical: memoryLexicalFields(text, metadata),
      ...(vector ? { vector } : {}),
    };
    await this.store.upsertPoints([point]);
    return { id, information: text, metadata, created_at, repo: this.repo };
  }

  async find(query: string, q: MemoryQuery = {}): Promise<FoundMemory[]> {
    const limit = Math.max(1, Math.min(q.limit ?? 5, 100));
    const filter = { kind: ["memory" as const], repo: q.repo ?? this.repo, ...(q.language ? { language: [q.language] } : {}) };
    const want = limit * 5 + 20;
    const tooLong = queryLengthProblem(query);
    if (tooLong) throw new Error(tooLong);
    const { terms } = extractTerms(query);
    const [lexical, dense] = await Promise.all([
      terms.length ? this.store.searchLexical({ terms }, filter, want) : Promise.resolve([] as ScoredPoint[]),
      this.embedder.dimension && query.trim()
        ? queryVector(this.embedder, query).then((v) => (v ? this.store.searchDense(v, filter, want) : []))
        : Promise.resolve([] as ScoredPoint[]),
    ]);
    const ranked = (l: ScoredPoint[]) => l.filter((s) => matches(s.point, q)).map((s) => ({ key: s.point.id, item: s.point }));
    const fused = reciprocalRankFusion<Point>([
      { name: "lexical", weight: 1, items: ranked(lexical) },
      { name: "dense", weight: 1, items: ranked(dense) },
    ]);
    return [...fused.values()]
      .map(({ item, score, ranks }) => ({
        id: item.id,
        information: item.text,
        metadata: (item.metadata ?? {}) as MemoryMetadata,
        created_at: item.created_at ?? "",
        repo: item.repo,
        score: Math.round(score * 30 * (1 + 0.1 * Number((item.metadata as MemoryMetadata)?.priority ?? 0)) * 10000) / 10000,
        why: Object.entries(ranks).map(([n, r]) => `${n} #${r}`),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}

function matches(p: Point, q: MemoryQuery): boolean {
  const m = (p.metadata ?? {}) as MemoryMetadata;
  if (q.kind && m.kind !== q.kind) return false;
  if (q.topic && (m.topic ?? "").toLowerCase() !== q.topic.toLowerCase()) return false;
  if (q.tags?.length && !q.tags.every((t) => (m.tags ?? []).includes(t))) return false;
  if (q.priority_min !== undefined && Number(m.priority ?? 0) < q.priority_min) return false;
  return true;
}
