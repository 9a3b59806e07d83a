// Renders the k8s/ Kustomize base into extension/dist/manifests.json at build time, so Deploy needs no kubectl:
// {source, objects: [...], watcherTemplate}. Fails with a clear message when kubectl is missing.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export function renderManifests(repoRoot, outFile) {
  const k8s = path.join(repoRoot, "k8s");
  if (!existsSync(path.join(k8s, "kustomization.yaml"))) {
    throw new Error(`render-manifests: ${k8s}/kustomization.yaml not found; the extension ships the k8s/ base and cannot be built without it.`);
  }
  let rendered;
  try {
    rendered = execFileSync("kubectl", ["kustomize", k8s], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if (e.code === "ENOENT") {
      throw new Error(
        "render-manifests: kubectl not found on PATH. Building the extension renders k8s/ with `kubectl kustomize`; " +
          "install kubectl (https://kubernetes.io/docs/tasks/tools/) and build again.",
      );
    }
    throw new Error(`render-manifests: kubectl kustomize ${k8s} failed: ${e.stderr || e.message}`);
  }
  const objects = parseAllDocuments(rendered)
    .map((d) => d.toJS())
    .filter((o) => o && typeof o === "object" && o.kind);
  const templateFile = path.join(k8s, "watcher-backend-deployment.yaml");
  const watcherTemplate = existsSync(templateFile)
    ? parseAllDocuments(readFileSync(templateFile, "utf8")).map((d) => d.toJS()).find((o) => o && o.kind === "Deployment") ?? null
    : null;
  if (!watcherTemplate) throw new Error(`render-manifests: ${templateFile} (the watcher template) is missing or has no Deployment.`);
  // The template is not rendered by Kustomize: give it the released image the rendered base carries
  // (k8s/components/image), so a watcher never runs the placeholder `context-engine:latest`.
  const released = objects
    .flatMap((o) => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])])
    .map((c) => c.image)
    .find((i) => typeof i === "string" && /(^|\/)context-engine[:@]/.test(i) && !i.startsWith("context-engine:"));
  if (!released) throw new Error("render-manifests: the rendered k8s/ base names no released context-engine image (k8s/components/image)");
  for (const key of ["initContainers", "containers"]) {
    for (const c of watcherTemplate.spec?.template?.spec?.[key] ?? []) if (/^context-engine(:|$)/.test(c.image)) c.image = released;
  }
  mkdirSync(path.dirname(outFile), { recursive: true });
  const bundle = { source: "kubectl kustomize k8s/", objects, watcherTemplate };
  writeFileSync(outFile, JSON.stringify(bundle));
  return bundle;
}
