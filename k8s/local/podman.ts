// Turns a rendered workload into `podman run` arguments that keep what the pod spec enforces: the user and
// group, a read-only root, no capabilities, no privilege escalation, emptyDir as tmpfs, claims as bind mounts
// (subPath included, read-only where the mount says so), the containers' own command, args and env (ConfigMap
// and Secret references resolved). Only what one machine must change is changed: host networking with a free
// port for each container port, and Service URLs pointed at loopback. Used by the container test.
import path from "node:path";
import { containersOf, type Container, type K8sObject } from "./manifests.ts";
import { expand, resolveEnv } from "./layout.ts";

export interface PodmanRun {
  /** Container name (`<prefix>-<workload>[-<container>]`). */
  name: string;
  workload: string;
  /** Arguments after `podman run`. */
  args: string[];
  /** containerPort -> host port (host networking). */
  ports: Map<number, number>;
  /** From the probes: http://127.0.0.1:<port><path>. */
  readyUrl?: string;
  liveUrl?: string;
  /** Host folders the mounts need (created by the caller, owned by the pod's user). */
  dirs: string[];
}

export interface PodmanOptions {
  objects: K8sObject[];
  image: string;
  /** Claim name -> host folder. */
  claimDir: (claim: string) => string;
  portFor: (workload: string, containerPort: number) => number;
  secrets?: Record<string, string>;
  /** Applied last: what this machine needs that a cluster does not (the store's URL, a local model). */
  env?: Record<string, string>;
  prefix: string;
  /** Run an init container or a Job's container instead of the first container. */
  container?: string;
}

function probeUrl(probe: Container | undefined, c: Container, ports: Map<number, number>): string | undefined {
  const get = probe?.httpGet;
  if (!get) return undefined;
  const containerPort = typeof get.port === "number" ? get.port : (c.ports ?? []).find((p: Container) => p.name === get.port)?.containerPort;
  const host = containerPort === undefined ? undefined : ports.get(containerPort);
  if (host === undefined) throw new Error(`probe port ${get.port} of ${c.name} is not a declared container port`);
  return `http://127.0.0.1:${host}${get.path ?? "/"}`;
}

/** The security flags a pod's and its container's securityContext ask for, as podman says them. */
export function securityFlags(podSecurity: Container | undefined, sec: Container | undefined): string[] {
  const out: string[] = [];
  const user = sec?.runAsUser ?? podSecurity?.runAsUser;
  const group = sec?.runAsGroup ?? podSecurity?.runAsGroup;
  if (user !== undefined) out.push("--user", group !== undefined ? `${user}:${group}` : String(user));
  if (sec?.readOnlyRootFilesystem) out.push("--read-only");
  for (const cap of sec?.capabilities?.drop ?? []) out.push("--cap-drop", cap);
  if (sec?.allowPrivilegeEscalation === false) out.push("--security-opt", "no-new-privileges");
  if ((sec?.runAsNonRoot ?? podSecurity?.runAsNonRoot) && !user) throw new Error("runAsNonRoot without a numeric runAsUser cannot be checked");
  return out;
}

export function podmanRun(workload: K8sObject, o: PodmanOptions): PodmanRun {
  const name = workload.metadata.name;
  const template = workload.kind === "Job" ? workload.spec.template : workload.spec.template;
  const spec = template.spec;
  const c: Container = o.container ? containersOf(template).find((x) => x.name === o.container) : spec.containers[0];
  if (!c) throw new Error(`${workload.kind} ${name} has no container ${o.container}`);
  const ports = new Map<number, number>();
  for (const p of c.ports ?? []) ports.set(p.containerPort, o.portFor(name, p.containerPort));
  const env = resolveEnv(workload, c, o.objects, o.secrets ?? {});
  for (const k of Object.keys(env)) if (/_PORT$/.test(k) && ports.has(Number(env[k]))) env[k] = String(ports.get(Number(env[k])));
  if ("BIND_HOST" in env) env.BIND_HOST = "127.0.0.1";
  // Service URLs cannot resolve on one machine: the caller's env replaces the ones it needs, the rest are dropped.
  const services = new Set(o.objects.filter((x) => x.kind === "Service").map((x) => x.metadata.name));
  for (const [k, v] of Object.entries(env)) {
    const host = /^https?:\/\/([^/:]+)/.exec(v)?.[1];
    if (host && (services.has(host) || services.has(host.split(".")[1] ?? ""))) delete env[k];
  }
  Object.assign(env, o.env ?? {});
  const args = [...(c.command ?? []).slice(1), ...(c.args ?? [])].map((a: string) => {
    const v = expand(String(a), env);
    return /^\d+$/.test(v) && ports.has(Number(v)) ? String(ports.get(Number(v))) : v;
  });

  const volumes = new Map<string, Container>((spec.volumes ?? []).map((v: Container) => [v.name, v]));
  const mounts: string[] = [];
  const dirs: string[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw new Error(`${name}: volumeMount ${m.name} has no volume`);
    if (v.emptyDir) mounts.push("--tmpfs", `${m.mountPath}:rw,mode=1777`);
    else if (v.persistentVolumeClaim) {
      const dir = m.subPath ? path.join(o.claimDir(v.persistentVolumeClaim.claimName), m.subPath) : o.claimDir(v.persistentVolumeClaim.claimName);
      dirs.push(dir);
      mounts.push("-v", `${dir}:${m.mountPath}${m.readOnly ? ":ro" : ""}`);
    } else throw new Error(`${name}: volume ${m.name} is neither an emptyDir nor a claim`);
  }
  const containerName = `${o.prefix}-${name}${o.container ? `-${o.container}` : ""}`;
  return {
    name: containerName,
    workload: name,
    args: [
      "--name", containerName, "--network", "host",
      ...securityFlags(spec.securityContext, c.securityContext),
      ...mounts,
      ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      ...(c.command?.[0] ? ["--entrypoint", c.command[0]] : []),
      o.image,
      ...args,
    ],
    ports,
    readyUrl: probeUrl(c.readinessProbe, c, ports),
    liveUrl: probeUrl(c.livenessProbe, c, ports),
    dirs,
  };
}
