// The k8s/ base as rendered at build time (dist/manifests.json), tailored to the user's settings and put in apply order.
import { readFileSync } from "node:fs";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** What esbuild.mjs writes to extension/dist/manifests.json. */
export interface ManifestBundle {
  /** Where it was rendered from and how ("kubectl kustomize k8s/"). */
  source: string;
  objects: KubeObject[];
  /** k8s/watcher-backend-deployment.yaml: the per-repo watcher Deployment. */
  watcherTemplate: KubeObject | null;
}

export interface DeployOptions {
  namespace: string;
  /** Registry for the project image ("ghcr.io/acme"); empty keeps the rendered one. */
  imageRegistry: string;
  /** Tag for the project image; empty keeps the rendered one. */
  imageTag: string;
  skipLlamaCpp: boolean;
  deployIngress: boolean;
}

export const DEFAULT_NAMESPACE = "context-engine";
export const FIELD_MANAGER = "context-engine";
/** The repository name of the project's own image (every Deployment but qdrant and llama.cpp runs it). */
export const PROJECT_IMAGE = "context-engine";

export function readManifestBundle(file: string): ManifestBundle {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`This build of the extension has no Kubernetes manifests (${file} is missing). Rebuild it with "npm run package:vsix" on a machine with kubectl.`);
  }
  const bundle = JSON.parse(text) as ManifestBundle;
  if (!Array.isArray(bundle.objects) || bundle.objects.length === 0) {
    throw new Error(`This build of the extension ships no Kubernetes objects (${file}: ${bundle.source ?? "empty"}). Rebuild it from a checkout with k8s/.`);
  }
  return bundle;
}

// Within a stage, what others refer to comes first (as Helm installs).
const KIND_ORDER = [
  "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ServiceAccount", "Secret", "ConfigMap",
  "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
  "Role", "RoleBinding", "Service", "DaemonSet", "Pod", "ReplicaSet", "StatefulSet", "Job", "Deployment", "HorizontalPodAutoscaler",
  "CronJob", "IngressClass", "Ingress",
];

/** The base's `context-engine/stage` labels in deploy order (as k8s/deploy.sh): each stage is applied, then awaited. */
export const STAGES = ["foundation", "store", "init", "core", "decoder", "ingress"] as const;
export const STAGE_LABEL = "context-engine/stage";

export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

/** The object's stage: its label, else one guessed from its kind. */
export function stageOf(o: KubeObject): string {
  const label = o.metadata.labels?.[STAGE_LABEL];
  if (label && (STAGES as readonly string[]).includes(label)) return label;
  switch (o.kind) {
    case "StatefulSet":
      return "store";
    case "Job":
      return "init";
    case "Deployment":
    case "Service":
    case "HorizontalPodAutoscaler":
    case "CronJob":
    case "DaemonSet":
      return "core";
    case "Ingress":
    case "IngressClass":
      return "ingress";
    default:
      return "foundation";
  }
}

function stageRank(o: KubeObject): number {
  return (STAGES as readonly string[]).indexOf(stageOf(o));
}

/** Stable sort by stage, then kind; objects of one kind keep the kustomize order. */
export function applyOrder(objects: KubeObject[]): KubeObject[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => stageRank(a.o) - stageRank(b.o) || kindRank(a.o.kind) - kindRank(b.o.kind) || a.i - b.i)
    .map((x) => x.o);
}

/** Consecutive objects of one stage, in apply order. */
export function stages(ordered: KubeObject[]): Array<{ stage: string; objects: KubeObject[] }> {
  const out: Array<{ stage: string; objects: KubeObject[] }> = [];
  for (const o of ordered) {
    const st = stageOf(o);
    if (out.at(-1)?.stage !== st) out.push({ stage: st, objects: [] });
    out.at(-1)!.objects.push(o);
  }
  return out;
}

const CLUSTER_SCOPED = new Set(["Namespace", "StorageClass", "PersistentVolume", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "IngressClass"]);

export function isNamespaced(kind: string): boolean {
  return !CLUSTER_SCOPED.has(kind);
}

function isLlamaCpp(o: KubeObject): boolean {
  const name = o.metadata.name.toLowerCase();
  return o.metadata.labels?.[STAGE_LABEL] === "decoder" || name.includes("llamacpp") || name.includes("llama-cpp");
}

/** "ghcr.io/acme/context-engine:0.1.0" -> {repo: "ghcr.io/acme/context-engine", name: "context-engine", tag: "0.1.0"}. */
export function parseImage(image: string): { repo: string; name: string; registry: string; tag: string } {
  const at = image.indexOf("@");
  const noDigest = at === -1 ? image : image.slice(0, at);
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const hasTag = colon > lastSlash;
  const repo = hasTag ? noDigest.slice(0, colon) : noDigest;
  const tag = hasTag ? noDigest.slice(colon + 1) : "latest";
  const slash = repo.lastIndexOf("/");
  return { repo, name: repo.slice(slash + 1), registry: slash === -1 ? "" : repo.slice(0, slash), tag };
}

/**
 * The project image with the user's registry and tag. `registry` is either a registry prefix ("ghcr.io/acme") or,
 * as k8s/deploy.sh --registry takes it, the whole image name ("ghcr.io/acme/context-engine").
 */
export function overrideImage(image: string, registry: string, tag: string): string {
  const p = parseImage(image);
  if (p.name !== PROJECT_IMAGE) return image;
  const reg = registry.trim().replace(/\/+$/, "");
  const repo = !reg ? p.repo : reg === PROJECT_IMAGE || reg.endsWith(`/${PROJECT_IMAGE}`) ? reg : `${reg}/${PROJECT_IMAGE}`;
  return `${repo}:${tag.trim() || p.tag}`;
}

function podSpecs(o: KubeObject): Array<Record<string, unknown>> {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec) return [];
  if (o.kind === "Pod") return [spec];
  const template = spec.template as { spec?: Record<string, unknown> } | undefined;
  if (template?.spec) return [template.spec];
  const jobTemplate = spec.jobTemplate as { spec?: { template?: { spec?: Record<string, unknown> } } } | undefined;
  return jobTemplate?.spec?.template?.spec ? [jobTemplate.spec.template.spec] : [];
}

export function forEachContainer(o: KubeObject, fn: (c: Record<string, unknown>) => void): void {
  for (const ps of podSpecs(o)) {
    for (const key of ["initContainers", "containers"]) {
      const list = ps[key] as Array<Record<string, unknown>> | undefined;
      for (const c of list ?? []) fn(c);
    }
  }
}

/** Deep copy with the namespace, the project image and the optional parts set from the options. */
export function tailor(objects: KubeObject[], opts: DeployOptions): KubeObject[] {
  const ns = opts.namespace.trim() || DEFAULT_NAMESPACE;
  const out: KubeObject[] = [];
  for (const original of objects) {
    if (opts.skipLlamaCpp && isLlamaCpp(original)) continue;
    if (!opts.deployIngress && original.kind === "Ingress") continue;
    const o = structuredClone(original);
    if (opts.skipLlamaCpp && o.kind === "ConfigMap" && typeof (o.data as Record<string, string> | undefined)?.LLAMACPP_URL === "string") {
      (o.data as Record<string, string>).LLAMACPP_URL = "";
    }
    if (o.kind === "Namespace") o.metadata.name = ns;
    else if (isNamespaced(o.kind)) o.metadata.namespace = ns;
    for (const s of (o.subjects as Array<{ namespace?: string }> | undefined) ?? []) if (s.namespace) s.namespace = ns;
    forEachContainer(o, (c) => {
      if (typeof c.image === "string") c.image = overrideImage(c.image, opts.imageRegistry, opts.imageTag);
    });
    out.push(o);
  }
  return applyOrder(out);
}

export function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}

/** Objects Deploy waits for after applying their stage: rollouts, and Jobs to complete. */
export function isAwaited(o: KubeObject): boolean {
  return o.kind === "StatefulSet" || o.kind === "Deployment" || o.kind === "Job";
}
