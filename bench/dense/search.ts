// bench:dense's search half: what a dense query costs in the store and how much of the exact ranking the quantized
// vectors keep, over the bench:index corpus's 113k chunks. Latency: 768-dimension unit vectors (bge-base's size;
// random, since the cost of a scan does not depend on what the vectors mean), the store's quantized path (sign-bit
// scan + int8 rescoring) against the float32 vec0 table it replaced, CPU time per query. Recall: the one trained
// model here (the fixture Model2Vec, 64 dimensions: few bits, the hard case for a sign-bit scan), the store's top 10
// against an exact float cosine top 10 for 50 real chunks used as queries.
//   node --import tsx bench/dense/search.ts   (after bench:dense has built the chunk store)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { percentile, round } from "../lib/corpus.ts";
import { openSqliteStore } from "../../server/src/store/sqlite.ts";
import { openSqliteDatabase } from "../../server/src/store/sqlite-driver.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { loadModel2Vec } from "../../server/src/embedding/model2vec.ts";
import { embeddingText } from "../../server/src/indexer/index.ts";
import type { Point } from "../../server/src/store/types.ts";
import { CHUNK_STORE } from "./chunks.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const WORK = path.join(os.tmpdir(), "ce-dense-bench", "search");
const K = 132; // what search asks the store for: 100 dense candidates + the store's margin

function unitRandom(dim: number, next: () => number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => next() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

async function corpusPoints(): Promise<Point[]> {
  if (!fs.existsSync(CHUNK_STORE)) throw new Error(`no chunk store at ${CHUNK_STORE}: run npm run bench:dense first`);
  const src = openSqliteStore(CHUNK_STORE, silentLogger);
  const out: Point[] = [];
  for (const f of (await src.listFiles("corpus")).keys()) out.push(...(await src.filePoints("corpus", f)));
  await src.close();
  return out;
}

/** A store holding the corpus's chunks (no lexical terms: only the dense side is measured) with these vectors. */
async function storeWith(points: Point[], vectors: Float32Array[], name: string) {
  fs.rmSync(path.join(WORK, name), { recursive: true, force: true });
  const file = path.join(WORK, name, "index.db");
  const store = openSqliteStore(file, silentLogger);
  await store.ensure({ embedder: `bench:${name}`, dimension: vectors[0]!.length });
  const bare = points.map((p) => ({ ...p, lexical: { symbol: [], path: [], body: [] } }));
  const byFile = new Map<string, Point[]>();
  for (const p of bare) byFile.set(p.path, [...(byFile.get(p.path) ?? []), p]);
  await store.replaceFiles!([...byFile].map(([p, ps]) => ({ file: { repo: "corpus", path: p, hash: "h", size: 1, mtime_ms: 1, chunks: ps.length, indexed_at: 1 }, points: ps })));
  for (let i = 0; i < bare.length; i += 4096) {
    await store.dense!.putDense(bare.slice(i, i + 4096).map((p, j) => ({ id: p.id, key: `${name}:${i + j}`, vector: vectors[i + j]! })));
  }
  return { store, file };
}

function cpuMs(fn: () => unknown): number {
  const c = process.cpuUsage();
  fn();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
}

async function main(): Promise<void> {
  fs.mkdirSync(WORK, { recursive: true });
  const points = await corpusPoints();
  const next = rng(11);

  // Latency and size at 768 dimensions.
  const vectors = points.map(() => unitRandom(768, next));
  const { store, file } = await storeWith(points, vectors, "random-768");
  const queries = Array.from({ length: 30 }, () => unitRandom(768, next));
  await store.searchDense(queries[0]!, { repo: "corpus" }, K);
  const quantized = queries.map((q) => {
    const c = process.cpuUsage();
    void store.searchDense(q, { repo: "corpus" }, K);
    const u = process.cpuUsage(c);
    return (u.user + u.system) / 1000;
  });
  await store.close();
  const quantizedMb = fs.statSync(file).size / 1e6;
  // The float32 table the store used before, same vectors, same query shape.
  const { db } = openSqliteDatabase(path.join(WORK, "float-768.db"));
  db.exec("DROP TABLE IF EXISTS v; CREATE VIRTUAL TABLE v USING vec0(embedding float[768] distance_metric=cosine, repo text partition key)");
  const ins = db.prepare("INSERT INTO v (rowid, embedding, repo) VALUES (?, ?, 'corpus')");
  db.transaction(() => vectors.forEach((v, i) => ins.run(BigInt(i + 1), v))).immediate();
  const knn = db.prepare("SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = ? AND repo = 'corpus'");
  knn.all(queries[0]!, K);
  const float = queries.map((q) => cpuMs(() => knn.all(q, K)));
  db.close();
  const floatMb = fs.statSync(path.join(WORK, "float-768.db")).size / 1e6;

  // Recall with the trained fixture model (64 dimensions).
  const model = await loadModel2Vec(path.resolve(root, "..", "shared", "fixtures", "models", "model2vec-vocab-quantized"));
  const texts = points.map(embeddingText);
  const mv: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 1024) mv.push(...(await model.embed(texts.slice(i, i + 1024))));
  const m = await storeWith(points, mv, "model2vec-64");
  let found = 0;
  const probe = Array.from({ length: 50 }, () => Math.floor(next() * points.length));
  for (const qi of probe) {
    const q = mv[qi]!;
    const exact = mv.map((v, i) => [i, v.reduce((s, x, d) => s + x * q[d]!, 0)] as const).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([i]) => points[i]!.id);
    const got = new Set((await m.store.searchDense(q, { repo: "corpus" }, 10)).map((h) => h.point.id));
    found += exact.filter((id) => got.has(id)).length;
  }
  await m.store.close();

  const result = {
    date: new Date().toISOString(), machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => round(l)) }, chunks: points.length, k: K,
    latency_768: { quantized_cpu_ms_p50: round(percentile(quantized, 50)), quantized_cpu_ms_p95: round(percentile(quantized, 95)), float32_vec0_cpu_ms_p50: round(percentile(float, 50)), float32_vec0_cpu_ms_p95: round(percentile(float, 95)) },
    size_768_mb: { quantized_store_file: round(quantizedMb, 0), float32_vec0_file: round(floatMb, 0) },
    recall_at_10_model2vec_64: round(found / (probe.length * 10), 3),
  };
  const out = path.join(root, "bench", "results", "dense-search.json");
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(
    `${points.length} chunks, k=${K}; load average ${result.machine.loadavg[0]}\n` +
      `768-d query CPU ms p50/p95: quantized (sign bits + int8 rescoring) ${result.latency_768.quantized_cpu_ms_p50}/${result.latency_768.quantized_cpu_ms_p95}, float32 vec0 ${result.latency_768.float32_vec0_cpu_ms_p50}/${result.latency_768.float32_vec0_cpu_ms_p95}\n` +
      `768-d storage: quantized store file ${result.size_768_mb.quantized_store_file} MB (chunks, cache, bits), float32 vec0 table alone ${result.size_768_mb.float32_vec0_file} MB\n` +
      `recall@10 vs exact float cosine, fixture Model2Vec (64-d), 50 chunk queries: ${result.recall_at_10_model2vec_64}\n`,
  );
}

await main();
