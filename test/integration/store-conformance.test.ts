// One store conformance suite, run against every Store: the embedded SQLite store always, Qdrant when
// QDRANT_URL is set (a CI service container, or a server of your own). Both must behave the same.
// The Qdrant store also runs it against the loopback Qdrant stub, which models Qdrant's filter and scoring
// semantics: that catches the store's own mistakes everywhere, the real server catches the model's.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import type { Embedder } from "../../server/src/embedding/types.ts";
import { idOf } from "../../server/src/indexer/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { openQdrantStore } from "../../server/src/store/qdrant/index.ts";
import { openSqliteStore } from "../../server/src/store/sqlite.ts";
import type { FileRecord, IndexSchema, Point, SearchFilter, Store } from "../../server/src/store/types.ts";
import { lexicalFields, tokenizeCode } from "../../server/src/text/index.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { QdrantStub } from "../helpers/store-qdrant-stub.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const SCHEMA: IndexSchema = { embedder: "conformance:axes-4", dimension: 4 };

interface Backend {
  name: string;
  skip: string | false;
  /** A fresh, empty store (not yet ensured). */
  open(): Promise<{ store: Store; dispose: () => Promise<void> }>;
}

const settings = loadSettings();
let counter = 0;

const backends: Backend[] = [
  {
    name: `sqlite (SQLITE_DRIVER=${settings.sqliteDriver})`,
    skip: false,
    async open() {
      const { dir, cleanup } = tempDir("ce-conformance-");
      const store = openSqliteStore(path.join(dir, "index.db"), silentLogger, { driver: settings.sqliteDriver });
      return { store, dispose: async () => { await store.close(); cleanup(); } };
    },
  },
  {
    name: "qdrant",
    skip: settings.qdrantUrl ? false : "QDRANT_URL is not set: the Qdrant half runs where a server is (e.g. `docker run -p 6333:6333 qdrant/qdrant`, then QDRANT_URL=http://localhost:6333)",
    async open() {
      const collection = `ce_conformance_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const store = openQdrantStore({ ...settings, collectionName: collection, memoryCollection: collection }, silentLogger);
      const dispose = async () => {
        await store.close();
        await fetch(`${settings.qdrantUrl}/collections/${collection}`, {
          method: "DELETE",
          headers: settings.qdrantApiKey ? { "api-key": settings.qdrantApiKey } : {},
        });
      };
      return { store, dispose };
    },
  },
  {
    name: "qdrant store on the loopback Qdrant stub",
    skip: false,
    async open() {
      const stub = new QdrantStub();
      const url = await stub.start();
      const store = openQdrantStore({ qdrantUrl: url, qdrantApiKey: undefined, collectionName: "codebase", memoryCollection: "codebase" }, silentLogger);
      return { store, dispose: async () => { await store.close(); await stub.stop(); } };
    },
  },
];

/** A dense embedder that needs no model: code tokens hashed into 32 buckets, unit length. */
const bagOfTokens: Embedder = {
  name: "conformance:bag-of-tokens-32",
  dimension: 32,
  async embed(texts) {
    return texts.map((t) => {
      const v = new Float32Array(32);
      for (const tok of tokenizeCode(t)) {
        let h = 0;
        for (const ch of tok) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
        v[h % 32] += 1;
      }
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    });
  },
};

/** Unit vectors on the axes (and between them), so cosine ranks are known in advance. */
function unit(...v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

interface ChunkSpec {
  repo?: string;
  path: string;
  start?: number;
  text: string;
  symbol?: string;
  symbol_path?: string;
  kind?: Point["kind"];
  language?: string;
  vector?: Float32Array;
  hash?: string;
}

function chunk(s: ChunkSpec): Point {
  const start = s.start ?? 1;
  const base = {
    repo: s.repo ?? "alpha",
    path: s.path,
    language: s.language ?? "python",
    start_line: start,
    end_line: start + s.text.split("\n").length - 1,
    symbol: s.symbol ?? "",
    symbol_kind: s.symbol ? "function" : "",
    symbol_path: s.symbol_path ?? s.symbol ?? "",
    kind: s.kind ?? "code",
    text: s.text,
    file_hash: s.hash ?? "hash-1",
  };
  return { ...base, id: idOf(base), vector: s.vector ?? unit(1, 1, 1, 1), lexical: lexicalFields(base) };
}

function record(points: Point[], hash = "hash-1", indexedAt = 1_000): FileRecord {
  const p = points[0]!;
  return { repo: p.repo, path: p.path, hash, size: 100, mtime_ms: 5, chunks: points.length, indexed_at: indexedAt };
}

/** Indexes each file of the given chunks as the indexer would: one replaceFile per file. */
async function indexFiles(store: Store, points: Point[], indexedAt = 1_000): Promise<void> {
  const byFile = new Map<string, Point[]>();
  for (const p of points) byFile.set(`${p.repo}\u0000${p.path}`, [...(byFile.get(`${p.repo}\u0000${p.path}`) ?? []), p]);
  for (const ps of byFile.values()) await store.replaceFile(record(ps, ps[0]!.file_hash, indexedAt), ps);
}

const paths = (hits: { point: Point }[]) => [...new Set(hits.map((h) => `${h.point.repo}:${h.point.path}`))].sort();

/** A small two-repo corpus where every chunk mentions "token", so filters alone decide what is found. */
const CORPUS = (): Point[] => [
  chunk({ path: "src/auth/session.py", text: "def refresh_token(session):\n    return session.token", symbol: "refresh_token", symbol_path: "Session.refresh_token" }),
  chunk({ path: "src/auth/session.py", start: 10, text: "def revoke(session):\n    session.token = None", symbol: "revoke", symbol_path: "Session.revoke" }),
  chunk({ path: "src/util/strings.ts", language: "typescript", text: "export function tokenize(s: string) { return s.split(' ') } // token", symbol: "tokenize" }),
  chunk({ path: "tests/test_session.py", kind: "test", text: "def test_token():\n    assert refresh_token(s)", symbol: "test_token" }),
  chunk({ path: "docs/guide.md", kind: "doc", language: "markdown", text: "# Tokens\nA token expires after an hour." }),
  chunk({ path: "srcx/other.py", text: "token = 1" }),
  chunk({ repo: "beta", path: "src/auth/session.py", text: "def token_for(user):\n    return user.token", symbol: "token_for" }),
];

for (const backend of backends) {
  describe(`store conformance: ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    const fresh = async () => {
      await dispose?.();
      ({ store, dispose } = await backend.open());
      assert.deepEqual(await store.ensure(SCHEMA), { status: "created" });
    };
    after(async () => dispose?.());

    describe("schema", () => {
      before(fresh);
      it("ensure on an existing index with the same schema is ok", async () => {
        assert.deepEqual(await store.ensure(SCHEMA), { status: "ok" });
      });
      it("a different dimension is reported as a mismatch, never mixed", async () => {
        assert.deepEqual(await store.ensure({ embedder: "other:8", dimension: 8 }), {
          status: "mismatch",
          stored: SCHEMA,
          wanted: { embedder: "other:8", dimension: 8 },
        });
      });
      it("a different embedder of the same dimension is a mismatch too", async () => {
        const check = await store.ensure({ embedder: "other:4", dimension: 4 });
        assert.equal(check.status, "mismatch");
      });
      it("recreate drops everything and builds the index for the new schema", async () => {
        await indexFiles(store, CORPUS());
        await store.recreate({ embedder: "other:8", dimension: 8 });
        assert.deepEqual(await store.ensure({ embedder: "other:8", dimension: 8 }), { status: "ok" });
        assert.equal((await store.listFiles("alpha")).size, 0);
        assert.deepEqual(await store.stats(), []);
        await store.replaceFile(record([chunk({ path: "a.py", text: "x", vector: unit(1, 0, 0, 0, 0, 0, 0, 1) })]), [
          chunk({ path: "a.py", text: "x", vector: unit(1, 0, 0, 0, 0, 0, 0, 1) }),
        ]);
        const hits = await store.searchDense(unit(1, 0, 0, 0, 0, 0, 0, 1), {}, 5);
        assert.equal(hits[0]?.point.path, "a.py");
      });
      it("answers ping", async () => {
        await store.ping();
      });
    });

    describe("files", () => {
      before(fresh);
      it("replaceFile stores the points and records the file", async () => {
        const points = [chunk({ path: "src/a.py", start: 20, text: "def b():\n    pass", symbol: "b" }), chunk({ path: "src/a.py", text: "def a():\n    pass", symbol: "a" })];
        await store.replaceFile(record(points, "h1", 111), points);
        const stored = await store.filePoints("alpha", "src/a.py");
        assert.deepEqual(stored.map((p) => p.start_line), [1, 20], "in line order");
        const a = stored[0]!;
        const want = points[1]!;
        for (const key of ["id", "repo", "path", "language", "start_line", "end_line", "symbol", "symbol_kind", "symbol_path", "kind", "text", "file_hash"] as const) {
          assert.equal(a[key], want[key], key);
        }
        assert.deepEqual((await store.listFiles("alpha")).get("src/a.py"), { repo: "alpha", path: "src/a.py", hash: "h1", size: 100, mtime_ms: 5, chunks: 2, indexed_at: 111 });
        const heads = await store.fileHeadTexts("alpha", ["src/a.py", "src/none.py"], 10);
        assert.deepEqual([...heads], [["src/a.py", "def a():\n    pass"]], "only the chunks starting by line 10, of files it has");
        assert.deepEqual([...(await store.fileHeadTexts("alpha", ["src/a.py"], 20))], [["src/a.py", "def a():\n    pass\ndef b():\n    pass"]]);
      });
      it("replacing a file's points leaves only the new ones", async () => {
        const next = [chunk({ path: "src/a.py", text: "def renamed():\n    return 42", symbol: "renamed", hash: "h2" })];
        await store.replaceFile(record(next, "h2", 222), next);
        assert.deepEqual((await store.filePoints("alpha", "src/a.py")).map((p) => p.symbol), ["renamed"]);
        assert.equal((await store.listFiles("alpha")).get("src/a.py")?.hash, "h2");
        assert.deepEqual(await store.searchLexical({ terms: [{ term: "pass", weight: 1 }] }, {}, 10), []);
        assert.equal((await store.searchLexical({ terms: [{ term: "renamed", weight: 1 }] }, {}, 10)).length, 1);
      });
      it("replacing a file with the same points is idempotent", async () => {
        const same = [chunk({ path: "src/a.py", text: "def renamed():\n    return 42", symbol: "renamed", hash: "h2" })];
        await store.replaceFile(record(same, "h2", 333), same);
        await store.replaceFile(record(same, "h2", 333), same);
        assert.equal((await store.filePoints("alpha", "src/a.py")).length, 1);
        assert.equal((await store.stats())[0]?.points, 1);
      });
      it("a renamed file keeps its points without re-embedding and is found under its new path", async () => {
        const points = [chunk({ path: "old/place.py", text: "def wanderer():\n    return 'far'", symbol: "wanderer", vector: unit(0, 0, 1, 0) })];
        await store.replaceFile(record(points), points);
        const to: FileRecord = { ...record(points), path: "new/home.py", indexed_at: 444 };
        const moved = await store.moveFile("alpha", "old/place.py", to, (p) => idOf(p));
        assert.equal(moved, true);
        assert.deepEqual(await store.filePoints("alpha", "old/place.py"), []);
        const now = await store.filePoints("alpha", "new/home.py");
        assert.equal(now.length, 1);
        assert.equal(now[0]!.id, idOf({ ...points[0]!, path: "new/home.py" }));
        assert.equal(now[0]!.text, points[0]!.text);
        const files = await store.listFiles("alpha");
        assert.equal(files.has("old/place.py"), false);
        assert.equal(files.get("new/home.py")?.indexed_at, 444);
        const dense = await store.searchDense(unit(0, 0, 1, 0), {}, 1);
        assert.equal(dense[0]?.point.path, "new/home.py", "the stored vector came along");
        const byNewPath = await store.searchLexical({ terms: [{ term: "home", weight: 1 }] }, {}, 5);
        assert.deepEqual(paths(byNewPath), ["alpha:new/home.py"], "path terms follow the move");
        assert.deepEqual(await store.searchLexical({ terms: [{ term: "place", weight: 1 }] }, {}, 5), []);
      });
      it(
        "moving a file onto its own path keeps its points",
        {},
        async () => {
          const points = [chunk({ path: "same.py", text: "def stay():\n    pass", symbol: "stay" })];
          await store.replaceFile(record(points), points);
          try {
            assert.equal(await store.moveFile("alpha", "same.py", { ...record(points), indexed_at: 555 }, (p) => idOf(p)), true);
            assert.deepEqual((await store.filePoints("alpha", "same.py")).map((p) => p.symbol), ["stay"]);
            assert.equal((await store.listFiles("alpha")).get("same.py")?.indexed_at, 555);
          } finally {
            await store.removeFiles("alpha", ["same.py"]);
          }
        },
      );
      it("moving a file the store does not have answers false", async () => {
        assert.equal(await store.moveFile("alpha", "nowhere.py", { ...record([chunk({ path: "x.py", text: "x" })]) }, (p) => p.id), false);
      });
      it("removeFiles deletes the points and records of those files only", async () => {
        const other = [chunk({ path: "keep.py", text: "def keeper():\n    pass", symbol: "keeper" })];
        await store.replaceFile(record(other), other);
        await store.removeFiles("alpha", ["src/a.py", "new/home.py"]);
        assert.deepEqual([...(await store.listFiles("alpha")).keys()], ["keep.py"]);
        assert.deepEqual(await store.filePoints("alpha", "src/a.py"), []);
        assert.equal((await store.filePoints("alpha", "keep.py")).length, 1);
      });
    });

    describe("filters", () => {
      before(async () => {
        await fresh();
        await indexFiles(store, CORPUS());
      });
      const find = (filter: SearchFilter) => store.searchLexical({ terms: [{ term: "token", weight: 1 }] }, filter, 50).then(paths);

      it("repo narrows to one repo; '*' and no repo search all", async () => {
        assert.deepEqual(await find({ repo: "beta" }), ["beta:src/auth/session.py"]);
        assert.equal((await find({ repo: "*" })).length, 7 - 1);
        assert.deepEqual(await find({}), await find({ repo: "*" }));
      });
      it("language", async () => {
        assert.deepEqual(await find({ repo: "alpha", language: ["typescript", "markdown"] }), ["alpha:docs/guide.md", "alpha:src/util/strings.ts"]);
      });
      it("under is a folder prefix, with or without a trailing slash", async () => {
        const want = ["alpha:src/auth/session.py", "alpha:src/util/strings.ts"];
        assert.deepEqual(await find({ repo: "alpha", under: "src/" }), want);
        assert.deepEqual(await find({ repo: "alpha", under: "src" }), want, "srcx/ is not under src");
        assert.deepEqual(await find({ repo: "alpha", under: "src/auth" }), ["alpha:src/auth/session.py"]);
      });
      it("path_glob, with ** and as a bare file-name pattern", async () => {
        assert.deepEqual(await find({ repo: "alpha", path_glob: "src/**/*.ts" }), ["alpha:src/util/strings.ts"]);
        assert.deepEqual(await find({ repo: "alpha", path_glob: "*.md" }), ["alpha:docs/guide.md"]);
      });
      it("not_glob", async () => {
        assert.deepEqual(await find({ repo: "alpha", not_glob: "src/**" }), ["alpha:docs/guide.md", "alpha:srcx/other.py", "alpha:tests/test_session.py"]);
      });
      it("kind", async () => {
        assert.deepEqual(await find({ kind: ["test", "doc"] }), ["alpha:docs/guide.md", "alpha:tests/test_session.py"]);
      });
      it("symbol matches the symbol name or path, case-insensitively, as a substring", async () => {
        const hits = await store.searchLexical({ terms: [{ term: "token", weight: 1 }] }, { symbol: "SESSION.REFRESH" }, 50);
        assert.deepEqual(hits.map((h) => h.point.symbol), ["refresh_token"]);
        assert.deepEqual(await find({ repo: "alpha", symbol: "token" }), ["alpha:src/auth/session.py", "alpha:src/util/strings.ts", "alpha:tests/test_session.py"]);
      });
      it("ext, with or without the dot", async () => {
        assert.deepEqual(await find({ ext: [".ts"] }), ["alpha:src/util/strings.ts"]);
        assert.deepEqual(await find({ repo: "beta", ext: ["py"] }), ["beta:src/auth/session.py"]);
      });
      it("filters combine, and apply to dense search too", async () => {
        assert.deepEqual(await find({ repo: "alpha", under: "src", language: ["python"], kind: ["code"] }), ["alpha:src/auth/session.py"]);
        const dense = await store.searchDense(unit(1, 1, 1, 1), { repo: "alpha", path_glob: "src/**", not_glob: "**/*.ts" }, 50);
        assert.deepEqual(paths(dense), ["alpha:src/auth/session.py"]);
        assert.equal(dense.length, 2);
      });
    });

    describe("ranking", () => {
      before(async () => {
        await fresh();
        await indexFiles(store, [
          chunk({ path: "x.py", text: "def east():\n    pass", symbol: "east", vector: unit(1, 0, 0, 0) }),
          chunk({ path: "y.py", text: "def north():\n    pass", symbol: "north", vector: unit(0, 1, 0, 0) }),
          chunk({ path: "z.py", text: "def northeast():\n    pass", symbol: "northeast", vector: unit(1, 1, 0, 0) }),
          chunk({ path: "hooks.py", text: "def register_hook(event, hook):\n    hooks.append(hook)", symbol: "register_hook" }),
          chunk({ path: "notes.py", text: "def unrelated(x):\n    # see register_hook\n    return x", symbol: "unrelated" }),
          chunk({ path: "point.py", text: "def check(c):\n    raise ValueError('Imaginary coordinates are not permitted.')", symbol: "check" }),
          chunk({ path: "words.py", text: "# coordinates of imaginary points are never permitted", symbol: "" }),
        ]);
      });
      it("phrase search finds the chunk holding the words in that order, when the store has it", async (t) => {
        if (!store.searchPhrases) return t.skip("this store has no phrase search (an optional ranking signal)");
        const hits = await store.searchPhrases([["imaginary", "coordinates", "permitted"]], {}, 10);
        assert.deepEqual(hits.map((h) => h.point.path), ["point.py"]);
        assert.deepEqual(await store.searchPhrases([["permitted", "coordinates", "imaginary"]], {}, 10), []);
        assert.deepEqual(await store.searchPhrases([["imaginary", "coordinates", "permitted"]], { path_glob: "words.py" }, 10), []);
      });
      it("finds chunks by their exact qualified names, within the filter and the limit, when the store can", async (t) => {
        if (!store.findSymbols) return t.skip("this store has no symbol lookup (an optional ranking signal)");
        await indexFiles(store, [
          chunk({ path: "rst.py", text: "def __init__(self):\n    super().__init__(pad=None)", symbol: "__init__", symbol_path: "RST.__init__" }),
          chunk({ path: "rst.py", start: 5, text: "def write(self, lines):\n    return lines", symbol: "write", symbol_path: "RST.write" }),
          chunk({ path: "fixed.py", text: "def __init__(self, pad):\n    self.pad = pad", symbol: "__init__", symbol_path: "FixedWidth.__init__" }),
          chunk({ path: "other.py", text: "def __init__(self):\n    pass", symbol: "__init__", symbol_path: "Other.__init__" }),
        ]);
        const found = async (names: string[], filter: SearchFilter = {}, limit = 10) =>
          (await store.findSymbols!(names, filter, limit)).map((p) => `${p.path}:${p.symbol_path}`).sort();
        assert.deepEqual(await found(["RST.__init__", "FixedWidth.__init__"]), ["fixed.py:FixedWidth.__init__", "rst.py:RST.__init__"]);
        // Exact names only: a bare member name, a tail of the qualified name or another case finds nothing.
        assert.deepEqual(await found(["__init__", "ST.__init__", "rst.__init__", "Nowhere.run", ""]), []);
        assert.deepEqual(await found(["RST.__init__", "FixedWidth.__init__"], { path_glob: "rst.py" }), ["rst.py:RST.__init__"]);
        assert.deepEqual(await found(["RST.__init__"], { repo: "beta" }), []);
        assert.equal((await found(["RST.__init__", "RST.write", "FixedWidth.__init__"], {}, 2)).length, 2);
        assert.deepEqual(await store.findSymbols([], {}, 10), []);
      });
      it("dense search ranks by cosine similarity, best first, within the limit", async () => {
        const hits = await store.searchDense(unit(1, 0, 0, 0), {}, 2);
        assert.deepEqual(hits.map((h) => h.point.path), ["x.py", "z.py"]);
        assert.ok(Math.abs(hits[0]!.score - 1) < 1e-3, `exact match scores ${hits[0]!.score}`);
        assert.ok(hits[0]!.score > hits[1]!.score);
      });
      it("lexical search prefers a symbol match over a mention in the body", async () => {
        const hits = await store.searchLexical({ terms: [{ term: "register_hook", weight: 2 }, { term: "hook", weight: 1 }] }, {}, 10);
        assert.deepEqual(hits.slice(0, 2).map((h) => h.point.path), ["hooks.py", "notes.py"]);
        assert.ok(hits[0]!.score > hits[1]!.score);
      });
      it("a heavier query term outranks a lighter one", async () => {
        const hits = await store.searchLexical({ terms: [{ term: "north", weight: 1 }, { term: "east", weight: 3 }] }, {}, 10);
        assert.deepEqual(hits.slice(0, 2).map((h) => h.point.path), ["x.py", "y.py"]);
        const flipped = await store.searchLexical({ terms: [{ term: "north", weight: 3 }, { term: "east", weight: 1 }] }, {}, 10);
        assert.deepEqual(flipped.slice(0, 2).map((h) => h.point.path), ["y.py", "x.py"]);
      });
      // A long query (an issue text: many terms, heavily weighted), which the embedded store ranks term by term.
      const WORDS = ["beacon", "signal", "lamp", "tower", "harbor", "coast", "keeper", "night"];
      const longQuery = (weight: number) => ({ terms: WORDS.map((term) => ({ term, weight })) });
      it("a filter that passes only rows ranked far down still finds them, best first", async () => {
        // Hundreds of strong matches elsewhere (symbol and body) rank above the two weak ones the filter keeps.
        const crowd = Array.from({ length: 700 }, (_, i) =>
          chunk({ repo: "crowd", path: `c${i}.py`, text: `def beacon():\n    return beacon(${i}, "${WORDS.join(" ")} ${WORDS.join(" ")}")`, symbol: "beacon" }),
        );
        await indexFiles(store, [
          ...crowd,
          chunk({ repo: "quiet", path: "far.py", text: `def far(x):\n    # ${WORDS.join(" ")}, once, among many other words of a long comment about x\n    return x` }),
          chunk({ repo: "quiet", path: "near.py", text: `def near(x):\n    # ${WORDS.join(" ")} ${WORDS.join(" ")}\n    return x` }),
        ]);
        for (const weight of [1, 4]) {
          const hits = await store.searchLexical(longQuery(weight), { repo: "quiet" }, 5);
          assert.deepEqual(hits.map((h) => h.point.path), ["near.py", "far.py"], `weight ${weight}`);
          assert.equal((await store.searchLexical(longQuery(weight), { repo: "crowd" }, 600)).length, 600);
        }
      });
      it("a short query under a filter that drops the best rows, and equal scores across the limit, in content order", async () => {
        // The crowd's 700 chunks all outrank the two the filter keeps; ties: 40 identical chunks, 10 asked for.
        const short = { terms: [{ term: "beacon", weight: 1 }, { term: "signal", weight: 1 }] };
        assert.deepEqual((await store.searchLexical(short, { repo: "quiet" }, 5)).map((h) => h.point.path), ["near.py", "far.py"]);
        const twins = Array.from({ length: 40 }, (_, i) => chunk({ repo: "twins", path: `t${String(39 - i).padStart(2, "0")}.py`, text: "def lantern():\n    return 'lantern'" }));
        await indexFiles(store, twins);
        const lantern = { terms: [{ term: "lantern", weight: 1 }] };
        const got = await store.searchLexical(lantern, { repo: "twins" }, 10);
        assert.equal(got.length, 10);
        // The embedded store orders equal scores by content, however the rows were written (Qdrant: any order).
        if (backend.name.startsWith("sqlite")) {
          const want = Array.from({ length: 10 }, (_, i) => `t${String(i).padStart(2, "0")}.py`);
          assert.deepEqual(got.map((h) => h.point.path), want);
          assert.deepEqual((await store.searchLexical(lantern, { repo: "twins", path_glob: "**" }, 10)).map((h) => h.point.path), want);
        }
      });
      it("a filter that passes every row does not change the ranking, for a short query or a long one", async () => {
        const short = { terms: [{ term: "register_hook", weight: 2 }, { term: "hook", weight: 1 }, { term: "north", weight: 3 }, { term: "east", weight: 1.4 }] };
        const long = { terms: [...longQuery(4).terms, { term: "north", weight: 3 }, { term: "east", weight: 1.4 }, { term: "hook", weight: 2 }] };
        for (const query of [short, long]) {
          // Every match (ties among the identical crowd chunks may come in any order): the same scores for the same ids.
          const byId = async (filter: SearchFilter) => new Map((await store.searchLexical(query, filter, 2000)).map((h) => [h.point.id, h.score]));
          const open = await byId({});
          const globbed = await byId({ path_glob: "**" });
          assert.ok(open.size >= 4);
          assert.deepEqual([...globbed.keys()].sort(), [...open.keys()].sort());
          for (const [id, score] of open) assert.ok(Math.abs(score - globbed.get(id)!) < 1e-6 * Math.abs(score), `${id}: ${score} vs ${globbed.get(id)}`);
        }
      });
      it("a term no chunk has finds nothing; an empty query finds nothing", async () => {
        assert.deepEqual(await store.searchLexical({ terms: [{ term: "zzyzx", weight: 1 }] }, {}, 10), []);
        assert.deepEqual(await store.searchLexical({ terms: [] }, {}, 10), []);
      });
    });

    describe("memories and counts", () => {
      before(async () => {
        await fresh();
        await indexFiles(store, CORPUS(), 1_000);
        await store.replaceFile(record([chunk({ path: "late.py", text: "late = 1" })], "h", 9_000), [chunk({ path: "late.py", text: "late = 1" })]);
      });
      const memory = (text: string, metadata: Record<string, unknown>): Point => ({
        ...chunk({ path: "", text, kind: "memory", language: "", vector: unit(0, 0, 0, 1) }),
        metadata,
        created_at: "2026-01-02T03:04:05.000Z",
      });
      it("memories are upserted as points of kind memory and found by search with their metadata", async () => {
        const m = memory("the deploy token rotates every friday", { kind: "note", tags: ["ops"], priority: 2 });
        await store.upsertPoints([m]);
        await store.upsertPoints([m]);
        const hits = await store.searchDense(unit(0, 0, 0, 1), { repo: "alpha" }, 1);
        assert.equal(hits[0]?.point.id, m.id);
        assert.equal(hits[0]!.point.kind, "memory");
        assert.deepEqual(hits[0]!.point.metadata, { kind: "note", tags: ["ops"], priority: 2 });
        assert.equal(hits[0]!.point.created_at, "2026-01-02T03:04:05.000Z");
        const lexical = await store.searchLexical({ terms: [{ term: "friday", weight: 1 }] }, {}, 5);
        assert.deepEqual(lexical.map((h) => h.point.id), [m.id]);
      });
      it("a kind filter of memory finds only memories", async () => {
        const onlyMemories = { kind: ["memory"] } as unknown as SearchFilter;
        const hits = await store.searchLexical({ terms: [{ term: "token", weight: 1 }] }, onlyMemories, 10);
        assert.deepEqual(hits.map((h) => h.point.kind), ["memory"]);
      });
      it("stats counts points, files and memories per repo, with the newest indexed time", async () => {
        assert.deepEqual(await store.stats(), [
          { repo: "alpha", points: 7, files: 6, memories: 1, last_indexed_at: 9_000 },
          { repo: "beta", points: 1, files: 1, memories: 0, last_indexed_at: 1_000 },
        ]);
      });
    });

    describe("dense vectors filled in behind, kept quantized (stores with a dense backlog)", () => {
      const DIM = 48;
      /** A deterministic unit vector per seed, spread over all 48 dimensions. */
      const vec = (seed: number) => {
        const v = Float32Array.from({ length: DIM }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453 % 1);
        const n = Math.hypot(...v);
        return v.map((x) => x / n);
      };
      const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
      const bare = (s: ChunkSpec): Point => {
        const { vector: _v, ...p } = chunk(s);
        return p;
      };
      const files = Array.from({ length: 30 }, (_, i) => bare({ path: `m${i}.py`, text: `def f${i}():\n    return ${i}`, symbol: `f${i}` }));
      before(async () => {
        await dispose?.();
        ({ store, dispose } = await backend.open());
        await store.ensure({ embedder: "conformance:dense-48", dimension: DIM });
      });
      it("keeps points stored without a vector in the backlog, searchable lexically, not densely", async (t) => {
        if (!store.dense) return t.skip("this store takes vectors inline (no dense backlog)");
        await indexFiles(store, files);
        assert.deepEqual(await store.dense.denseProgress("alpha"), { done: 0, total: 30 });
        assert.equal((await store.dense.pendingDense(100)).length, 30);
        assert.deepEqual(await store.searchDense(vec(3), {}, 5), []);
        assert.equal((await store.searchLexical({ terms: [{ term: "f3", weight: 1 }] }, {}, 5))[0]?.point.path, "m3.py");
      });
      it("stores vectors by id and ranks by their quantized cosine, close to the float one", async (t) => {
        if (!store.dense) return t.skip("this store takes vectors inline (no dense backlog)");
        const pending = await store.dense.pendingDense(100);
        const seedOf = (p: Point) => Number(p.symbol.slice(1));
        assert.equal(await store.dense.putDense(pending.map((p) => ({ id: p.id, key: `key-${seedOf(p)}`, vector: vec(seedOf(p)) }))), 30);
        assert.deepEqual(await store.dense.denseProgress("alpha"), { done: 30, total: 30 });
        assert.deepEqual(await store.dense.pendingDense(100), []);
        const query = vec(7);
        const exact = files.map((f) => ({ path: f.path, score: cos(query, vec(Number(f.symbol.slice(1)))) })).sort((a, b) => b.score - a.score);
        const hits = await store.searchDense(query, {}, 5);
        assert.equal(hits[0]?.point.path, "m7.py");
        assert.ok(Math.abs(hits[0]!.score - 1) < 0.01, `self-similarity ${hits[0]!.score}`);
        for (const h of hits) {
          const want = exact.find((e) => e.path === h.point.path)!.score;
          assert.ok(Math.abs(h.score - want) < 0.01, `${h.point.path}: ${h.score} vs ${want}`);
        }
        const cached = await store.dense.cachedDense(["key-7", "key-unknown"]);
        assert.deepEqual([...cached.keys()], ["key-7"]);
        assert.ok(cos(cached.get("key-7")!, vec(7)) > 0.999);
      });
      it("drops a replaced point's vector (back to the backlog), skips vectors for ids gone, keeps the cache through a rebuild", async (t) => {
        if (!store.dense) return t.skip("this store takes vectors inline (no dense backlog)");
        const changed = bare({ path: "m7.py", text: "def f7():\n    return 'changed'", symbol: "f7", hash: "hash-2" });
        await store.replaceFile(record([changed], "hash-2"), [changed]);
        assert.deepEqual((await store.dense.pendingDense(10)).map((p) => p.path), ["m7.py"]);
        assert.ok(!(await store.searchDense(vec(7), {}, 30)).some((h) => h.point.path === "m7.py"));
        assert.equal(await store.dense.putDense([{ id: "no-such-point", key: "key-x", vector: vec(99) }]), 0);
        await store.removeFiles("alpha", ["m7.py"]);
        assert.deepEqual(await store.dense.pendingDense(10), []);
        assert.deepEqual(await store.dense.denseProgress("alpha"), { done: 29, total: 29 });
        await store.recreate({ embedder: "conformance:dense-48", dimension: DIM });
        assert.ok((await store.dense!.cachedDense(["key-3"])).has("key-3"), "the cache outlives the rebuild");
      });
    });

    describe("hybrid search through the engine", () => {
      let cleanupRoot: () => void;
      let root: string;
      before(async () => {
        await fresh();
        ({ dir: root, cleanup: cleanupRoot } = tempDir("ce-conformance-repo-"));
        writeTree(root, SAMPLE_REPO);
      });
      after(() => cleanupRoot?.());
      it("indexes a repository and finds a method by name with dense and lexical evidence", async () => {
        const embedder = bagOfTokens;
        await store.recreate({ embedder: embedder.name, dimension: embedder.dimension });
        const engine = await openEngine({ root, repo: "sample", settings: loadSettings({}), log: silentLogger, embedder, store });
        await engine.index();
        await engine.fillDense();
        const { results } = await engine.search.search("register_hook");
        assert.equal(results[0]?.path, "src/session.py");
        assert.equal(results[0]!.symbol_path, "Session.register_hook");
        assert.ok(results[0]!.why.some((w) => w.startsWith("lexical #")), results[0]!.why.join(", "));
        assert.ok(results[0]!.why.some((w) => w.startsWith("dense #")), results[0]!.why.join(", "));
        const stats = await store.stats();
        assert.equal(stats[0]?.repo, "sample");
        assert.equal(stats[0]!.files, Object.keys(SAMPLE_REPO).length);
      });
    });
  });
}
