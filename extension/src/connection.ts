// Which engine the editor talks to (local child processes or a cluster), its state, and search through it.
import path from "node:path";
import * as vscode from "vscode";
import type { SearchResult } from "../../server/src/search/types.ts";
import type { Backend, ConnectionState, ModeName } from "./backend.ts";
import { ClusterBackend } from "./cluster-mode.ts";
import { IndexerClient, type SearchFilters, type SearchPage } from "./engine/indexer-client.ts";
import { CancelledError } from "./log.ts";
import { LocalBackend } from "./local/local-mode.ts";
import { folderRepoSetting, readSettings, TOKEN_SECRET, usesDirectUrls, type Settings } from "./settings.ts";
import { workspaceRepos, type WorkspaceRepo } from "./workspace-repos.ts";

const RETRY_DELAYS_S = [10, 30, 60, 120, 300];

/** Worth retrying: not a configuration problem, not a refusal, not "nothing deployed". */
function isTransient(e: unknown): boolean {
  const err = e as { name?: string; status?: number };
  if (err.name === "ClusterConfigError" || err.name === "ServerNotFoundError") return false;
  return err.status === undefined || err.status >= 500;
}

/** globalState key: set after a successful Deploy or "Use Cluster", so "auto" mode picks the cluster. */
export const CLUSTER_CHOSEN = "contextEngine.clusterChosen";

export class Connection implements vscode.Disposable {
  private state: ConnectionState = { mode: "local", phase: "stopped", detail: "Not started" };
  private readonly emitter = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChange = this.emitter.event;
  private backend: Backend | undefined;
  private abort: AbortController | undefined;
  private poller: NodeJS.Timeout | undefined;
  readonly indexer: IndexerClient;
  private readyWaiters: Array<() => void> = [];
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.indexer = new IndexerClient(() => this.state.indexer, log);
  }

  get current(): ConnectionState {
    return this.state;
  }

  /** Every folder of the workspace as a repo (local mode serves them all, cluster mode syncs them all). */
  repos(): WorkspaceRepo[] {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return workspaceRepos(folders.map((f) => ({ name: f.name, root: f.uri.fsPath, repoSetting: folderRepoSetting(f) })));
  }

  /** The editor's storage for this workspace: local mode's index lives there, not in the folders. */
  private storageDir(): string {
    return this.ctx.storageUri?.fsPath ?? path.join(this.ctx.globalStorageUri.fsPath, "no-workspace");
  }

  /** auto: the cluster once one was chosen (Deploy, Use Cluster) or direct URLs are set; otherwise local. */
  effectiveMode(settings: Settings = readSettings()): ModeName {
    if (settings.mode === "local" || settings.mode === "cluster") return settings.mode;
    return usesDirectUrls(settings) || this.ctx.globalState.get<boolean>(CLUSTER_CHOSEN) ? "cluster" : "local";
  }

  private update(patch: Partial<ConnectionState>): void {
    this.state = { ...this.state, ...patch };
    if (this.state.phase === "ready") for (const w of this.readyWaiters.splice(0)) w();
    this.emitter.fire(this.state);
  }

  /** Resolves when the engine can answer searches (or after `ms`). */
  whenReady(ms: number): Promise<boolean> {
    if (this.state.indexer && (this.state.phase === "ready" || this.state.phase === "indexing")) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** (Re)starts in the effective mode; errors land in the state and in a notification with the next step. */
  async start(isRetry = false): Promise<void> {
    this.stop();
    if (!isRetry) this.retries = 0;
    const settings = readSettings();
    const mode = this.effectiveMode(settings);
    const repos = this.repos();
    const ac = new AbortController();
    this.abort = ac;
    this.state = { mode, phase: "starting", detail: "Starting" };
    this.update({});
    await this.indexer.close();
    if (ac.signal.aborted) return;
    if (settings.mode === "off") {
      this.update({ phase: "stopped", detail: 'Context Engine is off ("contextEngine.mode"). Use Local Mode or Use Cluster to start it.' });
      return;
    }
    try {
      if (mode === "local" && !repos.length) {
        this.update({ phase: "stopped", detail: "Open a folder to index it locally." });
        return;
      }
      const token = mode === "cluster" ? await this.ctx.secrets.get(TOKEN_SECRET) : undefined;
      if (ac.signal.aborted) return;
      const backend: Backend =
        mode === "local"
          ? new LocalBackend(repos, settings, this.ctx.extensionPath, this.storageDir(), this.log)
          : new ClusterBackend(repos, settings, token, this.ctx.extensionPath, this.log);
      this.backend = backend;
      await backend.start((p) => !ac.signal.aborted && this.update(p), ac.signal);
      // A newer start() (settings changed, Reconnect) owns the connection now.
      if (ac.signal.aborted) return;
      this.retries = 0;
      this.startPolling();
    } catch (e) {
      if (e instanceof CancelledError || ac.signal.aborted) return;
      const message = (e as Error).message;
      this.log.error(`${mode} mode: ${message}`);
      this.update({ phase: "error", error: message, detail: message });
      if (mode === "cluster" && isTransient(e) && this.retries < RETRY_DELAYS_S.length) {
        // Pods restarting, the API server briefly away: try again on our own, tell the user once.
        const wait = RETRY_DELAYS_S[this.retries++];
        this.update({ detail: `${message} Retrying in ${wait} s.` });
        this.retryTimer = setTimeout(() => void this.start(true), wait * 1000);
        if (this.retries > 1) return;
      }
      const actions = mode === "local" ? ["Show Logs", "Open Settings", "Use Cluster"] : ["Show Logs", "Deploy Context Engine", "Use Local Mode"];
      const pick = await vscode.window.showErrorMessage(`Context Engine (${mode} mode): ${message}`, ...actions);
      if (pick === "Show Logs") this.log.show();
      else if (pick === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", mode === "local" ? "contextEngine.local" : "contextEngine");
      else if (pick === "Use Cluster") void vscode.commands.executeCommand("contextEngine.useCluster");
      else if (pick === "Use Local Mode") void vscode.commands.executeCommand("contextEngine.useLocalMode");
      else if (pick === "Deploy Context Engine") void vscode.commands.executeCommand("contextEngine.deploy");
    }
  }

  private startPolling(): void {
    const backend = this.backend;
    const tick = async () => {
      if (!backend || backend !== this.backend) return;
      await backend.poll((p) => this.update(p)).catch(() => undefined);
      if (backend === this.backend) this.poller = setTimeout(() => void tick(), backend.pollMs);
    };
    // A first look right away (the status bar shows the index state as soon as it is connected).
    this.poller = setTimeout(() => void tick(), 500);
  }

  get clusterBackend(): ClusterBackend | undefined {
    return this.backend instanceof ClusterBackend ? this.backend : undefined;
  }

  /** A cluster backend for commands (Deploy, Undeploy) even while in local mode. */
  clusterForCommands(): ClusterBackend {
    if (this.clusterBackend) return this.clusterBackend;
    const settings = readSettings();
    return new ClusterBackend(this.repos(), settings, undefined, this.ctx.extensionPath, this.log);
  }

  /** Local mode starts its memory server only when VS Code (an agent) first connects to it. */
  async ensureServer(which: "memory"): Promise<void> {
    await this.backend?.ensureServer?.(which);
  }

  async syncNow(): Promise<void> {
    if (!this.backend?.syncNow) throw new Error("Sync is for cluster mode: in local mode the engine reads the workspace directly.");
    await this.backend.syncNow();
  }

  async search(query: string, filters: SearchFilters, signal?: AbortSignal): Promise<SearchPage> {
    if (!this.state.indexer) {
      const why = this.state.phase === "error" ? this.state.error : this.state.detail;
      throw new Error(`Context Engine is not connected (${why}).`);
    }
    return this.indexer.search(query, { limit: readSettings().maxResults, ...filters }, signal);
  }

  /** The workspace file a result points at (the folder whose repo name matches, else the first). */
  resolveResult(r: Pick<SearchResult, "path" | "repo">): vscode.Uri | undefined {
    const repos = this.repos();
    const match = repos.find((x) => x.repo === r.repo) ?? repos[0];
    if (!match) return undefined;
    if (path.isAbsolute(r.path)) return vscode.Uri.file(r.path);
    return vscode.Uri.joinPath(vscode.Uri.file(match.root), ...r.path.split("/"));
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abort?.abort();
    if (this.poller) clearTimeout(this.poller);
    this.poller = undefined;
    this.backend?.dispose();
    this.backend = undefined;
  }

  dispose(): void {
    this.stop();
    this.indexer.dispose();
    this.emitter.dispose();
  }
}
