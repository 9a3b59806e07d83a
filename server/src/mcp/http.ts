// One HTTP port answering both MCP transports: legacy SSE (GET /sse + POST /messages) and Streamable HTTP (/mcp).
// A POST to /mcp without a session that is not an initialize request is served statelessly, so a plain
// `curl -X POST .../mcp -d '{"method":"tools/call",...}'` works as the deployment guide shows.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { boundServer, closeAfterAnswer, paceBody, DEFAULT_BODY_PACE, type BodyPace, type ServerBounds } from "../http/index.ts";
import type { Logger } from "../log/index.ts";
import { calledTools, STATELESS_LANE, type Admission } from "./admission.ts";
import { checkBearer, checkHostAndOrigin, readJsonBody, sendJson, HttpError } from "./http-guards.ts";
import { DEFAULT_SESSION_LIMITS, HttpSessions } from "./http-sessions.ts";

export interface McpHttpOptions {
  /** Builds a fresh MCP server (one per session: an McpServer serves one transport). */
  newServer: () => McpServer;
  host: string;
  port: number;
  token: string | undefined;
  log: Logger;
  /** What the root path advertises. */
  advertise: "sse" | "http";
  name: string;
  maxBodyBytes?: number;
  sseKeepAliveMs?: number;
  /** Streamable HTTP sessions idle this long are closed (clients that never said goodbye). */
  sessionIdleMs?: number;
  /** Sessions that never made a call are closed after this much idle time (default 60 s). */
  unusedSessionIdleMs?: number;
  /** Most Streamable HTTP sessions, and most SSE sessions, at once (default 128 each). */
  maxSessions?: number;
  /** Bounds on connections and slow clients (see http/limits.ts). */
  bounds?: Partial<ServerBounds>;
  bodyPace?: BodyPace;
  /**
   * Asked before a tool call reaches its MCP server: a refusal is answered at once with 503 and Retry-After, rather
   * than queueing a call the server could not answer in time (each session is a lane; see mcp/admission.ts).
   */
  admission?: Admission;
}

export interface McpHttpServer {
  port: number;
  server: Server;
  sessions(): { sse: number; http: number };
  close(): Promise<void>;
}

interface SseSession {
  transport: SSEServerTransport;
  server: McpServer;
  keepAlive: NodeJS.Timeout;
}

const JSONRPC_ERRORS = { parse: -32700, invalid: -32600, session: -32001, server: -32603 } as const;

function rpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null }, headers);
}

export async function startMcpHttpServer(o: McpHttpOptions): Promise<McpHttpServer> {
  const maxBody = o.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxSessions = o.maxSessions ?? DEFAULT_SESSION_LIMITS.max;
  const httpSessions = new HttpSessions(
    {
      max: maxSessions,
      idleMs: o.sessionIdleMs ?? DEFAULT_SESSION_LIMITS.idleMs,
      unusedIdleMs: Math.min(o.unusedSessionIdleMs ?? DEFAULT_SESSION_LIMITS.unusedIdleMs, o.sessionIdleMs ?? Infinity),
    },
    o.log,
  );
  const sseSessions = new Map<string, SseSession>();
  let port = o.port;
  const readBody = (req: IncomingMessage) => {
    paceBody(req, o.bodyPace ?? DEFAULT_BODY_PACE);
    return readJsonBody(req, maxBody);
  };
  const bodyRefused = (req: IncomingMessage, res: ServerResponse, status: number, message: string) => {
    closeAfterAnswer(req, res);
    rpcError(res, status, status === 413 ? JSONRPC_ERRORS.invalid : JSONRPC_ERRORS.parse, message);
  };
  /** True when the body's tool calls were refused (answered 503 here); the session and connection stay. */
  const saturated = (res: ServerResponse, lane: string, body: unknown): boolean => {
    const refusal = o.admission?.(lane, calledTools(body));
    if (!refusal) return false;
    rpcError(res, 503, JSONRPC_ERRORS.server, `server busy: ${refusal.reason}; retry in ${refusal.retryAfterSeconds} s`, {
      "Retry-After": String(refusal.retryAfterSeconds),
    });
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = url.pathname.replace(/\/+$/, "") || "/";
    if (route === "/health" && req.method === "GET") return sendJson(res, 200, { status: "ok", server: o.name });
    if (route === "/" && req.method === "GET") {
      return sendJson(res, 200, { name: o.name, transport: o.advertise, endpoints: { sse: "/sse", messages: "/messages", streamable_http: "/mcp" } });
    }
    if (!["/mcp", "/sse", "/messages"].includes(route)) return sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}: use /mcp (Streamable HTTP) or /sse (SSE)` });
    checkHostAndOrigin(req, o.host, port);
    checkBearer(req, o.token);

    if (route === "/sse") {
      if (req.method !== "GET") throw new HttpError(405, "use GET /sse to open an SSE session", { Allow: "GET" });
      if (sseSessions.size >= maxSessions) throw new HttpError(503, `this server holds ${maxSessions} SSE sessions already; close one or retry later`, { "Retry-After": "5" });
      // Behind a path-rewriting proxy the client must post to the proxy's prefix (X-Forwarded-Prefix), not to /messages.
      const prefix = String(req.headers["x-forwarded-prefix"] ?? "").replace(/\/+$/, "");
      const transport = new SSEServerTransport(/^(\/[\w.~-]+)*$/.test(prefix) ? `${prefix}/messages` : "/messages", res);
      const server = o.newServer();
      const keepAlive = setInterval(() => {
        if (!res.writableEnded) res.write(": keep-alive\n\n");
      }, o.sseKeepAliveMs ?? 15_000);
      keepAlive.unref();
      sseSessions.set(transport.sessionId, { transport, server, keepAlive });
      const cleanup = () => {
        clearInterval(keepAlive);
        if (sseSessions.delete(transport.sessionId)) void server.close().catch(() => undefined);
      };
      res.on("close", cleanup);
      transport.onclose = cleanup;
      await server.connect(transport);
      o.log.debug("sse session opened", { session: transport.sessionId });
      return;
    }

    if (route === "/messages") {
      if (req.method !== "POST") throw new HttpError(405, "POST /messages?sessionId=... carries SSE-session messages", { Allow: "POST" });
      const id = url.searchParams.get("sessionId") ?? "";
      const s = sseSessions.get(id);
      if (!s) return rpcError(res, 404, JSONRPC_ERRORS.session, `unknown or closed SSE session "${id}": open a new one with GET /sse`);
      const body = await readBody(req);
      if (!body.ok) return bodyRefused(req, res, body.status, body.message);
      if (saturated(res, id, body.value)) return;
      await s.transport.handlePostMessage(req, res, body.value);
      return;
    }

    // /mcp: Streamable HTTP.
    const sessionId = req.headers["mcp-session-id"];
    const sid = Array.isArray(sessionId) ? sessionId[0] : sessionId;
    if (req.method === "GET" || req.method === "DELETE") {
      const s = sid ? httpSessions.get(sid) : undefined;
      if (!s) return rpcError(res, sid ? 404 : 400, JSONRPC_ERRORS.session, sid ? `unknown session "${sid}": initialize a new one` : "Mcp-Session-Id header required");
      // A held-open GET stream alone does not keep a silent session alive; only calls in progress do.
      s.lastSeen = Date.now();
      await s.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== "POST") throw new HttpError(405, "use POST /mcp", { Allow: "GET, POST, DELETE" });
    const body = await readBody(req);
    if (!body.ok) return bodyRefused(req, res, body.status, body.message);
    if (sid) {
      const s = httpSessions.get(sid);
      if (!s) return rpcError(res, 404, JSONRPC_ERRORS.session, `unknown session "${sid}": initialize a new one`);
      if (saturated(res, sid, body.value)) return;
      httpSessions.track(s, res, body.value);
      await s.transport.handleRequest(req, res, body.value);
      return;
    }
    if (isInitializeRequest(body.value)) {
      if (!httpSessions.makeRoom()) {
        return rpcError(res, 503, JSONRPC_ERRORS.server, `this server holds ${maxSessions} sessions, all busy; retry later`, { "Retry-After": "5" });
      }
      const server = o.newServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => httpSessions.add(id, transport, server),
      });
      transport.onclose = () => {
        if (transport.sessionId && httpSessions.remove(transport.sessionId)) void server.close().catch(() => undefined);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, body.value);
      return;
    }
    // Stateless one-shot (no session): plain JSON back, whatever Accept said.
    if (saturated(res, STATELESS_LANE, body.value)) return;
    req.headers.accept = "application/json, text/event-stream";
    const server = o.newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body.value);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) {
        if (!res.headersSent) {
          closeAfterAnswer(req, res);
          sendJson(res, e.status, { error: e.message }, e.headers);
        } else res.end();
        return;
      }
      o.log.warn("mcp request failed", { error: (e as Error).message, url: req.url });
      if (!res.headersSent) rpcError(res, 500, JSONRPC_ERRORS.server, `internal error: ${(e as Error).message}`);
      else res.end();
    });
  });
  boundServer(server, o.bounds);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    server,
    sessions: () => ({ sse: sseSessions.size, http: httpSessions.size }),
    async close() {
      for (const s of sseSessions.values()) {
        clearInterval(s.keepAlive);
        await s.server.close().catch(() => undefined);
      }
      await httpSessions.closeAll();
      sseSessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
