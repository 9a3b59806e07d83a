// The embedded store: one SQLite file (WAL, so one writer and many readers across processes) holding chunks,
// dense vectors (sqlite-vec), the lexical index (FTS5 over our code tokens) and per-file state.
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { lexicalFields, memoryLexicalFields } from "../text/index.ts";
import { extOf } from "../files/index.ts";
import type { Logger } from "../log/index.ts";
import { ftsColumns, joinFields } from "./lexical-text.ts";
import { compileFilter, type CompiledFilter } from "./sqlite-filter.ts";
import { DENSE_FORMAT, SqliteDense } from "./sqlite-dense.ts";
import { openSqliteDatabase, type SqliteDatabase, type SqliteDriverChoice, type SqliteDriverName, type SqliteStatement } from "./sqlite-driver.ts";
import { SqliteFileHistory } from "./sqlite-history.ts";
import type {
  DenseBacklog,
  FileRecord,
  IndexSchema,
  LexicalQuery,
  Point,
  RepoStats,
  SchemaCheck,
  ScoredPoint,
  SearchFilter,
  Store,
} from "./types.ts";

/** FTS5 column weights: a match in a symbol name says more than one in a path, and that more than one in a body. */
export const FIELD_WEIGHTS = { symbol: 4, path: 2.5, body: 1 } as const;

const CHUNK_COLUMNS =
  "c.rowid AS rowid, c.id, c.repo, c.path, c.language, c.start_line, c.end_line, c.symbol, c.symbol_kind, c.symbol_path, c.kind, c.text, c.file_hash, c.metadata, c.created_at";

/** A chunks row: the point's own columns, with metadata still JSON text. */
type ChunkRow = Omit<Point, "vector" | "lexical" | "metadata" | "created_at"> & {
  rowid: number;
  metadata: string | null;
  created_at: string | null;
};

function toPoint(r: ChunkRow): Point {
  return {
    id: r.id,
    repo: r.repo,
    path: r.path,
    language: r.language,
    start_line: r.start_line,
    end_line: r.end_line,
    symbol: r.symbol,
    symbol_kind: r.symbol_kind,
    symbol_path: r.symbol_path,
    kind: r.kind,
    text: r.text,
    file_hash: r.file_hash,
    lexical: { symbol: [], path: [], body: [] },
    ...(r.metadata ? { metadata: JSON.parse(r.metadata) as Record<string, unknown> } : {}),
    ...(r.created_at ? { created_at: r.created_at } : {}),
  };
}

/**
 * The lexical index keeps its column texts (FTS5's own content table) so that a deleted row's tokens leave its BM25
 * statistics too. A contentless index cannot: `contentless_delete` never subtracts a deleted row's length from the
 * column totals, so the average length grows with every re-index and scores drift from a fresh build's (issue 19).
 */
const FTS_COLUMNS = `symbol, path, body, tokenize="unicode61 tokenchars '_$'"`;

/**
 * Equal scores are ordered by what the chunks are, never by their rowids: an index brought up to date incrementally
 * gives a re-indexed file new rowids, and the same content must rank the same however it was indexed. The order is
 * the one a fresh build's rowids have (files by path, then position).
 */
const TIE_ORDER = "c.repo, c.path, c.start_line, c.end_line, c.id";

function byContent(a: ScoredPoint, b: ScoredPoint): number {
  const p = a.point;
  const q = b.point;
  return (
    (p.repo < q.repo ? -1 : p.repo > q.repo ? 1 : 0) || (p.path < q.path ? -1 : p.path > q.path ? 1 : 0) ||
    p.start_line - q.start_line || p.end_line - q.end_line || (p.id < q.id ? -1 : p.id > q.id ? 1 : 0)
  );
}

/** Best score first, equal scores in content order. */
function bestFirstByContent(a: ScoredPoint, b: ScoredPoint): number {
  return b.score - a.score || byContent(a, b);
}

/** A term FTS5 can take quoted as it is (what the code tokenizer emits). */
const FTS_TOKEN = /^[\p{L}\p{N}_$]+$/u;

/** A lexical term's multiplier: its query weight, rounded, from 1 to 4. */
function termRepeats(weight: number): number {
  return Math.max(1, Math.min(4, Math.round(weight)));
}

/**
 * Up to this many phrases (terms x their repeats), a lexical query runs as one OR query: a short query's rows are
 * best ranked inside SQLite; past it, one pass per term costs less than scoring every row once per phrase.
 */
const ONE_QUERY_PHRASES = 24;

/** Most rows read per batch when the ranked candidates are read back and filtered (a batch is the limit when smaller). */
const FETCH_BATCH = 512;

/** Below this share of ranked rows passing the filter, a lexical search applies the filter in a join instead. */
const MIN_PASSING_SHARE = 0.5;

/** Queries with more terms than this are pruned by document frequency before they reach FTS5. */
const PRUNE_ABOVE = 12;
/** Terms kept of a long query, and the share of chunks past which a prose word is too common to rank by. */
const KEEP_TERMS = 30;
const COMMON_SHARE = 0.3;
/** Extra nearest neighbours fetched past the limit, for rows a non-selective filter drops. */
const DENSE_MARGIN = 32;
const NO_IDF_SHARE = 0.5;
const TERM_STATS_TTL_MS = 30_000;

/**
 * A query reduced by what the index holds. A long one (an issue text): terms no chunk contains go (they only cost
 * time), ordinary words found in a large share of chunks go, and the rest are ranked by query weight x IDF. A short
 * one: see shortQueryTerms.
 */
export function pruneTerms(terms: LexicalQuery["terms"], df: Map<string, number>, total: number): LexicalQuery["terms"] {
  if (total === 0) return terms;
  // Terms no chunk holds (a word form the index lacks, a name that is not there) do not make a query long.
  if (terms.filter((t) => (df.get(t.term) ?? 0) > 0).length <= PRUNE_ABOVE) return shortQueryTerms(terms, df, total);
  const idf = (n: number) => Math.log(1 + (total - n + 0.5) / (n + 0.5));
  return terms
    .filter((t) => {
      const share = (df.get(t.term) ?? 0) / total;
      // FTS5's BM25 gives a term in half the chunks or more (a package name in every path) an IDF of about zero, yet
      // makes it score every chunk holding it: such a term only costs time, however heavily the query weighs it.
      return share > 0 && share < NO_IDF_SHARE && (t.weight >= 2.5 || share <= COMMON_SHARE);
    })
    .map((t) => ({ ...t, value: t.weight * idf(df.get(t.term)!) }))
    .sort((a, b) => b.value - a.value)
    .slice(0, KEEP_TERMS)
    .map(({ term, weight }) => ({ term, weight }));
}

/**
 * A short query's terms: terms no chunk holds go; so do terms in a large share of all chunks, which carry almost no
 * BM25 weight but make FTS5 score every chunk that has them, when rarer terms remain. A name the query stresses
 * (`Rational(...)`, weight >= 2.5) stays unless it is in half the chunks: in a large repository the class an issue
 * is about is often in thousands.
 */
function shortQueryTerms(terms: LexicalQuery["terms"], df: Map<string, number>, total: number): LexicalQuery["terms"] {
  const found = terms.filter((t) => (df.get(t.term) ?? 0) > 0);
  const cap = Math.max(2000, 0.05 * total);
  const kept = found.filter((t) => df.get(t.term)! <= cap || (t.weight >= 2.5 && df.get(t.term)! < NO_IDF_SHARE * total));
  return kept.length ? kept : found.sort((a, b) => df.get(a.term)! - df.get(b.term)!).slice(0, 3);
}

/**
 * The scored rows, best first, in batches of `size` (ties in the map's order): each batch is selected by a threshold
 * read from the sorted scores, so only the rows a search reads are sorted with their ids (a long query scores about
 * 20,000 of sympy's chunks and reads the first few hundred).
 */
export function* bestFirst(scores: Map<number, number>, size: number): Generator<[number, number][]> {
  const ids = [...scores.keys()];
  const values = Float64Array.from(scores.values());
  const descending = values.slice().sort().reverse();
  let above = Infinity;
  for (let taken = 0; taken < ids.length; ) {
    const floor = descending[Math.min(taken + size, ids.length) - 1]!;
    const tier: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i]! >= floor && values[i]! < above) tier.push(i);
    tier.sort((a, b) => values[b]! - values[a]! || a - b);
    for (let i = 0; i < tier.length; i += size) yield tier.slice(i, i + size).map((t) => [ids[t]!, values[t]!]);
    taken += tier.length;
    above = floor;
  }
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private dimension = 0;
  private readonly db: SqliteDatabase;
  /** Which driver opened the file (better-sqlite3 or node:sqlite). */
  readonly driver: SqliteDriverName;
  /**
   * Document frequencies and chunk count for pruning long lexical queries: dropped whenever this store writes, and
   * after a while (another process may write the same file).
   */
  private readonly dfCache = new Map<string, number>();
  private chunkTotal: number | undefined;
  private termStatsAt = 0;
  /** The index generation the term statistics were read at. */
  private termStatsGeneration = "";
  /** Opened read-only (a search worker's connection): never writes, never migrates. */
  readonly readonly: boolean;
  private readonly statements = new Map<string, SqliteStatement>();
  private readonly history: SqliteFileHistory;
  private readonly vectors: SqliteDense;

  constructor(
    readonly location: string,
    private readonly log: Logger,
    options: SqliteStoreOptions = {},
  ) {
    this.readonly = !!options.readonly;
    if (location !== ":memory:" && !this.readonly) {
      const dir = path.dirname(location);
      mkdirSync(dir, { recursive: true });
      // .codebase/ never shows in the user's git status.
      if (path.basename(dir) === ".codebase" && !existsSync(path.join(dir, ".gitignore"))) {
        writeFileSync(path.join(dir, ".gitignore"), "*\n");
      }
    }
    ({ db: this.db, driver: this.driver } = openSqliteDatabase(location, options.driver, { readonly: this.readonly }));
    if (!this.readonly) this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 10000");
    // 16 MB of page cache per connection, the writer's too: the file's pages stay in the OS page cache every connection
    // reads from, and a 64 MB writer cache cost ~100 MB of peak RSS while indexing (bench:index corpus) for no speed.
    this.db.pragma("cache_size = -16384");
    this.db.function("ce_glob", { deterministic: true }, (pattern: unknown, p: unknown) =>
      compileFilter.glob(String(pattern))(String(p)) ? 1 : 0,
    );
    // A reader finds the tables made (CREATE ... IF NOT EXISTS writes nothing then) and leaves migrations to writers.
    this.createBaseTables();
    this.history = new SqliteFileHistory(this.db, (sql) => this.stmt(sql));
    if (!this.readonly) this.rebuildDriftingLexicalIndex();
    const dim = this.meta("dimension");
    if (dim !== undefined) this.dimension = Number(dim);
    this.vectors = new SqliteDense(this.db, (sql) => this.stmt(sql), CHUNK_COLUMNS, toPoint as (row: never) => Point);
  }

  /** The backlog of points waiting for their dense vector, when this index has vectors at all. */
  get dense(): DenseBacklog | undefined {
    return this.hasVectors() ? this.vectors : undefined;
  }

  private createBaseTables(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS files (
        repo TEXT NOT NULL, path TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL, chunks INTEGER NOT NULL, indexed_at INTEGER NOT NULL, PRIMARY KEY (repo, path)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS chunks (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, repo TEXT NOT NULL, path TEXT NOT NULL, ext TEXT NOT NULL,
        language TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, symbol TEXT NOT NULL,
        symbol_kind TEXT NOT NULL, symbol_path TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
        file_hash TEXT NOT NULL, metadata TEXT, created_at TEXT
      );
      CREATE INDEX IF NOT EXISTS chunks_symbol_path ON chunks (symbol_path) WHERE symbol_path != '';
      CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(${FTS_COLUMNS});
    `);
    // A file's chunks in line order: its head (fileHeadTexts) read without the rest of its rows. It replaces the
    // (repo, path) index of earlier stores; a reader leaves the change to the next writer.
    if (!this.readonly) this.db.exec("CREATE INDEX IF NOT EXISTS chunks_repo_path_line ON chunks (repo, path, start_line); DROP INDEX IF EXISTS chunks_repo_path;");
    SqliteDense.createCache(this.db);
  }

  /**
   * A store made before the lexical index kept its column texts (contentless_delete): its BM25 statistics still
   * count every row it ever deleted, so its scores drift from a fresh build's. The index is rebuilt once from the
   * chunks, in one transaction (another process opening the file meanwhile waits, then finds it done).
   */
  private rebuildDriftingLexicalIndex(): void {
    const isOld = () =>
      /contentless_delete/.test((this.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'chunks_fts'").get() as { sql: string } | undefined)?.sql ?? "");
    if (!isOld()) return;
    this.db.transaction(() => {
      if (!isOld()) return;
      const rows = this.db.prepare(`SELECT ${CHUNK_COLUMNS} FROM chunks c`).all() as ChunkRow[];
      this.log.warn("rebuilding the lexical index once, so incremental updates rank as a fresh build does", { store: this.location, chunks: rows.length });
      this.db.exec(`DROP TABLE chunks_fts; CREATE VIRTUAL TABLE chunks_fts USING fts5(${FTS_COLUMNS});`);
      const ins = this.db.prepare("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)");
      for (const r of rows) {
        const p = toPoint(r);
        const fts = joinFields(p.kind === "memory" ? memoryLexicalFields(p.text, p.metadata ?? {}) : lexicalFields(p));
        ins.run(r.rowid, fts.symbol, fts.path, fts.body);
      }
    }).immediate();
  }

  /** Prepared statements are cached: preparing costs more than running the small ones. */
  private stmt(sql: string): SqliteStatement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size > 256) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private meta(key: string): string | undefined {
    const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  private hasVectors(): boolean {
    return this.dimension > 0;
  }

  async ensure(schema: IndexSchema): Promise<SchemaCheck> {
    const embedder = this.meta("embedder");
    if (embedder === undefined) {
      this.createSchema(schema);
      return { status: "created" };
    }
    const stored = { embedder, dimension: Number(this.meta("dimension")) };
    // An index written with float vectors (before they were kept quantized) is rebuilt once.
    const oldFormat = stored.dimension > 0 && this.meta("dense_format") !== DENSE_FORMAT;
    if (stored.embedder !== schema.embedder || stored.dimension !== schema.dimension || oldFormat) {
      return { status: "mismatch", stored, wanted: schema };
    }
    return { status: "ok" };
  }

  async schema(): Promise<IndexSchema | undefined> {
    const embedder = this.meta("embedder");
    return embedder === undefined ? undefined : { embedder, dimension: Number(this.meta("dimension")) };
  }

  private createSchema(schema: IndexSchema): void {
    this.db.transaction(() => {
      if (schema.dimension > 0) SqliteDense.createTables(this.db, schema.dimension);
      const put = this.stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
      put.run("embedder", schema.embedder);
      put.run("dimension", String(schema.dimension));
      put.run("dense_format", DENSE_FORMAT);
    }).immediate();
    this.dimension = schema.dimension;
  }

  async recreate(schema: IndexSchema): Promise<void> {
    this.statements.clear();
    this.log.warn("rebuilding the embedded index", { store: this.location, embedder: schema.embedder, dimension: schema.dimension });
    this.db.transaction(() => {
      SqliteDense.dropTables(this.db);
      this.db.exec(`DROP TABLE IF EXISTS chunks_fts; DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS files; DELETE FROM meta;`);
      this.createBaseTables();
    }).immediate();
    this.dimension = 0;
    this.createSchema(schema);
  }

  private deleteRows(rowids: number[]): void {
    this.forgetTermStats();
    const delChunk = this.stmt("DELETE FROM chunks WHERE rowid = ?");
    const delFts = this.stmt("DELETE FROM chunks_fts WHERE rowid = ?");
    const vectors = this.hasVectors();
    for (const r of rowids) {
      delChunk.run(r);
      delFts.run(r);
      if (vectors) this.vectors.removed(r);
    }
  }

  private fileRowids(repo: string, p: string): number[] {
    return (this.stmt("SELECT rowid FROM chunks WHERE repo = ? AND path = ?").all(repo, p) as { rowid: number }[]).map(
      (r) => r.rowid,
    );
  }

  private forgetTermStats(): void {
    this.dfCache.clear();
    this.chunkTotal = undefined;
    this.termStatsAt = Date.now();
  }

  private insertPoints(points: Point[]): void {
    this.forgetTermStats();
    const ins = this.stmt(`INSERT INTO chunks (id, repo, path, ext, language, start_line, end_line, symbol, symbol_kind,
      symbol_path, kind, text, file_hash, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insFts = this.stmt("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)");
    const vectors = this.hasVectors();
    for (const p of points) {
      const info = ins.run(
        p.id, p.repo, p.path, extOf(p.path), p.language, p.start_line, p.end_line, p.symbol, p.symbol_kind, p.symbol_path,
        p.kind, p.text, p.file_hash, p.metadata ? JSON.stringify(p.metadata) : null, p.created_at ?? null,
      );
      const rowid = Number(info.lastInsertRowid);
      const fts = ftsColumns(p.lexical);
      insFts.run(rowid, fts.symbol, fts.path, fts.body);
      if (vectors) {
        if (p.vector && p.vector.length !== this.dimension) {
          throw new Error(`vector of ${p.vector.length} dimensions for an index of ${this.dimension}: rebuild the index`);
        }
        this.vectors.added(rowid, p);
      }
    }
  }

  async replaceFile(file: FileRecord, points: Point[]): Promise<void> {
    await this.replaceFiles([{ file, points }]);
  }

  /** One transaction for the whole group: a file's record is never committed without its points. */
  async replaceFiles(items: { file: FileRecord; points: Point[] }[]): Promise<void> {
    const putFile = this.stmt(
      "INSERT OR REPLACE INTO files (repo, path, hash, size, mtime_ms, chunks, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      for (const { file, points } of items) {
        this.deleteRows(this.fileRowids(file.repo, file.path));
        // Ids are unique across the store: a chunk moved from another file replaces its old copy.
        this.deleteIds(points.map((p) => p.id));
        this.insertPoints(points);
        putFile.run(file.repo, file.path, file.hash, file.size, file.mtime_ms, file.chunks, file.indexed_at);
      }
    }).immediate();
  }

  private deleteIds(ids: string[]): void {
    const get = this.stmt("SELECT rowid FROM chunks WHERE id = ?");
    const rowids: number[] = [];
    for (const id of ids) {
      const r = get.get(id) as { rowid: number } | undefined;
      if (r) rowids.push(r.rowid);
    }
    if (rowids.length) this.deleteRows(rowids);
  }

  async removeFiles(repo: string, paths: string[]): Promise<void> {
    if (!paths.length) return;
    this.db.transaction(() => {
      const delFile = this.stmt("DELETE FROM files WHERE repo = ? AND path = ?");
      for (const p of paths) {
        this.deleteRows(this.fileRowids(repo, p));
        delFile.run(repo, p);
      }
    }).immediate();
  }

  async moveFile(repo: string, from: string, to: FileRecord, rekey: (p: Point) => string): Promise<boolean> {
    this.forgetTermStats();
    return this.db.transaction(() => {
      const rows = this.stmt(`SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.repo = ? AND c.path = ?`).all(repo, from) as ChunkRow[];
      if (!rows.length) return false;
      if (from !== to.path) this.deleteRows(this.fileRowids(repo, to.path));
      const upd = this.stmt("UPDATE chunks SET id = ?, path = ?, ext = ? WHERE rowid = ?");
      const delFts = this.stmt("DELETE FROM chunks_fts WHERE rowid = ?");
      const insFts = this.stmt("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)");
      for (const r of rows) {
        const moved = { ...toPoint(r), path: to.path };
        upd.run(rekey(moved), to.path, extOf(to.path), r.rowid);
        const lex = joinFields(lexicalFields(moved));
        delFts.run(r.rowid);
        insFts.run(r.rowid, lex.symbol, lex.path, lex.body);
      }
      this.stmt("DELETE FROM files WHERE repo = ? AND path = ?").run(repo, from);
      this.db
        .prepare("INSERT OR REPLACE INTO files (repo, path, hash, size, mtime_ms, chunks, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(to.repo, to.path, to.hash, to.size, to.mtime_ms, to.chunks, to.indexed_at);
      return true;
    }).immediate();
  }

  async listFiles(repo: string): Promise<Map<string, FileRecord>> {
    const rows = this.stmt("SELECT * FROM files WHERE repo = ?").all(repo) as FileRecord[];
    return new Map(rows.map((r) => [r.path, r]));
  }

  async fileRecords(repo: string, paths: string[]): Promise<Map<string, FileRecord>> {
    const get = this.stmt("SELECT * FROM files WHERE repo = ? AND path = ?");
    const out = new Map<string, FileRecord>();
    for (const p of paths) {
      const r = get.get(repo, p) as FileRecord | undefined;
      if (r) out.set(p, r);
    }
    return out;
  }

  async filePoints(repo: string, p: string): Promise<Point[]> {
    const rows = this.stmt(`SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.repo = ? AND c.path = ? ORDER BY c.start_line, c.end_line`)
      .all(repo, p) as ChunkRow[];
    return rows.map(toPoint);
  }

  async fileHeadTexts(repo: string, paths: string[], maxLine: number): Promise<Map<string, string>> {
    const rows = this.stmt(
      `SELECT path, text FROM chunks WHERE repo = ? AND path IN (SELECT value FROM json_each(?)) AND start_line <= ?
         ORDER BY path, start_line, end_line`,
    ).all(repo, JSON.stringify(paths), maxLine) as { path: string; text: string }[];
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.path, out.has(r.path) ? `${out.get(r.path)}\n${r.text}` : r.text);
    return out;
  }

  async upsertPoints(points: Point[]): Promise<void> {
    this.db.transaction(() => {
      this.deleteIds(points.map((p) => p.id));
      this.insertPoints(points);
    }).immediate();
  }

  async searchDense(vector: Float32Array, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    if (!this.hasVectors() || vector.length !== this.dimension) return [];
    const compiled = compileFilter(filter, "c");
    const repo = filter.repo && filter.repo !== "*" ? filter.repo : undefined;
    // The scan is exhaustive; extra filters are applied after it, so fetch more when they may drop rows (a few more
    // when they drop only a handful, such as the memories code search leaves out).
    const k = compiled.selective ? limit * 20 : limit + DENSE_MARGIN;
    const rows = new Map<number, ChunkRow>();
    const hits = this.vectors.search(vector, repo, k, (rowids) => {
      for (const r of this.rowsById(rowids, compiled)) rows.set(Number(r.rowid), r);
      return new Set(rows.keys());
    }, compiled.selective);
    // Equal scores in content order, as lexical ranks are: however the index was built, the same content ranks the same.
    return hits.map((h) => ({ point: toPoint(rows.get(h.rowid)!), score: h.score })).sort(bestFirstByContent).slice(0, limit);
  }

  /**
   * BM25 over the weighted terms. bm25() of an OR query is the sum of its phrases' scores, and a term's weight
   * repeats it (`"a" OR "a" OR "b"`). A short query, or one under a selective filter (a folder, a glob, memories
   * only), runs as that one query with the filter in SQL. A long one (an issue text: 30 terms, repeated up to 4
   * times) gets the same ranking summed here from one FTS5 pass per term, the filter applied to the ranked rows, best
   * first, until `limit` pass: FTS5 then scores each matching row once per term rather than once per phrase of the
   * whole query, each time reading the row's column sizes (about 50 ms instead of 70 over sympy's 55k chunks).
   */
  async searchLexical(query: LexicalQuery, filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const terms = this.informativeTerms(query).terms.filter((t) => FTS_TOKEN.test(t.term));
    if (!terms.length) return [];
    const compiled = compileFilter(filter, "c");
    const phrases = terms.reduce((n, t) => n + termRepeats(t.weight), 0);
    if (!compiled.selective && phrases > ONE_QUERY_PHRASES) return this.summedTermSearch(terms, compiled, limit);
    const or = terms.flatMap(({ term, weight }) => Array<string>(termRepeats(weight)).fill(`"${term}"`)).join(" OR ");
    return this.ftsSearch(or, FIELD_WEIGHTS, compiled, limit);
  }

  /** The weighted OR query's ranking, summed from one FTS5 pass per term; the filter applied to ranked rows in batches. */
  private summedTermSearch(terms: LexicalQuery["terms"], filter: CompiledFilter, limit: number): ScoredPoint[] {
    const w = FIELD_WEIGHTS;
    const one = this.stmt(`SELECT rowid, bm25(chunks_fts, ${w.symbol}, ${w.path}, ${w.body}) FROM chunks_fts WHERE chunks_fts MATCH ?`).raw(true);
    const scores = new Map<number, number>();
    for (const { term, weight } of terms) {
      const times = termRepeats(weight);
      for (const [rowid, rank] of one.all(`"${term}"`) as [number, number][]) scores.set(rowid, (scores.get(rowid) ?? 0) - times * rank);
    }
    const out: ScoredPoint[] = [];
    for (const batch of bestFirst(scores, Math.min(FETCH_BATCH, limit))) {
      // Past the limit, only rows tied with the last one kept still come in: which of them stay is decided by content.
      if (out.length >= limit && batch[0]![1] < out[limit - 1]!.score) break;
      const rows = this.rowsById(batch.map(([rowid]) => rowid), filter);
      const byRow = new Map(rows.map((r) => [r.rowid, r]));
      for (const [rowid, score] of batch) {
        const r = byRow.get(rowid);
        if (r) out.push({ point: toPoint(r), score });
      }
    }
    return out.sort(bestFirstByContent).slice(0, limit);
  }

  /**
   * The rows with these rowids, within the filter. The ids go in as one JSON array, so one prepared statement serves
   * any number of them; NOT INDEXED, because with a repo filter the planner otherwise walks the repo's rows by
   * chunks_repo_path_line (10 ms instead of 3 for 512 rows of sympy).
   */
  private rowsById(rowids: number[], filter: CompiledFilter): ChunkRow[] {
    return this.stmt(
      `SELECT ${CHUNK_COLUMNS} FROM chunks c NOT INDEXED WHERE c.rowid IN (SELECT value FROM json_each(?)) AND ${filter.sql}`,
    ).all(JSON.stringify(rowids), ...filter.params) as ChunkRow[];
  }

  async searchPhrases(phrases: string[][], filter: SearchFilter, limit: number): Promise<ScoredPoint[]> {
    const quoted = phrases
      .map((p) => p.filter((t) => FTS_TOKEN.test(t)))
      .filter((p) => p.length > 1)
      .map((p) => `"${p.join(" ")}"`);
    if (!quoted.length) return [];
    return this.ftsSearch(`body : (${quoted.join(" OR ")})`, { symbol: 0, path: 0, body: 1 }, compileFilter(filter, "c"), limit);
  }

  async findSymbols(symbolPaths: string[], filter: SearchFilter, limit: number): Promise<Point[]> {
    const names = [...new Set(symbolPaths.filter(Boolean))];
    if (!names.length || limit <= 0) return [];
    const { sql, params } = compileFilter(filter, "c");
    // The index named: with a repo filter the planner otherwise walks the repo's rows (28 ms instead of 0.1 over sympy).
    // The names go in as one JSON array, so one prepared statement serves any number of them.
    const rows = this.stmt(
      `SELECT ${CHUNK_COLUMNS} FROM chunks c INDEXED BY chunks_symbol_path
         WHERE c.symbol_path IN (SELECT value FROM json_each(?)) AND c.symbol_path != '' AND ${sql} ORDER BY ${TIE_ORDER} LIMIT ?`,
    ).all(JSON.stringify(names), ...params, limit) as ChunkRow[];
    return rows.map(toPoint);
  }

  /**
   * Chunks matching an FTS5 expression, best BM25 (with these field weights) first, within the filter. Under a filter
   * that drops few rows (the repo, code kinds), the best rows are ranked inside FTS5 alone and only they are read back
   * (ranked), since a join reads and sorts every matching row's text: 3-4x less time for a short query over 113k
   * chunks. A selective filter (a folder, a glob) is applied in the join, before ranking.
   */
  private ftsSearch(match: string, w: { symbol: number; path: number; body: number }, filter: CompiledFilter, limit: number): ScoredPoint[] {
    return (!filter.selective && this.rankedThenRead(match, w, filter, limit)) || this.joinedSearch(match, w, filter, limit);
  }

  /** The filter applied in a join, before ranking: every matching row is read. */
  private joinedSearch(match: string, w: { symbol: number; path: number; body: number }, filter: CompiledFilter, limit: number): ScoredPoint[] {
    const { sql, params } = filter;
    const rows = this.stmt(
      `SELECT ${CHUNK_COLUMNS}, bm25(chunks_fts, ${w.symbol}, ${w.path}, ${w.body}) AS rank FROM chunks_fts
         JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? AND ${sql} ORDER BY rank, ${TIE_ORDER} LIMIT ?`,
    ).all(match, ...params, limit) as (ChunkRow & { rank: number })[];
    return rows.map((r) => ({ point: toPoint(r), score: -r.rank }));
  }

  /**
   * The best `limit` rows within the filter, ranked by FTS5 alone and then read back: rows are taken best first
   * (with a margin for the few the filter drops) until `limit` pass and every row tied with the last one kept is in,
   * so that equal scores are ordered by content (TIE_ORDER), exactly as the join orders them. Undefined when the
   * filter turns out to drop most rows (one repo of many in the store): the join is cheaper then.
   */
  private rankedThenRead(match: string, w: { symbol: number; path: number; body: number }, filter: CompiledFilter, limit: number): ScoredPoint[] | undefined {
    const ranked = this.stmt(
      `SELECT rowid, bm25(chunks_fts, ${w.symbol}, ${w.path}, ${w.body}) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?`,
    ).raw(true);
    const out: ScoredPoint[] = [];
    let taken = 0;
    for (let n = limit + Math.ceil(limit / 8) + 16; ; ) {
      const batch = ranked.all(match, n, taken) as [number, number][];
      taken += batch.length;
      const rows = this.rowsById(batch.map(([rowid]) => rowid), filter);
      const byRow = new Map(rows.map((r) => [r.rowid, r]));
      for (const [rowid, rank] of batch) {
        const r = byRow.get(rowid);
        if (r) out.push({ point: toPoint(r), score: -rank });
      }
      if (batch.length < n) break; // every match read
      // Complete once `limit` rows passed and the last row read scores below the limit-th kept (rows arrive best
      // first): rows not read score no better than it, so none of them ties with a row kept.
      if (out.length >= limit) {
        if (-batch[batch.length - 1]![1] < out[limit - 1]!.score) break;
        n = 2 * n; // ties past the limit: read on
        continue;
      }
      // Each pass ranks every match again: when the filter drops most rows, the join costs less than several passes.
      const passing = out.length / taken;
      if (passing < MIN_PASSING_SHARE) return undefined;
      n = Math.ceil(((limit - out.length) / passing) * 1.25) + 16;
    }
    return out.sort(bestFirstByContent).slice(0, limit);
  }

  /** The query's terms by what the index holds (pruneTerms). */
  private informativeTerms(query: LexicalQuery): LexicalQuery {
    const df = this.documentFrequencies(query.terms.map((t) => t.term));
    return { terms: pruneTerms(query.terms, df, this.chunkCount()) };
  }

  /**
   * A value that changes whenever the file changes, by this connection (total_changes) or by any other, in this
   * process or another (data_version): what a result cache keys on, so that any write invalidates it.
   */
  generation(): string {
    const g = this.stmt("SELECT total_changes() AS c, (SELECT data_version FROM pragma_data_version) AS v").get() as { c: number; v: number };
    return `${g.c}.${g.v}`;
  }

  /** Chunks holding each term (FTS5's own counts), cached until the index next changes or for a while. */
  private documentFrequencies(terms: string[]): Map<string, number> {
    const generation = this.generation();
    if (generation !== this.termStatsGeneration || Date.now() - this.termStatsAt > TERM_STATS_TTL_MS || this.dfCache.size > 50_000) {
      this.forgetTermStats();
      this.termStatsGeneration = generation;
    }
    const out = new Map<string, number>();
    const missing = terms.filter((t) => {
      const d = this.dfCache.get(t);
      if (d !== undefined) out.set(t, d);
      return d === undefined;
    });
    if (missing.length) {
      this.db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')");
      const get = this.stmt("SELECT doc FROM temp.chunks_vocab WHERE term = ?");
      for (const t of missing) {
        const d = (get.get(t) as { doc: number } | undefined)?.doc ?? 0;
        out.set(t, d);
        // An absent term is not remembered: another process (a watcher) may index it any moment, and a cached 0
        // would hide fresh code from search until the cache expires.
        if (d > 0) this.dfCache.set(t, d);
      }
    }
    return out;
  }

  private chunkCount(): number {
    this.chunkTotal ??= (this.stmt("SELECT COUNT(*) AS n FROM chunks").get() as { n: number }).n;
    return this.chunkTotal;
  }

  async replaceFileHistory(repo: string, head: string, words: Map<string, string[]>): Promise<void> {
    this.history.replace(repo, head, words);
  }

  async fileHistoryHead(repo: string): Promise<string | undefined> {
    return this.history.head(repo);
  }

  async searchFileHistory(repo: string, query: LexicalQuery, limit: number): Promise<{ path: string; score: number }[]> {
    return this.history.search(repo, query, limit);
  }

  async compact(): Promise<void> {
    // FTS5's 'optimize' rewrites its b-trees as one segment; bm25's statistics are kept exactly either way.
    this.db.exec("INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')");
  }

  async stats(): Promise<RepoStats[]> {
    const rows = this.db
      .prepare(
        `SELECT repo, SUM(kind != 'memory') AS points, SUM(kind = 'memory') AS memories FROM chunks GROUP BY repo`,
      )
      .all() as { repo: string; points: number; memories: number }[];
    const files = this.db
      .prepare("SELECT repo, COUNT(*) AS files, MAX(indexed_at) AS last FROM files GROUP BY repo")
      .all() as { repo: string; files: number; last: number | null }[];
    const out = new Map<string, RepoStats>();
    for (const r of rows) out.set(r.repo, { repo: r.repo, points: r.points, memories: r.memories, files: 0, last_indexed_at: null });
    for (const f of files) {
      const s = out.get(f.repo) ?? { repo: f.repo, points: 0, memories: 0, files: 0, last_indexed_at: null };
      s.files = f.files;
      s.last_indexed_at = f.last;
      out.set(f.repo, s);
    }
    return [...out.values()].sort((a, b) => a.repo.localeCompare(b.repo));
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export interface SqliteStoreOptions {
  driver?: SqliteDriverChoice;
  /** Open an existing store read-only (a search worker's own connection). */
  readonly?: boolean;
}

export function openSqliteStore(file: string, log: Logger, options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(file, log, options);
}
