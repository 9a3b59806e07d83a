// Cluster mode in VS Code: port-forward (or direct URLs), sync the workspace, ensure watcher-<repo>, keep syncing edits.
import path from "node:path";
import * as vscode from "vscode";
import type { Backend, Report } from "./backend.ts";
import type { ClusterSession, ForwardedPorts } from "./cluster/index.ts";
import { IndexerClient } from "./engine/indexer-client.ts";
import { CancelledError, type Logger } from "./log.ts";
import { mcpUrl, usesDirectUrls, type Settings } from "./settings.ts";
import { DeltaSyncClient } from "./sync/delta-client.ts";
import { IgnoreRules, isRuleFile } from "./sync/ignore-rules.ts";
import { WorkspaceScanner, toRel } from "./sync/scan.ts";

type ClusterModule = typeof import("./cluster/index.ts");

/** Loads dist/cluster.cjs (the Kubernetes client) on first use; local mode never loads it. */
export function loadClusterModule(extensionPath: string): ClusterModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(extensionPath, "dist", "cluster.cjs")) as ClusterModule;
}

const EDIT_DEBOUNCE_MS = 1500;

export class ClusterBackend implements Backend {
  readonly mode = "cluster" as const;
  readonly pollMs = 15_000;
  private session: ClusterSession | undefined;
  private ports: ForwardedPorts | undefined;
  private sync: DeltaSyncClient | undefined;
  private rules: IgnoreRules | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<unknown> = Promise.resolve();
  private report: Report = () => undefined;
  private uploaderUrl = "";
  private statusClient: IndexerClient | undefined;

  constructor(
    private readonly root: string | undefined,
    private readonly repo: string,
    private readonly settings: Settings,
    private readonly token: string | undefined,
    private readonly extensionPath: string,
    private readonly log: Logger,
  ) {}

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
    if (this.root && this.settings.syncOnOpen && this.uploaderUrl) {
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
        report({ phase: "ready", detail: `Connected (${this.repo}); ${message}` });
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
    report({ phase: "ready", detail: `Connected (${this.repo})` });
  }

  private syncClient(): DeltaSyncClient {
    if (!this.sync) {
      this.rules = new IgnoreRules(this.root!, this.settings.syncExclude);
      const scanner = new WorkspaceScanner(this.root!, this.rules, this.log);
      this.sync = new DeltaSyncClient(() => ({ baseUrl: this.uploaderUrl, token: this.token }), this.repo, scanner, this.log);
    }
    return this.sync;
  }

  /** The whole workspace, deltas only, under a cancellable progress notification. */
  private async syncWorkspace(signal?: AbortSignal): Promise<void> {
    const client = this.syncClient();
    this.report({ phase: "syncing", detail: `Syncing ${this.repo} to the cluster` });
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Context Engine: syncing ${this.repo}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        signal?.addEventListener("abort", () => ac.abort(), { once: true });
        let last = 0;
        return client.syncAll(ac.signal, (p) => {
          const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
          progress.report({ message: p.message, increment: Math.max(0, pct - last) });
          last = Math.max(last, pct);
        });
      },
    );
    this.report({ lastSync: { at: new Date().toISOString(), uploaded: summary.uploaded, deleted: summary.deleted } });
  }

  private async provisionWatcher(): Promise<void> {
    if (usesDirectUrls(this.settings)) {
      try {
        await this.openSession().ensureWatcher(this.repo);
      } catch (e) {
        this.log.warn(`cluster mode: could not ensure watcher-${this.repo} (direct URLs, cluster access optional): ${(e as Error).message}`);
      }
      return;
    }
    this.report({ detail: `Ensuring watcher-${this.repo}` });
    await this.openSession().ensureWatcher(this.repo);
  }

  private watchEdits(): void {
    if (this.watcher || !this.root) return;
    const root = this.root;
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), "**/*"));
    const onEvent = (uri: vscode.Uri) => {
      const rel = toRel(root, uri.fsPath);
      if (!rel || rel.startsWith("..")) return;
      if (isRuleFile(rel)) this.rules?.invalidate(path.posix.dirname(rel) === "." ? "" : path.posix.dirname(rel));
      this.pending.add(rel);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flushEdits(), EDIT_DEBOUNCE_MS);
    };
    this.watcher.onDidCreate(onEvent);
    this.watcher.onDidChange(onEvent);
    this.watcher.onDidDelete(onEvent);
  }

  private flushEdits(): void {
    const paths = [...this.pending];
    this.pending.clear();
    this.syncing = this.syncing.then(async () => {
      try {
        const r = await this.syncClient().syncPaths(paths);
        if (r.uploaded || r.deleted) this.report({ lastSync: { at: new Date().toISOString(), uploaded: r.uploaded, deleted: r.deleted } });
      } catch (e) {
        this.log.warn(`sync of ${paths.length} edited path(s) failed: ${(e as Error).message}; they are sent again with the next full sync`);
      }
    });
  }

  async syncNow(): Promise<void> {
    if (!this.root) throw new Error("Open a folder first: there is no workspace to sync.");
    if (!this.uploaderUrl) throw new Error('No uploader to sync to: connect to a cluster first, or set "contextEngine.urls.uploader".');
    await this.syncWorkspace();
    await this.provisionWatcher();
    this.watchEdits();
    this.report({ phase: "ready", detail: `Synced ${this.repo}` });
  }

  /** Remove This Repository from the Cluster: the files (the watcher drops their points), then watcher-<repo>. */
  async removeRepository(): Promise<{ files: number; watcher: boolean }> {
    const files = this.uploaderUrl && this.root ? await this.syncClient().removeAll() : 0;
    // The watcher may be stopped before it sees the deletions: the indexer drops the points of files that are gone.
    if (files > 0) {
      const url = this.ports ? `http://127.0.0.1:${this.ports.indexer}/mcp` : this.settings.urls.indexer ? mcpUrl(this.settings.urls.indexer) : undefined;
      if (url) {
        const client = new IndexerClient(() => ({ url, token: this.token }), this.log);
        await client
          .call("qdrant_prune", { repo: this.repo })
          .catch((e: Error) => this.log.warn(`qdrant_prune ${this.repo}: ${e.message}; the points go when the index is next pruned`))
          .finally(() => client.dispose());
      }
    }
    const watcher = await this.openSession().removeWatcher(this.repo);
    this.watcher?.dispose();
    this.watcher = undefined;
    return { files, watcher };
  }

  async poll(report: Report): Promise<void> {
    const st = await this.indexStatus();
    if (st) report({ index: { status: st.state, done: st.filesDone ?? 0, total: st.filesTotal ?? 0, points: st.points } });
  }

  private async indexStatus() {
    const url = this.ports ? `http://127.0.0.1:${this.ports.indexer}/mcp` : this.settings.urls.indexer ? mcpUrl(this.settings.urls.indexer) : undefined;
    if (!url) return undefined;
    this.statusClient ??= new IndexerClient(() => ({ url, token: this.token }), this.log);
    try {
      return await this.statusClient.status();
    } catch (e) {
      this.log.debug(`qdrant_status: ${(e as Error).message}`);
      return undefined;
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    this.statusClient?.dispose();
    this.session?.dispose();
  }
}
