// A saturated MCP server still serves a new client: it answers within 2 s or refuses at once with 503 and
// Retry-After, never lets the call wait behind the flood. The server runs in its own process (as deployed), on one
// search thread so that a flood saturates it; the test waits for the saturation it causes (the server's /health
// reports its queue), not for time to pass.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { cpSync } from "node:fs";
import { freePort } from "../../server/src/http/free-port.ts";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { REPO_ROOT, runCli, startCli } from "../helpers/cli.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/** What the spec allows a new client: an answer within this, or a refusal (503 + Retry-After). */
const ANSWER_WITHIN_MS = 2000;

/** Issue-length queries: each costs the server real work, so a flood of them queues. */
const HEAVY = [
  "incremental re-index ranks differently: after a file is re-indexed the BM25 statistics drift, scores differ from a fresh build of the lexical index",
  "the watcher misses renames on shared storage; reconcile by size and mtime, move points without re-embedding, keep state atomic",
  "MCP session idle timeout closes sessions of clients that never said goodbye; bounded sessions, least recently used idle one closed",
  "tree-sitter chunking of a large class: micro-chunks inside symbols, windows widen above the cap, symbol paths like Session.request",
];


interface SearchLoad {
  calls: number;
  queued: number;
  refused: number;
  threads: number;
}

describe("a saturated MCP server", () => {
  let dir: string;
  let cleanup: () => void;
  const servers: ChildProcess[] = [];

  before(() => {
    ({ dir, cleanup } = tempDir("ce-saturate-"));
    cpSync(path.join(REPO_ROOT, "server", "src"), path.join(dir, "repo"), { recursive: true });
    const r = runCli(["index", path.join(dir, "repo")], { env: { STORE_PATH: path.join(dir, "index.db") } });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => {
    for (const s of servers) s.kill("SIGKILL");
    cleanup();
  });

  async function startServer(env: Record<string, string>): Promise<{ url: URL; load: () => Promise<SearchLoad> }> {
    const [port, health] = [await freePort(), await freePort()];
    const server = startCli(["serve", "indexer", "--transport", "http", "--port", String(port), "--health-port", String(health), "--root", path.join(dir, "repo")], {
      env: { STORE_PATH: path.join(dir, "index.db"), SEARCH_THREADS: "1", SEARCH_CACHE_ENTRIES: "0", ...env },
    });
    servers.push(server);
    let stderr = "";
    server.stderr!.on("data", (d) => (stderr += d));
    const load = async () => ((await (await fetch(`http://127.0.0.1:${health}/health`)).json()) as { search: SearchLoad }).search;
    await waitFor(() => load().then(() => true, () => false), `the server on port ${port} (${stderr})`, 60_000, 100);
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    // The search worker starts with the first search.
    const warm = await connect(url);
    await warm.callTool({ name: "repo_search", arguments: { query: "warm up" } });
    await warm.close();
    return { url, load };
  }

  async function connect(url: URL, onResponse?: (res: Response) => void): Promise<Client> {
    const client = new Client({ name: "saturation-test", version: "1" });
    const watched = onResponse ? async (input: string | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      onResponse(res);
      return res;
    } : undefined;
    await client.connect(new StreamableHTTPClientTransport(url, watched ? { fetch: watched } : {}));
    return client;
  }

  /** A new client's first call (connecting included): answered, and when, or refused, with the status and Retry-After. */
  async function newClientCall(url: URL): Promise<{ ms: number; answered: boolean; status?: number; retryAfter?: string | null }> {
    const started = performance.now();
    // The SDK reports a refusal as an error without its headers: the responses are watched for them.
    let refused: { status: number; retryAfter: string | null } | undefined;
    const client = await connect(url, (res) => {
      if (res.status === 503) refused = { status: res.status, retryAfter: res.headers.get("retry-after") };
    });
    try {
      const r = await client.callTool({ name: "repo_search", arguments: { query: "openSqliteStore read-only connection" } });
      assert.ok(!r.isError);
      return { ms: performance.now() - started, answered: true };
    } catch (e) {
      assert.ok(refused, `the call failed without a 503: ${(e as Error).message}`);
      return { ms: performance.now() - started, answered: false, ...refused };
    } finally {
      await client.close();
    }
  }

  function assertServedOrRefused(r: Awaited<ReturnType<typeof newClientCall>>): void {
    if (r.answered) return assert.ok(r.ms < ANSWER_WITHIN_MS, `a new client was answered only after ${Math.round(r.ms)} ms`);
    assert.equal(r.status, 503);
    assert.match(r.retryAfter ?? "", /^[1-9]\d*$/, "Retry-After in whole seconds");
    assert.ok(r.ms < ANSWER_WITHIN_MS, `a new client was refused only after ${Math.round(r.ms)} ms`);
  }

  it("one client flooding: a new client is answered within 2 s or refused at once with 503 and Retry-After", async () => {
    const { url, load } = await startServer({});
    const flooder = await connect(url);
    const flood = Array.from({ length: 300 }, (_, i) =>
      flooder.callTool({ name: "repo_search", arguments: { query: `${HEAVY[i % HEAVY.length]} ${i}` } }).then(() => "answered", () => "refused"),
    );
    try {
      // Saturated: the flood has as many calls queued as the bound lets in, and its next ones are refused.
      await waitFor(async () => (await load()).refused > 0, "the flood to reach the bound", 60_000);
      assertServedOrRefused(await newClientCall(url));
    } finally {
      const fates = await Promise.all(flood);
      await flooder.close();
      assert.equal(fates.length, 300);
    }
  });

  it("many busy clients: a new client is answered within 2 s or refused at once with 503 and Retry-After", async () => {
    // A short bound, so that this saturation certainly reaches it.
    const { url, load } = await startServer({ SEARCH_MAX_WAIT_MS: "100" });
    const clients = await Promise.all(Array.from({ length: 30 }, () => connect(url)));
    let stop = false;
    const busy = clients.map(async (c, n) => {
      for (let i = 0; !stop; i++) {
        await c.callTool({ name: "repo_search", arguments: { query: `${HEAVY[(n + i) % HEAVY.length]} ${n} ${i}` } }).catch(() => undefined);
      }
    });
    try {
      await waitFor(async () => (await load()).refused > 0, "the server to refuse a call", 60_000);
      assertServedOrRefused(await newClientCall(url));
    } finally {
      stop = true;
      await Promise.all(busy);
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
