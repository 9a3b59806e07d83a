// Edit-to-searchable latency: a watcher on an indexed repo of >= 5,000 real files; 50 edits, each timed from the
// file write until search returns the edited file for the new identifier. Reported beside the debounce.
//   node --import tsx bench/fresh/latency.ts [--edits 50] [--debounce 1.5] [--files 5000]
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DEFAULT_CORPUS, ensureCorpus, percentile, round } from "../lib/corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface LatencyResult {
  files: number;
  chunks: number;
  debounce_s: number;
  edits: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  target_p95_ms: number;
  initial_index_s: number;
}

/** Copies whole packages from the corpus until at least `min` files are in `dest`. */
function buildRepo(corpus: string, dest: string, min: number): number {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  let count = 0;
  const countFiles = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(path.join(d, e.name)) : 1), 0);
  for (const pkg of readdirSync(corpus).sort()) {
    if (count >= min) break;
    const src = path.join(corpus, pkg);
    if (!statSync(src).isDirectory()) continue;
    cpSync(src, path.join(dest, pkg), { recursive: true });
    count += countFiles(path.join(dest, pkg));
  }
  return count;
}

export async function measureLatency(opts: { edits: number; debounceS: number; minFiles: number; corpus?: string }): Promise<LatencyResult> {
  const { loadSettings } = await import("../../server/src/config/index.ts");
  const { openEngine } = await import("../../server/src/engine.ts");
  const { silentLogger } = await import("../../server/src/log/index.ts");
  const { Watcher } = await import("../../server/src/watch/index.ts");
  const corpus = ensureCorpus(opts.corpus ?? DEFAULT_CORPUS);
  const repo = path.join(os.tmpdir(), "ce-bench-fresh-repo");
  const files = buildRepo(corpus, repo, opts.minFiles);
  const settings = loadSettings({ EMBEDDING_PROVIDER: "none", WATCH_DEBOUNCE_SECS: String(opts.debounceS) });
  const engine = await openEngine({ root: repo, repo: "fresh", settings, log: silentLogger });
  const t0 = performance.now();
  const watcher = new Watcher({ engine, log: silentLogger, debounceMs: opts.debounceS * 1000 });
  await watcher.start();
  const initial = (performance.now() - t0) / 1000;
  const chunks = (await engine.store.stats()).find((s) => s.repo === "fresh")?.points ?? 0;
  const targets = (await engine.store.listFiles("fresh"));
  const editable = [...targets.keys()].filter((p) => p.endsWith(".js")).slice(0, opts.edits);
  const lat: number[] = [];
  for (let i = 0; i < editable.length; i++) {
    const rel = editable[i]!;
    const ident = `freshnessMarker${i}x${Date.now().toString(36)}`;
    const abs = path.join(repo, rel);
    const t = performance.now();
    writeFileSync(abs, `function ${ident}() { return ${i}; }\n`, { flag: "a" });
    for (;;) {
      const r = await engine.search.search(ident, { limit: 3 });
      if (r.results.some((x) => x.path === rel)) break;
      if (performance.now() - t > 60_000) throw new Error(`edit ${i} of ${rel} not searchable after 60 s`);
      await new Promise((res) => setTimeout(res, 10));
    }
    lat.push(performance.now() - t);
    await watcher.idle();
  }
  await watcher.stop();
  await engine.close();
  return {
    files, chunks, debounce_s: opts.debounceS, edits: lat.length,
    p50_ms: round(percentile(lat, 50), 0), p95_ms: round(percentile(lat, 95), 0), max_ms: round(Math.max(...lat), 0),
    target_p95_ms: opts.debounceS * 1000 + 300, initial_index_s: round(initial, 1),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { edits: { type: "string", default: "50" }, debounce: { type: "string", default: "1.5" }, files: { type: "string", default: "5000" } } });
  const r = await measureLatency({ edits: Number(values.edits), debounceS: Number(values.debounce), minFiles: Number(values.files) });
  const out = path.join(root, "bench", "results");
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "fresh-latency.json"), JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), ...r }, null, 2) + "\n");
  process.stdout.write(
    `| files | chunks | debounce | edits | edit→searchable p50 | p95 | max | target p95 |\n|---|---|---|---|---|---|---|---|\n` +
      `| ${r.files} | ${r.chunks} | ${r.debounce_s} s | ${r.edits} | ${r.p50_ms} ms | ${r.p95_ms} ms | ${r.max_ms} ms | ≤ ${r.target_p95_ms} ms |\n`,
  );
}
