// Deploy Context Engine, Undeploy, Remove This Repository from the Cluster: cancellable progress, readable errors.
import * as vscode from "vscode";
import type { Step } from "./cluster/index.ts";
import { CLUSTER_CHOSEN, type Connection } from "./connection.ts";
import { CancelledError } from "./log.ts";
import { readSettings, TOKEN_SECRET } from "./settings.ts";

async function withSteps<T>(title: string, work: (onStep: (s: Step) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    let lastIndex = 0;
    return work((s) => {
      const increment = s.index > lastIndex ? (100 * (s.index - lastIndex)) / s.total : 0;
      lastIndex = Math.max(lastIndex, s.index);
      progress.report({ message: `(${s.index}/${s.total}) ${s.message}`, increment });
    }, ac.signal);
  });
}

export class ClusterCommands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly connection: Connection,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables = [
      vscode.commands.registerCommand("contextEngine.deploy", () => this.run("Deploy", () => this.deploy())),
      vscode.commands.registerCommand("contextEngine.undeploy", () => this.run("Undeploy", () => this.undeploy())),
      vscode.commands.registerCommand("contextEngine.removeRepository", () => this.run("Remove repository", () => this.removeRepository())),
    ];
  }

  private async run(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof CancelledError) {
        void vscode.window.showInformationMessage(`Context Engine: ${what} cancelled. Running it again continues where it stopped.`);
        return;
      }
      const message = (e as Error).message;
      this.log.error(`${what}: ${message}`);
      const pick = await vscode.window.showErrorMessage(`Context Engine: ${what} failed. ${message}`, "Show Logs", "Open Settings");
      if (pick === "Show Logs") this.log.show();
      if (pick === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "contextEngine");
    }
  }

  private async deploy(): Promise<void> {
    const backend = this.connection.clusterForCommands();
    const session = backend.openSession();
    this.log.info(`deploy to ${session.cluster}, namespace ${session.namespace}`);
    const token = await this.ctx.secrets.get(TOKEN_SECRET);
    const result = await withSteps(`Context Engine: deploying to ${session.cluster}`, (onStep, signal) =>
      session.deploy(
        {
          signal,
          onStep: (s) => {
            this.log.info(`deploy (${s.index}/${s.total}) ${s.message}`);
            onStep(s);
          },
        },
        token,
      ),
    );
    await this.ctx.globalState.update(CLUSTER_CHOSEN, true);
    const settings = readSettings();
    this.log.info(`deployed ${result.applied.length} objects; rolled out: ${result.waited.join(", ")}`);
    if (settings.mode === "local") {
      const pick = await vscode.window.showInformationMessage(
        `Context Engine is deployed to ${session.cluster} (${result.applied.length} objects). This window uses local mode; switch to the cluster?`,
        "Use Cluster",
      );
      if (pick) await vscode.commands.executeCommand("contextEngine.useCluster");
      return;
    }
    void vscode.window.showInformationMessage(`Context Engine is deployed to ${session.cluster} (${result.applied.length} objects). Connecting this workspace…`);
    await this.connection.start();
  }

  private async undeploy(): Promise<void> {
    const backend = this.connection.clusterForCommands();
    const session = backend.openSession();
    const keep = "Undeploy, keep data";
    const wipe = "Undeploy and delete volumes";
    const pick = await vscode.window.showWarningMessage(
      `Remove Context Engine from ${session.cluster} (namespace ${session.namespace})?`,
      { modal: true, detail: `"${keep}" keeps the index and the synced repositories (PersistentVolumeClaims and the namespace) for a later deploy. "${wipe}" deletes them too; that cannot be undone.` },
      keep,
      wipe,
    );
    if (!pick) return;
    const deleteVolumes = pick === wipe;
    const r = await withSteps(`Context Engine: undeploying from ${session.cluster}`, (onStep, signal) => session.undeploy({ signal, onStep, deleteVolumes }));
    await this.ctx.globalState.update(CLUSTER_CHOSEN, false);
    this.log.info(`undeploy: deleted ${r.deleted.join(", ") || "nothing"}; kept ${r.kept.join(", ") || "nothing"}`);
    void vscode.window.showInformationMessage(
      `Context Engine removed from ${session.cluster}: ${r.deleted.length} object(s) deleted${r.kept.length ? `, ${r.kept.length} kept (volumes, namespace)` : ""}.`,
    );
    if (this.connection.current.mode === "cluster") await this.connection.start();
  }

  private async removeRepository(): Promise<void> {
    const repos = this.connection.repos().map((r) => r.repo);
    if (!repos.length) throw new Error("Open a folder first: there is no repository to remove.");
    // A multi-root workspace: which of its folders.
    const repo =
      repos.length === 1
        ? repos[0]
        : (await vscode.window.showQuickPick(repos, { title: "Remove which repository from the cluster?", placeHolder: "One folder of this workspace" }));
    if (!repo) return;
    const pick = await vscode.window.showWarningMessage(
      `Remove "${repo}" from the cluster?`,
      { modal: true, detail: `Its synced files, its points in the index and its watcher (watcher-${repo}) are deleted. Your local files are not touched.` },
      "Remove",
    );
    if (pick !== "Remove") return;
    const backend = this.connection.clusterBackend ?? this.connection.clusterForCommands();
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Context Engine: removing ${repo}` }, () => backend.removeRepository(repo));
    void vscode.window.showInformationMessage(`Context Engine: removed ${repo} from the cluster (${r.files} file(s) deleted, watcher ${r.watcher ? "deleted" : "was not there"}).`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
