// The same content ranks the same however it was indexed: an index brought up to date by incremental runs (edits,
// deletions, renames, new files) answers every query with the scores and order of a fresh build of the same tree.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext } from "../../server/src/mcp/index.ts";
import { lexicalFields, memoryLexicalFields } from "../../server/src/text/index.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const WORDS = ["session", "request", "adapter", "hook", "cookie", "header", "retry", "timeout", "proxy", "stream", "encode", "decode", "parse", "render", "cache", "token"];

/** A Python module whose size and vocabulary depend on (i, version): edits change lengths as well as words. */
function module(i: number, version: number): string {
  const out = [`"""Module ${i} v${version}: ${WORDS[i % WORDS.length]} handling."""`, "import os", ""];
  const functions = 2 + ((i * 7 + version * 3) % 5);
  for (let f = 0; f < functions; f++) {
    const a = WORDS[(i + f + version) % WORDS.length]!;
    const b = WORDS[(i * 3 + f * 5 + version) % WORDS.length]!;
    out.push(`def ${a}_${b}_${i}_${f}(value, ${b}=None):`, `    """Applies the ${a} ${b} rule to the value."""`);
    for (let l = 0; l < 2 + ((f + version) % 6); l++) out.push(`    value = ${a}_step(value, ${b}, ${l})  # ${b} ${a} ${WORDS[(l + i) % WORDS.length]}`);
    out.push("    return value", "");
  }
  return out.join("\n");
}

function tree(version: number, files: number[]): Record<string, string> {
  return Object.fromEntries(files.map((i) => [`pkg${i % 4}/mod_${i}.py`, module(i, version)]));
}

const QUERIES = [
  "session_request",
  "retry timeout",
  "cookie header parse",
  "decode",
  "Applies the proxy stream rule",
  // An issue text: long enough to run as one FTS5 pass per term, summed.
  "Session request fails with a proxy timeout\nWhen the adapter retries a request with a cookie header, the stream is decoded twice and the " +
    "cache token is rendered wrong. Traceback:\n  File \"pkg1/mod_5.py\", line 9, in session_request_5_0\nValueError: bad header encode parse retry",
];

type Ranked = { path: string; start_line: number; end_line: number; score: number }[];

async function answers(engine: Engine): Promise<Ranked[]> {
  const out: Ranked[] = [];
  for (const q of QUERIES) {
    const res = await engine.search.search(q, { limit: 20 });
    out.push(res.results.map((r) => ({ path: r.path, start_line: r.start_line, end_line: r.end_line, score: r.score })));
  }
  return out;
}

describe("incremental indexing ranks as a fresh build", () => {
  let base: string;
  let cleanup: () => void;
  before(() => ({ dir: base, cleanup } = tempDir("ce-drift-")));
  after(() => cleanup());

  it("after edits, deletions, renames and additions over several runs, every query gets the fresh build's scores and order", async () => {
    const settings = loadSettings({ EMBEDDING_PROVIDER: "none" });
    const live = path.join(base, "live");
    const all = Array.from({ length: 48 }, (_, i) => i);
    writeTree(live, tree(0, all.slice(0, 40)));
    const incremental = await openEngine({ root: live, repo: "demo", settings, log: silentLogger });
    await incremental.index();
    // Round 1: a third of the files edited, some deleted, new ones added.
    for (const i of all.slice(0, 40)) if (i % 3 === 0) writeTree(live, { [`pkg${i % 4}/mod_${i}.py`]: module(i, 1) });
    for (const i of [5, 11, 17, 23]) rmSync(path.join(live, `pkg${i % 4}/mod_${i}.py`));
    writeTree(live, tree(1, all.slice(40, 46)));
    await incremental.index();
    // Round 2: edits back and forth, a rename, more deletions and additions.
    for (const i of all.slice(0, 46)) if (i % 4 === 1 && ![5, 17].includes(i)) writeTree(live, { [`pkg${i % 4}/mod_${i}.py`]: module(i, 2) });
    rmSync(path.join(live, "pkg0/mod_0.py"));
    writeTree(live, { "pkg0/renamed_0.py": module(0, 1), ...tree(2, [46, 47]), "pkg1/mod_5.py": module(5, 2) });
    await incremental.index();
    const final = await answers(incremental);
    await incremental.close();

    // The same final tree, indexed once into a store of its own.
    const freshRoot = path.join(base, "fresh");
    const { readdirSync, readFileSync } = await import("node:fs");
    const files: Record<string, string> = {};
    for (const e of readdirSync(live, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const abs = path.join(e.parentPath, e.name);
      const rel = path.relative(live, abs);
      if (!rel.startsWith(".codebase")) files[rel] = readFileSync(abs, "utf8");
    }
    writeTree(freshRoot, files);
    const fresh = await openEngine({ root: freshRoot, repo: "demo", settings, log: silentLogger });
    await fresh.index();
    const expected = await answers(fresh);
    await fresh.close();

    assert.ok(expected.every((r) => r.length > 0), "every probe query finds something");
    for (let q = 0; q < QUERIES.length; q++) assert.deepEqual(final[q], expected[q], `query ${JSON.stringify(QUERIES[q]!.slice(0, 40))}`);
  });
});

describe("a store made when the lexical index kept no texts", () => {
  it("is rebuilt once on open, and then answers code and memory queries as before", async () => {
    const { dir, cleanup } = tempDir("ce-drift-migrate-");
    try {
      writeTree(dir, tree(0, Array.from({ length: 12 }, (_, i) => i)));
      const settings = loadSettings({ EMBEDDING_PROVIDER: "none" });
      const ctx = await createMcpContext({ root: dir, settings, log: silentLogger });
      const engine = await ctx.engineFor();
      await engine.index();
      await ctx.memory.remember("Retries back off exponentially; never retry a POST", { topic: "retry policy", tags: ["http", "proxy_timeout"] });
      const before = await answers(engine);
      const memBefore = await ctx.memory.find("retry policy proxy timeout");
      await ctx.close();

      // The earlier schema: a contentless table with contentless_delete, filled with the same column texts.
      const file = path.join(dir, ".codebase", "index.db");
      const db = new Database(file);
      db.exec(`DROP TABLE chunks_fts; CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, body, content='', contentless_delete=1, tokenize="unicode61 tokenchars '_$'")`);
      const ins = db.prepare("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)");
      for (const r of db.prepare("SELECT rowid, kind, path, symbol, symbol_path, text, metadata FROM chunks").all() as { rowid: number; kind: string; path: string; symbol: string; symbol_path: string; text: string; metadata: string | null }[]) {
        const f = r.kind === "memory" ? memoryLexicalFields(r.text, JSON.parse(r.metadata ?? "{}")) : lexicalFields(r);
        ins.run(r.rowid, f.symbol.join(" "), f.path.join(" "), f.body.join(" "));
      }
      db.close();

      const reopened = await createMcpContext({ root: dir, settings, log: silentLogger });
      const check = new Database(file, { readonly: true });
      const schema = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'chunks_fts'").get() as { sql: string };
      check.close();
      assert.doesNotMatch(schema.sql, /contentless/);
      assert.deepEqual(await answers(await reopened.engineFor()), before);
      assert.deepEqual((await reopened.memory.find("retry policy proxy timeout")).map((m) => [m.id, m.score]), memBefore.map((m) => [m.id, m.score]));
      await reopened.close();
    } finally {
      cleanup();
    }
  });
});
