// Embedding speed: texts/s of the model2vec embedder on 1,000 real code chunks (~30 lines each), per fixture model,
// with our model step and with transformers.js' own (the baseline). Prints a table, writes bench/results/embedding.json.
// Run: node --import tsx bench/embedding/run.ts
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel2Vec } from "../../server/src/embedding/model2vec.ts";
import { codeChunks } from "./corpus.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const MODELS = path.resolve(root, "../shared/fixtures/models");
const RUNS = 5;

interface Row {
  model: string;
  modelStep: "ours" | "library";
  loadMs: number;
  textsPerSec: number;
  mbPerSec: number;
  msPer1000: number;
}

async function measure(model: string, fast: boolean, chunks: string[]): Promise<Row> {
  const t0 = performance.now();
  const e = await loadModel2Vec(path.join(MODELS, model), { fastModelStep: fast });
  const loadMs = performance.now() - t0;
  await e.embed(chunks); // one untimed pass warms the JIT and the word memo, as a long indexing run would
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const v = await e.embed(chunks);
    times.push(performance.now() - t);
    if (v.length !== chunks.length) throw new Error("one vector per text");
  }
  const ms = times.sort((a, b) => a - b)[RUNS >> 1]!;
  const bytes = chunks.reduce((a, c) => a + Buffer.byteLength(c), 0);
  return {
    model,
    modelStep: fast ? "ours" : "library",
    loadMs: Math.round(loadMs),
    textsPerSec: Math.round((chunks.length / ms) * 1000),
    mbPerSec: Number((bytes / 1e6 / (ms / 1000)).toFixed(2)),
    msPer1000: Math.round((ms / chunks.length) * 1000),
  };
}

const chunks = codeChunks(path.join(root, "node_modules"), 1000);
const lines = chunks.reduce((a, c) => a + c.split("\n").length, 0) / chunks.length;
const chars = chunks.reduce((a, c) => a + c.length, 0) / chunks.length;
const rows: Row[] = [];
for (const model of ["model2vec-vocab-quantized", "model2vec-float32"]) {
  for (const fast of [true, false]) rows.push(await measure(model, fast, chunks));
}

const header = ["model", "model step", "load ms", "texts/s", "MB/s", "ms / 1000 texts"];
const table = [header, ...rows.map((r) => [r.model, r.modelStep, r.loadMs, r.textsPerSec, r.mbPerSec, r.msPer1000].map(String))];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
process.stdout.write(`${chunks.length} code chunks, ${lines.toFixed(0)} lines / ${chars.toFixed(0)} chars on average; median of ${RUNS} runs; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores\n`);
for (const row of table) process.stdout.write(row.map((c, i) => c.padEnd(widths[i]!)).join("  ") + "\n");

const out = path.join(root, "bench/results/embedding.json");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverage: os.loadavg(), chunks: chunks.length, avgLines: lines, avgChars: chars, rows },
    null,
    2,
  ) + "\n",
);
process.stdout.write(`wrote ${path.relative(root, out)}\n`);
