// bench:mcp: 50 concurrent MCP clients x 40 repo_search calls over Streamable HTTP against the bench corpus index,
// compared with the same queries run in-process, plus the server's RSS before and after.
//   npm run bench:mcp [-- --clients 50 --calls 40 --corpus DIR]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { DEFAULT_CORPUS, ensureCorpus, percentile, round } from "../lib/corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    calls: { type: "string", default: "40" },
    corpus: { type: "string", default: DEFAULT_CORPUS },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const clients = Number(values.clients);
  const calls = Number(values.calls);
  const corpus = ensureCorpus(values.corpus!);
  const storePath = path.join(os.tmpdir(), "ce-bench-mcp", "index.db");
  const env = { ...process.env, EMBEDDING_PROVIDER: "none", STORE_PATH: storePath, REPO_NAME: "corpus", LOG_LEVEL: "warn" };
  const cli = path.join(root, "server", "dist", "cli.js");
  if (!existsSync(cli)) throw new Error("run `npm run build` first: server/dist/cli.js is missing");

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
  // As many distinct queries as calls: no call is a repeat, so nothing is served from a warm page of an earlier one.
  const queries = (db.prepare("SELECT DISTINCT symbol FROM chunks WHERE length(symbol) BETWEEN 6 AND 30 ORDER BY id LIMIT ?").all(clients * calls + 20) as { symbol: string }[]).map((r) => r.symbol);
  db.close();

  // In-process baseline: the same calls, sequential and concurrent.
  for (const q of queries.slice(0, 10)) await engine.search.search(q);
  const inproc: number[] = [];
  for (let i = 0; i < clients * calls && i < 1000; i++) {
    const t = performance.now();
    await engine.search.search(queries[i % queries.length]!, { limit: 10 });
    inproc.push(performance.now() - t);
  }
  await engine.close();

  const port = await freePort();
  const healthPort = await freePort();
  const server = spawn(process.execPath, [cli, "serve", "indexer", "--transport", "http", "--port", String(port), "--health-port", String(healthPort), "--root", corpus], {
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
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  // Warm-up, then RSS before the run.
  const warm = new Client({ name: "warm", version: "1" });
  const warmTransport = new StreamableHTTPClientTransport(url);
  await warm.connect(warmTransport);
  for (const q of queries.slice(-20)) await warm.callTool({ name: "repo_search", arguments: { query: q } });
  await warmTransport.terminateSession();
  await warm.close();
  const rssBefore = rssMb(server.pid!);

  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const client = new Client({ name: `bench-${c}`, version: "1" });
      const transport = new StreamableHTTPClientTransport(url);
      await client.connect(transport);
      for (let i = 0; i < calls; i++) {
        const q = queries[(c * calls + i) % queries.length]!;
        const t = performance.now();
        try {
          const r = await client.callTool({ name: "repo_search", arguments: { query: q, limit: 10 } });
          if (r.isError) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
      await transport.terminateSession(); // a well-behaved client ends its session (DELETE /mcp)
      await client.close();
    }),
  );
  const wall = performance.now() - started;
  await new Promise((r) => setTimeout(r, 500));
  const rssAfter = rssMb(server.pid!);
  server.kill("SIGTERM");

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => round(l)) },
    index: { chunks: stats.points, files: stats.files },
    clients, calls_per_client: calls, total_calls: latencies.length, errors,
    throughput_rps: round(latencies.length / (wall / 1000), 1),
    mcp_ms: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)) },
    in_process_ms: { p50: round(percentile(inproc, 50)), p95: round(percentile(inproc, 95)), p99: round(percentile(inproc, 99)) },
    server_rss_mb: { before: round(rssBefore, 0), after: round(rssAfter, 0), growth_pct: round(((rssAfter - rssBefore) / rssBefore) * 100, 1) },
    targets: { mcp_p95_ms: 60, errors: 0, rss_growth_pct: 10 },
  };
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(path.join(values.out!, "mcp.json"), JSON.stringify(result, null, 2) + "\n");
  const table = [
    `| index chunks | clients x calls | throughput (calls/s) | MCP p50 / p95 / p99 ms | in-process p50 / p95 / p99 ms | errors | server RSS before → after MB |`,
    `|---|---|---|---|---|---|---|`,
    `| ${stats.points} | ${clients} x ${calls} | ${result.throughput_rps} | ${result.mcp_ms.p50} / ${result.mcp_ms.p95} / ${result.mcp_ms.p99} | ${result.in_process_ms.p50} / ${result.in_process_ms.p95} / ${result.in_process_ms.p99} | ${errors} | ${result.server_rss_mb.before} → ${result.server_rss_mb.after} (${result.server_rss_mb.growth_pct}%) |`,
  ].join("\n");
  writeFileSync(path.join(values.out!, "mcp.md"), table + "\n");
  process.stdout.write(table + "\n");
}

await main();
