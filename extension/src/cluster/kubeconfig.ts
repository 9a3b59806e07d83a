// Loads the kubeconfig the user chose (setting, KUBECONFIG, ~/.kube/config) and fails with a sentence that says what to do.
import { KubeConfig } from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface KubeconfigChoice {
  /** contextEngine.kubeconfig; empty: KUBECONFIG, then ~/.kube/config. */
  path?: string;
  /** contextEngine.context; empty: the kubeconfig's current context. */
  context?: string;
}

export class ClusterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClusterConfigError";
  }
}

function expandHome(p: string): string {
  return p.startsWith("~") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The kubeconfig files that would be read, in order. */
export function kubeconfigFiles(choice: KubeconfigChoice, env: NodeJS.ProcessEnv = process.env): string[] {
  if (choice.path?.trim()) return [expandHome(choice.path.trim())];
  if (env.KUBECONFIG?.trim()) return env.KUBECONFIG.split(path.delimiter).filter(Boolean).map(expandHome);
  return [path.join(os.homedir(), ".kube", "config")];
}

export function loadKubeConfig(choice: KubeconfigChoice, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const files = kubeconfigFiles(choice, env);
  const present = files.filter((f) => existsSync(f));
  if (present.length === 0) {
    throw new ClusterConfigError(
      `No kubeconfig found (looked at ${files.join(", ")}). Set "contextEngine.kubeconfig" to your kubeconfig file, ` +
        `or create one (for example with "kind create cluster" or your cloud's "get-credentials"), or use Local Mode.`,
    );
  }
  const kc = new KubeConfig();
  try {
    if (present.length === 1) kc.loadFromFile(present[0]);
    else {
      // KUBECONFIG with several files: client-node merges them like kubectl.
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = present.join(path.delimiter);
      try {
        kc.loadFromDefault();
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
      }
    }
  } catch (e) {
    throw new ClusterConfigError(`The kubeconfig ${present.join(", ")} could not be read: ${(e as Error).message}. Fix the file or point "contextEngine.kubeconfig" at another one.`);
  }
  const wanted = choice.context?.trim();
  if (wanted) {
    if (!kc.getContextObject(wanted)) {
      const names = kc.getContexts().map((c) => c.name);
      throw new ClusterConfigError(
        `The kubeconfig has no context "${wanted}" (it has: ${names.join(", ") || "none"}). Fix "contextEngine.context" or leave it empty for the current context.`,
      );
    }
    kc.setCurrentContext(wanted);
  }
  if (!kc.getCurrentContext() || !kc.getCurrentCluster()) {
    throw new ClusterConfigError(
      `The kubeconfig ${present.join(", ")} has no current context with a cluster. Run "kubectl config use-context <name>" or set "contextEngine.context".`,
    );
  }
  return kc;
}

/** "kind-dev (https://127.0.0.1:6443)" for messages. */
export function describeCluster(kc: KubeConfig): string {
  return `${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server ?? "no server"})`;
}
