// The cluster's store: Store on one Qdrant collection shared by many repos (every point carries `repo`).
import type { Schemas } from "@qdrant/js-client-rest";
import type { Settings } from "../../config/index.ts";
import { CHUNK_KINDS } from "../../chunking/types.ts";
import type { Logger } from "../../log/index.ts";
import { lexicalFields } from "../../text/index.ts";
import type {
  FileRecord,
  IndexSchema,
  LexicalQuery,
  Point,
  RepoStats,
  SchemaCheck,
  ScoredPoint,
  SearchFilter,
  Store,
} from "../types.ts";
import { dropCollection, ensureCollection, createCollection, type CollectionOptions } from "./collection.ts";
import { connect, type Connection, type ConnectionOptions } from "./connection.ts";
import { translateFilter, withConditions, type QdrantFilter } from "./filter.ts";
import { BODY_TOKENS, DENSE, FILE_KIND, LEX, fileRecordId, fileRecordStruct, fromPayload, toFileRecord, toPointStruct, type PointStruct } from "./payload.ts";
import { CHECK_CLUSTER, QdrantStoreError } from "./retry.ts";
import { documentVector, queryVector, type SparseVector } from "./sparse.ts";

export type QdrantSettings = Pick<Settings, "qdrantUrl" | "qdrantApiKey" | "collectionName" | "memoryCollection">;

export interface QdrantStoreOptions extends ConnectionOptions, CollectionOptions {
  /** Points per upsert request. */
  batchSize?: number;
  /** Upsert requests in flight at once. */
  concurrency?: number;
  /** Most candidates read per search when a glob or symbol filter must be checked after Qdrant answers. */
  scanLimit?: number;
  /** How long `ping` waits (readiness probes must answer fast). */
  pingTimeoutMs?: number;
}

type Condition = Schemas["Condition"];
const PATHS_PER_DELETE = 256;
/** A quoted phrase held by more chunks than this is too common to tell which code raises the message. */
const PHRASE_MAX_POINTS = 256;
const PHRASES_OFF_MS = 5 * 60_000;
const SCROLL_PAGE = 512;

const match = (key: string, value: string): Condition => ({ key, match: { value } });

export class QdrantStore implements Store {
  readonly kind = "qdrant" as const;
  readonly location: string;
  private readonly collection: string;
  private readonly memories: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly scanLimit: number;
  /** Dense size of the collection; learnt from `ensure` or read on first need. */
  private dimension: number | undefined;
  /** Until when phrase search is skipped, after the server refused or failed a phrase match. */
  private phrasesOffUntil = 0;

  constructor(
    private readonly conn: Connection,
    settings: Pick<QdrantSettings, "collectionName" | "memoryCollection">,
    private readonly opts: QdrantStoreOptions = {},
  ) {
    this.location = conn.url;
    this.collection = settings.collectionName;
    this.memories = settings.memoryCollection || settings.collectionName;
    this.batchSize = Math.max(1, opts.batchSize ?? 64);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.scanLimit = Math.max(1, opts.scanLimit ?? 2000);
  }

  private collections(): string[] {
    return this.memories === this.collection ? [this.collection] : [this.collection, this.memories];
  }

  async ensure(schema: IndexSchema): Promise<SchemaCheck> {
    let result: SchemaCheck = { status: "ok" };
    for (const name of this.collections()) {
      const check = await ensureCollection(this.conn, name, schema, this.opts);
      if (check.status === "mismatch") return check;
      if (check.status === "created" && name === this.collection) result = check;
    }
    this.dimension = schema.dimension;
    return result;
  }

  async recreate(schema: IndexSchema): Promise<void> {
    for (const name of this.collections()) {
      this.conn.log.warn("rebuilding qdrant collection", { url: this.conn.url, collection: name, embedder: schema.embedder, dimension: schema.dimension });
      await dropCollection(this.conn, name);
      await createCollection(this.conn, name, schema, this.opts);
    }
    this.dimension = schema.dimension;
  }

  private async denseDimension(): Promise<number> {
    if (this.dimension === undefined) {
      const info = await this.conn.call(`read collection ${this.collection}`, (c) => c.getCollection(this.collection));
      const vectors = (info.config.params.vectors ?? {}) as Record<string, { size?: number } | undefined>;
      this.dimension = vectors[DENSE]?.size ?? 0;
    }
    return this.dimension;
  }

  /** Upserts in batches, a bounded number in flight, each confirmed (`wait`) before this resolves. */
  private async upsert(collection: string, structs: PointStruct[]): Promise<void> {
    const batches: PointStruct[][] = [];
    for (let i = 0; i < structs.length; i += this.batchSize) batches.push(structs.slice(i, i + this.batchSize));
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < batches.length) {
        const batch = batches[next++]!;
        try {
          await this.conn.call(`upsert ${batch.length} points into ${collection}`, (c) => c.upsert(collection, { wait: true, points: batch }));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
  }

  private async deleteWhere(collection: string, filter: QdrantFilter, what: string): Promise<void> {
    await this.conn.call(what, (c) => c.delete(collection, { wait: true, filter }));
  }

  private async scrollAll(collection: string, filter: QdrantFilter, withVector: boolean | string[], what: string) {
    const out: Schemas["Record"][] = [];
    let offset: Schemas["ExtendedPointId"] | undefined;
    do {
      const page = await this.conn.call(what, (c) =>
        c.scroll(collection, { filter, limit: SCROLL_PAGE, with_payload: true, with_vector: withVector, ...(offset !== undefined ? { offset } : {}) }),
      );
      out.push(...page.points);
      const next = page.next_page_offset;
      offset = typeof next === "string" || typeof next === "number" ? next : undefined;
    } while (offset !== undefined);
    return out;
  }

  private async structsFor(points: Point[]): Promise<PointStruct[]> {
    const dimension = await this.denseDimension();
    return points.map((p) => toPointStruct(p, dimension));
  }

  async replaceFile(file: FileRecord, points: Point[]): Promise<void> {
    await this.upsert(this.collection, await this.structsFor(points));
    const keep = [...points.map((p) => p.id), fileRecordId(file.repo, file.path)];
    await this.deleteWhere(
      this.collection,
      { must: [match("repo", file.repo), match("path", file.path)], must_not: [{ has_id: keep }, match("kind", "memory")] },
      `delete stale points of ${file.repo}:${file.path}`,
    );
    // Recorded last: a crash before this line leaves the old hash, so the file is indexed again.
    await this.upsert(this.collection, [fileRecordStruct(file)]);
  }

  async removeFiles(repo: string, paths: string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += PATHS_PER_DELETE) {
      const some = paths.slice(i, i + PATHS_PER_DELETE);
      await this.deleteWhere(
        this.collection,
        { must: [match("repo", repo), { key: "path", match: { any: some } }], must_not: [match("kind", "memory")] },
        `delete ${some.length} files of ${repo}`,
      );
    }
  }

  async moveFile(repo: string, from: string, to: FileRecord, rekey: (p: Point) => string): Promise<boolean> {
    const dimension = await this.denseDimension();
    const records = await this.scrollAll(
      this.collection,
      { must: [match("repo", repo), match("path", from), { key: "kind", match: { any: [...CHUNK_KINDS] } }] },
      dimension > 0 ? [DENSE] : false,
      `read points of ${repo}:${from}`,
    );
    if (!records.length) return false;
    // Vectors are read back and reused: a move never re-embeds. Path tokens change, so `lex` is rebuilt.
    const moved = records.map((r) => {
      const point = { ...fromPayload(r.id, r.payload, r.vector), path: to.path };
      const lexical = lexicalFields(point);
      const sparse: SparseVector = documentVector(lexical);
      return toPointStruct({ ...point, lexical, id: rekey(point) }, dimension, sparse);
    });
    await this.upsert(this.collection, moved);
    const keep = [...moved.map((s) => String(s.id)), fileRecordId(repo, to.path)];
    await this.deleteWhere(
      this.collection,
      { must: [match("repo", repo), { key: "path", match: { any: [from, to.path] } }], must_not: [{ has_id: keep }, match("kind", "memory")] },
      `delete the old points of ${repo}:${from}`,
    );
    await this.upsert(this.collection, [fileRecordStruct(to)]);
    return true;
  }

  async listFiles(repo: string): Promise<Map<string, FileRecord>> {
    const records = await this.scrollAll(this.collection, { must: [match("repo", repo), match("kind", FILE_KIND)] }, false, `list files of ${repo}`);
    const out = new Map<string, FileRecord>();
    for (const r of records) {
      const f = toFileRecord(r.payload);
      out.set(f.path, f);
    }
    return out;
  }

  async filePoints(repo: string, path: string): Promise<Point[]> {
    const records = await this.scrollAll(
      this.collection,
      { must: [match("repo", repo), match("path", path)], must_not: [match("kind", FILE_KIND)] },
      false,
      `read points of ${repo}:${path}`,
    );
    return records
      .map((r) => fromPayload(r.id, r.payload))
      .sort((a, b) => a.start_line - b.start_line || a.end_line - b.end_line);
  }

  async fileHeadTexts(repo: string, paths: string[], maxLine: number): Promise<Map<string, string>> {
    if (!paths.length) return new Map();
    // One scroll for all the files (not one per file); the line bound is applied here.
    const records = await this.scrollAll(
      this.collection,
      { must: [match("repo", repo), { key: "path", match: { any: paths } }], must_not: [match("kind", FILE_KIND)] },
      false,
      `read the heads of ${paths.length} files of ${repo}`,
    );
    const points = records
      .map((r) => fromPayload(r.id, r.payload))
      .filter((p) => p.start_line <= maxLine)
      .sort((a, b) => a.path.localeCompare(b.path) || a.start_line - b.start_line || a.end_line - b.end_line);
    const out = new Map<string, string>();
    for (const p of points) out.set(p.path, out.has(p.path) ? `${out.get(p.path)}\n${p.text}` : p.text);
    return out;
  }

  async upsertPoints(points: Point[]): Promise<void> {
    const structs = await this.structsFor(points);
    if (this.memories === this.collection) return this.upsert(this.collection, structs);
    const isMemory = (i: number) => points[i]!.kind === "memory";
    await this.upsert(this.memories, structs.filter((_, i) => isMemory(i)));
    await this.upsert(this.collection, structs.filter((_, i) => !isMemory(i)));
  }

  /** The collections a filter can find points in (memories may live apart). */
  private searchTargets(filter: SearchFilter): string[] {
    if (this.memories === this.collection) return [this.collection];
    // Chunk kinds today; "memory" too if the filter type ever admits it.
    const kinds = filter.kind as string[] | undefined;
    if (!kinds?.length) return [this.collection, this.memories];
    const out: string[] = [];
    if (kinds.some((k) => k !== "memory")) out.push(this.collection);
    if (kinds.includes("memory")) out.push(this.memories);
    return out;
  }

  async searchDense(vector: Float32Array, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const dimension = await this.denseDimension();
    if (dimension === 0 || vector.length !== dimension || limit <= 0) return [];
    return this.search(Array.from(vector), DENSE, filter, limit);
  }

  async searchLexical(query: LexicalQuery, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const sparse = queryVector(query);
    if (!sparse.indices.length || limit <= 0) return [];
    return this.search(sparse, LEX, filter, limit);
  }

  /**
   * Chunks holding a message the query quotes, as runs of code tokens. Qdrant matches a phrase but does not score
   * it, so each phrase is counted first: one held by many chunks says little (and would cost a long read), so only
   * phrases in at most PHRASE_MAX_POINTS chunks are read, and a chunk scores the IDF of each phrase it holds.
   */
  async searchPhrases(phrases: string[][], filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    if (Date.now() < this.phrasesOffUntil) return [];
    try {
      return await this.phraseHits(phrases, filter, limit);
    } catch (err) {
      // A server without phrase matching (Qdrant < 1.15) loses this one ranking signal, not the search.
      this.phrasesOffUntil = Date.now() + PHRASES_OFF_MS;
      this.conn.log.warn("qdrant phrase search failed; searching without it for a while", { url: this.conn.url, minutes: PHRASES_OFF_MS / 60_000, error: String(err) });
      return [];
    }
  }

  private async phraseHits(phrases: string[][], filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const wanted = [...new Set(phrases.filter((p) => p.length > 1).map((p) => p.join(" ").toLowerCase()))];
    if (!wanted.length || limit <= 0) return [];
    const { filter: qfilter, post } = translateFilter(filter);
    const targets = this.searchTargets(filter);
    const scored = new Map<string, ScoredPoint>();
    for (const collection of targets) {
      const count = (f: QdrantFilter | undefined) =>
        this.conn.call(`count phrase matches in ${collection}`, (c) => c.count(collection, { exact: true, ...(f ? { filter: f } : {}) })).then((r) => r.count);
      const total = await count(qfilter);
      if (!total) continue;
      await Promise.all(
        wanted.map(async (phrase) => {
          const f = withConditions(qfilter, [{ key: BODY_TOKENS, match: { phrase } }]);
          const n = await count(f);
          if (!n || n > PHRASE_MAX_POINTS) return;
          const idf = Math.log(1 + (total - n + 0.5) / (n + 0.5));
          const res = await this.conn.call(`read phrase matches in ${collection}`, (c) =>
            c.scroll(collection, { filter: f, limit: n, with_payload: true, with_vector: false }),
          );
          for (const r of res.points) {
            const key = `${collection}\u0000${r.id}`;
            const hit = scored.get(key) ?? scored.set(key, { point: fromPayload(r.id, r.payload), score: 0 }).get(key)!;
            hit.score += idf;
          }
        }),
      );
    }
    return [...scored.values()]
      .filter((h) => !post || post(h.point))
      .sort((a, b) => b.score - a.score || (a.point.id < b.point.id ? -1 : 1))
      .slice(0, limit);
  }

  async findSymbols(symbolPaths: string[], filter: SearchFilter, limit: number): Promise<Point[]> {
    const names = [...new Set(symbolPaths.filter(Boolean))];
    if (!names.length || limit <= 0) return [];
    const { filter: qfilter, post } = translateFilter(filter);
    const f = withConditions(qfilter, [{ key: "symbol_path", match: { any: names } }]);
    const out: Point[] = [];
    for (const collection of this.searchTargets(filter)) {
      const res = await this.conn.call(`find named symbols in ${collection}`, (c) =>
        c.scroll(collection, { filter: f, limit: post ? Math.max(limit * 4, 64) : limit, with_payload: true, with_vector: false }),
      );
      for (const r of res.points) {
        const p = fromPayload(r.id, r.payload);
        if (!post || post(p)) out.push(p);
      }
    }
    return out.slice(0, limit);
  }

  private async search(query: number[] | SparseVector, using: string, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const targets = this.searchTargets(filter);
    const lists = await Promise.all(targets.map((name) => this.searchOne(name, query, using, filter, limit)));
    const all = lists.flat();
    if (lists.length > 1) all.sort((a, b) => b.score - a.score);
    return all.slice(0, limit);
  }

  /**
   * Globs and exact symbol containment cannot be said in Qdrant's filter language, so those searches read
   * pages of candidates (offset paging, at most `scanLimit`) and keep the ones that pass; ranking is unchanged.
   */
  private async searchOne(collection: string, query: number[] | SparseVector, using: string, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const { filter: qfilter, post } = translateFilter(filter);
    const page = post ? Math.min(this.scanLimit, Math.max(limit * 4, 64)) : limit;
    const out: ScoredPoint[] = [];
    for (let offset = 0; offset < (post ? this.scanLimit : 1); offset += page) {
      const res = await this.conn.call(`search ${collection} (${using})`, (c) =>
        c.query(collection, { query, using, limit: page, ...(offset ? { offset } : {}), ...(qfilter ? { filter: qfilter } : {}), with_payload: true }),
      );
      for (const hit of res.points) {
        const point = fromPayload(hit.id, hit.payload);
        if (!post || post(point)) out.push({ point, score: hit.score });
      }
      if (!post || out.length >= limit || res.points.length < page) break;
    }
    return out.slice(0, limit);
  }

  private async facet(collection: string, key: string, filter?: QdrantFilter): Promise<Map<string, number>> {
    const res = await this.conn.call(`count ${key} values in ${collection}`, (c) =>
      c.facet(collection, { key, limit: 100_000, exact: true, ...(filter ? { filter } : {}) }),
    );
    return new Map(res.hits.map((h) => [String(h.value), h.count]));
  }

  async stats(): Promise<RepoStats[]> {
    const repos = await this.facet(this.collection, "repo");
    const memoryRepos = this.memories === this.collection ? new Map<string, number>() : await this.facet(this.memories, "repo", withConditions(undefined, [match("kind", "memory")]));
    const out: RepoStats[] = [];
    for (const repo of new Set([...repos.keys(), ...memoryRepos.keys()])) {
      const kinds = repos.has(repo) ? await this.facet(this.collection, "kind", { must: [match("repo", repo)] }) : new Map<string, number>();
      const points = CHUNK_KINDS.reduce((n, k) => n + (kinds.get(k) ?? 0), 0);
      const files = kinds.get(FILE_KIND) ?? 0;
      out.push({
        repo,
        points,
        files,
        memories: (kinds.get("memory") ?? 0) + (memoryRepos.get(repo) ?? 0),
        last_indexed_at: files ? await this.lastIndexedAt(repo) : null,
      });
    }
    return out.sort((a, b) => a.repo.localeCompare(b.repo));
  }

  private async lastIndexedAt(repo: string): Promise<number | null> {
    const res = await this.conn.call(`read last indexed file of ${repo}`, (c) =>
      c.scroll(this.collection, {
        filter: { must: [match("repo", repo), match("kind", FILE_KIND)] },
        limit: 1,
        order_by: { key: "indexed_at", direction: "desc" },
        with_payload: ["indexed_at"],
        with_vector: false,
      }),
    );
    const value = res.points[0]?.payload?.indexed_at;
    return typeof value === "number" ? value : null;
  }

  /** One attempt within a short deadline, no retries: readiness must answer quickly and say what is wrong. */
  async ping(): Promise<void> {
    const ms = this.opts.pingTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QdrantStoreError(`Qdrant at ${this.conn.url} did not answer within ${ms / 1000} s (ping); ${CHECK_CLUSTER}`, undefined)), ms);
    });
    try {
      await Promise.race([this.conn.call("ping", (c) => c.versionInfo(), 1), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}

export function openQdrantStore(settings: QdrantSettings, log: Logger, opts: QdrantStoreOptions = {}): QdrantStore {
  if (!settings.qdrantUrl) throw new Error("openQdrantStore needs QDRANT_URL (e.g. http://qdrant:6333); without it the embedded store is used");
  const conn = connect(settings.qdrantUrl, settings.qdrantApiKey, log.child({ store: "qdrant" }), opts);
  return new QdrantStore(conn, settings, opts);
}
