// Runs the extension-host suite in code-server: the workbench page carries extensionDevelopmentPath and
// extensionTestsPath in its URL payload (as @vscode/test-web does), the extension host on the server runs the suite.
import { existsSync } from "node:fs";
import path from "node:path";
import { startCodeServer } from "../e2e/vscode/code-server.ts";
import { findTools, missingToolsMessage } from "../e2e/vscode/tools.ts";
import { openWorkbench } from "../e2e/vscode/workbench.ts";

export interface SuiteRun {
  tmp: string;
  workspace: string;
  extensionDir: string;
  suiteBundle: string;
  resultsFile: string;
  artifactsDir: string;
  /** User settings and environment for the extension host (local mode's server, model). */
  settings: Record<string, unknown>;
  env: Record<string, string>;
  deadlineMs?: number;
}

export async function runSuiteInCodeServer(o: SuiteRun): Promise<void> {
  const found = findTools();
  if (!found.ok) throw new Error(missingToolsMessage(found.missing));
  const deadlineMs = o.deadlineMs ?? 180_000;
  const server = await startCodeServer({
    tools: found.tools,
    workspace: o.workspace,
    userDataDir: path.join(o.tmp, "user-data"),
    extensionsDir: path.join(o.tmp, "extensions"),
    settings: { "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", ...o.settings },
    logFile: path.join(o.tmp, "code-server.log"),
    env: { CE_VSCODE_TEST_RESULTS: o.resultsFile, ...o.env },
    // A built VS Code reads extensionDevelopmentPath/extensionTestsPath from the URL payload only with this on.
    extraArgs: ["--vscode-option", "enable-smoke-test-driver"],
  });
  try {
    const authority = new URL(server.url).host;
    const remote = (p: string) => `vscode-remote://${authority}${p}`;
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", remote(o.extensionDir)],
      ["extensionTestsPath", remote(o.suiteBundle)],
    ]);
    const url = `${server.workspaceUrl}&payload=${encodeURIComponent(payload)}`;
    const wb = await openWorkbench(found.tools, url, o.artifactsDir);
    try {
      const start = Date.now();
      while (!existsSync(o.resultsFile)) {
        if (Date.now() - start > deadlineMs) {
          await wb.shot("suite-timeout");
          throw new Error(`the suite wrote no results within ${deadlineMs / 1000} s (code-server log: ${path.join(o.tmp, "code-server.log")})`);
        }
        await new Promise((r) => setTimeout(r, 250)); // poll interval for a file another process writes
      }
      await wb.shot("suite-done");
    } finally {
      await wb.close();
    }
  } finally {
    await server.stop();
  }
}
