// The upload client (the extension's workspace sync and `context-engine upload`): manifest -> batches of tar.gz -> upload.
// Imported by the extension: node built-ins, fetch, tar, ignore and the protocol only; no engine imports.
import path from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { manifestPath, uploadPath, UPLOAD_ID_HEADER, type ManifestEntry, type ManifestResponse, type UploadResponse } from "./protocol.ts";
import { readTarFiles, tarGz, type UnsentReason } from "./tar-writer.ts";
import { PathFilter, scanPaths, scanWorkspace, type HashCache, type SkipReason } from "./workspace-scan.ts";

export { scanWorkspace, scanPaths, PathFilter, EXCLUDED_DIRS, BINARY_EXTENSIONS } from "./workspace-scan.ts";
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
  reason: SkipReason | UnsentReason;
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
  /** gzip level of the archives: 1 (default) favours CPU over bytes, right for loopback, LAN and port-forwards. */
  compressionLevel?: number;
}

export interface SyncResult {
  /** Files the server wrote. */
  sent: number;
  deleted: number;
  /** Content bytes of the files sent. */
  bytes: number;
  /** Bodies on the wire, both ways (HTTP headers not counted): the gzip'd manifest and its answer, every archive and its answer. */
  wireBytes: number;
  /** The manifest's share of wireBytes (request and answer). */
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

const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;
const DEFAULT_BATCH_FILES = 5000;

/** POSTs `body`; resolves with the parsed JSON answer and the answer's size in bytes. */
async function post(opts: SyncOptions, route: string, body: Buffer, headers: Record<string, string>): Promise<{ json: unknown; bytes: number }> {
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
  return { json: parsed, bytes: Buffer.byteLength(text) };
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

/** Sends the manifest (with the paths gone locally, for a partial one); returns the answer and its share of the wire. */
async function sendManifest(opts: SyncOptions, files: ManifestEntry[], complete: boolean, deleted: string[] = []): Promise<{ answer: ManifestResponse; wire: number }> {
  const body = await gzipAsync(Buffer.from(JSON.stringify({ files, complete, ...(deleted.length ? { deleted } : {}) })), { level: 6 });
  const reply = await post(opts, manifestPath(opts.repo), body, { "content-type": "application/json", "content-encoding": "gzip" });
  const answer = reply.json as ManifestResponse;
  if (!Array.isArray(answer.need) || !Array.isArray(answer.delete) || typeof answer.upload_id !== "string") {
    throw new SyncClientError(`the uploader at ${opts.url} answered the manifest without need/delete lists and an upload id; is it a Context Engine uploader of this version?`);
  }
  return { answer, wire: body.length + reply.bytes };
}

/** Uploads the needed files in batches (deletions ride with the first) and adds the counts to `result`. */
async function sendFiles(opts: SyncOptions, root: string, answer: ManifestResponse, sizes: Map<string, number>, result: SyncResult): Promise<void> {
  // Only files this sync scanned travel, whatever else the uploader's answer names.
  const need = answer.need.filter((p) => sizes.has(p));
  const deletions = answer.delete;
  const progress = opts.onProgress ?? (() => {});
  const bytesTotal = need.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
  const groups = batches(need, sizes, opts.batchBytes ?? DEFAULT_BATCH_BYTES, opts.batchFiles ?? DEFAULT_BATCH_FILES);
  if (groups.length === 0 && deletions.length) groups.push([]);
  let filesDone = 0;
  let bytesDone = 0;
  // Batch i+1 is read and compressed while batch i travels and is written.
  const prepare = async (i: number): Promise<Buffer | undefined> => {
    const { files: tarFiles, unsent } = await readTarFiles(root, groups[i]);
    result.skipped.push(...unsent);
    const dels = i === 0 ? deletions : [];
    if (tarFiles.length === 0 && dels.length === 0) return undefined;
    return tarGz(tarFiles, dels, opts.compressionLevel ?? 1);
  };
  let prepared = groups.length ? prepare(0) : undefined;
  for (let i = 0; i < groups.length; i++) {
    opts.signal?.throwIfAborted();
    const body = await (prepared as Promise<Buffer | undefined>);
    prepared = i + 1 < groups.length ? prepare(i + 1) : undefined;
    prepared?.catch(() => undefined); // awaited next round; an early failure must not go unhandled meanwhile
    if (body) {
      const reply = await post(opts, uploadPath(opts.repo), body, { "content-type": "application/gzip", [UPLOAD_ID_HEADER]: answer.upload_id });
      const up = reply.json as UploadResponse;
      result.sent += up.written;
      result.deleted += up.deleted;
      result.bytes += up.bytes;
      result.wireBytes += body.length + reply.bytes;
    }
    filesDone += groups[i].length;
    bytesDone += groups[i].reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
    progress({ phase: "upload", filesDone, filesTotal: need.length, bytesDone, bytesTotal });
  }
  progress({ phase: "done", filesDone, filesTotal: need.length, bytesDone, bytesTotal });
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
  const { answer, wire } = await sendManifest(opts, files, true);
  const result: SyncResult = { sent: 0, deleted: 0, bytes: 0, wireBytes: wire, manifestWireBytes: wire, skipped, files: files.length, ms: 0 };
  await sendFiles(opts, root, answer, new Map(files.map((f) => [f.path, f.size])), result);
  result.ms = performance.now() - started;
  return result;
}

export interface ChangeSyncOptions extends SyncOptions {
  /** Paths (relative, forward slashes) that were created, changed or deleted since the last sync. */
  paths: string[];
  /** Keep one per workspace: it caches the folders' ignore files. */
  filter?: PathFilter;
}

/**
 * Syncs only the given paths (the watch loop's events): a partial manifest (`complete: false`) for those that exist,
 * deletions for those that are gone. No full scan on either side, so a one-file edit costs about the file's size.
 */
export async function syncChanges(opts: ChangeSyncOptions): Promise<SyncResult> {
  const started = performance.now();
  const root = path.resolve(opts.root);
  const skipped: SkippedFile[] = [];
  const filter = opts.filter ?? new PathFilter(root, opts.extraExcludes);
  const { files, gone } = await scanPaths(root, opts.paths, filter, { cache: opts.cache, onSkip: (p, reason) => skipped.push({ path: p, reason }) });
  for (const g of gone) opts.cache?.delete(g);
  const result: SyncResult = { sent: 0, deleted: 0, bytes: 0, wireBytes: 0, manifestWireBytes: 0, skipped, files: files.length, ms: 0 };
  if (files.length || gone.length) {
    // Deletions too go through the manifest: the uploader deletes only what a manifest of this upload listed.
    const { answer, wire } = await sendManifest(opts, files, false, gone);
    result.wireBytes = result.manifestWireBytes = wire;
    await sendFiles(opts, root, answer, new Map(files.map((f) => [f.path, f.size])), result);
  }
  result.ms = performance.now() - started;
  return result;
}
