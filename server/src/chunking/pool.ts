// Chunking on worker threads. Parsing is CPU-bound wasm (about 3-12 MB/s per core depending on the grammar),
// so an indexer that wants more than one core's worth sends files here; each worker loads its grammars once.
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { chunkFile, type ChunkInput, type ChunkOptions } from "./chunk-file.ts";
import type { FileChunk } from "./types.ts";
import { prepareFile, type PrepareJob, type PreparedFile } from "../indexer/prepare-file.ts";
import { jobPath, runJob, type ChunkJob, type ChunkReply } from "./jobs.ts";

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
}

// After this many workers die without finishing a job, the pool stops spawning and chunks in-process.
const MAX_FAILED_STARTS = 3;

export function createChunker(options: ChunkerOptions = {}): Chunker {
  const wanted = options.threads ?? os.availableParallelism();
  const spawn = wanted > 0 ? workerSpawner() : null;
  return spawn ? new WorkerChunker(wanted, spawn) : inProcess();
}

function inProcess(): Chunker {
  return { chunkFile, prepareFile: (job) => prepareFile(job), warm: () => {}, threads: 0, close: async () => {} };
}

/**
 * How to start a worker: from the TypeScript source under tsx (tests, `npm run`), or from the bundle's
 * `chunk-worker.js` beside `cli.js`. Null when neither is available.
 */
function workerSpawner(): (() => Worker) | null {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    let tsx: string;
    try {
      tsx = import.meta.resolve("tsx/esm/api");
    } catch {
      return null;
    }
    const source = new URL("./worker.ts", here).href;
    // A worker neither starts from a .ts file nor inherits --import tsx: register tsx in it, then load the source.
    const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(source)}); })`;
    return () => new Worker(boot, { eval: true });
  }
  const bundled = fileURLToPath(new URL("./chunk-worker.js", here));
  return existsSync(bundled) ? () => new Worker(bundled) : null;
}

class WorkerChunker implements Chunker {
  private slots: Slot[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
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
    await Promise.all(slots.map((s) => s.worker.terminate()));
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
    const slot: Slot = { worker, pending: new Map(), bytes: 0 };
    let answered = false;
    worker.on("message", (reply: ChunkReply) => {
      answered = true;
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      slot.bytes -= p.bytes;
      if (slot.pending.size === 0) slot.worker.unref();
      if ("error" in reply) p.reject(new Error(`chunking ${jobPath(p.job)} failed: ${reply.error}`));
      else p.resolve(reply);
    });
    const fail = () => {
      if (!this.slots.includes(slot)) return;
      this.slots = this.slots.filter((s) => s !== slot);
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
