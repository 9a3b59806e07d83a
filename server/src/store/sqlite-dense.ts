// The embedded store's dense half. Vectors are kept quantized: a sign-bit vector per chunk in sqlite-vec (vec0
// bit[D]) for the nearest-neighbour scan, rescored with the int8 vector kept in `dense_cache` under the content key
// it was computed from (model + text), so a chunk whose text comes back (a checkout moved back and forth, a file
// re-indexed or copied) reuses its vector instead of being embedded again. Chunks stored without a vector wait in
// `dense_todo` until the background fill embeds them; search uses dense wherever vectors already exist.
import { createHash } from "node:crypto";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.ts";
import { cosineInt8, fromInt8, toBits, toInt8 } from "./quantize.ts";
import type { DenseBacklog, DenseItem, DenseProgress, Point } from "./types.ts";

/** The layout this code reads and writes; an index with another (float vectors, before) is rebuilt. */
export const DENSE_FORMAT = "bit+int8";

/**
 * Sign-bit neighbours read per result wanted, before int8 rescoring: bits alone rank coarsely, most of all for small
 * models (a 64-dimension vector has only 64 bits). sqlite-vec's cost grows with this k (about 0.2 ms per neighbour
 * over 113k chunks), so it is modest.
 */
const OVERSAMPLE = 3;
const MAX_K = 4096;
/** Cache entries no chunk uses are kept up to this many (or as many as are in use, if more), least recently used go. */
const SPARE_CACHE = 50_000;

/** The cache key of a vector: 16 bytes of SHA-256 of its content key (a hex string, or any text). */
function keyBytes(key: string): Buffer {
  return /^[0-9a-f]{32}$/.test(key) ? Buffer.from(key, "hex") : createHash("sha256").update(key).digest().subarray(0, 16);
}

export class SqliteDense implements DenseBacklog {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly stmt: (sql: string) => SqliteStatement,
    private readonly chunkColumns: string,
    private readonly toPoint: (row: never) => Point,
  ) {}

  /** Tables that outlive a rebuild: the cache is keyed by model, so switching models back loses nothing. */
  static createCache(db: SqliteDatabase): void {
    db.exec("CREATE TABLE IF NOT EXISTS dense_cache (key BLOB PRIMARY KEY, vector BLOB NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID");
  }

  static createTables(db: SqliteDatabase, dimension: number): void {
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vec USING vec0(embedding bit[${Math.ceil(dimension / 8) * 8}], repo text partition key);
      CREATE TABLE IF NOT EXISTS chunk_dense (rowid INTEGER PRIMARY KEY, key BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS chunk_dense_key ON chunk_dense (key);
      CREATE TABLE IF NOT EXISTS dense_todo (rowid INTEGER PRIMARY KEY);
    `);
  }

  static dropTables(db: SqliteDatabase): void {
    db.exec("DROP TABLE IF EXISTS chunks_vec; DROP TABLE IF EXISTS chunk_dense; DROP TABLE IF EXISTS dense_todo;");
  }

  /** A new chunk row: its vector stored when it came with one (memories), else it waits for the fill. */
  added(rowid: number, p: Point): void {
    if (p.vector) this.store(rowid, p.repo, p.vector_key ?? `point:${p.id}`, p.vector);
    else this.stmt("INSERT OR IGNORE INTO dense_todo (rowid) VALUES (?)").run(rowid);
  }

  removed(rowid: number): void {
    this.stmt("DELETE FROM chunks_vec WHERE rowid = ?").run(BigInt(rowid));
    this.stmt("DELETE FROM chunk_dense WHERE rowid = ?").run(rowid);
    this.stmt("DELETE FROM dense_todo WHERE rowid = ?").run(rowid);
  }

  private store(rowid: number, repo: string, key: string, vector: Float32Array): void {
    const k = keyBytes(key);
    this.stmt("INSERT OR REPLACE INTO dense_cache (key, vector, used_at) VALUES (?, ?, ?)").run(k, toInt8(vector), Date.now());
    this.stmt("INSERT OR REPLACE INTO chunk_dense (rowid, key) VALUES (?, ?)").run(rowid, k);
    // vec0 has no upsert: a vector written again (a retried batch) replaces the old one.
    this.stmt("DELETE FROM chunks_vec WHERE rowid = ?").run(BigInt(rowid));
    this.stmt("INSERT INTO chunks_vec (rowid, embedding, repo) VALUES (?, vec_bit(?), ?)").run(BigInt(rowid), toBits(vector), repo);
    this.stmt("DELETE FROM dense_todo WHERE rowid = ?").run(rowid);
  }

  /**
   * Nearest chunks by the sign bits, then rescored by cosine with their int8 vectors; `keep` applies the caller's
   * filter to the candidate rowids. Best first, at most `limit`.
   */
  search(vector: Float32Array, repo: string | undefined, k: number, keep: (rowids: number[]) => Set<number>, overFetched = false): { rowid: number; score: number }[] {
    // A k already raised for a selective filter holds enough candidates to rescore; raising it again costs scan time.
    const bitsK = Math.min(MAX_K, overFetched ? k : k * OVERSAMPLE);
    const bits = toBits(vector);
    const knn = (repo
      ? this.stmt("SELECT rowid FROM chunks_vec WHERE embedding MATCH vec_bit(?) AND k = ? AND repo = ?").all(bits, bitsK, repo)
      : this.stmt("SELECT rowid FROM chunks_vec WHERE embedding MATCH vec_bit(?) AND k = ?").all(bits, bitsK)) as { rowid: number | bigint }[];
    if (!knn.length) return [];
    const kept = keep(knn.map((r) => Number(r.rowid)));
    if (!kept.size) return [];
    const rows = this.stmt(
      "SELECT d.rowid AS rowid, c.vector AS vector FROM chunk_dense d JOIN dense_cache c ON c.key = d.key WHERE d.rowid IN (SELECT value FROM json_each(?))",
    ).all(JSON.stringify([...kept])) as { rowid: number; vector: Uint8Array }[];
    return rows
      .map((r) => ({ rowid: Number(r.rowid), score: cosineInt8(vector, r.vector) }))
      .sort((a, b) => b.score - a.score);
  }

  async pendingDense(limit: number): Promise<Point[]> {
    const rows = this.stmt(`SELECT ${this.chunkColumns} FROM dense_todo t JOIN chunks c ON c.rowid = t.rowid ORDER BY t.rowid LIMIT ?`).all(limit);
    return (rows as never[]).map((r) => this.toPoint(r));
  }

  async putDense(items: DenseItem[]): Promise<number> {
    const byId = this.stmt("SELECT rowid, repo FROM chunks WHERE id = ?");
    let stored = 0;
    this.db.transaction(() => {
      for (const it of items) {
        // The chunk may have been replaced while its vector was computed: then the new one is in the backlog.
        const row = byId.get(it.id) as { rowid: number; repo: string } | undefined;
        if (!row) continue;
        this.store(Number(row.rowid), row.repo, it.key, it.vector);
        stored++;
      }
    }).immediate();
    return stored;
  }

  async cachedDense(keys: string[]): Promise<Map<string, Float32Array>> {
    const get = this.stmt("SELECT vector FROM dense_cache WHERE key = ?");
    const out = new Map<string, Float32Array>();
    for (const key of keys) {
      const row = get.get(keyBytes(key)) as { vector: Uint8Array } | undefined;
      if (row) out.set(key, fromInt8(row.vector));
    }
    return out;
  }

  async denseProgress(repo?: string): Promise<DenseProgress> {
    const where = repo ? "AND c.repo = ?" : "";
    const args = repo ? [repo] : [];
    const total = (this.stmt(`SELECT COUNT(*) AS n FROM chunks c WHERE c.kind != 'memory' ${where}`).get(...args) as { n: number }).n;
    const pending = (this.stmt(`SELECT COUNT(*) AS n FROM dense_todo t JOIN chunks c ON c.rowid = t.rowid WHERE 1 ${where}`).get(...args) as { n: number }).n;
    return { done: Number(total) - Number(pending), total: Number(total) };
  }

  /** Drops cached vectors no chunk uses beyond SPARE_CACHE (or as many as are in use), least recently used first. */
  async pruneDense(): Promise<number> {
    const used = (this.stmt("SELECT COUNT(*) AS n FROM chunk_dense").get() as { n: number }).n;
    const all = (this.stmt("SELECT COUNT(*) AS n FROM dense_cache").get() as { n: number }).n;
    const spare = Number(all) - Number(used);
    const excess = spare - Math.max(SPARE_CACHE, Number(used));
    if (excess <= 0) return 0;
    const info = this.stmt(
      `DELETE FROM dense_cache WHERE key IN (SELECT key FROM dense_cache WHERE key NOT IN (SELECT key FROM chunk_dense) ORDER BY used_at LIMIT ?)`,
    ).run(excess);
    return Number(info.changes);
  }
}
