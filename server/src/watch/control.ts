// The watcher's control port (WATCH_CONTROL_PORT): how the processes that must not write a repo's points
// reach its one writer. The uploader posts the paths it wrote (on shared RWX storage no file event crosses
// nodes), the MCP servers ask for a re-index, and kubelet probes /health.
//   GET  /health                      -> {status, repo, pending}
//   POST [/<repo>]/changes  {paths: [rel]}  -> 202 {queued}
//   POST [/<repo>]/reindex  {}              -> 202 {rescan: true}   (a /<repo> prefix must name this watcher's repo)
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log/index.ts";
import { readJsonBody, requireBearer, sendError, sendJson } from "../sync/http-io.ts";
import { SyncHttpError } from "../sync/paths.ts";
import type { Watcher } from "./watcher.ts";

/** A notification lists at most this many paths (an upload is capped lower); larger ones ask for a rescan. */
const MAX_PATHS = 100_000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export interface ControlOptions {
  watcher: Watcher;
  repo: string;
  host: string;
  port: number;
  /** When set, POST routes require `Authorization: Bearer <token>` (the cluster's CONTEXT_ENGINE_TOKEN). */
  token?: string;
  log: Logger;
}

function pathsOf(body: unknown): string[] {
  const paths = (body as { paths?: unknown } | null)?.paths;
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== "string")) {
    throw new SyncHttpError(400, 'the body must be {"paths": ["relative/path", ...]}');
  }
  return paths as string[];
}

export async function startControlServer(o: ControlOptions): Promise<ControlServer> {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let route = new URL(req.url ?? "/", "http://watcher").pathname.replace(/\/+$/, "") || "/";
    // /<repo>/changes: a WATCHER_URL with {repo} in its path as well lets the watcher check it is the right one.
    const prefixed = /^\/([^/]+)(\/(?:changes|reindex))$/.exec(route);
    if (prefixed) {
      if (decodeURIComponent(prefixed[1]) !== o.repo) throw new SyncHttpError(404, `this is the watcher of "${o.repo}", not of "${decodeURIComponent(prefixed[1])}": check WATCHER_URL`);
      route = prefixed[2];
    }
    if (route === "/health" || route === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") throw new SyncHttpError(405, "use GET /health");
      return sendJson(res, 200, { status: "ok", repo: o.repo, pending: o.watcher.pending });
    }
    if (route !== "/changes" && route !== "/reindex") {
      throw new SyncHttpError(404, `no route ${req.method} ${route}; the watcher serves GET /health, POST /changes and POST /reindex`);
    }
    requireBearer(req, o.token);
    if (req.method !== "POST") throw new SyncHttpError(405, `use POST ${route}`);
    const body = await readJsonBody(req, MAX_BODY_BYTES, route.slice(1));
    if (route === "/reindex") {
      o.watcher.requestRescan("asked over the control port");
      return sendJson(res, 202, { repo: o.repo, rescan: true });
    }
    const paths = pathsOf(body);
    if (paths.length > MAX_PATHS) {
      o.watcher.requestRescan(`${paths.length} paths notified`);
      return sendJson(res, 202, { repo: o.repo, queued: 0, rescan: true });
    }
    let queued: number;
    try {
      queued = o.watcher.notify(paths);
    } catch (e) {
      throw new SyncHttpError(400, (e as Error).message);
    }
    o.log.debug("changes notified", { repo: o.repo, paths: queued });
    sendJson(res, 202, { repo: o.repo, queued });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof SyncHttpError ? err.status : 500;
      if (status >= 500) o.log.error("watcher control request failed", { url: req.url, error: (err as Error).stack ?? String(err) });
      else o.log.warn("watcher control request refused", { url: req.url, status, error: (err as Error).message });
      sendError(req, res, status, status >= 500 ? `the watcher failed: ${(err as Error).message}` : (err as Error).message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
