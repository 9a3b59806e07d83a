// The health port: /health (process up, and its search load), /readyz (store reachable, embedder loaded), /tools (what is served).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { boundServer } from "../http/index.ts";
import type { McpContext } from "./context.ts";
import { sendJson } from "./http-guards.ts";

export interface HealthServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** An error's words without the paths and addresses in it: health answers reach unauthenticated callers. */
export function withoutLocations(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`]+/gi, "<address>")
    .replace(/(?<![\w.])(?:[A-Za-z]:)?[\\/][^\s"'`:;,()]*/g, "<path>");
}

/**
 * Ready or not, and why in words. Store locations, model folders and addresses stay out: the health port answers
 * without a token (it is what Kubernetes probes), so it says no more than a person needs to act.
 */
export async function readiness(ctx: McpContext, timeoutMs = 3000): Promise<{ ready: boolean; reason?: string; store: string }> {
  const base = { store: ctx.store.kind };
  try {
    await Promise.race([
      ctx.store.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (e) {
    ctx.log.warn("readiness: the store did not answer", { store: ctx.store.location, error: (e as Error).message });
    return { ready: false, reason: `store unreachable: ${withoutLocations((e as Error).message)} (the server log says more)`, ...base };
  }
  return { ready: true, ...base };
}

export async function startHealthServer(opts: {
  host: string;
  port: number;
  name: string;
  ctx: McpContext;
  tools: () => { name: string; description?: string }[];
}): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const route = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
    if (req.method !== "GET") return sendJson(res, 405, { error: "health routes answer GET" }, { Allow: "GET" });
    if (route === "/health" || route === "/healthz") {
      // The search load says whether the server is saturated (refusing) and how fast it answers, without any secret.
      return sendJson(res, 200, { status: "ok", server: opts.name, uptime_s: Math.round(process.uptime()), search: opts.ctx.searchLoad() });
    }
    if (route === "/readyz" || route === "/ready") {
      void readiness(opts.ctx).then((r) =>
        sendJson(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "degraded", server: opts.name, ...r }),
      );
      return;
    }
    if (route === "/tools") return sendJson(res, 200, { server: opts.name, tools: opts.tools() });
    sendJson(res, 404, { error: "health routes: /health, /readyz, /tools" });
  });
  boundServer(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
