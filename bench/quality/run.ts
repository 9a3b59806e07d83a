// Retrieval quality on SWE-bench Lite: index each instance's checkout with the engine, search with the issue text,
// score files and functions, next to an in-run BM25 baseline on the same checkouts.
// Run: npm run bench:quality -- --repos /tmp/bench-repos [--limit N] [--embedder none|model2vec|transformers --model DIR]
import Database from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { createLogger } from "../../server/src/log/index.ts";
import { openSqliteStore } from "../../server/src/store/sqlite.ts";
import { Bm25Baseline } from "./baseline.ts";
import { checkout, LITE_DATA, loadInstances, sample, selectInstances, type Instance } from "./checkouts.ts";
import { missReport, runMarkdown, writeResults, type RepoRow, type RunRecord } from "./report.ts";
import { goldFunctions, scoreInstance, summarise, type InstanceScore } from "./score.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, "../..");
/**
 * Results per file the benchmark reads (the engine's default cap is 3): function-level scoring ranks the engine's
 * functions, and the file an issue is about often holds several of them. File ranks do not depend on it.
 */
const FUNCTION_CAP = 5;
const FIXTURE_MODEL = path.resolve(projectRoot, "../shared/fixtures/models/model2vec-vocab-quantized");

function args() {
  const a = process.argv.slice(2);
  const get = (name: string) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const repos = get("repos");
  if (!repos) {
    process.stderr.write("usage: npm run bench:quality -- --repos DIR [--limit N] [--embedder none|model2vec|transformers] [--model DIR] [--work DIR] [--label NAME] [--data FILE]\n" +
      "DIR holds git clones named after each repository (requests, flask, sympy, pytest, sphinx, astropy, xarray, pylint, seaborn).\n");
    process.exit(2);
  }
  const embedder = get("embedder") ?? "none";
  if (!["none", "model2vec", "transformers"].includes(embedder)) throw new Error(`--embedder ${embedder}: expected none, model2vec or transformers`);
  if (embedder === "transformers" && !get("model")) throw new Error("--embedder transformers needs --model DIR (a local model folder)");
  return {
    repos: path.resolve(repos),
    limit: get("limit") ? Number(get("limit")) : Infinity,
    embedder,
    model: get("model") ?? (embedder === "model2vec" ? FIXTURE_MODEL : undefined),
    work: path.resolve(get("work") ?? path.join(os.tmpdir(), "ce-bench-quality")),
    label: get("label"),
    data: get("data") ? path.resolve(get("data")!) : LITE_DATA,
    only: get("only"),
    verbose: a.includes("--verbose"),
    noWrite: a.includes("--no-write"),
    /** Keep a copy of each instance's index here (replay.ts searches them again without re-indexing). */
    snapshots: get("snapshots") ? path.resolve(get("snapshots")!) : undefined,
  };
}

interface PerInstance {
  instance_id: string;
  repo: string;
  gold: string[];
  engine: InstanceScore;
  bm25: InstanceScore;
  bm25Code: InstanceScore;
  indexS: number;
  reindexed: number;
  full: boolean;
  searchMs: number;
  bm25SearchMs: number;
  top: string[];
  /** Recipe-made sets (commits.ts): the question's splits. */
  identifier?: boolean;
  multi?: boolean;
}

async function main() {
  const o = args();
  const log = createLogger({ level: "warn" });
  const all = loadInstances(o.data);
  const selected = selectInstances(all, o.repos);
  let run = o.only ? selected.run.filter((i) => i.instance_id.includes(o.only!) || i.repo.includes(o.only!)) : selected.run;
  run = sample(run, o.limit);
  const label = o.label ?? (o.embedder === "none" ? "lexical" : `lexical+${o.embedder}${o.model && o.embedder === "transformers" ? `:${path.basename(o.model)}` : ""}`);
  process.stdout.write(`${run.length} instances (${selected.leftOut.length} left out), embedder ${o.embedder}, work folder ${o.work}\n`);

  const per: PerInstance[] = [];
  const byRepo = new Map<string, Instance[]>();
  for (const i of run) (byRepo.get(i.repo) ?? byRepo.set(i.repo, []).get(i.repo)!).push(i);
  const settingsEnv: Record<string, string> = { EMBEDDING_PROVIDER: o.embedder, LOG_LEVEL: "warn" };
  if (o.model) settingsEnv.EMBEDDING_MODEL = path.resolve(o.model);
  let sharedEmbedder: Engine["embedder"] | undefined;

  for (const [repo, instances] of byRepo) {
    const name = repo.split("/")[1]!;
    const dbFile = path.join(o.work, "stores", `${name}-${o.embedder}.db`);
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(dbFile + suffix, { force: true });
    const store = openSqliteStore(dbFile, log);
    let engine: Engine | undefined;
    const baseline = new Bm25Baseline();
    const codeBaseline = new Bm25Baseline({ codeOnly: true });
    for (const inst of instances) {
      const tree = checkout(o.repos, o.work, repo, inst.base_commit);
      const settings = loadSettings(settingsEnv);
      engine ??= await openEngine({ root: tree, repo: name, settings, log, store, ...(sharedEmbedder ? { embedder: sharedEmbedder } : {}) });
      sharedEmbedder = engine.embedder;
      const full = per.filter((p) => p.repo === repo).length === 0;
      const t0 = performance.now();
      const rep = await engine.index();
      await engine.fillDense();
      const indexS = (performance.now() - t0) / 1000;
      await baseline.sync(store, name);
      await codeBaseline.sync(store, name);
      if (o.snapshots) snapshot(dbFile, path.join(o.snapshots, `${inst.instance_id}-${o.embedder}.db`));

      const t1 = performance.now();
      const res = await engine.search.search(inst.query, { limit: 60, perFileCap: FUNCTION_CAP });
      const searchMs = performance.now() - t1;
      const t2 = performance.now();
      const b = baseline.search(inst.query, 60);
      const bm25SearchMs = performance.now() - t2;
      const bc = codeBaseline.search(inst.query, 60);

      const goldFuncs = goldFunctions(inst.gold_spans);
      const engineScore = scoreInstance(res.results.map((r) => r.path), res.results, inst.gold_files, goldFuncs);
      const bm25Score = scoreInstance(b.files, b.functions, inst.gold_files, goldFuncs);
      const bm25Code = scoreInstance(bc.files, bc.functions, inst.gold_files, goldFuncs);
      const top = [...new Set(res.results.map((r) => r.path))].slice(0, 5);
      const splits = inst.identifier === undefined ? {} : { identifier: inst.identifier, multi: inst.gold_files.length > 1 };
      per.push({ instance_id: inst.instance_id, repo, gold: inst.gold_files, engine: engineScore, bm25: bm25Score, bm25Code, indexS, reindexed: rep.indexed, full, searchMs, bm25SearchMs, top, ...splits });
      process.stdout.write(
        `${inst.instance_id.padEnd(34)} file #${String(engineScore.fileRank || "-").padEnd(3)} fn #${String(engineScore.funcRank ?? "·").padEnd(3)} | bm25 #${String(bm25Score.fileRank || "-").padEnd(3)} fn #${String(bm25Score.funcRank ?? "·").padEnd(3)} | index ${indexS.toFixed(1)} s (${rep.indexed} files) search ${searchMs.toFixed(0)} ms\n`,
      );
      if (o.verbose && engineScore.fileRank !== 1) process.stdout.write(missReport(inst, res));
    }
    baseline.close();
    codeBaseline.close();
    await engine?.close();
  }

  const rowOf = (name: string, xs: PerInstance[]): RepoRow => {
    const firsts = xs.filter((x) => x.full);
    const moves = xs.filter((x) => !x.full);
    const mean = (ys: number[]) => (ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0);
    return {
      repo: name,
      engine: summarise(xs.map((x) => x.engine)),
      bm25: summarise(xs.map((x) => x.bm25)),
      bm25Code: summarise(xs.map((x) => x.bm25Code)),
      firstIndexS: mean(firsts.map((x) => x.indexS)),
      reindexS: moves.length ? mean(moves.map((x) => x.indexS)) : null,
      reindexFiles: moves.length ? mean(moves.map((x) => x.reindexed)) : null,
      searchMs: mean(xs.map((x) => x.searchMs)),
      bm25SearchMs: mean(xs.map((x) => x.bm25SearchMs)),
    };
  };
  const repos = [...byRepo.keys()].map((r) => rowOf(r, per.filter((p) => p.repo === r)));
  const times = per.map((p) => p.searchMs).sort((a, b) => a - b);
  const record: RunRecord = {
    label,
    embedder: o.embedder,
    command: `npm run bench:quality -- ${process.argv.slice(2).join(" ")}`,
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, node ${process.version}`,
    instances: per.length,
    sample: per.length < selected.run.length,
    overall: rowOf("all", per),
    repos,
    leftOut: selected.leftOut,
    searchMsP50: times[Math.floor(times.length / 2)] ?? 0,
    searchMsMax: times[times.length - 1] ?? 0,
    groups: splitRows(per, rowOf),
    // A recipe-made set publishes its recipe, not its data: ranks only, no queries, gold or result paths.
    perInstance: per.map((p) => (p.identifier === undefined ? p : { ...p, gold: undefined, top: undefined })),
  };
  const md = runMarkdown(record);
  process.stdout.write("\n" + md + "\n");
  const left = new Map<string, number>();
  for (const l of selected.leftOut) left.set(`${l.repo} (${l.reason})`, (left.get(`${l.repo} (${l.reason})`) ?? 0) + 1);
  process.stdout.write(`Left out ${selected.leftOut.length} instances: ${[...left].map(([k, n]) => `${n} ${k}`).join("; ")}\n`);
  if (!o.noWrite) {
    // SWE-bench Lite's records sit in bench/results/; another data set's (the held-out issues) in a folder of its own.
    const dataset = path.basename(o.data).replace(/\.jsonl?$/, "");
    const lite = o.data === LITE_DATA;
    const resultsDir = path.join(projectRoot, "bench/results", lite ? "" : dataset);
    const summary = path.join(here, lite ? "RESULTS.md" : `RESULTS-${dataset}.md`);
    fs.mkdirSync(resultsDir, { recursive: true });
    const slug = label.replace(/[^\w+.-]+/g, "_").replace(/\+/g, "-");
    fs.writeFileSync(path.join(resultsDir, `quality-${slug}.json`), JSON.stringify(record, null, 1) + "\n");
    fs.writeFileSync(path.join(resultsDir, `quality-${slug}.md`), md);
    const maker = record.groups?.length ? "bench/quality/commits.ts makes the commit-subject set" : "bench/quality/heldout.ts makes the held-out set";
    writeResults(resultsDir, summary, lite ? "SWE-bench Lite (the nine small repositories)" : `${dataset} (${maker})`);
    process.stdout.write(`wrote ${path.relative(projectRoot, resultsDir) || "bench/results"}/quality-${slug}.{json,md} and ${path.relative(projectRoot, summary)}\n`);
  }
}

/** Rows of a recipe-made set's splits: questions that name an identifier or not, one gold file or several. */
function splitRows(per: PerInstance[], rowOf: (name: string, xs: PerInstance[]) => RepoRow): RepoRow[] {
  if (!per.some((p) => p.identifier !== undefined)) return [];
  const splits: [string, (p: PerInstance) => boolean][] = [
    ["names an identifier", (p) => p.identifier === true],
    ["names no identifier", (p) => p.identifier === false],
    ["one gold file", (p) => p.multi === false],
    ["several gold files", (p) => p.multi === true],
  ];
  return splits.map(([name, keep]) => rowOf(name, per.filter(keep))).filter((r) => r.engine.n > 0);
}

/** A consistent copy of the store as it is now (VACUUM INTO reads the committed state, WAL included). */
function snapshot(dbFile: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  const db = new Database(dbFile, { readonly: true });
  try {
    db.prepare("VACUUM INTO ?").run(to);
  } finally {
    db.close();
  }
}

main().catch((e) => {
  process.stderr.write(`bench:quality: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
