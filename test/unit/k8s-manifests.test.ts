// The Kubernetes deployment (k8s/), validated offline: it renders, every object matches its schema, and the
// objects agree with each other (selectors, ports, probes, config keys, HPA, service account, hardening).
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { SETTINGS_SPEC } from "../../server/src/config/index.ts";
import {
  K8S_DIR,
  WATCHER_TEMPLATE,
  containersOf,
  find,
  get,
  kubectlAvailable,
  matchesSelector,
  readBaseFiles,
  readYamlFile,
  renderKustomization,
  resolvePort,
  serviceSelects,
  validateObject,
  workloads,
  type K8sObject,
} from "../../k8s/local/manifests.ts";

const HAS_KUBECTL = kubectlAvailable();
if (!HAS_KUBECTL) {
  console.error("\n!!! kubectl is not on PATH: the `kubectl kustomize` renderings are SKIPPED; only the base's files are checked !!!\n");
}
const skipNoKubectl = HAS_KUBECTL ? false : "kubectl is not installed: cannot run `kubectl kustomize`";

const RENDERINGS = [".", "base", "overlays/dev", "overlays/prod", "overlays/networkpolicy-strict", "overlays/watcher-admission"];
const rendered = new Map<string, K8sObject[]>();
function render(dir: string): K8sObject[] {
  if (!rendered.has(dir)) rendered.set(dir, HAS_KUBECTL ? renderKustomization(path.join(K8S_DIR, dir)) : readBaseFiles());
  return rendered.get(dir)!;
}
const watcher = () => readYamlFile(WATCHER_TEMPLATE);
/** A rendering plus the watcher template: every check below holds for what a running deployment contains. */
const withWatcher = (dir: string) => [...render(dir), ...watcher()];

const CE_IMAGE = /^context-engine(:|$)/;
const SETTING_KEYS = new Set(Object.values(SETTINGS_SPEC).map((s) => s.key));

describe("k8s manifests render and validate", () => {
  for (const dir of RENDERINGS) {
    test(`kubectl kustomize ${dir} succeeds`, { skip: skipNoKubectl }, () => {
      const objects = render(dir);
      assert.ok(objects.length > 20, `only ${objects.length} objects rendered from ${dir}`);
    });

    test(`every object rendered from ${dir} validates against the Kubernetes schemas`, async () => {
      const errors: string[] = [];
      for (const obj of render(dir)) await validateObject(obj).catch((e: Error) => errors.push(e.message));
      assert.deepEqual(errors, []);
    });
  }

  test("the watcher template validates and is not part of the base", async () => {
    const [d] = watcher();
    await validateObject(d);
    assert.equal(find(render("base"), "Deployment", "watcher-backend"), undefined);
  });

  test("a schema violation is reported (the validator is not a no-op)", async () => {
    const d = structuredClone(get(render("base"), "Deployment", "mcp-memory"));
    d.spec.template.spec.containers[0].ports[0].containerPort = "8000";
    await assert.rejects(validateObject(d), /containerPort/);
  });

  test("a misspelt field is reported as unknown (the schemas alone would accept it)", async () => {
    const d = structuredClone(get(render("base"), "Deployment", "mcp-memory"));
    const c = d.spec.template.spec.containers[0];
    c.readinesProbe = c.readinessProbe;
    c.env[0].valu = "x";
    const err = await validateObject(d).then(() => undefined, (e: Error) => e.message);
    assert.match(err ?? "", /unknown fields .*spec\.template\.spec\.containers\.0\.readinesProbe/);
    assert.match(err ?? "", /unknown fields .*spec\.template\.spec\.containers\.0\.env\.0\.valu/);
  });
});

describe("k8s cross-checks", () => {
  for (const dir of RENDERINGS) {
    test(`${dir}: every Service selects the pods of a workload and targets ports those containers declare`, () => {
      const objects = withWatcher(dir);
      const problems: string[] = [];
      for (const svc of objects.filter((o) => o.kind === "Service")) {
        const pods = workloads(objects).filter((w) => serviceSelects(svc.spec.selector, w.template.metadata.labels));
        if (pods.length === 0) problems.push(`Service ${svc.metadata.name} selects no pod template`);
        for (const p of svc.spec.ports) {
          for (const w of pods) {
            if (resolvePort(containersOf(w.template, false), p.targetPort ?? p.port) === undefined) {
              problems.push(`Service ${svc.metadata.name} port ${p.name}: targetPort ${p.targetPort} not declared by ${w.obj.metadata.name}`);
            }
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: every workload's selector matches its own pod template and no other workload's`, () => {
      const all = workloads(withWatcher(dir)).filter((w) => w.obj.kind !== "Job");
      for (const w of all) {
        assert.ok(matchesSelector(w.template.metadata.labels, w.obj.spec.selector), `${w.obj.metadata.name} selector vs template`);
        for (const other of all) {
          if (other !== w) assert.ok(!matchesSelector(other.template.metadata.labels, w.obj.spec.selector), `${w.obj.metadata.name} also selects ${other.obj.metadata.name}`);
        }
      }
    });

    test(`${dir}: every probe points at a port its container declares`, () => {
      const problems: string[] = [];
      for (const w of workloads(withWatcher(dir))) {
        for (const c of containersOf(w.template)) {
          for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"]) {
            const probe = c[kind];
            const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
            if (port !== undefined && resolvePort([c], port) === undefined) problems.push(`${w.obj.metadata.name}/${c.name} ${kind} port ${port}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: every ConfigMap key used by env exists, and Secrets are optional references (but prod's generated Qdrant key)`, () => {
      const objects = withWatcher(dir);
      const problems: string[] = [];
      for (const w of workloads(objects)) {
        for (const c of containersOf(w.template)) {
          for (const e of c.env ?? []) {
            const cm = e.valueFrom?.configMapKeyRef;
            if (cm) {
              const map = find(objects, "ConfigMap", cm.name);
              if (!map) problems.push(`${w.obj.metadata.name}/${c.name} ${e.name}: no ConfigMap ${cm.name}`);
              else if (!(cm.key in (map.data ?? {}))) problems.push(`${w.obj.metadata.name}/${c.name} ${e.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
            }
            const sec = e.valueFrom?.secretKeyRef;
            // The one required key: QDRANT_API_KEY in prod, which deploy.sh creates when the Secret has none.
            const madeByDeploy = dir.endsWith("prod") && sec?.name === "context-engine-secrets" && sec.key === "QDRANT_API_KEY";
            if (sec && !find(objects, "Secret", sec.name) && sec.optional !== true && !madeByDeploy) problems.push(`${w.obj.metadata.name}/${c.name} ${e.name}: required key of a Secret the deployment does not create`);
          }
          for (const src of c.envFrom ?? []) if (src.configMapRef && !find(objects, "ConfigMap", src.configMapRef.name)) problems.push(`${c.name}: envFrom ${src.configMapRef.name}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: every pod runs as the context-engine ServiceAccount, which exists and mounts no token`, () => {
      const objects = withWatcher(dir);
      const sa = get(objects, "ServiceAccount", "context-engine");
      assert.equal(sa.automountServiceAccountToken, false);
      for (const w of workloads(objects)) {
        assert.equal(w.template.spec.serviceAccountName, "context-engine", w.obj.metadata.name);
        assert.equal(w.template.spec.automountServiceAccountToken, false, w.obj.metadata.name);
      }
    });

    test(`${dir}: every container is non-root, cannot escalate, drops all capabilities, has a read-only root and resources`, () => {
      const problems: string[] = [];
      for (const w of workloads(withWatcher(dir))) {
        const pod = w.template.spec.securityContext ?? {};
        if (pod.runAsNonRoot !== true || !(pod.runAsUser > 0)) problems.push(`${w.obj.metadata.name}: pod not pinned to a non-root uid`);
        if (pod.seccompProfile?.type !== "RuntimeDefault") problems.push(`${w.obj.metadata.name}: no RuntimeDefault seccomp`);
        for (const c of containersOf(w.template)) {
          const s = c.securityContext ?? {};
          const where = `${w.obj.metadata.name}/${c.name}`;
          if (s.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot`);
          if (s.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation`);
          if (s.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem`);
          if (JSON.stringify(s.capabilities?.drop) !== '["ALL"]' || s.capabilities?.add) problems.push(`${where}: capabilities`);
          if (s.privileged) problems.push(`${where}: privileged`);
          for (const r of ["requests", "limits"]) if (!c.resources?.[r]?.cpu || !c.resources?.[r]?.memory) problems.push(`${where}: resources.${r}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: every long-running container has a liveness probe, and every server a readiness probe`, () => {
      const problems: string[] = [];
      for (const w of workloads(withWatcher(dir)).filter((x) => x.obj.kind !== "Job")) {
        for (const c of containersOf(w.template, false)) {
          if (!c.livenessProbe) problems.push(`${w.obj.metadata.name}/${c.name}: no livenessProbe`);
          if ((c.ports ?? []).length > 0 && !c.readinessProbe) problems.push(`${w.obj.metadata.name}/${c.name}: serves ports but has no readinessProbe`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: every object has app.kubernetes.io labels and a deploy stage`, () => {
      const stages = new Set(["foundation", "store", "init", "core", "decoder", "ingress"]);
      const problems: string[] = [];
      for (const o of withWatcher(dir)) {
        const l = o.metadata.labels ?? {};
        if (l["app.kubernetes.io/part-of"] !== "context-engine" || !l["app.kubernetes.io/name"]) problems.push(`${o.kind} ${o.metadata.name}: app.kubernetes.io labels`);
        if (!stages.has(l["context-engine/stage"])) problems.push(`${o.kind} ${o.metadata.name}: stage ${l["context-engine/stage"]}`);
      }
      for (const w of workloads(withWatcher(dir))) {
        const l = w.template.metadata.labels ?? {};
        for (const k of ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app"]) {
          if (!l[k]) problems.push(`${w.obj.metadata.name} pod template: ${k}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`${dir}: the HPA targets an existing Deployment that leaves its replica count to the HPA`, () => {
      const objects = render(dir);
      for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
        const ref = hpa.spec.scaleTargetRef;
        const target = get(objects, ref.kind, ref.name);
        assert.equal(target.apiVersion, ref.apiVersion);
        assert.equal(target.spec.replicas, undefined, `${ref.name} sets replicas, fighting the HPA`);
      }
    });
  }

  test("the env of every context-engine container names only settings the server reads", () => {
    const problems: string[] = [];
    for (const w of workloads(withWatcher("base"))) {
      for (const c of containersOf(w.template).filter((x) => CE_IMAGE.test(x.image) && x.command?.[0] === "context-engine")) {
        for (const e of c.env ?? []) if (!SETTING_KEYS.has(e.name)) problems.push(`${w.obj.metadata.name}/${c.name}: ${e.name}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test("secrets never sit in the ConfigMap", () => {
    const cm = get(render("base"), "ConfigMap", "context-engine-config");
    for (const key of Object.keys(cm.data)) assert.doesNotMatch(key, /TOKEN|API_KEY|PASSWORD|SECRET/, key);
    const tokenUsers = workloads(withWatcher("base")).flatMap((w) => containersOf(w.template)).filter((c) => (c.env ?? []).some((e: { name: string }) => e.name === "CONTEXT_ENGINE_TOKEN"));
    assert.ok(tokenUsers.length >= 5, "the MCP servers and the uploader read CONTEXT_ENGINE_TOKEN");
    for (const c of tokenUsers) {
      const e = c.env.find((x: { name: string }) => x.name === "CONTEXT_ENGINE_TOKEN");
      assert.equal(e.valueFrom?.secretKeyRef?.name, "context-engine-secrets", c.name);
    }
  });
});

describe("k8s: what the deployment guide and DESIGN.md fix", () => {
  const base = () => render("base");

  test("the ConfigMap carries the guide's settings with the guide's values", () => {
    const data = get(base(), "ConfigMap", "context-engine-config").data;
    assert.equal(data.COLLECTION_NAME, "codebase");
    assert.equal(data.EMBEDDING_MODEL, "BAAI/bge-base-en-v1.5");
    assert.equal(data.QDRANT_URL, "http://qdrant:6333");
    assert.equal(data.INDEX_MICRO_CHUNKS, "1");
    assert.equal(data.MAX_MICRO_CHUNKS_PER_FILE, "200");
    assert.equal(data.WATCH_DEBOUNCE_SECS, "1.5");
    assert.equal(data.LLAMACPP_URL, "http://llamacpp:8080");
    assert.match(data.LLAMACPP_MODEL_URL, /^https:\/\/huggingface\.co\/.*Qwen2\.5-1\.5B-Instruct.*q8_0\.gguf$/i);
    assert.equal(data.LLAMACPP_MODEL_NAME, path.posix.basename(data.LLAMACPP_MODEL_URL));
  });

  test("every ConfigMap value passes the server's own settings validation", async () => {
    const { loadSettings } = await import("../../server/src/config/index.ts");
    const data = get(base(), "ConfigMap", "context-engine-config").data;
    const env = Object.fromEntries(Object.entries(data).filter(([k]) => SETTING_KEYS.has(k)));
    assert.ok(Object.keys(env).length >= 10);
    const s = loadSettings(env as Record<string, string>);
    assert.equal(s.qdrantUrl, "http://qdrant:6333");
    assert.equal(s.watchDebounceSecs, 1.5);
  });

  test("Services: names, ports and the guide's NodePorts", () => {
    const ports = (name: string) => get(base(), "Service", name).spec.ports.map((p: { port: number }) => p.port);
    assert.ok(ports("qdrant").includes(6333));
    assert.ok(ports("mcp-memory").includes(8000));
    assert.ok(ports("mcp-indexer").includes(8001));
    assert.ok(ports("mcp-memory-http").includes(8002));
    assert.ok(ports("mcp-indexer-http").includes(8003));
    assert.ok(ports("uploader").includes(8004));
    assert.ok(ports("llamacpp").includes(8080));
    assert.deepEqual(base().filter((o) => o.kind === "Service" && o.spec.type === "NodePort"), [], "no NodePort outside the dev overlay: every node would open Qdrant");
    if (skipNoKubectl) return;
    const nodePorts = Object.fromEntries(
      render("overlays/dev")
        .filter((o) => o.kind === "Service" && o.spec.type === "NodePort")
        .flatMap((s) => s.spec.ports.map((p: { nodePort: number; port: number }) => [p.nodePort, `${s.spec.selector["app.kubernetes.io/name"]}:${p.port}`])),
    );
    assert.deepEqual(nodePorts, { 30333: "qdrant:6333", 30800: "mcp-memory:8000", 30802: "mcp-indexer:8001" });
  });

  test("MCP servers run the CLI contract on their ports; liveness asks the MCP port itself, readiness the health port", () => {
    const expect: Record<string, string[]> = {
      "mcp-memory": ["serve", "memory", "--transport", "sse", "--port", "8000", "--health-port", "18000"],
      "mcp-memory-http": ["serve", "memory", "--transport", "http", "--port", "8002", "--health-port", "18002"],
      "mcp-indexer": ["serve", "indexer", "--transport", "sse", "--port", "8001", "--health-port", "18001", "--root", "/repos"],
      "mcp-indexer-http": ["serve", "indexer", "--transport", "http", "--port", "8003", "--health-port", "18003", "--root", "/repos"],
      uploader: ["serve", "upload", "--port", "8004", "--repos", "/repos"],
    };
    for (const [name, args] of Object.entries(expect)) {
      const c = get(base(), "Deployment", name).spec.template.spec.containers[0];
      assert.deepEqual(c.command, ["context-engine"], name);
      assert.deepEqual(c.args, args, name);
      const mcpPort = Number(args[args.indexOf("--port") + 1]);
      const healthPort = name === "uploader" ? 8004 : Number(args[args.indexOf("--health-port") + 1]);
      assert.equal(resolvePort([c], c.livenessProbe.httpGet.port), mcpPort, name);
      assert.equal(resolvePort([c], c.readinessProbe.httpGet.port), healthPort, name);
      assert.equal(c.livenessProbe.httpGet.path, "/health", name);
      assert.equal(c.readinessProbe.httpGet.path, name === "uploader" ? "/health" : "/readyz", name);
    }
  });

  test("Qdrant: one-replica StatefulSet on qdrant-storage, ready on /readyz at 6333, sized as the guide says", () => {
    const sts = get(base(), "StatefulSet", "qdrant");
    assert.equal(sts.spec.replicas, 1);
    const q = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === "qdrant");
    assert.equal(q.readinessProbe.httpGet.path, "/readyz");
    assert.equal(resolvePort([q], q.readinessProbe.httpGet.port), 6333);
    assert.deepEqual(q.resources, { requests: { memory: "4Gi", cpu: "2" }, limits: { memory: "8Gi", cpu: "4" } });
    const vol = sts.spec.template.spec.volumes.find((v: { name: string }) => v.name === q.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/qdrant/storage").name);
    assert.equal(vol.persistentVolumeClaim.claimName, "qdrant-storage");
    assert.equal(sts.spec.template.metadata.annotations["kubectl.kubernetes.io/default-container"], "qdrant-tools", "kubectl exec qdrant-0 -- curl lands where curl exists");
  });

  test("resources: MCP servers and watchers as the guide gives them", () => {
    for (const name of ["mcp-memory", "mcp-memory-http", "mcp-indexer", "mcp-indexer-http"]) {
      assert.deepEqual(get(base(), "Deployment", name).spec.template.spec.containers[0].resources, { requests: { memory: "2Gi", cpu: "1" }, limits: { memory: "4Gi", cpu: "2" } }, name);
    }
    assert.deepEqual(watcher()[0].spec.template.spec.containers[0].resources, { requests: { memory: "512Mi", cpu: "500m" }, limits: { memory: "1Gi", cpu: "1" } });
  });

  test("volumes: qdrant-storage RWO 50Gi, repos-storage RWX 100Gi, a shared models volume", () => {
    const pvc = (n: string) => get(base(), "PersistentVolumeClaim", n).spec;
    assert.deepEqual([pvc("qdrant-storage").accessModes, pvc("qdrant-storage").resources.requests.storage], [["ReadWriteOnce"], "50Gi"]);
    assert.deepEqual([pvc("repos-storage").accessModes, pvc("repos-storage").resources.requests.storage], [["ReadWriteMany"], "100Gi"]);
    assert.deepEqual(pvc("models-storage").accessModes, ["ReadWriteMany"]);
    const claimsInUse = new Set(workloads(withWatcher("base")).flatMap((w) => (w.template.spec.volumes ?? []).map((v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName)).filter(Boolean));
    for (const o of base().filter((x) => x.kind === "PersistentVolumeClaim")) assert.ok(claimsInUse.has(o.metadata.name), `${o.metadata.name} is mounted somewhere`);
  });

  test("the indexer scales from 1 to 5 replicas at 70% CPU on Streamable HTTP; the SSE server stays one replica", () => {
    const hpas = base().filter((o) => o.kind === "HorizontalPodAutoscaler");
    assert.deepEqual(hpas.map((h) => h.spec.scaleTargetRef.name), ["mcp-indexer-http"], "SSE sessions live in one process: never autoscale them");
    const hpa = hpas[0];
    assert.deepEqual([hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name, hpa.spec.minReplicas, hpa.spec.maxReplicas], ["Deployment", "mcp-indexer-http", 1, 5]);
    assert.equal(get(base(), "Deployment", "mcp-indexer").spec.replicas, 1);
    const http = get(base(), "Deployment", "mcp-indexer-http");
    assert.equal(http.spec.replicas, undefined, "the HPA owns the count");
    assert.equal(http.spec.template.spec.topologySpreadConstraints[0].topologyKey, "kubernetes.io/hostname");
    const pdb = get(base(), "PodDisruptionBudget", "mcp-indexer-http");
    assert.deepEqual(pdb.spec.selector.matchLabels, http.spec.selector.matchLabels);
    assert.equal(pdb.spec.maxUnavailable, 1);
    for (const name of ["mcp-memory", "mcp-memory-http", "mcp-indexer", "mcp-indexer-http"]) {
      const c = get(base(), "Deployment", name).spec.template.spec.containers[0];
      assert.ok(c.lifecycle?.preStop?.exec?.command?.[0] === "sleep", `${name}: preStop drain`);
    }
    assert.equal(hpa.spec.metrics[0].resource.name, "cpu");
    assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 70);
  });

  test("llama.cpp: official server image on 8080 with /health probes, and an init container that downloads only when the model is absent", () => {
    const spec = get(base(), "Deployment", "llamacpp").spec.template.spec;
    const server = spec.containers[0];
    assert.match(server.image, /^ghcr\.io\/ggml-org\/llama\.cpp:server/);
    assert.equal(resolvePort([server], "http"), 8080);
    for (const p of ["livenessProbe", "readinessProbe", "startupProbe"]) assert.equal(server[p].httpGet.path, "/health");
    assert.ok(server.args.includes("/models/$(LLAMACPP_MODEL_NAME)"));
    const init = spec.initContainers[0];
    const script = init.command.join(" ");
    assert.match(script, /if \[ -s "\$target" \]; then[\s\S]*exit 0[\s\S]*curl -fL[\s\S]*LLAMACPP_MODEL_URL/);
    assert.deepEqual(init.env.map((e: { name: string }) => e.name).sort(), ["LLAMACPP_MODEL_NAME", "LLAMACPP_MODEL_URL"]);
  });

  test("the collection-init Job runs `context-engine init-collection` against Qdrant", () => {
    const job = get(base(), "Job", "init-collection");
    const c = job.spec.template.spec.containers[0];
    assert.deepEqual([...c.command, ...c.args], ["context-engine", "init-collection"]);
    assert.ok(c.env.some((e: { name: string }) => e.name === "QDRANT_URL"));
  });

  test("the extension's Role is least privilege: exactly its verbs on its resources, no wildcards", () => {
    const role = get(base(), "Role", "context-engine-extension");
    const grants = new Set<string>();
    for (const r of role.rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) grants.add(`${g || "core"}/${res}:${v}`);
    const expected = [
      ...["get", "list", "watch"].flatMap((v) => [`core/pods:${v}`, `core/services:${v}`]),
      "core/pods/portforward:create",
      "core/pods/portforward:get",
      "core/pods/log:get",
      ...["get", "list", "watch", "create", "patch", "delete"].map((v) => `apps/deployments:${v}`),
    ];
    assert.deepEqual([...grants].sort(), expected.sort());
    const binding = get(base(), "RoleBinding", "context-engine-extension");
    assert.deepEqual([binding.roleRef.kind, binding.roleRef.name], ["Role", "context-engine-extension"]);
  });

  test("the watcher template: labels, WATCH_ROOT, REPO_NAME, mount and subPath agree on one repository", () => {
    const [d] = watcher();
    const repo = d.metadata.labels?.["context-engine/repo"];
    assert.equal(repo, "backend");
    assert.equal(d.metadata.name, `watcher-${repo}`);
    const tl = d.spec.template.metadata.labels;
    assert.deepEqual([tl.app, tl["app.kubernetes.io/component"], tl["context-engine/repo"]], ["watcher", "watcher", repo]);
    assert.equal(d.spec.selector.matchLabels["context-engine/repo"], repo);
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
    assert.deepEqual(env, { WATCH_ROOT: `/repos/${repo}`, REPO_NAME: repo });
    const mount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === env.WATCH_ROOT);
    assert.equal(mount?.subPath, repo);
    assert.equal(d.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name).persistentVolumeClaim.claimName, "repos-storage");
    assert.deepEqual([...c.command, ...c.args], ["context-engine", "watch"]);
    assert.equal(d.spec.replicas, 1);
  });

  test("the Ingress routes /qdrant, /mcp/*, /mcp-http/*, /upload and /llamacpp to existing Service ports, with SSE timeouts and the upload size", () => {
    const objects = base();
    const routes: Record<string, string> = {};
    for (const ing of objects.filter((o) => o.kind === "Ingress")) {
      const a = ing.metadata.annotations ?? {};
      assert.equal(ing.spec.ingressClassName, "nginx");
      assert.ok(Number(a["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600, "SSE streams need long read timeouts");
      assert.equal(a["nginx.ingress.kubernetes.io/proxy-buffering"], "off");
      assert.match(a["nginx.ingress.kubernetes.io/proxy-body-size"], /^\d+[mg]$/);
      const toMcp = ing.spec.rules.some((r: { http: { paths: { backend: { service: { name: string } } }[] } }) => r.http.paths.some((p) => p.backend.service.name.startsWith("mcp-")));
      if (toMcp) {
        // MCP sessions live in one pod; ingress-nginx bypasses the Service's affinity and MCP clients keep no cookies.
        assert.equal(a["nginx.ingress.kubernetes.io/upstream-hash-by"], "$remote_addr", `${ing.metadata.name}: sessions kept on one pod by client address`);
        assert.equal(a["nginx.ingress.kubernetes.io/affinity"], undefined, `${ing.metadata.name}: no cookie affinity`);
      }
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          const svc = get(objects, "Service", p.backend.service.name);
          assert.ok(svc.spec.ports.some((sp: { port: number }) => sp.port === p.backend.service.port.number), `${p.path} -> ${svc.metadata.name}:${p.backend.service.port.number}`);
          routes[p.path.replace("(/|$)(.*)", "")] = `${svc.metadata.name}:${p.backend.service.port.number}`;
        }
      }
    }
    assert.deepEqual(routes, {
      "/qdrant": "qdrant:6333",
      "/mcp/memory": "mcp-memory:8000",
      "/mcp/indexer": "mcp-indexer:8001",
      "/mcp-http/memory": "mcp-memory-http:8002",
      "/mcp-http/indexer": "mcp-indexer-http:8003",
      "/upload": "uploader:8004",
      "/llamacpp": "llamacpp:8080",
    });
  });

  test("the dev overlay binds every claim to a hostPath volume under /tmp/context-engine-*", { skip: skipNoKubectl }, () => {
    const objects = render("overlays/dev");
    for (const pvc of objects.filter((o) => o.kind === "PersistentVolumeClaim")) {
      const pv = get(objects, "PersistentVolume", pvc.spec.volumeName);
      assert.match(pv.spec.hostPath.path, /^\/tmp\/context-engine-/);
      assert.equal(pv.spec.storageClassName, pvc.spec.storageClassName);
      assert.deepEqual(pv.spec.accessModes, pvc.spec.accessModes);
    }
    for (const w of workloads(objects)) for (const v of w.template.spec.volumes ?? []) assert.equal(v.hostPath, undefined, "pods use claims (hostPath only through PVs)");
  });

  test("the prod overlay: TLS by cert-manager on every Ingress, storage classes on every claim, no NodePorts, no unauthenticated routes, Qdrant's key required", { skip: skipNoKubectl }, () => {
    const objects = render("overlays/prod");
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    assert.deepEqual(ingresses.map((i) => i.metadata.name).sort(), ["context-engine", "context-engine-sse-indexer", "context-engine-sse-memory"], "no /qdrant, no /llamacpp");
    const paths = ingresses.flatMap((i) => i.spec.rules.flatMap((r: { http: { paths: { path: string }[] } }) => r.http.paths.map((p) => p.path)));
    assert.ok(!paths.some((p) => /qdrant|llamacpp/.test(p)), paths.join(" "));
    const keyRefs = workloads(objects).flatMap((w) => containersOf(w.template).flatMap((c) => (c.env ?? []).filter((e: { valueFrom?: { secretKeyRef?: { key: string } } }) => e.valueFrom?.secretKeyRef?.key === "QDRANT_API_KEY").map((e: { valueFrom: { secretKeyRef: { optional?: boolean } } }) => `${w.obj.metadata.name}/${c.name}:${e.valueFrom.secretKeyRef.optional}`)));
    assert.ok(keyRefs.length >= 7, keyRefs.join(" "));
    assert.deepEqual(keyRefs.filter((r) => !r.endsWith(":false")), [], "every Qdrant API key reference is required in prod");
    for (const ing of ingresses) {
      assert.ok(ing.metadata.annotations?.["cert-manager.io/cluster-issuer"]);
      assert.deepEqual(ing.spec.tls[0].hosts, [ing.spec.rules[0].host]);
    }
    for (const pvc of objects.filter((o) => o.kind === "PersistentVolumeClaim")) assert.ok(pvc.spec.storageClassName, pvc.metadata.name);
    assert.deepEqual(objects.filter((o) => o.kind === "Service" && o.spec.type === "NodePort").map((o) => o.metadata.name), []);
  });
});
