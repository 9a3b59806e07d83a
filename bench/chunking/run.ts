// Chunking throughput on real code found on this machine (node_modules, the Python standard library, C headers):
// tree-sitter parse alone vs the whole chunkFile per language, then the mixed corpus through createChunker
// with 1 and 2 worker threads. Prints a table and writes bench/results/chunking.json.
// Run: node --import tsx bench/chunking/run.ts   (BENCH_MB=<MB per language>, default 8)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chunkFile, createChunker, hasGrammar } from "../../server/src/chunking/index.ts";
import { parserFor } from "../../server/src/chunking/grammars.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const MB_PER_LANGUAGE = Number(process.env.BENCH_MB ?? 8);
const MAX_FILE = 1 << 20; // discovery skips larger files
const OPTS = { microChunks: true, maxMicroChunks: 200 };
const IN_FLIGHT = 32;

interface Source {
  language: string;
  text: string;
  bytes: number;
}

const CORPORA: Array<{ language: string; dirs: string[]; ext: RegExp }> = [
  { language: "javascript", dirs: [path.join(root, "node_modules")], ext: /(?<!\.min)\.js$/ },
  { language: "typescript", dirs: [path.join(root, "node_modules")], ext: /\.ts$/ },
  { language: "python", dirs: ["/usr/lib/python3", ...globPython()], ext: /\.py$/ },
  { language: "c", dirs: ["/usr/include"], ext: /\.h$/ },
  { language: "markdown", dirs: [path.join(root, "node_modules")], ext: /\.md$/ },
  { language: "json", dirs: [path.join(root, "node_modules")], ext: /\.json$/ },
];

function globPython(): string[] {
  try {
    return fs.readdirSync("/usr/lib").filter((d) => /^python3\.\d+$/.test(d)).map((d) => path.join("/usr/lib", d));
  } catch {
    return [];
  }
}

/** Files in a stable order (sorted walk) until the byte budget is spent. */
function collect(language: string, dirs: string[], ext: RegExp, budget: number): Source[] {
  const out: Source[] = [];
  let total = 0;
  const walk = (dir: string): boolean => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return true;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (name === ".cache" || name === ".bin") continue;
        if (!walk(p)) return false;
      } else if (st.isFile() && ext.test(name) && st.size > 0 && st.size <= MAX_FILE) {
        const text = fs.readFileSync(p, "utf8");
        out.push({ language, text, bytes: st.size });
        total += st.size;
        if (total >= budget) return false;
      }
    }
    return true;
  };
  for (const d of dirs) if (fs.existsSync(d) && walk(d) === false) break;
  return out;
}

/** CPU milliseconds of this process (all threads) since `from`: less skewed than wall time on a busy machine. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

async function chunkAll(sources: Source[]): Promise<{ ms: number; cpu: number; chunks: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  let chunks = 0;
  for (const s of sources) chunks += (await chunkFile({ path: "", text: s.text, language: s.language }, OPTS)).length;
  return { ms: performance.now() - t, cpu: cpuMs(c), chunks };
}

async function parseAll(sources: Source[]): Promise<{ ms: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  for (const s of sources) {
    if (!hasGrammar(s.language)) continue;
    (await parserFor(s.language)).parse(s.text)?.delete();
  }
  return { ms: performance.now() - t, cpu: cpuMs(c) };
}

/** The mixed corpus through createChunker's worker threads, a bounded number of files in flight (as an indexer would). */
async function inWorkers(sources: Source[], threads: number): Promise<{ ms: number; cpu: number; chunks: number }> {
  const chunker = createChunker({ threads });
  const run = async () => {
    let next = 0;
    let chunks = 0;
    const lane = async () => {
      while (next < sources.length) {
        const s = sources[next++];
        const got = await chunker.chunkFile({ path: "", text: s.text, language: s.language }, OPTS);
        chunks += got.length;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    return chunks;
  };
  try {
    await run(); // every worker loads and tiers up its grammars
    const c = process.cpuUsage();
    const t = performance.now();
    const chunks = await run();
    return { ms: performance.now() - t, cpu: cpuMs(c), chunks };
  } finally {
    await chunker.close();
  }
}

async function main(): Promise<void> {
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const rows: Record<string, string | number>[] = [];
  const all: Source[] = [];
  for (const c of CORPORA) {
    const sources = collect(c.language, c.dirs, c.ext, MB_PER_LANGUAGE * 1e6);
    if (sources.length === 0) continue;
    all.push(...sources);
    const bytes = sources.reduce((a, s) => a + s.bytes, 0);
    // The first pass compiles and tiers up the grammar's wasm; then the best of three rounds, alternating
    // parse-only and chunkFile, so that load from other processes skews both alike.
    await chunkAll(sources);
    let parseMs = Infinity;
    let parseCpu = Infinity;
    let ms = Infinity;
    let cpu = Infinity;
    let chunks = 0;
    for (let r = 0; r < 3; r++) {
      const p = hasGrammar(c.language) ? await parseAll(sources) : { ms: 0, cpu: 0 };
      parseMs = Math.min(parseMs, p.ms);
      parseCpu = Math.min(parseCpu, p.cpu);
      const res = await chunkAll(sources);
      ms = Math.min(ms, res.ms);
      cpu = Math.min(cpu, res.cpu);
      chunks = res.chunks;
    }
    rows.push({
      language: c.language,
      files: sources.length,
      MB: round(bytes / 1e6),
      "parse MB/s": parseMs ? round(bytes / 1e3 / parseMs, 2) : "-",
      "chunk MB/s": round(bytes / 1e3 / ms, 2),
      "parse MB/cpu-s": parseCpu ? round(bytes / 1e3 / parseCpu, 2) : "-",
      "chunk MB/cpu-s": round(bytes / 1e3 / cpu, 2),
      // Share of chunkFile's CPU time spent outside tree-sitter's parse (outline, windows, text slicing).
      "beyond parse %": parseCpu ? round(((cpu - parseCpu) / cpu) * 100) : "-",
      chunks,
      "chunks/MB": round(chunks / (bytes / 1e6)),
    });
  }
  const bytes = all.reduce((a, s) => a + s.bytes, 0);
  const threads: Record<string, string | number>[] = [];
  for (const n of [1, 2]) {
    const { ms, cpu, chunks } = await inWorkers(all, n);
    threads.push({ threads: n, files: all.length, MB: round(bytes / 1e6), "MB/s": round(bytes / 1e3 / ms, 2), "MB/cpu-s": round(bytes / 1e3 / cpu, 2), chunks });
  }
  table("chunkFile per language (micro-chunks on, steady state)", rows);
  table("createChunker on the mixed corpus (worker threads)", threads);
  const load = os.loadavg()[0];
  process.stdout.write(`\n${os.cpus().length} CPUs, load average ${round(load, 2)} at the end (other work on the machine skews the figures)\n`);
  const out = path.join(root, "bench/results/chunking.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), perLanguage: rows, threads }, null, 2) + "\n");
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
}

function table(title: string, rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(width[i])).join("  ");
  process.stdout.write(`\n${title}\n${line(cols)}\n${line(width.map((w) => "-".repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(line(cols.map((c) => String(r[c]))) + "\n");
}
await main();
