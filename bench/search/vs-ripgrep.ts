// bench:search: short-query search against ripgrep on the same tree, paired query by query in one run.
// The tree is indexed lexically once (kept in a temp store for later runs); the queries are identifiers sampled from
// the index (every fourth two of them), as bench:index samples them. Each query runs through the engine in process
// (what an MCP call costs the server, without transport) and through `rg` (a process per query, as an agent runs
// it), alternating which goes first. Printed as a table and written to bench/results/search-vs-ripgrep.{json,md}.
//   npm run bench:search -- --tree DIR [--queries 200] [--store FILE] [--name sympy]
// After the paired run, the engine's searches run once more under the V8 profiler: where a search's time goes (self
// time by function, SQLite's native work inside the store's functions), in the table.
// The tree of record: sympy at e950d313a9 (fetch github:sympy/sympy, `git archive e950d313a9 | tar -x -C DIR`).
import { spawn, spawnSync } from "node:child_process";
import { Session } from "node:inspector/promises";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { percentile, round } from "../lib/corpus.ts";

/** The helper process: times one `rg` process per query, as an agent runs it, and sends back the milliseconds. */
const RUNNER = `
const { spawnSync } = require("node:child_process");
process.on("message", ({ tree, words }) => {
  const t = performance.now();
  spawnSync("rg", ["-n", "-i", "-F", ...words.flatMap((w) => ["-e", w]), tree], { stdio: "ignore" });
  process.send(performance.now() - t);
});`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    tree: { type: "string" },
    name: { type: "string" },
    queries: { type: "string", default: "200" },
    store: { type: "string" },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});
if (!values.tree || !existsSync(values.tree)) {
  console.error("usage: npm run bench:search -- --tree DIR (a source tree; the README names the one of record)");
  process.exit(2);
}
if (spawnSync("rg", ["--version"]).status !== 0) {
  console.error("ripgrep is not installed (apt-get install ripgrep): it is the baseline this benchmark pairs with");
  process.exit(2);
}
const tree = path.resolve(values.tree);
const name = values.name ?? path.basename(tree);
const storePath = values.store ?? path.join(os.tmpdir(), "ce-bench-search", name, "index.db");
mkdirSync(path.dirname(storePath), { recursive: true });

// rg runs in a helper process started before the engine opens: forking the engine's own (large) process for every
// query would make its next search pay copy-on-write page faults (a search after a spawnSync from the engine process
// took 3x as long as one after an idle wait of the same length), which an MCP server never pays.
const runner = spawn(process.execPath, ["-e", RUNNER], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const replies: ((ms: number) => void)[] = [];
runner.on("message", (ms) => replies.shift()?.(ms as number));
const rg = (q: string) =>
  new Promise<number>((resolve) => {
    replies.push(resolve);
    runner.send({ tree, words: q.split(" ") });
  });

const engine = await openEngine({ root: tree, repo: name, settings: loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: storePath }), log: silentLogger });
const t0 = performance.now();
const report = await engine.index();
console.error(`index: ${report.indexed} files (re)indexed in ${round((performance.now() - t0) / 1000, 1)} s`);

const { default: Database } = await import("better-sqlite3");
const db = new Database(storePath, { readonly: true });
const names = (db.prepare("SELECT DISTINCT symbol FROM chunks WHERE repo = ? AND length(symbol) BETWEEN 6 AND 30 ORDER BY id LIMIT 4000").all(name) as { symbol: string }[]).map((r) => r.symbol);
const chunks = (db.prepare("SELECT count(*) AS n FROM chunks WHERE repo = ?").get(name) as { n: number }).n;
db.close();
const wanted = Number(values.queries);
const step = Math.max(1, Math.floor(names.length / wanted));
const queries: string[] = [];
for (let i = 0; queries.length < wanted && i < names.length; i += step) queries.push(queries.length % 4 === 3 ? `${names[i]} ${names[(i + 7) % names.length]}` : names[i]!);

for (const q of queries.slice(0, 10)) {
  await engine.search.search(q, { limit: 10 });
  await rg(q);
}
const ours: number[] = [];
const theirs: number[] = [];
const ratios: number[] = [];
for (const [i, q] of queries.entries()) {
  const timeOurs = async () => {
    const t = performance.now();
    await engine.search.search(q, { limit: 10 });
    return performance.now() - t;
  };
  const timeRg = () => rg(q);
  let a: number;
  let b: number;
  if (i % 2) {
    a = await timeOurs();
    b = await timeRg();
  } else {
    b = await timeRg();
    a = await timeOurs();
  }
  ours.push(a);
  theirs.push(b);
  ratios.push(b / a);
}

/** Self time by function while the engine answers every query again (the profiler's samples, summed). */
async function profileSearches(): Promise<{ fn: string; share: number }[]> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  for (const q of queries) await engine.search.search(q, { limit: 10 });
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${f.url.split("/").slice(-2).join("/")}` : "";
    const key = `${f.functionName || "(anonymous)"}${where ? ` (${where})` : ""}`;
    const dt = deltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([fn, t]) => ({ fn, share: round((100 * t) / total, 1) }));
}
const profile = await profileSearches();
await engine.close();
runner.disconnect();

const load = os.loadavg()[0]!;
const out = {
  tree: name, files: report.indexed + report.unchanged, chunks, queries: queries.length, load_1min: round(load),
  engine_ms: { p50: round(percentile(ours, 50)), p95: round(percentile(ours, 95)), max: round(Math.max(...ours)) },
  ripgrep_ms: { p50: round(percentile(theirs, 50)), p95: round(percentile(theirs, 95)), max: round(Math.max(...theirs)) },
  ratio_rg_over_engine: { p50: round(percentile(ratios, 50)), min: round(Math.min(...ratios)) },
  profile_self_time_pct: profile,
  date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  command: `npm run bench:search -- --tree ${values.tree}${values.name ? ` --name ${values.name}` : ""} --queries ${wanted}`,
};
const md = [
  `Short queries on ${name} (${out.chunks} chunks), ${out.queries} queries paired one by one, load ${out.load_1min} (2 cores); ${out.date}; \`${out.command}\``,
  "",
  "| | p50 ms | p95 ms | max ms |",
  "|---|---|---|---|",
  `| engine (in process, 10 results) | ${out.engine_ms.p50} | ${out.engine_ms.p95} | ${out.engine_ms.max} |`,
  `| ripgrep (-n -i -F, a process per query, spawned by a helper process) | ${out.ripgrep_ms.p50} | ${out.ripgrep_ms.p95} | ${out.ripgrep_ms.max} |`,
  "",
  `ripgrep time / engine time, per query: median ${out.ratio_rg_over_engine.p50}x, worst ${out.ratio_rg_over_engine.min}x.`,
  "",
  "Where the engine's time goes (the same queries again under the V8 profiler; self time, % of the total; a store function's share includes SQLite's native work it calls):",
  "",
  "| % | function |",
  "|---|---|",
  ...profile.map((p) => `| ${p.share} | ${p.fn.replace(/\|/g, "\\|")} |`),
].join("\n");
console.log(md);
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, "search-vs-ripgrep.json"), JSON.stringify(out, null, 2) + "\n");
writeFileSync(path.join(values.out, "search-vs-ripgrep.md"), md + "\n");
