import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { noneEmbedder } from "../../server/src/embedding/none.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { MemoryService } from "../../server/src/memory/index.ts";
import { openSqliteStore, type SqliteStore } from "../../server/src/store/sqlite.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("memory_find over the embedded store, lexical only", () => {
  const { dir, cleanup } = tempDir("ce-memory-");
  let store: SqliteStore;
  let memories: MemoryService;

  before(async () => {
    store = openSqliteStore(path.join(dir, "index.db"), silentLogger);
    await store.ensure({ embedder: noneEmbedder.name, dimension: 0 });
    memories = new MemoryService(store, noneEmbedder, "app");
    await memories.remember("The deploy script needs --use-kustomize for image overrides", { kind: "gotcha", topic: "deploy" });
    await memories.remember("Release notes are written by hand before tagging a version", { kind: "convention", topic: "release" });
    await memories.remember("Database migrations run in a transaction; never mix schema and data changes", { kind: "convention" });
  });
  after(async () => {
    await store.close();
    cleanup();
  });

  it("finds a memory from a paraphrase that shares only word stems with it", async () => {
    const found = await memories.find("how do I override images when deploying");
    assert.ok(found.length >= 1, "the deploy memory is found");
    assert.match(found[0]!.information, /--use-kustomize for image overrides/);
  });

  it("still finds a memory by the words it holds, and nothing for unrelated words", async () => {
    assert.match((await memories.find("migrations transaction"))[0]!.information, /Database migrations/);
    assert.deepEqual(await memories.find("kubernetes ingress certificates"), []);
  });
});
