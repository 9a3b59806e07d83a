// The whole freshness chain on one machine: upload client -> uploader -> repos folder -> watcher -> embedded store
// -> MCP repo_search finds the edit.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, startMcpHttpServer, type McpContext, type McpHttpServer } from "../../server/src/mcp/index.ts";
import { startUploadServer, syncOnce, type UploadServer } from "../../server/src/sync/index.ts";
import { Watcher } from "../../server/src/watch/index.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

describe("upload -> watcher -> search, end to end", () => {
  let base: string;
  let cleanup: () => void;
  let uploader: UploadServer;
  let engine: Engine;
  let watcher: Watcher;
  let ctx: McpContext;
  let mcp: McpHttpServer;
  let client: Client;
  const workspace = () => path.join(base, "workspace");
  const repos = () => path.join(base, "repos");

  before(async () => {
    ({ dir: base, cleanup } = tempDir());
    writeTree(workspace(), SAMPLE_REPO);
    mkdirSync(path.join(repos(), "backend"), { recursive: true });
    // One shared store file, as the cluster-local layout has it (the cluster uses Qdrant).
    const settings = loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: path.join(base, "store", "index.db") });
    uploader = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir: repos(), log: silentLogger });
    engine = await openEngine({ root: path.join(repos(), "backend"), repo: "backend", settings, log: silentLogger });
    watcher = new Watcher({ engine, log: silentLogger, debounceMs: 100 });
    await watcher.start();
    ctx = await createMcpContext({ root: repos(), settings, log: silentLogger });
    mcp = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "http", name: "indexer" });
    client = new Client({ name: "e2e", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${mcp.port}/mcp`)));
  });
  after(async () => {
    await client.close();
    await mcp.close();
    await ctx.close();
    await watcher.stop();
    await engine.close();
    await uploader.close();
    cleanup();
  });

  const search = async (query: string) =>
    ((await client.callTool({ name: "repo_search", arguments: { query, repo: "backend" } })).structuredContent as { results: { path: string }[] }).results;

  it("serves a folder of repos: searches every repo unless one is named", () => {
    assert.equal(ctx.multiRepo, true);
    assert.equal(ctx.defaultRepo, "*");
  });

  it("an initial sync becomes searchable", async () => {
    const r = await syncOnce({ url: `http://127.0.0.1:${uploader.port}`, repo: "backend", root: workspace() });
    assert.equal(r.sent, Object.keys(SAMPLE_REPO).length);
    await waitFor(async () => (await search("register_hook"))[0]?.path === "src/session.py", "synced code searchable");
  });

  it("an edit in the workspace, synced as a delta, is found by repo_search", async () => {
    writeFileSync(path.join(workspace(), "src/session.py"), "def freshly_edited_function():\n    return 'new'\n", { flag: "a" });
    const r = await syncOnce({ url: `http://127.0.0.1:${uploader.port}`, repo: "backend", root: workspace() });
    assert.equal(r.sent, 1, "only the changed file travels");
    await waitFor(async () => (await search("freshly_edited_function"))[0]?.path === "src/session.py", "edit searchable");
  });

  it("a file deleted in the workspace disappears from the index", async () => {
    const { rmSync } = await import("node:fs");
    rmSync(path.join(workspace(), "src/util/strings.ts"));
    const r = await syncOnce({ url: `http://127.0.0.1:${uploader.port}`, repo: "backend", root: workspace() });
    assert.equal(r.deleted, 1);
    await waitFor(async () => !(await engine.store.listFiles("backend")).has("src/util/strings.ts"), "deleted file removed");
  });
});
