// Keeps one root's index fresh: chokidar events are debounced into batches, one batch at a time; a failing store
// keeps the batch and retries with backoff; ignore-file edits re-scan; a restart reconciles with a full scan.
import chokidar, { type FSWatcher } from "chokidar";
import path from "node:path";
import { discoverFiles, EXCLUDED_DIRS, IGNORE_FILES } from "../files/index.ts";
import type { Engine } from "../engine.ts";
import type { Logger } from "../log/index.ts";

export interface WatcherOptions {
  engine: Pick<Engine, "root" | "repo" | "indexer" | "state" | "index" | "store" | "denseBackground">;
  log: Logger;
  debounceMs: number;
  /** A batch never waits longer than this under a continuous stream of events. */
  maxWaitMs?: number;
  /** Above this many pending paths, a batch is a full incremental scan (a branch switch). */
  rescanThreshold?: number;
  /** Backoff bounds for a failing store. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Rescan (size + mtime) this often: the safety net for writes that deliver no file events (NFS, CephFS, EFS). 0 = never. */
  reconcileMs?: number;
  /** Poll the file system at this interval instead of inotify (writers on other NFS clients). 0 = inotify. */
  pollMs?: number;
  /** false: no file watching at all; only notify(), requestRescan() and reconciles (WATCH_FILE_EVENTS=off). */
  fileEvents?: boolean;
}

export interface BatchReport {
  files: number;
  points: number;
  removed: number;
  moved: number;
  ms: number;
  rescan: boolean;
}

export class Watcher {
  private fsw: FSWatcher | undefined;
  private changed = new Set<string>();
  private deletedDirs = new Set<string>();
  /** New folders: their files are listed at batch time, since events for files moved into a brand-new folder can be missed. */
  private addedDirs = new Set<string>();
  private rescan = false;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private running: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(r: BatchReport) => void>();

  constructor(private readonly o: WatcherOptions) {}

  /** Catches up with everything that changed while no watcher ran, then watches. */
  async start(): Promise<void> {
    // Watch first, then reconcile: a file written during the startup scan is queued, not missed; the batch that
    // follows the scan re-checks it (indexing is idempotent).
    await this.watch();
    const scan = this.o.engine.index().then((report) => {
      this.o.log.info("startup reconciliation done", { indexed: report.indexed, removed: report.removed, moved: report.moved, ms: report.ms });
    });
    this.running = scan;
    try {
      await scan;
    } finally {
      this.running = undefined;
    }
    this.o.engine.state.update({ status: "watching", current_file: null }, true);
    // Search already works (lexical); dense vectors fill in behind it, on one core, between batches.
    this.o.engine.denseBackground.kick();
    if (this.pending) this.schedule();
    if (this.o.reconcileMs) {
      this.reconcileTimer = setInterval(() => this.requestRescan("reconcile"), this.o.reconcileMs);
      this.reconcileTimer.unref();
    }
  }

  /**
   * Paths (relative to the root) that another process wrote or deleted, e.g. the uploader on another node of
   * shared storage, where no file event reaches this watcher. Returns how many were queued; a path that is
   * absolute or leaves the root is refused by throwing, before anything is queued.
   */
  notify(paths: string[]): number {
    const rels = paths.map((p) => {
      const rel = path.posix.normalize(String(p).replace(/\\/g, "/"));
      if (!rel || rel === "." || path.posix.isAbsolute(rel) || rel === ".." || rel.startsWith("../")) {
        throw new Error(`path ${JSON.stringify(p)} is not inside ${this.o.engine.root}: give paths relative to the repository root`);
      }
      return rel;
    });
    for (const rel of rels) {
      if (rel.split("/").some((seg) => EXCLUDED_DIRS.has(seg))) continue;
      if (IGNORE_FILES.includes(path.posix.basename(rel))) this.rescan = true;
      this.changed.add(rel);
    }
    if (rels.length) this.schedule();
    return rels.length;
  }

  /** A full incremental scan (unchanged files are skipped by size and mtime) as the next batch. */
  requestRescan(why: string): void {
    if (this.stopped) return;
    this.o.log.debug("rescan requested", { why });
    this.rescan = true;
    this.schedule();
  }

  /** Called after each batch (tests and benchmarks wait on it). */
  onBatch(fn: (r: BatchReport) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get pending(): number {
    return this.changed.size + this.deletedDirs.size + this.addedDirs.size + (this.rescan ? 1 : 0);
  }

  private async watch(): Promise<void> {
    if (this.o.fileEvents === false) return;
    const root = this.o.engine.root;
    const fsw = chokidar.watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      ...(this.o.pollMs ? { usePolling: true, interval: this.o.pollMs, binaryInterval: this.o.pollMs } : {}),
      ignored: (p: string) => {
        const rel = path.relative(root, p);
        return rel.split(path.sep).some((seg) => EXCLUDED_DIRS.has(seg));
      },
    });
    fsw.on("add", (p) => this.queue(p));
    fsw.on("change", (p) => this.queue(p));
    fsw.on("unlink", (p) => this.queue(p));
    fsw.on("unlinkDir", (p) => this.queueDir(p));
    fsw.on("addDir", (p) => {
      const rel = this.rel(p);
      if (!rel || rel.startsWith("..")) return;
      this.addedDirs.add(rel);
      this.schedule();
    });
    fsw.on("error", (e) => this.o.log.warn("file watcher error", { error: String((e as Error).message ?? e) }));
    await new Promise<void>((resolve) => fsw.once("ready", () => resolve()));
    this.fsw = fsw;
  }

  private rel(p: string): string {
    return path.relative(this.o.engine.root, p).split(path.sep).join("/");
  }

  private queue(abs: string): void {
    const rel = this.rel(abs);
    if (!rel || rel.startsWith("..")) return;
    if (IGNORE_FILES.includes(path.basename(rel))) this.rescan = true;
    this.changed.add(rel);
    this.schedule();
  }

  private queueDir(abs: string): void {
    const rel = this.rel(abs);
    if (!rel || rel.startsWith("..")) return;
    this.deletedDirs.add(rel);
    this.schedule();
  }

  private schedule(delay = this.o.debounceMs): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.firstPendingAt) this.firstPendingAt = now;
    const maxWait = this.o.maxWaitMs ?? Math.max(5000, this.o.debounceMs * 4);
    const wait = Math.max(0, Math.min(delay, this.firstPendingAt + maxWait - now));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), wait);
  }

  private kick(): void {
    this.timer = undefined;
    if (this.running) return; // the running batch schedules the next one when it ends
    this.running = this.runBatch().finally(() => {
      this.running = undefined;
      if (this.pending && !this.stopped) this.schedule(this.failures ? this.backoff() : this.o.debounceMs);
    });
  }

  private backoff(): number {
    const min = this.o.retryMinMs ?? 1000;
    const max = this.o.retryMaxMs ?? 30_000;
    const base = Math.min(max, min * 2 ** (this.failures - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  private async runBatch(): Promise<void> {
    const changed = [...this.changed];
    const dirs = [...this.deletedDirs];
    const newDirs = [...this.addedDirs];
    const rescan = this.rescan || changed.length > (this.o.rescanThreshold ?? 2000);
    this.changed = new Set();
    this.deletedDirs = new Set();
    this.addedDirs = new Set();
    this.rescan = false;
    this.firstPendingAt = 0;
    const started = Date.now();
    const { engine, log } = this.o;
    try {
      let report: BatchReport;
      if (rescan) {
        const r = await engine.index();
        report = { files: r.indexed, points: r.chunks, removed: r.removed, moved: r.moved, ms: Date.now() - started, rescan: true };
      } else {
        engine.state.update({ status: "indexing", files_done: 0, files_total: changed.length, current_file: null });
        const paths = new Set(changed);
        if (dirs.length) {
          const known = await engine.store.listFiles(engine.repo);
          for (const p of known.keys()) if (dirs.some((d) => p.startsWith(d + "/"))) paths.add(p);
        }
        for (const d of newDirs) {
          const { files } = discoverFiles(engine.root, { maxFileBytes: Number.MAX_SAFE_INTEGER, rules: engine.indexer.rules, under: d });
          for (const f of files) paths.add(f.path);
        }
        const moved = await this.applyRenames(paths);
        const r = await engine.indexer.updatePaths([...paths], {
          onProgress: (p) => p.phase === "indexing" && engine.state.update({ files_done: p.done, files_total: p.total, current_file: p.current ?? null }),
        });
        report = { files: r.indexed, points: r.chunks, removed: r.removed, moved, ms: Date.now() - started, rescan: false };
      }
      this.failures = 0;
      engine.state.update({ status: "watching", current_file: null }, true);
      log.info("batch indexed", { ...report });
      engine.denseBackground.kick();
      for (const fn of this.listeners) fn(report);
    } catch (e) {
      // Keep the work: the same paths go back into the queue and are retried with backoff.
      for (const p of changed) this.changed.add(p);
      for (const d of dirs) this.deletedDirs.add(d);
      for (const d of newDirs) this.addedDirs.add(d);
      if (rescan) this.rescan = true;
      this.failures++;
      const reason = (e as Error).message;
      engine.state.update({ status: "error", error: reason }, true);
      log.warn("batch failed; will retry", { error: reason, attempt: this.failures, pending: this.pending });
    }
  }

  /** A path that vanished and one that appeared with the same content: move points instead of re-embedding. */
  private async applyRenames(paths: Set<string>): Promise<number> {
    const { engine } = this.o;
    const known = await engine.store.listFiles(engine.repo);
    const { existsSync } = await import("node:fs");
    const vanished = new Map<string, string>();
    const appeared: string[] = [];
    for (const p of paths) {
      const exists = existsSync(path.join(engine.root, p));
      const rec = known.get(p);
      if (!exists && rec) vanished.set(rec.hash, p);
      else if (exists && !rec) appeared.push(p);
    }
    if (!vanished.size || !appeared.length) return 0;
    const { readSource } = await import("../files/index.ts");
    let moved = 0;
    for (const to of appeared) {
      const src = readSource(path.join(engine.root, to), Number.MAX_SAFE_INTEGER);
      const from = src.ok ? vanished.get(src.hash) : undefined;
      if (!from) continue;
      if (await engine.indexer.movePath(from, to)) {
        moved++;
        vanished.delete(src.ok ? src.hash : "");
        paths.delete(from);
        paths.delete(to);
      }
    }
    return moved;
  }

  /** Resolves when no batch is running or pending (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.fsw?.close();
  }
}
