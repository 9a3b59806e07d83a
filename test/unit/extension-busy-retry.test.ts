// The panel's client of the indexer, against a server that is busy: a 503 with Retry-After is waited out and the
// call tried again, so a person searching sees results rather than an error; an agent's client decides for itself.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { busyRetryMs, IndexerClient } from "../../extension/src/engine/indexer-client.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { startMcpHttpServer, type McpHttpServer } from "../../server/src/mcp/index.ts";

const quiet = { info() {}, warn() {}, error() {}, debug() {}, show() {} } as never;

describe("the extension's indexer client when the server is busy", () => {
  let server: McpHttpServer;
  let refuseNext = 0;
  let asked = 0;

  before(async () => {
    server = await startMcpHttpServer({
      newServer: () => {
        const s = new McpServer({ name: "stub", version: "1" });
        s.registerTool("repo_search", { inputSchema: { query: z.string() } }, async ({ query }) => ({
          content: [{ type: "text", text: JSON.stringify({ results: [{ path: `${query}.ts`, start_line: 1, end_line: 2, score: 1 }] }) }],
        }));
        return s;
      },
      host: "127.0.0.1",
      port: 0,
      token: undefined,
      log: silentLogger,
      advertise: "http",
      name: "stub",
      admission: (_lane, tools) => {
        if (!tools.includes("repo_search")) return undefined;
        asked++;
        if (refuseNext <= 0) return undefined;
        refuseNext--;
        return { reason: "a new search would be answered in about 1500 ms", retryAfterSeconds: 1 };
      },
    });
  });
  after(() => server.close());

  const client = () => new IndexerClient(() => ({ url: `http://127.0.0.1:${server.port}/mcp` }), quiet);

  it("waits out a refusal and gets the answer", async () => {
    const c = client();
    refuseNext = 2;
    asked = 0;
    const started = Date.now();
    const page = await c.search("found");
    assert.equal(page.results[0]?.path, "found.ts");
    assert.equal(asked, 3, "two refusals, then the call");
    assert.ok(Date.now() - started >= 1900, "each retry waited the Retry-After");
    await c.close();
  });

  it("gives up after a few refusals with the server's reason", async () => {
    const c = client();
    refuseNext = 100;
    await assert.rejects(c.search("never"), /server busy: a new search would be answered in about 1500 ms/);
    refuseNext = 0;
    await c.close();
  });

  it("reads only busy answers as busy", () => {
    assert.equal(busyRetryMs(Object.assign(new Error("Streamable HTTP error: Error POSTing to endpoint: {…retry in 3 s…}"), { code: 503 })), 3000);
    assert.equal(busyRetryMs(Object.assign(new Error("Streamable HTTP error: x"), { code: 503 })), 1000);
    assert.equal(busyRetryMs(Object.assign(new Error("retry in 60 s"), { code: 503 })), 5000, "capped");
    assert.equal(busyRetryMs(Object.assign(new Error("not found"), { code: 404 })), undefined);
    assert.equal(busyRetryMs(new Error("socket hang up")), undefined);
  });
});
