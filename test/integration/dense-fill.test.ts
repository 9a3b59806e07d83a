// The dense phase: search works from the lexical index at once, dense vectors fill in behind it with progress, a
// crash or a stop mid-fill carries on where it was, and vectors are reused by content (model + text), so a file
// re-indexed with content seen before, or renamed, is not embedded again. Real parts: SQLite, the fixture Model2Vec
// model, the CLI in a child process.
import assert from "node:assert/strict";
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { createEmbedder } from "../../server/src/embedding/index.ts";
import type { Embedder } from "../../server/src/embedding/types.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { readState, type DenseFillReport } from "../../server/src/indexer/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { runCli } from "../helpers/cli.ts";
import { countingEmbedder, MODEL2VEC_FIXTURE } from "../helpers/engine.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const settings = loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC_FIXTURE });

/** 40 modules of 5 functions: 200 chunks, more than three fill batches. */
function repoTree(): Record<string, string> {
  const tree: Record<string, string> = {};
  for (let m = 0; m < 40; m++) {
    const fns = Array.from({ length: 5 }, (_, f) => `def module${m}_step${f}(value):\n    """Step ${f} of module ${m}."""\n    return value * ${m + f}\n`);
    tree[`pkg/module_${m}.py`] = fns.join("\n\n");
  }
  tree["pkg/retry.py"] = "def retry_with_backoff(call, attempts):\n    for i in range(attempts):\n        try:\n            return call()\n        except OSError:\n            sleep(2 ** i)\n";
  return tree;
}

/** An embedder that fails on its n-th call, as a process killed mid-fill would stop there. */
function crashingOn(inner: Embedder, n: number): Embedder {
  let calls = 0;
  return {
    name: inner.name,
    dimension: inner.dimension,
    async embed(texts) {
      if (++calls === n) throw new Error("simulated crash in the middle of the dense phase");
      return inner.embed(texts);
    },
  };
}

describe("the dense phase behind the lexical index", () => {
  let dir: string;
  let cleanup: () => void;
  let model: Embedder;
  const engines: Engine[] = [];
  const open = async (embedder: Embedder) => {
    const e = await openEngine({ root: dir, settings, log: silentLogger, embedder });
    engines.push(e);
    return e;
  };
  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, repoTree());
    model = await createEmbedder(settings, silentLogger);
  });
  after(async () => {
    for (const e of engines) await e.close();
    cleanup();
  });

  it("searches lexically before any vector exists, and with dense evidence once the fill is done, reporting progress", async () => {
    const counter = countingEmbedder(model);
    const engine = await open(counter);
    const report = await engine.index();
    assert.equal(counter.texts, 0, "the lexical index embeds nothing");
    const before = await engine.search.search("retry_with_backoff");
    assert.equal(before.results[0]?.path, "pkg/retry.py");
    assert.ok(!before.results[0]!.why.some((w) => w.startsWith("dense #")), before.results[0]!.why.join(", "));
    const waiting = await engine.store.dense!.denseProgress(engine.repo);
    assert.deepEqual(waiting, { done: 0, total: report.chunks });

    const steps: DenseFillReport[] = [];
    const queries = counter.texts; // the search embedded its query
    const filled = await engine.fillDense({ onProgress: (p) => steps.push(p) });
    assert.equal(filled.complete, true);
    assert.equal(filled.done, report.chunks);
    assert.equal(filled.total, report.chunks);
    assert.equal(filled.embedded, counter.texts - queries);
    assert.ok(steps.length >= 3, `progress after each batch, got ${steps.length}`);
    assert.ok(steps.every((s, i) => i === 0 || s.done > steps[i - 1]!.done), "progress only goes up");
    assert.deepEqual(readState(engine.state.file)!.dense, { status: "complete", done: report.chunks, total: report.chunks });

    const after = await engine.search.search("retry_with_backoff");
    assert.equal(after.results[0]?.path, "pkg/retry.py");
    assert.ok(after.results[0]!.why.some((w) => w.startsWith("dense #")), after.results[0]!.why.join(", "));
  });

  it("carries on after a crash mid-fill without embedding the stored batches again", async () => {
    // Another model name: a rebuild, and no vector of it in the cache, so every chunk waits for the model.
    const other = { ...model, name: `${model.name}-second`, embed: model.embed.bind(model) };
    const first = await open(crashingOn(other, 3));
    const report = await first.index();
    assert.equal(report.rebuilt, true);
    await assert.rejects(first.fillDense(), /simulated crash/);
    const stopped = await first.store.dense!.denseProgress(first.repo);
    assert.ok(stopped.done > 0 && stopped.done < report.chunks, `two batches stored before the crash: ${stopped.done} of ${report.chunks}`);
    assert.equal(readState(first.state.file)!.dense?.status, "error");

    const counter = countingEmbedder(other);
    const second = await open(counter);
    const resumed = await second.fillDense();
    assert.equal(resumed.done, report.chunks);
    assert.equal(counter.texts, report.chunks - stopped.done, "only the chunks left were embedded");
  });

  it("stops when asked, says so in the state, and the next run finishes", async () => {
    const engine = await open(model);
    await engine.store.recreate({ embedder: model.name, dimension: model.dimension });
    const report = await engine.index();
    const ac = new AbortController();
    const r = await engine.fillDense({ signal: ac.signal, onProgress: () => ac.abort() });
    assert.equal(r.complete, false);
    assert.ok(r.done < report.chunks);
    assert.equal(readState(engine.state.file)!.dense?.status, "stopped");
    const rest = await engine.fillDense();
    assert.equal(rest.done, report.chunks);
    assert.equal(readState(engine.state.file)!.dense?.status, "complete");
  });

  it("reuses vectors by content: a file changed and changed back, and a renamed file, are not embedded again", async () => {
    const counter = countingEmbedder(model);
    const engine = await open(counter);
    await engine.index();
    await engine.fillDense();
    const file = path.join(dir, "pkg/module_1.py");
    const original = repoTree()["pkg/module_1.py"]!;
    writeFileSync(file, original.replace("return value * 1", "return value * 100"));
    await engine.index();
    const edited = await engine.fillDense();
    assert.equal(edited.embedded, 1, "one chunk changed, one embedded; the file's other chunks came from the cache");
    assert.equal(edited.reused, 4);

    writeFileSync(file, original);
    await engine.index();
    const reverted = await engine.fillDense();
    assert.equal(reverted.embedded, 0, "the original content was embedded before");
    assert.equal(reverted.reused, 5);

    const before = counter.texts;
    renameSync(path.join(dir, "pkg/module_2.py"), path.join(dir, "pkg/module_two.py"));
    const moved = await engine.index();
    assert.equal(moved.moved, 1);
    const afterRename = await engine.fillDense();
    assert.equal(counter.texts, before, "nothing embedded for the rename");
    assert.equal(afterRename.done, afterRename.total);
  });

  it("the CLI indexes, fills and shows 'dense: done / total' in status; --no-dense leaves the fill to later", () => {
    const { dir: cliDir, cleanup: cliCleanup } = tempDir();
    try {
      writeTree(cliDir, repoTree());
      const env = { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC_FIXTURE };
      const lexicalOnly = runCli(["index", cliDir, "--no-dense"], { env });
      assert.equal(lexicalOnly.code, 0, lexicalOnly.stderr);
      const waiting = runCli(["status", cliDir], { env });
      assert.match(waiting.stdout, /^Dense: +0 \/ 201 \(waiting/m);
      const filled = runCli(["index", cliDir], { env });
      assert.equal(filled.code, 0, filled.stderr);
      assert.match(filled.stdout, /^dense: 201 \/ 201 \(201 embedded, 0 reused/m);
      const done = runCli(["status", cliDir, "--json"], { env });
      assert.deepEqual(JSON.parse(done.stdout).dense, { done: 201, total: 201 });
    } finally {
      cliCleanup();
    }
  });
});
