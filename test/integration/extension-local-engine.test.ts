// Local mode's engine: the real server CLI as child processes on temp workspace folders, reached over MCP by the
// extension's client, the index in a storage folder of its own; the lexical-only fallback when the model is
// missing; readable failures.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { IndexerClient } from "../../extension/src/engine/indexer-client.ts";
import { statesOf, summarize } from "../../extension/src/local/index-progress.ts";
import { LocalEngine, LocalStartError, startLocalEngine, type LocalEngineOptions, type LocalFolder } from "../../extension/src/local/local-engine.ts";
import { chooseRuntime, type Runtime } from "../../extension/src/local/runtime.ts";
import { tsxCommand } from "../../extension/src/local/server-locator.ts";
import { silentLogger } from "../../extension/src/log.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// The server from source (tsx), as a source checkout runs it: no build step needed for the test.
const server = tsxCommand(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs"), path.join(repoRoot, "server/src/cli/main.ts"));
/** This Node.js (better-sqlite3 is built for it in the checkout), chosen as local mode chooses. */
let runtime: Runtime | undefined;
async function nodeRuntime(): Promise<Runtime> {
  runtime ??= await chooseRuntime("node", process.execPath, server.serverDir);
  return runtime;
}

function workspace(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "ce-local-"));
  mkdirSync(path.join(root, "src"));
  writeFileSync(path.join(root, "src/retry.ts"), "export function retryRequest(attempts: number): number {\n  return attempts + 1;\n}\n");
  writeFileSync(path.join(root, "src/other.ts"), "export const unrelated = 42;\n");
  return root;
}

async function options(folders: LocalFolder[], extra: Partial<LocalEngineOptions> = {}): Promise<LocalEngineOptions> {
  const storage = mkdtempSync(path.join(os.tmpdir(), "ce-storage-"));
  return { folders, server, runtime: await nodeRuntime(), storePath: path.join(storage, "index.db"), embeddingProvider: "none", log: silentLogger, ...extra };
}

/** The engine's progress as local mode reads it (qdrant_status). */
async function progress(engine: LocalEngine) {
  const payload = await engine.status();
  return payload === undefined ? undefined : { payload, ...summarize(statesOf(payload), engine.folders.map((f) => f.repo)) };
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const engines: LocalEngine[] = [];
after(() => {
  for (const e of engines) e.stop();
});

describe("local engine (real server CLI)", () => {
  test("indexes the workspace and answers repo_search through the extension's MCP client", async () => {
    const root = workspace();
    const { engine, lexicalReason } = await startLocalEngine(await options([{ repo: "demo", root }]));
    engines.push(engine);
    assert.equal(lexicalReason, undefined);
    const st = await until("the watcher's first index", async () => {
      const p = await progress(engine);
      return p?.phase === "ready" ? p : undefined;
    });
    assert.equal(st.index.total, 2);
    const client = new IndexerClient(() => ({ url: engine.mcpUrl }), silentLogger);
    try {
      const tools = await client.listTools();
      assert.ok(tools.includes("repo_search") && tools.includes("qdrant_status"), tools.join(", "));
      const { results } = await client.search("retryRequest", { limit: 5 });
      assert.equal(results[0]?.path, "src/retry.ts");
      assert.equal(results[0].start_line, 1);
      const status = await client.status();
      assert.equal(status.state, "watching", JSON.stringify(status.raw).slice(0, 300));
      assert.equal(status.points, 2);
      assert.equal(status.filesTotal, 2);
      // The memory server starts on demand, at the URL announced beforehand.
      const announced = await engine.memoryUrl();
      assert.equal(await engine.ensureMemory(), announced);
      assert.equal(await engine.ensureMemory(), announced, "started once");
      const memory = new IndexerClient(() => ({ url: announced }), silentLogger);
      try {
        const tools = await memory.listTools();
        assert.ok(tools.includes("memory_store") && tools.includes("memory_find"), tools.join(", "));
        await memory.call("memory_store", { information: "retries use exponential backoff capped at 30 s" });
        const found = await memory.call("memory_find", { query: "backoff" });
        assert.match(JSON.stringify(found), /exponential backoff/);
      } finally {
        await memory.close();
      }
    } finally {
      await client.close();
      engine.stop();
    }
  });

  test("a missing embedding model falls back to lexical-only search and says why", async () => {
    const root = workspace();
    const saved = { EMBEDDING_MODEL: process.env.EMBEDDING_MODEL, MODEL_DIR: process.env.MODEL_DIR };
    process.env.EMBEDDING_MODEL = path.join(root, "no-such-model");
    process.env.MODEL_DIR = path.join(root, "models");
    try {
      const { engine, lexicalReason } = await startLocalEngine(await options([{ repo: "demo", root }], { embeddingProvider: "model2vec" }));
      engines.push(engine);
      assert.match(lexicalReason ?? "", /embedding model is not available, so search runs lexical-only/);
      assert.match(lexicalReason ?? "", /no-such-model/);
      const p = await until("lexical index", async () => {
        const x = await progress(engine);
        return x?.phase === "ready" ? x : undefined;
      });
      assert.equal((p.payload as { embedder: string }).embedder, "none");
      engine.stop();
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("every folder of a multi-root workspace is indexed into one store and searched together", async () => {
    const a = workspace();
    const b = mkdtempSync(path.join(os.tmpdir(), "ce-local-b-"));
    writeFileSync(path.join(b, "ledger.py"), "def reconcile_ledger_entries(entries):\n    return sorted(entries)\n");
    const { engine } = await startLocalEngine(await options([{ repo: "app", root: a }, { repo: "books", root: b }]));
    engines.push(engine);
    const p = await until("both folders watched", async () => {
      const x = await progress(engine);
      return x?.phase === "ready" ? x : undefined;
    });
    assert.equal(p.index.total, 3);
    assert.equal(p.detail, "Local index of 2 folders (app, books): 3 files");
    const client = new IndexerClient(() => ({ url: engine.mcpUrl }), silentLogger);
    try {
      assert.deepEqual((await client.search("retryRequest", { limit: 3 })).results.map((r) => [r.repo, r.path])[0], ["app", "src/retry.ts"]);
      assert.deepEqual((await client.search("reconcile ledger entries", { limit: 3 })).results.map((r) => [r.repo, r.path])[0], ["books", "ledger.py"]);
    } finally {
      await client.close();
      engine.stop();
    }
  });

  test("a runtime that is not there: the error says what to set", async () => {
    const root = workspace();
    const missing = path.join(root, "no-node");
    const gone: Runtime = { kind: "node", command: missing, env: {}, label: `Node.js (${missing})`, probe: {} };
    await assert.rejects(startLocalEngine(await options([{ repo: "demo", root }], { runtime: gone })), (e: Error) => {
      assert.ok(e instanceof LocalStartError);
      assert.equal(e.failure.kind, "no-runtime");
      assert.match(e.message, /could not run Node\.js .*no-node\): not found/);
      return true;
    });
  });
});
