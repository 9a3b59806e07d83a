import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { readState } from "../../server/src/indexer/index.ts";
import { runCli, startCli } from "../helpers/cli.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

/** A generated corpus big enough that indexing takes a few seconds. */
function corpus(files: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const body: string[] = [`"""Module ${i}."""`, "import os", ""];
    for (let f = 0; f < 12; f++) {
      body.push(`class Handler${i}x${f}:`, `    def handle_${i}_${f}(self, request, retries=${f}):`);
      for (let l = 0; l < 8; l++) body.push(`        value_${l} = request.get("key_${i}_${f}_${l}", ${l})`);
      body.push("        return value_0", "");
    }
    out[`pkg${i % 20}/module_${i}.py`] = body.join("\n");
  }
  return out;
}

function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const chunks = db.prepare("SELECT id, repo, path, start_line, end_line, symbol_path, text FROM chunks ORDER BY id").all();
    const files = db.prepare("SELECT repo, path, hash, size, chunks FROM files ORDER BY path").all();
    const fts = db.prepare("SELECT COUNT(*) AS n FROM chunks_fts").get();
    return JSON.stringify({ chunks, files, fts });
  } finally {
    db.close();
  }
}

describe("crash safety", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, corpus(600));
  });
  after(() => cleanup());

  it("an indexer killed with SIGKILL mid-run, then rerun, gives exactly the index and the answers of a clean run", async () => {
    const child = startCli(["index", dir]);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitFor(() => {
      const s = readState(path.join(dir, ".codebase", "state.json"));
      return s?.status === "indexing" && s.files_done >= 60;
    }, "the indexer to be part-way through", 60_000);
    child.kill("SIGKILL");
    await exited;
    const partial = readState(path.join(dir, ".codebase", "state.json"))!;
    assert.ok(partial.files_done < partial.files_total, "killed before the end");

    const rerun = runCli(["index", dir]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const clean = path.join(dir, "..", `${path.basename(dir)}-clean.db`);
    const fresh = runCli(["index", dir], { env: { STORE_PATH: clean } });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.ok(existsSync(clean));
    assert.equal(dump(path.join(dir, ".codebase", "index.db")), dump(clean));
    // And it answers as the clean index does: same results, same scores, same order.
    for (const query of ["handle request retries", "Handler12x3.handle_12_3", "value_3 key_5_2_3 request get"]) {
      const ranked = (env: Record<string, string>) => {
        const r = runCli(["search", query, "--root", dir, "--json", "--limit", "20"], { env });
        assert.equal(r.code, 0, r.stderr);
        return (JSON.parse(r.stdout) as { results: { path: string; start_line: number; end_line: number; score: number }[] }).results
          .map((x) => [x.path, x.start_line, x.end_line, x.score]);
      };
      const recovered = ranked({});
      assert.ok(recovered.length > 0, query);
      assert.deepEqual(recovered, ranked({ STORE_PATH: clean }), query);
    }
  });
});
