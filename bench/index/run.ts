// bench:index: full and incremental indexing speed, index size, peak RSS and search latency on real third-party
// code (pinned npm packages installed into a temp folder), with ripgrep and a whole-file FTS5 index as baselines.
//   npm run bench:index [-- --corpus DIR] [--modes lexical,lexical-one-pass,model2vec] [--queries 200]
// Modes: lexical (the default indexing: line windows first, then symbols), lexical-one-pass (symbols only, as before
// the windows pass), model2vec (the fixture model: dense vectors filled in after the lexical index).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DEFAULT_CORPUS, ensureCorpus, PACKAGES, percentile, round } from "../lib/corpus.ts";
import { timeOneFileUpdates } from "./one-file.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const { values } = parseArgs({
  options: {
    corpus: { type: "string", default: DEFAULT_CORPUS },
    modes: { type: "string", default: "lexical,lexical-one-pass,model2vec" },
    queries: { type: "string", default: "200" },
    child: { type: "string" },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});

/** One indexing mode, measured in its own process so peak RSS is its own. */
async function child(mode: string, corpus: string, queryCount: number): Promise<void> {
  const { loadSettings } = await import("../../server/src/config/index.ts");
  const { openEngine } = await import("../../server/src/engine.ts");
  const { silentLogger } = await import("../../server/src/log/index.ts");
  const storeDir = path.join(os.tmpdir(), `ce-bench-index-${mode}`);
  rmSync(storeDir, { recursive: true, force: true });
  mkdirSync(storeDir, { recursive: true });
  const env: Record<string, string> = { STORE_PATH: path.join(storeDir, "index.db") };
  if (mode.startsWith("lexical")) env.EMBEDDING_PROVIDER = "none";
  else {
    env.EMBEDDING_PROVIDER = "model2vec";
    env.EMBEDDING_MODEL = path.resolve(root, "..", "shared", "fixtures", "models", "model2vec-vocab-quantized");
  }
  const windowsFirst = mode === "lexical-one-pass" ? "never" : "auto";
  const engine = await openEngine({ root: corpus, repo: "corpus", settings: loadSettings(env), log: silentLogger, windowsFirst });
  // The whole-file FTS5 build right before the index, in this process: the two times are a pair on a shared machine.
  const fts = await wholeFileFts(corpus, []);
  const cpu0 = process.cpuUsage();
  // RSS of the whole process (the chunking workers too) while it indexes, sampled: maxRSS would also count the
  // whole-file FTS5 baseline just built in this process.
  let indexRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (indexRss = Math.max(indexRss, process.memoryUsage.rss())), 100);
  const t0 = performance.now();
  let searchableMs: number | undefined;
  const report = await engine.index({ onProgress: (p) => p.phase === "searchable" && (searchableMs = performance.now() - t0) });
  // Symbol-complete (and lexically searchable, if no windows pass said so earlier); the dense phase follows.
  const symbolsMs = performance.now() - t0;
  searchableMs ??= symbolsMs;
  await engine.fillDense();
  const fullMs = performance.now() - t0;
  clearInterval(sampler);
  // All threads of this process (the chunking workers too): steadier than wall time on a shared, loaded machine.
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const files = await engine.store.listFiles("corpus");
  const bytes = [...files.values()].reduce((a, f) => a + f.size, 0);
  const stats = (await engine.store.stats()).find((s) => s.repo === "corpus")!;
  const dbBytes = ["index.db", "index.db-wal"].reduce((a, f) => a + (existsSync(path.join(storeDir, f)) ? statSync(path.join(storeDir, f)).size : 0), 0);

  // Incremental: one changed file through the watcher's path, and a whole incremental scan.
  const oneFile = await timeOneFileUpdates(engine, corpus, files, "bench edit");
  const ts = performance.now();
  const rescan = await engine.index();
  const rescanMs = performance.now() - ts;

  // Queries: identifiers sampled from the index (deterministic), plus two-word queries.
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(env.STORE_PATH!, { readonly: true });
  const names = (db.prepare("SELECT DISTINCT symbol FROM chunks WHERE length(symbol) BETWEEN 6 AND 30 ORDER BY id LIMIT 4000").all() as { symbol: string }[]).map((r) => r.symbol);
  db.close();
  const step = Math.max(1, Math.floor(names.length / queryCount));
  const queries: string[] = [];
  for (let i = 0; queries.length < queryCount && i < names.length; i += step) {
    queries.push(queries.length % 4 === 3 ? `${names[i]} ${names[(i + 7) % names.length]}` : names[i]!);
  }
  for (const q of queries.slice(0, 10)) await engine.search.search(q); // warm-up
  const lat: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await engine.search.search(q, { limit: 10 });
    lat.push(performance.now() - t);
  }
  await engine.close();
  const rss = process.resourceUsage().maxRSS / 1024;
  const out = {
    mode, embedder: engine.embedder.name, files: report.indexed, skipped: report.skipped.length, chunks: stats.points,
    mb: round(bytes / 1e6), fts_build_s: fts.build_s, searchable_s: round(searchableMs / 1000), symbols_s: round(symbolsMs / 1000),
    searchable_vs_fts: round(searchableMs / 1000 / fts.build_s), full_s: round(fullMs / 1000), files_per_s: round(report.indexed / (fullMs / 1000), 0),
    mb_per_s: round(bytes / 1e6 / (fullMs / 1000)), full_cpu_s: round(cpuS), mb_per_cpu_s: round(bytes / 1e6 / cpuS),
    load_during_index: round(os.loadavg()[0]), peak_rss_mb: round(rss, 0), index_peak_rss_mb: round(indexRss / 1024 / 1024, 0), index_mb: round(dbBytes / 1e6, 1),
    one_file_update_ms_p50: round(percentile(oneFile, 50), 1), one_file_update_ms_max: round(Math.max(...oneFile), 1),
    incremental_rescan_s: round(rescanMs / 1000), rescan_indexed: rescan.indexed,
    search_ms_p50: round(percentile(lat, 50)), search_ms_p95: round(percentile(lat, 95)), queries,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function ripgrep(corpus: string, queries: string[]): { p50: number; p95: number } | null {
  if (spawnSync("rg", ["--version"]).status !== 0) return null;
  const lat: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    // Same words, any order: rg finds lines with the first word; that is the cheapest scan a person would run.
    spawnSync("rg", ["-F", "-i", "-n", "-m", "50", q.split(" ")[0]!, corpus], { stdio: "ignore" });
    lat.push(performance.now() - t);
  }
  return { p50: round(percentile(lat, 50)), p95: round(percentile(lat, 95)) };
}

async function wholeFileFts(corpus: string, queries: string[]): Promise<{ build_s: number; p50: number; p95: number }> {
  const { default: Database } = await import("better-sqlite3");
  const { discoverFiles } = await import("../../server/src/files/index.ts");
  const file = path.join(os.tmpdir(), "ce-bench-fts-baseline.db");
  rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE VIRTUAL TABLE docs USING fts5(path, body)");
  const t0 = performance.now();
  const { files } = discoverFiles(corpus, { maxFileBytes: 1024 * 1024 });
  const ins = db.prepare("INSERT INTO docs (path, body) VALUES (?, ?)");
  db.transaction(() => {
    for (const f of files) {
      try {
        ins.run(f.path, readFileSync(f.abs, "utf8"));
      } catch {
        // unreadable: skipped, as the engine does
      }
    }
  })();
  const build = performance.now() - t0;
  const q = db.prepare("SELECT path FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10");
  const lat: number[] = [];
  for (const s of queries) {
    const match = s.split(/\W+/).filter(Boolean).map((w) => `"${w}"`).join(" OR ");
    const t = performance.now();
    q.all(match);
    lat.push(performance.now() - t);
  }
  db.close();
  return { build_s: round(build / 1000), p50: round(percentile(lat, 50)), p95: round(percentile(lat, 95)) };
}

async function main(): Promise<void> {
  const queryCount = Number(values.queries);
  if (values.child) {
    await child(values.child, values.corpus!, queryCount);
    return;
  }
  const corpus = ensureCorpus(values.corpus!);
  const modes = values.modes!.split(",");
  const rows: Record<string, unknown>[] = [];
  for (const mode of modes) {
    process.stderr.write(`indexing the corpus (${mode}) ...\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", mode, "--corpus", corpus, "--queries", String(queryCount)], {
      cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`mode ${mode} failed:\n${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split("\n").pop()!));
  }
  const queries = rows[0]!.queries as string[];
  const rg = ripgrep(corpus, queries);
  const fts = await wholeFileFts(corpus, queries);
  const result = {
    date: new Date().toISOString(), machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => round(l)) }, corpus: { dir: corpus, packages: PACKAGES },
    modes: rows.map(({ queries: _q, ...r }) => r), ripgrep: rg, whole_file_fts5: fts,
    targets: { searchable_vs_fts: 2, full_lexical_mb_per_s: 20, one_file_update_ms: 50, search_p50_ms: 15, search_p95_ms: 40, min_chunks: 100_000, rg_speedup: 5 },
  };
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(path.join(values.out!, "index.json"), JSON.stringify(result, null, 2) + "\n");
  const table = [
    "| mode | files | MB | chunks | whole-file FTS5 build s | every file searchable s | (x FTS5) | symbol-complete s | full index s | files/s | MB/s | CPU s | MB per CPU s | load | peak RSS MB | indexing peak RSS MB | index MB | 1-file update ms (p50) | no-change rescan s | search p50 ms | search p95 ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...result.modes.map((m) => `| ${m.mode} | ${m.files} | ${m.mb} | ${m.chunks} | ${m.fts_build_s} | ${m.searchable_s} | ${m.searchable_vs_fts} | ${m.symbols_s} | ${m.full_s} | ${m.files_per_s} | ${m.mb_per_s} | ${m.full_cpu_s} | ${m.mb_per_cpu_s} | ${m.load_during_index} | ${m.peak_rss_mb} | ${m.index_peak_rss_mb ?? ""} | ${m.index_mb} | ${m.one_file_update_ms_p50} | ${m.incremental_rescan_s} | ${m.search_ms_p50} | ${m.search_ms_p95} |`),
    "",
    "Whole-file FTS5 build: the same files read and put whole into a two-column FTS5 table, timed in each mode's process right before its index (a pair on a shared machine); (x FTS5) = every file searchable / that build.",
    `Baselines on the same ${queries.length} queries: ripgrep scan ${rg ? `p50 ${rg.p50} ms, p95 ${rg.p95} ms` : "(rg not installed: apt-get install ripgrep)"}; whole-file FTS5 index built in ${fts.build_s} s, query p50 ${fts.p50} ms, p95 ${fts.p95} ms.`,
    rg ? `Search p50 vs rg p50: ${round(rg.p50 / (result.modes[0]!.search_ms_p50 as number), 1)}x faster (lexical).` : "",
  ].join("\n");
  writeFileSync(path.join(values.out!, "index.md"), table + "\n");
  process.stdout.write(table + "\n");
}

await main();
