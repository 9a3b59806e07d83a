// Local mode in VS Code: finds the server, starts it on the workspace, shows first-indexing progress, falls back
// to lexical-only search when the embedding model is missing, restarts a crashed process a few times.
import * as vscode from "vscode";
import type { Backend, Report } from "../backend.ts";
import { CancelledError, delay, type Logger } from "../log.ts";
import type { Settings } from "../settings.ts";
import { LocalEngine, LocalStartError, startLocalEngine, type LocalIndexState } from "./local-engine.ts";
import { locateServer, type ServerCommand, type StartFailure } from "./server-locator.ts";

const MAX_RESTARTS = 3;

export class LocalBackend implements Backend {
  readonly mode = "local" as const;
  readonly pollMs = 2000;
  private engine: LocalEngine | undefined;
  private server: ServerCommand | undefined;
  private lexicalReason: string | undefined;
  private restarts = 0;
  private report: Report = () => undefined;
  private disposed = false;

  constructor(
    private readonly root: string,
    private readonly repo: string,
    private readonly settings: Settings,
    private readonly extensionPath: string,
    private readonly log: Logger,
  ) {}

  async start(report: Report, signal: AbortSignal): Promise<void> {
    this.report = report;
    this.server = locateServer({ serverPath: this.settings.local.serverPath, nodePath: this.settings.local.nodePath, extensionPath: this.extensionPath, env: process.env });
    this.log.info(`local mode: server from ${this.server.origin}`);
    report({ phase: "starting", detail: `Starting the local engine (${this.server.origin})` });
    await this.launch(signal);
    void this.showIndexing(signal);
  }

  private async launch(signal: AbortSignal): Promise<void> {
    this.engine?.dispose();
    const provider = this.lexicalReason ? "none" : this.settings.local.embeddingProvider;
    const { engine, lexicalReason } = await startLocalEngine(
      { root: this.root, repo: this.repo, server: this.server!, nodePath: this.settings.local.nodePath, embeddingProvider: provider, log: this.log },
      signal,
      !this.lexicalReason,
    );
    if (this.disposed || signal.aborted) {
      // Stopped while starting (Reconnect, a mode switch): the new processes must not outlive us.
      engine.stop();
      throw new CancelledError("local start");
    }
    this.engine = engine;
    engine.onUnexpectedExit = (f) => void this.recover(f, signal);
    if (lexicalReason) this.noteLexical(lexicalReason);
    this.report({ indexer: { url: engine.mcpUrl }, memory: { url: await engine.memoryUrl() }, lexicalOnly: this.lexicalReason });
  }

  private noteLexical(reason: string): void {
    this.lexicalReason = reason;
    this.log.warn(`local mode: ${reason}`);
    void vscode.window.showWarningMessage(`Context Engine: ${reason}`, "Show Logs").then((a) => a && vscode.commands.executeCommand("contextEngine.showLogs"));
  }

  /** A process died after starting: lexical fallback for a missing model, else restart a few times, else report. */
  private async recover(f: StartFailure, signal: AbortSignal): Promise<void> {
    if (this.disposed || signal.aborted) return;
    try {
      if (f.lexicalFallback && !this.lexicalReason) {
        this.noteLexical(f.message);
        await this.launch(signal);
        void this.showIndexing(signal);
        return;
      }
      if (f.kind === "native-module" || f.kind === "no-node" || f.kind === "node-too-old" || this.restarts >= MAX_RESTARTS) {
        this.report({ phase: "error", error: f.message, detail: f.message, indexer: undefined });
        void vscode.window.showErrorMessage(`Context Engine: ${f.message}`, "Show Logs").then((a) => a && vscode.commands.executeCommand("contextEngine.showLogs"));
        return;
      }
      this.restarts++;
      this.report({ phase: "starting", detail: `The local engine stopped; restarting (${this.restarts}/${MAX_RESTARTS})` });
      await this.launch(signal);
      void this.showIndexing(signal);
    } catch (e) {
      const message = (e as Error).message;
      this.report({ phase: "error", error: message, detail: message, indexer: undefined });
    }
  }

  private stateReport(st: LocalIndexState | undefined): Parameters<Report>[0] {
    if (!st) return { phase: "indexing", detail: "Indexing the workspace (starting)" };
    const index = { status: st.status, done: st.files_done ?? 0, total: st.files_total ?? 0 };
    if (st.status === "error") {
      return { phase: "error", index, error: st.error ?? "indexing failed", detail: `Indexing failed: ${st.error ?? "see the logs"}` };
    }
    if (st.status === "watching") {
      return { phase: "ready", index, detail: `Local index of ${this.repo}: ${index.total} files${this.lexicalReason ? " (lexical-only)" : ""}` };
    }
    return { phase: "indexing", index, detail: `Indexing ${this.repo}: ${index.done}/${index.total} files${st.current_file ? ` (${st.current_file})` : ""}` };
  }

  /** First indexing: a cancellable notification with files done/total until the watcher is watching. */
  private async showIndexing(signal: AbortSignal): Promise<void> {
    const first = this.stateReport(this.engine?.state());
    this.report(first);
    if (first.phase === "ready") return this.warmMemory();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Context Engine: indexing the workspace", cancellable: true },
      async (progress, token) => {
        let lastPct = 0;
        while (!token.isCancellationRequested && !signal.aborted && !this.disposed) {
          const r = this.stateReport(this.engine?.state());
          this.report(r);
          if (r.phase === "ready") return this.warmMemory();
          if (r.phase === "error") return;
          const pct = r.index?.total ? Math.floor((100 * r.index.done) / r.index.total) : 0;
          progress.report({ message: r.detail, increment: Math.max(0, pct - lastPct) });
          lastPct = Math.max(lastPct, pct);
          await delay(500, signal).catch(() => undefined);
        }
        if (token.isCancellationRequested) {
          this.log.info("local mode: indexing stopped by the user");
          this.engine?.stop();
          this.report({ phase: "stopped", indexer: undefined, detail: 'Indexing stopped. Run "Context Engine: Reconnect" to start again.' });
        }
      },
    );
  }

  /** Once the first indexing is done, the memory server starts in the background: an agent finds it ready. */
  private warmMemory(): void {
    this.engine?.ensureMemory().catch((e: Error) => this.log.warn(`local mode: the memory server did not start: ${e.message}`));
  }

  async ensureServer(which: "memory"): Promise<void> {
    if (which !== "memory" || !this.engine) return;
    await this.engine.ensureMemory();
  }

  async poll(report: Report): Promise<void> {
    if (!this.engine) return;
    const r = this.stateReport(this.engine.state());
    // Keep a stopped or broken engine's state: the poll only refreshes a running one.
    if (r.phase === "ready" || r.phase === "indexing" || r.phase === "error") report(r);
  }

  dispose(): void {
    this.disposed = true;
    this.engine?.dispose();
  }
}

export { LocalStartError };
