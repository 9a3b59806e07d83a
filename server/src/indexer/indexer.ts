// Full and incremental indexing of one repo root into a Store. A file's state is recorded in the same transaction
// as its points, so a crash at any point followed by a rerun converges to the index a clean run gives. A large full
// scan runs in two passes: every file as plain line windows (no parse: all searchable soon), then its symbol chunks
// in place of the windows; a windows record never passes for done work, so the final index is the one-pass index.
import { lstatSync } from "node:fs";
import path from "node:path";
import { createChunker, type Chunker } from "../chunking/index.ts";
import type { Embedder } from "../embedding/types.ts";
import { discoverFiles, IgnoreRules, readSource, type DiscoveredFile, type Skipped } from "../files/index.ts";
import type { Logger } from "../log/index.ts";
import type { FileRecord, Point, Store } from "../store/types.ts";
import { gitCommit, readFileHistory } from "./history.ts";
import { embeddingText } from "./embedding-text.ts";
import { fromWire, idOf, prepareFile, type PrepareJob, type PreparedFile } from "./prepare-file.ts";

export { idOf, embeddingText };

export interface IndexerOptions {
  root: string;
  repo: string;
  store: Store;
  embedder: Embedder;
  log: Logger;
  microChunks: boolean;
  maxMicroChunks: number;
  maxFileBytes: number;
  /** Worker threads for chunking large runs (default: one per CPU; 0 = always on this thread). */
  chunkThreads?: number;
  /**
   * A full scan with much to do first stores every file as line windows, then replaces them with symbol chunks:
   * "auto" (the default) when at least WINDOWS_FIRST_MIN_FILES files need indexing and the store takes points
   * without vectors; "always" at any size (where the store allows); "never" one pass.
   */
  windowsFirst?: "auto" | "always" | "never";
}

export interface IndexProgress {
  /** "searchable": sent once, when every file of the run can be found (as line windows or as its final chunks). */
  phase: "scanning" | "indexing" | "searchable" | "done";
  /**
   * Which pass the indexing is in: "windows" stores files as plain line windows (no parse), "symbols" replaces them
   * with symbol chunks file by file; a run of one pass (small, or windowsFirst "never") reports "symbols".
   */
  pass?: "windows" | "symbols";
  done: number;
  total: number;
  current?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Only this folder (relative to the root): files elsewhere are neither read nor removed. */
  under?: string;
  onProgress?: (p: IndexProgress) => void;
}

export interface IndexReport {
  scanned: number;
  indexed: number;
  unchanged: number;
  removed: number;
  moved: number;
  chunks: number;
  skipped: Skipped[];
  ms: number;
  /** True when the embedder changed and the index was rebuilt from scratch. */
  rebuilt: boolean;
  /** Ms from the start until every file was searchable, when the run stored line windows first. */
  searchableMs?: number;
}

/** Chunks embedded together: large enough to amortise the embedder's per-call cost, small enough to bound memory. */
const EMBED_BATCH = 256;
/** Runs with more files to read than this chunk on worker threads; small ones (a watcher batch) stay on this thread. */
const POOL_MIN_FILES = 64;
/**
 * Points written in one transaction: each commit flushes an FTS5 segment (and merges older ones), so a few large
 * transactions cost far less than many small ones. A file's record still commits with its points.
 */
const WRITE_BATCH = 4096;
/**
 * Files being prepared (read, chunked, tokenized) ahead of the one being stored, by count and by bytes: enough that the
 * workers stay busy while this thread writes a batch (no job can be sent while it does), few enough to bound the memory
 * results wait in. 512 instead of 32: about 7% less time to symbol-complete on the bench:index corpus (pairs, bundled CLI).
 */
const READ_AHEAD = 512;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
const UNCHANGED: Promise<PreparedFile> = Promise.resolve({ state: "unchanged", hash: "" });
/** "Unchanged since its windows were stored": the file goes on to the symbols pass. */
const WINDOWED_HASH = "(windowed)";
const WINDOWED: Promise<PreparedFile> = Promise.resolve({ state: "unchanged", hash: WINDOWED_HASH });
/** Files to index from which a full scan stores line windows first (below it the symbol pass alone is soon done). */
const WINDOWS_FIRST_MIN_FILES = 256;
/**
 * A file stored as line windows has this before its hash: no content ever matches it, so every later run (a crash
 * between passes, a watcher's batch, a rename) chunks the file again, and the index converges to its symbol chunks.
 */
const WINDOWS_HASH = "windows:";

/** Whether a file's record is that of its line windows, waiting for its symbol chunks. */
export function isWindowsRecord(r: FileRecord): boolean {
  return r.hash.startsWith(WINDOWS_HASH);
}

/** How a run of process() stores files: one pass, the windows pass, or the symbols pass that follows it. */
type Pass = "one" | "windows" | "symbols";

/** A file being prepared, waiting its turn to be stored. */
interface Ahead {
  f: DiscoveredFile;
  result: Promise<PreparedFile>;
}

interface PendingFile {
  record: FileRecord;
  points: Point[];
}

/** Files (re)indexed in one run from which the lexical index is merged afterwards (or a quarter of the files, if more). */
const COMPACT_MIN_FILES = 500;

export class Indexer {
  readonly rules: IgnoreRules;
  private schemaChecked = false;
  private pool: Chunker | undefined;

  constructor(private readonly o: IndexerOptions) {
    this.rules = new IgnoreRules(o.root);
  }

  get repo(): string {
    return this.o.repo;
  }

  get root(): string {
    return this.o.root;
  }

  /** Makes sure the store holds vectors of this embedder; a different one means a rebuild, never a mix. */
  async ensureSchema(): Promise<boolean> {
    if (this.schemaChecked) return false;
    const schema = { embedder: this.o.embedder.name, dimension: this.o.embedder.dimension };
    const check = await this.o.store.ensure(schema);
    this.schemaChecked = true;
    if (check.status === "mismatch") {
      this.o.log.warn("the embedder changed: rebuilding the index", { was: check.stored.embedder, now: schema.embedder });
      await this.o.store.recreate(schema);
      return true;
    }
    return false;
  }

  /** Scans the whole root and brings the index in line with it (first run = full index). */
  async indexAll(opts: RunOptions = {}): Promise<IndexReport> {
    const started = Date.now();
    const rebuilt = await this.ensureSchema();
    opts.onProgress?.({ phase: "scanning", done: 0, total: 0 });
    this.rules.reset();
    const under = opts.under ? normalise(opts.under).replace(/\/+$/, "") : "";
    const existing = await this.o.store.listFiles(this.o.repo);
    // A first index: the chunking workers start while the files are found (a worker takes a while to load its code).
    if (existing.size === 0) this.chunker()?.warm();
    const { files, skipped } = discoverFiles(this.o.root, { maxFileBytes: this.o.maxFileBytes, rules: this.rules, under });
    const seen = new Set(files.map((f) => f.path));
    const inScope = (p: string) => !under || p.startsWith(under + "/");
    const gone = [...existing.keys()].filter((p) => inScope(p) && !seen.has(p));
    const report: IndexReport = { scanned: files.length, indexed: 0, unchanged: 0, removed: 0, moved: 0, chunks: 0, skipped, ms: 0, rebuilt };

    // A file that vanished while one with its exact content appeared was renamed: move its points, don't re-embed.
    const goneByHash = new Map<string, string>();
    for (const p of gone) goneByHash.set(existing.get(p)!.hash, p);

    const twoPass = this.windowsFirst(files, existing);
    const { movedFrom, windowed } = await this.process(files, existing, report, opts, goneByHash, twoPass ? "windows" : "one");
    const stillGone = gone.filter((p) => !movedFrom.has(p));
    await this.o.store.removeFiles(this.o.repo, stillGone);
    report.removed += stillGone.length;
    if (twoPass) {
      report.searchableMs = Date.now() - started;
      opts.onProgress?.({ phase: "searchable", done: files.length, total: files.length });
      // The symbols pass: each file's windows give way to its symbol chunks in the transaction that stores them.
      const records = await this.records(windowed.map((f) => f.path));
      await this.process(windowed, records, report, opts, new Map(), "symbols");
    }
    // A large write leaves the lexical index in many segments (and, after the windows pass, full of deleted
    // entries): merged once, a short query reads about 7% less (113k chunks; 0.4 s to merge).
    if (this.o.store.compact && (twoPass || report.indexed >= Math.max(COMPACT_MIN_FILES, files.length / 4))) {
      const t = Date.now();
      await this.o.store.compact();
      this.o.log.debug("lexical index merged", { ms: Date.now() - t });
    }
    await this.refreshHistory();
    report.ms = Date.now() - started;
    opts.onProgress?.({ phase: "done", done: files.length, total: files.length });
    return report;
  }

  /**
   * Whether this scan stores line windows first: when many files need indexing (a first index, a branch switch) and
   * the store takes points without vectors, so that windows cost no embedding (the dense phase follows the symbols).
   */
  private windowsFirst(files: DiscoveredFile[], existing: Map<string, FileRecord>): boolean {
    const mode = this.o.windowsFirst ?? "auto";
    if (mode === "never" || (this.o.embedder.dimension > 0 && !this.o.store.dense)) return false;
    if (mode === "always") return true;
    let todo = 0;
    for (const f of files) {
      const before = existing.get(f.path);
      if (!before || isWindowsRecord(before) || before.size !== f.size || before.mtime_ms !== f.mtimeMs) todo++;
      if (todo >= WINDOWS_FIRST_MIN_FILES) return true;
    }
    return false;
  }

  /**
   * Re-reads what the repository's history says about each indexed file when the root is a git checkout whose HEAD
   * moved since the last read (a branch switch, a pull). Search works without it, so a failure is only a warning.
   */
  private async refreshHistory(): Promise<void> {
    const store = this.o.store;
    if (!store.replaceFileHistory || !store.fileHistoryHead) return;
    try {
      const head = await gitCommit(this.o.root);
      if (!head || head === (await store.fileHistoryHead(this.o.repo))) return;
      const indexed = await store.listFiles(this.o.repo);
      const history = await readFileHistory(this.o.root, (p) => indexed.has(p), head);
      if (history) await store.replaceFileHistory(this.o.repo, history.head, history.words);
    } catch (e) {
      this.o.log.warn("could not read the repository's git history; ranking goes without it", { root: this.o.root, error: (e as Error).message });
    }
  }

  /** Re-indexes these paths (relative to the root): changed ones re-chunked, vanished or ignored ones removed. */
  async updatePaths(paths: string[], opts: RunOptions = {}): Promise<IndexReport> {
    const started = Date.now();
    const rebuilt = await this.ensureSchema();
    const existing = await this.records([...new Set(paths.map(normalise))]);
    const present: DiscoveredFile[] = [];
    const removed: string[] = [];
    const skipped: Skipped[] = [];
    for (const rel of new Set(paths.map(normalise))) {
      const abs = path.join(this.o.root, rel);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        st = undefined;
      }
      if (!st || !st.isFile() || this.rules.ignores(rel, false)) {
        if (st?.isSymbolicLink() && !this.rules.ignores(rel, false)) skipped.push({ path: rel, reason: "symlink" });
        if (existing.has(rel)) removed.push(rel);
        continue;
      }
      if (st.size > this.o.maxFileBytes) {
        skipped.push({ path: rel, reason: "too-large" });
        if (existing.has(rel)) removed.push(rel);
        continue;
      }
      present.push({ path: rel, abs, size: st.size, mtimeMs: st.mtimeMs });
    }
    const report: IndexReport = { scanned: present.length, indexed: 0, unchanged: 0, removed: 0, moved: 0, chunks: 0, skipped, ms: 0, rebuilt };
    await this.o.store.removeFiles(this.o.repo, removed);
    report.removed = removed.length;
    await this.process(present, existing, report, opts, new Map(), "one");
    report.ms = Date.now() - started;
    return report;
  }

  /** A rename: when the content is unchanged the points move without re-embedding; returns whether they did. */
  async movePath(from: string, to: string): Promise<boolean> {
    await this.ensureSchema();
    from = normalise(from);
    to = normalise(to);
    const old = (await this.records([from])).get(from);
    const read = old ? readSource(path.join(this.o.root, to), this.o.maxFileBytes) : undefined;
    if (old && read?.ok && read.hash === old.hash && !this.rules.ignores(to, false)) {
      const st = lstatSync(path.join(this.o.root, to));
      const rec: FileRecord = { ...old, path: to, mtime_ms: st.mtimeMs, size: st.size, indexed_at: Date.now() };
      if (await this.o.store.moveFile(this.o.repo, from, rec, idOf)) return true;
    }
    await this.updatePaths([from, to]);
    return false;
  }

  private async process(
    files: DiscoveredFile[],
    existing: Map<string, FileRecord>,
    report: IndexReport,
    opts: RunOptions,
    goneByHash: Map<string, string>,
    pass: Pass,
  ): Promise<{ movedFrom: Set<string>; windowed: DiscoveredFile[] }> {
    const movedFrom = new Set<string>();
    /** Files the windows pass stored as line windows (or found so from an earlier run): the symbols pass's work. */
    const windowed: DiscoveredFile[] = [];
    const progressPass = pass === "windows" ? "windows" : "symbols";
    let pending: PendingFile[] = [];
    let pendingChunks = 0;
    let unembedded: Point[] = [];
    let done = 0;
    const total = files.length;
    const embed = async () => {
      if (!unembedded.length) return;
      const batch = unembedded;
      unembedded = [];
      await this.embed(batch);
    };
    const flush = async () => {
      if (!pending.length) return;
      await embed();
      if (this.o.store.replaceFiles) await this.o.store.replaceFiles(pending.map((f) => ({ file: f.record, points: f.points })));
      else for (const f of pending) await this.o.store.replaceFile(f.record, f.points);
      for (const f of pending) {
        if (isWindowsRecord(f.record)) continue; // counted when its symbol chunks are stored
        report.indexed++;
        report.chunks += f.points.length;
      }
      pending = [];
      pendingChunks = 0;
    };
    const chunker = files.length > POOL_MIN_FILES ? this.chunker() : undefined;
    const chunkOpts = { microChunks: this.o.microChunks, maxMicroChunks: this.o.maxMicroChunks };
    const prepare = (f: DiscoveredFile): Ahead => {
      const before = existing.get(f.path);
      const sameStat = before !== undefined && before.size === f.size && before.mtime_ms === f.mtimeMs;
      const windows = before !== undefined && isWindowsRecord(before);
      // A file whose windows an earlier run stored (and which has not changed since) waits for the symbols pass.
      if (sameStat && (!windows || pass === "windows")) return { f, result: windows ? WINDOWED : UNCHANGED };
      const job: PrepareJob = {
        repo: this.o.repo, path: f.path, abs: f.abs, maxBytes: this.o.maxFileBytes, knownHash: windows ? undefined : before?.hash, opts: chunkOpts,
        ...(pass === "windows" ? { windowsOnly: true } : {}),
      };
      return { f, result: chunker ? chunker.prepareFile(job, f.size) : prepareFile(job) };
    };
    const ahead: Ahead[] = [];
    let aheadBytes = 0;
    let next = 0;
    while (next < files.length || ahead.length) {
      while (next < files.length && (ahead.length === 0 || (ahead.length < READ_AHEAD && aheadBytes < READ_AHEAD_BYTES))) {
        aheadBytes += files[next]!.size;
        ahead.push(prepare(files[next++]!));
      }
      const { f, result } = ahead.shift()!;
      aheadBytes -= f.size;
      if (opts.signal?.aborted) {
        await Promise.allSettled(ahead.map((a) => a.result));
        await flush();
        throw new IndexCancelled();
      }
      const item = await result;
      done++;
      const before = existing.get(f.path);
      if (item.state === "unchanged") {
        if (item.hash === WINDOWED_HASH) windowed.push(f);
        else report.unchanged++;
        continue;
      }
      if (item.state === "unreadable") {
        report.skipped.push({ path: f.path, reason: item.reason });
        if (before) {
          await this.o.store.removeFiles(this.o.repo, [f.path]);
          report.removed++;
        }
        continue;
      }
      const renamedFrom = !before ? goneByHash.get(item.hash) : undefined;
      if (renamedFrom && !movedFrom.has(renamedFrom)) {
        const rec: FileRecord = { repo: this.o.repo, path: f.path, hash: item.hash, size: f.size, mtime_ms: f.mtimeMs, chunks: existing.get(renamedFrom)!.chunks, indexed_at: Date.now() };
        if (await this.o.store.moveFile(this.o.repo, renamedFrom, rec, idOf)) {
          movedFrom.add(renamedFrom);
          report.moved++;
          continue;
        }
      }
      const points = fromWire(item.points);
      if (item.windows) windowed.push(f);
      const hash = item.windows ? WINDOWS_HASH + item.hash : item.hash;
      pending.push({
        record: { repo: this.o.repo, path: f.path, hash, size: f.size, mtime_ms: f.mtimeMs, chunks: points.length, indexed_at: Date.now() },
        points,
      });
      pendingChunks += points.length;
      // A store with a dense backlog takes the points without vectors: the dense phase (dense-fill.ts) embeds them
      // after the lexical index is searchable. (Windows are never embedded: with such a store there is no windows pass.)
      if (this.o.embedder.dimension > 0 && !this.o.store.dense) {
        for (const p of points) unembedded.push(p);
        if (unembedded.length >= EMBED_BATCH) await embed();
      }
      opts.onProgress?.({ phase: "indexing", pass: progressPass, done, total, current: f.path });
      if (pendingChunks >= WRITE_BATCH) await flush();
    }
    await flush();
    opts.onProgress?.({ phase: "indexing", pass: progressPass, done, total });
    return { movedFrom, windowed };
  }

  /** The stored records of some paths, without reading the whole repo's list when the store can say. */
  private records(paths: string[]): Promise<Map<string, FileRecord>> {
    return this.o.store.fileRecords ? this.o.store.fileRecords(this.o.repo, paths) : this.o.store.listFiles(this.o.repo);
  }

  private chunker(): Chunker | undefined {
    if ((this.o.chunkThreads ?? 1) === 0) return undefined;
    this.pool ??= createChunker(this.o.chunkThreads !== undefined ? { threads: this.o.chunkThreads } : {});
    return this.pool;
  }

  /** Stops the chunking workers, if any ran. */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  private async embed(points: Point[]): Promise<void> {
    const vectors = await this.o.embedder.embed(points.map(embeddingText));
    points.forEach((p, i) => (p.vector = vectors[i]));
  }
}

export class IndexCancelled extends Error {
  constructor() {
    super("indexing was cancelled");
    this.name = "IndexCancelled";
  }
}

function normalise(p: string): string {
  return p.split(path.sep).join("/").replace(/^\.\/+/, "").replace(/^\/+/, "");
}
