// The extension's cluster side (deploy, rollout, watcher, undeploy, port-forward) against the loopback Kubernetes API stub.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { z } from "zod";
import { ClusterApi } from "../../extension/src/cluster/api.ts";
import { deploy, undeploy, type Step } from "../../extension/src/cluster/deploy.ts";
import { loadKubeConfig } from "../../extension/src/cluster/kubeconfig.ts";
import type { DeployOptions, KubeObject, ManifestBundle } from "../../extension/src/cluster/manifests.ts";
import { ServicePortForward, resolvePod } from "../../extension/src/cluster/port-forward.ts";
import { ensureWatcher } from "../../extension/src/cluster/watcher.ts";
import { openClusterSession } from "../../extension/src/cluster/index.ts";
import { DeltaSyncClient } from "../../extension/src/sync/delta-client.ts";
import { IgnoreRules } from "../../extension/src/sync/ignore-rules.ts";
import { WorkspaceScanner } from "../../extension/src/sync/scan.ts";
import { startUploadServer } from "../../server/src/sync/server.ts";
import { silentLogger as serverSilent } from "../../server/src/log/index.ts";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { IndexerClient } from "../../extension/src/engine/indexer-client.ts";
import { silentLogger } from "../../extension/src/log.ts";
import { KubeApiStub, readyPod } from "./extension-k8s-api-stub.ts";

const NS = "context-engine";
const image = "ghcr.io/context-engine/context-engine:0.1.0";

function deployment(name: string, port: number, img = image): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: img, ports: [{ name: "http", containerPort: port }] }] } },
    },
  };
}

function service(name: string, port: number): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ port, targetPort: "http" }] } };
}

// A small base shaped like k8s/ (kustomize output order deliberately not the apply order).
const bundle: ManifestBundle = {
  source: "test fixture",
  objects: [
    deployment("mcp-indexer-http", 8003),
    service("mcp-indexer-http", 8003),
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "context-engine-config", namespace: NS }, data: { COLLECTION_NAME: "codebase" } },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "qdrant", namespace: NS, labels: { app: "qdrant" } },
      spec: { replicas: 1, serviceName: "qdrant", selector: { matchLabels: { app: "qdrant" } }, template: { metadata: { labels: { app: "qdrant" } }, spec: { containers: [{ name: "qdrant", image: "qdrant/qdrant:v1.15.0" }] } } },
    },
    { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "repos-storage", namespace: NS }, spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "100Gi" } } } },
    { ...deployment("llamacpp", 8080, "ghcr.io/ggml-org/llama.cpp:server"), metadata: { name: "llamacpp", namespace: NS, labels: { app: "llamacpp", "context-engine/stage": "decoder" } } },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "init-collection", namespace: NS, labels: { "context-engine/stage": "init" } },
      spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "init", image: "context-engine:latest", args: ["init-collection"] }] } } },
    },
    { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "context-engine", namespace: NS }, spec: { rules: [] } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "context-engine", namespace: NS } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
  ],
  watcherTemplate: {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "watcher-example", namespace: NS, labels: { app: "watcher", "context-engine/repo": "example" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "watcher", "context-engine/repo": "example" } },
      template: {
        metadata: { labels: { app: "watcher", "context-engine/repo": "example" } },
        spec: {
          serviceAccountName: "context-engine",
          containers: [
            {
              name: "watcher",
              image,
              args: ["watch", "--root", "/work", "--repo", "example"],
              env: [
                { name: "WATCH_ROOT", value: "/work" },
                { name: "REPO_NAME", value: "example" },
              ],
              volumeMounts: [{ name: "repos", mountPath: "/work", subPath: "example" }],
            },
          ],
          volumes: [{ name: "repos", persistentVolumeClaim: { claimName: "repos-storage" } }],
        },
      },
    },
  },
};

const opts: DeployOptions = { namespace: NS, imageRegistry: "registry.example.com/team", imageTag: "1.2.3", skipLlamaCpp: true, deployIngress: false };

let stub: KubeApiStub;
let api: ClusterApi;
let kubeconfigFile: string;

before(async () => {
  stub = await new KubeApiStub().start();
  const dir = mkdtempSync(path.join(os.tmpdir(), "ce-kube-"));
  kubeconfigFile = path.join(dir, "config");
  writeFileSync(kubeconfigFile, stub.kubeconfigYaml());
  api = new ClusterApi(loadKubeConfig({ path: kubeconfigFile }));
});

after(async () => {
  await stub.stop();
});

beforeEach(() => {
  stub.requests.length = 0;
  stub.rolloutAfterReads = 2;
  stub.resetRollouts();
  stub.pods = [];
});

const fast = { pollMs: 1, rolloutTimeoutMs: 30_000 };

describe("Deploy Context Engine", () => {
  test("applies every object by server-side apply, field manager context-engine, in dependency order", async () => {
    const steps: Step[] = [];
    const r = await deploy(api, bundle, opts, { ...fast, onStep: (s) => steps.push(s) });
    const writes = stub.writes();
    assert.deepEqual(
      writes.map((w) => `${w.method} ${w.path}`),
      [
        "PATCH /api/v1/namespaces/context-engine",
        "PATCH /api/v1/namespaces/context-engine/serviceaccounts/context-engine",
        "PATCH /api/v1/namespaces/context-engine/configmaps/context-engine-config",
        "PATCH /api/v1/namespaces/context-engine/persistentvolumeclaims/repos-storage",
        "PATCH /apis/apps/v1/namespaces/context-engine/statefulsets/qdrant",
        "PATCH /apis/batch/v1/namespaces/context-engine/jobs/init-collection",
        "PATCH /api/v1/namespaces/context-engine/services/mcp-indexer-http",
        "PATCH /apis/apps/v1/namespaces/context-engine/deployments/mcp-indexer-http",
      ],
      "stages foundation, store, init, core; llama.cpp skipped, no ingress",
    );
    for (const w of writes) {
      assert.equal(w.contentType, "application/apply-patch+yaml");
      assert.equal(w.query.fieldManager, "context-engine");
      assert.equal(w.query.force, "true");
    }
    const indexer = writes.at(-1)!.body as KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    assert.equal(indexer.spec.template.spec.containers[0].image, "registry.example.com/team/context-engine:1.2.3", "project image from the settings");
    const qdrant = writes.find((w) => w.path.endsWith("/qdrant"))!.body as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    assert.equal(qdrant.spec.template.spec.containers[0].image, "qdrant/qdrant:v1.15.0", "third-party images untouched");
    assert.deepEqual(r.waited, ["qdrant", "init-collection", "mcp-indexer-http"]);
    const job = writes.find((w) => w.path.endsWith("/jobs/init-collection"))!.body as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    assert.equal(job.spec.template.spec.containers[0].image, "registry.example.com/team/context-engine:1.2.3", "bare context-engine:latest gets the registry too");
    // Each wait comes right after its stage was applied: qdrant is ready before the Job is sent.
    const order = stub.requests.map((q) => `${q.method} ${q.path}`);
    assert.ok(order.lastIndexOf("GET /apis/apps/v1/namespaces/context-engine/statefulsets/qdrant") < order.indexOf("PATCH /apis/batch/v1/namespaces/context-engine/jobs/init-collection"));
    assert.ok(order.lastIndexOf("GET /apis/batch/v1/namespaces/context-engine/jobs/init-collection") < order.indexOf("PATCH /apis/apps/v1/namespaces/context-engine/deployments/mcp-indexer-http"));
    assert.equal(steps.at(-1)!.index, steps.at(-1)!.total);
  });

  test("a second deploy sends the same applies and changes nothing", async () => {
    await deploy(api, bundle, opts, fast);
    const firstBodies = stub.writes().map((w) => JSON.stringify(w.body));
    const versions = new Map([...stub.objects].map(([k, o]) => [k, o.metadata.resourceVersion]));
    stub.requests.length = 0;
    await deploy(api, bundle, opts, fast);
    assert.deepEqual(stub.writes().map((w) => JSON.stringify(w.body)), firstBodies);
    assert.ok(stub.writes().every((w) => w.method === "PATCH"), "no create, replace or delete");
    for (const [k, o] of stub.objects) if (versions.has(k)) assert.equal(o.metadata.resourceVersion, versions.get(k), `${k} unchanged`);
  });

  test("with a token, the Secret context-engine-secrets carries it and goes with the foundation", async () => {
    await deploy(api, bundle, opts, fast, "s3cret");
    const writes = stub.writes().map((w) => w.path);
    const at = writes.indexOf("/api/v1/namespaces/context-engine/secrets/context-engine-secrets");
    assert.ok(at > 0 && at < writes.indexOf("/apis/apps/v1/namespaces/context-engine/statefulsets/qdrant"), writes.join("\n"));
    const body = stub.writes()[at].body as { data: Record<string, string> };
    assert.deepEqual(body.data, { CONTEXT_ENGINE_TOKEN: Buffer.from("s3cret").toString("base64") });
  });

  test("a Job whose pod template changed is deleted and applied again (the template is immutable)", async () => {
    await deploy(api, bundle, opts, fast);
    stub.requests.length = 0;
    await deploy(api, bundle, { ...opts, imageTag: "1.2.4" }, fast);
    const job = stub.requests.filter((q) => q.path.endsWith("/jobs/init-collection")).map((q) => q.method);
    assert.deepEqual(job.slice(0, 4), ["PATCH", "DELETE", "GET", "PATCH"], job.join(" "));
    await deploy(api, bundle, opts, fast);
  });

  test("waits until each workload reports its replicas ready", async () => {
    stub.rolloutAfterReads = 4;
    const waits: string[] = [];
    await deploy(api, bundle, opts, { ...fast, onStep: (s) => waits.push(s.message) });
    assert.equal(stub.readsOf("/apis/apps/v1/namespaces/context-engine/deployments/mcp-indexer-http"), 5, "read until the fifth answer said ready");
    assert.equal(stub.readsOf("/apis/apps/v1/namespaces/context-engine/statefulsets/qdrant"), 5);
    assert.ok(waits.some((m) => /Waiting for Deployment mcp-indexer-http to roll out \(0\/1 ready\)/.test(m)), waits.join("\n"));
  });

  test("an image that cannot be pulled ends the wait with what to check", async () => {
    stub.rolloutAfterReads = 1_000_000;
    stub.pods = [
      {
        metadata: { name: "qdrant-0", namespace: NS, labels: { app: "qdrant" } },
        status: {
          phase: "Pending",
          containerStatuses: [{ name: "qdrant", image: "qdrant/qdrant:v1.15.0", restartCount: 0, ready: false, imageID: "", state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } } }],
        },
      },
    ];
    await assert.rejects(deploy(api, bundle, opts, fast), (e: Error) => {
      assert.match(e.message, /StatefulSet qdrant cannot roll out/);
      assert.match(e.message, /the cluster cannot pull qdrant\/qdrant:v1\.15\.0: push it to a registry the cluster can reach and set contextEngine\.image\.registry/i);
      assert.match(e.message, /ImagePullBackOff: Back-off pulling image/);
      return true;
    });
  });

  test("the project's image that no node can pull is named in words, not left to the timeout", async () => {
    const pulled = `registry.example.com/team/context-engine:1.2.3`;
    stub.pods = [
      {
        metadata: { name: "mcp-indexer-http-7d9f-abc", namespace: NS, labels: { app: "mcp-indexer-http" } },
        status: {
          phase: "Pending",
          containerStatuses: [{ name: "main", image: pulled, restartCount: 0, ready: false, imageID: "", state: { waiting: { reason: "ErrImagePull", message: `rpc error: failed to pull and unpack image "${pulled}": not found` } } }],
        },
      },
    ];
    await assert.rejects(deploy(api, bundle, opts, fast), (e: Error) => {
      assert.match(e.message, /Deployment mcp-indexer-http cannot roll out/);
      assert.doesNotMatch(e.message, /did not roll out within/, "said on the pod's state, not after the rollout timeout");
      assert.ok(e.message.toLowerCase().includes(`the cluster cannot pull ${pulled}: push it to a registry the cluster can reach and set contextengine.image.registry`), e.message);
      return true;
    });
    // The apply went out with the configured registry and tag: that is the image the nodes tried.
    const applied = stub.writes().find((w) => w.path.endsWith("/deployments/mcp-indexer-http"))!.body as KubeObject;
    assert.equal((applied.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image, pulled);
  });

  test("a rollout that never completes times out with the state it was stuck in", async () => {
    stub.rolloutAfterReads = 1_000_000;
    await assert.rejects(deploy(api, bundle, opts, { pollMs: 1, rolloutTimeoutMs: 20 }), /StatefulSet qdrant did not roll out within 0 s \(0\/1 ready\).*rolloutTimeoutSeconds/);
  });

  test("a forbidden apply names the verb, the resource and the namespace", async () => {
    stub.forbid("PATCH", /\/deployments\/mcp-indexer-http$/);
    try {
      await assert.rejects(deploy(api, bundle, opts, fast), (e: Error) => {
        assert.match(e.message, /^Forbidden: you may not patch Deployment "mcp-indexer-http" in namespace context-engine \(API group "apps"\)/);
        assert.match(e.message, /Missing permission: verb "patch" on resource "deployments" in namespace context-engine/);
        assert.match(e.message, /User "dev" cannot patch resource "deployments"/);
        return true;
      });
    } finally {
      (stub as unknown as { forbidden: unknown[] }).forbidden.length = 0;
    }
  });

  test("a missing object is reported as not deployed, with the command to run", async () => {
    await assert.rejects(resolvePod(api, { namespace: NS, service: "no-such-service", port: 1 }), /^ClusterError|Not found: Service "no-such-service" in namespace context-engine does not exist on stub .*Deploy Context Engine/);
  });

  test("an unreachable cluster and a missing kubeconfig say what to do", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ce-kube-"));
    assert.throws(() => loadKubeConfig({ path: path.join(dir, "nope") }), /No kubeconfig found .*contextEngine\.kubeconfig/);
    const dead = path.join(dir, "dead");
    writeFileSync(dead, stub.kubeconfigYaml().replace(stub.url, "http://127.0.0.1:1"));
    const deadApi = new ClusterApi(loadKubeConfig({ path: dead }));
    await assert.rejects(deploy(deadApi, bundle, opts, fast), /Cannot reach the Kubernetes API server of stub \(http:\/\/127\.0\.0\.1:1\) \(ECONNREFUSED\)/);
  });
});

describe("watcher provisioning", () => {
  test("watcher-<repo> is applied from the template with the repo's labels, env and volume subPath", async () => {
    await ensureWatcher(api, bundle.watcherTemplate, "my-service", opts);
    const w = stub.writes().at(-1)!;
    assert.equal(w.path, "/apis/apps/v1/namespaces/context-engine/deployments/watcher-my-service");
    assert.equal(w.contentType, "application/apply-patch+yaml");
    assert.equal(w.query.fieldManager, "context-engine");
    const d = w.body as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: Array<{ image: string; args: string[]; env: Array<{ name: string; value: string }>; volumeMounts: Array<{ subPath: string; mountPath: string }> }> } } };
    };
    assert.equal(d.metadata.name, "watcher-my-service");
    assert.deepEqual(d.metadata.labels, { app: "watcher", "context-engine/repo": "my-service" });
    assert.deepEqual(d.spec.selector.matchLabels, { app: "watcher", "context-engine/repo": "my-service" });
    assert.deepEqual(d.spec.template.metadata.labels, { app: "watcher", "context-engine/repo": "my-service" });
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(c.env, [
      { name: "WATCH_ROOT", value: "/work" },
      { name: "REPO_NAME", value: "my-service" },
    ]);
    assert.deepEqual(c.volumeMounts, [{ name: "repos", mountPath: "/work", subPath: "my-service" }]);
    assert.deepEqual(c.args, ["watch", "--root", "/work", "--repo", "my-service"]);
    assert.equal(c.image, "registry.example.com/team/context-engine:1.2.3");
    assert.equal(d.spec.template.spec.serviceAccountName, "context-engine");
  });

  test("an invalid repo name is refused before anything is sent", async () => {
    await assert.rejects(ensureWatcher(api, bundle.watcherTemplate, "My_Repo", opts), /not a valid repo name.*contextEngine\.repoName/);
    assert.equal(stub.writes().length, 0);
  });
});

describe("Undeploy", () => {
  test("deletes watchers and the base in reverse order, keeping volumes and the namespace unless asked", async () => {
    await deploy(api, bundle, opts, fast, "token");
    await ensureWatcher(api, bundle.watcherTemplate, "my-service", opts);
    stub.requests.length = 0;
    const r = await undeploy(api, bundle, opts, { deleteVolumes: false });
    const deletes = stub.writes().map((w) => `${w.method} ${w.path}`);
    assert.deepEqual(deletes, [
      "DELETE /apis/apps/v1/namespaces/context-engine/deployments/watcher-my-service",
      "DELETE /apis/networking.k8s.io/v1/namespaces/context-engine/ingresses/context-engine",
      "DELETE /apis/apps/v1/namespaces/context-engine/deployments/llamacpp",
      "DELETE /apis/apps/v1/namespaces/context-engine/deployments/mcp-indexer-http",
      "DELETE /api/v1/namespaces/context-engine/services/mcp-indexer-http",
      "DELETE /apis/batch/v1/namespaces/context-engine/jobs/init-collection",
      "DELETE /apis/apps/v1/namespaces/context-engine/statefulsets/qdrant",
      "DELETE /api/v1/namespaces/context-engine/configmaps/context-engine-config",
      "DELETE /api/v1/namespaces/context-engine/secrets/context-engine-secrets",
      "DELETE /api/v1/namespaces/context-engine/serviceaccounts/context-engine",
    ]);
    assert.ok(deletes[0].endsWith("/deployments/watcher-my-service"), "watchers first");
    assert.ok(!deletes.some((d) => d.includes("persistentvolumeclaims") || d.endsWith("/namespaces/context-engine")), "volumes and namespace kept");
    assert.ok(r.kept.includes("PersistentVolumeClaim context-engine/repos-storage"));
    assert.equal(r.deleted.length, 8, r.deleted.join(", "));
    assert.ok(r.deleted.includes("Secret context-engine/context-engine-secrets"), "the token Secret goes too");
    const after = await undeploy(api, bundle, opts, { deleteVolumes: true });
    assert.deepEqual(after.deleted, ["PersistentVolumeClaim context-engine/repos-storage", "Namespace context-engine"], "second run only removes what was kept");
  });
});

describe("port-forward to the MCP server", () => {
  let mcpHttp: http.Server;
  let mcpPort: number;

  before(async () => {
    mcpHttp = http.createServer(async (req, res) => {
      const server = new McpServer({ name: "indexer-under-test", version: "0.0.0" });
      server.registerTool(
        "repo_search",
        { description: "search", inputSchema: { query: z.string(), limit: z.number().optional() }, outputSchema: { results: z.array(z.any()) } },
        async ({ query }) => {
          const results = [{ path: "src/app.ts", repo: "my-service", start_line: 3, end_line: 9, symbol: "start", symbol_path: "App.start", language: "typescript", kind: "code", score: 1, why: [`lexical: ${query}`], components: {}, snippet: "   3 | start() {" }];
          return { content: [{ type: "text", text: JSON.stringify({ results }) }], structuredContent: { results } };
        },
      );
      server.registerTool("qdrant_status", { description: "status" }, async () => ({ content: [{ type: "text", text: JSON.stringify({ status: "watching", files_done: 3, files_total: 3, points: 42 }) }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => mcpHttp.listen(0, "127.0.0.1", r));
    mcpPort = (mcpHttp.address() as net.AddressInfo).port;
  });

  after(async () => {
    mcpHttp.closeAllConnections();
    await new Promise<void>((r) => mcpHttp.close(() => r()));
  });

  test("the MCP SDK client lists tools and searches through the forwarded port (v4.channel.k8s.io)", async () => {
    await deploy(api, bundle, opts, fast);
    stub.pods = [
      { ...readyPod("mcp-indexer-http-old", NS, { app: "mcp-indexer-http" }, 8003), status: { phase: "Running", conditions: [{ type: "Ready", status: "False" }] } },
      readyPod("mcp-indexer-http-7d9f", NS, { app: "mcp-indexer-http" }, 8003),
    ];
    stub.podPorts.set("mcp-indexer-http-7d9f", mcpPort);
    const forward = new ServicePortForward(api, api.kc, { namespace: NS, service: "mcp-indexer-http", port: 8003 }, silentLogger);
    const local = await forward.start();
    const client = new IndexerClient(() => ({ url: `http://127.0.0.1:${local}/mcp` }), silentLogger);
    try {
      assert.deepEqual((await client.listTools()).sort(), ["qdrant_status", "repo_search"]);
      const { results } = await client.search("start the app", { repo: "my-service" });
      assert.equal(results[0].path, "src/app.ts");
      assert.deepEqual(results[0].why, ["lexical: start the app"]);
      const st = await client.status();
      assert.equal(st.state, "watching");
      assert.equal(st.points, 42);
      assert.ok(stub.portForwards.length >= 1);
      assert.ok(stub.portForwards.every((p) => p.pod === "mcp-indexer-http-7d9f" && p.port === 8003 && p.protocol === "v4.channel.k8s.io"), JSON.stringify(stub.portForwards));
    } finally {
      await client.close();
      forward.dispose();
    }
  });

  test("a restarted pod is picked up by the next connection", async () => {
    stub.pods = [readyPod("mcp-indexer-http-a", NS, { app: "mcp-indexer-http" }, 8003)];
    stub.podPorts.set("mcp-indexer-http-a", mcpPort);
    const forward = new ServicePortForward(api, api.kc, { namespace: NS, service: "mcp-indexer-http", port: 8003 }, silentLogger);
    const local = await forward.start();
    const client = new IndexerClient(() => ({ url: `http://127.0.0.1:${local}/mcp` }), silentLogger);
    try {
      await client.listTools();
      // The pod is replaced: the old one is gone, its tunnel fails, a new ready pod serves the same Service.
      stub.pods = [readyPod("mcp-indexer-http-b", NS, { app: "mcp-indexer-http" }, 8003)];
      stub.podPorts.delete("mcp-indexer-http-a");
      stub.podPorts.set("mcp-indexer-http-b", mcpPort);
      await client.close();
      const { results } = await client.search("again");
      assert.equal(results.length, 1);
      assert.ok(stub.portForwards.some((p) => p.pod === "mcp-indexer-http-b"));
    } finally {
      await client.close();
      forward.dispose();
    }
  });
});

describe("a cluster session as the extension opens it", () => {
  test("forwards indexer, memory and uploader; the workspace syncs through the tunnel to the real uploader", async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), "ce-session-"));
    const reposDir = path.join(base, "repos");
    const root = path.join(base, "ws");
    mkdirSync(reposDir);
    mkdirSync(path.join(root, "src"), { recursive: true });
    writeFileSync(path.join(root, "src/main.ts"), "export const main = () => 'hello';\n".repeat(2000));
    const uploader = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir, log: serverSilent });
    const mcp = http.createServer(async (req, res) => {
      const server = new McpServer({ name: "t", version: "0" });
      server.registerTool("qdrant_status", { description: "s" }, async () => ({ content: [{ type: "text", text: '{"status":"watching"}' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => mcp.listen(0, "127.0.0.1", r));
    const mcpPort = (mcp.address() as net.AddressInfo).port;
    for (const [name, port] of [["mcp-indexer-http", 8003], ["mcp-memory-http", 8002], ["uploader", 8004]] as const) {
      await api.apply({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ name: "http", port, targetPort: "http" }] } });
    }
    stub.pods = [readyPod("indexer-1", NS, { app: "mcp-indexer-http" }, 8003), readyPod("memory-1", NS, { app: "mcp-memory-http" }, 8002), readyPod("uploader-1", NS, { app: "uploader" }, 8004)];
    stub.podPorts.set("indexer-1", mcpPort);
    stub.podPorts.set("memory-1", mcpPort);
    stub.podPorts.set("uploader-1", uploader.port);
    const session = openClusterSession({ path: kubeconfigFile, ...opts, rolloutTimeoutSeconds: 10 }, path.join(base, "no-manifests.json"), silentLogger);
    try {
      const ports = await session.forward();
      assert.equal(new Set([ports.indexer, ports.memory, ports.uploader]).size, 3, "three distinct local ports");
      const client = new IndexerClient(() => ({ url: `http://127.0.0.1:${ports.memory}/mcp` }), silentLogger);
      assert.equal((await client.status()).state, "watching");
      await client.close();
      const scanner = new WorkspaceScanner(root, new IgnoreRules(root), silentLogger);
      const sync = new DeltaSyncClient(() => ({ baseUrl: `http://127.0.0.1:${ports.uploader}` }), "my-service", scanner, silentLogger);
      const r = await sync.syncAll();
      assert.equal(r.uploaded, 1);
      assert.equal(readFileSync(path.join(reposDir, "my-service/src/main.ts"), "utf8"), readFileSync(path.join(root, "src/main.ts"), "utf8"));
      // Ports are kept across a reconnect when they are still free.
      const again = await session.forward(ports);
      assert.deepEqual(again, ports);
      assert.ok(existsSync(path.join(reposDir, "my-service")));
    } finally {
      session.dispose();
      mcp.closeAllConnections();
      await new Promise<void>((r) => mcp.close(() => r()));
      await uploader.close();
    }
  });
});
