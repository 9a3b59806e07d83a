// Deploy and Undeploy: the shipped base applied in dependency order, rollouts awaited; undeploy in reverse.
import { throwIfAborted } from "../log.ts";
import type { ClusterApi } from "./api.ts";
import { STAGE_LABEL, describe, isAwaited, stages, tailor, type DeployOptions, type KubeObject, type ManifestBundle } from "./manifests.ts";
import { waitForRollout } from "./rollout.ts";
import { WATCHER_APP_LABEL } from "./watcher.ts";

export interface Step {
  /** 1-based. */
  index: number;
  total: number;
  message: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onStep?: (step: Step) => void;
  rolloutTimeoutMs?: number;
  pollMs?: number;
}

export interface DeployResult {
  applied: KubeObject[];
  waited: string[];
}

/** The optional Secret the servers read CONTEXT_ENGINE_TOKEN from; the extension owns only that key (server-side apply). */
export function tokenSecret(namespace: string, token: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SECRET_NAME, namespace, labels: { "app.kubernetes.io/part-of": "context-engine", [STAGE_LABEL]: "foundation" } },
    type: "Opaque",
    data: { CONTEXT_ENGINE_TOKEN: Buffer.from(token, "utf8").toString("base64") },
  };
}

export const SECRET_NAME = "context-engine-secrets";

/** Applies the base stage by stage; with `token`, also the Secret that makes every MCP and upload route require it. */
export async function deploy(api: ClusterApi, bundle: ManifestBundle, opts: DeployOptions, run: RunOptions = {}, token?: string): Promise<DeployResult> {
  const objects = tailor(token ? [...bundle.objects, tokenSecret(opts.namespace, token)] : bundle.objects, opts);
  const total = objects.length + objects.filter(isAwaited).length;
  const pollMs = run.pollMs ?? 2000;
  let i = 0;
  const waited: string[] = [];
  // Stage by stage (foundation, store, init, core, decoder, ingress): apply, then wait for what the next stage needs.
  for (const { objects: group } of stages(objects)) {
    for (const o of group) {
      throwIfAborted(run.signal, "deploy");
      run.onStep?.({ index: ++i, total, message: `Applying ${describe(o)}` });
      if (o.kind === "Job") await api.replaceIfImmutable(o, pollMs, run.signal);
      else await api.apply(o);
    }
    for (const w of group.filter(isAwaited)) {
      throwIfAborted(run.signal, "deploy");
      const index = ++i;
      const message = w.kind === "Job" ? `Waiting for Job ${w.metadata.name} to complete` : `Waiting for ${w.kind} ${w.metadata.name} to roll out`;
      run.onStep?.({ index, total, message });
      await waitForRollout(api, w, {
        timeoutMs: run.rolloutTimeoutMs ?? 600_000,
        pollMs,
        signal: run.signal,
        onWait: (detail) => run.onStep?.({ index, total, message: `${message} (${detail})` }),
      });
      waited.push(w.metadata.name);
    }
  }
  return { applied: objects, waited };
}

export interface UndeployOptions extends RunOptions {
  /** Also delete PersistentVolumeClaims and the Namespace (the index and the synced repos are lost). */
  deleteVolumes: boolean;
}

export interface UndeployResult {
  deleted: string[];
  kept: string[];
}

export async function undeploy(api: ClusterApi, bundle: ManifestBundle, opts: DeployOptions, run: UndeployOptions): Promise<UndeployResult> {
  // Everything the base can make, whatever the optional parts were at deploy time, and the token Secret.
  const objects = tailor([...bundle.objects, tokenSecret(opts.namespace, "")], { ...opts, skipLlamaCpp: false, deployIngress: true }).reverse();
  const keepKinds = run.deleteVolumes ? new Set<string>() : new Set(["PersistentVolumeClaim", "PersistentVolume", "Namespace"]);
  const namespace = objects.find((o) => o.kind === "Namespace")?.metadata.name ?? opts.namespace;
  const watchers = await listWatchers(api, namespace);
  const deleted: string[] = [];
  const kept: string[] = [];
  const total = watchers.length + objects.length;
  let i = 0;
  for (const o of [...watchers, ...objects]) {
    throwIfAborted(run.signal, "undeploy");
    run.onStep?.({ index: ++i, total, message: keepKinds.has(o.kind) ? `Keeping ${describe(o)}` : `Deleting ${describe(o)}` });
    if (keepKinds.has(o.kind)) {
      kept.push(describe(o));
      continue;
    }
    if (await api.delete(o)) deleted.push(describe(o));
  }
  return { deleted, kept };
}

async function listWatchers(api: ClusterApi, namespace: string): Promise<KubeObject[]> {
  try {
    const r = await api.call({ verb: "list", kind: "Deployment", namespace, apiVersion: "apps/v1" }, () =>
      api.apps.listNamespacedDeployment({ namespace, labelSelector: `app=${WATCHER_APP_LABEL}` }),
    );
    return r.items.map((d) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: d.metadata?.name ?? "", namespace } }));
  } catch (e) {
    if ((e as { status?: number }).status === 404) return [];
    throw e;
  }
}
