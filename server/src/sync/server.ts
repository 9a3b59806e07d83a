// The workspace uploader (DESIGN.md section 7): manifest -> need/delete, tar.gz upload -> files written under <reposDir>/<repo>/.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { boundServer, loopbackRequestProblem, paceBody, DEFAULT_BODY_PACE, type BodyPace, type ServerBounds } from "../http/index.ts";
import type { Logger } from "../log/index.ts";
import { applyArchive } from "./archive-apply.ts";
import { inspectArchive } from "./archive-check.ts";
import { readJsonBody, requireBearer, saveBody, sendError, sendJson } from "./http-io.ts";
import { SyncHttpError, fileFolderClash, pathProblem } from "./paths.ts";
import { UploadSessions } from "./upload-sessions.ts";
import { REPO_NAME_PATTERN, SYNC_LIMITS, UPLOAD_ID_HEADER, type ManifestEntry, type ManifestResponse, type SyncLimits, type UploadResponse } from "./protocol.ts";
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
  /** Bounds on connections and slow clients (see http/limits.ts). */
  bounds?: Partial<ServerBounds>;
  bodyPace?: BodyPace;
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
  /** Tail of the chain that serialises this repo's manifests and uploads. */
  tail: Promise<unknown>;
}

function parseManifest(body: unknown, limits: SyncLimits): { files: ManifestEntry[]; complete: boolean; deleted: string[] } {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { files?: unknown }).files)) {
    throw new SyncHttpError(400, 'the manifest must be a JSON object {"files": [{"path", "sha256", "size"}], "complete"?, "deleted"?}');
  }
  const { files, complete, deleted = [] } = body as { files: unknown[]; complete?: unknown; deleted?: unknown };
  if (complete !== undefined && typeof complete !== "boolean") throw new SyncHttpError(400, '"complete" must be true or false');
  if (!Array.isArray(deleted)) throw new SyncHttpError(400, '"deleted" must be an array of paths');
  if (files.length + deleted.length > limits.maxEntries) {
    throw new SyncHttpError(413, `the manifest lists ${files.length + deleted.length} paths; the limit is ${limits.maxEntries}`);
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
  deleted.forEach((d, i) => {
    const problem = pathProblem(d);
    if (problem) throw new SyncHttpError(400, `deleted[${i}] ${JSON.stringify(d)}: ${problem}`);
    if (seen.has(d as string)) throw new SyncHttpError(400, `${d} is listed both as a file and as deleted`);
  });
  // Checked whole before anything is answered: a manifest that cannot be applied is refused, not applied in part.
  const clash = fileFolderClash(seen);
  if (clash) throw new SyncHttpError(400, `the manifest lists ${clash[0]} as a file and ${clash[1]} inside it as a folder; a path is one or the other`);
  return { files: files as ManifestEntry[], complete: complete !== false, deleted: [...new Set(deleted as string[])] };
}

/** The media type of a request, without parameters (`application/json; charset=utf-8` -> `application/json`). */
function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

const ARCHIVE_TYPES = new Set(["application/gzip", "application/x-gzip"]);

/**
 * Refuses what a web page could send: a Host or Origin a browser makes up for another site (on a loopback bind),
 * any Origin at all (no page has business with the uploader), and the "simple" content types a page may post without
 * asking first.
 */
function checkRequestSource(req: IncomingMessage, kind: "manifest" | "upload", bindHost: string, port: number): void {
  const problem = loopbackRequestProblem(req.headers, bindHost, port);
  if (problem) throw new SyncHttpError(403, problem);
  if (req.headers.origin !== undefined) throw new SyncHttpError(403, `the uploader takes no requests from web pages (Origin ${req.headers.origin})`);
  const type = mediaType(req);
  if (kind === "manifest" && type !== "application/json") throw new SyncHttpError(415, `a manifest is sent as Content-Type application/json, not ${JSON.stringify(type)}`);
  if (kind === "upload" && !ARCHIVE_TYPES.has(type)) throw new SyncHttpError(415, `an upload is sent as Content-Type application/gzip, not ${JSON.stringify(type)}`);
}

/** Starts the uploader; resolves once it listens (port 0 picks a free port). */
export async function startUploadServer(opts: UploadServerOptions): Promise<UploadServer> {
  const limits: SyncLimits = { ...SYNC_LIMITS, ...opts.limits };
  const reposDir = path.resolve(opts.reposDir);
  const workDir = path.join(reposDir, WORK_DIR);
  const log = opts.log;
  const tree = new RepoTree();
  const repos = new Map<string, RepoState>();
  const sessions = new UploadSessions();
  const bindHost = opts.host ?? "0.0.0.0";
  let port = opts.port;

  await fs.mkdir(reposDir, { recursive: true });
  await fs.rm(workDir, { recursive: true, force: true }); // leftovers of a crash: never applied
  await fs.mkdir(workDir, { recursive: true });

  const stateOf = (repo: string): RepoState => {
    let s = repos.get(repo);
    if (!s) repos.set(repo, (s = { tail: Promise.resolve() }));
    return s;
  };

  const serialised = <T>(repo: string, work: () => Promise<T>): Promise<T> => {
    const s = stateOf(repo);
    const run = s.tail.then(work, work);
    s.tail = run.catch(() => undefined);
    return run;
  };

  /** The repo's folder, made if new; refused when it is a link or otherwise resolves outside the repos folder. */
  async function repoFolder(repo: string): Promise<string> {
    const repoDir = path.join(reposDir, repo);
    await fs.mkdir(repoDir, { recursive: true });
    const st = await fs.lstat(repoDir);
    const real = await fs.realpath(repoDir);
    if (st.isSymbolicLink() || !st.isDirectory() || real !== path.join(await fs.realpath(reposDir), repo)) {
      throw new SyncHttpError(409, `the folder of repo ${repo} on the server is not a plain folder inside the repos folder; it is left alone`);
    }
    return repoDir;
  }

  async function manifest(req: IncomingMessage, repo: string): Promise<ManifestResponse> {
    paceBody(req, opts.bodyPace ?? DEFAULT_BODY_PACE);
    const { files, complete, deleted } = parseManifest(await readJsonBody(req, limits.maxManifestBytes, "manifest"), limits);
    return serialised(repo, async () => {
      const started = Date.now();
      const repoDir = await repoFolder(repo);
      const server = complete ? await tree.hashes(repoDir) : await tree.hashesOf(repoDir, files.map((f) => f.path));
      const answer = compareManifest(files, server, complete);
      if (deleted.length) {
        const present = await tree.hashesOf(repoDir, deleted);
        answer.delete = [...new Set([...answer.delete, ...deleted.filter((d) => present.has(d))])].sort();
      }
      const uploadId = sessions.open(repo, answer.need, answer.delete);
      log.debug("manifest compared", { repo, files: files.length, need: answer.need.length, delete: answer.delete.length, ms: Date.now() - started });
      return { ...answer, upload_id: uploadId };
    });
  }

  async function upload(req: IncomingMessage, repo: string): Promise<UploadResponse> {
    const id = req.headers[UPLOAD_ID_HEADER];
    if (typeof id !== "string" || !id) {
      throw new SyncHttpError(400, `an upload names the manifest answer it delivers: send the manifest's upload_id as header ${UPLOAD_ID_HEADER} (a client older than this uploader does not; update it)`);
    }
    if (!sessions.get(repo, id)) {
      throw new SyncHttpError(409, `upload ${id} is unknown or expired for repo ${repo}; send a manifest first (POST /sync/${repo}/manifest)`);
    }
    paceBody(req, opts.bodyPace ?? DEFAULT_BODY_PACE);
    const archive = path.join(workDir, `upload-${randomBytes(8).toString("hex")}.tar.gz`);
    try {
      const size = await saveBody(req, archive, limits.maxArchiveBytes, "upload");
      return await serialised(repo, async () => {
        const started = Date.now();
        const session = sessions.get(repo, id);
        if (!session) throw new SyncHttpError(409, `upload ${id} expired for repo ${repo}; send a manifest first`);
        const plan = await inspectArchive(archive, { allowed: session.need, allowedDeletions: session.remove, limits });
        const repoDir = await repoFolder(repo);
        const result = await applyArchive(archive, plan, repoDir, workDir);
        sessions.delivered(repo, session, result.written.map((f) => f.path), plan.deletions);
        for (const f of result.written) tree.remember(repoDir, f.path, f.size, f.mtimeMs, f.sha256);
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
    checkRequestSource(req, m[2] as "manifest" | "upload", bindHost, port);
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
  boundServer(server, { maxConnections: 64, ...opts.bounds });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, bindHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
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
