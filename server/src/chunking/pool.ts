// Chunking on worker threads. Parsing is CPU-bound wasm (about 3-12 MB/s per core depending on the grammar),
// so an indexer that wants more than one core's worth sends files here; each worker loads its grammars once.
import os from "node:os";
import type { Worker } from "node:worker_threads";
import { chunkFile, type ChunkInput, type ChunkOptions } from "./chunk-file.ts";
import type { FileChunk } from "./types.ts";
import { prepareFile, type PrepareJob, type PreparedFile } from "../indexer/prepare-file.ts";
import { jobPath, runJob, type ChunkJob, type ChunkReply, type WorkerData } from "./jobs.ts";
import { workerSpawner } from "../worker-spawn.ts";

export interface Chunker {
  chunkFile(input: ChunkInput, opts: ChunkOptions): Promise<FileChunk[]>;
  /** A file read, hashed, chunked and tokenized for the indexer, so the calling thread only stores it. */
  prepareFile(job: PrepareJob, size?: number): Promise<PreparedFile>;
  /** Starts the workers now, ahead of the first job (they load their code meanwhile). */
  warm(): void;
  /** Worker threads in use; 0 = chunking runs on the calling thread. */
  readonly threads: number;
  /** Stops the workers; jobs still running are finished first. */
  close(): Promise<void>;
}

export interface ChunkerOptions {
  /** Worker threads (default: one per CPU). 0 chunks on the calling thread. */
  threads?: number;
  /** A worker whose parser memory grew past this is replaced by a fresh one (default RETIRE_ABOVE_BYTES). */
  retireAboveBytes?: number;
}

interface Pending {
  job: ChunkJob;
  bytes: number;
  resolve: (reply: ChunkReply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  bytes: number;
  /** Out of the pool (its parser memory grew too far, or it died): it takes no more jobs, and ends once it has none. */
  retired: boolean;
}

// After this many workers die without finishing a job, the pool stops spawning and chunks in-process.
const MAX_FAILED_STARTS = 3;
/**
 * A worker's tree-sitter memory grows to what its largest parse needed and never shrinks (up to 120 MB per worker on
 * the bench:index corpus, from 32 MB): past this bound the worker is replaced, which costs a thread start and its
 * grammars' loads, a few times per large index.
 */
export const RETIRE_ABOVE_BYTES = 64 * 1024 * 1024;
/**
 * A worker's young generation, in MB (V8's default lets it grow to 48): a worker's garbage is short-lived (a file's
 * chunks, gone once posted), so small semi-spaces cost little scavenging and save ~30 MB of RSS per worker.
 */
const WORKER_YOUNG_GENERATION_MB = 6;

export function createChunker(options: ChunkerOptions = {}): Chunker {
  const wanted = options.threads ?? os.availableParallelism();
  const data: WorkerData = { retireAboveBytes: options.retireAboveBytes ?? RETIRE_ABOVE_BYTES };
  const entry = { from: import.meta.url, source: "./worker.ts", bundled: "./chunk-worker.js" };
  const spawn = wanted > 0 ? workerSpawner(entry, data, { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB }) : null;
  return spawn ? new WorkerChunker(wanted, spawn) : inProcess();
}

function inProcess(): Chunker {
  return { chunkFile, prepareFile: (job) => prepareFile(job), warm: () => {}, threads: 0, close: async () => {} };
}

class WorkerChunker implements Chunker {
  private slots: Slot[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  /** Retired workers still ending. */
  private readonly ending = new Set<Promise<unknown>>();
  private nextId = 1;
  private failedStarts = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly spawn: () => Worker,
  ) {}

  get threads(): number {
    return this.failedStarts >= MAX_FAILED_STARTS ? 0 : this.size;
  }

  chunkFile(input: ChunkInput, opts: ChunkOptions): Promise<FileChunk[]> {
    if (this.closed) return Promise.reject(new Error("chunker is closed"));
    const slot = this.threads > 0 ? this.leastBusy() : null;
    if (!slot) return chunkFile(input, opts);
    return this.send(slot, { id: this.nextId++, input, opts }, input.text.length).then((r) => ("chunks" in r ? r.chunks : []));
  }

  prepareFile(job: PrepareJob, size = 0): Promise<PreparedFile> {
    if (this.closed) return Promise.reject(new Error("chunker is closed"));
    const slot = this.threads > 0 ? this.leastBusy() : null;
    if (!slot) return prepareFile(job);
    return this.send(slot, { id: this.nextId++, prepare: job }, size).then((r) => {
      if (!("prepared" in r)) throw new Error(`preparing ${job.path} gave no result`);
      return r.prepared;
    });
  }

  warm(): void {
    if (this.closed || this.threads === 0) return;
    try {
      while (this.slots.length < this.size) this.start();
    } catch {
      this.failedStarts = MAX_FAILED_STARTS;
    }
  }

  private send(slot: Slot, job: ChunkJob, bytes: number): Promise<ChunkReply> {
    const result = new Promise<ChunkReply>((resolve, reject) => {
      slot.pending.set(job.id, { job, bytes, resolve, reject });
      slot.bytes += bytes;
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage(job);
    });
    this.inflight.add(result);
    const forget = () => this.inflight.delete(result);
    result.then(forget, forget);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    const slots = this.slots;
    this.slots = [];
    await Promise.all([...slots.map((s) => s.worker.terminate()), ...this.ending]);
  }

  /** Takes a worker out of the pool: the next job starts a fresh one in its place. */
  private retire(slot: Slot): void {
    slot.retired = true;
    this.slots = this.slots.filter((s) => s !== slot);
  }

  /** A job a retiring worker declined goes to another worker (or this thread, when none can start). */
  private resend(p: Pending): void {
    const slot = this.threads > 0 ? this.leastBusy() : null;
    const reply = slot ? this.send(slot, p.job, p.bytes) : runJob(p.job).then((r): ChunkReply => ({ id: p.job.id, ...r }));
    reply.then(p.resolve, p.reject);
  }

  private leastBusy(): Slot | null {
    if (this.slots.length < this.size) {
      try {
        return this.start();
      } catch {
        // The worker cannot even be created (e.g. its file is unreadable): chunk on this thread from now on.
        this.failedStarts = MAX_FAILED_STARTS;
        return null;
      }
    }
    let best = this.slots[0];
    for (const s of this.slots) if (s.bytes < best.bytes) best = s;
    return best;
  }

  private start(): Slot {
    const worker = this.spawn();
    const slot: Slot = { worker, pending: new Map(), bytes: 0, retired: false };
    let answered = false;
    let exited = false;
    worker.on("message", (reply: ChunkReply) => {
      answered = true;
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      slot.bytes -= p.bytes;
      if (slot.pending.size === 0) slot.worker.unref();
      if ("retire" in reply) this.retire(slot);
      if ("declined" in reply) this.resend(p);
      else if ("error" in reply) p.reject(new Error(`chunking ${jobPath(p.job)} failed: ${reply.error}`));
      else p.resolve(reply);
      if (slot.retired && slot.pending.size === 0 && !exited) {
        exited = true;
        const ended = slot.worker.terminate();
        this.ending.add(ended);
        ended.finally(() => this.ending.delete(ended)).catch(() => {});
      }
    });
    const fail = () => {
      if (exited) return;
      exited = true;
      this.retire(slot);
      if (!answered) this.failedStarts++;
      // No file is lost with the worker: what it held is chunked again on this thread.
      for (const p of slot.pending.values()) runJob(p.job).then((r) => p.resolve({ id: p.job.id, ...r }), p.reject);
      slot.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}
