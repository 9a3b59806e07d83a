// One person's session: the .vsix installed into a fresh code-server on a fresh copy of the sample workspace,
// the workbench open in Chromium, each step timed and screenshotted, logs kept as artifacts at the end.
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { QUIET_WORKBENCH, installExtension, startCodeServer, type RunningCodeServer } from "./code-server.ts";
import { sampleWorkspace, serverCli } from "./extension-fixture.ts";
import type { E2eTools } from "./tools.ts";
import { openWorkbench, type Workbench } from "./workbench.ts";

export interface SessionOptions {
  tools: E2eTools;
  vsix: string;
  /** Screenshots and logs go here (emptied first). */
  artifacts: string;
  /** Environment of code-server, so of the extension host and the engine it starts. */
  env: Record<string, string>;
  /** Makes the workspace folder inside the session's temp folder and returns its path (default: the undici sample). */
  workspace?: (into: string) => string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
}

export class Session {
  readonly timings: Record<string, number> = {};
  private constructor(
    readonly tmp: string,
    readonly workspace: string,
    readonly server: RunningCodeServer,
    readonly wb: Workbench,
    private readonly artifacts: string,
  ) {}

  static async open(o: SessionOptions): Promise<Session> {
    rmSync(o.artifacts, { recursive: true, force: true });
    const tmp = mkdtempSync(path.join(os.tmpdir(), "ce-vscode-e2e-"));
    const timings: Record<string, number> = {};
    let server: RunningCodeServer | undefined;
    try {
      const workspace = o.workspace ? o.workspace(tmp) : sampleWorkspace(tmp).root;
      const extensionsDir = path.join(tmp, "extensions");
      const log = path.join(tmp, "code-server.log");
      let t = Date.now();
      await installExtension(o.tools, o.vsix, extensionsDir, log);
      timings.install = Date.now() - t;
      t = Date.now();
      const noKubeconfig = path.join(tmp, "no-such-kubeconfig");
      server = await startCodeServer({
        tools: o.tools,
        workspace,
        userDataDir: path.join(tmp, "user-data"),
        extensionsDir,
        logFile: log,
        settings: {
          ...QUIET_WORKBENCH,
          "contextEngine.local.serverPath": serverCli,
          // The Node.js the repository's native modules were built for (the one running this test), not the editor's.
          "contextEngine.local.runtime": "node",
          "contextEngine.local.nodePath": process.execPath,
          // No cluster here, and none of this machine's may be touched: Deploy and friends must say so.
          "contextEngine.kubeconfig": noKubeconfig,
          ...o.settings,
        },
        env: { KUBECONFIG: noKubeconfig, ...o.env },
      });
      const wb = await openWorkbench(o.tools, server.workspaceUrl, o.artifacts);
      timings.start = Date.now() - t;
      const s = new Session(tmp, workspace, server, wb, o.artifacts);
      Object.assign(s.timings, timings);
      await wb.shot("workbench-open");
      return s;
    } catch (e) {
      await server?.stop();
      Session.keepLogs(tmp, o.artifacts);
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  get page() {
    return this.wb.page;
  }

  /** One user step: timed, and screenshotted whether it passed or failed. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      const out = await fn();
      await this.wb.shot(name);
      return out;
    } catch (e) {
      await this.wb.shot(`${name}-FAILED`).catch(() => undefined);
      throw e;
    } finally {
      this.timings[name] = Date.now() - start;
    }
  }

  /** Path of the screenshot a step saved. */
  shotOf(name: string): string {
    return path.join(this.artifacts, this.wb.shots.find((f) => f.endsWith(`-${name}.png`)) ?? `${name}.png`);
  }

  async close(): Promise<void> {
    await this.wb.close();
    await this.server.stop();
    Session.keepLogs(this.tmp, this.artifacts);
    rmSync(this.tmp, { recursive: true, force: true });
  }

  /** code-server's and the extension host's logs are CI artifacts too. */
  private static keepLogs(tmp: string, artifacts: string): void {
    for (const [from, to] of [["code-server.log", "code-server.log"], ["user-data/logs", "logs"]] as const) {
      const p = path.join(tmp, from);
      if (existsSync(p)) cpSync(p, path.join(artifacts, to), { recursive: true });
    }
  }
}
