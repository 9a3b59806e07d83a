// Cluster mode in VS Code: port-forward (or direct URLs), sync every workspace folder (each its own repo), ensure a
// watcher-<repo> per folder, keep syncing edits.
import path from "node:path";
import * as vscode from "vscode";
import type { Backend, Report } from "./backend.ts";
import type { ClusterSession, ForwardedPorts } from "./cluster/index.ts";
import { IndexerClient, parseStatus, payloadOf } from "./engine/indexer-client.ts";
import { CancelledError, type Logger } from "./log.ts";
import { mcpUrl, usesDirectUrls, type Settings } from "./settings.ts";
import { FolderSync } from "./sync/folder-sync.ts";
import type { WorkspaceRepo } from "./workspace-repos.ts";

type ClusterModule = typeof import("./cluster/index.ts");

/** Loads dist/cluster.cjs (the Kubernetes client) on first use; local mode never loads it. */
export function loadClusterModule(extensionPath: string): ClusterModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(extensionPath, "dist", "cluster.cjs")) as ClusterModule;
}

export class ClusterBackend implements Backend {
  readonly mode = "cluster" as const;
  readonly pollMs = 15_000;
  private session: ClusterSession | undefined;
  private ports: ForwardedPorts | undefined;
  private folders: FolderSync[] | undefined;
  private watchers: vscode.FileSystemWatcher[] = [];
  private report: Report = () => undefined;
  private uploaderUrl = "";
  private statusClient: IndexerClient | undefined;

  constructor(
    /** Every folder of the workspace; each is synced as its own repo. */
    readonly repos: WorkspaceRepo[],
    private readonly settings: Settings,
    private readonly token: string | undefined,
    private readonly extensionPath: string,
    private readonly log: Logger,
  ) {}

  private get names(): string {
    return this.repos.map((r) => r.repo).join(", ");
  }

  openSession(): ClusterSession {
    this.session ??= loadClusterModule(this.extensionPath).openClusterSession(this.settings.cluster, path.join(this.extensionPath, "dist", "manifests.json"), this.log);
    return this.session;
  }

  async start(report: Report, signal: AbortSignal): Promise<void> {
    this.report = report;
    const headers = this.token ? { token: this.token } : {};
    if (usesDirectUrls(this.settings)) {
      this.uploaderUrl = this.settings.urls.uploader;
      report({
        phase: "starting",
        detail: `Using ${this.settings.urls.indexer}`,
        indexer: { url: mcpUrl(this.settings.urls.indexer), ...headers },
        memory: this.settings.urls.memory ? { url: mcpUrl(this.settings.urls.memory), ...headers } : undefined,
      });
    } else {
      const session = this.openSession();
      report({ phase: "starting", detail: `Port-forwarding from ${session.cluster}` });
      this.ports = await session.forward(this.ports);
      if (signal.aborted) {
        session.dispose();
        throw new CancelledError("cluster connect");
      }
      this.uploaderUrl = `http://127.0.0.1:${this.ports.uploader}`;
      report({
        indexer: { url: `http://127.0.0.1:${this.ports.indexer}/mcp`, ...headers },
        memory: { url: `http://127.0.0.1:${this.ports.memory}/mcp`, ...headers },
        detail: `Connected to ${session.cluster}`,
      });
    }
    if (this.repos.length && this.settings.syncOnOpen && this.uploaderUrl) {
      // Search works without a fresh sync: a failed or cancelled sync is reported, the connection stays up.
      try {
        await this.syncWorkspace(signal);
        await this.provisionWatcher();
        this.watchEdits();
      } catch (e) {
        if (signal.aborted) throw e;
        const cancelled = e instanceof CancelledError;
        const message = cancelled ? "Sync cancelled" : `Sync failed: ${(e as Error).message}`;
        this.log.warn(`cluster mode: ${message}`);
        report({ phase: "ready", detail: `Connected (${this.names}); ${message}` });
        if (!cancelled) {
          void vscode.window.showWarningMessage(`Context Engine: ${message}`, "Sync Now", "Show Logs").then((a) => {
            if (a === "Sync Now") void vscode.commands.executeCommand("contextEngine.syncNow");
            if (a === "Show Logs") void vscode.commands.executeCommand("contextEngine.showLogs");
          });
        }
        return;
      }
    } else if (!this.uploaderUrl) {
      this.log.info("cluster mode: no uploader URL (contextEngine.urls.uploader); the workspace is not synced");
    }
    report({ phase: "ready", detail: `Connected (${this.names})` });
  }

  private folderSyncs(): FolderSync[] {
    this.folders ??= this.repos.map(
      (r) =>
        new FolderSync(r.repo, r.root, this.settings.syncExclude, () => ({ baseUrl: this.uploaderUrl, token: this.token }), this.log, (x) =>
          this.report({ lastSync: { at: new Date().toISOString(), uploaded: x.uploaded, deleted: x.deleted } }),
        ),
    );
    return this.folders;
  }

  /** Every folder, deltas only, one after the other under one cancellable progress notification. */
  private async syncWorkspace(signal?: AbortSignal): Promise<void> {
    const folders = this.folderSyncs();
    this.report({ phase: "syncing", detail: `Syncing ${this.names} to the cluster` });
    const title = folders.length === 1 ? `Context Engine: syncing ${folders[0]!.repo}` : `Context Engine: syncing ${folders.length} folders`;
    const total = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      signal?.addEventListener("abort", () => ac.abort(), { once: true });
      const sum = { uploaded: 0, deleted: 0 };
      let last = 0;
      for (const [i, f] of folders.entries()) {
        const r = await f.syncAll(ac.signal, (p) => {
          // Each folder has an equal share of the bar.
          const pct = Math.floor((100 * (i + (p.total ? p.done / p.total : 0))) / folders.length);
          progress.report({ message: folders.length > 1 ? `${f.repo}: ${p.message}` : p.message, increment: Math.max(0, pct - last) });
          last = Math.max(last, pct);
        });
        sum.uploaded += r.uploaded;
        sum.deleted += r.deleted;
      }
      return sum;
    });
    this.report({ lastSync: { at: new Date().toISOString(), uploaded: total.uploaded, deleted: total.deleted } });
  }

  /** A watcher-<repo> Deployment per folder. */
  private async provisionWatcher(): Promise<void> {
    for (const { repo } of this.repos) {
      if (usesDirectUrls(this.settings)) {
        try {
          await this.openSession().ensureWatcher(repo);
        } catch (e) {
          this.log.warn(`cluster mode: could not ensure watcher-${repo} (direct URLs, cluster access optional): ${(e as Error).message}`);
        }
        continue;
      }
      this.report({ detail: `Ensuring watcher-${repo}` });
      await this.openSession().ensureWatcher(repo);
    }
  }

  private watchEdits(): void {
    if (this.watchers.length) return;
    for (const f of this.folderSyncs()) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(f.root), "**/*"));
      const onEvent = (uri: vscode.Uri) => f.onEdit(uri.fsPath);
      w.onDidCreate(onEvent);
      w.onDidChange(onEvent);
      w.onDidDelete(onEvent);
      this.watchers.push(w);
    }
  }

  async syncNow(): Promise<void> {
    if (!this.repos.length) throw new Error("Open a folder first: there is no workspace to sync.");
    if (!this.uploaderUrl) throw new Error('No uploader to sync to: connect to a cluster first, or set "contextEngine.urls.uploader".');
    await this.syncWorkspace();
    await this.provisionWatcher();
    this.watchEdits();
    this.report({ phase: "ready", detail: `Synced ${this.names}` });
  }

  /** Remove This Repository from the Cluster: the folder's files (the watcher drops their points), then watcher-<repo>. */
  async removeRepository(repo: string): Promise<{ files: number; watcher: boolean }> {
    const folder = this.folderSyncs().find((f) => f.repo === repo);
    const files = this.uploaderUrl && folder ? await folder.client.removeAll() : 0;
    // The watcher may be stopped before it sees the deletions: the indexer drops the points of files that are gone.
    if (files > 0) {
      const url = this.indexerUrl();
      if (url) {
        const client = new IndexerClient(() => ({ url, token: this.token }), this.log);
        await client
          .call("qdrant_prune", { repo })
          .catch((e: Error) => this.log.warn(`qdrant_prune ${repo}: ${e.message}; the points go when the index is next pruned`))
          .finally(() => client.dispose());
      }
    }
    const watcher = await this.openSession().removeWatcher(repo);
    const i = this.repos.findIndex((r) => r.repo === repo);
    if (i >= 0 && this.watchers[i]) {
      this.watchers[i]!.dispose();
      // Its edits are no longer sent: the folder stays out of the cluster until the next full sync.
      this.folders?.[i]?.dispose();
    }
    return { files, watcher };
  }

  private indexerUrl(): string | undefined {
    return this.ports ? `http://127.0.0.1:${this.ports.indexer}/mcp` : this.settings.urls.indexer ? mcpUrl(this.settings.urls.indexer) : undefined;
  }

  /** The index state of this workspace's repos: the busiest state among them, files and points summed. */
  async poll(report: Report): Promise<void> {
    const url = this.indexerUrl();
    if (!url) return;
    this.statusClient ??= new IndexerClient(() => ({ url, token: this.token }), this.log);
    let payload: unknown;
    try {
      payload = payloadOf(await this.statusClient.call("qdrant_status", {}));
    } catch (e) {
      this.log.debug(`qdrant_status: ${(e as Error).message}`);
      return;
    }
    // Only repos the indexer knows: parseStatus falls back to the first repo for an unknown one.
    const o = (payload ?? {}) as { states?: Record<string, unknown>; repos?: Array<{ repo?: string }> };
    const known = this.repos.filter((r) => o.states?.[r.repo] || o.repos?.some((x) => x.repo === r.repo));
    const each = known.map((r) => parseStatus(payload, r.repo));
    if (!each.length) each.push(parseStatus(payload, this.repos[0]?.repo));
    const busy = each.find((s) => s.state === "indexing" || s.state === "scanning" || s.state === "error");
    const sum = (k: "filesDone" | "filesTotal" | "points") => (each.some((s) => s[k] !== undefined) ? each.reduce((n, s) => n + (s[k] ?? 0), 0) : undefined);
    // Searchable while indexing when every repo still at work can already be searched (its windows pass is done).
    const working = each.filter((s) => s.state === "indexing" || s.state === "scanning");
    const searchable = working.length > 0 && working.every((s) => s.searchable);
    report({ index: { status: (busy ?? each[0]!).state, done: sum("filesDone") ?? 0, total: sum("filesTotal") ?? 0, points: sum("points"), ...(searchable ? { searchable } : {}) } });
  }

  dispose(): void {
    for (const w of this.watchers) w.dispose();
    for (const f of this.folders ?? []) f.dispose();
    this.statusClient?.dispose();
    this.session?.dispose();
  }
}
