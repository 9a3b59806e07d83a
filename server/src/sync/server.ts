// The workspace uploader (DESIGN.md section 7): manifest -> need/delete, tar.gz upload -> files written under <reposDir>/<repo>/.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "../log/index.ts";
import { applyArchive } from "./archive-apply.ts";
import { inspectArchive } from "./archive-check.ts";
import { readJsonBody, requireBearer, saveBody, sendError, sendJson } from "./http-io.ts";
import { SyncHttpError, pathProblem } from "./paths.ts";
import { REPO_NAME_PATTERN, SYNC_LIMITS, type ManifestEntry, type ManifestResponse, type SyncLimits, type UploadResponse } from "./protocol.ts";
import { RepoTree, compareManifest } from "./repo-tree.ts";

export interface UploadServerOptions {
  port: number;
  host?: string;
  /** Folder holding one folder per repo. */
  reposDir: string;
  /** When set, /sync routes require `Authorization: Bearer <token>`. */
  token?: string;
  log: Logger;
  limits?: Partial<SyncLimits>;
  /** After an upload is applied: the paths written and deleted (the repo's watcher is told, see watcher-notify.ts). */
  onApplied?: (repo: string, paths: string[]) => void;
}

export interface UploadServer {
  port: number;
  close(): Promise<void>;
}

/** Where uploads and staged files live: beside the repos (same filesystem, so renames are atomic), never a valid repo name. */
const WORK_DIR = ".context-engine-tmp";

interface RepoState {
  /** Paths the last manifest asked for and no upload has delivered yet. */
  pending: Set<string>;
  /** Tail of the chain that serialises this repo's manifests and uploads. */
  tail: Promise<unknown>;
}

function parseManifest(body: unknown, limits: SyncLimits): { files: ManifestEntry[]; complete: boolean } {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { files?: unknown }).files)) {
    throw new SyncHttpError(400, 'the manifest must be a JSON object {"files": [{"path", "sha256", "size"}], "complete"?}');
  }
  const { files, complete } = body as { files: unknown[]; complete?: unknown };
  if (complete !== undefined && typeof complete !== "boolean") throw new SyncHttpError(400, '"complete" must be true or false');
  if (files.length > limits.maxEntries) {
    throw new SyncHttpError(413, `the manifest lists ${files.length} files; the limit is ${limits.maxEntries}`);
  }
  const seen = new Set<string>();
  files.forEach((f, i) => {
    const e = f as Partial<ManifestEntry> | null;
    const where = `files[${i}]`;
    if (typeof e !== "object" || e === null) throw new SyncHttpError(400, `${where} must be an object {path, sha256, size}`);
    const problem = pathProblem(e.path);
    if (problem) throw new SyncHttpError(400, `${where}.path ${JSON.stringify(e.path)}: ${problem}`);
    if (typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new SyncHttpError(400, `${where}.sha256 must be 64 lowercase hex digits`);
    }
    if (!Number.isSafeInteger(e.size) || (e.size as number) < 0) throw new SyncHttpError(400, `${where}.size must be a whole number of bytes`);
    if ((e.size as number) > limits.maxFileBytes) {
      throw new SyncHttpError(413, `${where} (${e.path}) is ${e.size} bytes, over the ${limits.maxFileBytes}-byte limit per file; leave it out`);
    }
    if (seen.has(e.path as string)) throw new SyncHttpError(400, `${where}.path ${e.path} is listed twice`);
    seen.add(e.path as string);
  });
  return { files: files as ManifestEntry[], complete: complete !== false };
}

/** Starts the uploader; resolves once it listens (port 0 picks a free port). */
export async function startUploadServer(opts: UploadServerOptions): Promise<UploadServer> {
  const limits: SyncLimits = { ...SYNC_LIMITS, ...opts.limits };
  const reposDir = path.resolve(opts.reposDir);
  const workDir = path.join(reposDir, WORK_DIR);
  const log = opts.log;
  const tree = new RepoTree();
  const repos = new Map<string, RepoState>();

  await fs.mkdir(reposDir, { recursive: true });
  await fs.rm(workDir, { recursive: true, force: true }); // leftovers of a crash: never applied
  await fs.mkdir(workDir, { recursive: true });

  const stateOf = (repo: string): RepoState => {
    let s = repos.get(repo);
    if (!s) repos.set(repo, (s = { pending: new Set(), tail: Promise.resolve() }));
    return s;
  };

  const serialised = <T>(repo: string, work: () => Promise<T>): Promise<T> => {
    const s = stateOf(repo);
    const run = s.tail.then(work, work);
    s.tail = run.catch(() => undefined);
    return run;
  };

  async function manifest(req: IncomingMessage, repo: string): Promise<ManifestResponse> {
    const { files, complete } = parseManifest(await readJsonBody(req, limits.maxManifestBytes, "manifest"), limits);
    return serialised(repo, async () => {
      const started = Date.now();
      const repoDir = path.join(reposDir, repo);
      const server = complete ? await tree.hashes(repoDir) : await tree.hashesOf(repoDir, files.map((f) => f.path));
      const answer = compareManifest(files, server, complete);
      stateOf(repo).pending = new Set(answer.need);
      log.debug("manifest compared", { repo, files: files.length, need: answer.need.length, delete: answer.delete.length, ms: Date.now() - started });
      return answer;
    });
  }

  async function upload(req: IncomingMessage, repo: string): Promise<UploadResponse> {
    const archive = path.join(workDir, `upload-${randomBytes(8).toString("hex")}.tar.gz`);
    try {
      const size = await saveBody(req, archive, limits.maxArchiveBytes, "upload");
      return await serialised(repo, async () => {
        const started = Date.now();
        const state = stateOf(repo);
        const plan = await inspectArchive(archive, { allowed: state.pending, limits });
        const repoDir = path.join(reposDir, repo);
        const result = await applyArchive(archive, plan, repoDir, workDir);
        for (const f of result.written) {
          state.pending.delete(f.path);
          tree.remember(repoDir, f.path, f.size, f.mtimeMs, f.sha256);
        }
        for (const d of result.deleted) tree.forget(repoDir, d);
        log.info("upload applied", { repo, written: result.written.length, deleted: result.deleted.length, bytes: result.bytes, archiveBytes: size, ms: Date.now() - started });
        opts.onApplied?.(repo, [...result.written.map((f) => f.path), ...result.deleted]);
        return { written: result.written.length, deleted: result.deleted.length, bytes: result.bytes };
      });
    } finally {
      await fs.rm(archive, { force: true });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://uploader");
    if (url.pathname === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") throw new SyncHttpError(405, "use GET /health");
      return sendJson(res, 200, { status: "ok" });
    }
    const m = /^\/sync\/([^/]+)\/(manifest|upload)$/.exec(url.pathname);
    if (!m) throw new SyncHttpError(404, `no route ${req.method} ${url.pathname}; the uploader serves GET /health, POST /sync/<repo>/manifest and POST /sync/<repo>/upload`);
    requireBearer(req, opts.token);
    if (req.method !== "POST") throw new SyncHttpError(405, `use POST ${url.pathname}`);
    let repo: string;
    try {
      repo = decodeURIComponent(m[1]);
    } catch {
      throw new SyncHttpError(400, "the repo name is not valid URL encoding");
    }
    if (!REPO_NAME_PATTERN.test(repo)) {
      throw new SyncHttpError(400, `repo name ${JSON.stringify(repo)} is not valid: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. my-service)`);
    }
    const answer = m[2] === "manifest" ? await manifest(req, repo) : await upload(req, repo);
    sendJson(res, 200, answer);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof SyncHttpError) {
        if (err.status >= 500) log.error("sync request failed", { url: req.url, error: err.message });
        else log.warn("sync request refused", { url: req.url, status: err.status, error: err.message });
        sendError(req, res, err.status, err.message);
      } else {
        log.error("sync request failed", { url: req.url, error: (err as Error).stack ?? String(err) });
        sendError(req, res, 500, `the uploader failed: ${(err as Error).message}; see its log`);
      }
    });
  });
  server.requestTimeout = 0; // large uploads on slow links; idle sockets are still reaped by headersTimeout/keepAlive

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info("uploader listening", { port, reposDir, auth: opts.token ? "bearer" : "off" });

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
