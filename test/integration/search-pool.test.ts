// Searches on worker threads answer exactly what the engine answers on the calling thread: the same results, scores,
// explanations and snippets, dense vectors included; the workers see every write, and the result cache never serves
// an answer from before one.
import assert from "node:assert/strict";
import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { CachedSearch, startSearchPool, type SearchOptions, type SearchPool, type SearchResponse } from "../../server/src/search/index.ts";
import { REPO_ROOT } from "../helpers/cli.ts";
import { model2vecEngine } from "../helpers/engine.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Everything but the time taken. */
const answer = (r: SearchResponse) => ({ ...r, took_ms: 0 });

const QUERIES: [string, SearchOptions][] = [
  ["SearchEngine", {}],
  ["parseQuery", { limit: 5 }],
  ["how are adjacent hits merged into one span", {}],
  ["reciprocal rank fusion of the candidate lists", { limit: 20 }],
  ["lang:typescript under:store/ transaction rollback savepoint", {}],
  ["openSqliteStore", { filter: { under: "store/" } }],
  ["worker thread", { filter: { path_glob: "**/chunking/*.ts" } }],
  ["settings", { filter: { not_glob: "config/**" }, perFileCap: 1 }],
  ['the error "cannot open the SQLite store" when no driver loads', {}],
  ["SqliteStore.searchLexical", {}],
  ["RetryAfter 503 busy", { minScore: 0.5 }],
  ["tokenizeCode", { snippetLines: 3 }],
  [
    "Issue: incremental re-index ranks differently\n\nAfter a file is re-indexed the BM25 statistics drift: contentless_delete never subtracts a deleted " +
      "row's length, so scores differ from a fresh build. Steps: index, edit src/store/sqlite.ts, search `searchLexical`.",
    {},
  ],
];

describe("the search pool (worker threads over a read-only connection)", () => {
  let dir: string;
  let cleanup: () => void;
  let engine: Engine;
  let pool: SearchPool;

  before(async () => {
    ({ dir, cleanup } = tempDir("ce-pool-"));
    // Real code with dense vectors (the model2vec fixture): the server's own source.
    cpSync(path.join(REPO_ROOT, "server", "src"), path.join(dir, "src"), { recursive: true });
    engine = await model2vecEngine(dir, { STORE_PATH: path.join(dir, "index.db") });
    await engine.index();
    await engine.fillDense();
    const driver = engine.store.driver as "better-sqlite3" | "node-sqlite";
    pool = startSearchPool({ local: engine.search, sqlite: { location: engine.store.location, driver }, embedder: engine.embedder, defaultRepo: engine.repo, threads: 2, log: silentLogger });
  });
  after(async () => {
    await pool.close();
    await engine.close();
    cleanup();
  });

  it("answers every query exactly as the engine on this thread does", async () => {
    let answered = 0;
    let dense = 0;
    for (const [q, opts] of QUERIES) {
      const here = await engine.search.search(q, opts);
      const there = await pool.search(q, opts, "test");
      assert.deepEqual(answer(there), answer(here), q);
      if (here.results.length) answered++;
      if (here.results.some((r) => r.components.dense !== undefined)) dense++;
    }
    assert.equal(pool.stats().threads, 2, "the searches ran on the workers");
    assert.ok(answered >= 10 && dense >= 5, `${answered} queries answered, ${dense} with dense evidence: too few to compare`);
  });

  it("answers concurrent calls from several lanes exactly too", async () => {
    const expected = await Promise.all(QUERIES.map(([q, o]) => engine.search.search(q, o)));
    const got = await Promise.all(QUERIES.map(([q, o], i) => pool.search(q, o, `lane-${i % 3}`)));
    assert.deepEqual(got.map(answer), expected.map(answer));
  });

  it("serves a new lane's call next, however many calls a flooding lane has queued", async () => {
    const one = startSearchPool({ local: engine.search, sqlite: { location: engine.store.location, driver: engine.store.driver as "better-sqlite3" }, embedder: engine.embedder, defaultRepo: engine.repo, threads: 1, log: silentLogger });
    try {
      const done: string[] = [];
      const flood = QUERIES.concat(QUERIES, QUERIES).map(([q, o], i) => one.search(q, o, "flood").then(() => done.push(`flood ${i}`)));
      const newcomer = one.search("SearchEngine", {}, "new").then(() => done.push("new"));
      await Promise.all([...flood, newcomer]);
      // The worker was busy with the flood's first call; the round robin gives the new lane the next turn.
      assert.ok(done.indexOf("new") <= 2, done.join(", "));
    } finally {
      await one.close();
    }
  });

  it("refuses an over-long query as the engine does, before queueing it", async () => {
    const long = "x".repeat(100_000);
    const engineError = await engine.search.search(long).then(() => "", (e: Error) => e.message);
    await assert.rejects(pool.search(long), (e: Error) => e.message === engineError && engineError !== "");
  });

  it("sees a write at once, and the cache never answers from before it", async () => {
    const cached = new CachedSearch(pool, engine.store);
    const q = "quuxFrobnicator";
    const before = await cached.search(q);
    assert.equal(before.results.length, 0);
    assert.deepEqual(answer(await cached.search(q)), answer(before));
    assert.equal(cached.stats.hits, 1);
    writeFileSync(path.join(dir, "src", "frob.ts"), "export function quuxFrobnicator(x: number): number {\n  return x * 2;\n}\n");
    await engine.index();
    const afterWrite = await cached.search(q);
    assert.equal(cached.stats.hits, 1, "the write emptied the cache");
    assert.equal(afterWrite.results[0]?.path, "src/frob.ts");
    assert.deepEqual(answer(afterWrite), answer(await engine.search.search(q)));
  });
});
