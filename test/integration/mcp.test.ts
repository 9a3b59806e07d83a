import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, startHealthServer, startMcpHttpServer, toolList, type McpContext, type McpHttpServer } from "../../server/src/mcp/index.ts";
import { CLI, REPO_ROOT } from "../helpers/cli.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

const INDEXER_TOOLS = [
  "context_answer", "context_search", "qdrant_index", "qdrant_index_root", "qdrant_list", "qdrant_prune", "qdrant_status",
  "repo_search", "search_callers_for", "search_config_for", "search_importers_for", "search_tests_for",
];
const MEMORY_TOOLS = ["find", "memory_find", "memory_store", "store"];

function readStateStatus(root: string): string | undefined {
  try {
    return JSON.parse(readFileSync(path.join(root, ".codebase", "state.json"), "utf8")).status;
  } catch {
    return undefined;
  }
}

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe("MCP servers over Streamable HTTP and SSE", () => {
  let dir: string;
  let cleanup: () => void;
  let ctx: McpContext;
  let indexer: McpHttpServer;
  let memory: McpHttpServer;
  const settings = loadSettings({ EMBEDDING_PROVIDER: "none" });

  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, {
      ...SAMPLE_REPO,
      "src/app.py": "from src.session import Session\n\n\ndef main():\n    s = Session()\n    s.register_hook('pre', print)\n    return s.request('GET', '/')\n",
    });
    const engine = await openEngine({ root: dir, settings, log: silentLogger });
    await engine.index();
    await engine.close();
    ctx = await createMcpContext({ root: dir, settings, log: silentLogger });
    indexer = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "http", name: "indexer", maxBodyBytes: 64 * 1024, sessionIdleMs: 2000 });
    memory = await startMcpHttpServer({ newServer: () => newMcpServer("memory", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "sse", name: "memory" });
  });
  after(async () => {
    await indexer.close();
    await memory.close();
    await ctx.close();
    cleanup();
  });

  async function httpClient(server: McpHttpServer): Promise<Client> {
    const client = new Client({ name: "test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`)));
    return client;
  }
  async function sseClient(server: McpHttpServer): Promise<Client> {
    const client = new Client({ name: "test", version: "1" });
    await client.connect(new SSEClientTransport(new URL(`http://127.0.0.1:${server.port}/sse`)));
    return client;
  }
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => (await c.callTool({ name, arguments: args })) as ToolResult;

  it("lists exactly the indexer's tools, with input and output schemas", async () => {
    const c = await httpClient(indexer);
    const { tools } = await c.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), INDEXER_TOOLS);
    const search = tools.find((t) => t.name === "repo_search")!;
    assert.deepEqual(search.inputSchema.required, ["query"]);
    for (const k of ["query", "limit", "language", "under", "path_glob", "not_glob", "kind", "symbol", "ext", "repo"]) {
      assert.ok(k in (search.inputSchema.properties ?? {}), k);
    }
    assert.ok(search.outputSchema, "structured output declared");
    assert.ok(tools.every((t) => (t.description ?? "").length > 20), "every tool explains itself");
    await c.close();
  });

  it("lists the memory tools with their aliases", async () => {
    const c = await sseClient(memory);
    assert.deepEqual((await c.listTools()).tools.map((t) => t.name).sort(), MEMORY_TOOLS);
    await c.close();
  });

  it("repo_search returns structured results and a compact text rendering", async () => {
    const c = await httpClient(indexer);
    const r = await call(c, "repo_search", { query: "register_hook", limit: 3, language: "python" });
    assert.ok(!r.isError);
    const results = r.structuredContent!.results as { path: string; start_line: number; symbol_path: string }[];
    assert.equal(results[0]!.path, "src/session.py");
    assert.equal(results[0]!.symbol_path, "Session.register_hook");
    assert.match(r.content[0]!.text, /^src\/session\.py \(\d+ results?\)\n {2}\[1\] \d+-\d+ Session\.register_hook/);
    // The line to open holds the name searched for, and the snippet shows it.
    const top = results[0] as unknown as { match_line: number; snippet: string };
    assert.match(top.snippet, new RegExp(`^\\s*${top.match_line} \\| .*register_hook`, "m"));
    const floor = await call(c, "repo_search", { query: "register_hook", min_score: 1000 });
    assert.deepEqual(floor.structuredContent!.results, []);
    assert.match(floor.content[0]!.text, /scored at least 1000/);
    await c.close();
  });

  it("works the same over the legacy SSE transport", async () => {
    const c = await sseClient(indexer);
    const r = await call(c, "repo_search", { query: "TokenBucket take" });
    assert.equal((r.structuredContent!.results as { path: string }[])[0]!.path, "src/util/strings.ts");
    await c.close();
  });

  it("stores memories and finds them, also blended into context_search", async () => {
    const m = await sseClient(memory);
    const stored = await call(m, "memory_store", { information: "Hooks must be registered before the first request; see Session.register_hook.", metadata: { kind: "convention", topic: "hooks", tags: ["api"], priority: 5 } });
    assert.ok(!stored.isError);
    assert.match(String(stored.structuredContent!.id), /^[0-9a-f-]{36}$/);
    await call(m, "store", { information: "Release builds are made with make release.", metadata: { kind: "note", topic: "build" } });
    const found = await call(m, "find", { query: "registered hooks", kind: "convention" });
    const mems = found.structuredContent!.memories as { information: string }[];
    assert.equal(mems.length, 1);
    assert.match(mems[0]!.information, /registered before the first request/);
    assert.equal(((await call(m, "memory_find", { query: "hooks", tags: ["nope"] })).structuredContent!.memories as unknown[]).length, 0);
    await m.close();
    const c = await httpClient(indexer);
    const blended = await call(c, "context_search", { query: "register hooks" });
    assert.ok((blended.structuredContent!.memories as unknown[]).length >= 1);
    assert.ok((blended.structuredContent!.results as unknown[]).length >= 1);
    const codeOnly = await call(c, "repo_search", { query: "registered before the first request" });
    assert.ok(!(codeOnly.structuredContent!.results as { kind: string }[]).some((x) => x.kind === "memory"), "repo_search never returns memories");
    await c.close();
  });

  it("finds tests, config, callers and importers", async () => {
    const c = await httpClient(indexer);
    const tests = (await call(c, "search_tests_for", { query: "register_hook" })).structuredContent!.results as { path: string }[];
    assert.equal(tests[0]!.path, "tests/test_session.py");
    const config = (await call(c, "search_config_for", { query: "timeout" })).structuredContent!.results as { path: string }[];
    assert.equal(config[0]!.path, "config/settings.yaml");
    const callers = (await call(c, "search_callers_for", { query: "Session.register_hook" })).structuredContent!.results as { path: string; snippet: string }[];
    assert.ok(callers.some((r) => r.path === "src/app.py"));
    assert.ok(callers.every((r) => /register_hook\s*\(/.test(r.snippet)));
    const importers = (await call(c, "search_importers_for", { query: "session" })).structuredContent!.results as { path: string }[];
    assert.deepEqual([...new Set(importers.map((r) => r.path))].sort(), ["src/app.py", "tests/test_session.py"]);
    await c.close();
  });

  it("reports status and the repo list, indexes, prunes and answers without a decoder", async () => {
    const c = await httpClient(indexer);
    const status = await call(c, "qdrant_status");
    const repos = status.structuredContent!.repos as { repo: string; files: number }[];
    assert.equal(repos.find((r) => r.repo === path.basename(dir))?.files, 6);
    const list = await call(c, "qdrant_list");
    assert.ok((list.structuredContent!.repos as { repo: string }[]).some((r) => r.repo === path.basename(dir)));
    writeTree(dir, { "src/extra/new_file.py": "def added_later():\n    pass\n" });
    const sub = await call(c, "qdrant_index", { subdir: "src/extra" });
    assert.equal(sub.structuredContent!.indexed, 1);
    const root = await call(c, "qdrant_index_root", {});
    assert.equal(root.structuredContent!.indexed, 0);
    const { rmSync } = await import("node:fs");
    rmSync(path.join(dir, "src/extra"), { recursive: true });
    const pruned = await call(c, "qdrant_prune");
    assert.equal(pruned.structuredContent!.removed, 1);
    const answer = await call(c, "context_answer", { question: "How are hooks registered on a session?" });
    assert.ok(!answer.isError);
    assert.ok((answer.structuredContent!.citations as unknown[]).length >= 1);
    assert.match(answer.content[0]!.text, /decoder/i);
    // `query`, like every other tool, is accepted too; neither is a tool error that says what to send.
    const byQuery = await call(c, "context_answer", { query: "How are hooks registered on a session?" });
    assert.deepEqual(byQuery.structuredContent!.citations, answer.structuredContent!.citations);
    const neither = await call(c, "context_answer", {});
    assert.ok(neither.isError);
    assert.match(neither.content[0]!.text, /needs "query"/);
    await c.close();
  });

  it("sends progress notifications during long indexing calls", async () => {
    const c = await httpClient(indexer);
    writeTree(dir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`gen/f${i}.py`, `def gen_${i}():\n    return ${i}\n`])));
    const seen: number[] = [];
    await c.callTool({ name: "qdrant_index_root", arguments: {} }, undefined, { onprogress: (p) => seen.push(p.progress) });
    assert.ok(seen.length >= 1, "at least one progress notification");
    await c.close();
  });

  it("answers searches while a long indexing call runs, and cancels that call when asked", async () => {
    writeTree(dir, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`bulk/m${i}.py`, `def bulk_${i}(x):\n    return x + ${i}\n`.repeat(4)])));
    const c = await httpClient(indexer);
    const order: string[] = [];
    const indexing = c.callTool({ name: "qdrant_index_root", arguments: {} }, undefined, { timeout: 300_000 }).then(() => order.push("index"));
    await waitFor(() => readStateStatus(dir) === "indexing", "indexing under way", 120_000, 5);
    await call(c, "repo_search", { query: "register_hook" });
    order.push("search");
    await indexing;
    assert.deepEqual(order, ["search", "index"], "the search did not wait for the index run");
    writeTree(dir, Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`bulk2/m${i}.py`, `def bulk2_${i}(x):\n    return x\n`.repeat(4)])));
    const ac = new AbortController();
    const cancelled = c.callTool({ name: "qdrant_index_root", arguments: {} }, undefined, { signal: ac.signal }).then(() => "finished", (e: Error) => e.name + ": " + e.message);
    await waitFor(() => readStateStatus(dir) === "indexing", "second run under way", 120_000, 5);
    ac.abort();
    assert.match(await cancelled, /Abort|cancel/i);
    await waitFor(() => readStateStatus(dir) !== "indexing", "the server stopped indexing", 120_000);
    assert.ok(!(await call(c, "repo_search", { query: "bulk_1" })).isError, "still serving");
    await c.close();
  });

  it("answers bad input with proper errors and keeps serving", async () => {
    const base = `http://127.0.0.1:${indexer.port}`;
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/mcp`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
    const bad = await post("{not json");
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
    const big = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "repo_search", arguments: { query: "x".repeat(100_000) } } }));
    assert.equal(big.status, 413);
    const unknownSession = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), { "mcp-session-id": "nope" });
    assert.equal(unknownSession.status, 404);
    const badSse = await fetch(`${base}/messages?sessionId=nope`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    assert.equal(badSse.status, 404);
    const c = await httpClient(indexer);
    const unknownTool = await c.callTool({ name: "no_such_tool", arguments: {} }).then((r) => r as ToolResult, (e: Error) => ({ isError: true, content: [{ type: "text", text: e.message }] }));
    assert.ok(unknownTool.isError);
    assert.match(unknownTool.content[0]!.text, /no_such_tool/);
    const wrongType = await c.callTool({ name: "repo_search", arguments: { query: 42, limit: "ten" } }).then((r) => r as ToolResult, (e: Error) => ({ isError: true, content: [{ type: "text", text: e.message }] }));
    assert.ok(wrongType.isError);
    assert.match(wrongType.content[0]!.text, /query|limit/);
    const badSubdir = await call(c, "qdrant_index", { subdir: "../../etc" });
    assert.ok(badSubdir.isError);
    assert.match(badSubdir.content[0]!.text, /inside the repository/);
    const ok = await call(c, "repo_search", { query: "register_hook" });
    assert.ok(!ok.isError, "still serving");
    await c.close();
  });

  it("serves the deployment guide's curl: a stateless POST /mcp of tools/call without Accept or session", async () => {
    const res = await fetch(`http://127.0.0.1:${indexer.port}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "qdrant_status", arguments: {} } }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { result: ToolResult };
    assert.equal(body.result.structuredContent!.store, "sqlite");
  });

  it("cleans up SSE sessions whose client went away, and idle HTTP sessions", async () => {
    const before = indexer.sessions();
    const c = await sseClient(indexer);
    await waitFor(() => indexer.sessions().sse === before.sse + 1, "sse session registered");
    await c.close();
    await waitFor(() => indexer.sessions().sse === before.sse, "sse session cleaned up");
    const h = await httpClient(indexer);
    await waitFor(() => indexer.sessions().http >= 1, "http session registered");
    await waitFor(() => indexer.sessions().http === 0, "idle http session swept", 10_000, 100);
    await h.close().catch(() => undefined);
  });

  it("rejects DNS-rebinding requests on a loopback bind", async () => {
    const { request } = await import("node:http");
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: indexer.port, path: "/mcp", method: "POST", headers: { "Content-Type": "application/json", ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
      });
    assert.equal(await status({ Host: "evil.example.com" }), 403);
    assert.equal(await status({ Host: `127.0.0.1:${indexer.port}`, Origin: "http://evil.example.com" }), 403);
    assert.equal(await status({ Host: `localhost:${indexer.port}`, Origin: `http://localhost:${indexer.port}` }), 200);
    assert.equal(await status({ Host: `localhost:${indexer.port}`, Origin: `http://localhost:3000` }), 403);
  });

  it("serves /health, /readyz and /tools on the health port", async () => {
    const health = await startHealthServer({ host: "127.0.0.1", port: 0, name: "indexer", ctx, tools: () => toolList("indexer", ctx) });
    try {
      const base = `http://127.0.0.1:${health.port}`;
      assert.equal((await fetch(`${base}/health`)).status, 200);
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, "ready");
      const tools = (await (await fetch(`${base}/tools`)).json()) as { tools: { name: string }[] };
      assert.deepEqual(tools.tools.map((t) => t.name).sort(), INDEXER_TOOLS);
    } finally {
      await health.close();
    }
  });

  it("reports 503 on /readyz with the reason when the store is unreachable", async () => {
    const broken = { ...ctx, store: { ...ctx.store, kind: ctx.store.kind, location: "x", ping: async () => { throw new Error("connection refused"); } } } as McpContext;
    const health = await startHealthServer({ host: "127.0.0.1", port: 0, name: "indexer", ctx: broken, tools: () => [] });
    try {
      const r = await fetch(`http://127.0.0.1:${health.port}/readyz`);
      assert.equal(r.status, 503);
      assert.match(((await r.json()) as { reason: string }).reason, /store unreachable: connection refused/);
    } finally {
      await health.close();
    }
  });
});

describe("MCP auth", () => {
  it("requires the bearer token on /mcp, /sse and /messages when CONTEXT_ENGINE_TOKEN is set, and leaves /health open", async () => {
    const { dir, cleanup } = tempDir();
    const settings = loadSettings({ EMBEDDING_PROVIDER: "none" });
    const ctx = await createMcpContext({ root: dir, settings, log: silentLogger });
    const server = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: "s3cret", log: silentLogger, advertise: "http", name: "indexer" });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
      assert.equal((await fetch(`${base}/mcp`, { method: "POST", body, headers: { "Content-Type": "application/json" } })).status, 401);
      assert.equal((await fetch(`${base}/mcp`, { method: "POST", body, headers: { "Content-Type": "application/json", Authorization: "Bearer wrong" } })).status, 401);
      assert.equal((await fetch(`${base}/sse`)).status, 401);
      assert.equal((await fetch(`${base}/messages?sessionId=x`, { method: "POST", body })).status, 401);
      assert.equal((await fetch(`${base}/health`)).status, 200);
      const client = new Client({ name: "t", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: "Bearer s3cret" } } }));
      assert.ok((await client.listTools()).tools.length > 5);
      await client.close();
    } finally {
      await server.close();
      await ctx.close();
      cleanup();
    }
  });
});

describe("MCP over stdio", () => {
  it("serves the indexer to a client that spawns `context-engine serve indexer --transport stdio`", async () => {
    const { dir, cleanup } = tempDir();
    writeTree(dir, SAMPLE_REPO);
    try {
      const client = new Client({ name: "t", version: "1" });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: ["--import", "tsx", CLI, "serve", "indexer", "--transport", "stdio", "--root", dir],
          cwd: REPO_ROOT,
          env: { ...process.env, EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn" } as Record<string, string>,
          stderr: "ignore",
        }),
      );
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), INDEXER_TOOLS);
      await client.callTool({ name: "qdrant_index_root", arguments: {} });
      const r = (await client.callTool({ name: "repo_search", arguments: { query: "register_hook" } })) as ToolResult;
      assert.equal((r.structuredContent!.results as { path: string }[])[0]!.path, "src/session.py");
      await client.close();
    } finally {
      cleanup();
    }
  });
});

describe("MCP behind a path-rewriting proxy", () => {
  it("announces the SSE message endpoint under X-Forwarded-Prefix", async () => {
    const { dir, cleanup } = tempDir();
    const ctx = await createMcpContext({ root: dir, settings: loadSettings({ EMBEDDING_PROVIDER: "none" }), log: silentLogger });
    const server = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "sse", name: "indexer" });
    try {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${server.port}/sse`, { headers: { "X-Forwarded-Prefix": "/mcp/indexer" }, signal: ac.signal });
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
      assert.match(text, /event: endpoint\ndata: \/mcp\/indexer\/messages\?sessionId=/);
      ac.abort();
    } finally {
      await server.close();
      await ctx.close();
      cleanup();
    }
  });
});
