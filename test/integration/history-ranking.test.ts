import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../server/src/engine.ts";
import { lexicalEngine } from "../helpers/engine.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-C", cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { encoding: "utf8" }).trim();

/** Two modules much alike to BM25 (the memory one a little closer to the question); their past commits tell which one handles eviction. */
const module = (name: string, i: number) =>
  `def ${name}_put(cache, key, value, entries):\n    # entries ${name === "memory" ? "entries" : "kept"} when full\n    cache[key] = (value, ${i})\n`;
/** Other modules, so that the question's words are rare enough to weigh. */
const others = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`src/other${i}.py`, `def handler_${i}(request):\n    return request.reply(${i})\n`]));

describe("ranking a question with the repository's history (a git checkout)", () => {
  const { dir, cleanup } = tempDir("ce-history-");
  let engine: Engine;

  before(async () => {
    git(dir, "init", "-q");
    writeTree(dir, { "src/memory.py": module("memory", 1), "src/disk.py": module("disk", 2), ...others });
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "Add the two caches");
    for (const [i, subject] of ["Fix eviction of the oldest entries when full", "Evict entries by size, not count"].entries()) {
      writeTree(dir, { "src/disk.py": module("disk", 10 + i) });
      git(dir, "commit", "-q", "-am", subject);
    }
    writeTree(dir, { "src/memory.py": module("memory", 20) });
    git(dir, "commit", "-q", "-am", "Rename a variable");
    engine = await lexicalEngine(dir);
    await engine.index();
  });
  after(async () => {
    await engine.close();
    cleanup();
  });

  it("reads the history at HEAD when indexing", async () => {
    assert.equal(await engine.store.fileHistoryHead!(engine.repo), git(dir, "rev-parse", "HEAD"));
  });

  it("ranks first the file whose past commits are worded like the question", async () => {
    const { results } = await engine.search.search("cache eviction of entries when full");
    assert.equal(results[0]!.path, "src/disk.py");
    assert.ok(results[0]!.why.includes("past commits to this file match"));
  });

  it("re-reads the history when HEAD moves", async () => {
    writeTree(dir, { "src/memory.py": module("memory", 30) });
    git(dir, "commit", "-q", "-am", "Make eviction of memory entries lazy");
    await engine.index();
    assert.equal(await engine.store.fileHistoryHead!(engine.repo), git(dir, "rev-parse", "HEAD"));
    const hits = await engine.store.searchFileHistory!(engine.repo, { terms: [{ term: "lazy", weight: 1 }] }, 5);
    assert.deepEqual(hits.map((h) => h.path), ["src/memory.py"]);
  });
});
