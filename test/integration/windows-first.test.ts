// A large full scan stores every file as plain line windows first (searchable before anything is parsed), then
// replaces them with symbol chunks file by file. What it must keep: the final index is the one-pass index, chunk by
// chunk; search works between and during the passes; a run stopped anywhere converges on the next.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { IndexCancelled, readState, type IndexProgress } from "../../server/src/indexer/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

/** Python, TypeScript, Markdown and JSON files: parsed ones get symbol chunks, the others their chunks at once. */
function corpus(files: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const py: string[] = [`"""Module ${i}."""`, "import os", ""];
    for (let f = 0; f < 6; f++) {
      py.push(`class Handler${i}x${f}:`, `    def handle_${i}_${f}(self, request, retries=${f}):`);
      for (let l = 0; l < 12; l++) py.push(`        value_${l} = request.get("key_${i}_${f}_${l}", ${l})`);
      py.push("        return value_0", "");
    }
    out[`pkg${i % 7}/module_${i}.py`] = py.join("\n");
    if (i % 3 === 0) {
      const ts = [`export interface Options${i} { retries: number; timeoutMs: number }`, ""];
      for (let f = 0; f < 4; f++) {
        ts.push(`export function parseHeader${i}x${f}(raw: string, opts: Options${i}): string[] {`);
        for (let l = 0; l < 20; l++) ts.push(`  const part${l} = raw.split(":")[${l % 3}]?.trim() ?? "${i}-${f}-${l}";`);
        ts.push("  return [part0, part1];", "}", "");
      }
      out[`web${i % 5}/header_${i}.ts`] = ts.join("\n");
    }
    if (i % 10 === 0) out[`docs/guide_${i}.md`] = `# Guide ${i}\n\nHow retries work in module ${i}.\n\n## Timeouts\n\nSet timeoutMs.\n`;
    if (i % 10 === 5) out[`config/settings_${i}.json`] = JSON.stringify({ retries: i, timeoutMs: 1000 + i }, null, 2);
  }
  return out;
}

/** Everything a search reads, keyed by content: chunks, file records and each chunk's lexical columns. */
function dump(file: string): { chunks: unknown[]; files: unknown[]; fts: unknown[] } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      chunks: db.prepare(`SELECT id, repo, path, ext, language, start_line, end_line, symbol, symbol_kind, symbol_path, kind, text, file_hash
        FROM chunks ORDER BY id`).all(),
      files: db.prepare("SELECT repo, path, hash, size, mtime_ms, chunks FROM files ORDER BY repo, path").all(),
      fts: db.prepare("SELECT c.id, f.symbol, f.path, f.body FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid ORDER BY c.id").all(),
    };
  } finally {
    db.close();
  }
}

/** The lexical index's b-tree segments (FTS5 writes one per flush and merges some; 'optimize' leaves one). */
function segments(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(DISTINCT segid) AS n FROM chunks_fts_idx").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function engineFor(dir: string, store: string, windowsFirst: "always" | "never" | "auto"): Promise<Engine> {
  const settings = loadSettings({ STORE_PATH: store, EMBEDDING_PROVIDER: "none" });
  return openEngine({ root: dir, repo: "r", settings, log: silentLogger, windowsFirst });
}

const QUERIES = ["handle request retries", "Handler12x3.handle_12_3", "parseHeader9x2 raw split", "value_3 key_5_2_3 request get", "timeouts guide"];

async function ranked(engine: Engine, query: string): Promise<unknown[]> {
  const { results } = await engine.search.search(query, { limit: 20 });
  return results.map((r) => [r.path, r.start_line, r.end_line, r.symbol_path, r.score]);
}

describe("windows first: every file searchable before it is parsed", () => {
  let dir: string;
  let cleanup: () => void;
  let onePass: string;
  const files = corpus(120);
  const total = Object.keys(files).length;
  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(path.join(dir, "repo"), files);
    onePass = path.join(dir, "one-pass.db");
    const engine = await engineFor(path.join(dir, "repo"), onePass, "never");
    await engine.index();
    await engine.close();
  });
  after(() => cleanup());

  it("stores line windows, says when all is searchable, and ends with exactly the one-pass index", async () => {
    const store = path.join(dir, "two-pass.db");
    const engine = await engineFor(path.join(dir, "repo"), store, "always");
    const seen: IndexProgress[] = [];
    try {
      const report = await engine.index({ onProgress: (p) => seen.push(p) });
      const searchableAt = seen.findIndex((p) => p.phase === "searchable");
      assert.ok(searchableAt > 0, "a searchable event");
      assert.ok(seen.slice(0, searchableAt).some((p) => p.pass === "windows"), "windows before it");
      assert.ok(seen.slice(searchableAt).some((p) => p.pass === "symbols"), "symbols after it");
      assert.ok(seen.slice(searchableAt).every((p) => p.pass !== "windows"));
      assert.equal(report.indexed, total);
      assert.equal(typeof report.searchableMs, "number");
      const one = dump(onePass);
      assert.equal(report.chunks, one.chunks.length);
      assert.deepEqual(dump(store), one);
      const state = readState(path.join(dir, "two-pass.db.r.state.json"))!;
      assert.equal(state.status, "idle");
      assert.equal(state.searchable, true);
      assert.equal(segments(store), 1, "the lexical index merged after the symbols pass");
      await assertRanksAsOnePass(engine);
    } finally {
      await engine.close();
    }
  });

  it("answers searches between the passes and half-way through the symbols, and a run stopped there converges", async () => {
    const store = path.join(dir, "stopped.db");
    let engine = await engineFor(path.join(dir, "repo"), store, "always");
    // Stop when every file is searchable: what a crash right after the windows pass leaves.
    const ac = new AbortController();
    await assert.rejects(engine.index({ signal: ac.signal, onProgress: (p) => p.phase === "searchable" && ac.abort() }), IndexCancelled);
    const windowsOnly = await engine.search.search("handle_97_4 request");
    const hit = windowsOnly.results.find((r) => r.path === "pkg6/module_97.py");
    assert.ok(hit, "a file not yet parsed is found by its words");
    assert.equal(hit.symbol_path, "", "as a line window");
    const header = await engine.search.search("parseHeader117x1");
    assert.equal(header.results[0]?.path, "web2/header_117.ts");
    // Markdown and JSON need no parse: their final chunks are stored in the windows pass.
    const guide = await engine.search.search("timeouts guide 40");
    assert.ok(guide.results.some((r) => r.path === "docs/guide_40.md" && r.symbol !== ""));
    await engine.close();

    // Rerun, and stop again half-way through the symbols: some files parsed, the rest still windows.
    engine = await engineFor(path.join(dir, "repo"), store, "always");
    const half = new AbortController();
    let symbolsDone = 0;
    let searchable = false;
    await assert.rejects(
      engine.index({
        signal: half.signal,
        onProgress: (p) => {
          if (p.phase === "searchable") searchable = true;
          if (p.pass === "symbols") symbolsDone = p.done;
          if (p.pass === "symbols" && p.done >= p.total / 2) half.abort();
        },
      }),
      IndexCancelled,
    );
    assert.ok(searchable && symbolsDone > 0);
    const mixed = dump(store);
    assert.ok(mixed.files.some((f) => String((f as { hash: string }).hash).startsWith("windows:")), "some files still windows");
    assert.ok(mixed.chunks.some((c) => (c as { symbol_path: string }).symbol_path !== ""), "some files parsed");
    // Every file is found either way: parsed ones by their symbols, the others by their windows.
    for (const i of [3, 60, 117]) {
      const r = await engine.search.search(`handle_${i}_2 retries`);
      assert.ok(r.results.some((x) => x.path === `pkg${i % 7}/module_${i}.py`), `module ${i}`);
    }
    // A watcher's batch re-chunks a file whose windows are stored, like any changed file.
    const still = mixed.files.find((f) => String((f as { hash: string }).hash).startsWith("windows:")) as { path: string };
    const batch = await engine.indexer.updatePaths([still.path]);
    assert.equal(batch.indexed, 1);
    await engine.close();

    // The next run finishes the symbols and gives exactly the one-pass index (auto: too few files left for windows).
    engine = await engineFor(path.join(dir, "repo"), store, "auto");
    try {
      const report = await engine.index();
      assert.equal(report.searchableMs, undefined);
      assert.deepEqual(dump(store), dump(onePass));
      await assertRanksAsOnePass(engine);
    } finally {
      await engine.close();
    }
  });

  it("merging the lexical index changes no ranking", async () => {
    const root = path.join(dir, "edited");
    writeTree(root, files);
    const store = path.join(dir, "merged.db");
    const engine = await engineFor(root, store, "never");
    try {
      await engine.index();
      // Small runs, each written as its own segment, some replacing rows: what edits leave behind.
      for (const i of [3, 12, 45, 97]) {
        writeFileSync(path.join(root, `pkg${i % 7}/module_${i}.py`), files[`pkg${i % 7}/module_${i}.py`]!.replace(/request/g, "req"));
        await engine.index();
      }
      assert.ok(segments(store) > 1, `${segments(store)} segments before`);
      const before = await Promise.all(QUERIES.map((q) => ranked(engine, q)));
      await engine.store.compact!();
      assert.equal(segments(store), 1);
      assert.deepEqual(await Promise.all(QUERIES.map((q) => ranked(engine, q))), before);
    } finally {
      await engine.close();
    }
  });

  /** Every probe query ranks exactly as over the one-pass index. */
  async function assertRanksAsOnePass(engine: Awaited<ReturnType<typeof engineFor>>): Promise<void> {
    const reference = await engineFor(path.join(dir, "repo"), onePass, "never");
    try {
      for (const q of QUERIES) assert.deepEqual(await ranked(engine, q), await ranked(reference, q), q);
    } finally {
      await reference.close();
    }
  }
});
