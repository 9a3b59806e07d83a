// The upload client (the extension's workspace sync and `context-engine upload`): manifest -> batches of tar.gz -> upload.
// Imported by the extension: node built-ins, fetch, tar, ignore and the protocol only; no engine imports.
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { manifestPath, uploadPath, type ManifestResponse, type UploadResponse } from "./protocol.ts";
import { tarGz, type TarFile } from "./tar-writer.ts";
import { scanWorkspace, type HashCache, type SkipReason } from "./workspace-scan.ts";

export { scanWorkspace, EXCLUDED_DIRS, BINARY_EXTENSIONS } from "./workspace-scan.ts";
export type { HashCache, HashCacheEntry, ScanOptions, SkipReason } from "./workspace-scan.ts";

const gzipAsync = promisify(gzip);

export interface SyncProgress {
  phase: "scan" | "manifest" | "upload" | "done";
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface SkippedFile {
  path: string;
  reason: SkipReason | "vanished";
}

export interface SyncOptions {
  /** Uploader base URL, e.g. http://localhost:8004 */
  url: string;
  repo: string;
  root: string;
  token?: string;
  onProgress?: (p: SyncProgress) => void;
  signal?: AbortSignal;
  extraExcludes?: string[];
  /** Reuse across calls (watch mode, the extension) so unchanged files are not hashed again. */
  cache?: HashCache;
  /** Content bytes per upload request (before compression). */
  batchBytes?: number;
  /** Files per upload request. */
  batchFiles?: number;
  compressionLevel?: number;
}

export interface SyncResult {
  /** Files the server wrote. */
  sent: number;
  deleted: number;
  /** Content bytes of the files sent. */
  bytes: number;
  /** Request bodies on the wire: the compressed manifest plus every archive. */
  wireBytes: number;
  manifestWireBytes: number;
  /** Files seen but not sent, with the reason. */
  skipped: SkippedFile[];
  /** Files in the manifest. */
  files: number;
  ms: number;
}

/** A failed sync: the message says what the uploader answered or why it could not be reached. */
export class SyncClientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "SyncClientError";
  }
}

const DEFAULT_BATCH_BYTES = 32 * 1024 * 1024;
const DEFAULT_BATCH_FILES = 5000;

async function post(opts: SyncOptions, route: string, body: Buffer, headers: Record<string, string>): Promise<unknown> {
  const base = opts.url.replace(/\/+$/, "");
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  let res: Response;
  try {
    res = await fetch(base + route, { method: "POST", body, headers: { ...headers, ...auth }, signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SyncClientError(`could not reach the uploader at ${base} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running, or port-forwarded?`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const msg = (parsed as { error?: string } | undefined)?.error ?? (text.slice(0, 200) || res.statusText);
    throw new SyncClientError(`the uploader at ${base} answered ${res.status} to ${route}: ${msg}`, res.status);
  }
  if (parsed === undefined) throw new SyncClientError(`the uploader at ${base} answered ${route} with something other than JSON`);
  return parsed;
}

/** Splits the needed paths into batches of at most `maxBytes` content bytes and `maxFiles` files. */
function batches(need: string[], sizes: Map<string, number>, maxBytes: number, maxFiles: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const p of need) {
    const size = sizes.get(p) ?? 0;
    if (cur.length && (bytes + size > maxBytes || cur.length >= maxFiles)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(p);
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** One sync of `root` into the uploader's repo: only changed files travel; files gone locally are deleted there. */
export async function syncOnce(opts: SyncOptions): Promise<SyncResult> {
  const started = performance.now();
  const root = path.resolve(opts.root);
  const progress = opts.onProgress ?? (() => {});
  const skipped: SkippedFile[] = [];
  progress({ phase: "scan", filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 });
  const files = await scanWorkspace(root, {
    extraExcludes: opts.extraExcludes,
    cache: opts.cache,
    onSkip: (p, reason) => skipped.push({ path: p, reason }),
  });
  opts.signal?.throwIfAborted();

  progress({ phase: "manifest", filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: 0 });
  const manifestBody = await gzipAsync(Buffer.from(JSON.stringify({ files, complete: true })), { level: 6 });
  const answer = (await post(opts, manifestPath(opts.repo), manifestBody, {
    "content-type": "application/json",
    "content-encoding": "gzip",
  })) as ManifestResponse;
  if (!Array.isArray(answer.need) || !Array.isArray(answer.delete)) {
    throw new SyncClientError(`the uploader at ${opts.url} answered the manifest without need/delete lists; is it a Context Engine uploader?`);
  }

  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const bytesTotal = answer.need.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
  const result: SyncResult = { sent: 0, deleted: 0, bytes: 0, wireBytes: manifestBody.length, manifestWireBytes: manifestBody.length, skipped, files: files.length, ms: 0 };
  const groups = batches(answer.need, sizes, opts.batchBytes ?? DEFAULT_BATCH_BYTES, opts.batchFiles ?? DEFAULT_BATCH_FILES);
  if (groups.length === 0 && answer.delete.length) groups.push([]);
  let filesDone = 0;
  let bytesDone = 0;
  for (const [i, group] of groups.entries()) {
    opts.signal?.throwIfAborted();
    const tarFiles: TarFile[] = [];
    for (const rel of group) {
      const abs = path.join(root, rel);
      try {
        const [data, st] = await Promise.all([fs.readFile(abs), fs.stat(abs)]);
        tarFiles.push({ path: rel, data, executable: (st.mode & 0o111) !== 0 });
      } catch {
        skipped.push({ path: rel, reason: "vanished" });
      }
    }
    const deletions = i === 0 ? answer.delete : [];
    if (tarFiles.length === 0 && deletions.length === 0) continue;
    const body = await tarGz(tarFiles, deletions, opts.compressionLevel ?? 6);
    const up = (await post(opts, uploadPath(opts.repo), body, { "content-type": "application/gzip" })) as UploadResponse;
    result.sent += up.written;
    result.deleted += up.deleted;
    result.bytes += up.bytes;
    result.wireBytes += body.length;
    filesDone += group.length;
    bytesDone += group.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
    progress({ phase: "upload", filesDone, filesTotal: answer.need.length, bytesDone, bytesTotal });
  }
  result.ms = performance.now() - started;
  progress({ phase: "done", filesDone, filesTotal: answer.need.length, bytesDone, bytesTotal });
  return result;
}
