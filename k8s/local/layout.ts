// Turns the rendered Deployments into local processes: the containers' own command, args and env (ConfigMap
// and Secret references resolved, $(VAR) expanded), with only what a single machine must change swapped:
// the embedded store for Qdrant (one shared STORE_PATH), loopback for Service hosts and bind addresses,
// local folders for volumes, and (optionally) free ports for container ports.
import path from "node:path";
import { containersOf, serviceSelects, type Container, type K8sObject } from "./manifests.ts";

export interface LocalProcess {
  /** The Deployment's name (watcher-<repo> for watchers). */
  name: string;
  component: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** containerPort -> local port. */
  ports: Map<number, number>;
  /** From the readiness probe (else liveness): http://127.0.0.1:<port><path>. */
  readyUrl?: string;
  /** Folders the process expects to exist (volume mounts, subPaths). */
  dirs: string[];
}

export interface LayoutOptions {
  objects: K8sObject[];
  /** Volumes, the shared store and temp folders live here. */
  workDir: string;
  /** How to run `context-engine` here, e.g. [node, --import, tsx, server/src/cli/main.ts]. */
  cli: string[];
  /** Local port for a workload's container port (identity keeps the real ports). */
  portFor: (workload: string, containerPort: number) => number;
  /** Values for secretKeyRef keys (CONTEXT_ENGINE_TOKEN, ...); absent optional keys are left unset. */
  secrets?: Record<string, string>;
  /** Applied last, on every process: what this machine needs that a cluster does not (e.g. EMBEDDING_PROVIDER). */
  env?: Record<string, string>;
}

/** Env names a local run replaces: the cluster's store and its key. */
const CLUSTER_ONLY_ENV = ["QDRANT_URL", "QDRANT_API_KEY"];

/** Instantiates the watcher template for one repository, as `make watcher-manifest REPO=...` does. */
export function watcherFor(template: K8sObject, repo: string): K8sObject {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(repo)) throw new Error(`repo name "${repo}": lowercase letters, digits and '-' only`);
  const from = template.metadata.labels?.["context-engine/repo"];
  if (!from) throw new Error("the watcher template has no context-engine/repo label");
  return JSON.parse(JSON.stringify(template).split(from).join(repo)) as K8sObject;
}

/** Deployments whose first container runs the `context-engine` CLI: what runs as a local process. */
export function localWorkloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === "Deployment" && o.spec.template.spec.containers[0]?.command?.[0] === "context-engine");
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, unknown references stay as written. */
export function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (name === undefined ? "$" : (env[name] ?? m)));
}

export function resolveEnv(obj: K8sObject, c: Container, objects: K8sObject[], secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const where = `Deployment ${obj.metadata.name} container ${c.name}`;
  for (const src of c.envFrom ?? []) {
    if (src.configMapRef) {
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === src.configMapRef.name);
      if (!cm && !src.configMapRef.optional) throw new Error(`${where}: envFrom ConfigMap ${src.configMapRef.name} does not exist`);
      Object.assign(env, cm?.data ?? {});
    }
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(String(e.value), env);
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref.name);
      const v = cm?.data?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`${where}: env ${e.name} refers to key ${ref.key} of ConfigMap ${ref.name}, which ${cm ? "has no such key" : "does not exist"}`);
      if (v !== undefined) env[e.name] = v;
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const v = secrets[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`${where}: env ${e.name} needs key ${ref.key} of Secret ${ref.name}; pass it as a secret`);
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}

/** Local folder for each mount path of the container, longest first (so /repos/a wins over /repos). */
function mountMap(obj: K8sObject, c: Container, workDir: string): [string, string][] {
  const volumes = new Map<string, Container>((obj.spec.template.spec.volumes ?? []).map((v: Container) => [v.name, v]));
  const out: [string, string][] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw new Error(`Deployment ${obj.metadata.name}: volumeMount ${m.name} has no volume`);
    const base = v.persistentVolumeClaim
      ? path.join(workDir, "volumes", v.persistentVolumeClaim.claimName)
      : v.hostPath
        ? path.join(workDir, "volumes", v.hostPath.path.replace(/^\/+/, "").replace(/\//g, "_"))
        : path.join(workDir, "pods", obj.metadata.name, v.name);
    out.push([m.mountPath, m.subPath ? path.join(base, m.subPath) : base]);
  }
  return out.sort((a, b) => b[0].length - a[0].length);
}

function remapPath(value: string, mounts: [string, string][]): string {
  for (const [mountPath, local] of mounts) {
    if (value === mountPath) return local;
    if (value.startsWith(mountPath.endsWith("/") ? mountPath : mountPath + "/")) return path.join(local, value.slice(mountPath.length));
  }
  return value;
}

/** Service name -> (service port -> local port), for every Service backed by a local process. */
function serviceMap(objects: K8sObject[], local: LocalProcess[], workloadsByName: Map<string, K8sObject>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const svc of objects.filter((o) => o.kind === "Service")) {
    const backing = local.find((p) => serviceSelects(svc.spec.selector, workloadsByName.get(p.name)?.spec.template.metadata.labels));
    if (!backing) continue;
    const containers = containersOf(workloadsByName.get(backing.name)!.spec.template, false);
    const ports = new Map<number, number>();
    for (const sp of svc.spec.ports) {
      const target = sp.targetPort ?? sp.port;
      const containerPort = typeof target === "number" ? target : containers.flatMap((c: Container) => c.ports ?? []).find((p: Container) => p.name === target)?.containerPort;
      const localPort = containerPort === undefined ? undefined : backing.ports.get(containerPort);
      if (localPort !== undefined) ports.set(sp.port, localPort);
    }
    out.set(svc.metadata.name, ports);
  }
  return out;
}

/** Points http://<service>:<port> URLs at the local process behind that Service, or drops them when none runs here. */
function rewriteServiceUrls(env: Record<string, string>, services: Map<string, Map<number, number>>, allServices: Set<string>): void {
  for (const [k, v] of Object.entries(env)) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      continue;
    }
    if (!/^https?:$/.test(url.protocol) || !allServices.has(url.hostname)) continue;
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const local = services.get(url.hostname)?.get(port);
    if (local === undefined) {
      delete env[k]; // e.g. LLAMACPP_URL when llama.cpp does not run here: the feature reports itself off
      continue;
    }
    url.hostname = "127.0.0.1";
    url.port = String(local);
    env[k] = url.toString().replace(/\/$/, v.endsWith("/") ? "/" : "");
  }
}

/**
 * WATCHER_URL names each repo's watcher pod (watcher-{repo}.watchers:8005) in the cluster. One machine has no such
 * names, and a template can point at one port only: with one watcher it points there (its control port, with the
 * /{repo} check), with several it is dropped and local file events do the job (the MCP servers index themselves).
 */
function localWatcherUrl(planned: LocalProcess[], envs: Map<LocalProcess, Record<string, string>>): string | undefined {
  const watchers = planned.filter((p) => p.component === "watcher");
  if (watchers.length !== 1) return undefined;
  const port = envs.get(watchers[0])?.WATCH_CONTROL_PORT;
  return port ? `http://127.0.0.1:${port}/{repo}` : undefined;
}

export function planLocalProcesses(opts: LayoutOptions): LocalProcess[] {
  const workloads = localWorkloads(opts.objects);
  const byName = new Map(workloads.map((w) => [w.metadata.name, w]));
  const storePath = path.join(opts.workDir, "store", "index.db");
  const planned: LocalProcess[] = [];
  const envs = new Map<LocalProcess, Record<string, string>>();
  for (const obj of workloads) {
    const c = obj.spec.template.spec.containers[0];
    const mounts = mountMap(obj, c, opts.workDir);
    const ports = new Map<number, number>();
    for (const p of c.ports ?? []) ports.set(p.containerPort, opts.portFor(obj.metadata.name, p.containerPort));
    const env = resolveEnv(obj, c, opts.objects, opts.secrets ?? {});
    const args: string[] = [...(c.command ?? []).slice(1), ...(c.args ?? [])].map((a: string) => {
      const expanded = expand(String(a), env);
      const asPort = /^\d+$/.test(expanded) ? ports.get(Number(expanded)) : undefined;
      return asPort !== undefined ? String(asPort) : remapPath(expanded, mounts);
    });
    for (const k of Object.keys(env)) env[k] = remapPath(env[k], mounts);
    // A setting naming one of the container's own ports (WATCH_CONTROL_PORT) follows that port.
    for (const k of Object.keys(env)) if (/^\d+$/.test(env[k]) && ports.has(Number(env[k])) && /_PORT$/.test(k)) env[k] = String(ports.get(Number(env[k])));
    const probe = c.readinessProbe?.httpGet ?? c.livenessProbe?.httpGet;
    let readyUrl: string | undefined;
    if (probe) {
      const containerPort = typeof probe.port === "number" ? probe.port : (c.ports ?? []).find((p: Container) => p.name === probe.port)?.containerPort;
      const local = containerPort === undefined ? undefined : ports.get(containerPort);
      if (local === undefined) throw new Error(`Deployment ${obj.metadata.name}: probe port ${probe.port} is not a declared container port`);
      readyUrl = `http://127.0.0.1:${local}${probe.path ?? "/"}`;
    }
    const tmp = mounts.find(([m]) => m === "/tmp")?.[1];
    const proc: LocalProcess = {
      name: obj.metadata.name,
      component: obj.spec.template.metadata.labels?.["app.kubernetes.io/component"] ?? "",
      command: opts.cli[0],
      args: [...opts.cli.slice(1), ...args],
      env: {},
      cwd: opts.workDir,
      ports,
      readyUrl,
      dirs: mounts.map(([, local]) => local),
    };
    if (tmp) env.TMPDIR = tmp;
    envs.set(proc, env);
    planned.push(proc);
  }
  const services = serviceMap(opts.objects, planned, byName);
  const allServices = new Set(opts.objects.filter((o) => o.kind === "Service").map((o) => o.metadata.name));
  const watcherUrl = localWatcherUrl(planned, envs);
  for (const proc of planned) {
    const env = envs.get(proc)!;
    rewriteServiceUrls(env, services, allServices);
    if ("WATCHER_URL" in env) {
      if (watcherUrl) env.WATCHER_URL = watcherUrl;
      else delete env.WATCHER_URL;
    }
    for (const k of CLUSTER_ONLY_ENV) delete env[k];
    env.STORE_PATH = storePath;
    if ("BIND_HOST" in env) env.BIND_HOST = "127.0.0.1";
    proc.env = { ...env, ...(opts.env ?? {}) };
  }
  return planned;
}
