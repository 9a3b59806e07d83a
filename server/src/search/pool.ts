// Searches on worker threads, so the serving thread stays free to answer while they run. Each worker opens the SQLite
// index read-only (WAL: readers neither block the writer nor each other) and runs the same SearchEngine; the query's
// dense vector is computed here, once, by the process's embedder. Calls reach the workers through fair lanes (one per
// client, served round robin) and are counted, so the server can refuse at once what it could not answer in time.
import os from "node:os";
import type { Worker } from "node:worker_threads";
import { queryVector, type Embedder } from "../embedding/types.ts";
import type { Logger } from "../log/index.ts";
import { denseQueryText, type CodeSearch, type SearchEngine, type SearchOptions, type SearchResponse } from "./engine.ts";
import { DEFAULT_ADMISSION, FairQueue, LoadGauge, type AdmissionLimits, type Refusal } from "./lanes.ts";
import { queryLengthProblem } from "./linear-scan.ts";
import { parseQuery } from "./query.ts";
import { workerSpawner } from "../worker-spawn.ts";

/** What a worker opens, once. */
export interface WorkerSetup {
  location: string;
  driver: "better-sqlite3" | "node-sqlite";
  dimension: number;
  defaultRepo: string | undefined;
}

export interface WorkerJob {
  id: number;
  raw: string;
  opts: SearchOptions;
  /** The query's dense vector (computed on the serving thread), when the index has vectors. */
  vector?: Float32Array;
}

export type WorkerReply = { id: number; response: SearchResponse } | { id: number; error: string };

export interface SearchPoolOptions {
  /** The engine on this thread: it searches when no worker can run (and is what the workers reproduce). */
  local: SearchEngine;
  /** The SQLite index the workers open read-only; absent (a Qdrant store): every search runs on this thread. */
  sqlite?: { location: string; driver: "better-sqlite3" | "node-sqlite" };
  embedder: Embedder;
  defaultRepo?: string;
  /** Worker threads (default: one per CPU, at most 4); 0 searches on this thread, still in fair turns. */
  threads?: number;
  admission?: Partial<AdmissionLimits>;
  log: Logger;
}

export interface PoolStats {
  threads: number;
  /** Calls in flight (queued or running) and queued only. */
  calls: number;
  queued: number;
  refused: number;
  average_ms: number;
}

export interface SearchPool extends CodeSearch {
  /** Undefined when a new search of `lane` may enter; else why not and when to come back. */
  admit(lane: string): Refusal | undefined;
  stats(): PoolStats;
  close(): Promise<void>;
}

interface Job {
  lane: string;
  raw: string;
  opts: SearchOptions;
  vector: Float32Array | undefined;
  resolve: (r: SearchResponse) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker?: Worker;
  /** The job it runs, and when it took it. */
  job?: Job & { id: number; started: number };
  answered: boolean;
  /** Jobs it finished: a worker's first one (opening the index, a cold cache) says nothing of the next ones' time. */
  finished?: number;
}

/** After this many workers die without answering, the pool stops spawning and searches on this thread. */
const MAX_FAILED_STARTS = 3;
const MAX_DEFAULT_THREADS = 4;
/** Searches of a remote store (Qdrant) in flight at once from this process. */
const REMOTE_CONCURRENCY = 8;

export function startSearchPool(o: SearchPoolOptions): SearchPool {
  const wanted = o.threads ?? Math.min(MAX_DEFAULT_THREADS, os.availableParallelism());
  const spawn = o.sqlite && wanted > 0
    ? workerSpawner(
        { from: import.meta.url, source: "./worker.ts", bundled: "./search-worker.js" },
        { ...o.sqlite, dimension: o.embedder.dimension, defaultRepo: o.defaultRepo } satisfies WorkerSetup,
      )
    : null;
  // Without workers: a SQLite search holds this thread anyway (one at a time); a remote store's (Qdrant) waits on the
  // network, so several run at once.
  return new WorkerSearchPool(o, spawn ? wanted : 0, spawn, o.sqlite ? 1 : REMOTE_CONCURRENCY);
}

class WorkerSearchPool implements SearchPool {
  private readonly queue = new FairQueue<Job>();
  private readonly gauge: LoadGauge;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private failedStarts = 0;
  private closed = false;

  constructor(
    private readonly o: SearchPoolOptions,
    private readonly threads: number,
    private readonly spawn: (() => Worker) | null,
    private readonly localSlots: number,
  ) {
    this.gauge = new LoadGauge(threads || localSlots, { ...DEFAULT_ADMISSION, ...o.admission });
  }

  /** The workers start with the first search (a server that never searches starts none); none: this thread searches. */
  private ensureSlots(): void {
    if (this.slots.length) return;
    for (let i = 0; i < this.threads; i++) this.slots.push(this.startWorker());
    if (!this.threads) for (let i = 0; i < this.localSlots; i++) this.slots.push({ answered: true });
  }

  admit(lane: string): Refusal | undefined {
    return this.gauge.admit(lane);
  }

  stats(): PoolStats {
    return {
      threads: this.slots.filter((s) => s.worker).length,
      calls: this.gauge.calls,
      queued: this.queue.size,
      refused: this.gauge.refused,
      average_ms: Math.round(this.gauge.averageMs * 100) / 100,
    };
  }

  async search(raw: string, opts: SearchOptions = {}, lane = ""): Promise<SearchResponse> {
    if (this.closed) throw new Error("the search pool is closed");
    // Refused here as the engine would, before any work is queued.
    const tooLong = queryLengthProblem(raw);
    if (tooLong) throw new Error(tooLong);
    this.ensureSlots();
    this.gauge.enter(lane);
    try {
      const vector = await this.vectorOf(raw);
      return await new Promise<SearchResponse>((resolve, reject) => {
        this.queue.push(lane, { lane, raw, opts, vector, resolve, reject });
        this.pump();
      });
    } finally {
      this.gauge.leave(lane);
    }
  }

  /** The query's dense vector, computed on this thread with the process's one embedder. */
  private async vectorOf(raw: string): Promise<Float32Array | undefined> {
    if (this.o.embedder.dimension === 0) return undefined;
    const text = denseQueryText(parseQuery(raw));
    return text === undefined ? undefined : queryVector(this.o.embedder, text);
  }

  /** Hands queued jobs to idle slots, in the lanes' round-robin order. */
  private pump(): void {
    for (const slot of this.slots) {
      if (!this.queue.size) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = { ...job, id: this.nextId++, started: performance.now() };
      if (slot.worker) {
        slot.worker.ref();
        slot.worker.postMessage({ id: slot.job.id, raw: job.raw, opts: job.opts, ...(job.vector ? { vector: job.vector } : {}) } satisfies WorkerJob);
      } else {
        this.o.local.search(job.raw, job.opts).then((r) => this.finish(slot, r), (e: Error) => this.finish(slot, e));
      }
    }
  }

  private finish(slot: Slot, result: SearchResponse | Error): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    slot.worker?.unref();
    slot.finished = (slot.finished ?? 0) + 1;
    if (slot.finished > 1) this.gauge.served(performance.now() - job.started);
    if (result instanceof Error) job.reject(result);
    else job.resolve(result);
    this.pump();
  }

  /** Starts a worker into `slot`; when none can start, the slot searches on this thread. */
  private startWorker(slot: Slot = { answered: false }): Slot {
    let worker: Worker;
    try {
      worker = this.spawn!();
    } catch (e) {
      // The worker cannot even be created (e.g. its file is unreadable): search on this thread.
      this.o.log.warn("search worker could not start; searching on the serving thread", { error: (e as Error).message });
      this.failedStarts = MAX_FAILED_STARTS;
      return slot;
    }
    slot.worker = worker;
    slot.answered = false;
    slot.finished = 0;
    worker.on("message", (reply: WorkerReply) => {
      slot.answered = true;
      if (slot.job?.id !== reply.id) return;
      this.finish(slot, "error" in reply ? new Error(reply.error) : reply.response);
    });
    const fail = (e?: unknown) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      if (!slot.answered) this.failedStarts++;
      const job = slot.job;
      slot.job = undefined;
      if (this.closed) return job?.reject(new Error("the search pool is closed"));
      this.o.log.warn("search worker stopped", { error: e instanceof Error ? e.message : `exit code ${String(e)}` });
      // Its job is not lost: it runs again on a new worker, or on this thread once workers keep failing.
      if (this.failedStarts < MAX_FAILED_STARTS) this.startWorker(slot);
      if (job) this.queue.push(job.lane, job);
      this.pump();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    worker.unref();
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.map((s) => s.worker).filter((w): w is Worker => !!w);
    for (const s of this.slots) s.worker = undefined;
    for (let job = this.queue.shift(); job; job = this.queue.shift()) job.reject(new Error("the search pool is closed"));
    for (const s of this.slots) {
      s.job?.reject(new Error("the search pool is closed"));
      s.job = undefined;
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
