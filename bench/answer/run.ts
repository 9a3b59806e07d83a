// Benchmark of grounded answers: the embedded decoder's speed with the fixture model (time to first token,
// tokens per second, prompt evaluation), how budget_tokens shapes the prompt, and end-to-end answer time.
// Prints tables and writes bench/results/answer.json. Run: npm run bench:answer
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerQuestion } from "../../server/src/answer/index.ts";
import { mergeSpans } from "../../server/src/answer/blocks.ts";
import { estimateTokens, packBlocks, type Packed } from "../../server/src/answer/pack.ts";
import { buildPrompt } from "../../server/src/answer/prompt.ts";
import { AnswerError } from "../../server/src/answer/types.ts";
import { NodeLlamaCppDecoder, renderPlain, type Prompt } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import type { SearchResult } from "../../server/src/search/types.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODEL = path.resolve(root, "../shared/fixtures/models/stories260K.gguf");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = 1;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function table(title: string, rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(width[i])).join("  ");
  process.stdout.write(`\n${title}\n${line(cols)}\n${line(width.map((w) => "-".repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(line(cols.map((c) => String(r[c]))) + "\n");
}

/** Real code as context: 30-line windows of this repository's own engine sources, numbered like search snippets. */
function codeResults(count: number): SearchResult[] {
  const dir = path.join(root, "server/src");
  const files = fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .sort();
  const out: SearchResult[] = [];
  for (const f of files) {
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n");
    for (let start = 1; start + 29 <= lines.length && out.length < count; start += 60) {
      const snippet = lines.slice(start - 1, start + 29).map((t, i) => `${String(start + i).padStart(4)} | ${t}`).join("\n");
      out.push({ path: `server/src/${f}`, repo: "context-engine", start_line: start, end_line: start + 29, symbol: "", symbol_path: "", symbol_kind: "", language: "typescript", kind: "code", score: 1 - out.length / 100, why: [], components: {}, snippet, match_line: start, match_lines: [] });
    }
    if (out.length >= count) break;
  }
  return out;
}

async function decoderSpeed(decoder: NodeLlamaCppDecoder) {
  const short: Prompt = { system: "Once upon a time", user: "there was a little dog named Max." };
  const long: Prompt = { system: "Once upon a time", user: "there was a little dog named Max. ".repeat(60) };
  const rows = [];
  for (const [name, prompt] of [["short prompt", short], ["long prompt", long]] as const) {
    const promptTokens = await decoder.countTokens(`${prompt.system}\n\n${prompt.user}`);
    const ttft: number[] = [];
    const tps: number[] = [];
    const totals: number[] = [];
    let generated = 0;
    for (let i = 0; i < RUNS; i++) {
      // Varying the prompt's head defeats prefix reuse in the KV cache, so every run evaluates the whole prompt.
      const p = { ...prompt, system: `${prompt.system} ${i}` };
      const t0 = performance.now();
      let first = 0;
      const out = await decoder.complete(p, { maxTokens: 64, temperature: 0, onToken: () => (first ||= performance.now()) });
      const t1 = performance.now();
      ttft.push(first - t0);
      totals.push(t1 - t0);
      generated = out.completionTokens ?? 0;
      // The first token's time is prompt evaluation; the rest is the generation rate.
      if (generated > 1) tps.push(((generated - 1) * 1000) / (t1 - first));
    }
    rows.push({
      case: name,
      prompt_tokens: promptTokens,
      generated_tokens: generated,
      ttft_ms_median: round(median(ttft)),
      tokens_per_s_median: round(median(tps)),
      prompt_eval_tokens_per_s: round((promptTokens * 1000) / median(ttft)),
      total_ms_median: round(median(totals)),
    });
  }
  return rows;
}

async function budgetSweep(decoder: NodeLlamaCppDecoder) {
  const question = "How does the decoder retry a request that timed out?";
  const blocks = mergeSpans(codeResults(40));
  const rows = [];
  for (const budget of [256, 512, 1000, 2000, 4000, 8000]) {
    const timed = async (count: (t: string) => Promise<number>) => {
      const t0 = performance.now();
      try {
        const packed: Packed | undefined = await packBlocks(question, blocks, budget, count);
        return { packed, ms: performance.now() - t0 };
      } catch (err) {
        // Too small a budget for the instructions and question is an answer too: the row says so.
        if (err instanceof AnswerError) return { packed: undefined, ms: performance.now() - t0 };
        throw err;
      }
    };
    const est = await timed(async (t) => estimateTokens(t));
    const exact = await timed((t) => decoder.countTokens(t));
    // What the estimate-packed prompt really costs in the model's tokens: the estimate's error, measured.
    const estReal = est.packed ? await decoder.countTokens(renderPlain(buildPrompt(question, est.packed.blocks))) : 0;
    rows.push({
      budget_tokens: budget,
      blocks_estimate: est.packed?.blocks.length ?? "too small",
      prompt_tokens_estimate: est.packed?.promptTokens ?? "-",
      model_tokens_of_estimate_pack: est.packed ? estReal : "-",
      pack_ms_estimate: round(est.ms, 2),
      blocks_model_tokenizer: exact.packed?.blocks.length ?? "too small",
      prompt_tokens_model: exact.packed?.promptTokens ?? "-",
      pack_ms_model: round(exact.ms, 2),
    });
  }
  return { candidates: blocks.length, rows };
}

async function endToEnd(decoder: NodeLlamaCppDecoder) {
  const results = codeResults(20);
  const search = async (_q: string, opts: { limit: number }) => ({ results: results.slice(0, opts.limit) });
  const rows = [];
  for (const budget of [500, 1000, 1800]) {
    const totals: number[] = [];
    const gens: number[] = [];
    let last;
    for (let i = 0; i < RUNS; i++) {
      last = await answerQuestion(
        { search, decoder, log: silentLogger },
        { question: `How does the decoder retry a request that timed out? (${i})`, budget_tokens: budget, limit: 20, max_tokens: 64, temperature: 0 },
      );
      totals.push(last.used.timings_ms.total);
      gens.push(last.used.timings_ms.generate);
    }
    rows.push({
      budget_tokens: budget,
      blocks: last!.used.blocks,
      prompt_tokens: last!.used.prompt_tokens,
      completion_tokens: last!.used.completion_tokens ?? 0,
      generate_ms_median: round(median(gens)),
      total_ms_median: round(median(totals)),
    });
  }
  return rows;
}

async function main() {
  const decoder = new NodeLlamaCppDecoder({ modelPath: MODEL, threads: THREADS, log: silentLogger });
  const t0 = performance.now();
  const contextSize = await decoder.contextSize();
  const loadMs = round(performance.now() - t0);
  // Other work on the machine slows every row; the load average says how far to trust them.
  const loadBefore = os.loadavg()[0];
  process.stdout.write(
    `model ${path.basename(MODEL)}: loaded in ${loadMs} ms, context ${contextSize} tokens, threads ${THREADS}, ${RUNS} runs per row, ` +
      `load average ${round(loadBefore, 2)} on ${os.cpus().length} CPUs\n`,
  );

  const speed = await decoderSpeed(decoder);
  table("Embedded decoder (node-llama-cpp, fixture model, max_tokens 64, greedy)", speed);
  const sweep = await budgetSweep(decoder);
  table(`Prompt size vs budget_tokens (${sweep.candidates} candidate blocks of real code, 30 lines each)`, sweep.rows);
  const e2e = await endToEnd(decoder);
  table("answerQuestion end to end (injected search over fixed results, max_tokens 64)", e2e);
  await decoder.close();

  const result = {
    benchmark: "answer",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "", node: process.version, load_average_before: round(loadBefore, 2), load_average_after: round(os.loadavg()[0], 2) },
    model: { file: path.basename(MODEL), load_ms: loadMs, context_size: contextSize, threads: THREADS },
    runs: RUNS,
    decoder_speed: speed,
    budget_sweep: sweep,
    end_to_end: e2e,
  };
  const out = path.join(root, "bench/results/answer.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(`\nwrote ${path.relative(root, out)}\n`);
}

await main();
