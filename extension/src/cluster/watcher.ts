// The per-repo watcher Deployment (`watcher-<repo>`), rendered from the shipped template k8s/watcher-backend-deployment.yaml.
import { REPO_NAME_PATTERN } from "../../../server/src/sync/protocol.ts";
import type { ClusterApi } from "./api.ts";
import { forEachContainer, overrideImage, type DeployOptions, type KubeObject } from "./manifests.ts";

export const WATCHER_APP_LABEL = "watcher";
export const REPO_LABEL = "context-engine/repo";

function replaceStrings(v: unknown, from: string, to: string): unknown {
  if (typeof v === "string") return from && v.includes(from) ? v.split(from).join(to) : v;
  if (Array.isArray(v)) return v.map((x) => replaceStrings(x, from, to));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceStrings(x, from, to)]));
  return v;
}

/** The template's repo placeholder (its context-engine/repo label, e.g. "REPO_NAME" or "example") becomes `repo` everywhere. */
export function renderWatcher(template: KubeObject, repo: string, opts: DeployOptions): KubeObject {
  if (!REPO_NAME_PATTERN.test(repo)) {
    throw new Error(`"${repo}" is not a valid repo name: lowercase letters, digits and "-", at most 63 characters. Set "contextEngine.repoName".`);
  }
  const placeholder = template.metadata.labels?.[REPO_LABEL] ?? "";
  const o = replaceStrings(structuredClone(template), placeholder, repo) as KubeObject;
  o.metadata.name = `watcher-${repo}`;
  o.metadata.namespace = opts.namespace;
  o.metadata.labels = { ...o.metadata.labels, app: WATCHER_APP_LABEL, [REPO_LABEL]: repo };
  const spec = o.spec as {
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { volumes?: unknown[] } };
  };
  // The selector is immutable: keep the template's (its repo label is already replaced), only make sure it names the repo.
  spec.selector = { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, [REPO_LABEL]: repo } };
  spec.template = spec.template ?? {};
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, app: WATCHER_APP_LABEL, [REPO_LABEL]: repo } };
  forEachContainer(o, (c) => {
    if (typeof c.image === "string") c.image = overrideImage(c.image, opts.imageRegistry, opts.imageTag);
    const env = (c.env as Array<{ name: string; value?: string }> | undefined) ?? [];
    const repoEnv = env.find((e) => e.name === "REPO_NAME");
    if (repoEnv) repoEnv.value = repo;
    for (const m of (c.volumeMounts as Array<{ subPath?: string }> | undefined) ?? []) {
      if (m.subPath !== undefined && m.subPath !== repo && !m.subPath.includes(repo)) m.subPath = repo;
    }
  });
  return o;
}

export async function ensureWatcher(api: ClusterApi, template: KubeObject | null, repo: string, opts: DeployOptions): Promise<KubeObject> {
  if (!template) throw new Error("This build of the extension ships no watcher template (k8s/watcher-backend-deployment.yaml was absent at build time).");
  return api.apply(renderWatcher(template, repo, opts));
}

export async function removeWatcher(api: ClusterApi, repo: string, namespace: string): Promise<boolean> {
  return api.delete({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: `watcher-${repo}`, namespace } });
}
