import assert from "node:assert/strict";
import { readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { createEmbedder } from "../../server/src/embedding/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { readState } from "../../server/src/indexer/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { countingEmbedder, indexedLexicalRepo, lexicalEngine, MODEL2VEC_FIXTURE, SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

describe("indexing and searching a repository (embedded store, lexical only)", () => {
  let dir: string;
  let engine: Engine;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ dir, engine, dispose } = await indexedLexicalRepo(SAMPLE_REPO));
  });
  after(() => dispose());

  it("finds a method by its name and points at its exact lines", async () => {
    const { results } = await engine.search.search("register_hook");
    const top = results[0]!;
    assert.equal(top.path, "src/session.py");
    assert.equal(top.symbol_path, "Session.register_hook");
    const lines = SAMPLE_REPO["src/session.py"]!.split("\n");
    const defLine = lines.findIndex((l) => l.includes("def register_hook")) + 1;
    assert.ok(top.start_line <= defLine && top.end_line >= defLine + 5, `${top.start_line}-${top.end_line} covers ${defLine}`);
    assert.ok(top.end_line < lines.findIndex((l) => l.includes("def request")) + 1, "does not spill into the next method");
    assert.match(top.snippet, new RegExp(`^\\s*${defLine} \\| +def register_hook`, "m"));
    assert.ok(top.why.some((w) => w.startsWith("lexical #")));
    assert.ok(top.why.some((w) => w.startsWith("symbol match")));
    assert.equal(typeof top.components.rrf, "number");
  });

  it("down-ranks tests and docs unless the query asks for them", async () => {
    const plain = await engine.search.search("register_hook hooks");
    assert.equal(plain.results[0]!.path, "src/session.py");
    const asked = await engine.search.search("test register_hook list");
    assert.equal(asked.results[0]!.path, "tests/test_session.py");
  });

  it("applies each filter, as options and inline", async () => {
    const q = "hook tokens cookies retries";
    const byLang = await engine.search.search(q, { filter: { language: ["typescript"] } });
    assert.ok(byLang.results.length > 0 && byLang.results.every((r) => r.language === "typescript"));
    const inline = await engine.search.search(`lang:typescript ${q}`);
    assert.deepEqual(inline.results.map((r) => r.path), byLang.results.map((r) => r.path));
    const under = await engine.search.search(`under:tests/ ${q}`);
    assert.ok(under.results.length > 0 && under.results.every((r) => r.path.startsWith("tests/")));
    const glob = await engine.search.search(q, { filter: { path_glob: "src/**/*.ts" } });
    assert.ok(glob.results.length > 0 && glob.results.every((r) => r.path === "src/util/strings.ts"));
    const notGlob = await engine.search.search(q, { filter: { not_glob: "src/**" } });
    assert.ok(notGlob.results.length > 0 && notGlob.results.every((r) => !r.path.startsWith("src/")));
    const kind = await engine.search.search(`kind:doc ${q}`);
    assert.ok(kind.results.length > 0 && kind.results.every((r) => r.kind === "doc"));
    const ext = await engine.search.search(q, { filter: { ext: ["yaml"] } });
    assert.deepEqual(ext.results.map((r) => r.path), ["config/settings.yaml"]);
    const sym = await engine.search.search(`symbol:TokenBucket ${q} take`);
    assert.ok(sym.results.length > 0 && sym.results.every((r) => r.symbol_path.includes("TokenBucket")));
    const otherRepo = await engine.search.search(q, { filter: { repo: "not-this-one" } });
    assert.equal(otherRepo.results.length, 0);
  });

  it("records its state in .codebase/state.json and keeps .codebase out of git", () => {
    const state = readState(path.join(dir, ".codebase", "state.json"))!;
    assert.equal(state.status, "idle");
    assert.equal(state.repo, path.basename(dir));
    assert.equal(state.files_total, 5);
    assert.equal(state.last_run!.files, 5);
    assert.equal(readFileSync(path.join(dir, ".codebase", ".gitignore"), "utf8"), "*\n");
  });
});

describe("incremental runs", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, SAMPLE_REPO);
  });
  after(() => cleanup());

  /** The lexical index, then the dense phase: what `context-engine index` runs. */
  async function indexed(e: Engine) {
    const r = await e.index();
    await e.fillDense();
    return r;
  }

  async function withEngine<T>(fn: (e: Engine, counter: ReturnType<typeof countingEmbedder>) => Promise<T>): Promise<T> {
    const settings = loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC_FIXTURE });
    const counter = countingEmbedder(await createEmbedder(settings, silentLogger));
    const engine = await openEngine({ root: dir, settings, log: silentLogger, embedder: counter });
    try {
      return await fn(engine, counter);
    } finally {
      await engine.close();
    }
  }

  it("indexes everything the first time and nothing the second time", async () => {
    const first = await withEngine((e) => indexed(e));
    assert.equal(first.indexed, 5);
    const second = await withEngine(async (e, c) => {
      const r = await indexed(e);
      assert.equal(c.texts, 0, "nothing re-embedded");
      return r;
    });
    assert.equal(second.indexed, 0);
    assert.equal(second.unchanged, 5);
  });

  it("picks up an added, a changed and a deleted file", async () => {
    writeTree(dir, { "src/new_module.py": "def brand_new_function():\n    return 42\n" });
    appendFileSync(path.join(dir, "src/util/strings.ts"), "\nexport function freshlyAddedHelper() { return 1; }\n");
    rmSync(path.join(dir, "config/settings.yaml"));
    await withEngine(async (e) => {
      const r = await indexed(e);
      assert.equal(r.indexed, 2);
      assert.equal(r.removed, 1);
      assert.equal((await e.search.search("brand_new_function")).results[0]?.path, "src/new_module.py");
      assert.equal((await e.search.search("freshlyAddedHelper")).results[0]?.path, "src/util/strings.ts");
      assert.ok(!(await e.search.search("timeout_seconds")).results.some((x) => x.path === "config/settings.yaml"));
      assert.equal((await e.store.listFiles(e.repo)).has("config/settings.yaml"), false);
    });
  });

  it("moves the points of a renamed file without re-embedding it", async () => {
    renameSync(path.join(dir, "src/new_module.py"), path.join(dir, "src/renamed_module.py"));
    await withEngine(async (e, c) => {
      const r = await indexed(e);
      assert.equal(r.moved, 1);
      assert.equal(r.indexed, 0);
      assert.equal(c.texts, 0, "the embedder was not called");
      const hit = (await e.search.search("brand_new_function")).results[0]!;
      assert.equal(hit.path, "src/renamed_module.py");
    });
  });

  it("removes files newly ignored by an edited .contextignore and adds them back when un-ignored", async () => {
    writeFileSync(path.join(dir, ".contextignore"), "docs/\n");
    await withEngine(async (e) => {
      const r = await indexed(e);
      assert.equal(r.removed, 1);
      assert.equal((await e.search.search("kind:doc cookies persist")).results.length, 0);
    });
    writeFileSync(path.join(dir, ".contextignore"), "");
    await withEngine(async (e) => {
      await indexed(e);
      assert.equal((await e.search.search("kind:doc cookies persist")).results[0]?.path, "docs/guide.md");
    });
  });

  it("rebuilds the index when the embedder changes, never mixing vectors", async () => {
    const engine = await lexicalEngine(dir);
    try {
      const r = await engine.index();
      assert.equal(r.rebuilt, true);
      assert.equal(r.indexed, r.scanned);
      const state = readState(path.join(dir, ".codebase", "state.json"))!;
      assert.equal(state.embedder, "none");
    } finally {
      await engine.close();
    }
  });
});

describe("bad inputs", () => {
  it("indexes around binary, huge, invalid UTF-8, empty, symlink-looped and vanishing files, counting each skip", async () => {
    const { dir, cleanup } = tempDir();
    const { mkdirSync, symlinkSync } = await import("node:fs");
    try {
      writeTree(dir, {
        "ok.py": "def fine():\n    return 1\n",
        "empty.py": "",
        "blob.bin.txt": Buffer.from([0, 1, 2, 3, 0, 5]),
        "latin1.py": Buffer.from("caf\xe9 = 1\n", "latin1"),
        "huge.js": Buffer.alloc(2 * 1024 * 1024, 0x61),
      });
      mkdirSync(path.join(dir, "loop"));
      symlinkSync(dir, path.join(dir, "loop", "again"));
      const engine = await lexicalEngine(dir);
      try {
        const r = await engine.index();
        const reasons = Object.fromEntries(r.skipped.map((s) => [s.path, s.reason]));
        assert.equal(reasons["blob.bin.txt"], "binary");
        assert.equal(reasons["latin1.py"], "not-utf8");
        assert.equal(reasons["huge.js"], "too-large");
        assert.equal(reasons["loop/again"], "symlink");
        const files = await engine.store.listFiles(engine.repo);
        assert.ok(files.has("ok.py") && files.has("empty.py"));
        assert.equal(files.get("empty.py")!.chunks, 0);
        assert.equal((await engine.search.search("fine")).results[0]?.path, "ok.py");
        // A file that vanishes between the scan and the read is skipped, not fatal.
        rmSync(path.join(dir, "ok.py"));
        const again = await engine.indexer.updatePaths(["ok.py"]);
        assert.equal(again.removed, 1);
      } finally {
        await engine.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe("a matching test file is evidence for the module it tests", () => {
  let engine: Engine;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ engine, dispose } = await indexedLexicalRepo({
      // Two modules named matrices.py; the test that matches is the assumptions package's.
      "pkg/assumptions/handlers/matrices.py": "def ask_square(expr):\n    return expr.shape[0] == expr.shape[1]\n",
      "pkg/matrices/matrices.py": "class MatrixBase:\n    def shape(self):\n        return (self.rows, self.cols)\n",
      "pkg/assumptions/tests/test_matrices.py":
        "def test_invertible_square():\n    assert ask(Q.invertible(X)) is None\n    assert ask(Q.square(X))\n\ndef test_invertible_square_again():\n    assert ask(Q.invertible(Y))\n",
    }));
  });
  after(() => dispose());

  it("links a test to the module of its own package, not to every file of the same name", async () => {
    const { results } = await engine.search.search("ask invertible square of a matrix shape", { limit: 20 });
    const why = (p: string) => results.find((r) => r.path === p)?.why ?? [];
    assert.ok(why("pkg/assumptions/handlers/matrices.py").includes("tested by pkg/assumptions/tests/test_matrices.py"), JSON.stringify(results.map((r) => [r.path, r.why])));
    assert.ok(!why("pkg/matrices/matrices.py").some((w) => w.startsWith("tested by")), "another package's matrices.py");
  });
});

describe("a symbol the query names by its qualified name", () => {
  let engine: Engine;
  let dispose: () => Promise<void>;
  const crowd = Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [
      `io/writer${i}.py`,
      `def write_rst_${i}(table, header_rows, writer_kwargs):\n    """Write the table as RST with its header rows; an unexpected keyword argument is an error."""\n` +
        `    writer = get_writer(table, header_rows=header_rows, **writer_kwargs)\n    writer.__init__(header_rows)\n    return writer.write(table, header_rows, "rst", "unit", "name")\n`,
    ]),
  );
  before(async () => {
    ({ engine, dispose } = await indexedLexicalRepo({
      ...crowd,
      "io/rst.py":
        'class RST:\n    """reStructuredText simple tables."""\n\n    def __init__(self):\n        self.delimiter_pad = None\n        self.bookend = False\n',
    }));
  });
  after(() => dispose());

  it("is found by that name even when its code shares too few of the query's words to be a lexical candidate", async () => {
    const issue =
      "Please support header rows in RST output\n>>> table.write(sys.stdout, format='rst', header_rows=['name', 'unit'])\n" +
      "  File \"io/writer3.py\", line 3, in write_rst_3\n    return get_writer(table, header_rows=header_rows, **writer_kwargs)\n" +
      "TypeError: RST.__init__() got an unexpected keyword argument 'header_rows'\n";
    // Three lexical candidates: the writers' many shared words keep RST.__init__ out of them.
    const { results } = await engine.search.search(issue, { candidates: 3, limit: 5 });
    const init = results.find((r) => r.symbol_path === "RST.__init__");
    assert.ok(init, JSON.stringify(results.map((r) => [r.symbol_path, r.why])));
    assert.ok(!init.why.some((w) => w.startsWith("lexical #")), init.why.join("; "));
    assert.ok(init.why.includes("found by its qualified name") && init.why.includes("qualified name in query: RST.__init__"), init.why.join("; "));
    // Named outright, it ranks with the best lexical matches rather than below them.
    assert.ok(results.indexOf(init) <= 1, JSON.stringify(results.map((r) => [r.symbol_path, r.score])));
  });
});
