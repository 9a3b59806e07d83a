// The dense phase: after the lexical index is stored (and searchable), the chunks still without a dense vector are
// embedded in small batches, each batch stored in one transaction, so search gains dense results as they come and a
// crash loses at most one batch (the backlog lives in the store; the next run carries on). A vector computed before
// for the same model and text is taken from the store's cache instead of being computed again.
import { createHash } from "node:crypto";
import type { Embedder } from "../embedding/types.ts";
import type { Logger } from "../log/index.ts";
import type { DenseItem, DenseProgress, Point, Store } from "../store/types.ts";
import { embeddingText } from "./embedding-text.ts";

/** Chunks taken from the backlog per round: one stored transaction, and the progress step. */
const FILL_BATCH = 64;

export interface DenseFillReport extends DenseProgress {
  /** Vectors computed by the model in this run. */
  embedded: number;
  /** Vectors found in the cache (same model, same text). */
  reused: number;
  ms: number;
  /** False when it stopped before the backlog was empty (cancelled). */
  complete: boolean;
}

export interface DenseFillOptions {
  store: Store;
  embedder: Embedder;
  log: Logger;
  /** The repo whose progress is reported (the backlog itself is the store's, every repo's). */
  repo?: string;
  signal?: AbortSignal;
  onProgress?: (p: DenseFillReport) => void;
  batch?: number;
}

/** The cache key of a chunk's vector: the model and the exact text it embeds. */
export function denseKey(embedderName: string, text: string): string {
  return createHash("sha256").update(embedderName).update("\u0000").update(text).digest("hex").slice(0, 32);
}

/** Embeds every chunk waiting for a dense vector, or until `signal` aborts; returns how far it came. */
export async function fillDense(o: DenseFillOptions): Promise<DenseFillReport> {
  const started = Date.now();
  const backlog = o.store.dense;
  const report: DenseFillReport = { embedded: 0, reused: 0, ms: 0, done: 0, total: 0, complete: true };
  if (!backlog || o.embedder.dimension === 0) return report;
  Object.assign(report, await backlog.denseProgress(o.repo));
  for (;;) {
    if (o.signal?.aborted) {
      report.complete = false;
      break;
    }
    const points = await backlog.pendingDense(o.batch ?? FILL_BATCH);
    if (!points.length) break;
    const items = await vectorsFor(points, o.embedder, backlog.cachedDense.bind(backlog), report);
    await backlog.putDense(items);
    Object.assign(report, await backlog.denseProgress(o.repo), { ms: Date.now() - started });
    o.onProgress?.({ ...report });
    // Search requests queued behind this batch run now.
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Vectors of text no chunk has any more (a branch switched away) are kept for a while, then the oldest go.
  if (report.complete && (report.embedded || report.reused)) await backlog.pruneDense();
  report.ms = Date.now() - started;
  return report;
}

async function vectorsFor(
  points: Point[],
  embedder: Embedder,
  cached: (keys: string[]) => Promise<Map<string, Float32Array>>,
  report: DenseFillReport,
): Promise<DenseItem[]> {
  const texts = points.map(embeddingText);
  const keys = texts.map((t) => denseKey(embedder.name, t));
  const known = await cached([...new Set(keys)]);
  // Texts seen twice in a batch (copied files, boilerplate) are embedded once.
  const missing = new Map<string, string>();
  keys.forEach((k, i) => known.has(k) || missing.has(k) || missing.set(k, texts[i]!));
  if (missing.size) {
    const vectors = await embedder.embed([...missing.values()]);
    [...missing.keys()].forEach((k, i) => known.set(k, vectors[i]!));
    report.embedded += missing.size;
  }
  report.reused += points.length - missing.size;
  return points.map((p, i) => ({ id: p.id, key: keys[i]!, vector: known.get(keys[i]!)! }));
}

/** 112799 -> "112,799": progress counts read at a glance. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "12,000 / 112,799 (filling)", as status lines show the dense phase; "off" without an embedding model. */
export function denseLine(p: DenseProgress | undefined, status?: string): string {
  if (!p) return "off (lexical only)";
  const state = p.done >= p.total ? "complete" : status === "filling" ? "filling" : "waiting for watch, serve or index to fill it";
  return `${count(p.done)} / ${count(p.total)} (${state})`;
}
