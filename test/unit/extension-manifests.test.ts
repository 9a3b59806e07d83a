// The shipped k8s/ base as the extension applies it: stage order, image override, optional parts, watcher template.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { applyOrder, overrideImage, parseImage, stageOf, stages, tailor, type DeployOptions, type KubeObject } from "../../extension/src/cluster/manifests.ts";
import { renderWatcher } from "../../extension/src/cluster/watcher.ts";
// @ts-expect-error plain ESM build script without types
import { renderManifests } from "../../extension/scripts/render-manifests.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const hasKubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const opts: DeployOptions = { namespace: "context-engine", imageRegistry: "ghcr.io/acme", imageTag: "2.0.0", skipLlamaCpp: false, deployIngress: false };

function images(o: KubeObject): string[] {
  const spec = (o.spec as { template?: { spec?: { containers?: Array<{ image: string }>; initContainers?: Array<{ image: string }> } } })?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image);
}

describe("image override", () => {
  test("a registry prefix or a whole image name replaces the project image only", () => {
    assert.equal(overrideImage("context-engine:latest", "ghcr.io/acme", "1.0"), "ghcr.io/acme/context-engine:1.0");
    assert.equal(overrideImage("context-engine:latest", "ghcr.io/acme/context-engine", ""), "ghcr.io/acme/context-engine:latest");
    assert.equal(overrideImage("context-engine:latest", "", "1.0"), "context-engine:1.0");
    assert.equal(overrideImage("localhost:5000/x/context-engine:0.1", "", ""), "localhost:5000/x/context-engine:0.1");
    assert.equal(overrideImage("qdrant/qdrant:v1.15.4-unprivileged", "ghcr.io/acme", "1.0"), "qdrant/qdrant:v1.15.4-unprivileged");
    assert.deepEqual(parseImage("localhost:5000/context-engine"), { repo: "localhost:5000/context-engine", name: "context-engine", registry: "localhost:5000", tag: "latest" });
  });
});

describe("the shipped k8s/ base", { skip: !hasKubectl || !existsSync(path.join(repoRoot, "k8s/kustomization.yaml")) ? "needs kubectl and k8s/" : false }, () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "ce-manifests-")), "manifests.json");
  const bundle = renderManifests(repoRoot, out) as { objects: KubeObject[]; watcherTemplate: KubeObject };

  test("renders to JSON with every object and the watcher template", () => {
    const written = JSON.parse(readFileSync(out, "utf8")) as { objects: KubeObject[] };
    assert.equal(written.objects.length, bundle.objects.length);
    for (const kind of ["Namespace", "ConfigMap", "StatefulSet", "Deployment", "Service", "Job", "PersistentVolumeClaim"]) {
      assert.ok(bundle.objects.some((o) => o.kind === kind), kind);
    }
    assert.equal(bundle.watcherTemplate.kind, "Deployment");
  });

  test("is applied stage by stage: foundation, store, init, core, decoder", () => {
    const ordered = tailor(bundle.objects, opts);
    assert.deepEqual(stages(ordered).map((s) => s.stage), ["foundation", "store", "init", "core", "decoder"]);
    assert.equal(ordered[0].kind, "Namespace");
    const names = ordered.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(names.indexOf("StatefulSet/qdrant") < names.indexOf("Job/init-collection"));
    assert.ok(names.indexOf("Job/init-collection") < names.indexOf("Deployment/mcp-indexer-http"));
    for (const n of ["Deployment/mcp-indexer-http", "Deployment/mcp-memory-http", "Deployment/uploader", "Service/uploader"]) assert.ok(names.includes(n), n);
    assert.ok(!ordered.some((o) => o.kind === "Ingress"), "no ingress unless asked");
  });

  test("every container of the project image gets the configured registry and tag", () => {
    const ordered = tailor(bundle.objects, opts);
    const all = ordered.flatMap(images);
    assert.ok(all.filter((i) => i === "ghcr.io/acme/context-engine:2.0.0").length >= 6, all.join(", "));
    assert.ok(!all.some((i) => parseImage(i).name === "context-engine" && i !== "ghcr.io/acme/context-engine:2.0.0"));
    assert.ok(all.some((i) => i.startsWith("qdrant/")), "third-party images kept");
  });

  test("skipping llama.cpp drops the decoder stage and clears LLAMACPP_URL; ingress comes when asked", () => {
    const ordered = tailor(bundle.objects, { ...opts, skipLlamaCpp: true, deployIngress: true });
    assert.ok(!ordered.some((o) => /llamacpp/.test(o.metadata.name)), ordered.filter((o) => /llama/.test(o.metadata.name)).map((o) => o.metadata.name).join());
    const cm = ordered.find((o) => o.kind === "ConfigMap") as KubeObject & { data: Record<string, string> };
    if ("LLAMACPP_URL" in cm.data) assert.equal(cm.data.LLAMACPP_URL, "");
    assert.deepEqual(stages(ordered).map((s) => s.stage), ["foundation", "store", "init", "core", "ingress"]);
  });

  test("another namespace moves every namespaced object and the bindings' subjects", () => {
    const ordered = tailor(bundle.objects, { ...opts, namespace: "ce-dev" });
    assert.equal(ordered[0].metadata.name, "ce-dev");
    assert.ok(ordered.filter((o) => o.kind !== "Namespace").every((o) => o.metadata.namespace === "ce-dev"));
    for (const rb of ordered.filter((o) => o.kind === "RoleBinding")) {
      for (const s of (rb.subjects as Array<{ kind: string; namespace?: string }>) ?? []) if (s.kind === "ServiceAccount") assert.equal(s.namespace, "ce-dev");
    }
  });

  test("the watcher template becomes watcher-<repo> watching /repos/<repo>", () => {
    const w = renderWatcher(bundle.watcherTemplate, "my-service", opts) as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: Array<{ image: string; env: Array<{ name: string; value?: string }>; volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>; livenessProbe?: { exec?: { command: string[] } } }> } } };
    };
    assert.equal(w.metadata.name, "watcher-my-service");
    assert.equal(w.metadata.labels?.app, "watcher");
    assert.equal(w.metadata.labels?.["context-engine/repo"], "my-service");
    assert.equal(w.spec.selector.matchLabels["context-engine/repo"], "my-service");
    assert.equal(w.spec.template.metadata.labels["context-engine/repo"], "my-service");
    const c = w.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.equal(env.WATCH_ROOT, "/repos/my-service");
    assert.equal(env.REPO_NAME, "my-service");
    const repos = c.volumeMounts.find((m) => m.name === "repos")!;
    assert.deepEqual(repos, { name: "repos", mountPath: "/repos/my-service", subPath: "my-service" });
    assert.equal(c.image, "ghcr.io/acme/context-engine:2.0.0");
    assert.equal(w.spec.template.spec.serviceAccountName, "context-engine");
    assert.ok(!JSON.stringify(w).includes("backend"), "no trace of the template's repo");
  });

  test("the order is stable: kustomize order within a kind", () => {
    const deployments = applyOrder(bundle.objects).filter((o) => o.kind === "Deployment" && stageOf(o) === "core").map((o) => o.metadata.name);
    const original = bundle.objects.filter((o) => o.kind === "Deployment" && stageOf(o) === "core").map((o) => o.metadata.name);
    assert.deepEqual(deployments, original);
  });
});

test("the watcher template in k8s/ parses as one Deployment", { skip: !existsSync(path.join(repoRoot, "k8s/watcher-backend-deployment.yaml")) }, () => {
  const docs = parseAllDocuments(readFileSync(path.join(repoRoot, "k8s/watcher-backend-deployment.yaml"), "utf8")).map((d) => d.toJS());
  assert.equal(docs.filter((d) => d?.kind === "Deployment").length, 1);
});
