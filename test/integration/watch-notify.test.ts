// One writer per repo on shared storage (DESIGN.md section 7), with real parts: a watcher that receives no file
// events (as on NFS, where another node's writes raise none), its control port, the real uploader telling it what
// an upload wrote, the periodic reconcile for writes nobody announces, and the MCP maintenance tools asking that
// watcher instead of writing the points themselves.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, type McpContext } from "../../server/src/mcp/index.ts";
import { notifyWatcher, startUploadServer, syncOnce, watcherUrlFor, type UploadServer } from "../../server/src/sync/index.ts";
import { startControlServer, Watcher, type BatchReport, type ControlServer } from "../../server/src/watch/index.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

const TOKEN = "s3cret-token";
type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe("a watcher without file events, told by the uploader and the MCP servers", () => {
  let repos: string;
  let workspace: string;
  let cleanups: Array<() => void> = [];
  let engine: Engine;
  let watcher: Watcher;
  let control: ControlServer;
  let uploader: UploadServer;
  let notified: boolean[] = [];
  const batches: BatchReport[] = [];
  const settings = loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: "" });

  before(async () => {
    const r = tempDir("ce-repos-");
    const w = tempDir("ce-ws-");
    cleanups = [r.cleanup, w.cleanup];
    repos = r.dir;
    workspace = w.dir;
    writeTree(path.join(repos, "demo"), { "README.md": "# demo\n" });
    const store = path.join(repos, ".store.db");
    engine = await openEngine({ root: path.join(repos, "demo"), repo: "demo", settings: { ...settings, storePath: store }, log: silentLogger });
    // fileEvents: false: nothing here is seen through inotify, exactly as an upload from another node on NFS.
    watcher = new Watcher({ engine, log: silentLogger, debounceMs: 20, fileEvents: false, reconcileMs: 0 });
    watcher.onBatch((b) => batches.push(b));
    control = await startControlServer({ watcher, repo: "demo", host: "127.0.0.1", port: 0, token: TOKEN, log: silentLogger });
    await watcher.start();
    // In the cluster the template names the repo's pod (http://watcher-{repo}.watchers:8005/{repo}); here one port.
    const urlTemplate = `http://127.0.0.1:${control.port}/{repo}`;
    uploader = await startUploadServer({
      port: 0, host: "127.0.0.1", reposDir: repos, token: TOKEN, log: silentLogger,
      onApplied: (repo, paths) => void notifyWatcher({ urlTemplate, token: TOKEN, log: silentLogger }, repo, paths).then((ok) => notified.push(ok)),
    });
  });

  after(async () => {
    await uploader.close();
    await control.close();
    await watcher.stop();
    await engine.close();
    for (const c of cleanups) c();
  });

  const found = async (q: string) => (await engine.search.search(q, { limit: 3 })).results.map((x) => x.path);

  test("an upload is indexed because the uploader tells the watcher what it wrote", async () => {
    writeTree(workspace, { "src/billing.py": "def compute_invoice_total(lines):\n    return sum(l.amount for l in lines)\n" });
    const before = batches.length;
    const r = await syncOnce({ url: `http://127.0.0.1:${uploader.port}`, repo: "demo", root: workspace, token: TOKEN });
    assert.equal(r.sent, 1);
    await waitFor(() => batches.length > before && notified.length > 0, "a batch after the notification");
    assert.deepEqual(notified, [true]);
    assert.equal(batches.at(-1)!.rescan, false, "the notified paths, not a rescan");
    assert.deepEqual(await found("compute_invoice_total"), ["src/billing.py"]);
  });

  test("a deletion travels the same way and removes the file's points", async () => {
    writeTree(workspace, { "src/other.py": "def unrelated():\n    pass\n" });
    const { rmSync } = await import("node:fs");
    rmSync(path.join(workspace, "src/billing.py"));
    const before = batches.length;
    await syncOnce({ url: `http://127.0.0.1:${uploader.port}`, repo: "demo", root: workspace, token: TOKEN });
    await waitFor(() => batches.length > before, "a batch after the deletion");
    await waitFor(async () => !(await found("compute_invoice_total")).includes("src/billing.py"), "billing.py gone from the index");
  });

  test("the control port refuses paths outside the repository and requests without the token", async () => {
    const post = (p: string, body: unknown, token?: string) =>
      fetch(`http://127.0.0.1:${control.port}${p}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    assert.equal((await post("/changes", { paths: ["a.py"] })).status, 401);
    const outside = await post("/changes", { paths: ["../other-repo/secret.py"] }, TOKEN);
    assert.equal(outside.status, 400);
    assert.match(((await outside.json()) as { error: string }).error, /not inside/);
    assert.equal((await post("/changes", { paths: "a.py" }, TOKEN)).status, 400);
    const wrongRepo = await post("/other/changes", { paths: ["a.py"] }, TOKEN);
    assert.equal(wrongRepo.status, 404, "a notification meant for another repo's watcher");
    assert.match(((await wrongRepo.json()) as { error: string }).error, /watcher of "demo", not of "other"/);
    const health = await fetch(`http://127.0.0.1:${control.port}/health`);
    assert.deepEqual(((await health.json()) as { repo: string }).repo, "demo");
  });

  test("an unreachable watcher is reported, not fatal: the upload still succeeds", async () => {
    const ok = await notifyWatcher({ urlTemplate: "http://127.0.0.1:9/{repo}", log: silentLogger, timeoutMs: 2000 }, "demo", ["a.py"]);
    assert.equal(ok, false);
  });

  test("a write nobody announces is found by the periodic reconcile", async () => {
    const quiet = tempDir("ce-quiet-");
    cleanups.push(quiet.cleanup);
    writeTree(quiet.dir, { "a.py": "def alpha():\n    pass\n" });
    const e = await openEngine({ root: quiet.dir, repo: "quiet", settings: { ...settings, storePath: path.join(quiet.dir, "..", `${path.basename(quiet.dir)}.db`) }, log: silentLogger });
    const w = new Watcher({ engine: e, log: silentLogger, debounceMs: 10, fileEvents: false, reconcileMs: 100 });
    const seen: BatchReport[] = [];
    w.onBatch((b) => seen.push(b));
    try {
      await w.start();
      writeFileSync(path.join(quiet.dir, "b.py"), "def reconciled_without_any_event():\n    pass\n");
      await waitFor(async () => (await e.search.search("reconciled_without_any_event")).results[0]?.path === "b.py", "b.py indexed by a reconcile", 20_000);
      // The batch report follows the write that made b.py searchable: wait for it too.
      await waitFor(async () => seen.some((b) => b.rescan), "the reconcile reported as a rescan batch", 20_000);
    } finally {
      await w.stop();
      await e.close();
    }
  });
});

describe("MCP maintenance tools in the cluster ask the repo's watcher (WATCHER_URL)", () => {
  let repos: string;
  let cleanup: () => void;
  let ctx: McpContext;
  let client: Client;
  let engine: Engine;
  let watcher: Watcher;
  let control: ControlServer;
  const batches: BatchReport[] = [];

  before(async () => {
    ({ dir: repos, cleanup } = tempDir("ce-mcp-repos-"));
    writeTree(path.join(repos, "demo"), { "a.py": "def alpha():\n    pass\n" });
    const store = path.join(repos, ".store.db");
    const base = loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: store });
    engine = await openEngine({ root: path.join(repos, "demo"), repo: "demo", settings: base, log: silentLogger });
    watcher = new Watcher({ engine, log: silentLogger, debounceMs: 10, fileEvents: false });
    watcher.onBatch((b) => batches.push(b));
    control = await startControlServer({ watcher, repo: "demo", host: "127.0.0.1", port: 0, log: silentLogger });
    await watcher.start();
    const settings = loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: store, WATCHER_URL: `http://127.0.0.1:${control.port}/{repo}` });
    assert.equal(watcherUrlFor("http://watcher-{repo}.watchers:8005/{repo}", "demo"), "http://watcher-demo.watchers:8005/demo");
    ctx = await createMcpContext({ root: repos, settings, log: silentLogger });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await newMcpServer("indexer", ctx).connect(a);
    client = new Client({ name: "t", version: "1" });
    await client.connect(b);
  });

  after(async () => {
    await client.close();
    await ctx.close();
    await control.close();
    await watcher.stop();
    await engine.close();
    cleanup();
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult;

  test("qdrant_index_root is a re-index request to the watcher, which runs it as a rescan", async () => {
    writeFileSync(path.join(repos, "demo", "b.py"), "def beta_written_by_the_uploader():\n    pass\n");
    const before = batches.length;
    const r = await call("qdrant_index_root", { repo: "demo" });
    assert.ok(!r.isError, r.content[0]?.text);
    assert.match(r.content[0].text, /Asked the watcher of demo/);
    await waitFor(() => batches.slice(before).some((b) => b.rescan), "a rescan batch in the watcher");
    assert.equal((await engine.search.search("beta_written_by_the_uploader")).results[0]?.path, "b.py");
  });

  test("recreate is refused in the cluster; an unknown repo is refused before anything is sent", async () => {
    const r = await call("qdrant_index_root", { repo: "demo", recreate: true, confirm: "codebase" });
    assert.ok(r.isError);
    assert.match(r.content[0].text, /not done by a \(possibly scaled\) MCP server/);
    const unknown = await call("qdrant_prune", { repo: "nope" });
    assert.ok(unknown.isError);
    assert.match(unknown.content[0].text, /unknown repo "nope"/);
  });
});
