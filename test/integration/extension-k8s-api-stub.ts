// A loopback stand-in for the Kubernetes API server (a real one cannot run on the build machines): discovery,
// server-side apply, get/list/delete, scripted rollouts and pod states, injected 403s, and the pod port-forward
// websocket (v4.channel.k8s.io) tunnelled to a real local TCP port. It records every request for the tests to assert.
import http from "node:http";
import net from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: unknown;
}

interface Resource {
  kind: string;
  name: string;
  namespaced: boolean;
}

const DISCOVERY: Record<string, Resource[]> = {
  "/api/v1": [
    { kind: "Namespace", name: "namespaces", namespaced: false },
    { kind: "Service", name: "services", namespaced: true },
    { kind: "Pod", name: "pods", namespaced: true },
    { kind: "ConfigMap", name: "configmaps", namespaced: true },
    { kind: "Secret", name: "secrets", namespaced: true },
    { kind: "ServiceAccount", name: "serviceaccounts", namespaced: true },
    { kind: "PersistentVolumeClaim", name: "persistentvolumeclaims", namespaced: true },
    { kind: "PersistentVolume", name: "persistentvolumes", namespaced: false },
  ],
  "/apis/apps/v1": [
    { kind: "Deployment", name: "deployments", namespaced: true },
    { kind: "StatefulSet", name: "statefulsets", namespaced: true },
  ],
  "/apis/rbac.authorization.k8s.io/v1": [
    { kind: "Role", name: "roles", namespaced: true },
    { kind: "RoleBinding", name: "rolebindings", namespaced: true },
  ],
  "/apis/networking.k8s.io/v1": [
    { kind: "Ingress", name: "ingresses", namespaced: true },
    { kind: "NetworkPolicy", name: "networkpolicies", namespaced: true },
  ],
  "/apis/batch/v1": [{ kind: "Job", name: "jobs", namespaced: true }],
  "/apis/autoscaling/v2": [{ kind: "HorizontalPodAutoscaler", name: "horizontalpodautoscalers", namespaced: true }],
  "/apis/policy/v1": [{ kind: "PodDisruptionBudget", name: "poddisruptionbudgets", namespaced: true }],
};

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> };

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code };
}

export class KubeApiStub {
  readonly requests: RecordedRequest[] = [];
  /** Stored objects by their API path (…/namespaces/ns/deployments/name). */
  readonly objects = new Map<string, Obj>();
  /** Pods by namespace; list calls filter them by labelSelector. */
  pods: Array<Record<string, unknown>> = [];
  /** Reads of a workload before the stub reports it rolled out. */
  rolloutAfterReads = 2;
  private readonly reads = new Map<string, number>();
  private readonly forbidden: Array<{ method: string; path: RegExp }> = [];
  /** Pod name -> local TCP port its port-forward leads to. */
  readonly podPorts = new Map<string, number>();
  readonly portForwards: Array<{ pod: string; port: number; protocol: string }> = [];
  private server!: http.Server;
  private wss!: WebSocketServer;
  private rv = 1;
  url = "";

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false),
    });
    this.server.on("upgrade", (req, socket, head) => {
      const u = new URL(req.url ?? "/", "http://x");
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(u.pathname);
      if (!m) return socket.destroy();
      // As the API server does for a pod that is gone (restarted, rescheduled): no upgrade, 404.
      if (!this.pods.some((p) => (p.metadata as { name?: string }).name === m[2])) {
        socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify(status(404, "NotFound", `pods "${m[2]}" not found`))}`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.portForward(ws, m[2], Number(u.searchParams.get("ports"))));
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  forbid(method: string, path: RegExp): void {
    this.forbidden.push({ method, path });
  }

  /** Mutating requests (no discovery, no reads), as "METHOD path". */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  kubeconfigYaml(): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: stub",
      "  cluster:",
      `    server: ${this.url}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: dev",
      "  user:",
      "    token: stub-token",
      "contexts:",
      "- name: stub",
      "  context:",
      "    cluster: stub",
      "    user: dev",
      "current-context: stub",
      "",
    ].join("\n");
  }

  private portForward(ws: WebSocket, pod: string, port: number): void {
    this.portForwards.push({ pod, port, protocol: ws.protocol });
    const target = this.podPorts.get(pod);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    // The kubelet starts each stream (0 data, 1 error) with the port number.
    ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
    ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
    if (target === undefined) {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`pod ${pod} has no port ${port}`)]));
      ws.close();
      return;
    }
    const tcp = net.connect(target, "127.0.0.1");
    const pending: Buffer[] = [];
    let open = false;
    tcp.on("connect", () => {
      open = true;
      for (const b of pending.splice(0)) tcp.write(b);
    });
    tcp.on("data", (d) => ws.send(Buffer.concat([Buffer.from([0]), d])));
    tcp.on("close", () => ws.close());
    tcp.on("error", () => ws.close());
    ws.on("message", (data: Buffer) => {
      if (data[0] !== 0) return;
      const payload = data.subarray(1);
      if (open) tcp.write(payload);
      else pending.push(payload);
    });
    ws.on("close", () => tcp.end());
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private resourceFor(group: string, plural: string): Resource | undefined {
    return DISCOVERY[group]?.find((r) => r.name === plural);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep raw
    }
    const method = req.method ?? "GET";
    this.requests.push({ method, path: u.pathname, query: Object.fromEntries(u.searchParams), contentType: req.headers["content-type"] ?? "", body });

    if (method === "GET" && DISCOVERY[u.pathname]) {
      const gv = u.pathname === "/api/v1" ? "v1" : u.pathname.slice("/apis/".length);
      return this.send(res, 200, {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: gv,
        resources: DISCOVERY[u.pathname].map((r) => ({ name: r.name, singularName: "", namespaced: r.namespaced, kind: r.kind, verbs: ["get", "list", "patch", "delete"] })),
      });
    }
    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(u.pathname);
    if (!m) return this.send(res, 404, status(404, "NotFound", `the server could not find the requested resource (${u.pathname})`));
    const [, group, namespace, plural, name] = m;
    const resource = this.resourceFor(group, plural);
    if (!resource) return this.send(res, 404, status(404, "NotFound", `the server could not find the requested resource`));
    const apiGroup = group === "/api/v1" ? "" : group.split("/")[2];
    const verb = method === "PATCH" ? "patch" : method === "DELETE" ? "delete" : name ? "get" : "list";
    if (this.forbidden.some((f) => f.method === method && f.path.test(u.pathname))) {
      return this.send(
        res,
        403,
        status(
          403,
          "Forbidden",
          `${plural}${apiGroup ? `.${apiGroup}` : ""} "${name ?? ""}" is forbidden: User "dev" cannot ${verb} resource "${plural}" in API group "${apiGroup}"${namespace ? ` in the namespace "${namespace}"` : ""}`,
          { name, group: apiGroup, kind: plural },
        ),
      );
    }
    const key = u.pathname;
    if (method === "PATCH") {
      if (req.headers["content-type"] !== "application/apply-patch+yaml") return this.send(res, 415, status(415, "UnsupportedMediaType", "only server-side apply here"));
      const incoming = body as Obj;
      const prev = this.objects.get(key);
      if (resource.kind === "Job" && prev && JSON.stringify(prev.spec?.template) !== JSON.stringify(incoming.spec?.template)) {
        return this.send(res, 422, status(422, "Invalid", `Job.batch "${name}" is invalid: spec.template: Invalid value: field is immutable`, { name, group: "batch", kind: "Job" }));
      }
      const sameSpec = prev && JSON.stringify(prev.spec) === JSON.stringify(incoming.spec) && JSON.stringify(prev.metadata.labels) === JSON.stringify(incoming.metadata.labels);
      const stored: Obj = structuredClone(incoming);
      stored.metadata = {
        ...stored.metadata,
        uid: prev?.metadata.uid ?? `uid-${this.rv}`,
        resourceVersion: sameSpec ? prev!.metadata.resourceVersion : String(++this.rv),
        generation: sameSpec ? prev!.metadata.generation : ((prev?.metadata.generation as number | undefined) ?? 0) + 1,
      };
      this.objects.set(key, stored);
      return this.send(res, prev ? 200 : 201, stored);
    }
    if (method === "DELETE") {
      this.reads.delete(key);
      if (!this.objects.delete(key)) return this.send(res, 404, status(404, "NotFound", `${plural} "${name}" not found`, { name, kind: plural }));
      return this.send(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" });
    }
    if (method === "GET" && name) {
      const o = this.objects.get(key);
      if (!o) return this.send(res, 404, status(404, "NotFound", `${plural}${apiGroup ? `.${apiGroup}` : ""} "${name}" not found`, { name, group: apiGroup, kind: plural }));
      if (resource.kind === "Deployment" || resource.kind === "StatefulSet" || resource.kind === "Job") return this.send(res, 200, this.withRolloutStatus(key, o));
      return this.send(res, 200, o);
    }
    if (method === "GET") {
      const selector = u.searchParams.get("labelSelector") ?? "";
      const want = selector ? selector.split(",").map((kv) => kv.split("=")) : [];
      const matches = (labels: Record<string, string> | undefined) => want.every(([k, v]) => labels?.[k] === v);
      let items: unknown[];
      if (resource.kind === "Pod") {
        items = this.pods.filter((p) => (p.metadata as { namespace?: string }).namespace === namespace && matches((p.metadata as { labels?: Record<string, string> }).labels));
      } else {
        const prefix = `${group}${namespace ? `/namespaces/${namespace}` : ""}/${plural}/`;
        items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(prefix) && matches(o.metadata.labels as Record<string, string> | undefined)).map(([, o]) => o);
      }
      return this.send(res, 200, { kind: `${resource.kind}List`, apiVersion: group === "/api/v1" ? "v1" : group.slice(6), metadata: {}, items });
    }
    this.send(res, 405, status(405, "MethodNotAllowed", `${method} not supported by the stub`));
  }

  private withRolloutStatus(key: string, o: Obj): Obj {
    const n = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, n);
    const replicas = (o.spec?.replicas as number | undefined) ?? 1;
    const done = n > this.rolloutAfterReads;
    if (o.kind === "Job") return { ...o, status: done ? { succeeded: 1 } : { active: 1 } };
    return {
      ...o,
      status: {
        observedGeneration: o.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: done ? replicas : 0,
        availableReplicas: done ? replicas : 0,
      },
    };
  }

  /** Workloads start their rollout again (reads counted from zero). */
  resetRollouts(): void {
    this.reads.clear();
  }

  readsOf(path: string): number {
    return this.reads.get(path) ?? 0;
  }
}

export function readyPod(name: string, namespace: string, labels: Record<string, string>, containerPort = 0): Record<string, unknown> {
  return {
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "main", image: "x", ports: containerPort ? [{ name: "http", containerPort }] : [] }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
}
