// MCP fuzz over both transports: malformed JSON-RPC, wrong types for every argument of every tool, huge and unicode
// strings, batches, unknown sessions and calls out of order. Nothing may crash the server or answer 5xx, and after
// each batch the server still answers a real client. Every loop has a fixed count; every request a deadline.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadSettings } from "../../server/src/config/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, startMcpHttpServer, type McpContext, type McpHttpServer } from "../../server/src/mcp/index.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const DEADLINE_MS = 20_000;
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } };

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

describe("MCP fuzz", () => {
  let dir: string;
  let cleanup: () => void;
  let ctx: McpContext;
  let servers: Record<"indexer" | "memory", McpHttpServer>;
  const statuses: number[] = [];

  before(async () => {
    ({ dir, cleanup } = tempDir("ce-fuzz-"));
    writeTree(dir, { "app.py": "def handle_request(session):\n    return session.get('/')\n", "test_app.py": "def test_handle():\n    assert handle_request\n" });
    ctx = await createMcpContext({ root: dir, settings: loadSettings({ EMBEDDING_PROVIDER: "none" }), log: silentLogger });
    await (await ctx.engineFor()).index();
    const start = (role: "indexer" | "memory") =>
      startMcpHttpServer({ newServer: () => newMcpServer(role, ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "http", name: role, maxBodyBytes: 512 * 1024 });
    servers = { indexer: await start("indexer"), memory: await start("memory") };
  });
  after(async () => {
    await servers.indexer.close();
    await servers.memory.close();
    await ctx.close();
    cleanup();
    // Across the whole run: refusals, never a server error (503 is the session cap saying "later").
    assert.deepEqual(statuses.filter((s) => s >= 500 && s !== 503), []);
  });

  async function send(server: McpHttpServer, route: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
    const res = await fetch(`http://127.0.0.1:${server.port}${route}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...init.headers },
      body: init.body,
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
    const text = await res.text();
    statuses.push(res.status);
    return { status: res.status, text, headers: res.headers };
  }

  async function session(server: McpHttpServer): Promise<string> {
    const r = await send(server, "/mcp", { body: JSON.stringify(INIT) });
    assert.equal(r.status, 200, r.text);
    const id = r.headers.get("mcp-session-id")!;
    await send(server, "/mcp", { body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), headers: { "mcp-session-id": id } });
    return id;
  }

  /** A real client on each transport still lists tools and searches. */
  async function assertAlive(): Promise<void> {
    for (const role of ["indexer", "memory"] as const) {
      const s = servers[role];
      assert.equal((await send(s, "/health", { method: "GET" })).status, 200);
      for (const transport of [new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${s.port}/mcp`)), new SSEClientTransport(new URL(`http://127.0.0.1:${s.port}/sse`))]) {
        const client = new Client({ name: "liveness", version: "1" });
        await client.connect(transport);
        const r = await client.callTool(role === "indexer" ? { name: "repo_search", arguments: { query: "handle_request" } } : { name: "memory_find", arguments: { query: "anything" } });
        assert.ok(!r.isError, JSON.stringify(r.content));
        await client.close();
      }
    }
  }

  it("malformed JSON-RPC bodies are refused with 4xx", async () => {
    const bodies: (string | Buffer)[] = [
      "", "{", "null", "[]", "123", '"text"', "{}", '{"jsonrpc":"1.0","id":1,"method":"tools/list"}', '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"2.0","id":1,"method":5}', '{"jsonrpc":"2.0","id":{},"method":"tools/call"}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}',
      Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]), "[".repeat(10_000) + "]".repeat(10_000), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x".repeat(100_000) }),
      "x".repeat(600 * 1024),
    ];
    for (const server of [servers.indexer, servers.memory]) {
      const sid = await session(server);
      for (const body of bodies) {
        for (const headers of [{}, { "mcp-session-id": sid }] as Record<string, string>[]) {
          const r = await send(server, "/mcp", { body, headers });
          assert.ok(r.status < 500, `${r.status} for ${String(body).slice(0, 40)}: ${r.text.slice(0, 200)}`);
        }
      }
    }
    await assertAlive();
  });

  it("every argument of every tool, given the wrong type or a hostile string, gets a tool error or an answer", async () => {
    const WRONG_TYPES: unknown[] = [null, -1, true, ["a", 1], { nested: { deep: [1] } }, "text"];
    const HOSTILE_STRINGS = ["\u0000\ud800☃𝄞\u202e../../etc", "x".repeat(200_000)];
    let calls = 0;
    for (const role of ["indexer", "memory"] as const) {
      const client = new Client({ name: "fuzz", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${servers[role].port}/mcp`)));
      const { tools } = await client.listTools();
      for (const tool of tools) {
        const props = Object.entries((tool.inputSchema.properties ?? {}) as Record<string, { type?: string }>);
        const valid: Record<string, unknown> = Object.fromEntries(props.filter(([k]) => (tool.inputSchema.required ?? []).includes(k)).map(([k]) => [k, k === "subdir" ? "." : "handle_request"]));
        for (const [key, schema] of props) {
          const values = schema.type === "string" ? HOSTILE_STRINGS : WRONG_TYPES.filter((v) => typeof v !== schema.type);
          for (const value of values) {
            const r = await client.callTool({ name: tool.name, arguments: { ...valid, [key]: value } }).catch((e: Error) => ({ isError: true, content: [{ type: "text", text: e.message }] }));
            assert.ok(r && typeof r === "object", `${tool.name}.${key}`);
            calls++;
          }
        }
        // Unknown arguments and no arguments at all.
        await client.callTool({ name: tool.name, arguments: { ...valid, unexpected: { a: [1, 2] } } }).catch(() => undefined);
        await client.callTool({ name: tool.name, arguments: {} }).catch(() => undefined);
      }
      await client.callTool({ name: "no_such_tool", arguments: {} }).catch(() => undefined);
      await client.close();
    }
    assert.ok(calls > 100, `${calls} calls made`);
    await assertAlive();
  });

  it("batches, unknown sessions and calls out of order", async () => {
    const s = servers.indexer;
    const list = { jsonrpc: "2.0", id: 2, method: "tools/list" };
    const call = { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "repo_search", arguments: { query: "handle_request" } } };
    const sid = await session(s);
    const cases: { body?: unknown; method?: string; headers?: Record<string, string>; route?: string }[] = [
      { body: [INIT, list] }, { body: [] }, { body: Array.from({ length: 500 }, () => ({ jsonrpc: "2.0", method: "notifications/initialized" })) },
      { body: Array.from({ length: 50 }, (_, i) => ({ ...call, id: 100 + i })), headers: { "mcp-session-id": sid } },
      { body: list, headers: { "mcp-session-id": "00000000-0000-0000-0000-000000000000" } },
      { body: list, headers: { "mcp-session-id": "x".repeat(8000) } },
      { method: "GET", headers: { "mcp-session-id": "nope" } }, { method: "DELETE", headers: { "mcp-session-id": "nope" } }, { method: "GET" }, { method: "PUT", body: list },
      { body: INIT, headers: { "mcp-session-id": sid } }, { body: { jsonrpc: "2.0", method: "notifications/initialized" } },
      { body: { ...call, params: { name: "repo_search" } } }, { body: { jsonrpc: "2.0", id: 9, method: "resources/list" } },
      { route: "/messages?sessionId=unknown", body: list }, { route: "/messages", body: list }, { route: "/sse", method: "POST", body: list },
      { route: "/messages?sessionId=" + "%00".repeat(100), body: list },
    ];
    for (const c of cases) {
      const r = await send(s, c.route ?? "/mcp", { method: c.method, body: c.body === undefined ? undefined : JSON.stringify(c.body), headers: c.headers });
      assert.ok(r.status < 500, `${JSON.stringify(c).slice(0, 80)} -> ${r.status} ${r.text.slice(0, 200)}`);
    }
    // A closed session is gone: calls on it are refused, a new one works.
    assert.equal((await send(s, "/mcp", { method: "DELETE", headers: { "mcp-session-id": sid } })).status, 200);
    assert.equal((await send(s, "/mcp", { body: JSON.stringify(list), headers: { "mcp-session-id": sid } })).status, 404);
    await assertAlive();
  });

  it("an SSE session takes malformed messages without dying", async () => {
    const s = servers.memory;
    const { sessionId, close } = await openSse(s.port);
    try {
      for (const body of ["", "{", "[]", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"memory_find","arguments":{"query":42}}}', JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), "x".repeat(600 * 1024)]) {
        const r = await send(s, `/messages?sessionId=${sessionId}`, { body });
        assert.ok(r.status < 500, `${body.slice(0, 40)} -> ${r.status} ${r.text.slice(0, 200)}`);
      }
    } finally {
      close();
    }
    await assertAlive();
  });
});

/** Opens a raw SSE stream and reads its endpoint event (the session id). */
function openSse(port: number): Promise<{ sessionId: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/sse", headers: { accept: "text/event-stream" } }, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        const m = /sessionId=([\w-]+)/.exec(buf);
        if (m) resolve({ sessionId: m[1]!, close: () => req.destroy() });
      });
    });
    req.setTimeout(DEADLINE_MS, () => req.destroy(new Error("no SSE endpoint event")));
    req.on("error", reject);
  });
}
