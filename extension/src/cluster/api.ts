// The few Kubernetes API calls the extension makes, each failing with a readable ClusterError.
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type V1Pod } from "@kubernetes/client-node";
import { describeCluster } from "./kubeconfig.ts";
import { delay } from "../log.ts";
import { ClusterError, explainApiError, type ApiAction } from "./errors.ts";
import { FIELD_MANAGER, type KubeObject } from "./manifests.ts";

export class ClusterApi {
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly cluster: string;

  constructor(readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.cluster = describeCluster(kc);
  }

  async call<T>(action: ApiAction, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw explainApiError(e, action, this.cluster);
    }
  }

  private action(verb: string, o: KubeObject): ApiAction {
    return { verb, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, apiVersion: o.apiVersion };
  }

  /** Server-side apply, field manager `context-engine`, forcing ownership of the fields we set (as `kubectl apply --server-side --force-conflicts`). */
  async apply(o: KubeObject): Promise<KubeObject> {
    return this.call(this.action("patch", o), () =>
      this.objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply) as Promise<KubeObject>,
    );
  }

  /**
   * Apply for objects with immutable parts (a Job's pod template): when the cluster refuses the change as invalid,
   * the old object is deleted, its disappearance awaited, and the new one applied (what k8s/deploy.sh does for the init Job).
   */
  async replaceIfImmutable(o: KubeObject, pollMs: number, signal?: AbortSignal): Promise<KubeObject> {
    try {
      return await this.apply(o);
    } catch (e) {
      if ((e as { status?: number }).status !== 422) throw e;
    }
    await this.delete(o);
    const deadline = Date.now() + 120_000;
    while ((await this.read(o)) !== undefined) {
      if (Date.now() > deadline) throw new ClusterError(`${o.kind} ${o.metadata.name} was not removed within 120 s; delete it by hand and deploy again.`);
      await delay(pollMs, signal);
    }
    return this.apply(o);
  }

  /** Deletes the object; false when it was already gone. */
  async delete(o: KubeObject): Promise<boolean> {
    try {
      await this.call(this.action("delete", o), () => this.objects.delete(o, undefined, undefined, undefined, undefined, "Background"));
      return true;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return false;
      throw e;
    }
  }

  /** The object as the cluster has it, or undefined when it does not exist. */
  async read(o: KubeObject): Promise<KubeObject | undefined> {
    try {
      return (await this.call(this.action("get", o), () => this.objects.read(o as never))) as unknown as KubeObject;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const r = await this.call({ verb: "list", kind: "Pod", namespace }, () => this.core.listNamespacedPod({ namespace, labelSelector }));
    return r.items;
  }
}

export function selectorString(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
