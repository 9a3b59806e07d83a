// k8s/deploy.sh and k8s/Makefile, without a cluster: `--dry-run` prints the exact kubectl commands of each flag
// combination, `--render` shows what would be applied (image overrides, skipped parts, namespace), the plain
// mode's sed pipelines produce the same substitutions, and the Makefile drives the script.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { K8S_DIR, containersOf, kubectlAvailable, parseObjects, readYamlFile, validateObject, workloads, type K8sObject } from "../../k8s/local/manifests.ts";

const DEPLOY = path.join(K8S_DIR, "deploy.sh");
const HAS_KUBECTL = kubectlAvailable();
if (!HAS_KUBECTL) console.error("\n!!! kubectl is not on PATH: deploy.sh cannot run; its tests are SKIPPED !!!\n");
const skip = HAS_KUBECTL ? false : "kubectl is not installed (deploy.sh renders with it)";

const keptDirs: string[] = [];
after(() => {
  for (const d of keptDirs) rmSync(d, { recursive: true, force: true });
});

function deploy(...args: string[]) {
  const r = spawnSync("bash", [DEPLOY, ...args], { encoding: "utf8", cwd: "/" });
  const work = /kept for inspection: (\S+)/.exec(r.stdout)?.[1];
  if (work) keptDirs.push(work);
  // The commands, with the run's temporary folder written as $WORK.
  const commands = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("+ "))
    .map((l) => (work ? l.split(work).join("$WORK") : l).slice(2));
  return { ...r, work, commands };
}

const B = path.join(K8S_DIR, "base");
/** deploy.sh's Qdrant API key step: read the key; create the Secret only when it has none (never printed). */
const qdrantKey = (ns: string) => [
  `kubectl -n ${ns} get secret context-engine-secrets -o jsonpath={.data.QDRANT_API_KEY}`,
  `kubectl -n ${ns} create secret generic context-engine-secrets --from-literal=QDRANT_API_KEY=<generated> --dry-run=client -o yaml | kubectl apply -f -   # only when the key is missing`,
];
const dropLlama = (ns: string) => `kubectl -n ${ns} delete deployment,service,ingress -l app.kubernetes.io/name=llamacpp,app.kubernetes.io/part-of=context-engine --ignore-not-found`;
const dropIngress = (ns: string) => `kubectl -n ${ns} delete ingress -l app.kubernetes.io/part-of=context-engine --ignore-not-found`;
const waitCore = (ns: string) => ["mcp-memory", "mcp-memory-http", "mcp-indexer", "mcp-indexer-http", "uploader"].map((d) => `kubectl -n ${ns} rollout status deployment/${d} --timeout=600s`);

describe("deploy.sh --dry-run prints the exact kubectl commands", { skip }, () => {
  test("--use-kustomize: render once, then apply stage by stage and wait for Qdrant, the init Job, every server and llama.cpp", () => {
    const r = deploy("--use-kustomize", "--dry-run");
    assert.equal(r.status, 0, r.stderr);
    const apply = (stage: string) => `kubectl apply -f $WORK/manifests.yaml -l context-engine/stage=${stage}`;
    assert.deepEqual(r.commands, [
      "kubectl kustomize $WORK > $WORK/manifests.yaml",
      apply("foundation"),
      ...qdrantKey("context-engine"),
      apply("store"),
      "kubectl -n context-engine rollout status statefulset/qdrant --timeout=600s",
      "kubectl -n context-engine delete job init-collection --ignore-not-found",
      apply("init"),
      "kubectl -n context-engine wait --for=condition=complete job/init-collection --timeout=600s",
      apply("core"),
      apply("decoder"),
      ...waitCore("context-engine"),
      "kubectl -n context-engine rollout status deployment/llamacpp --timeout=600s",
      dropIngress("context-engine"),
    ]);
  });

  test("--use-kustomize with every flag: no decoder stage, an ingress stage, the namespace everywhere", () => {
    const r = deploy("--use-kustomize", "--registry", "ghcr.io/acme/context-engine", "--tag", "v1.2.3", "--deploy-ingress", "--skip-llamacpp", "--namespace", "ce-test", "--timeout", "5m", "--dry-run");
    assert.equal(r.status, 0, r.stderr);
    const apply = (stage: string) => `kubectl apply -f $WORK/manifests.yaml -l context-engine/stage=${stage}`;
    assert.deepEqual(r.commands, [
      "kubectl kustomize $WORK > $WORK/manifests.yaml",
      apply("foundation"),
      ...qdrantKey("ce-test"),
      apply("store"),
      "kubectl -n ce-test rollout status statefulset/qdrant --timeout=5m",
      "kubectl -n ce-test delete job init-collection --ignore-not-found",
      apply("init"),
      "kubectl -n ce-test wait --for=condition=complete job/init-collection --timeout=5m",
      apply("core"),
      ...waitCore("ce-test").map((c) => c.replace("600s", "5m")),
      apply("ingress"),
      dropLlama("ce-test"),
    ]);
    // What those label selectors pick from the kept manifests is exactly the rendered set.
    const objects = parseObjects(readFileSync(path.join(r.work!, "manifests.yaml"), "utf8"));
    const stages = new Set(objects.map((o) => o.metadata.labels?.["context-engine/stage"]));
    assert.deepEqual([...stages].sort(), ["core", "foundation", "ingress", "init", "store"]);
  });

  test("plain YAML (no --use-kustomize): the base files in dependency order, image substituted where a container uses it", () => {
    const r = deploy("--dry-run");
    assert.equal(r.status, 0, r.stderr);
    const img = (f: string) => `sed -e 's#image: context-engine:latest#image: ghcr.io/context-engine/context-engine:0.1.0#' ${B}/${f} | kubectl apply -f -`;
    assert.deepEqual(r.commands, [
      `kubectl apply -f ${B}/namespace.yaml`,
      `kubectl apply -f ${B}/configmap.yaml`,
      `kubectl apply -f ${B}/rbac.yaml`,
      `kubectl apply -f ${B}/pvc.yaml`,
      `kubectl apply -f ${B}/networkpolicy.yaml`,
      ...qdrantKey("context-engine"),
      img("qdrant.yaml"),
      "kubectl -n context-engine rollout status statefulset/qdrant --timeout=600s",
      "kubectl -n context-engine delete job init-collection --ignore-not-found",
      img("init-collection-job.yaml"),
      "kubectl -n context-engine wait --for=condition=complete job/init-collection --timeout=600s",
      img("mcp-memory.yaml"),
      img("mcp-memory-http.yaml"),
      img("mcp-indexer.yaml"),
      img("mcp-indexer-http.yaml"),
      `kubectl apply -f ${B}/hpa.yaml`,
      img("uploader.yaml"),
      `kubectl apply -f ${B}/watchers.yaml`,
      `kubectl apply -f ${B}/pdb.yaml`,
      `kubectl apply -f ${B}/llamacpp.yaml`,
      ...waitCore("context-engine"),
      "kubectl -n context-engine rollout status deployment/llamacpp --timeout=600s",
      dropIngress("context-engine"),
    ]);
  });

  test("plain YAML applies every file of the base kustomization exactly once when everything is on", () => {
    const r = deploy("--dry-run", "--deploy-ingress");
    const applied = r.commands.flatMap((c) => /(\S+\.yaml)( \| kubectl apply -f -)?$/.exec(c)?.[1] ?? []).map((f) => path.basename(f));
    const resources = readYamlFile(path.join(B, "kustomization.yaml"))[0].resources as string[];
    assert.deepEqual([...applied].sort(), [...resources].sort());
  });

  test("every flag combination: decoder and ingress stages appear exactly when asked for", () => {
    for (const kustomize of [true, false]) {
      for (const ingress of [true, false]) {
        for (const skipLlama of [true, false]) {
          const args = [...(kustomize ? ["--use-kustomize"] : []), ...(ingress ? ["--deploy-ingress"] : []), ...(skipLlama ? ["--skip-llamacpp"] : []), "--dry-run"];
          const r = deploy(...args);
          assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
          const text = r.commands.join("\n");
          const label = args.join(" ");
          assert.equal(/stage=decoder|llamacpp\.yaml/.test(text), !skipLlama, `${label}: decoder stage`);
          assert.equal(text.includes("delete deployment,service,ingress -l app.kubernetes.io/name=llamacpp"), skipLlama, `${label}: an earlier llama.cpp removed`);
          assert.equal(text.includes("delete ingress -l"), !ingress, `${label}: earlier ingress routes removed`);
          assert.equal(text.includes("rollout status deployment/llamacpp"), !skipLlama, `${label}: decoder wait`);
          assert.equal(/stage=ingress|ingress(-sse|-qdrant)?\.yaml/.test(text), ingress, `${label}: ingress stage`);
          assert.equal(text.includes("ingress-llamacpp.yaml"), !kustomize && ingress && !skipLlama, `${label}: /llamacpp route`);
          assert.ok(text.indexOf("statefulset/qdrant") < text.indexOf("job/init-collection"), `${label}: Qdrant before the init Job`);
          assert.ok(text.indexOf("condition=complete") < text.indexOf("deployment/mcp-memory"), `${label}: init before the servers`);
        }
      }
    }
  });

  test("the plain mode's sed pipelines substitute the image, the namespace and the decoder URL", async () => {
    const r = deploy("--registry", "reg.example.com/team/context-engine", "--tag", "2024.1", "--namespace", "ce-plain", "--skip-llamacpp", "--deploy-ingress", "--dry-run");
    assert.equal(r.status, 0, r.stderr);
    const objects: K8sObject[] = [];
    for (const c of r.commands.filter((x) => x.includes("kubectl apply") && !x.includes("create secret"))) {
      const producer = c.endsWith(" | kubectl apply -f -") ? c.slice(0, -" | kubectl apply -f -".length) : c.replace(/^kubectl apply -f /, "cat ");
      const out = spawnSync("bash", ["-c", producer], { encoding: "utf8" });
      assert.equal(out.status, 0, `${producer}: ${out.stderr}`);
      objects.push(...parseObjects(out.stdout));
    }
    for (const o of objects) {
      await validateObject(o);
      if (o.kind === "Namespace") assert.equal(o.metadata.name, "ce-plain");
      else if (!["PersistentVolume"].includes(o.kind)) assert.equal(o.metadata.namespace, "ce-plain", `${o.kind} ${o.metadata.name}`);
    }
    assertImages(objects, "reg.example.com/team/context-engine:2024.1");
    assert.equal(objects.find((o) => o.kind === "ConfigMap")!.data.LLAMACPP_URL, "");
    assert.equal(objects.filter((o) => o.metadata.name.includes("llamacpp")).length, 0);
  });

  test("bad flags stop with a message and exit 2 before touching anything", () => {
    for (const args of [["--bogus"], ["--tag", "has space"], ["--registry", "UPPER/Case"], ["--namespace", "Bad_NS"], ["--overlay", "dev"], ["--timeout", "soon"], ["--tag"]]) {
      const r = deploy(...args, "--dry-run");
      assert.equal(r.status, 2, args.join(" "));
      assert.match(r.stderr, /deploy\.sh: /);
      assert.deepEqual(r.commands, []);
    }
  });
});

function assertImages(objects: K8sObject[], image: string) {
  const seen = new Set<string>();
  for (const w of workloads(objects)) {
    for (const c of containersOf(w.template)) {
      seen.add(c.image);
      if (/(^|\/)context-engine:/.test(c.image)) assert.equal(c.image, image, `${w.obj.metadata.name}/${c.name}`);
    }
  }
  assert.ok(seen.has(image), `no container uses ${image}`);
  assert.ok(![...seen].some((i) => i.startsWith("context-engine:")), "an unreplaced context-engine image remains");
}

describe("deploy.sh --render: what would be applied", { skip }, () => {
  function render(...args: string[]): K8sObject[] {
    const r = spawnSync("bash", [DEPLOY, "--use-kustomize", "--render", ...args], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return parseObjects(r.stdout);
  }

  test("--registry/--tag reach every context-engine container (the Qdrant tools sidecar too); other images stay", () => {
    const objects = render("--registry", "ghcr.io/acme/context-engine", "--tag", "v9", "--deploy-ingress");
    assertImages(objects, "ghcr.io/acme/context-engine:v9");
    const images = new Set(workloads(objects).flatMap((w) => containersOf(w.template).map((c) => c.image)));
    assert.ok([...images].some((i) => i.startsWith("qdrant/qdrant:")));
    assert.ok([...images].some((i) => i.startsWith("ghcr.io/ggml-org/llama.cpp:")));
    // main routes, one Ingress per SSE route (X-Forwarded-Prefix), Qdrant, llama.cpp
    assert.equal(objects.filter((o) => o.kind === "Ingress").length, 5);
  });

  test("the overrides also reach the dev, prod and strict overlays", () => {
    for (const overlay of ["dev", "prod", "networkpolicy-strict"]) assertImages(render("--overlay", overlay, "--registry", "r.io/ce", "--tag", "t1"), "r.io/ce:t1");
  });

  test("--skip-llamacpp leaves out the decoder and empties LLAMACPP_URL, so context_answer reports no decoder", () => {
    const objects = render("--skip-llamacpp", "--deploy-ingress");
    assert.deepEqual(objects.filter((o) => JSON.stringify(o.metadata).includes("llamacpp")).map((o) => `${o.kind}/${o.metadata.name}`), []);
    assert.equal(objects.find((o) => o.kind === "ConfigMap")!.data.LLAMACPP_URL, "");
    const ing = objects.filter((o) => o.kind === "Ingress");
    assert.deepEqual(ing.map((o) => o.metadata.name).sort(), ["context-engine", "context-engine-qdrant", "context-engine-sse-indexer", "context-engine-sse-memory"]);
  });

  test("a ConfigMap change rolls every workload: its hash is on each pod template", () => {
    const hashes = (objects: K8sObject[]) => workloads(objects).map((w) => w.template.metadata.annotations?.["context-engine/config-hash"]);
    const plain = hashes(render());
    assert.ok(plain.length >= 7 && plain.every((h) => /^[0-9a-f]{16}$/.test(h ?? "")), plain.join(","));
    assert.equal(new Set(plain).size, 1, "one hash for every workload");
    const noDecoder = hashes(render("--skip-llamacpp"));
    assert.notEqual(noDecoder[0], plain[0], "--skip-llamacpp empties LLAMACPP_URL: another ConfigMap, another hash");
  });

  test("without --deploy-ingress there is no Ingress; --namespace moves every object", () => {
    const objects = render("--namespace", "team-a");
    assert.equal(objects.filter((o) => o.kind === "Ingress").length, 0);
    for (const o of objects) {
      if (o.kind === "Namespace") assert.equal(o.metadata.name, "team-a");
      else assert.equal(o.metadata.namespace, "team-a", `${o.kind} ${o.metadata.name}`);
    }
  });
});

describe("Makefile", { skip }, () => {
  const make = (...args: string[]) => spawnSync("make", ["-s", "-C", K8S_DIR, ...args], { encoding: "utf8" });

  test("make deploy and deploy-core call deploy.sh with the guide's flags", () => {
    const all = spawnSync("make", ["-n", "-C", K8S_DIR, "deploy", "REGISTRY=r.io/ce", "TAG=v2"], { encoding: "utf8" });
    assert.match(all.stdout, /\.\/deploy\.sh --use-kustomize --registry r\.io\/ce --tag v2 --namespace context-engine --overlay base --timeout 600s --deploy-ingress/);
    const core = spawnSync("make", ["-n", "-C", K8S_DIR, "deploy-core"], { encoding: "utf8" });
    assert.match(core.stdout, /\.\/deploy\.sh --use-kustomize .*--skip-llamacpp/);
    assert.doesNotMatch(core.stdout, /--deploy-ingress/);
  });

  test("make watcher-manifest REPO=... is the template for that repository, with the image, and it validates", async () => {
    const r = make("watcher-manifest", "REPO=payments-api", "REGISTRY=r.io/ce", "TAG=v3");
    assert.equal(r.status, 0, r.stderr);
    const [d] = parseObjects(r.stdout);
    await validateObject(d);
    assert.equal(d.metadata.name, "watcher-payments-api");
    assert.equal(d.spec.selector.matchLabels["context-engine/repo"], "payments-api");
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.image, "r.io/ce:v3");
    assert.deepEqual(c.env.filter((e: { value?: string }) => e.value).map((e: { value: string }) => e.value), ["/repos/payments-api", "payments-api"]);
    assert.deepEqual(c.volumeMounts[0], { name: "repos", mountPath: "/repos/payments-api", subPath: "payments-api" });
    assert.doesNotMatch(r.stdout.replace(/^#.*$/gm, ""), /backend/);
  });

  test("make watcher refuses a repository name Kubernetes would reject", () => {
    const r = make("watcher-manifest", "REPO=Not_Valid");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /usage: make watcher REPO=/);
  });

  test("make validate renders the base and every overlay", () => {
    const r = make("validate");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").filter((l) => l.startsWith("ok ")).length, 5);
  });
});
