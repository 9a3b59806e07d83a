// k8s/local/layout.ts: how a rendered Deployment becomes a local process (no process is started here).
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { planLocalProcesses, watcherFor, type LocalProcess } from "../../k8s/local/layout.ts";
import { WATCHER_TEMPLATE, get, readBaseFiles, readYamlFile, type K8sObject } from "../../k8s/local/manifests.ts";

const WORK = "/work-dir";
const CLI = ["/usr/bin/node", "cli.ts"];
const objects = (): K8sObject[] => [...readBaseFiles(), watcherFor(readYamlFile(WATCHER_TEMPLATE)[0], "shop")];
const plusTen = (_w: string, p: number) => p + 10;

function plan(objs = objects(), extra: Partial<Parameters<typeof planLocalProcesses>[0]> = {}): Map<string, LocalProcess> {
  return new Map(planLocalProcesses({ objects: objs, workDir: WORK, cli: CLI, portFor: plusTen, ...extra }).map((p) => [p.name, p]));
}

describe("local layout of the manifests", () => {
  test("only Deployments that run the context-engine CLI become processes (not Qdrant, llama.cpp or the init Job)", () => {
    assert.deepEqual([...plan().keys()].sort(), ["mcp-indexer", "mcp-indexer-http", "mcp-memory", "mcp-memory-http", "uploader", "watcher-shop"]);
  });

  test("the container's args run through the CLI, with container ports mapped to local ones and volume paths to folders", () => {
    const p = plan();
    assert.deepEqual(p.get("mcp-indexer")!.args, ["cli.ts", "serve", "indexer", "--transport", "sse", "--port", "8011", "--health-port", "18011", "--root", path.join(WORK, "volumes/repos-storage")]);
    assert.equal(p.get("mcp-indexer")!.command, "/usr/bin/node");
    assert.deepEqual(p.get("uploader")!.args, ["cli.ts", "serve", "upload", "--port", "8014", "--repos", path.join(WORK, "volumes/repos-storage")]);
    assert.equal(p.get("mcp-memory")!.readyUrl, "http://127.0.0.1:18010/readyz");
    assert.equal(p.get("uploader")!.readyUrl, "http://127.0.0.1:8014/health");
  });

  test("env comes from the ConfigMap; Qdrant is swapped for one shared embedded store; servers bind loopback", () => {
    const p = plan();
    const cm = get(readBaseFiles(), "ConfigMap", "context-engine-config").data;
    for (const proc of p.values()) {
      assert.equal(proc.env.QDRANT_URL, undefined, proc.name);
      assert.equal(proc.env.STORE_PATH, path.join(WORK, "store/index.db"), proc.name);
    }
    const idx = p.get("mcp-indexer")!.env;
    assert.equal(idx.COLLECTION_NAME, cm.COLLECTION_NAME);
    assert.equal(idx.MAX_MICRO_CHUNKS_PER_FILE, cm.MAX_MICRO_CHUNKS_PER_FILE);
    assert.equal(idx.BIND_HOST, "127.0.0.1");
    assert.equal(idx.MODEL_DIR, path.join(WORK, "volumes/models-storage/embeddings"));
    assert.equal(idx.LLAMACPP_URL, undefined, "llama.cpp does not run here: the decoder reports itself off");
    assert.equal(idx.CONTEXT_ENGINE_TOKEN, undefined, "an optional Secret key without a value stays unset");
  });

  test("the watcher watches its repository's folder in the repos volume, through the subPath mount", () => {
    const w = plan().get("watcher-shop")!;
    assert.equal(w.env.WATCH_ROOT, path.join(WORK, "volumes/repos-storage/shop"));
    assert.equal(w.env.REPO_NAME, "shop");
    assert.ok(w.dirs.includes(path.join(WORK, "volumes/repos-storage/shop")));
    assert.equal(w.env.TMPDIR, path.join(WORK, "pods/watcher-shop/tmp"));
  });

  test("Service URLs in env point at the local process behind the Service", () => {
    const objs = objects();
    const c = get(objs, "Deployment", "mcp-memory").spec.template.spec.containers[0];
    c.env.push({ name: "UPLOADER_URL", value: "http://uploader:8004/sync" }, { name: "OTHER_URL", value: "http://example.com:8004/" });
    const env = plan(objs).get("mcp-memory")!.env;
    assert.equal(env.UPLOADER_URL, "http://127.0.0.1:8014/sync");
    assert.equal(env.OTHER_URL, "http://example.com:8004/", "hosts that are not Services stay");
  });

  test("$(VAR) references in env and args expand like Kubernetes does", () => {
    const objs = objects();
    const c = get(objs, "Deployment", "uploader").spec.template.spec.containers[0];
    c.env.push({ name: "A", value: "x" }, { name: "B", value: "$(A)-$(LOG_LEVEL)-$$(A)-$(NOPE)" });
    c.args.push("--label", "$(B)");
    const p = plan(objs).get("uploader")!;
    assert.equal(p.env.B, "x-info-$(A)-$(NOPE)");
    assert.deepEqual(p.args.slice(-2), ["--label", "x-info-$(A)-$(NOPE)"]);
  });

  test("secrets and machine overrides are applied; a missing required Secret key is refused", () => {
    const p = plan(objects(), { secrets: { CONTEXT_ENGINE_TOKEN: "s3cret" }, env: { EMBEDDING_PROVIDER: "none" } });
    assert.equal(p.get("uploader")!.env.CONTEXT_ENGINE_TOKEN, "s3cret");
    assert.equal(p.get("watcher-shop")!.env.EMBEDDING_PROVIDER, "none");
    const objs = objects();
    get(objs, "Deployment", "uploader").spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "CONTEXT_ENGINE_TOKEN").valueFrom.secretKeyRef.optional = false;
    assert.throws(() => plan(objs), /Deployment uploader container uploader: env CONTEXT_ENGINE_TOKEN needs key CONTEXT_ENGINE_TOKEN of Secret context-engine-secrets/);
  });

  test("a probe on an undeclared port is refused", () => {
    const objs = objects();
    get(objs, "Deployment", "mcp-memory").spec.template.spec.containers[0].readinessProbe.httpGet.port = "helth";
    assert.throws(() => plan(objs), /Deployment mcp-memory: probe port helth is not a declared container port/);
  });

  test("watcherFor renames every mention of the template's repository and refuses invalid names", () => {
    const w = watcherFor(readYamlFile(WATCHER_TEMPLATE)[0], "web-app");
    assert.doesNotMatch(JSON.stringify(w), /backend/);
    assert.equal(w.metadata.name, "watcher-web-app");
    assert.throws(() => watcherFor(readYamlFile(WATCHER_TEMPLATE)[0], "Web_App"), /lowercase/);
  });
});
