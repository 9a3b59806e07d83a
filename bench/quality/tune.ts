// A fast loop for ranking work: each repository indexed once (at its newest instance commit, index kept between
// runs), then every instance's issue searched against it. Approximate (other commits' code), for iteration only;
// the numbers that count come from run.ts.
// Run: node --import tsx bench/quality/tune.ts --repos /tmp/bench-repos [--only sympy] [--verbose]
import os from "node:os";
import path from "node:path";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { createLogger } from "../../server/src/log/index.ts";
import { Bm25Baseline } from "./baseline.ts";
import { checkout, loadInstances, selectInstances, type Instance } from "./checkouts.ts";
import { goldFunctions, scoreInstance, summarise, type InstanceScore } from "./score.ts";

const a = process.argv.slice(2);
const get = (n: string) => (a.includes(`--${n}`) ? a[a.indexOf(`--${n}`) + 1] : undefined);
const repos = path.resolve(get("repos") ?? "/tmp/bench-repos");
const work = path.resolve(get("work") ?? path.join(os.tmpdir(), "ce-tune"));
const only = get("only");
const verbose = a.includes("--verbose");
const withBm25 = a.includes("--bm25");
const embedder = get("embedder") ?? "none";
const log = createLogger({ level: "warn" });
const { run } = selectInstances(loadInstances(path.resolve("../shared/bench/swebench-lite.jsonl")), repos);
const byRepo = new Map<string, Instance[]>();
for (const i of run) if (!only || i.repo.includes(only) || i.instance_id.includes(only)) (byRepo.get(i.repo) ?? byRepo.set(i.repo, []).get(i.repo)!).push(i);
const scores: InstanceScore[] = [];
const bscores: InstanceScore[] = [];
const times: number[] = [];
for (const [repo, insts] of byRepo) {
  const name = repo.split("/")[1]!;
  const tree = checkout(repos, work, repo, insts[insts.length - 1]!.base_commit);
  const env: Record<string, string> = { EMBEDDING_PROVIDER: embedder, STORE_PATH: path.join(work, "stores", `${name}-${embedder}.db`) };
  if (embedder === "model2vec") env.EMBEDDING_MODEL = path.resolve("../shared/fixtures/models/model2vec-vocab-quantized");
  const engine = await openEngine({ root: tree, repo: name, settings: loadSettings(env), log });
  if (!a.includes("--no-index")) await engine.index();
  const b = withBm25 ? new Bm25Baseline() : undefined;
  if (b) await b.sync(engine.store, name);
  const files = await engine.store.listFiles(name);
  for (const inst of insts) {
    // Gold files that do not exist at this commit cannot be found: leave the instance out of the approximation.
    if (!inst.gold_files.every((g) => files.has(g))) continue;
    const t = performance.now();
    const res = await engine.search.search(inst.query, { limit: 60, perFileCap: Number(get("cap") ?? 3) });
    times.push(performance.now() - t);
    const s = scoreInstance(res.results.map((r) => r.path), res.results, inst.gold_files, goldFunctions(inst.gold_spans));
    scores.push(s);
    if (b) {
      const r = b.search(inst.query, 60);
      bscores.push(scoreInstance(r.files, r.functions, inst.gold_files, goldFunctions(inst.gold_spans)));
    }
    if (verbose && s.fileRank !== 1) {
      process.stdout.write(`\n${inst.instance_id} file #${s.fileRank || "-"} fn #${s.funcRank ?? "·"} gold ${inst.gold_files.join(", ")} ${JSON.stringify(inst.gold_spans)}\n  terms ${res.query.terms.slice(0, 40).join(" ")}\n`);
      for (const r of res.results.slice(0, 8)) process.stdout.write(`  ${r.score.toFixed(3)} ${r.path}:${r.start_line} ${r.symbol_path} [${r.why.join("; ")}]\n`);
    }
  }
  await engine.close();
}
const s = summarise(scores);
times.sort((x, y) => x - y);
process.stdout.write(`\nengine n=${s.n} Acc@1 ${s.acc["@1"]} @3 ${s.acc["@3"]} @5 ${s.acc["@5"]} @10 ${s.acc["@10"]} MRR ${s.mrr} fn@5 ${s.funcAcc["@5"]} fn@10 ${s.funcAcc["@10"]}  search p50 ${times[times.length >> 1]!.toFixed(0)} ms max ${times[times.length - 1]!.toFixed(0)} ms\n`);
if (withBm25) {
  const t = summarise(bscores);
  process.stdout.write(`bm25   n=${t.n} Acc@1 ${t.acc["@1"]} @3 ${t.acc["@3"]} @5 ${t.acc["@5"]} @10 ${t.acc["@10"]} MRR ${t.mrr} fn@5 ${t.funcAcc["@5"]} fn@10 ${t.funcAcc["@10"]}\n`);
}
