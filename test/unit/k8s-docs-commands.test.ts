// The commands shown in k8s/README.md and in the user's deployment guide (../shared/seed/kubernetes-deployment-
// guide.md), checked against what k8s/ builds, as far as that is possible without a cluster: make targets exist,
// deploy.sh accepts the flags, and every Deployment, Service, StatefulSet pod, container, label, port and
// path a kubectl command names is there in the rendered manifests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { K8S_DIR, WATCHER_TEMPLATE, containersOf, kubectlAvailable, readBaseFiles, readYamlFile, renderKustomization, workloads, type K8sObject } from "../../k8s/local/manifests.ts";
import { watcherFor } from "../../k8s/local/layout.ts";

const ROOT = path.resolve(K8S_DIR, "..");
const GUIDE = path.resolve(ROOT, "../shared/seed/kubernetes-deployment-guide.md");
const HAS_KUBECTL = kubectlAvailable();

/** Shell lines of the ```bash blocks, continuation lines joined, comments and prompts dropped. */
function shellCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)) {
    const joined = block[1].replace(/\\\n\s*/g, " ");
    for (const raw of joined.split("\n")) {
      const line = raw.replace(/^\s+/, "").replace(/\s+#\s.*$/, "").trim();
      if (line && !line.startsWith("#")) out.push(line);
    }
  }
  return out;
}

const objects: K8sObject[] = [...(HAS_KUBECTL ? renderKustomization(K8S_DIR) : readBaseFiles()), ...readYamlFile(WATCHER_TEMPLATE)];
const makeTargets = new Set([...readFileSync(path.join(K8S_DIR, "Makefile"), "utf8").matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]));

/** The pod template behind `deployment/x`, `statefulset/x`, `x-0` or `svc/x`; watcher-<repo> from the template. */
function podFor(ref: string): { template: K8sObject; name: string } | undefined {
  // The guide writes `uploader-pod` for "the uploader's pod".
  const [kind, name] = ref.includes("/") ? ref.split("/") : ref.endsWith("-pod") ? ["deployment", ref.slice(0, -4)] : ["pod", ref];
  if (kind === "deployment" && name.startsWith("watcher-")) {
    const w = watcherFor(readYamlFile(WATCHER_TEMPLATE)[0], name.slice("watcher-".length));
    return { template: w.spec.template, name };
  }
  const wanted = kind === "deployment" ? "Deployment" : kind === "statefulset" ? "StatefulSet" : kind === "pod" ? "StatefulSet" : undefined;
  const podName = kind === "pod" ? name.replace(/-\d+$/, "") : name;
  const w = workloads(objects).find((x) => x.obj.kind === wanted && x.obj.metadata.name === podName);
  return w && { template: w.template, name };
}

function defaultContainer(template: K8sObject, explicit?: string) {
  const name = explicit ?? template.metadata.annotations?.["kubectl.kubernetes.io/default-container"];
  const cs = containersOf(template, false);
  return name ? cs.find((c) => c.name === name) : cs[0];
}

function service(name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === "Service" && o.metadata.name === name);
}

/** Problems with one command line; an empty list when everything it names exists. */
function check(line: string, docDir: string): string[] {
  const problems: string[] = [];
  const words = line.split(/\s+/);
  if (/<[a-z-]+>/.test(line)) return problems; // placeholders the reader fills in (<pod-name>, <node-ip>)

  if (words[0] === "make") {
    for (const w of words.slice(1).filter((x) => !x.includes("=") && !x.startsWith("-") && x !== "&")) if (!makeTargets.has(w)) problems.push(`make target ${w}`);
  }
  if (words[0] === "./deploy.sh" && HAS_KUBECTL) {
    const r = spawnSync("bash", [path.join(K8S_DIR, "deploy.sh"), ...words.slice(1), "--dry-run"], { encoding: "utf8" });
    for (const kept of r.stdout.matchAll(/kept for inspection: (\S+)/g)) spawnSync("rm", ["-rf", kept[1]]);
    if (r.status !== 0) problems.push(`deploy.sh refuses it: ${r.stderr.trim()}`);
  }
  if (words[0] === "python" || words[0] === "python3") {
    if (!existsSync(path.join(docDir, words[1]))) problems.push(`no ${words[1]} beside ${docDir}`);
  }
  if (words[0] === "cp" && words[1].endsWith(".yaml") && !existsSync(path.join(docDir, words[1]))) problems.push(`no ${words[1]}`);
  if (words[0] === "docker" && words[1] === "build" && !existsSync(path.join(ROOT, "Dockerfile"))) problems.push("no Dockerfile at the root");
  if (/kubectl apply -k \.|kustomize build \./.test(line) && !existsSync(path.join(docDir, "kustomization.yaml"))) problems.push("no kustomization.yaml");

  if (words[0] === "curl") {
    for (const m of line.matchAll(/http:\/\/([a-z0-9-]+):(\d+)/g)) {
      if (m[1] !== "localhost" && !service(m[1])?.spec.ports.some((p: { port: number }) => p.port === Number(m[2]))) problems.push(`no Service ${m[1]}:${m[2]}`);
    }
  }
  if (words[0] !== "kubectl") return problems;
  const verb = words.find((w, i) => i > 0 && !w.startsWith("-") && words[i - 1] !== "-n" && words[i - 1] !== "-c" && words[i - 1] !== "-l");
  const container = words.includes("-c") ? words[words.indexOf("-c") + 1] : undefined;
  const label = words.includes("-l") ? words[words.indexOf("-l") + 1] : undefined;
  if (label && !label.startsWith("app.kubernetes.io/part-of")) {
    const [k, v] = label.split("=");
    if (!workloads(objects).some((w) => w.template.metadata.labels?.[k] === v)) problems.push(`no pods labelled ${label}`);
  }
  for (const ref of words.filter((w) => /^(deployment|statefulset)\/[a-z0-9-]+$/.test(w))) if (!podFor(ref)) problems.push(`no ${ref}`);
  for (const ref of words.filter((w) => /^svc\/[a-z0-9-]+$/.test(w))) {
    const svc = service(ref.slice(4));
    if (!svc) problems.push(`no ${ref}`);
    const fwd = words.find((w) => /^\d+:\d+$/.test(w));
    if (svc && fwd && !svc.spec.ports.some((p: { port: number }) => p.port === Number(fwd.split(":")[1]))) problems.push(`${ref} has no port ${fwd.split(":")[1]}`);
  }
  if (verb === "exec" || verb === "cp") {
    const target = words.find((w) => /^(deployment|statefulset)\/|^[a-z0-9-]+-\d+$/.test(w)) ?? words.find((w) => /^[a-z0-9-]+\/[a-z0-9-]+-(\d+|pod):/.test(w))?.split("/")[1].split(":")[0];
    const pod = target ? podFor(target) : undefined;
    if (!pod) {
      problems.push(`cannot tell which pod ${verb} runs in`);
      return problems;
    }
    const c = defaultContainer(pod.template, container);
    if (!c) return [...problems, `no container ${container ?? "(default)"} in ${target}`];
    if (verb === "exec") {
      const program = words[words.indexOf("--") + 1];
      if (program === "curl" && c.image?.startsWith("qdrant/")) problems.push(`curl runs in the Qdrant image, which has none (${target})`);
      for (const m of line.matchAll(/http:\/\/([a-z0-9-]+):(\d+)/g)) {
        const [, host, port] = m;
        if (host === "localhost") {
          const declared = containersOf(pod.template, false).flatMap((x) => (x.ports ?? []).map((p: { containerPort: number }) => p.containerPort));
          if (!declared.includes(Number(port))) problems.push(`nothing in ${target} listens on ${port}`);
        } else if (!service(host)?.spec.ports.some((p: { port: number }) => p.port === Number(port))) problems.push(`no Service ${host}:${port}`);
      }
      for (const m of line.matchAll(/\s(\/(?:repos|qdrant)\/[^\s'"]*)/g)) {
        if (!(c.volumeMounts ?? []).some((v: { mountPath: string }) => m[1] === v.mountPath || m[1].startsWith(v.mountPath + "/"))) problems.push(`${m[1]} is not mounted in ${target}/${c.name}`);
      }
    } else {
      const remote = words.find((w) => w.includes(":/"))!.split(":")[1];
      if (!(c.volumeMounts ?? []).some((v: { mountPath: string }) => remote === v.mountPath || remote.startsWith(v.mountPath + "/"))) problems.push(`${remote} is not on a volume of ${target}/${c.name}`);
    }
  }
  return problems;
}

function checkDocument(file: string, docDir: string) {
  const lines = shellCommands(readFileSync(file, "utf8"));
  assert.ok(lines.length > 20, `${file}: only ${lines.length} commands found`);
  const problems = lines.flatMap((l) => check(l, docDir).map((p) => `${l}\n    -> ${p}`));
  assert.deepEqual(problems, []);
}

describe("documented commands against the manifests", () => {
  test("the checker finds what is wrong (it is not a no-op)", () => {
    assert.deepEqual(check("make deploy-everything", K8S_DIR), ["make target deploy-everything"]);
    assert.match(check("kubectl logs -f -n context-engine deployment/mcp-memroy", K8S_DIR).join(), /no deployment\/mcp-memroy/);
    assert.match(check("kubectl exec -n context-engine deployment/mcp-memory -- curl -f http://localhost:18001/health", K8S_DIR).join(), /nothing in deployment\/mcp-memory listens on 18001/);
    assert.match(check("kubectl exec -n context-engine qdrant-0 -c qdrant -- curl -f http://localhost:6333/readyz", K8S_DIR).join(), /Qdrant image/);
    assert.match(check("kubectl port-forward -n context-engine svc/mcp-indexer 8002:8002", K8S_DIR).join(), /has no port 8002/);
    assert.match(check("kubectl exec -n context-engine deployment/watcher-backend -- ls -la /repos/other", K8S_DIR).join(), /not mounted/);
    assert.match(check("curl http://indexer-mcp:8001/sse", K8S_DIR).join(), /no Service indexer-mcp:8001/);
    assert.deepEqual(check("curl http://indexer-mcp-service:8001/sse", K8S_DIR), []);
  });

  test("every command of k8s/README.md names things that exist", () => checkDocument(path.join(K8S_DIR, "README.md"), K8S_DIR));

  test("every command of the user's deployment guide names things that exist", { skip: existsSync(GUIDE) ? false : `no guide at ${GUIDE}` }, () => checkDocument(GUIDE, K8S_DIR));
});
