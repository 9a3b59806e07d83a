// `npm run test:vscode`: the extension-host suite (test/vscode/suite) in a real VS Code.
//   default        @vscode/test-electron: downloads VS Code (VSCODE_TEST_VERSION, default "stable") or uses
//                  VSCODE_EXECUTABLE, and runs the suite with the extension loaded from extension/.
//   --code-server  the same suite in code-server from .tools/ (run .ci/setup-e2e first), for machines that
//                  cannot download VS Code: the workbench runs in headless Chromium, the extension host on the server.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as esbuild from "esbuild";
import { fixtureModel, serverCli } from "../e2e/vscode/extension-fixture.ts";
import { repoRoot } from "../e2e/vscode/tools.ts";

const extensionDir = path.join(repoRoot, "extension");
const outDir = path.join(repoRoot, "test/vscode/dist");
const suiteBundle = path.join(outDir, "suite.cjs");

function buildExtension(): void {
  const r = spawnSync(process.execPath, ["esbuild.mjs"], { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0) throw new Error("node esbuild.mjs failed: the extension did not build");
  if (!existsSync(path.join(extensionDir, "dist/extension.cjs"))) throw new Error("extension/dist/extension.cjs is missing after the build");
}

async function bundleSuite(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(repoRoot, "test/vscode/suite/index.ts")],
    outfile: suiteBundle,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["vscode"],
    sourcemap: "inline",
    logLevel: "warning",
  });
}

/** What local mode needs in either host: the built server CLI, the Node.js it was built for, the fixture model. */
const localModeSettings = { "contextEngine.local.serverPath": serverCli, "contextEngine.local.runtime": "node", "contextEngine.local.nodePath": process.execPath };
const localModeEnv = { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: fixtureModel };

function writeUserSettings(userDataDir: string): void {
  mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  writeFileSync(path.join(userDataDir, "User/settings.json"), JSON.stringify({ ...localModeSettings, "workbench.startupEditor": "none" }, null, 2));
}

/** A workspace of real third-party code (a copy of semver from node_modules), so activation has files to look at. */
function makeWorkspace(tmp: string): string {
  const ws = path.join(tmp, "semver");
  cpSync(path.join(repoRoot, "node_modules/semver"), ws, { recursive: true });
  return ws;
}

function report(resultsFile: string): number {
  if (!existsSync(resultsFile)) {
    console.error(`the suite wrote no results to ${resultsFile}: it did not run (see VS Code's output above)`);
    return 1;
  }
  const outcomes = JSON.parse(readFileSync(resultsFile, "utf8")) as { name: string; ok: boolean; error?: string }[];
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of outcomes) console.log(`${o.ok ? "ok" : "not ok"} - ${o.name}${o.error ? `\n${o.error}` : ""}`);
  console.log(`${outcomes.length - failed.length} passed, ${failed.length} failed`);
  return failed.length || outcomes.length === 0 ? 1 : 0;
}

async function runInElectron(tmp: string, ws: string, resultsFile: string): Promise<number> {
  const { runTests } = await import("@vscode/test-electron");
  const userDataDir = path.join(tmp, "user-data");
  writeUserSettings(userDataDir);
  try {
    await runTests({
      version: process.env.VSCODE_TEST_VERSION ?? "stable",
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
      extensionDevelopmentPath: extensionDir,
      extensionTestsPath: suiteBundle,
      extensionTestsEnv: { CE_VSCODE_TEST_RESULTS: resultsFile, ...localModeEnv },
      launchArgs: [ws, "--disable-extensions", "--disable-workspace-trust", "--skip-welcome", "--skip-release-notes", "--user-data-dir", userDataDir],
    });
  } catch (e) {
    console.error(`VS Code test run failed: ${(e as Error).message}` +
      " (no VS Code download here? set VSCODE_EXECUTABLE, or run `npm run test:vscode -- --code-server` after .ci/setup-e2e)");
  }
  return report(resultsFile);
}

async function runInCodeServer(tmp: string, ws: string, resultsFile: string): Promise<number> {
  const { runSuiteInCodeServer } = await import("./code-server-host.ts");
  await runSuiteInCodeServer({
    tmp,
    workspace: ws,
    extensionDir,
    suiteBundle,
    resultsFile,
    settings: localModeSettings,
    env: localModeEnv,
    artifactsDir: path.join(repoRoot, "test/e2e/artifacts/vscode-suite"),
  });
  return report(resultsFile);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "ce-vscode-suite-"));
let code = 1;
try {
  buildExtension();
  await bundleSuite();
  const ws = makeWorkspace(tmp);
  const resultsFile = path.join(tmp, "results.json");
  code = process.argv.includes("--code-server") ? await runInCodeServer(tmp, ws, resultsFile) : await runInElectron(tmp, ws, resultsFile);
} catch (e) {
  console.error((e as Error).stack ?? String(e));
  code = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
