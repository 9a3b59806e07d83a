// Reading the deployment's manifests offline: render with `kubectl kustomize` (or read the base's files when
// kubectl is absent), look objects up, match label selectors, and validate against the Kubernetes schemas.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const K8S_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const WATCHER_TEMPLATE = path.join(K8S_DIR, "watcher-backend-deployment.yaml");

/** A Kubernetes object as rendered: only the fields every object has are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export function parseObjects(text: string, source = "manifest"): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    const obj = doc.toJS() as K8sObject | null;
    if (obj) out.push(obj);
  }
  return out;
}

export function kubectlAvailable(): boolean {
  return spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
}

/** `kubectl kustomize DIR`, parsed. Throws with kubectl's message when rendering fails. */
export function renderKustomization(dir: string): K8sObject[] {
  const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`kubectl kustomize ${dir}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr.trim()}`);
  return parseObjects(r.stdout, dir);
}

/** The base's files as listed in base/kustomization.yaml, without kubectl (they are complete manifests). */
export function readBaseFiles(): K8sObject[] {
  const kustomization = parseObjects(readFileSync(path.join(K8S_DIR, "base", "kustomization.yaml"), "utf8"))[0];
  const files = kustomization.resources as string[];
  return files.flatMap((f) => parseObjects(readFileSync(path.join(K8S_DIR, "base", f), "utf8"), f));
}

export function readYamlFile(file: string): K8sObject[] {
  return parseObjects(readFileSync(file, "utf8"), file);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function get(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind} ${name} among the rendered objects`);
  return o;
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

/** Objects that carry a pod template, with that template. */
export function workloads(objects: K8sObject[]): { obj: K8sObject; template: K8sObject }[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((obj) => ({ obj, template: obj.kind === "CronJob" ? obj.spec.jobTemplate.spec.template : obj.spec.template }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Container = any;

export function containersOf(template: K8sObject, withInit = true): Container[] {
  return [...(template.spec.containers ?? []), ...(withInit ? (template.spec.initContainers ?? []) : [])];
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    if (e.operator === "In" && !(has && (e.values ?? []).includes(l[e.key]))) return false;
    if (e.operator === "NotIn" && has && (e.values ?? []).includes(l[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** A Service selector (plain map) against pod labels; an empty selector selects nothing here. */
export function serviceSelects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return matchesSelector(labels, { matchLabels: selector });
}

/** The container port a Service/probe port refers to (by name or number), if any container declares it. */
export function resolvePort(containers: Container[], port: number | string): number | undefined {
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (typeof port === "string" && p.name === port) return p.containerPort;
      if (typeof port === "number" && p.containerPort === port) return port;
    }
  }
  return undefined;
}

/**
 * Validates one object against the schema of its apiVersion/kind (kubernetes-models) and refuses fields the schema
 * does not know (a misspelt `readinesProbe` would otherwise pass, as it does in the schemas); throws on errors.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`;
  let mod: Record<string, { prototype: { validate(this: unknown): void } }>;
  try {
    mod = await import(modulePath);
  } catch {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: no schema for ${obj.apiVersion} ${obj.kind} in kubernetes-models`);
  }
  // The schema validator reads every property its schema declares (and enumerates maps): what it never read is unknown.
  const read = new WeakMap<object, Set<PropertyKey>>();
  const proxies = new WeakMap<object, object>();
  const watch = (v: unknown): unknown => {
    if (!v || typeof v !== "object") return v;
    const target = v as object;
    const known = proxies.get(target);
    if (known) return known;
    const seen = new Set<PropertyKey>();
    read.set(target, seen);
    const proxy = new Proxy(target, {
      get(t, k, r) {
        seen.add(k);
        return watch(Reflect.get(t, k, r));
      },
      ownKeys(t) {
        for (const k of Reflect.ownKeys(t)) seen.add(k);
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  try {
    mod[obj.kind].prototype.validate.call(watch(obj));
  } catch (e) {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`);
  }
  const unknown: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (!v || typeof v !== "object") return;
    const seen = read.get(v as object);
    for (const [k, child] of Object.entries(v)) {
      if (!Array.isArray(v) && seen && !seen.has(k)) unknown.push(`${at}${k}`);
      walk(child, `${at}${k}.`);
    }
  };
  walk(obj, "");
  if (unknown.length) throw new Error(`${obj.kind} ${obj.metadata?.name}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
}
