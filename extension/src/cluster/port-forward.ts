// Local loopback ports that tunnel to a ready pod behind a Service (client-node PortForward over the API server's websocket).
// Each local connection opens its own tunnel; the pod is resolved again when a tunnel fails, so a restarted pod is picked up.
import { PortForward, type KubeConfig, type V1Pod, type V1Service } from "@kubernetes/client-node";
import net from "node:net";
import { Writable } from "node:stream";
import type { Logger } from "../log.ts";
import { selectorString, type ClusterApi } from "./api.ts";
import { ClusterError } from "./errors.ts";

export interface ForwardTarget {
  namespace: string;
  service: string;
  /** The Service port (number) to reach. */
  port: number;
}

export interface PodTarget {
  pod: string;
  port: number;
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp && !!pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

/** The container port a Service port leads to, on a given pod (named targetPorts are looked up in the pod spec). */
export function targetPortOn(svc: V1Service, servicePort: number, pod: V1Pod): number {
  const sp = svc.spec?.ports?.find((p) => p.port === servicePort);
  if (!sp) throw new ClusterError(`Service ${svc.metadata?.name} has no port ${servicePort} (it has ${svc.spec?.ports?.map((p) => p.port).join(", ") || "none"}).`);
  const tp = sp.targetPort as number | string | undefined;
  if (tp === undefined || tp === null || tp === "") return servicePort;
  if (typeof tp === "number") return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  for (const c of pod.spec?.containers ?? []) {
    const hit = c.ports?.find((p) => p.name === tp);
    if (hit) return hit.containerPort;
  }
  throw new ClusterError(`Pod ${pod.metadata?.name} has no container port named "${tp}" (Service ${svc.metadata?.name}).`);
}

export async function resolvePod(api: ClusterApi, t: ForwardTarget): Promise<PodTarget> {
  const svc = await api.call({ verb: "get", kind: "Service", name: t.service, namespace: t.namespace }, () =>
    api.core.readNamespacedService({ name: t.service, namespace: t.namespace }),
  );
  const selector = selectorString(svc.spec?.selector);
  if (!selector) throw new ClusterError(`Service ${t.namespace}/${t.service} has no pod selector; cannot port-forward to it.`);
  const pods = await api.listPods(t.namespace, selector);
  const ready = pods.filter(isReady);
  if (ready.length === 0) {
    throw new ClusterError(
      `No ready pod behind Service ${t.namespace}/${t.service} (${pods.length} pod(s) found). Is Context Engine deployed and running? ` +
        `Check "kubectl -n ${t.namespace} get pods" or run "Context Engine: Deploy Context Engine".`,
    );
  }
  return { pod: ready[0].metadata!.name!, port: targetPortOn(svc, t.port, ready[0]) };
}

/** A writable that drops data once its socket is gone (the tunnel may still deliver a last frame). */
function sinkFor(socket: net.Socket): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      if (!socket.destroyed && socket.writable) socket.write(chunk, () => cb());
      else cb();
    },
  });
}

export class ServicePortForward {
  private server: net.Server | undefined;
  private pod: PodTarget | undefined;
  private readonly sockets = new Set<net.Socket>();
  localPort = 0;

  constructor(
    private readonly api: ClusterApi,
    private readonly kc: KubeConfig,
    readonly target: ForwardTarget,
    private readonly log: Logger,
  ) {}

  get label(): string {
    return `${this.target.service}:${this.target.port}`;
  }

  /** Resolves a ready pod (fails now if there is none), then listens on 127.0.0.1:<free port>. */
  async start(preferredPort = 0): Promise<number> {
    this.pod = await resolvePod(this.api, this.target);
    const server = net.createServer((socket) => void this.tunnel(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(preferredPort, "127.0.0.1", () => resolve());
    }).catch(async (e) => {
      if (preferredPort === 0) throw e;
      // The port we had before is taken now: any free one will do (the MCP definitions are refreshed).
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
    });
    this.server = server;
    this.localPort = (server.address() as net.AddressInfo).port;
    this.log.info(`port-forward 127.0.0.1:${this.localPort} -> ${this.target.namespace}/${this.label} (pod ${this.pod.pod}:${this.pod.port})`);
    return this.localPort;
  }

  private async tunnel(socket: net.Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.pause();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (!this.pod || attempt > 0) this.pod = await resolvePod(this.api, this.target);
        const pf = new PortForward(this.kc, true);
        const errors = new Writable({
          write: (chunk, _enc, cb) => {
            const text = String(chunk).trim();
            if (text) this.log.warn(`port-forward ${this.label}: ${text}`);
            cb();
          },
        });
        const ws = (await pf.portForward(this.target.namespace, this.pod.pod, [this.pod.port], sinkFor(socket), errors, socket)) as unknown as {
          on(ev: string, fn: (...a: unknown[]) => void): void;
          close(): void;
        };
        ws.on("close", () => socket.end());
        ws.on("error", (e) => {
          this.log.warn(`port-forward ${this.label}: ${(e as Error).message}`);
          socket.destroy();
        });
        socket.on("close", () => ws.close());
        socket.resume();
        return;
      } catch (e) {
        this.log.warn(`port-forward ${this.label} via pod ${this.pod?.pod ?? "?"} failed: ${(e as Error).message}${attempt === 0 ? "; looking for another ready pod" : ""}`);
        this.pod = undefined;
      }
    }
    socket.destroy();
  }

  dispose(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
    this.server = undefined;
  }
}
