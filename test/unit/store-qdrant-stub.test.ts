// The Qdrant store's contract with Qdrant's REST API, checked against a loopback stub: the exact requests
// for the collection schema, payload indexes, filters, batches, retries and failures.
import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { silentLogger } from "../../server/src/log/index.ts";
import { pointId } from "../../server/src/store/ids.ts";
import { initCollection, openQdrantStore, type QdrantStore, type QdrantStoreOptions } from "../../server/src/store/qdrant/index.ts";
import { META_ID, fileRecordId } from "../../server/src/store/qdrant/payload.ts";
import { backoffDelay } from "../../server/src/store/qdrant/retry.ts";
import { documentVector, queryVector } from "../../server/src/store/qdrant/sparse.ts";
import { tokenizeCode } from "../../server/src/text/index.ts";
import type { FileRecord, Point, SearchFilter } from "../../server/src/store/types.ts";
import { QdrantStub } from "../helpers/store-qdrant-stub.ts";

const FAST: QdrantStoreOptions = { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 5000 };
const SCHEMA = { embedder: "test:hash-4", dimension: 4 };
const INT8 = { scalar: { type: "int8", quantile: 0.99, always_ram: true } };
const DENSE_CONFIG = {
  vectors: { dense: { size: 4, distance: "Cosine", on_disk: false } },
  sparse_vectors: { lex: { modifier: "idf", index: { on_disk: false } } },
  quantization_config: INT8,
};

let stub: QdrantStub;

function open(opts: QdrantStoreOptions = {}, extra: { apiKey?: string; memoryCollection?: string } = {}): QdrantStore {
  return openQdrantStore(
    { qdrantUrl: stub.url, qdrantApiKey: extra.apiKey, collectionName: "codebase", memoryCollection: extra.memoryCollection ?? "codebase" },
    silentLogger,
    { ...FAST, ...opts },
  );
}

function chunk(path: string, start: number, extra: Partial<Point> = {}): Point {
  return {
    id: pointId("r", path, start),
    repo: "r",
    path,
    language: "typescript",
    start_line: start,
    end_line: start + 4,
    symbol: "registerHook",
    symbol_kind: "function",
    symbol_path: "Hooks.registerHook",
    kind: "code",
    text: `function registerHook() { /* ${start} */ }`,
    file_hash: "h1",
    vector: Float32Array.from([1, 0, 0, start / 100]),
    lexical: { symbol: ["registerhook", "register", "hook"], path: ["src", "hooks"], body: ["registerhook", "register", "hook"] },
    ...extra,
  };
}

function file(path: string, chunks: number): FileRecord {
  return { repo: "r", path, hash: "h1", size: 100, mtime_ms: 1_700_000_000_000, chunks, indexed_at: 1_700_000_000_500 };
}

/** A collection that ensure() has created before, so a test starts from a ready store. */
function readyCollection(): void {
  stub.addCollection("codebase", DENSE_CONFIG, ["repo", "path", "path_prefixes", "language", "kind", "symbol", "ext", "indexed_at", "body_tokens"]);
  stub.putPoint("codebase", { id: META_ID, payload: { kind: "meta", embedder: SCHEMA.embedder, dimension: 4, layout: 1 } });
}

beforeEach(async () => {
  stub = new QdrantStub();
  await stub.start();
});
afterEach(async () => {
  await stub.stop();
});

describe("collection schema", () => {
  test("ensure creates the collection with a named cosine dense vector (searched in int8, kept in RAM) and an IDF sparse vector `lex`", async () => {
    const store = open();
    assert.deepEqual(await store.ensure(SCHEMA), { status: "created" });
    const [create] = stub.find("PUT", /^\/collections\/codebase$/);
    assert.deepEqual(create!.body, DENSE_CONFIG);
  });

  test("on_disk is configurable for the dense vector and the sparse index", async () => {
    await open({ onDisk: true }).ensure(SCHEMA);
    const [create] = stub.find("PUT", /^\/collections\/codebase$/);
    assert.deepEqual(create!.body, {
      vectors: { dense: { size: 4, distance: "Cosine", on_disk: true } },
      sparse_vectors: { lex: { modifier: "idf", index: { on_disk: true } } },
      quantization_config: INT8,
    });
  });

  test("a lexical-only embedder (dimension 0) creates no dense vector and no quantization", async () => {
    await open().ensure({ embedder: "none", dimension: 0 });
    const [create] = stub.find("PUT", /^\/collections\/codebase$/);
    assert.deepEqual(create!.body, { vectors: {}, sparse_vectors: { lex: { modifier: "idf", index: { on_disk: false } } } });
  });

  test("payload indexes are created (keyword on repo, path, language, kind, symbol, symbol path; prefixes and ext; indexed_at for ordering; body tokens for phrases), each awaited", async () => {
    await open().ensure(SCHEMA);
    const indexes = stub.find("PUT", /^\/collections\/codebase\/index$/);
    assert.deepEqual(
      indexes.map((r) => [r.body.field_name, r.body.field_schema]),
      [
        ["repo", "keyword"], ["path", "keyword"], ["path_prefixes", "keyword"], ["language", "keyword"], ["kind", "keyword"], ["symbol", "keyword"], ["symbol_path", "keyword"], ["ext", "keyword"],
        ["indexed_at", "float"], ["body_tokens", { type: "text", tokenizer: "whitespace", lowercase: true, phrase_matching: true }],
      ],
    );
    for (const r of indexes) assert.equal(r.query.wait, "true");
  });

  test("the schema is recorded in a fixed-id point without vectors", async () => {
    await open().ensure(SCHEMA);
    const upserts = stub.find("PUT", /^\/collections\/codebase\/points$/);
    assert.equal(upserts.length, 1);
    assert.deepEqual(upserts[0]!.body.points, [{ id: META_ID, vector: {}, payload: { kind: "meta", embedder: "test:hash-4", dimension: 4, layout: 1 } }]);
  });

  test("ensure on a matching collection answers ok and creates only the missing payload indexes", async () => {
    stub.addCollection("codebase", DENSE_CONFIG, ["repo", "path", "path_prefixes", "language", "kind", "symbol"]);
    stub.putPoint("codebase", { id: META_ID, payload: { kind: "meta", embedder: SCHEMA.embedder, dimension: 4 } });
    assert.deepEqual(await open().ensure(SCHEMA), { status: "ok" });
    assert.equal(stub.find("PUT", /^\/collections\/codebase$/).length, 0);
    // An index added in a later release (symbol_path) is created on a collection made before it.
    assert.deepEqual(stub.find("PUT", /\/index$/).map((r) => r.body.field_name), ["symbol_path", "ext", "indexed_at", "body_tokens"]);
  });

  test("a dimension change is reported as a mismatch and nothing is written", async () => {
    readyCollection();
    const check = await open().ensure({ embedder: "test:other-8", dimension: 8 });
    assert.deepEqual(check, { status: "mismatch", stored: { embedder: "test:hash-4", dimension: 4 }, wanted: { embedder: "test:other-8", dimension: 8 } });
    assert.equal(stub.requests.filter((r) => r.method === "PUT" || r.method === "DELETE").length, 0);
  });

  test("an embedder change with the same dimension is a mismatch too", async () => {
    readyCollection();
    const check = await open().ensure({ embedder: "test:other-4", dimension: 4 });
    assert.equal(check.status, "mismatch");
  });

  test("a collection without the `lex` sparse vector (not ours) is a mismatch", async () => {
    stub.addCollection("codebase", { vectors: { dense: { size: 4, distance: "Cosine" } } });
    const check = await open().ensure(SCHEMA);
    assert.deepEqual(check, { status: "mismatch", stored: { embedder: "unknown", dimension: 4 }, wanted: SCHEMA });
  });

  test("recreate deletes and re-creates the collection with the new schema", async () => {
    readyCollection();
    await open().recreate({ embedder: "test:other-8", dimension: 8 });
    const writes = stub.requests.filter((r) => r.method === "DELETE" || (r.method === "PUT" && r.path === "/collections/codebase"));
    assert.deepEqual(writes.map((r) => r.method), ["DELETE", "PUT"]);
    assert.equal(writes[1]!.body.vectors.dense.size, 8);
  });

  test("initCollection is idempotent and refuses a mismatch with a message saying what to run", async () => {
    const settings = { qdrantUrl: stub.url, qdrantApiKey: undefined, collectionName: "codebase", memoryCollection: "codebase" };
    assert.deepEqual(await initCollection(settings, SCHEMA, silentLogger, FAST), { status: "created" });
    assert.deepEqual(await initCollection(settings, SCHEMA, silentLogger, FAST), { status: "ok" });
    await assert.rejects(initCollection(settings, { embedder: "x", dimension: 8 }, silentLogger, FAST), (err: Error) => {
      assert.match(err.message, /Qdrant collection "codebase" at http:\/\/127\.0\.0\.1:\d+ was built with test:hash-4 \(4 dimensions\) but the embedder is x \(8 dimensions\)/);
      assert.match(err.message, /--recreate/);
      return true;
    });
    assert.deepEqual(await initCollection(settings, { embedder: "x", dimension: 8 }, silentLogger, { ...FAST, recreate: true }), { status: "created" });
    assert.equal(stub.collections.get("codebase")!.config.vectors.dense.size, 8);
  });

  test("a separate MEMORY_COLLECTION is created beside the code collection", async () => {
    await open({}, { memoryCollection: "memories" }).ensure(SCHEMA);
    assert.deepEqual(stub.find("PUT", /^\/collections\/[^/]+$/).map((r) => r.path), ["/collections/codebase", "/collections/memories"]);
  });
});

describe("filter translation", () => {
  async function filterFor(filter: SearchFilter): Promise<unknown> {
    readyCollection();
    const store = open();
    await store.searchLexical({ terms: [{ term: "hook", weight: 1 }] }, filter, 10);
    const [q] = stub.find("POST", /\/points\/query$/);
    return q!.body.filter;
  }

  test("repo becomes a keyword match; no filter at all for repo '*'", async () => {
    assert.deepEqual(await filterFor({ repo: "r" }), { must: [{ key: "repo", match: { value: "r" } }] });
    stub.requests.length = 0;
    stub.collections.clear();
    assert.equal(await filterFor({ repo: "*" }), undefined);
  });

  test("language, kind and ext become match-any (ext lower-cased, dot dropped)", async () => {
    assert.deepEqual(await filterFor({ language: ["python", "go"], kind: ["code", "test"], ext: [".PY", "go"] }), {
      must: [
        { key: "language", match: { any: ["python", "go"] } },
        { key: "kind", match: { any: ["code", "test"] } },
        { key: "ext", match: { any: ["py", "go"] } },
      ],
    });
  });

  test("under becomes a keyword match on the stored folder prefixes", async () => {
    assert.deepEqual(await filterFor({ repo: "r", under: "./src/store/" }), {
      must: [{ key: "repo", match: { value: "r" } }, { key: "path_prefixes", match: { value: "src/store" } }],
    });
  });

  test("symbol becomes a lower-case text match (substring without a full-text index)", async () => {
    assert.deepEqual(await filterFor({ symbol: "RegisterHook" }), { must: [{ key: "symbol_text", match: { text: "registerhook" } }] });
  });

  test("globs send no condition to Qdrant: they over-fetch and are checked on the answers", async () => {
    assert.equal(await filterFor({ path_glob: "src/**/*.ts", not_glob: "**/*.test.ts" }), undefined);
    const [q] = stub.find("POST", /\/points\/query$/);
    assert.equal(q!.body.limit, 64);
  });

  test("the stored payload carries the fields the filters use", async () => {
    readyCollection();
    await open().upsertPoints([chunk("src/store/qdrant/filter.ts", 1)]);
    const [put] = stub.find("PUT", /\/points$/);
    const payload = put!.body.points[0].payload;
    assert.deepEqual(payload.path_prefixes, ["src", "src/store", "src/store/qdrant"]);
    assert.equal(payload.ext, "ts");
    assert.equal(payload.symbol_text, "registerhook\nhooks.registerhook");
    assert.equal(payload.repo, "r");
    assert.equal(payload.kind, "code");
  });

  test("post-filtered searches keep Qdrant's order, drop what fails the glob, and page on until the limit is met", async () => {
    readyCollection();
    const hit = (i: number, path: string) => ({ id: pointId("hit", i), score: 1 - i / 1000, payload: { repo: "r", path, symbol: "", symbol_path: "", kind: "code" } });
    // 64 candidates per page for a limit of 10; the first page holds 4 that pass.
    const page1 = Array.from({ length: 64 }, (_, i) => hit(i, i % 16 === 1 ? `src/a${i}.ts` : `docs/a${i}.md`));
    const page2 = Array.from({ length: 10 }, (_, i) => hit(64 + i, `src/b${i}.ts`));
    stub.on("POST", /\/points\/query$/, (r) => ({ result: { points: r.body.offset ? page2 : page1 } }));
    const res = await open().searchLexical({ terms: [{ term: "a", weight: 1 }] }, { path_glob: "src/**" }, 10);
    assert.equal(res.length, 10);
    assert.deepEqual(res.slice(0, 5).map((h) => h.point.path), ["src/a1.ts", "src/a17.ts", "src/a33.ts", "src/a49.ts", "src/b0.ts"]);
    assert.ok(res.every((h) => h.point.path.startsWith("src/")));
    assert.deepEqual(res.map((h) => h.score), [...res.map((h) => h.score)].sort((a, b) => b - a));
    const queries = stub.find("POST", /\/points\/query$/);
    assert.deepEqual(queries.map((q) => q.body.offset ?? 0), [0, 64]);
  });

  test("a symbol filter keeps only hits whose symbol or symbol path contains it, ignoring case", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, {
      result: {
        points: [
          { id: pointId(1), score: 0.9, payload: { path: "a.ts", symbol: "registerHook", symbol_path: "Hooks.registerHook" } },
          { id: pointId(2), score: 0.8, payload: { path: "b.ts", symbol: "register", symbol_path: "Hook.register" } },
        ],
      },
    });
    const res = await open().searchLexical({ terms: [{ term: "hook", weight: 1 }] }, { symbol: "REGISTERHOOK" }, 10);
    assert.deepEqual(res.map((h) => h.point.path), ["a.ts"]);
  });
});

describe("searches", () => {
  test("dense search queries the named vector `dense` with the vector as numbers", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, { result: { points: [{ id: pointId(1), score: 0.5, payload: { repo: "r", path: "a.ts", start_line: 3, end_line: 9, kind: "code", text: "x" } }] } });
    const res = await open().searchDense(Float32Array.from([0.5, 0.5, 0.5, 0.5]), { repo: "r" }, 5);
    const [q] = stub.find("POST", /\/points\/query$/);
    assert.deepEqual(q!.body, { query: [0.5, 0.5, 0.5, 0.5], using: "dense", limit: 5, filter: { must: [{ key: "repo", match: { value: "r" } }] }, with_payload: true });
    assert.equal(res[0]!.point.path, "a.ts");
    assert.equal(res[0]!.point.start_line, 3);
    assert.equal(res[0]!.score, 0.5);
  });

  test("a vector of the wrong size or a lexical-only index answers no dense hits without asking Qdrant", async () => {
    readyCollection();
    assert.deepEqual(await open().searchDense(Float32Array.from([1, 2]), {}, 5), []);
    assert.equal(stub.find("POST", /\/points\/query$/).length, 0);
  });

  test("lexical search queries `lex` with hashed term indices and the query weights", async () => {
    readyCollection();
    const query = { terms: [{ term: "register", weight: 2 }, { term: "hook", weight: 1 }] };
    await open().searchLexical(query, {}, 7);
    const [q] = stub.find("POST", /\/points\/query$/);
    assert.deepEqual(q!.body, { query: queryVector(query), using: "lex", limit: 7, with_payload: true });
  });
});

describe("phrase search", () => {
  const body = (text: string) => ({ text, lexical: { symbol: [], path: [], body: tokenizeCode(text) } });
  test("matches each quoted phrase on the body's code tokens, scores rarer phrases higher, and skips phrases in too many chunks", async () => {
    readyCollection();
    const store = open();
    const common = Array.from({ length: 300 }, (_, i) => chunk(`src/c${i}.py`, 1, body(`value error raised here ${i}`)));
    await store.upsertPoints([
      ...common,
      chunk("src/point.py", 1, body("raise ValueError('Imaginary coordinates are not permitted.')")),
      chunk("src/other.py", 1, body("# imaginary coordinates of points\nraise ValueError('value error raised here')")),
    ]);
    const phrases = [["imaginary", "coordinates", "permitted"], ["imaginary", "coordinates"], ["value", "error", "raised"]];
    const hits = await store.searchPhrases(phrases, { repo: "r" }, 10);
    assert.deepEqual(hits.map((h) => h.point.path), ["src/point.py", "src/other.py"], "the common phrase (301 chunks) is not read");
    assert.ok(hits[0]!.score > hits[1]!.score);
    const counts = stub.find("POST", /\/points\/count$/).map((r) => r.body.filter.must.at(-1));
    assert.deepEqual(counts.filter((c: any) => c.key === "body_tokens").map((c: any) => c.match.phrase).sort(), ["imaginary coordinates", "imaginary coordinates permitted", "value error raised"]);
    assert.deepEqual(await store.searchPhrases([["permitted", "coordinates", "imaginary"]], {}, 10), [], "order matters");
    assert.deepEqual(await store.searchPhrases([["imaginary", "coordinates"]], { path_glob: "src/other.py" }, 10).then((h) => h.map((x) => x.point.path)), ["src/other.py"]);
  });
});

describe("phrase search on a server without phrase matching", () => {
  test("ensure goes on without the phrase index, and a refused phrase match loses only that signal", async () => {
    stub.on("PUT", /\/index$/, (r) => (r.body.field_name === "body_tokens" ? { status: 400, error: "Format error in JSON body: unknown field `phrase_matching`" } : undefined));
    const store = open();
    assert.deepEqual(await store.ensure(SCHEMA), { status: "created" });
    stub.on("POST", /\/points\/count$/, (r) => (JSON.stringify(r.body).includes("phrase") ? { status: 400, error: "Bad request: phrase match needs a text index with phrase_matching" } : undefined));
    assert.deepEqual(await store.searchPhrases([["a", "b", "c"]], {}, 5), []);
    const asked = stub.requests.length;
    assert.deepEqual(await store.searchPhrases([["a", "b", "c"]], {}, 5), []);
    assert.equal(stub.requests.length, asked, "not asked again for a while");
    assert.deepEqual(await store.searchLexical({ terms: [{ term: "a", weight: 1 }] }, {}, 5), []);
  });
});

describe("file heads", () => {
  test("fileHeadTexts reads several files' first chunks in one scroll, in line order, without the file records", async () => {
    readyCollection();
    const store = open();
    await store.replaceFile(file("src/a.ts", 3), [chunk("src/a.ts", 90, { text: "late" }), chunk("src/a.ts", 1, { text: "import x from './b';" }), chunk("src/a.ts", 40, { text: "mid" })]);
    await store.replaceFile(file("src/b.ts", 1), [chunk("src/b.ts", 1, { text: "export const x = 1;" })]);
    await store.replaceFile(file("src/c.ts", 1), [chunk("src/c.ts", 1, { text: "other" })]);
    const asked = stub.requests.length;
    const heads = await store.fileHeadTexts("r", ["src/a.ts", "src/b.ts", "src/none.ts"], 80);
    assert.deepEqual([...heads], [["src/a.ts", "import x from './b';\nmid"], ["src/b.ts", "export const x = 1;"]]);
    assert.equal(stub.requests.length - asked, 1, "one scroll");
  });
});

describe("writes", () => {
  test("replaceFile upserts in batches (wait), deletes the file's stale points, and records the file last", async () => {
    readyCollection();
    const points = Array.from({ length: 10 }, (_, i) => chunk("src/hooks.ts", i * 5 + 1));
    await open({ batchSize: 4, concurrency: 2 }).replaceFile(file("src/hooks.ts", 10), points);
    const writes = stub.requests.filter((r) => r.method !== "GET" && !r.path.endsWith("/exists"));
    assert.deepEqual(writes.map((r) => `${r.method} ${r.path.replace("/collections/codebase", "")}`), [
      "PUT /points", "PUT /points", "PUT /points", "POST /points/delete", "PUT /points",
    ]);
    assert.deepEqual(writes.slice(0, 3).map((r) => r.body.points.length).sort(), [2, 4, 4]);
    for (const w of writes) assert.equal(w.query.wait, "true");
    assert.deepEqual(writes[3]!.body, {
      filter: {
        must: [{ key: "repo", match: { value: "r" } }, { key: "path", match: { value: "src/hooks.ts" } }],
        must_not: [{ has_id: [...points.map((p) => p.id), fileRecordId("r", "src/hooks.ts")] }, { key: "kind", match: { value: "memory" } }],
      },
    });
    assert.deepEqual(writes[4]!.body.points, [{
      id: fileRecordId("r", "src/hooks.ts"),
      vector: {},
      payload: { kind: "file", repo: "r", path: "src/hooks.ts", hash: "h1", size: 100, mtime_ms: 1_700_000_000_000, chunks: 10, indexed_at: 1_700_000_000_500 },
    }]);
  });

  test("points carry the dense vector and the `lex` sparse vector built from the lexical fields", async () => {
    readyCollection();
    const p = chunk("src/hooks.ts", 1);
    await open().upsertPoints([p]);
    const [put] = stub.find("PUT", /\/points$/);
    assert.equal(put!.body.points[0].id, p.id);
    assert.deepEqual(put!.body.points[0].vector, { dense: Array.from(p.vector!), lex: documentVector(p.lexical) });
  });

  test("a failed batch stops the file from being recorded", async () => {
    readyCollection();
    stub.on("PUT", /\/points$/, { status: 400, error: "Wrong input: bad vector" }, 1);
    await assert.rejects(open({ batchSize: 4 }).replaceFile(file("a.ts", 6), Array.from({ length: 6 }, (_, i) => chunk("a.ts", i))));
    const puts = stub.find("PUT", /\/points$/);
    assert.ok(puts.every((r) => r.body.points.every((p: { payload: { kind: string } }) => p.payload.kind !== "file")));
    assert.equal(stub.find("POST", /\/points\/delete$/).length, 0);
  });

  test("removeFiles deletes by repo + path filter, 256 paths per request", async () => {
    readyCollection();
    const paths = Array.from({ length: 300 }, (_, i) => `f${i}.ts`);
    await open().removeFiles("r", paths);
    const deletes = stub.find("POST", /\/points\/delete$/);
    assert.equal(deletes.length, 2);
    assert.deepEqual(deletes[1]!.body, {
      filter: { must: [{ key: "repo", match: { value: "r" } }, { key: "path", match: { any: paths.slice(256) } }], must_not: [{ key: "kind", match: { value: "memory" } }] },
    });
  });

  test("moveFile re-keys the points with their stored vectors (no re-embedding) and records the new path", async () => {
    readyCollection();
    const old = chunk("src/old.ts", 1);
    stub.on("POST", /\/points\/scroll$/, {
      result: {
        points: [{ id: old.id, vector: { dense: [1, 0, 0, 0.25] }, payload: { repo: "r", path: "src/old.ts", kind: "code", symbol: "registerHook", symbol_path: "", text: old.text, start_line: 1, end_line: 5, language: "typescript", file_hash: "h1" } }],
        next_page_offset: null,
      },
    });
    const to = file("lib/new.ts", 1);
    const moved = await open().moveFile("r", "src/old.ts", to, (p) => pointId(p.repo, p.path, p.start_line));
    assert.equal(moved, true);
    const [scroll] = stub.find("POST", /\/points\/scroll$/);
    assert.deepEqual(scroll!.body.with_vector, ["dense"]);
    const [put, record] = stub.find("PUT", /\/points$/);
    const newId = pointId("r", "lib/new.ts", 1);
    assert.equal(put!.body.points[0].id, newId);
    assert.deepEqual(put!.body.points[0].vector.dense, [1, 0, 0, 0.25]);
    assert.equal(put!.body.points[0].payload.path, "lib/new.ts");
    assert.deepEqual(put!.body.points[0].payload.path_prefixes, ["lib"]);
    assert.equal(put!.body.points[0].payload.body_tokens, "registerhook register hook", "phrase tokens rebuilt from the text");
    const [del] = stub.find("POST", /\/points\/delete$/);
    assert.deepEqual(del!.body.filter.must_not[0], { has_id: [newId, fileRecordId("r", "lib/new.ts")] });
    assert.equal(record!.body.points[0].payload.path, "lib/new.ts");
  });

  test("moveFile of a file without points answers false and writes nothing", async () => {
    readyCollection();
    assert.equal(await open().moveFile("r", "nope.ts", file("x.ts", 0), (p) => p.id), false);
    assert.equal(stub.requests.filter((r) => r.method === "PUT" || r.path.endsWith("/delete")).length, 0);
  });

  test("memories go to MEMORY_COLLECTION when it is a separate collection", async () => {
    readyCollection();
    stub.addCollection("memories", DENSE_CONFIG);
    await open({}, { memoryCollection: "memories" }).upsertPoints([chunk("a.ts", 1), chunk("", 0, { id: pointId("m"), kind: "memory" })]);
    assert.deepEqual(stub.find("PUT", /\/points$/).map((r) => [r.path, r.body.points.length]), [
      ["/collections/memories/points", 1],
      ["/collections/codebase/points", 1],
    ]);
  });
});

describe("reads", () => {
  test("listFiles scrolls the file records of one repo page by page", async () => {
    readyCollection();
    const rec = (path: string) => ({ id: fileRecordId("r", path), payload: { kind: "file", repo: "r", path, hash: "h", size: 1, mtime_ms: 2, chunks: 3, indexed_at: 4 } });
    stub.on("POST", /\/points\/scroll$/, (r) => ({ result: r.body.offset ? { points: [rec("b.ts")], next_page_offset: null } : { points: [rec("a.ts")], next_page_offset: "next-page" } }));
    const files = await open().listFiles("r");
    assert.deepEqual([...files.keys()], ["a.ts", "b.ts"]);
    assert.deepEqual(files.get("a.ts"), { repo: "r", path: "a.ts", hash: "h", size: 1, mtime_ms: 2, chunks: 3, indexed_at: 4 });
    const scrolls = stub.find("POST", /\/points\/scroll$/);
    assert.deepEqual(scrolls[0]!.body.filter, { must: [{ key: "repo", match: { value: "r" } }, { key: "kind", match: { value: "file" } }] });
    assert.equal(scrolls[1]!.body.offset, "next-page");
  });

  test("stats counts per repo with facets and reads the newest file record by indexed_at", async () => {
    readyCollection();
    stub.on("POST", /\/facet$/, (r) =>
      r.body.key === "repo"
        ? { result: { hits: [{ value: "r", count: 9 }] } }
        : { result: { hits: [{ value: "code", count: 5 }, { value: "test", count: 1 }, { value: "file", count: 2 }, { value: "memory", count: 1 }] } },
    );
    stub.on("POST", /\/points\/scroll$/, { result: { points: [{ id: "x", payload: { indexed_at: 1234 } }], next_page_offset: null } });
    assert.deepEqual(await open().stats(), [{ repo: "r", points: 6, files: 2, memories: 1, last_indexed_at: 1234 }]);
    const [scroll] = stub.find("POST", /\/points\/scroll$/);
    assert.deepEqual(scroll!.body.order_by, { key: "indexed_at", direction: "desc" });
    assert.equal(scroll!.body.limit, 1);
  });
});

describe("faults", () => {
  test("a 503 is retried and the call succeeds once Qdrant answers", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, { status: 503, error: "Service Unavailable" }, 2);
    await open().searchLexical({ terms: [{ term: "hook", weight: 1 }] }, {}, 5);
    assert.equal(stub.find("POST", /\/points\/query$/).length, 3);
  });

  test("retries are bounded: a lasting 503 fails with the URL, the status and what to check", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, { status: 503, error: "Service Unavailable" });
    await assert.rejects(open().searchLexical({ terms: [{ term: "hook", weight: 1 }] }, {}, 5), (err: Error) => {
      assert.equal(err.message, `Qdrant at ${stub.url} answered 503: Service Unavailable (search codebase (lex)) after 3 attempts; is the qdrant StatefulSet ready? (kubectl -n context-engine get pods)`);
      return true;
    });
    assert.equal(stub.find("POST", /\/points\/query$/).length, 3);
  });

  test("a 400 is not retried", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, { status: 400, error: "Wrong input: Vector dimension error" });
    await assert.rejects(open().searchLexical({ terms: [{ term: "hook", weight: 1 }] }, {}, 5), /rejected the request \(400\): Wrong input: Vector dimension error/);
    assert.equal(stub.find("POST", /\/points\/query$/).length, 1);
  });

  test("connection refused names the URL and the StatefulSet to check", async () => {
    const port = await closedPort();
    const store = openQdrantStore(
      { qdrantUrl: `http://127.0.0.1:${port}`, qdrantApiKey: undefined, collectionName: "codebase", memoryCollection: "codebase" },
      silentLogger,
      FAST,
    );
    await assert.rejects(store.ensure(SCHEMA), (err: Error) => {
      assert.equal(
        err.message,
        `Qdrant at http://127.0.0.1:${port} refused the connection (ECONNREFUSED) (check collection codebase) after 3 attempts; is the qdrant StatefulSet ready? (kubectl -n context-engine get pods)`,
      );
      return true;
    });
  });

  test("ping makes one attempt and says why it failed", async () => {
    stub.on("GET", /^\/$/, { status: 503, error: "starting" }, 1);
    await assert.rejects(open().ping(), /^QdrantStoreError: Qdrant at http:\/\/127\.0\.0\.1:\d+ answered 503: starting \(ping\); is the qdrant StatefulSet ready\?/);
    assert.equal(stub.find("GET", /^\/$/).length, 1);
    await open().ping();
  });

  test("a request that hangs past the timeout is retried, and a lasting hang fails saying how long was waited", async () => {
    readyCollection();
    stub.on("POST", /\/points\/query$/, { hang: true }, 1);
    await open({ timeoutMs: 300 }).searchLexical({ terms: [{ term: "hook", weight: 1 }] }, {}, 5);
    assert.equal(stub.find("POST", /\/points\/query$/).length, 2);
    stub.on("POST", /\/points\/query$/, { hang: true });
    await assert.rejects(
      open({ timeoutMs: 300 }).searchLexical({ terms: [{ term: "hook", weight: 1 }] }, {}, 5),
      new RegExp(`^QdrantStoreError: Qdrant at ${stub.url} did not answer within 0\\.3 s \\(search codebase \\(lex\\)\\) after 3 attempts; is the qdrant StatefulSet ready\\?`),
    );
  });

  test("ping gives up after its own short deadline", async () => {
    stub.on("GET", /^\/$/, { hang: true });
    await assert.rejects(open({ pingTimeoutMs: 200 }).ping(), /did not answer within 0\.2 s \(ping\); is the qdrant StatefulSet ready\?/);
  });

  test("a missing collection says to create it, without retrying", async () => {
    await assert.rejects(open().searchDense(Float32Array.from([1, 0, 0, 0]), {}, 5), /has no such collection \(404\).*run `context-engine init-collection`/);
    assert.equal(stub.find("GET", /^\/collections\/codebase$/).length, 1);
  });

  test("backoff grows exponentially up to its cap, with full jitter below the bound", () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1)), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(backoffDelay(3, policy, () => 0), 0);
    assert.equal(backoffDelay(3, policy, () => 0.5), 400);
  });

  test("QDRANT_API_KEY is sent as the api-key header on every request", async () => {
    await open({}, { apiKey: "s3cret" }).ensure(SCHEMA);
    assert.ok(stub.requests.length > 3);
    for (const r of stub.requests) assert.equal(r.headers["api-key"], "s3cret");
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
