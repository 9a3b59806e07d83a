// The HTTP servers against rebinding, abandoned sessions and slow sockets, and what their unauthenticated routes say.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { isLoopbackHost, loopbackRequestProblem } from "../../server/src/http/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, startHealthServer, startMcpHttpServer, toolList, type McpContext, type McpHttpServer } from "../../server/src/mcp/index.ts";
import { startUploadServer, type UploadServer } from "../../server/src/sync/server.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";
import { rawRequest, whenClosedByServer } from "./helpers.ts";

const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "probe", version: "1" } } });
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("loopback servers answer only to loopback names on their own port", () => {
  it("exact loopback hosts pass, look-alikes do not", () => {
    for (const ok of ["127.0.0.1", "127.1.2.3", "127.255.255.255", "localhost", "LOCALHOST", "::1", "[::1]"]) assert.ok(isLoopbackHost(ok), ok);
    for (const bad of ["127.0.0.1.evil.com", "127.attacker.example", "127.0.0.256", "127.0.0", "127.00.0.1", "localhost.evil", "evil.localhost", "0.0.0.0", "[::1].evil", "128.0.0.1"]) assert.ok(!isLoopbackHost(bad), bad);
  });

  it("Host and Origin must name a loopback address and this server's port", () => {
    const ok = (host: string, origin?: string) => loopbackRequestProblem({ host, ...(origin ? { origin } : {}) }, "127.0.0.1", 8003) === undefined;
    assert.ok(ok("127.0.0.1:8003"));
    assert.ok(ok("localhost:8003", "http://localhost:8003"));
    assert.ok(ok("[::1]:8003", "http://127.0.0.1:8003"));
    assert.ok(!ok("127.0.0.1.evil.com:8003"));
    assert.ok(!ok("127.attacker.example:8003"));
    assert.ok(!ok("127.0.0.1:8004"));
    assert.ok(!ok("127.0.0.1"), "no port means 80");
    assert.ok(!ok("localhost:8003", "http://localhost:3000"));
    assert.ok(!ok("localhost:8003", "http://127.0.0.1.evil.com:8003"));
    assert.ok(!ok("localhost:8003", "https://localhost:8003"));
    assert.ok(!ok("localhost:8003", "null"));
    assert.equal(loopbackRequestProblem({ host: "anything" }, "0.0.0.0", 8003), undefined, "a server bound beyond loopback relies on its token");
  });
});

describe("MCP HTTP server bounds", () => {
  let dir: string;
  let cleanup: () => void;
  let ctx: McpContext;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    ({ dir, cleanup } = tempDir("ce-bounds-"));
    writeTree(dir, { "app.py": "def main():\n    return 1\n" });
    ctx = await createMcpContext({ root: dir, settings: loadSettings({ EMBEDDING_PROVIDER: "none" }), log: silentLogger });
  });
  after(async () => {
    for (const s of servers) await s.close();
    await ctx.close();
    cleanup();
  });

  async function serve(extra: Partial<Parameters<typeof startMcpHttpServer>[0]> = {}): Promise<McpHttpServer> {
    const s = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "http", name: "indexer", ...extra });
    servers.push(s);
    return s;
  }

  it("rebinding-shaped requests are refused on /mcp, /sse and /messages", async () => {
    const s = await serve();
    for (const route of ["/mcp", "/sse", "/messages?sessionId=x"]) {
      const shapes: Record<string, string>[] = [{ host: `127.0.0.1.evil.com:${s.port}` }, { host: `127.attacker.example:${s.port}` }, { host: `127.0.0.1:${s.port}`, origin: `http://localhost:3000` }];
      for (const headers of shapes) {
        const r = await rawRequest(s.port, { method: route === "/sse" ? "GET" : "POST", path: route, headers: { ...MCP_HEADERS, ...headers }, body: route === "/sse" ? undefined : INIT });
        assert.equal(r.status, 403, `${route} ${JSON.stringify(headers)}`);
      }
    }
  });

  it("sessions are capped: initialised-then-abandoned ones give way, the least recently used first, and expire soon", async () => {
    const s = await serve({ maxSessions: 4, unusedSessionIdleMs: 400 });
    const open = async () => {
      const r = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: MCP_HEADERS, body: INIT });
      assert.equal(r.status, 200, r.body);
      return String(r.headers["mcp-session-id"]);
    };
    const first = await open();
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const used = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: { ...MCP_HEADERS, "mcp-session-id": first }, body: list });
    assert.equal(used.status, 200);
    let most = 0;
    for (let i = 0; i < 20; i++) {
      await open();
      most = Math.max(most, s.sessions().http);
    }
    assert.ok(most <= 4, `at most 4 sessions at once, saw ${most}`);
    // The abandoned ones (never a call) expire after their short idle time...
    await waitFor(() => s.sessions().http === 0, "unused sessions to expire", 10_000, 50);
    // ...and the used first one had given way to newer ones when the cap was reached (it was the least recently seen).
    const gone = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: { ...MCP_HEADERS, "mcp-session-id": first }, body: list });
    assert.equal(gone.status, 404);
  });

  it("a session that made a call outlives the short limit of never-used ones", async () => {
    const s = await serve({ maxSessions: 8, unusedSessionIdleMs: 300 });
    const init = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: MCP_HEADERS, body: INIT });
    const id = String(init.headers["mcp-session-id"]);
    await rawRequest(s.port, { method: "POST", path: "/mcp", headers: { ...MCP_HEADERS, "mcp-session-id": id }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
    const idle = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: MCP_HEADERS, body: INIT });
    await waitFor(() => s.sessions().http === 1, "the never-used session to expire", 10_000, 50);
    const still = await rawRequest(s.port, { method: "POST", path: "/mcp", headers: { ...MCP_HEADERS, "mcp-session-id": id }, body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }) });
    assert.equal(still.status, 200, still.body);
    assert.notEqual(idle.headers["mcp-session-id"], id);
  });

  it("a body that trickles is cut off; so is the connection of a refused request", async () => {
    const s = await serve({ bodyPace: { graceMs: 300, minBytesPerSecond: 1024 }, token: "t0ken" });
    const head = (auth: boolean) =>
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${auth ? "Authorization: Bearer t0ken\r\n" : ""}\r\n{"jsonrpc":`;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => whenClosedByServer(s.port, head(i % 2 === 0), 15_000)));
    assert.deepEqual(results, Array(6).fill("closed"));
  });

  it("connections past the cap are dropped", async () => {
    const s = await serve({ bounds: { maxConnections: 3 } });
    const held = `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n`; // headers never finished
    const sockets = Array.from({ length: 8 }, () => whenClosedByServer(s.port, held, 3000));
    const results = await Promise.all(sockets);
    assert.ok(results.filter((r) => r === "closed").length >= 5, `at least 5 of 8 dropped: ${results.join(", ")}`);
  });

  it("unauthenticated routes say what is served and whether it is ready, not where or how it is guarded", async () => {
    const s = await serve({ token: "t0ken" });
    const root = await rawRequest(s.port, { path: "/" });
    assert.equal(root.status, 200);
    assert.ok(!("auth" in JSON.parse(root.body)), root.body);
    const health = await startHealthServer({ host: "127.0.0.1", port: 0, name: "indexer", ctx, tools: () => toolList("indexer", ctx) });
    servers.push(health);
    const ready = await rawRequest(health.port, { path: "/readyz" });
    assert.equal(ready.status, 200);
    assert.ok(!ready.body.includes(dir), ready.body);
    assert.ok(!ready.body.includes(ctx.store.location), ready.body);
    const broken = { ...ctx, store: { ...ctx.store, kind: ctx.store.kind, location: ctx.store.location, ping: async () => { throw new Error(`unable to open database file ${ctx.store.location} (see http://10.0.0.5:6333/collections)`); } } } as McpContext;
    const down = await startHealthServer({ host: "127.0.0.1", port: 0, name: "indexer", ctx: broken, tools: () => [] });
    servers.push(down);
    const r = await rawRequest(down.port, { path: "/readyz" });
    assert.equal(r.status, 503);
    const body = JSON.parse(r.body) as { reason: string };
    assert.match(body.reason, /store unreachable: unable to open database file/);
    assert.ok(!r.body.includes(dir) && !r.body.includes("10.0.0.5"), r.body);
  });
});

describe("uploader bounds", () => {
  let server: UploadServer;
  let cleanup: () => void;
  before(async () => {
    const t = tempDir("ce-upbounds-");
    cleanup = t.cleanup;
    server = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir: t.dir, token: "t0ken", log: silentLogger, bodyPace: { graceMs: 300, minBytesPerSecond: 1024 } });
  });
  after(async () => {
    await server.close();
    cleanup();
  });

  it("a trickling manifest is cut off, authenticated or not", async () => {
    const head = (auth: boolean) =>
      `POST /sync/demo/manifest HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${auth ? "Authorization: Bearer t0ken\r\n" : ""}\r\n{"files":`;
    const results = await Promise.all([true, false, true, false].map((auth) => whenClosedByServer(server.port, head(auth), 15_000)));
    assert.deepEqual(results, ["closed", "closed", "closed", "closed"]);
  });
});
