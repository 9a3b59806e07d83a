// components/watcher-admission: the ValidatingAdmissionPolicy that admits, from the extension's users, only the
// watcher Deployments the extension makes. No API server here, so its CEL is evaluated as the API server would
// (variables in order, then each validation) against the watcher the extension renders and against hostile variants.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { evaluate } from "@marcbachmann/cel-js";
import { renderWatcher } from "../../extension/src/cluster/watcher.ts";
import { K8S_DIR, WATCHER_TEMPLATE, readYamlFile, validateObject, type K8sObject } from "../../k8s/local/manifests.ts";

const [policy, binding] = readYamlFile(path.join(K8S_DIR, "components", "watcher-admission", "policy.yaml")) as [K8sObject, K8sObject];
const [imageComponent] = readYamlFile(path.join(K8S_DIR, "components", "image", "kustomization.yaml")) as [K8sObject];
const released = imageComponent.images.find((i: { name: string }) => i.name === "context-engine");
const RELEASED_IMAGE = `${released.newName}:${released.newTag}`;

/** The watcher the extension applies for `repo`: the shipped template with the released image (as render-manifests.mjs gives it). */
function extensionWatcher(repo = "my-repo", registry = ""): K8sObject {
  const [template] = readYamlFile(WATCHER_TEMPLATE) as [K8sObject];
  for (const c of [...(template.spec.template.spec.initContainers ?? []), ...template.spec.template.spec.containers]) {
    if (/^context-engine(:|$)/.test(c.image)) c.image = RELEASED_IMAGE;
  }
  return renderWatcher(template, repo, { namespace: "context-engine", imageRegistry: registry, imageTag: "", skipLlamaCpp: false, deployIngress: false }) as K8sObject;
}

interface Verdict {
  matched: boolean;
  denied: string[];
}

/** What the API server decides for a request: not matched (the policy does not apply), or the messages of failed validations. */
function admit(operation: "CREATE" | "UPDATE" | "DELETE", deployment: K8sObject, groups = ["context-engine:developers", "system:authenticated"]): Verdict {
  const request = { operation, userInfo: { username: "dev", groups } };
  const object = operation === "DELETE" ? null : deployment;
  const oldObject = operation === "CREATE" ? null : deployment;
  const ctx: Record<string, unknown> = { request, object, oldObject };
  if (!policy.spec.matchConditions.every((m: { expression: string }) => evaluate(m.expression, ctx) === true)) return { matched: false, denied: [] };
  const variables: Record<string, unknown> = {};
  ctx.variables = variables;
  for (const v of policy.spec.variables as Array<{ name: string; expression: string }>) variables[v.name] = evaluate(v.expression, ctx);
  const denied = (policy.spec.validations as Array<{ expression: string; message: string }>)
    .filter((v) => evaluate(v.expression, ctx) !== true)
    .map((v) => v.message);
  return { matched: true, denied };
}

const podOf = (d: K8sObject) => d.spec.template.spec;
const watcherContainer = (d: K8sObject) => podOf(d).containers[0];

describe("components/watcher-admission", () => {
  test("the policy and its binding validate against the Kubernetes schemas, and bind to the namespace with Deny", async () => {
    await validateObject(policy);
    await validateObject(binding);
    assert.equal(binding.spec.policyName, policy.metadata.name);
    assert.deepEqual(binding.spec.validationActions, ["Deny"]);
    assert.equal(binding.spec.matchResources.namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "context-engine");
    assert.deepEqual(policy.spec.matchConstraints.resourceRules[0].operations, ["CREATE", "UPDATE", "DELETE"]);
  });

  test("expects the image components/image releases", () => {
    const ctx = { request: {}, object: null, oldObject: null };
    const image = (policy.spec.variables as Array<{ name: string; expression: string }>).find((v) => v.name === "image")!;
    assert.equal(evaluate(image.expression, ctx), released.newName);
  });

  test("admits the watcher the extension creates, changes and removes", () => {
    const w = extensionWatcher();
    for (const op of ["CREATE", "UPDATE", "DELETE"] as const) assert.deepEqual(admit(op, w), { matched: true, denied: [] }, op);
  });

  test("does not apply to anyone outside the extension's group (deploy.sh's administrator)", () => {
    const other = extensionWatcher();
    other.metadata.name = "mcp-indexer";
    assert.deepEqual(admit("CREATE", other, ["system:masters", "system:authenticated"]), { matched: false, denied: [] });
  });

  const hostile: Array<[string, (d: K8sObject) => void, RegExp]> = [
    ["another Deployment's name", (d) => (d.metadata.name = "mcp-indexer"), /only watcher-<repo>/],
    ["another image", (d) => (watcherContainer(d).image = "docker.io/attacker/tool:1"), /Context Engine image/],
    ["an image whose name only starts like the project's", (d) => (watcherContainer(d).image = `${released.newName}-evil:1`), /Context Engine image/],
    ["another image in the init container", (d) => (podOf(d).initContainers[0].image = "busybox:1"), /Context Engine image/],
    ["a shell instead of the watcher", (d) => (watcherContainer(d).command = ["sh", "-c", "cat /proc/self/environ"]), /context-engine watch/],
    ["the project's CLI doing something else", (d) => (watcherContainer(d).args = ["serve", "indexer"]), /context-engine watch/],
    ["an init container running a shell", (d) => (podOf(d).initContainers[0].command = ["sh", "-c", "env"]), /only mkdir/],
    ["every key of the Secret as variables", (d) => (watcherContainer(d).envFrom = [{ secretRef: { name: "context-engine-secrets" } }]), /reads only CONTEXT_ENGINE_TOKEN/],
    ["the token under another variable's name", (d) => watcherContainer(d).env.push({ name: "LOG_LEVEL_X", valueFrom: { secretKeyRef: { name: "context-engine-secrets", key: "CONTEXT_ENGINE_TOKEN" } } }), /reads only/],
    ["another Secret", (d) => watcherContainer(d).env.push({ name: "QDRANT_API_KEY", valueFrom: { secretKeyRef: { name: "cluster-admin-token", key: "QDRANT_API_KEY" } } }), /reads only/],
    ["a Secret volume", (d) => podOf(d).volumes.push({ name: "s", secret: { secretName: "context-engine-secrets" } }), /no Secret, projected volume or host path/],
    ["a host path", (d) => podOf(d).volumes.push({ name: "h", hostPath: { path: "/" } }), /host path/],
    ["a ServiceAccount token", (d) => (podOf(d).automountServiceAccountToken = true), /without its API token/],
    ["another ServiceAccount", (d) => (podOf(d).serviceAccountName = "default"), /ServiceAccount context-engine/],
  ];
  for (const [what, change, message] of hostile) {
    test(`refuses a watcher with ${what}`, () => {
      const d = extensionWatcher();
      change(d);
      const verdict = admit("CREATE", d);
      assert.equal(verdict.matched, true);
      assert.ok(verdict.denied.some((m) => message.test(m)), `${what}: ${JSON.stringify(verdict.denied)}`);
      assert.ok(admit("UPDATE", d).denied.length > 0, `${what}: a patch to it is refused too`);
    });
  }

  test("deleting anything but a watcher is refused", () => {
    const d = extensionWatcher();
    d.metadata.name = "qdrant";
    assert.deepEqual(admit("DELETE", d).denied, ["the extension's users may create, change and delete only watcher-<repo> Deployments"]);
  });
});
