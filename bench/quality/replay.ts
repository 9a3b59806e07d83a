// Exact, fast iteration on ranking: search each instance again in the copy of its index that
// `run.ts --snapshots DIR` kept, so a change to query-time ranking is measured on all instances in seconds.
// Run: node --import tsx bench/quality/replay.ts --snapshots DIR [--data FILE: the instances run.ts indexed] [--only sympy]
//      [--verbose] [--embedder model2vec] [--ranks] [--warm: time each search after one with another question]
//      [--limit N: rank as a client asking for N results] [--dump FILE: each instance's ranked files and scores, as JSON]
//      [--repos DIR: the clones run.ts checked out; a snapshot made before the index read git history gets it from the
//       clone at the instance's commit, as an index of that checkout would]
//      [--record NAME: also write the figures, overall and by split, with this command and the date, to
//       bench/results/replay/NAME.json (a ranking change's record, next to run.ts's records of fresh runs)]
//      [--store qdrant-stub: the same chunks served by the Qdrant store from the loopback stub that models Qdrant's
//       scoring (lexical only): the cluster's ranking path, as far as the model goes; its search times are the stub's]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../server/src/config/index.ts";
import { embedderFor } from "../../server/src/engine.ts";
import { readFileHistory } from "../../server/src/indexer/history.ts";
import { createLogger } from "../../server/src/log/index.ts";
import { SearchEngine } from "../../server/src/search/index.ts";
import { openSqliteStore } from "../../server/src/store/sqlite.ts";
import type { Store } from "../../server/src/store/types.ts";
import { QdrantStub } from "../../test/helpers/store-qdrant-stub.ts";
import { qdrantStubStore } from "./stub-store.ts";
import { cloneDir, LITE_DATA, loadInstances } from "./checkouts.ts";
import { missReport } from "./report.ts";
import { goldFunctions, scoreInstance, summarise, type InstanceScore } from "./score.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const a = process.argv.slice(2);
const get = (n: string) => (a.includes(`--${n}`) ? a[a.indexOf(`--${n}`) + 1] : undefined);
const snaps = path.resolve(get("snapshots") ?? "/tmp/ce-snaps");
const only = get("only");
const verbose = a.includes("--verbose");
const warm = a.includes("--warm");
let warmUp = "how are errors reported";
const embedderName = get("embedder") ?? "none";
const log = createLogger({ level: "warn" });
const env: Record<string, string> = { EMBEDDING_PROVIDER: embedderName };
if (embedderName === "model2vec") env.EMBEDDING_MODEL = path.resolve(here, "../../../shared/fixtures/models/model2vec-vocab-quantized");
const embedder = await embedderFor(loadSettings(env), log);
const storeKind = get("store") ?? "sqlite";
if (storeKind !== "sqlite" && storeKind !== "qdrant-stub") throw new Error(`--store sqlite|qdrant-stub, not ${storeKind}`);
if (storeKind === "qdrant-stub" && embedderName !== "none") throw new Error("--store qdrant-stub replays lexical-only snapshots (--embedder none)");
const stub = storeKind === "qdrant-stub" ? new QdrantStub() : undefined;
await stub?.start();
const instances = loadInstances(get("data") ? path.resolve(get("data")!) : LITE_DATA);
const scores: (InstanceScore & { id: string; repo: string; identifier?: boolean; multi: boolean })[] = [];
const times: number[] = [];
const dump = get("dump");
const dumped: unknown[] = [];
for (const inst of instances) {
  if (only && !inst.instance_id.includes(only) && !inst.repo.includes(only)) continue;
  const file = path.join(snaps, `${inst.instance_id}-${embedderName}.db`);
  if (!fs.existsSync(file)) continue;
  const store: Store = stub ? qdrantStubStore(file, stub, log) : openSqliteStore(file, log);
  const repoName = inst.repo.split("/")[1]!;
  if (get("repos") && store.replaceFileHistory && (await store.fileHistoryHead?.(repoName)) !== inst.base_commit) {
    const indexed = await store.listFiles(repoName);
    const h = await readFileHistory(cloneDir(path.resolve(get("repos")!), inst.repo), (p) => indexed.has(p), inst.base_commit);
    if (h) await store.replaceFileHistory(repoName, h.head, h.words);
  }
  const search = new SearchEngine({ store, embedder, log, defaultRepo: repoName });
  // --warm: one untimed search with another question first, so the time is a served index's (statements prepared,
  // pages cached), not a just-opened one's; the question's own terms are not looked up before it.
  if (warm) await search.search(warmUp, { limit: Number(get("limit") ?? 60), perFileCap: 5 });
  warmUp = inst.query;
  const t = performance.now();
  const res = await search.search(inst.query, { limit: Number(get("limit") ?? 60), perFileCap: 5 });
  times.push(performance.now() - t);
  const s = scoreInstance(res.results.map((r) => r.path), res.results, inst.gold_files, goldFunctions(inst.gold_spans));
  scores.push({ ...s, id: inst.instance_id, repo: inst.repo, identifier: inst.identifier, multi: inst.gold_files.length > 1 });
  if (dump) {
    const files = new Map<string, number>();
    for (const r of res.results) if (!files.has(r.path)) files.set(r.path, r.score);
    dumped.push({ id: inst.instance_id, repo: inst.repo, base_commit: inst.base_commit, gold: inst.gold_files, files: [...files] });
  }
  if (verbose && s.fileRank !== 1) process.stdout.write(`\n${inst.instance_id} file #${s.fileRank || "-"} fn #${s.funcRank ?? "·"}\n${missReport(inst, res)}`);
  await store.close();
}
await stub?.stop();
const s = summarise(scores);
times.sort((x, y) => x - y);
process.stdout.write(`\nn=${s.n} Acc@1 ${s.acc["@1"]} @3 ${s.acc["@3"]} @5 ${s.acc["@5"]} @10 ${s.acc["@10"]} MRR ${s.mrr} fn@5 ${s.funcAcc["@5"]} fn@10 ${s.funcAcc["@10"]}  search${warm ? " (warm)" : ""} p50 ${times[times.length >> 1]?.toFixed(0)} ms max ${times[times.length - 1]?.toFixed(0)} ms\n`);
if (scores.some((x) => x.identifier !== undefined)) {
  // A recipe-made set (commits.ts): strict figures (every gold file among the first k), overall and by split.
  const line = (name: string, xs: typeof scores) => {
    const t = summarise(xs);
    return `${name.padEnd(22)} n=${String(t.n).padEnd(4)} strict Acc@1 ${t.strict!["@1"]} @5 ${t.strict!["@5"]} @10 ${t.strict!["@10"]} MRR ${t.mrr} recall@10 ${t.recall10}\n`;
  };
  process.stdout.write(
    line("all", scores) + line("names an identifier", scores.filter((x) => x.identifier)) + line("names no identifier", scores.filter((x) => !x.identifier)) +
      line("one gold file", scores.filter((x) => !x.multi)) + line("several gold files", scores.filter((x) => x.multi)),
  );
}
if (dump) fs.writeFileSync(dump, JSON.stringify(dumped));
const record = get("record");
if (record) {
  const splits = scores.some((x) => x.identifier !== undefined)
    ? {
        "names an identifier": summarise(scores.filter((x) => x.identifier)),
        "names no identifier": summarise(scores.filter((x) => !x.identifier)),
        "one gold file": summarise(scores.filter((x) => !x.multi)),
        "several gold files": summarise(scores.filter((x) => x.multi)),
      }
    : {};
  const dir = path.resolve(here, "../results/replay");
  fs.mkdirSync(dir, { recursive: true });
  const out = {
    command: `node --import tsx bench/quality/replay.ts ${a.join(" ")}`,
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    overall: s,
    splits,
    searchMsP50: Math.round(times[times.length >> 1] ?? 0),
    ranks: scores.map((x) => ({ id: x.id, fileRank: x.fileRank, allRank: x.allRank, funcRank: x.funcRank })),
  };
  fs.writeFileSync(path.join(dir, `${record.replace(/[^\w.-]+/g, "_")}.json`), JSON.stringify(out, null, 1) + "\n");
}
if (a.includes("--ranks")) process.stdout.write(scores.map((x) => `${x.id} ${x.fileRank} ${x.allRank}`).join("\n") + "\n");
