// The image as a tested artifact: podman builds the root Dockerfile from bases made without any registry
// (.ci/setup-podman), then every role runs from it as its pod spec says (uid 1000, read-only root, all
// capabilities dropped, no privilege escalation, emptyDir /tmp, claims as bind mounts): the init-collection Job
// and the servers against the Qdrant stub (the store the cluster uses, spoken over HTTP), a watcher, the uploader,
// the four MCP servers. Checked: liveness and readiness of each, an upload found by repo_search, the image size.
// Skipped with its reason when podman is absent; CI installs it (.ci/run -> .ci/setup-podman).
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { localWorkloads } from "../../k8s/local/layout.ts";
import { get, type K8sObject } from "../../k8s/local/manifests.ts";
import { podmanRun, type PodmanRun } from "../../k8s/local/podman.ts";
import { REPO_ROOT, deploymentObjects, sourceCli } from "../../k8s/local/run.ts";
import { freePort } from "../../server/src/http/free-port.ts";
import { QdrantStub } from "../helpers/store-qdrant-stub.ts";
import { pollUntil } from "../helpers/tmp.ts";
import { writeTinyOnnxModel } from "../unit/tiny-onnx-model.ts";

const SIZE_BUDGET_BYTES = 400_000_000;
const IMAGE = "localhost/context-engine:test";
const PODMAN = spawnSync("bash", ["-c", "command -v podman"], { encoding: "utf8" }).stdout.trim();
const SETUP = path.join(REPO_ROOT, ".ci", "setup-podman");
const WORDPIECE = path.resolve(REPO_ROOT, "../shared/fixtures/models/model2vec-float32");

function podman(args: string[], timeoutMs = 120_000) {
  return spawnSync(PODMAN, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

/** The base images .ci/setup-podman makes (its --names prints them without doing anything). */
function baseImages(): { node: string; runtime: string } | string {
  const r = spawnSync("bash", [SETUP, "--names"], { encoding: "utf8" });
  const node = /^NODE_IMAGE=(\S+)$/m.exec(r.stdout)?.[1];
  const runtime = /^RUNTIME_IMAGE=(\S+)$/m.exec(r.stdout)?.[1];
  if (!node || !runtime) return `.ci/setup-podman --names printed no image names: ${r.stdout}${r.stderr}`;
  for (const image of [node, runtime]) if (podman(["image", "exists", image]).status !== 0) return `base image ${image} is missing: run .ci/setup-podman`;
  return { node, runtime };
}

const bases = PODMAN ? baseImages() : "podman is not installed (.ci/setup-podman installs it and makes the base images)";
// CI installs podman and the bases: there a missing base is a failure, not a skip.
const skip = typeof bases === "string" && !(PODMAN && process.env.CI) ? bases : false;
if (skip) console.error(`\n!!! container image test SKIPPED: ${skip} !!!\n`);


const logsOf = (name: string) => {
  const r = podman(["logs", "--tail", "30", name]);
  return `--- ${name} ---\n${r.stdout}${r.stderr}`;
};

describe("the container image, built with podman and run as the manifests say", { skip, timeout: 60 * 60_000 }, () => {
  const started = Date.now();
  const prefix = `ce-test-${process.pid}`;
  let work: string;
  let stub: QdrantStub;
  let objects: K8sObject[];
  let runs: PodmanRun[] = [];
  let buildSeconds = 0;
  const clients: Client[] = [];

  before(async () => {
    assert.equal(typeof bases, "object", String(bases));
    const { node, runtime } = bases as { node: string; runtime: string };
    const t = Date.now();
    const build = podman(["build", "--build-arg", `NODE_IMAGE=${node}`, "--build-arg", `RUNTIME_IMAGE=${runtime}`, "-t", IMAGE, REPO_ROOT], 45 * 60_000);
    buildSeconds = Math.round((Date.now() - t) / 1000);
    assert.equal(build.status, 0, `podman build failed:\n${(build.stdout + build.stderr).slice(-4000)}`);

    work = mkdtempSync(path.join(os.tmpdir(), "ce-container-"));
    stub = new QdrantStub();
    await stub.start();
    objects = deploymentObjects(undefined, ["demo"]);
    const claim = (c: string) => path.join(work, "volumes", c);
    // A tiny real ONNX encoder on the models volume: the image's onnxruntime and transformers load and run it.
    const model = path.join(claim("models-storage"), "embeddings", "tiny-encoder");
    writeTinyOnnxModel(model, WORDPIECE, 8);
    const ports = new Map<string, number>();
    const portFor = (w: string, p: number) => ports.get(`${w}:${p}`)!;
    for (const w of [...localWorkloads(objects), get(objects, "Job", "init-collection")]) {
      for (const c of w.spec.template.spec.containers) for (const p of c.ports ?? []) ports.set(`${w.metadata.name}:${p.containerPort}`, await freePort());
    }
    const env = { QDRANT_URL: stub.url, EMBEDDING_MODEL: "/models/embeddings/tiny-encoder", EMBEDDING_PROVIDER: "transformers" };
    const watcherControl = ports.get("watcher-demo:8005")!;
    const common = { objects, image: IMAGE, claimDir: claim, portFor, prefix };
    runs = localWorkloads(objects).map((w) =>
      podmanRun(w, { ...common, env: { ...env, ...(w.metadata.name.startsWith("mcp-indexer") || w.metadata.name === "uploader" ? { WATCHER_URL: `http://127.0.0.1:${watcherControl}/{repo}` } : {}) } }),
    );
    const folders = [...new Set([...runs.flatMap((r) => r.dirs), claim("repos-storage"), path.join(claim("repos-storage"), "demo"), claim("models-storage")])];
    for (const d of folders) mkdirSync(d, { recursive: true });
    spawnSync("chown", ["-R", "1000:1000", work]);
    chownSync(work, 1000, 1000);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    const names = podman(["ps", "-a", "--filter", `name=^${prefix}-`, "--format", "{{.Names}}"]).stdout.split("\n").filter(Boolean);
    if (names.length) podman(["rm", "-f", "-t", "2", ...names]);
    await stub?.stop?.();
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`container image test: ${Math.round((Date.now() - started) / 1000)} s in all, of which podman build ${buildSeconds} s`);
  });

  test(`the image is at most ${SIZE_BUDGET_BYTES / 1e6} MB`, () => {
    const size = Number(podman(["image", "inspect", IMAGE, "--format", "{{.Size}}"]).stdout.trim());
    console.log(`container image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB`);
    assert.ok(size > 50e6, `implausible size ${size}`);
    assert.ok(size <= SIZE_BUDGET_BYTES, `${(size / 1e6).toFixed(1)} MB is over the ${SIZE_BUDGET_BYTES / 1e6} MB budget`);
  });

  test("the init-collection Job creates the collection in Qdrant (the stub) and exits 0", async () => {
    const job = podmanRun(get(objects, "Job", "init-collection"), { objects, image: IMAGE, claimDir: (c) => path.join(work, "volumes", c), portFor: () => 0, prefix, env: { QDRANT_URL: stub.url, EMBEDDING_MODEL: "/models/embeddings/tiny-encoder", EMBEDDING_PROVIDER: "transformers" } });
    assert.ok(job.args.includes("--read-only") && job.args.includes("no-new-privileges") && job.args.join(" ").includes("--cap-drop ALL") && job.args.join(" ").includes("--user 1000:1000"), job.args.join(" "));
    // Not spawnSync: the Qdrant stub answers from this process's event loop.
    const r = await promisify(execFile)(PODMAN, ["run", "--rm", ...job.args], { timeout: 5 * 60_000, encoding: "utf8" }).then(
      (x) => ({ status: 0, ...x }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ status: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
    );
    assert.equal(r.status, 0, `init-collection:\n${r.stdout}${r.stderr}`);
    assert.ok(stub.collections.has("codebase"), "the collection exists");
  });

  test("every server role starts as its pod would and answers its liveness and readiness probes", async () => {
    assert.deepEqual(runs.map((r) => r.workload).sort(), ["mcp-indexer", "mcp-indexer-http", "mcp-memory", "mcp-memory-http", "uploader", "watcher-demo"]);
    for (const r of runs) {
      const p = podman(["run", "-d", ...r.args]);
      assert.equal(p.status, 0, `${r.name}: ${p.stderr}`);
    }
    for (const r of runs) {
      for (const url of [r.liveUrl, r.readyUrl].filter(Boolean) as string[]) {
        await pollUntil(() => `${r.workload} answers ${url}\n${logsOf(r.name)}`, 240_000, async () => ((await fetch(url, { signal: AbortSignal.timeout(3000) })).ok ? true : undefined));
      }
    }
    const users = podman(["ps", "--filter", `name=^${prefix}-`, "--format", "{{.Names}}"]).stdout.split("\n").filter(Boolean);
    assert.equal(users.length, runs.length, "every container still runs");
    for (const name of users) assert.equal(podman(["exec", name, "id", "-u"]).stdout.trim(), "1000", name);
    const write = podman(["exec", runs[0].name, "sh", "-c", "touch /app/x 2>&1; echo $?"]);
    assert.notEqual(write.stdout.trim().split("\n").at(-1), "0", "the root filesystem is read-only");
  });

  test("an upload reaches the watcher in its container and is found by repo_search", async () => {
    const ws = path.join(work, "workspace");
    mkdirSync(path.join(ws, "src"), { recursive: true });
    writeFileSync(path.join(ws, "src", "billing.ts"), "/** Sums an invoice's line items. */\nexport function computeInvoiceTotal(items: { cents: number }[]): number {\n  return items.reduce((t, i) => t + i.cents, 0);\n}\n");
    const uploader = runs.find((r) => r.workload === "uploader")!;
    const up = spawnSync(process.execPath, [...sourceCli().slice(1), "upload", "--repo", "demo", "--path", ws, "--url", `http://127.0.0.1:${uploader.ports.get(8004)}`], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: os.homedir() } });
    assert.equal(up.status, 0, `upload: ${up.stdout}${up.stderr}`);
    const http = runs.find((r) => r.workload === "mcp-indexer-http")!;
    const client = new Client({ name: "container-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${http.ports.get(8003)}/mcp`)));
    clients.push(client);
    const watcher = runs.find((r) => r.workload === "watcher-demo")!;
    await pollUntil(() => `repo_search finds the upload\n${logsOf(watcher.name)}${logsOf(uploader.name)}`, 180_000, async () => {
      const r = (await client.callTool({ name: "repo_search", arguments: { query: "computeInvoiceTotal", repo: "demo", limit: 5 } })) as { structuredContent?: { results?: { path: string }[] } };
      return r.structuredContent?.results?.some((h) => h.path === "src/billing.ts") ? true : undefined;
    });
    assert.match(podman(["logs", uploader.name]).stderr + podman(["logs", uploader.name]).stdout, /upload applied/);
  });
});
