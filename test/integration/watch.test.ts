import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { createEmbedder } from "../../server/src/embedding/index.ts";
import { openEngine, openStore, type Engine } from "../../server/src/engine.ts";
import { readState } from "../../server/src/indexer/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import type { Store } from "../../server/src/store/types.ts";
import { Watcher, type BatchReport } from "../../server/src/watch/index.ts";
import { countingEmbedder, MODEL2VEC_FIXTURE, SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

const settings = loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC_FIXTURE });

/** A real store whose writes can be made to fail, as an unreachable Qdrant would. */
function flakyStore(inner: Store): Store & { failing: boolean; failures: number } {
  const failable = new Set(["replaceFile", "replaceFiles", "removeFiles", "moveFile", "listFiles"]);
  const state = { failing: false, failures: 0 };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "failing" || prop === "failures") return state[prop];
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (state.failing && failable.has(String(prop))) {
          state.failures++;
          return Promise.reject(new Error("store unreachable (injected)"));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(_t, prop, value) {
      if (prop === "failing") state.failing = value as boolean;
      else if (prop === "failures") state.failures = value as number;
      else return false;
      return true;
    },
  }) as Store & { failing: boolean; failures: number };
}

async function topPath(engine: Engine, q: string): Promise<string | undefined> {
  return (await engine.search.search(q)).results[0]?.path;
}

describe("the watcher", () => {
  let dir: string;
  let cleanup: () => void;
  let engine: Engine;
  let watcher: Watcher;
  let counter: ReturnType<typeof countingEmbedder>;
  let store: ReturnType<typeof flakyStore>;
  const batches: BatchReport[] = [];

  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, SAMPLE_REPO);
    counter = countingEmbedder(await createEmbedder(settings, silentLogger));
    store = flakyStore(await openStore(settings, dir, silentLogger));
    engine = await openEngine({ root: dir, settings, log: silentLogger, embedder: counter, store });
    watcher = new Watcher({ engine, log: silentLogger, debounceMs: 100, retryMinMs: 50, retryMaxMs: 200 });
    watcher.onBatch((r) => batches.push(r));
    await watcher.start();
  });
  after(async () => {
    await watcher.stop();
    await engine.close();
    cleanup();
  });

  it("reports watching in state.json after the startup scan", () => {
    assert.equal(readState(path.join(dir, ".codebase", "state.json"))!.status, "watching");
  });

  it("indexes a created file, a changed file and forgets a deleted one", async () => {
    writeTree(dir, { "src/created.py": "def watcher_created_function():\n    return 1\n" });
    await waitFor(async () => (await topPath(engine, "watcher_created_function")) === "src/created.py", "created file searchable");
    writeFileSync(path.join(dir, "src/created.py"), "def watcher_changed_function():\n    return 2\n");
    await waitFor(async () => (await topPath(engine, "watcher_changed_function")) === "src/created.py", "changed file searchable");
    rmSync(path.join(dir, "src/created.py"));
    await waitFor(async () => !(await engine.store.listFiles(engine.repo)).has("src/created.py"), "deleted file removed");
  });

  it("moves the points of a renamed file without calling the embedder", async () => {
    writeTree(dir, { "src/before_rename.py": "def renamed_thing_marker():\n    return 3\n" });
    await waitFor(async () => (await engine.store.listFiles(engine.repo)).has("src/before_rename.py"), "file indexed");
    await watcher.idle();
    await engine.denseBackground.idle();
    const texts = counter.texts;
    renameSync(path.join(dir, "src/before_rename.py"), path.join(dir, "src/after_rename.py"));
    await waitFor(async () => (await engine.store.listFiles(engine.repo)).has("src/after_rename.py"), "renamed file recorded");
    await watcher.idle();
    await engine.denseBackground.idle();
    assert.equal(counter.texts, texts, "no text was embedded for the rename");
    assert.equal(await topPath(engine, "renamed_thing_marker"), "src/after_rename.py");
    assert.ok(!(await engine.store.listFiles(engine.repo)).has("src/before_rename.py"));
  });

  it("handles a deleted directory as all of its files", async () => {
    writeTree(dir, { "gone/a.py": "def gone_a():\n    pass\n", "gone/deep/b.py": "def gone_b():\n    pass\n" });
    await waitFor(async () => (await engine.store.listFiles(engine.repo)).has("gone/deep/b.py"), "dir indexed");
    rmSync(path.join(dir, "gone"), { recursive: true });
    await waitFor(async () => {
      const files = await engine.store.listFiles(engine.repo);
      return !files.has("gone/a.py") && !files.has("gone/deep/b.py");
    }, "dir files removed");
  });

  it("reloads ignore rules when .contextignore changes and removes newly ignored files", async () => {
    writeFileSync(path.join(dir, ".contextignore"), "docs/\n");
    await waitFor(async () => !(await engine.store.listFiles(engine.repo)).has("docs/guide.md"), "ignored file removed");
    writeFileSync(path.join(dir, ".contextignore"), "\n");
    await waitFor(async () => (await engine.store.listFiles(engine.repo)).has("docs/guide.md"), "un-ignored file back");
  });

  it("keeps a batch while the store fails and indexes it once the store recovers", async () => {
    store.failing = true;
    writeTree(dir, { "src/during_outage.py": "def written_during_outage():\n    return 4\n" });
    await waitFor(() => store.failures >= 2, "retries while failing");
    assert.equal(readState(path.join(dir, ".codebase", "state.json"))!.status, "error");
    assert.match(readState(path.join(dir, ".codebase", "state.json"))!.error ?? "", /unreachable/);
    store.failing = false;
    await waitFor(async () => (await topPath(engine, "written_during_outage")) === "src/during_outage.py", "recovered");
    await watcher.idle();
    assert.equal(readState(path.join(dir, ".codebase", "state.json"))!.status, "watching");
  });

  it("takes a burst of 10,000 new files as a few batches", async () => {
    const before = batches.length;
    mkdirSync(path.join(dir, "burst"));
    for (let i = 0; i < 10_000; i++) writeFileSync(path.join(dir, "burst", `f${i}.py`), `def burst_fn_${i}():\n    return ${i}\n`);
    await waitFor(async () => (await engine.store.listFiles(engine.repo)).has("burst/f9999.py"), "burst indexed", 180_000, 200);
    await watcher.idle();
    const files = await engine.store.listFiles(engine.repo);
    assert.equal([...files.keys()].filter((p) => p.startsWith("burst/")).length, 10_000);
    assert.ok(batches.length - before <= 6, `${batches.length - before} batches`);
    assert.equal(await topPath(engine, "burst_fn_4321"), "burst/f4321.py");
  });
});

describe("watcher restart", () => {
  it("catches up with every change made while it was down", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeTree(dir, SAMPLE_REPO);
      const lexical = loadSettings({ EMBEDDING_PROVIDER: "none" });
      let engine = await openEngine({ root: dir, settings: lexical, log: silentLogger });
      let watcher = new Watcher({ engine, log: silentLogger, debounceMs: 50 });
      await watcher.start();
      await watcher.stop();
      await engine.close();
      // While down: one file added, one deleted, one changed.
      writeTree(dir, { "src/offline_added.py": "def added_while_down():\n    pass\n" });
      rmSync(path.join(dir, "docs/guide.md"));
      writeFileSync(path.join(dir, "src/util/strings.ts"), "export function changedWhileDown() { return 1; }\n");
      engine = await openEngine({ root: dir, settings: lexical, log: silentLogger });
      watcher = new Watcher({ engine, log: silentLogger, debounceMs: 50 });
      await watcher.start();
      try {
        const files = await engine.store.listFiles(engine.repo);
        assert.ok(files.has("src/offline_added.py"));
        assert.ok(!files.has("docs/guide.md"));
        assert.equal(await topPath(engine, "changedWhileDown"), "src/util/strings.ts");
      } finally {
        await watcher.stop();
        await engine.close();
      }
    } finally {
      cleanup();
    }
  });
});
