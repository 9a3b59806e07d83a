// bench:mcp: 50 concurrent MCP clients x 40 repo_search calls over Streamable HTTP against the bench corpus index.
// Two phases per server: uncached (every call a distinct query, so no answer comes from the result cache) and cached
// (the calls repeat 200 queries already asked). A client refused with 503 waits its Retry-After and asks again, as a
// well-behaved agent would; refusals are counted, and latencies are those of answered calls. Beside the absolute
// figures: the load average, the server's CPU per call (less sensitive to a shared machine than wall time), and, with
// --vs, the same phases against a second build's server in the same run, alternating, for a ratio.
//   npm run bench:mcp [-- --clients 50 --calls 40 --corpus DIR --vs OTHER/server/dist/cli.js --rounds 1]
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { freePort } from "../../server/src/http/free-port.ts";
import { DEFAULT_CORPUS, ensureCorpus, percentile, round } from "../lib/corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    calls: { type: "string", default: "40" },
    corpus: { type: "string", default: DEFAULT_CORPUS },
    out: { type: "string", default: path.join(root, "bench", "results") },
    store: { type: "string", default: path.join(os.tmpdir(), "ce-bench-mcp", "index.db") },
    cli: { type: "string", default: path.join(root, "server", "dist", "cli.js") },
    /** A second server build (its dist/cli.js) measured in the same run, alternating with this one. */
    vs: { type: "string" },
    rounds: { type: "string", default: "1" },
    /** Write the server's CPU profiles (main thread and search workers) into this folder (node --cpu-prof). */
    profile: { type: "string" },
  },
});

const CACHED_QUERIES = 200;


function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU time (user + system, all threads) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const loadavg = () => os.loadavg().map((l) => round(l));

interface Phase {
  answered: number;
  refused: number;
  errors: number;
  throughput_rps: number;
  ms: { p50: number; p95: number; p99: number; max: number };
  over_2s: number;
  refused_ms: { p50: number; max: number } | null;
  server_cpu_ms_per_call: number;
  client_cpu_ms_per_call: number;
  loadavg: number[];
}

interface Running {
  process: ChildProcess;
  url: URL;
  health: string;
  close(): Promise<void>;
}

async function startServer(cli: string, corpus: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const port = await freePort();
  const healthPort = await freePort();
  const profile = values.profile ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(values.profile)] : [];
  const server = spawn(process.execPath, [...profile, cli, "serve", "indexer", "--transport", "http", "--port", String(port), "--health-port", String(healthPort), "--root", corpus], {
    env, stdio: ["ignore", "ignore", "pipe"],
  });
  let serverErr = "";
  server.stderr!.on("data", (d) => (serverErr += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${serverErr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: server,
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    health: `http://127.0.0.1:${healthPort}/health`,
    close: () => new Promise<void>((resolve) => {
      server.once("exit", () => resolve());
      server.kill("SIGTERM");
    }),
  };
}

/** `clients` sessions, each calling repo_search once per query of its list, in turn; 503s retried after Retry-After. */
async function runPhase(server: Running, lists: string[][]): Promise<Phase> {
  const latencies: number[] = [];
  const refusals: number[] = [];
  let errors = 0;
  const pid = server.process.pid!;
  const cpu0 = cpuMs(pid);
  const client0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    lists.map(async (queries, c) => {
      let retryAfter = 1;
      const watched = async (input: string | URL, init?: RequestInit) => {
        const res = await fetch(input, init);
        if (res.status === 503) retryAfter = Number(res.headers.get("retry-after") ?? 1) || 1;
        return res;
      };
      const client = new Client({ name: `bench-${c}`, version: "1" });
      const transport = new StreamableHTTPClientTransport(server.url, { fetch: watched });
      await client.connect(transport);
      for (const q of queries) {
        for (let attempt = 0; attempt < 10; attempt++) {
          const t = performance.now();
          try {
            const r = await client.callTool({ name: "repo_search", arguments: { query: q, limit: 10 } });
            if (r.isError) errors++;
            latencies.push(performance.now() - t);
            break;
          } catch (e) {
            if (!/HTTP 503|server busy/.test((e as Error).message)) {
              errors++;
              break;
            }
            refusals.push(performance.now() - t);
            await new Promise((r) => setTimeout(r, retryAfter * 1000));
          }
        }
      }
      await transport.terminateSession(); // a well-behaved client ends its session (DELETE /mcp)
      await client.close();
    }),
  );
  const wall = performance.now() - started;
  const client = process.cpuUsage(client0);
  const calls = latencies.length + refusals.length;
  return {
    answered: latencies.length,
    refused: refusals.length,
    errors,
    throughput_rps: round(latencies.length / (wall / 1000), 1),
    ms: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)) },
    over_2s: latencies.filter((l) => l > 2000).length,
    refused_ms: refusals.length ? { p50: round(percentile(refusals, 50)), max: round(Math.max(...refusals)) } : null,
    server_cpu_ms_per_call: round((cpuMs(pid) - cpu0) / Math.max(1, calls)),
    client_cpu_ms_per_call: round((client.user + client.system) / 1000 / Math.max(1, calls)),
    loadavg: loadavg(),
  };
}

async function measureServer(cli: string, corpus: string, env: NodeJS.ProcessEnv, distinct: string[][], cachedSet: string[], repeat: string[][]) {
  const server = await startServer(cli, corpus, env);
  try {
    // Warm-up: the workers start and the page cache fills; then the cached set is asked once (a cache fills with it).
    const warm = new Client({ name: "warm", version: "1" });
    const warmTransport = new StreamableHTTPClientTransport(server.url);
    await warm.connect(warmTransport);
    for (const q of cachedSet.slice(0, 20)) await warm.callTool({ name: "repo_search", arguments: { query: `${q} warm` } });
    const rssBefore = rssMb(server.process.pid!);
    const uncached = await runPhase(server, distinct);
    const rssAfter = rssMb(server.process.pid!);
    for (const q of cachedSet) await warm.callTool({ name: "repo_search", arguments: { query: q, limit: 10 } });
    const cached = await runPhase(server, repeat);
    await warmTransport.terminateSession();
    await warm.close();
    const load = (await (await fetch(server.health)).json()) as { search?: unknown };
    return {
      uncached, cached,
      server_rss_mb: { before: round(rssBefore, 0), after: round(rssAfter, 0), growth_pct: round(((rssAfter - rssBefore) / rssBefore) * 100, 1) },
      search_load_at_end: load.search ?? null,
    };
  } finally {
    await server.close();
  }
}

type Measured = Awaited<ReturnType<typeof measureServer>>;

function median(xs: number[]): number {
  return percentile(xs, 50);
}

async function main(): Promise<void> {
  const clients = Number(values.clients);
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const corpus = ensureCorpus(values.corpus!);
  const storePath = path.resolve(values.store!);
  const env = { ...process.env, EMBEDDING_PROVIDER: "none", STORE_PATH: storePath, REPO_NAME: "corpus", LOG_LEVEL: "warn" };
  const cli = path.resolve(values.cli!);
  if (!existsSync(cli)) throw new Error(`run \`npm run build\` first: ${cli} is missing`);
  const vs = values.vs ? path.resolve(values.vs) : undefined;
  if (vs && !existsSync(vs)) throw new Error(`--vs ${vs} is missing`);

  const { loadSettings } = await import("../../server/src/config/index.ts");
  const { openEngine } = await import("../../server/src/engine.ts");
  const { silentLogger } = await import("../../server/src/log/index.ts");
  mkdirSync(path.dirname(storePath), { recursive: true });
  const engine = await openEngine({ root: corpus, repo: "corpus", settings: loadSettings(env), log: silentLogger });
  process.stderr.write("indexing the corpus (incremental if already indexed) ...\n");
  await engine.index();
  const stats = (await engine.store.stats()).find((s) => s.repo === "corpus")!;

  const { default: Database } = await import("better-sqlite3");
  const db = new Database(storePath, { readonly: true });
  // Distinct queries: every uncached call asks something no call asked before (in any round or server).
  const wanted = rounds * (vs ? 2 : 1) * clients * calls + CACHED_QUERIES + 20;
  const queries = (db.prepare("SELECT DISTINCT symbol FROM chunks WHERE length(symbol) BETWEEN 6 AND 30 ORDER BY id LIMIT ?").all(wanted) as { symbol: string }[]).map((r) => r.symbol);
  db.close();
  if (queries.length < wanted) throw new Error(`the corpus has ${queries.length} distinct symbols; ${wanted} are needed`);
  const cachedSet = queries.slice(0, CACHED_QUERIES);
  let next = CACHED_QUERIES;
  const distinctLists = () => Array.from({ length: clients }, () => Array.from({ length: calls }, () => queries[next++]!));
  const repeatLists = Array.from({ length: clients }, (_, c) => Array.from({ length: calls }, (_, i) => cachedSet[(c * 7 + i * 13) % cachedSet.length]!));

  // In-process baseline: the same kind of calls, sequential.
  for (const q of queries.slice(-10)) await engine.search.search(q);
  const inproc: number[] = [];
  for (const q of queries.slice(0, Math.min(1000, clients * calls))) {
    const t = performance.now();
    await engine.search.search(q, { limit: 10 });
    inproc.push(performance.now() - t);
  }
  await engine.close();

  const loadBefore = loadavg();
  const mine: Measured[] = [];
  const theirs: Measured[] = [];
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`round ${r + 1}/${rounds}: this build ...\n`);
    mine.push(await measureServer(cli, corpus, env, distinctLists(), cachedSet, repeatLists));
    if (vs) {
      process.stderr.write(`round ${r + 1}/${rounds}: --vs build ...\n`);
      theirs.push(await measureServer(vs, corpus, env, distinctLists(), cachedSet, repeatLists));
    }
  }
  const best = (runs: Measured[]) => runs.sort((a, b) => a.uncached.throughput_rps - b.uncached.throughput_rps)[Math.floor((runs.length - 1) / 2)]!;
  const ratio = (f: (m: Measured) => number) => round(median(mine.map(f)) / median(theirs.map(f)), 2);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadavg_before: loadBefore, loadavg_after: loadavg() },
    index: { chunks: stats.points, files: stats.files },
    clients, calls_per_client: calls, rounds,
    server: best(mine),
    ...(vs ? {
      vs: { cli: vs, server: best(theirs) },
      ratio_to_vs: {
        uncached_throughput: ratio((m) => m.uncached.throughput_rps),
        uncached_p99: ratio((m) => m.uncached.ms.p99),
        cached_throughput: ratio((m) => m.cached.throughput_rps),
        server_cpu_per_uncached_call: ratio((m) => m.uncached.server_cpu_ms_per_call),
      },
    } : {}),
    in_process_ms: { p50: round(percentile(inproc, 50)), p95: round(percentile(inproc, 95)), p99: round(percentile(inproc, 99)) },
    targets: { uncached_throughput_rps: 150, p99_ms: 500, max_ms: 2000 },
  };
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(path.join(values.out!, "mcp.json"), JSON.stringify(result, null, 2) + "\n");
  const row = (name: string, m: Measured, p: "uncached" | "cached") => {
    const x = m[p];
    return `| ${name} | ${p} | ${x.throughput_rps} | ${x.ms.p50} / ${x.ms.p95} / ${x.ms.p99} / ${x.ms.max} | ${x.over_2s} | ${x.refused}${x.refused_ms ? ` (in ${x.refused_ms.p50} ms)` : ""} | ${x.errors} | ${x.server_cpu_ms_per_call} | ${x.loadavg[0]} |`;
  };
  const lines = [
    `${stats.points} chunks; ${clients} clients x ${calls} calls per phase; load average ${loadBefore.join(" ")} before, ${result.machine.loadavg_after.join(" ")} after (${result.machine.cpus} cores); in-process search p50 / p95 / p99 ${result.in_process_ms.p50} / ${result.in_process_ms.p95} / ${result.in_process_ms.p99} ms`,
    "",
    "| server | queries | answered calls/s | p50 / p95 / p99 / max ms | over 2 s | refused (503) | errors | server CPU ms/call | load (1 min) |",
    "|---|---|---|---|---|---|---|---|---|",
    row("this build", result.server, "uncached"),
    row("this build", result.server, "cached"),
    ...(vs ? [row("--vs build", best(theirs), "uncached"), row("--vs build", best(theirs), "cached")] : []),
  ];
  if (result.ratio_to_vs) {
    const q = result.ratio_to_vs;
    lines.push("", `This build / --vs build, same run (median of ${rounds} round(s)): uncached throughput ${q.uncached_throughput}x, uncached p99 ${q.uncached_p99}x, cached throughput ${q.cached_throughput}x, server CPU per uncached call ${q.server_cpu_per_uncached_call}x.`);
  }
  writeFileSync(path.join(values.out!, "mcp.md"), lines.join("\n") + "\n");
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
