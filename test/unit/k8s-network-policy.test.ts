// The NetworkPolicies, evaluated offline: a small evaluator of the NetworkPolicy semantics (pod and namespace
// selectors, ipBlocks, ports, default allow when no policy selects a pod) run over the rendered pods, the
// ingress controller, kube-dns and the internet, for the base's soft policy and the strict "Option A" overlay.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import {
  K8S_DIR,
  WATCHER_TEMPLATE,
  containersOf,
  kubectlAvailable,
  matchesSelector,
  readBaseFiles,
  readYamlFile,
  renderKustomization,
  resolvePort,
  workloads,
  type Container,
  type K8sObject,
  type LabelSelector,
} from "../../k8s/local/manifests.ts";

interface Endpoint {
  name: string;
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  labels?: Record<string, string>;
  ip: string;
  containers: Container[];
}

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface RulePort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base) / size) * size;
  return ipToInt(ip) >= start && ipToInt(ip) < start + size;
}

function peerMatches(peer: Peer, policyNamespace: string, ep: Endpoint): boolean {
  if (peer.ipBlock) return inCidr(ep.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ep.ip, c));
  if (!ep.namespace) return false; // not a pod: only ipBlocks reach it
  const nsOk = peer.namespaceSelector ? matchesSelector(ep.namespaceLabels, peer.namespaceSelector) : ep.namespace === policyNamespace;
  const podOk = peer.podSelector ? matchesSelector(ep.labels, peer.podSelector) : true;
  return nsOk && podOk;
}

function portMatches(ports: RulePort[] | undefined, dst: Endpoint, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    const n = typeof p.port === "string" ? resolvePort(dst.containers, p.port) : p.port;
    return n !== undefined && port >= n && port <= (p.endPort ?? n);
  });
}

function policyTypes(np: K8sObject): string[] {
  return np.spec.policyTypes ?? (np.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

function selects(np: K8sObject, ep: Endpoint): boolean {
  return ep.namespace === (np.metadata.namespace ?? "context-engine") && matchesSelector(ep.labels, np.spec.podSelector ?? {});
}

/** Whether a TCP/UDP connection from src to dst:port is allowed by both sides' policies. */
function allowed(policies: K8sObject[], src: Endpoint, dst: Endpoint, port: number, protocol = "TCP"): boolean {
  const egress = policies.filter((np) => selects(np, src) && policyTypes(np).includes("Egress"));
  const egressOk = egress.length === 0 || egress.some((np) => (np.spec.egress ?? []).some((r: { to?: Peer[]; ports?: RulePort[] }) => (!r.to || r.to.length === 0 || r.to.some((p) => peerMatches(p, np.metadata.namespace ?? "context-engine", dst))) && portMatches(r.ports, dst, port, protocol)));
  const ingress = policies.filter((np) => selects(np, dst) && policyTypes(np).includes("Ingress"));
  const ingressOk = ingress.length === 0 || ingress.some((np) => (np.spec.ingress ?? []).some((r: { from?: Peer[]; ports?: RulePort[] }) => (!r.from || r.from.length === 0 || r.from.some((p) => peerMatches(p, np.metadata.namespace ?? "context-engine", src))) && portMatches(r.ports, dst, port, protocol)));
  return egressOk && ingressOk;
}

const NS_LABELS = (ns: string) => ({ "kubernetes.io/metadata.name": ns });

function world(objects: K8sObject[]) {
  const pods = new Map<string, Endpoint>();
  let i = 10;
  for (const w of workloads([...objects, ...readYamlFile(WATCHER_TEMPLATE)])) {
    pods.set(w.obj.metadata.name, { name: w.obj.metadata.name, namespace: "context-engine", namespaceLabels: NS_LABELS("context-engine"), labels: w.template.metadata.labels, ip: `10.244.0.${i++}`, containers: containersOf(w.template, false) });
  }
  const pod = (name: string) => {
    const p = pods.get(name);
    if (!p) throw new Error(`no pod ${name}`);
    return p;
  };
  const ingressController: Endpoint = { name: "ingress-nginx-controller", namespace: "ingress-nginx", namespaceLabels: NS_LABELS("ingress-nginx"), labels: { "app.kubernetes.io/name": "ingress-nginx" }, ip: "10.244.1.2", containers: [] };
  const otherNamespace: Endpoint = { name: "some-app", namespace: "default", namespaceLabels: NS_LABELS("default"), labels: { app: "some-app" }, ip: "10.244.2.3", containers: [] };
  const kubeDns: Endpoint = { name: "coredns", namespace: "kube-system", namespaceLabels: NS_LABELS("kube-system"), labels: { "k8s-app": "kube-dns" }, ip: "10.244.3.4", containers: [{ name: "coredns", ports: [{ containerPort: 53, protocol: "UDP" }] }] };
  const internet: Endpoint = { name: "huggingface.co", ip: "18.160.1.1", containers: [] };
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  return { pods, pod, ingressController, otherNamespace, kubeDns, internet, policies };
}

const MCP = ["mcp-memory", "mcp-memory-http", "mcp-indexer", "mcp-indexer-http"];
const PORTS: Record<string, number> = { "mcp-memory": 8000, "mcp-indexer": 8001, "mcp-memory-http": 8002, "mcp-indexer-http": 8003, uploader: 8004, qdrant: 6333, llamacpp: 8080 };

/** The traffic the architecture needs (DESIGN.md section 1), checked under every policy set. */
function assertNeededTrafficAllowed(w: ReturnType<typeof world>) {
  const need: [Endpoint, Endpoint, number][] = [
    [w.pod("watcher-backend"), w.pod("qdrant"), 6333],
    [w.pod("init-collection"), w.pod("qdrant"), 6333],
    ...MCP.map((m): [Endpoint, Endpoint, number] => [w.pod(m), w.pod("qdrant"), 6333]),
    [w.pod("mcp-indexer"), w.pod("llamacpp"), 8080],
    [w.pod("mcp-indexer-http"), w.pod("llamacpp"), 8080],
    // one writer per repo: the uploader notifies the watcher, the indexer servers ask it to re-index
    [w.pod("uploader"), w.pod("watcher-backend"), 8005],
    [w.pod("mcp-indexer"), w.pod("watcher-backend"), 8005],
    [w.pod("mcp-indexer-http"), w.pod("watcher-backend"), 8005],
    ...Object.entries(PORTS).map(([name, port]): [Endpoint, Endpoint, number] => [w.ingressController, w.pod(name), port]),
    ...[...MCP, "watcher-backend", "init-collection", "llamacpp"].map((n): [Endpoint, Endpoint, number] => [w.pod(n), w.internet, 443]),
  ];
  for (const [src, dst, port] of need) assert.ok(allowed(w.policies, src, dst, port), `${src.name} -> ${dst.name}:${port} must be allowed`);
  for (const p of w.pods.values()) assert.ok(allowed(w.policies, p, w.kubeDns, 53, "UDP"), `${p.name} resolves names`);
}

function assertEveryPolicySelectsPods(w: ReturnType<typeof world>) {
  for (const np of w.policies) assert.ok([...w.pods.values()].some((p) => selects(np, p)), `${np.metadata.name} selects no pod`);
}

const HAS_KUBECTL = kubectlAvailable();
if (!HAS_KUBECTL) console.error("\n!!! kubectl is not on PATH: the strict overlay's network policies are SKIPPED !!!\n");

describe("network policies", () => {
  test("the evaluator denies what a default-deny policy closes and allows what a rule opens", () => {
    const w = world(readBaseFiles());
    const deny = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "d", namespace: "context-engine" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
    const allowQdrant = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "a", namespace: "context-engine" }, spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "qdrant" } } }], ports: [{ port: "http" }] }] } };
    assert.ok(allowed([], w.pod("watcher-backend"), w.pod("qdrant"), 6333));
    assert.ok(!allowed([deny], w.pod("watcher-backend"), w.pod("qdrant"), 6333));
    assert.ok(!allowed([deny, allowQdrant], w.pod("watcher-backend"), w.pod("qdrant"), 6333), "egress alone is not enough: qdrant's ingress is still closed");
    assert.ok(allowed([allowQdrant], w.pod("watcher-backend"), w.pod("qdrant"), 6333), "named port resolves on the destination");
    assert.ok(!allowed([allowQdrant], w.pod("watcher-backend"), w.pod("llamacpp"), 8080));
  });

  test("base (soft, Option B): the watchers (the only pods listening on nothing public) accept only this namespace; the architecture's traffic flows", () => {
    const w = world(readBaseFiles());
    assert.deepEqual(w.policies.map((p) => p.metadata.name), ["allow-intra-namespace-ingress-internal"]);
    assertEveryPolicySelectsPods(w);
    const internal = [...w.pods.values()].filter((p) => w.policies.some((np) => selects(np, p))).map((p) => p.name).sort();
    assert.deepEqual(internal, ["watcher-backend"]);
    for (const p of internal) assert.ok((w.pod(p).containers.flatMap((c) => c.ports ?? [])).length > 0, `${p} listens on something the policy guards`);
    assertNeededTrafficAllowed(w);
    assert.ok(allowed(w.policies, w.pod("mcp-indexer"), w.pod("watcher-backend"), 8005));
    assert.ok(!allowed(w.policies, w.ingressController, w.pod("watcher-backend"), 8005));
    assert.ok(!allowed(w.policies, w.otherNamespace, w.pod("watcher-backend"), 8005));
    assert.ok(allowed(w.policies, w.otherNamespace, w.pod("qdrant"), 6333), "Option B leaves Qdrant to its API key (no NodePort outside dev)");
  });

  test("strict overlay (Option A): default-deny, and only the architecture's traffic is allowed", { skip: HAS_KUBECTL ? false : "kubectl missing" }, () => {
    const w = world(renderKustomization(path.join(K8S_DIR, "overlays/networkpolicy-strict")));
    assert.ok(w.policies.some((p) => p.metadata.name === "default-deny-all"));
    assertEveryPolicySelectsPods(w);
    assertNeededTrafficAllowed(w);
    const denied: [Endpoint, Endpoint, number][] = [
      [w.otherNamespace, w.pod("qdrant"), 6333],
      [w.otherNamespace, w.pod("mcp-indexer"), 8001],
      [w.pod("watcher-backend"), w.pod("llamacpp"), 8080],
      [w.pod("mcp-memory"), w.pod("llamacpp"), 8080],
      [w.pod("uploader"), w.pod("qdrant"), 6333],
      [w.pod("uploader"), w.internet, 443],
      [w.pod("qdrant"), w.internet, 443],
      [w.pod("mcp-indexer"), w.internet, 80],
      [w.ingressController, w.pod("watcher-backend"), 8005],
      [w.pod("mcp-memory"), w.pod("watcher-backend"), 8005],
      [w.otherNamespace, w.pod("watcher-backend"), 8005],
      [w.ingressController, w.pod("mcp-memory"), 18000],
      [w.pod("mcp-memory"), w.pod("uploader"), 8004],
    ];
    for (const [src, dst, port] of denied) assert.ok(!allowed(w.policies, src, dst, port), `${src.name} -> ${dst.name}:${port} must be denied`);
  });
});
