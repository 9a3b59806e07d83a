// Sends the workspace to the uploader: only files the server lacks, in batches, deletions included (DESIGN.md section 7).
import {
  manifestPath,
  uploadPath,
  UPLOAD_ID_HEADER,
  type ManifestEntry,
  type ManifestRequest,
  type ManifestResponse,
  type UploadResponse,
} from "../../../server/src/sync/protocol.ts";
import { throwIfAborted, type Logger } from "../log.ts";
import type { WorkspaceScanner } from "./scan.ts";
import { buildTarball } from "./tarball.ts";

export interface SyncEndpoint {
  /** http://127.0.0.1:<forwarded port> or the direct uploader URL. */
  baseUrl: string;
  token?: string;
}

export interface SyncProgress {
  message: string;
  /** Bytes or files done so far, out of total (0 when unknown). */
  done: number;
  total: number;
}

export interface SyncSummary {
  scanned: number;
  uploaded: number;
  deleted: number;
  bytes: number;
}

export interface BatchLimits {
  maxBytes: number;
  maxFiles: number;
}

export class SyncHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "SyncHttpError";
  }
}

/** Splits the needed files into batches under the byte and count caps (a file larger than maxBytes goes alone). */
export function batches(files: ManifestEntry[], limits: BatchLimits): ManifestEntry[][] {
  const out: ManifestEntry[][] = [];
  let cur: ManifestEntry[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length && (bytes + f.size > limits.maxBytes || cur.length >= limits.maxFiles)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

export class DeltaSyncClient {
  constructor(
    private readonly endpoint: () => SyncEndpoint,
    readonly repo: string,
    private readonly scanner: WorkspaceScanner,
    private readonly log: Logger,
    private readonly limits: BatchLimits = { maxBytes: 32 * 1024 * 1024, maxFiles: 2000 },
  ) {}

  private async post<T>(route: string, body: string | Buffer, contentType: string, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<T> {
    const ep = this.endpoint();
    const url = `${ep.baseUrl.replace(/\/+$/, "")}${route}`;
    const headers: Record<string, string> = { "content-type": contentType, ...extra };
    if (ep.token) headers.authorization = `Bearer ${ep.token}`;
    let res: Response;
    try {
      res = await fetch(url, { method: "POST", headers, body, signal });
    } catch (e) {
      throwIfAborted(signal, "sync");
      throw new Error(`The uploader at ${ep.baseUrl} did not answer (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}). Is the uploader running? "Context Engine: Show Status" tells more.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let said = text.slice(0, 500);
      try {
        said = (JSON.parse(text) as { error?: string }).error ?? said;
      } catch {
        // not JSON
      }
      if (res.status === 401 || res.status === 403) {
        throw new SyncHttpError(`The uploader refused the request (HTTP ${res.status}: ${said}). Set the cluster's token with "Context Engine: Set Access Token".`, res.status);
      }
      throw new SyncHttpError(`The uploader answered HTTP ${res.status} to ${route}: ${said}`, res.status);
    }
    return JSON.parse(text) as T;
  }

  /** Sends a manifest; deletions of a partial sync are named in it, as the uploader deletes nothing a manifest did not list. */
  private manifest(req: ManifestRequest, signal?: AbortSignal): Promise<ManifestResponse> {
    return this.post<ManifestResponse>(manifestPath(this.repo), JSON.stringify(req), "application/json", signal);
  }

  private async upload(uploadId: string, files: ManifestEntry[], deletions: string[], signal: AbortSignal | undefined, onProgress: ((p: SyncProgress) => void) | undefined, totalBytes: number, doneBefore: number): Promise<{ uploaded: number; deleted: number; bytes: number }> {
    let uploaded = 0;
    let deleted = 0;
    let bytes = 0;
    const groups = batches(files, this.limits);
    if (groups.length === 0 && deletions.length) groups.push([]);
    for (let i = 0; i < groups.length; i++) {
      throwIfAborted(signal, "sync");
      const group = groups[i];
      const last = i === groups.length - 1;
      const tgz = await buildTarball(this.scanner.root, group.map((f) => f.path), last ? deletions : [], (m) => this.log.warn(`sync: ${m}`));
      const r = await this.post<UploadResponse>(uploadPath(this.repo), tgz, "application/gzip", signal, { [UPLOAD_ID_HEADER]: uploadId });
      uploaded += r.written;
      deleted += r.deleted;
      bytes += group.reduce((s, f) => s + f.size, 0);
      onProgress?.({ message: `Uploaded ${uploaded} of ${files.length} file(s)`, done: doneBefore + bytes, total: totalBytes });
    }
    return { uploaded, deleted, bytes };
  }

  /** Full sync: the whole workspace is compared; files gone locally are deleted on the server. */
  async syncAll(signal?: AbortSignal, onProgress?: (p: SyncProgress) => void): Promise<SyncSummary> {
    onProgress?.({ message: "Scanning the workspace", done: 0, total: 0 });
    const { files } = await this.scanner.scan(signal, (n) => onProgress?.({ message: `Scanning the workspace (${n} files)`, done: 0, total: 0 }));
    throwIfAborted(signal, "sync");
    onProgress?.({ message: `Comparing ${files.length} file(s) with the cluster`, done: 0, total: 0 });
    const m = await this.manifest({ files, complete: true }, signal);
    const byPath = new Map(files.map((f) => [f.path, f]));
    const need = m.need.map((p) => byPath.get(p)).filter((f): f is ManifestEntry => !!f);
    const total = need.reduce((s, f) => s + f.size, 0);
    const r = await this.upload(m.upload_id, need, m.delete, signal, onProgress, total, 0);
    this.log.info(`sync ${this.repo}: ${files.length} scanned, ${r.uploaded} uploaded (${r.bytes} bytes), ${r.deleted} deleted`);
    return { scanned: files.length, uploaded: r.uploaded, deleted: r.deleted, bytes: r.bytes };
  }

  /** Incremental sync of paths that changed (created, edited or deleted). */
  async syncPaths(rels: string[], signal?: AbortSignal): Promise<SyncSummary> {
    const present: ManifestEntry[] = [];
    const gone: string[] = [];
    for (const rel of new Set(rels)) {
      if (this.scanner.rules.ignores(rel)) continue;
      const e = await this.scanner.entry(rel);
      if (e === undefined) {
        const under = this.scanner.forgetUnder(rel);
        gone.push(...(under.length ? under : [rel]));
      } else if ("skip" in e && e.skip === "not a regular file") {
        // A folder appeared (moved or copied in): everything in it.
        present.push(...(await this.scanner.scan(signal, undefined, rel)).files);
      } else if (!("skip" in e)) present.push(e);
    }
    if (present.length === 0 && gone.length === 0) return { scanned: 0, uploaded: 0, deleted: 0, bytes: 0 };
    const m = await this.manifest({ files: present, complete: false, ...(gone.length ? { deleted: gone } : {}) }, signal);
    const wanted = new Set(m.need);
    const need = present.filter((f) => wanted.has(f.path));
    if (need.length === 0 && m.delete.length === 0) return { scanned: present.length, uploaded: 0, deleted: 0, bytes: 0 };
    const r = await this.upload(m.upload_id, need, m.delete, signal, undefined, 0, 0);
    this.log.info(`sync ${this.repo}: ${need.length} changed file(s) uploaded, ${r.deleted} deleted`);
    return { scanned: present.length, uploaded: r.uploaded, deleted: r.deleted, bytes: r.bytes };
  }

  /** Removes every file of this repo from the cluster (Remove This Repository). */
  async removeAll(signal?: AbortSignal): Promise<number> {
    const m = await this.manifest({ files: [], complete: true }, signal);
    if (m.delete.length === 0) return 0;
    const r = await this.upload(m.upload_id, [], m.delete, signal, undefined, 0, 0);
    return r.deleted;
  }
}
