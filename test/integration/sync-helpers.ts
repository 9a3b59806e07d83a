// Shared parts of the uploader tests: temp folders, a real uploader on loopback, raw requests, folder snapshots.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { silentLogger } from "../../server/src/log/index.ts";
import { UPLOAD_ID_HEADER, type ManifestEntry, type SyncLimits } from "../../server/src/sync/protocol.ts";
import { startUploadServer, type UploadServer } from "../../server/src/sync/server.ts";

export interface Harness {
  tmp: string;
  ws: string;
  reposDir: string;
  server: UploadServer;
  url: string;
  close(): Promise<void>;
}

export async function startHarness(opts: { token?: string; limits?: Partial<SyncLimits> } = {}): Promise<Harness> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "ce-sync-"));
  const ws = path.join(tmp, "ws");
  const reposDir = path.join(tmp, "repos");
  await fs.mkdir(ws, { recursive: true });
  const server = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir, token: opts.token, log: silentLogger, limits: opts.limits });
  const harness: Harness = {
    tmp,
    ws,
    reposDir,
    server,
    url: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await harness.server.close(); // a test may have replaced the server
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
  return harness;
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, content);
  }
}

/** Every file (and symlink) under `dir`: relative path -> content (or "-> target"). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const abs = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const rel = path.relative(dir, abs).split(path.sep).join("/");
    if (e.isSymbolicLink()) out[rel] = "-> " + (await fs.readlink(abs));
    else if (e.isFile()) out[rel] = await fs.readFile(abs, "utf8");
    else if (!e.isDirectory()) out[rel] = "(special)";
  }
  return out;
}

export function entryFor(rel: string, content: string): ManifestEntry {
  return { path: rel, sha256: createHash("sha256").update(content).digest("hex"), size: Buffer.byteLength(content) };
}

export interface RawAnswer {
  status: number;
  body: { error?: string } & Record<string, unknown>;
}

export async function post(url: string, route: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(url + route, { method: "POST", body, headers });
  return { status: res.status, body: (await res.json()) as RawAnswer["body"] };
}

/** The upload id of the last manifest answer per uploader and repo: raw uploads deliver it unless told otherwise. */
const lastUploadId = new Map<string, string>();

export async function postManifest(url: string, repo: string, files: ManifestEntry[], headers: Record<string, string> = {}, extra: { complete?: boolean; deleted?: string[] } = {}): Promise<RawAnswer> {
  const r = await post(url, `/sync/${repo}/manifest`, JSON.stringify({ files, ...extra }), { "content-type": "application/json", ...headers });
  if (typeof r.body.upload_id === "string") lastUploadId.set(`${url} ${repo}`, r.body.upload_id);
  return r;
}

export function postUpload(url: string, repo: string, archive: Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const id = lastUploadId.get(`${url} ${repo}`);
  return post(url, `/sync/${repo}/upload`, archive, { "content-type": "application/gzip", ...(id ? { [UPLOAD_ID_HEADER]: id } : {}), ...headers });
}

/** One raw tar entry: a header block built with tar's Header (any type, any path), then the padded body. */
export function rawEntry(fields: ConstructorParameters<typeof Header>[0] & object, body: Buffer = Buffer.alloc(0)): Buffer {
  const block = Buffer.alloc(512);
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), ...fields }).encode(block, 0);
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([block, body, Buffer.alloc(pad)]);
}

/** A gzip'd tar of the given raw entries, with the two end blocks. */
export function rawTarGz(...entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}
