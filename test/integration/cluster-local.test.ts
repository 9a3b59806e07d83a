// The deployment's process layout, run for real on one machine: the uploader, a watcher, mcp-indexer (SSE and
// HTTP) and mcp-memory (SSE and HTTP) start from the rendered manifests' command, args and env (k8s/local),
// then a workspace upload is indexed by the watcher and found through MCP repo_search. A typo in a manifest's
// args, env or ConfigMap makes this fail.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startLocalCluster, type LocalCluster } from "../../k8s/local/cluster.ts";
import { planLocalProcesses, type LocalProcess } from "../../k8s/local/layout.ts";
import { get, type K8sObject } from "../../k8s/local/manifests.ts";
import { REPO_ROOT, deploymentObjects, portChooser, sourceCli } from "../../k8s/local/run.ts";
import { pollUntil } from "../helpers/tmp.ts";

const NEEDED = ["server/src/cli/main.ts", "server/src/mcp/index.ts", "server/src/watch/index.ts", "server/src/sync/index.ts"];
const missing = NEEDED.filter((f) => !existsSync(path.join(REPO_ROOT, f)));
const skip = missing.length ? `the CLI roles are not there yet (missing ${missing.join(", ")})` : false;
if (skip) console.error(`\n!!! cluster-local SKIPPED: ${skip} !!!\n`);

const MODEL2VEC = path.resolve(REPO_ROOT, "../shared/fixtures/models/model2vec-vocab-quantized");
/** What this machine needs that a cluster does not: no model download here, so the small real fixture model. */
const LOCAL_ENV: Record<string, string> = existsSync(MODEL2VEC)
  ? { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC }
  : { EMBEDDING_PROVIDER: "none" };

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
type Hit = { path: string; repo: string; symbol: string; start_line: number; end_line: number };


function localPort(plan: LocalProcess[], name: string, containerPort: number): number {
  const p = plan.find((x) => x.name === name)?.ports.get(containerPort);
  if (p === undefined) throw new Error(`no local port for ${name}:${containerPort}`);
  return p;
}

async function start(objects: K8sObject[], workDir: string): Promise<{ cluster: LocalCluster; plan: LocalProcess[] }> {
  const plan = planLocalProcesses({ objects, workDir, cli: sourceCli(), portFor: await portChooser(true, objects), env: LOCAL_ENV });
  return { cluster: startLocalCluster(plan), plan };
}

function upload(dir: string, port: number): void {
  const r = spawnSync(process.execPath, [...sourceCli().slice(1), "upload", "--repo", "demo", "--path", dir, "--url", `http://127.0.0.1:${port}`], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: os.homedir() } });
  assert.equal(r.status, 0, `context-engine upload: ${r.stdout}\n${r.stderr}`);
}

/** The watcher's own signal that it watches: its state file says so (written after the file watcher is up). */
async function watcherWatching(workDir: string, cluster: LocalCluster): Promise<void> {
  const stateFile = path.join(workDir, "volumes", "repos-storage", "demo", ".codebase", "state.json");
  await pollUntil(() => `watcher-demo reports "watching" in ${stateFile}\n${cluster.get("watcher-demo").tail()}`, 60_000, async () =>
    existsSync(stateFile) && JSON.parse(readFileSync(stateFile, "utf8")).status === "watching" ? true : undefined,
  );
}

async function connect(url: string, transport: "sse" | "http"): Promise<Client> {
  const client = new Client({ name: "cluster-local-test", version: "1" });
  await client.connect(transport === "sse" ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function search(client: Client, query: string): Promise<Hit[]> {
  const r = (await client.callTool({ name: "repo_search", arguments: { query, repo: "demo", limit: 5 } })) as ToolResult;
  assert.ok(!r.isError, r.content[0]?.text);
  return (r.structuredContent?.results ?? []) as Hit[];
}

describe("cluster:local: the deployment's processes on one machine", { skip }, () => {
  let workDir: string;
  let workspace: string;
  let cluster: LocalCluster | undefined;
  let plan: LocalProcess[];
  const clients: Client[] = [];

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), "ce-cluster-local-"));
    workspace = path.join(workDir, "workspace");
    mkdirSync(path.join(workspace, "src"), { recursive: true });
    writeFileSync(
      path.join(workspace, "src", "billing.ts"),
      "export interface LineItem { price: number; quantity: number }\n\n" +
        "/** Sums the line items of an invoice, in cents. */\nexport function computeInvoiceTotal(items: LineItem[]): number {\n" +
        "  let total = 0;\n  for (const item of items) total += item.price * item.quantity;\n  return total;\n}\n",
    );
    writeFileSync(path.join(workspace, "README.md"), "# Billing\n\nInvoices and their totals.\n");
    ({ cluster, plan } = await start(deploymentObjects(undefined, ["demo"]), workDir));
    await cluster.ready(120_000);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test("every role of the manifests runs: uploader, watcher-demo, the four MCP servers", () => {
    assert.deepEqual(plan.map((p) => p.name).sort(), ["mcp-indexer", "mcp-indexer-http", "mcp-memory", "mcp-memory-http", "uploader", "watcher-demo"]);
    for (const p of cluster!.processes) assert.equal(p.child.exitCode, null, `${p.spec.name} is running:\n${p.tail()}`);
  });

  test("an upload is indexed by the watcher and found by repo_search over Streamable HTTP and over SSE", async () => {
    // Known gap (reported): files that land between the watcher's startup scan and its file watcher being up are
    // not indexed until the next change, so this waits for the watcher, as a client of the deployment must today.
    await watcherWatching(workDir, cluster!);
    upload(workspace, localPort(plan, "uploader", 8004));
    assert.ok(existsSync(path.join(workDir, "volumes", "repos-storage", "demo", "src", "billing.ts")), "the uploader wrote under the repos volume");
    const http = await connect(`http://127.0.0.1:${localPort(plan, "mcp-indexer-http", 8003)}/mcp`, "http");
    clients.push(http);
    const hits = await pollUntil(() => `the watcher indexes the upload\n${cluster!.get("watcher-demo").tail()}`, 90_000, async () => {
      const r = await search(http, "computeInvoiceTotal");
      return r.some((h) => h.path === "src/billing.ts") ? r : undefined;
    });
    const hit = hits.find((h) => h.path === "src/billing.ts")!;
    assert.equal(hit.repo, "demo");
    assert.match(hit.symbol ?? "", /computeInvoiceTotal/);
    assert.ok(hit.start_line <= 4 && hit.end_line >= 8, `span ${hit.start_line}-${hit.end_line} covers the function`);

    const sse = await connect(`http://127.0.0.1:${localPort(plan, "mcp-indexer", 8001)}/sse`, "sse");
    clients.push(sse);
    assert.ok((await search(sse, "invoice total")).some((h) => h.path === "src/billing.ts"), "the SSE indexer sees the same store");
  });

  test("a change uploaded later reaches search through the watcher (deltas)", async () => {
    writeFileSync(path.join(workspace, "src", "refunds.ts"), "export function refundInvoice(id: string, cents: number): string {\n  return `refund ${id} ${cents}`;\n}\n");
    upload(workspace, localPort(plan, "uploader", 8004));
    const http = await connect(`http://127.0.0.1:${localPort(plan, "mcp-indexer-http", 8003)}/mcp`, "http");
    clients.push(http);
    await pollUntil("the watcher indexes the new file", 60_000, async () => ((await search(http, "refundInvoice")).some((h) => h.path === "src/refunds.ts") ? true : undefined));
  });

  test("a memory stored through mcp-memory (SSE) is found through mcp-memory-http", async () => {
    const sse = await connect(`http://127.0.0.1:${localPort(plan, "mcp-memory", 8000)}/sse`, "sse");
    const http = await connect(`http://127.0.0.1:${localPort(plan, "mcp-memory-http", 8002)}/mcp`, "http");
    clients.push(sse, http);
    const stored = (await sse.callTool({ name: "memory_store", arguments: { information: "Invoice totals are computed in cents, never floats.", metadata: { kind: "convention", topic: "billing" } } })) as ToolResult;
    assert.ok(!stored.isError, stored.content[0]?.text);
    const found = await pollUntil("the memory is visible", 20_000, async () => {
      const r = (await http.callTool({ name: "memory_find", arguments: { query: "invoice cents" } })) as ToolResult;
      return JSON.stringify(r.structuredContent ?? r.content).includes("never floats") ? r : undefined;
    });
    assert.ok(!found.isError);
  });

  test("without llama.cpp, context_answer says that no decoder is deployed", async () => {
    assert.equal(plan.find((p) => p.name === "mcp-indexer-http")!.env.LLAMACPP_URL, undefined);
    const http = await connect(`http://127.0.0.1:${localPort(plan, "mcp-indexer-http", 8003)}/mcp`, "http");
    clients.push(http);
    const r = (await http.callTool({ name: "context_answer", arguments: { question: "How is an invoice total computed?", repo: "demo" } })) as ToolResult;
    assert.ok(!r.isError, r.content[0]?.text);
    assert.match(r.content[0].text, /no decoder is configured/i);
  });
});

describe("cluster:local catches manifest mistakes", { skip }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function startBroken(mutate: (objects: K8sObject[]) => void, only: string): Promise<{ cluster: LocalCluster; plan: LocalProcess[] }> {
    const objects = deploymentObjects(undefined, ["demo"]);
    mutate(objects);
    const keep = objects.filter((o) => o.kind !== "Deployment" || o.metadata.name === only);
    const dir = mkdtempSync(path.join(os.tmpdir(), "ce-cluster-broken-"));
    dirs.push(dir);
    return start(keep, dir);
  }

  test("a typo in a Deployment's args stops that process with its usage error", async () => {
    const { cluster } = await startBroken((objects) => {
      const args = get(objects, "Deployment", "uploader").spec.template.spec.containers[0].args as string[];
      args[args.indexOf("--port")] = "--prot";
    }, "uploader");
    try {
      await assert.rejects(cluster.ready(60_000), /uploader exited with 2[\s\S]*prot/);
    } finally {
      await cluster.stop();
    }
  });

  test("a bad value in the ConfigMap stops the watcher with the key's name", async () => {
    const { cluster } = await startBroken((objects) => {
      get(objects, "ConfigMap", "context-engine-config").data.WATCH_DEBOUNCE_SECS = "1.5s";
    }, "watcher-demo");
    try {
      const p = cluster.get("watcher-demo");
      const code = await pollUntil("the watcher exits", 60_000, async () => (p.child.exitCode !== null ? p.child.exitCode : undefined));
      assert.notEqual(code, 0);
      assert.match(p.tail(), /WATCH_DEBOUNCE_SECS/);
    } finally {
      await cluster.stop();
    }
  });

  test("an env reference to a ConfigMap key that does not exist is refused before anything starts", async () => {
    const objects = deploymentObjects(undefined, ["demo"]);
    delete get(objects, "ConfigMap", "context-engine-config").data.COLLECTION_NAME;
    assert.throws(() => planLocalProcesses({ objects, workDir: "/nonexistent", cli: sourceCli(), portFor: (_w, p) => p }), /env COLLECTION_NAME refers to key COLLECTION_NAME of ConfigMap context-engine-config, which has no such key/);
  });
});

const PYTHON = ["python3", "python"].find((p) => spawnSync(p, ["--version"], { stdio: "ignore" }).status === 0);
if (!PYTHON) console.error("\n!!! python is not installed: the upload_repo.py test is SKIPPED !!!\n");

describe("the guide's scripts/upload_repo.py against the manifests' uploader", { skip: skip || (PYTHON ? false : "python is not installed") }, () => {
  let workDir: string;
  let cluster: LocalCluster | undefined;
  let port: number;
  const script = path.join(REPO_ROOT, "k8s", "scripts", "upload_repo.py");
  const py = (...args: string[]) => spawnSync(PYTHON!, [script, ...args], { encoding: "utf8", cwd: path.join(REPO_ROOT, "k8s") });

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), "ce-upload-py-"));
    const objects = deploymentObjects(undefined, []).filter((o) => o.kind !== "Deployment" || o.metadata.name === "uploader");
    let plan: LocalProcess[];
    ({ cluster, plan } = await start(objects, workDir));
    await cluster.ready(60_000);
    port = localPort(plan, "uploader", 8004);
  });
  after(async () => {
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test("uploads a folder, then only its changes, honouring the usual exclusions", () => {
    const src = path.join(workDir, "src-repo");
    mkdirSync(path.join(src, "lib"), { recursive: true });
    mkdirSync(path.join(src, "node_modules", "dep"), { recursive: true });
    writeFileSync(path.join(src, "lib", "a.py"), "def settle_account(x):\n    return x\n");
    writeFileSync(path.join(src, "lib", "b.py"), "B = 2\n");
    writeFileSync(path.join(src, "node_modules", "dep", "index.js"), "module.exports = 1;\n");
    writeFileSync(path.join(src, ".gitignore"), "*.log\n");
    writeFileSync(path.join(src, "debug.log"), "noise\n");
    const url = `http://127.0.0.1:${port}`;
    const first = py("--repo-name", "py-repo", "--path", src, "--url", url);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /py-repo: 3 files written, 0 deleted/);
    const dest = path.join(workDir, "volumes", "repos-storage", "py-repo");
    assert.equal(readFileSync(path.join(dest, "lib", "a.py"), "utf8"), "def settle_account(x):\n    return x\n");
    assert.ok(!existsSync(path.join(dest, "node_modules")) && !existsSync(path.join(dest, "debug.log")));

    assert.match(py("--repo-name", "py-repo", "--path", src, "--url", url).stdout, /up to date \(3 files\)/);
    rmSync(path.join(src, "lib", "b.py"));
    writeFileSync(path.join(src, "lib", "a.py"), "def settle_account(x):\n    return 2 * x\n");
    const third = py("--repo-name", "py-repo", "--path", src, "--url", url);
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /1 files written, 1 deleted/);
    assert.ok(!existsSync(path.join(dest, "lib", "b.py")));
    assert.match(readFileSync(path.join(dest, "lib", "a.py"), "utf8"), /2 \* x/);
  });

  test("refuses an invalid repository name and explains an unreachable uploader", () => {
    const bad = py("--repo-name", "Bad_Name", "--path", workDir, "--url", `http://127.0.0.1:${port}`);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /lowercase letters, digits and '-'/);
    const down = py("--repo-name", "x", "--path", workDir, "--url", "http://127.0.0.1:9");
    assert.notEqual(down.status, 0);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9.*port-forward/);
  });
});
