// Local mode in VS Code: finds the server (the extension's own), chooses the runtime that runs it (the editor's, else
// a Node.js), starts it on every workspace folder with the index in the editor's storage, shows the first indexing's
// progress, falls back to lexical-only search when the embedding model is missing, restarts a crashed process a
// few times.
import path from "node:path";
import * as vscode from "vscode";
import type { Backend, Report } from "../backend.ts";
import { CancelledError, delay, type Logger } from "../log.ts";
import type { Settings } from "../settings.ts";
import { statesOf, summarize, type LocalProgress } from "./index-progress.ts";
import { LocalEngine, LocalStartError, startLocalEngine, type LocalFolder } from "./local-engine.ts";
import { chooseRuntime, NoRuntimeError, type Runtime } from "./runtime.ts";
import { locateServer, type ServerCommand, type StartFailure } from "./server-locator.ts";

const MAX_RESTARTS = 3;
/** The first start may download the embedding model before the indexer answers. */
const START_TIMEOUT_MS = 10 * 60_000;

export class LocalBackend implements Backend {
  readonly mode = "local" as const;
  readonly pollMs = 2000;
  private engine: LocalEngine | undefined;
  private server: ServerCommand | undefined;
  private runtime: Runtime | undefined;
  private lexicalReason: string | undefined;
  private restarts = 0;
  private report: Report = () => undefined;
  private disposed = false;

  constructor(
    private readonly folders: LocalFolder[],
    private readonly settings: Settings,
    private readonly extensionPath: string,
    /** The editor's storage for this workspace: the index lives there. */
    private readonly storageDir: string,
    private readonly log: Logger,
  ) {}

  get storePath(): string {
    return path.join(this.storageDir, "index.db");
  }

  async start(report: Report, signal: AbortSignal): Promise<void> {
    this.report = report;
    this.server = locateServer({ serverPath: this.settings.local.serverPath, extensionPath: this.extensionPath, env: process.env });
    this.log.info(`local mode: server: ${this.server.origin}`);
    if (!this.server.executable) {
      report({ phase: "starting", detail: "Checking the runtime for the local engine" });
      try {
        this.runtime = await chooseRuntime(this.settings.local.runtime, this.settings.local.nodePath, this.server.serverDir);
      } catch (e) {
        if (e instanceof NoRuntimeError) throw new LocalStartError({ kind: "no-runtime", message: e.message, lexicalFallback: false });
        throw e;
      }
      this.log.info(`local mode: runtime: ${this.runtime.label}`);
    }
    if (signal.aborted) throw new CancelledError("local start");
    this.log.info(`local mode: index: ${this.storePath} (${this.folders.map((f) => `${f.repo}=${f.root}`).join(", ")})`);
    report({ runtime: this.runtime?.label ?? this.server.origin, store: this.storePath });
    report({ phase: "starting", detail: `Starting the local engine on ${this.runtime?.kind === "editor" ? "the editor's runtime" : (this.runtime?.label ?? this.server.origin)}` });
    await this.launch(signal);
    void this.showIndexing(signal);
  }

  private async launch(signal: AbortSignal): Promise<void> {
    this.engine?.dispose();
    const provider = this.lexicalReason ? "none" : this.settings.local.embeddingProvider;
    const { engine, lexicalReason } = await startLocalEngine(
      { folders: this.folders, server: this.server!, runtime: this.runtime, storePath: this.storePath, embeddingProvider: provider, log: this.log, startTimeoutMs: START_TIMEOUT_MS },
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
      if (f.kind === "native-module" || f.kind === "no-runtime" || this.restarts >= MAX_RESTARTS) {
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

  /** The folders' index state from the running indexer; undefined while it cannot tell. */
  private async progress(): Promise<LocalProgress | undefined> {
    const payload = await this.engine?.status();
    if (payload === undefined) return undefined;
    return summarize(statesOf(payload), this.folders.map((f) => f.repo), !!this.lexicalReason);
  }

  /** First indexing: a cancellable notification with files done/total until every folder is being watched. */
  private async showIndexing(signal: AbortSignal): Promise<void> {
    const first = await this.progress();
    if (first) this.report(first);
    if (first?.phase === "ready") return this.warmMemory();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Context Engine: indexing the workspace", cancellable: true },
      async (progress, token) => {
        let lastPct = 0;
        while (!token.isCancellationRequested && !signal.aborted && !this.disposed) {
          const r = await this.progress();
          if (r) {
            this.report(r);
            if (r.phase === "ready") return this.warmMemory();
            if (r.phase === "error") return;
            const pct = r.index.total ? Math.floor((100 * r.index.done) / r.index.total) : 0;
            progress.report({ message: r.detail, increment: Math.max(0, pct - lastPct) });
            lastPct = Math.max(lastPct, pct);
          }
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
    const r = await this.progress();
    // Keep a stopped or broken engine's state: the poll only refreshes a running one.
    if (r) report(r);
  }

  dispose(): void {
    this.disposed = true;
    this.engine?.dispose();
  }
}

export { LocalStartError };
