// bench:dense: what the dense path costs, measured with ONNX encoders of the exact architecture of the default
// model (BAAI/bge-base-en-v1.5) and of smaller ones, with RANDOM WEIGHTS: cost only, their vectors mean nothing.
// Each model is written under the temp folder and loaded through the product's transformers provider; a seeded
// random sample of the bench:index corpus's real chunks is embedded as the indexer embeds them, and the cost of the
// whole corpus is extrapolated from the sample by model tokens (every chunk is tokenized; the sample's CPU time per
// token times the corpus's tokens). CPU time (all threads of the process) is the figure: steady on a busy machine.
//   npm run bench:dense [-- --sample 256] [--variants bge-base-en-v1.5,bge-base-en-v1.5:int8,...] [--threads 1]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_CORPUS, ensureCorpus, percentile, round } from "../lib/corpus.ts";
import { writeBertModel, SHAPES } from "./bert-model.ts";
import { corpusTexts, paddedTokens, sampleIndices, wordPieceTokenizer } from "./chunks.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const TOKENIZER = path.resolve(root, "..", "shared", "fixtures", "models", "model2vec-float32");
const LITE = path.resolve(root, "..", "shared", "bench", "swebench-lite.jsonl");
const WORK = path.join(os.tmpdir(), "ce-dense-bench");
/** What the indexer hands the embedder at a time (EMBED_BATCH), and the provider's forward-pass batch. */
const INDEX_GROUP = 256;
const FORWARD_BATCH = 16;
const SHORT_QUERIES = [
  "where are http headers parsed", "retry a failed request with backoff", "validate the schema of a config object",
  "format a date in the user's locale", "convert a string to camel case", "deep clone an object", "parse command line arguments",
  "emit a warning when an option is deprecated", "resolve a module path", "debounce a function call", "compare two arrays for equality",
  "read a file and handle errors", "merge two sorted lists", "escape html entities", "compile a regular expression once",
  "handle a websocket disconnect", "load plugins from a folder", "serialize a value to json", "cache the result of a function", "throttle events",
];

const { values } = parseArgs({
  options: {
    corpus: { type: "string", default: DEFAULT_CORPUS },
    sample: { type: "string", default: "256" },
    variants: { type: "string", default: "bge-base-en-v1.5,bge-base-en-v1.5:int8,bge-small-en-v1.5,bge-small-en-v1.5:int8,minilm-l6,minilm-l6:int8" },
    threads: { type: "string", default: "1" },
    child: { type: "string" },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});

interface ChildResult {
  variant: string; params_m: number; onnx_mb: number; load_s: number; rss_after_load_mb: number; peak_rss_mb: number;
  sample_chunks: number; sample_cpu_s: number; sample_wall_s: number; chunks_per_cpu_s: number; tokens_per_cpu_s: number;
  query_short_cpu_ms_p50: number; query_short_wall_ms_p50: number; query_long_cpu_ms_p50: number; query_long_wall_ms_p50: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/** One model in its own process, so its RSS is its own. */
async function child(variant: string, threads: number): Promise<void> {
  const { createTransformersEmbedder } = await import("../../server/src/embedding/transformers.ts");
  const { silentLogger } = await import("../../server/src/log/index.ts");
  const [shapeName, quant] = variant.split(":");
  const shape = SHAPES[shapeName!];
  if (!shape) throw new Error(`unknown shape ${shapeName}: one of ${Object.keys(SHAPES).join(", ")}`);
  // The folder name keeps the model's own (bge-*-en gets BGE's query instruction, as the real model would).
  const folder = path.join(WORK, "models", `${shapeName}${quant ? "-" + quant : ""}-random-weights`);
  const written = writeBertModel(folder, shape, TOKENIZER, { int8: quant === "int8" });
  const sample = JSON.parse(fs.readFileSync(path.join(WORK, "sample.json"), "utf8")) as string[];

  const t0 = performance.now();
  const e = await createTransformersEmbedder({ model: folder, modelDir: path.join(WORK, "cache"), allowRemote: false, threads, batchSize: FORWARD_BATCH }, silentLogger);
  const loadS = (performance.now() - t0) / 1000;
  const rssAfterLoad = process.memoryUsage().rss / 1e6;
  await e.embed(sample.slice(0, 8)); // warm-up: first-run allocations are not per-chunk cost

  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < sample.length; i += INDEX_GROUP) await e.embed(sample.slice(i, i + INDEX_GROUP));
  const sampleCpu = cpuSeconds(cpu0);
  const sampleWall = (performance.now() - w0) / 1000;

  const timeQueries = async (qs: string[]) => {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (const q of qs) {
      const c = process.cpuUsage();
      const w = performance.now();
      await e.embedQuery!(q);
      cpu.push(cpuSeconds(c) * 1000);
      wall.push(performance.now() - w);
    }
    return { cpu: round(percentile(cpu, 50), 1), wall: round(percentile(wall, 50), 1) };
  };
  const issues = fs.readFileSync(LITE, "utf8").split("\n").filter(Boolean).slice(0, 10).map((l) => (JSON.parse(l).query as string).slice(0, 4000));
  const short = await timeQueries(SHORT_QUERIES);
  const long = await timeQueries(issues);
  await e.close?.();
  const tokens = JSON.parse(fs.readFileSync(path.join(WORK, "sample-tokens.json"), "utf8")) as number;
  const out: ChildResult = {
    variant, params_m: round(written.parameters / 1e6, 1), onnx_mb: round(written.onnxBytes / 1e6, 0), load_s: round(loadS),
    rss_after_load_mb: round(rssAfterLoad, 0), peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 0),
    sample_chunks: sample.length, sample_cpu_s: round(sampleCpu), sample_wall_s: round(sampleWall),
    chunks_per_cpu_s: round(sample.length / sampleCpu, 1), tokens_per_cpu_s: round(tokens / sampleCpu, 0),
    query_short_cpu_ms_p50: short.cpu, query_short_wall_ms_p50: short.wall, query_long_cpu_ms_p50: long.cpu, query_long_wall_ms_p50: long.wall,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function hours(s: number): string {
  return s >= 3600 ? `${round(s / 3600, 1)} h` : `${round(s / 60, 0)} min`;
}

async function main(): Promise<void> {
  const threads = Number(values.threads);
  if (values.child) return child(values.child, threads);
  fs.mkdirSync(WORK, { recursive: true });
  const corpus = ensureCorpus(values.corpus!);
  const texts = await corpusTexts(corpus);
  process.stderr.write(`${texts.length} chunks; counting model tokens ...\n`);
  const count = wordPieceTokenizer(TOKENIZER);
  const lengths = texts.map(count);
  const totalTokens = lengths.reduce((a, b) => a + b, 0);
  const picked = sampleIndices(texts.length, Number(values.sample));
  const sample = picked.map((i) => texts[i]!);
  const sampleLengths = picked.map((i) => lengths[i]!);
  // What the model runs, padding included, for the whole corpus in the indexer's groups: sorted by length (as the
  // provider now does) and in file order (as it did), which says what sorting saves.
  let padSorted = 0;
  let padUnsorted = 0;
  for (let i = 0; i < lengths.length; i += INDEX_GROUP) {
    padSorted += paddedTokens(lengths.slice(i, i + INDEX_GROUP), FORWARD_BATCH, true);
    padUnsorted += paddedTokens(lengths.slice(i, i + INDEX_GROUP), FORWARD_BATCH, false);
  }
  let samplePadded = 0;
  for (let i = 0; i < sampleLengths.length; i += INDEX_GROUP) samplePadded += paddedTokens(sampleLengths.slice(i, i + INDEX_GROUP), FORWARD_BATCH, true);
  fs.writeFileSync(path.join(WORK, "sample.json"), JSON.stringify(sample));
  fs.writeFileSync(path.join(WORK, "sample-tokens.json"), JSON.stringify(sampleLengths.reduce((a, b) => a + b, 0)));

  const rows: (ChildResult & { corpus_cpu_h: number; corpus_cpu_h_by_chunks: number })[] = [];
  for (const variant of values.variants!.split(",")) {
    process.stderr.write(`${variant} (random weights, cost only) ...\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", variant, "--threads", String(threads)], {
      cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`${variant} failed:\n${r.stderr}`);
    const c = JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
    // By tokens the model runs (padding included, sorted batches): the sample's CPU per padded token x the corpus's.
    const perToken = c.sample_cpu_s / samplePadded;
    rows.push({ ...c, corpus_cpu_h: round((perToken * padSorted) / 3600, 2), corpus_cpu_h_by_chunks: round((c.sample_cpu_s * texts.length) / sample.length / 3600, 2) });
  }

  const result = {
    note: "RANDOM WEIGHTS: cost only (time, memory); the vectors mean nothing, so no quality is measured here",
    date: new Date().toISOString(), node: process.version, machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg().map((l) => round(l)) },
    threads, corpus: { dir: corpus, chunks: texts.length, tokens: totalTokens, tokens_per_chunk_mean: round(totalTokens / texts.length, 1),
      tokens_p50: percentile(lengths, 50), tokens_p90: percentile(lengths, 90), at_512_limit: lengths.filter((l) => l >= 512).length,
      padded_tokens_sorted: padSorted, padded_tokens_file_order: padUnsorted },
    sample: { chunks: sample.length, tokens: sampleLengths.reduce((a, b) => a + b, 0), padded_tokens: samplePadded, seed: 7 },
    rows,
  };
  fs.mkdirSync(values.out!, { recursive: true });
  fs.writeFileSync(path.join(values.out!, "dense.json"), JSON.stringify(result, null, 2) + "\n");
  const lines = [
    `RANDOM WEIGHTS, cost only. ${texts.length} chunks, ${totalTokens} model tokens (mean ${result.corpus.tokens_per_chunk_mean}, p50 ${result.corpus.tokens_p50}, p90 ${result.corpus.tokens_p90}, ${result.corpus.at_512_limit} at the 512 limit); ` +
      `sample ${sample.length} chunks; ${threads} onnxruntime thread(s); load average ${result.machine.loadavg[0]} on ${result.machine.cpus} cores.`,
    `Length-sorted batches run ${padSorted} tokens for the corpus, file order ${padUnsorted} (${round(padUnsorted / padSorted, 2)}x).`,
    "| model (random weights) | params M | ONNX MB | load s | RSS after load MB | peak RSS MB | chunks per CPU-s | tokens per CPU-s | corpus CPU time | short query CPU ms p50 | issue query CPU ms p50 |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.variant} | ${r.params_m} | ${r.onnx_mb} | ${r.load_s} | ${r.rss_after_load_mb} | ${r.peak_rss_mb} | ${r.chunks_per_cpu_s} | ${r.tokens_per_cpu_s} | ${hours(r.corpus_cpu_h * 3600)} | ${r.query_short_cpu_ms_p50} | ${r.query_long_cpu_ms_p50} |`),
  ];
  fs.writeFileSync(path.join(values.out!, "dense.md"), lines.join("\n") + "\n");
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
