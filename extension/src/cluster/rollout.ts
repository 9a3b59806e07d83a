// Waits until a Deployment or StatefulSet has rolled out, and stops early with the reason when its pods cannot start.
import type { V1Pod } from "@kubernetes/client-node";
import { delay, throwIfAborted } from "../log.ts";
import { selectorString, type ClusterApi } from "./api.ts";
import { ClusterError } from "./errors.ts";
import type { KubeObject } from "./manifests.ts";

export interface RolloutOptions {
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /** "2/3 ready" while waiting. */
  onWait?: (detail: string) => void;
}

interface WorkloadStatus {
  metadata?: { generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** Null when rolled out, else what is still missing. */
export function rolloutGap(kind: string, w: WorkloadStatus): string | null {
  const want = w.spec?.replicas ?? 1;
  const st = w.status ?? {};
  if ((st.observedGeneration ?? 0) < (w.metadata?.generation ?? 0)) return "waiting for the controller to see the new spec";
  const updated = st.updatedReplicas ?? 0;
  const ready = st.readyReplicas ?? 0;
  if (updated < want) return `${updated}/${want} updated`;
  if ((st.replicas ?? 0) > updated) return `${(st.replicas ?? 0) - updated} old replica(s) terminating`;
  if (ready < want) return `${ready}/${want} ready`;
  if (kind === "Deployment" && (st.availableReplicas ?? 0) < want) return `${st.availableReplicas ?? 0}/${want} available`;
  if (kind === "StatefulSet" && st.updateRevision && st.currentRevision && st.updateRevision !== st.currentRevision && want > 0 && ready < want)
    return "revision update in progress";
  return null;
}

const FATAL_WAITING = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError"]);

/** A reason the rollout cannot succeed by waiting, read from the pods' container states, or null. */
export function podProblem(pods: V1Pod[], namespace: string): string | null {
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "?";
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const cs of statuses) {
      const waiting = cs.state?.waiting;
      if (!waiting?.reason || !FATAL_WAITING.has(waiting.reason)) continue;
      // A first ErrImagePull can be a registry hiccup; the kubelet turns lasting ones into ImagePullBackOff.
      if (waiting.reason === "ErrImagePull" && cs.restartCount === 0 && !/not found|unauthorized|denied|manifest unknown/i.test(waiting.message ?? "")) continue;
      const msg = waiting.message ? `: ${waiting.message}` : "";
      if (waiting.reason === "ImagePullBackOff" || waiting.reason === "ErrImagePull" || waiting.reason === "InvalidImageName") {
        return (
          `The cluster cannot pull ${cs.image}: push it to a registry the cluster can reach and set contextEngine.image.registry ` +
          `(and contextEngine.image.tag), or give the namespace an imagePullSecret for a private registry. ` +
          `(Pod ${name}, container ${cs.name}: ${waiting.reason}${msg}.)`
        );
      }
      if (waiting.reason === "CrashLoopBackOff") {
        const last = cs.lastState?.terminated;
        const why = last ? ` (last exit ${last.exitCode}${last.reason ? ` ${last.reason}` : ""}${last.message ? `: ${last.message.trim()}` : ""})` : "";
        return `Container ${cs.name} in pod ${name} keeps crashing${why}. See its logs: "Context Engine: Show Logs" or kubectl -n ${namespace} logs ${name} -c ${cs.name}.`;
      }
      return `Container ${cs.name} in pod ${name} cannot start (${waiting.reason}${msg}).`;
    }
  }
  return null;
}

function pendingReason(pods: V1Pod[]): string | null {
  for (const pod of pods) {
    const c = pod.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False");
    if (c) return `pod ${pod.metadata?.name} not scheduled: ${c.message ?? c.reason ?? "unschedulable"}`;
  }
  return null;
}

interface JobStatus {
  spec?: { completions?: number };
  status?: { succeeded?: number; failed?: number; active?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** Null when the Job completed; throws when it failed for good; else what it is doing. */
export function jobGap(name: string, j: JobStatus): string | null {
  const failed = j.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  if (failed) throw new ClusterError(`Job ${name} failed (${failed.reason ?? "Failed"}${failed.message ? `: ${failed.message}` : ""}). See its logs with "Context Engine: Show Logs".`);
  const want = j.spec?.completions ?? 1;
  const done = j.status?.succeeded ?? 0;
  if (done >= want) return null;
  return `${done}/${want} completed${j.status?.failed ? `, ${j.status.failed} failed attempt(s)` : ""}`;
}

export async function waitForRollout(api: ClusterApi, o: KubeObject, opts: RolloutOptions): Promise<void> {
  const namespace = o.metadata.namespace ?? "default";
  const name = o.metadata.name;
  const deadline = Date.now() + opts.timeoutMs;
  let last = "not observed yet";
  for (;;) {
    throwIfAborted(opts.signal, `waiting for ${name}`);
    const w = await api.call<WorkloadStatus & JobStatus>({ verb: "get", kind: o.kind, name, namespace, apiVersion: o.apiVersion }, () =>
      o.kind === "StatefulSet"
        ? (api.apps.readNamespacedStatefulSet({ name, namespace }) as Promise<WorkloadStatus>)
        : o.kind === "Job"
          ? (api.batch.readNamespacedJob({ name, namespace }) as Promise<JobStatus>)
          : (api.apps.readNamespacedDeployment({ name, namespace }) as Promise<WorkloadStatus>),
    );
    const gap = o.kind === "Job" ? jobGap(name, w) : rolloutGap(o.kind, w);
    if (gap === null) return;
    const selector = o.kind === "Job" ? `job-name=${name}` : selectorString(w.spec?.selector?.matchLabels);
    const pods = selector ? await api.listPods(namespace, selector) : [];
    const problem = podProblem(pods, namespace);
    if (problem) throw new ClusterError(`${o.kind} ${name} cannot ${o.kind === "Job" ? "run" : "roll out"}. ${problem}`);
    last = [gap, pendingReason(pods)].filter(Boolean).join("; ");
    opts.onWait?.(last);
    if (Date.now() >= deadline) {
      throw new ClusterError(
        `${o.kind} ${name} did not ${o.kind === "Job" ? "complete" : "roll out"} within ${Math.round(opts.timeoutMs / 1000)} s (${last}). ` +
          `Look at kubectl -n ${namespace} describe ${o.kind.toLowerCase()} ${name} and its pods, or raise "contextEngine.rolloutTimeoutSeconds".`,
      );
    }
    await delay(Math.min(opts.pollMs, Math.max(0, deadline - Date.now())), opts.signal);
  }
}
