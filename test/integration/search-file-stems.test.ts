// A file named in the question (`no-with` -> lib/rules/no-with.js) is found through the repo's files by stem, a list
// read once and kept: engines made per search (a worker thread makes one per job) share it through the cache given.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../server/src/log/index.ts";
import { SearchEngine, type FileStemsCache } from "../../server/src/search/engine.ts";
import type { Store } from "../../server/src/store/types.ts";
import { indexedLexicalRepo } from "../helpers/engine.ts";

describe("files named in a question", () => {
  let repo: Awaited<ReturnType<typeof indexedLexicalRepo>>;
  before(async () => {
    repo = await indexedLexicalRepo({
      "lib/rules/no-with.js": "module.exports = { create(context) { return { WithStatement(node) { context.report({ node, messageId: 'unexpectedWith' }); } }; } };\n",
      "lib/rules/no-var.js": "module.exports = { create(context) { return { VariableDeclaration(node) { if (node.kind === 'var') context.report({ node }); } }; } };\n",
      "lib/linter.js": "function verify(text, rules) { return rules.map((r) => r.create({ report() {} })); }\nmodule.exports = { verify };\n",
    });
  });
  after(() => repo.dispose());

  it("engines sharing a cache read the file list once", async () => {
    let reads = 0;
    const store = repo.engine.store;
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "listFiles") return (r: string) => (reads++, target.listFiles(r));
        const v = Reflect.get(target, key, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as Store;
    const fileStems: FileStemsCache = new Map();
    const engineFor = () => new SearchEngine({ store: counting, embedder: repo.engine.embedder, log: silentLogger, defaultRepo: repo.engine.repo, fileStems });
    for (const q of ["report no-with violations at the with keyword", "no-var rule for var declarations", "no-with rule"]) {
      const res = await engineFor().search(q);
      assert.ok(res.results.length, q);
    }
    assert.equal((await engineFor().search("report no-with violations at the with keyword")).results[0]?.path, "lib/rules/no-with.js");
    assert.equal(reads, 1, "one read of the file list for four engines");
    // Without a shared cache, each engine reads it again.
    reads = 0;
    for (let i = 0; i < 2; i++) await new SearchEngine({ store: counting, embedder: repo.engine.embedder, log: silentLogger, defaultRepo: repo.engine.repo }).search("no-with rule");
    assert.equal(reads, 2);
  });
});
