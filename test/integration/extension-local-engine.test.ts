// Local mode's engine: the real server CLI as child processes on a temp workspace, reached over MCP by the
// extension's client; the lexical-only fallback when the model is missing; readable failures.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { IndexerClient } from "../../extension/src/engine/indexer-client.ts";
import { LocalEngine, LocalStartError, startLocalEngine, type LocalIndexState } from "../../extension/src/local/local-engine.ts";
import { tsxCommand } from "../../extension/src/local/server-locator.ts";
import { silentLogger } from "../../extension/src/log.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// The server from source (tsx), as a source checkout runs it: no build step needed for the test.
const server = tsxCommand(process.execPath, path.join(repoRoot, "node_modules/tsx/dist/loader.mjs"), path.join(repoRoot, "server/src/cli/main.ts"));

function workspace(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "ce-local-"));
  mkdirSync(path.join(root, "src"));
  writeFileSync(path.join(root, "src/retry.ts"), "export function retryRequest(attempts: number): number {\n  return attempts + 1;\n}\n");
  writeFileSync(path.join(root, "src/other.ts"), "export const unrelated = 42;\n");
  return root;
}

async function until<T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
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
    const { engine, lexicalReason } = await startLocalEngine({ root, repo: "demo", server, nodePath: process.execPath, embeddingProvider: "none", log: silentLogger });
    engines.push(engine);
    assert.equal(lexicalReason, undefined);
    const st = await until<LocalIndexState>("the watcher's first index", () => {
      const s = engine.state();
      return s?.status === "watching" ? s : undefined;
    });
    assert.equal(st.files_total, 2);
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
      const { engine, lexicalReason } = await startLocalEngine({ root, repo: "demo", server, nodePath: process.execPath, embeddingProvider: "model2vec", log: silentLogger });
      engines.push(engine);
      assert.match(lexicalReason ?? "", /embedding model is not available, so search runs lexical-only/);
      assert.match(lexicalReason ?? "", /no-such-model/);
      await until("lexical index", () => (engine.state()?.status === "watching" ? true : undefined));
      assert.equal(engine.state()?.embedder, "none");
      engine.stop();
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("no Node.js runtime: the error says to install it or set contextEngine.local.nodePath", async () => {
    const root = workspace();
    const missing = path.join(root, "no-node");
    await assert.rejects(
      startLocalEngine({ root, repo: "demo", server: { command: missing, prefix: ["cli.js"], origin: "test" }, nodePath: missing, log: silentLogger }),
      (e: Error) => {
        assert.ok(e instanceof LocalStartError);
        assert.equal(e.failure.kind, "no-node");
        assert.match(e.message, /Install Node\.js 20 or newer .*contextEngine\.local\.nodePath/);
        return true;
      },
    );
  });
});
