// The cluster side as one object, bundled apart (dist/cluster.cjs) and loaded only when a cluster is used.
import { UPLOADER_PORT } from "../../../server/src/sync/protocol.ts";
import type { Logger } from "../log.ts";
import { ClusterApi } from "./api.ts";
import { deploy, undeploy, type DeployResult, type RunOptions, type UndeployResult } from "./deploy.ts";
import { describeCluster, loadKubeConfig, type KubeconfigChoice } from "./kubeconfig.ts";
import { readManifestBundle, type DeployOptions, type ManifestBundle } from "./manifests.ts";
import { ServicePortForward } from "./port-forward.ts";
import { ensureWatcher, removeWatcher } from "./watcher.ts";

export type { DeployOptions } from "./manifests.ts";
export type { Step, RunOptions, DeployResult, UndeployResult } from "./deploy.ts";
export { ClusterError } from "./errors.ts";
export { ClusterConfigError } from "./kubeconfig.ts";

export interface ClusterSettings extends KubeconfigChoice, DeployOptions {
  rolloutTimeoutSeconds: number;
}

/** The Services the extension talks to, with their ports in the base. */
export const SERVICES = {
  indexer: { service: "mcp-indexer-http", port: 8003 },
  memory: { service: "mcp-memory-http", port: 8002 },
  uploader: { service: "uploader", port: UPLOADER_PORT },
} as const;
export type ServiceKey = keyof typeof SERVICES;

export interface ForwardedPorts {
  indexer: number;
  memory: number;
  uploader: number;
}

export class ClusterSession {
  private readonly api: ClusterApi;
  private forwards: ServicePortForward[] = [];
  private bundle: ManifestBundle | undefined;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly manifestFile: string,
    private readonly log: Logger,
  ) {
    this.api = new ClusterApi(loadKubeConfig(settings));
  }

  get cluster(): string {
    return describeCluster(this.api.kc);
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  private manifests(): ManifestBundle {
    this.bundle ??= readManifestBundle(this.manifestFile);
    return this.bundle;
  }

  /** With `token`, the Secret context-engine-secrets gets CONTEXT_ENGINE_TOKEN: the servers then require it. */
  deploy(run: RunOptions, token?: string): Promise<DeployResult> {
    return deploy(this.api, this.manifests(), this.settings, { rolloutTimeoutMs: this.settings.rolloutTimeoutSeconds * 1000, ...run }, token);
  }

  undeploy(run: RunOptions & { deleteVolumes: boolean }): Promise<UndeployResult> {
    return undeploy(this.api, this.manifests(), this.settings, run);
  }

  async ensureWatcher(repo: string): Promise<void> {
    await ensureWatcher(this.api, this.manifests().watcherTemplate, repo, this.settings);
  }

  removeWatcher(repo: string): Promise<boolean> {
    return removeWatcher(this.api, repo, this.settings.namespace);
  }

  /** Port-forwards the indexer, memory and uploader Services to free loopback ports (the previous ports when still free). */
  async forward(previous?: Partial<ForwardedPorts>): Promise<ForwardedPorts> {
    this.closeForwards();
    const out: Partial<ForwardedPorts> = {};
    try {
      for (const key of Object.keys(SERVICES) as ServiceKey[]) {
        const pf = new ServicePortForward(this.api, this.api.kc, { namespace: this.settings.namespace, ...SERVICES[key] }, this.log);
        this.forwards.push(pf);
        out[key] = await pf.start(previous?.[key] ?? 0);
      }
    } catch (e) {
      this.closeForwards();
      throw e;
    }
    return out as ForwardedPorts;
  }

  private closeForwards(): void {
    for (const f of this.forwards) f.dispose();
    this.forwards = [];
  }

  dispose(): void {
    this.closeForwards();
  }
}

export function openClusterSession(settings: ClusterSettings, manifestFile: string, log: Logger): ClusterSession {
  return new ClusterSession(settings, manifestFile, log);
}
