// Cluster mode in a real VS Code (code-server), against the loopback Kubernetes API stub (a real API server cannot
// run here) whose port-forwards lead to the real uploader and a real indexer: connect, sync (ignore rules), watcher
// provisioning, search through the tunnel, an edit synced, Deploy with its progress, Undeploy keeping the data.
// Needs .ci/setup-e2e; screenshots go to test/e2e/artifacts/extension-cluster/.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { KubeApiStub, readyPod } from "../integration/extension-k8s-api-stub.ts";
import { freePort } from "../../server/src/http/free-port.ts";
import { installExtension, startCodeServer, type RunningCodeServer } from "./vscode/code-server.ts";
import { packageVsixExclusive, serverCli } from "./vscode/extension-fixture.ts";
import { findTools, missingToolsMessage, repoRoot } from "./vscode/tools.ts";
import { clearNotifications, openWorkbench, runCommand, waitForNotification, webviewFrame, type Workbench } from "./vscode/workbench.ts";

const found = findTools();
const skip = !found.ok && !process.env.CI ? missingToolsMessage(found.missing) : false;
const artifacts = path.join(repoRoot, "test/e2e/artifacts/extension-cluster");
const NS = "context-engine";

async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("Context Engine in cluster mode, in a real VS Code, against the Kubernetes API stub", { skip, timeout: 15 * 60_000 }, () => {
  let tmp = "";
  let stub: KubeApiStub;
  let server: RunningCodeServer | undefined;
  let wb: Workbench;
  const procs: ChildProcess[] = [];
  let ws = "";
  let reposDir = "";

  before(async () => {
    if (!found.ok) throw new Error(missingToolsMessage(found.missing));
    rmSync(artifacts, { recursive: true, force: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), "ce-cluster-e2e-"));
    const vsix = await packageVsixExclusive(tmp);
    reposDir = path.join(tmp, "repos");
    mkdirSync(path.join(reposDir, "demo"), { recursive: true });
    ws = path.join(tmp, "demo");
    mkdirSync(path.join(ws, "src"), { recursive: true });
    mkdirSync(path.join(ws, "dist"));
    writeFileSync(path.join(ws, "src/retry.ts"), "export function retryRequest(attempts: number): number {\n  return attempts + 1;\n}\n");
    writeFileSync(path.join(ws, ".gitignore"), "dist/\n");
    writeFileSync(path.join(ws, "dist/bundle.js"), "never synced\n");
    // Two hard links to one file: the sync sends each as a file of its own (the uploader refuses link entries).
    mkdirSync(path.join(ws, "docs"));
    writeFileSync(path.join(ws, "docs/notes.md"), "# notes\n");
    linkSync(path.join(ws, "docs/notes.md"), path.join(ws, "docs/notes-again.md"));

    // The pods' processes: the real uploader and indexer (bound as in a pod: all interfaces), lexical-only.
    const env = { ...process.env, EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn" };
    const uploaderPort = await freePort();
    const indexerPort = await freePort();
    const healthPort = await freePort();
    procs.push(spawn(process.execPath, [serverCli, "serve", "upload", "--port", String(uploaderPort), "--repos", reposDir, "--host", "127.0.0.1"], { env, stdio: "ignore" }));
    procs.push(spawn(process.execPath, [serverCli, "serve", "indexer", "--root", path.join(reposDir, "demo"), "--transport", "http", "--host", "0.0.0.0", "--port", String(indexerPort), "--health-port", String(healthPort)], { env, stdio: "ignore" }));
    procs.push(spawn(process.execPath, [serverCli, "watch", "--root", path.join(reposDir, "demo"), "--repo", "demo"], { env, stdio: "ignore" }));

    stub = await new KubeApiStub().start();
    stub.rolloutAfterReads = 1;
    const kubeconfig = path.join(tmp, "kubeconfig");
    writeFileSync(kubeconfig, stub.kubeconfigYaml());
    for (const [name, port] of [["mcp-indexer-http", 8003], ["mcp-memory-http", 8002], ["uploader", 8004]] as const) {
      const r = await fetch(`${stub.url}/api/v1/namespaces/${NS}/services/${name}?fieldManager=e2e`, {
        method: "PATCH",
        headers: { "content-type": "application/apply-patch+yaml" },
        body: JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ name: "http", port, targetPort: "http" }] } }),
      });
      assert.ok(r.ok);
    }
    stub.pods = [readyPod("indexer-0", NS, { app: "mcp-indexer-http" }, 8003), readyPod("memory-0", NS, { app: "mcp-memory-http" }, 8002), readyPod("uploader-0", NS, { app: "uploader" }, 8004)];
    stub.podPorts.set("indexer-0", indexerPort);
    stub.podPorts.set("memory-0", indexerPort);
    stub.podPorts.set("uploader-0", uploaderPort);
    for (const deadline = Date.now() + 60_000; ; ) {
      const ok = await fetch(`http://127.0.0.1:${healthPort}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("the indexer did not start");
      await new Promise((r) => setTimeout(r, 200));
    }

    const extensionsDir = path.join(tmp, "extensions");
    const log = path.join(tmp, "code-server.log");
    await installExtension(found.tools, vsix, extensionsDir, log);
    server = await startCodeServer({
      tools: found.tools,
      workspace: ws,
      userDataDir: path.join(tmp, "user-data"),
      extensionsDir,
      logFile: log,
      settings: { "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "contextEngine.mode": "cluster", "contextEngine.kubeconfig": kubeconfig, "contextEngine.rolloutTimeoutSeconds": 60 },
      env: { KUBECONFIG: kubeconfig },
    });
    wb = await openWorkbench(found.tools, server.workspaceUrl, artifacts);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await stub?.stop();
    for (const p of procs) p.kill("SIGTERM");
    if (tmp) {
      const logs = path.join(tmp, "user-data/logs");
      if (existsSync(logs)) cpSync(logs, path.join(artifacts, "logs"), { recursive: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("on open: port-forward, sync without ignored files, watcher-<repo> applied, search through the tunnel", async () => {
    const page = wb.page;
    await page.locator(".statusbar-item").filter({ hasText: /^\s*Context Engine \(cluster\)\s*$/ }).first().waitFor({ timeout: 120_000 });
    await wb.shot("cluster-connected");
    assert.ok(existsSync(path.join(reposDir, "demo/src/retry.ts")), "the workspace was synced");
    assert.ok(!existsSync(path.join(reposDir, "demo/dist/bundle.js")), ".gitignore respected");
    assert.ok(existsSync(path.join(reposDir, "demo/docs/notes-again.md")), "both hard links of docs/notes.md synced");
    const watcher = stub.objects.get(`/apis/apps/v1/namespaces/${NS}/deployments/watcher-demo`);
    assert.ok(watcher, "watcher-demo applied");
    assert.ok(stub.portForwards.some((p) => p.pod === "uploader-0" && p.protocol === "v4.channel.k8s.io"));

    await page.locator('.activitybar .action-item a[aria-label^="Context Engine"]').first().click();
    const panel = webviewFrame(page, "context-engine.context-engine");
    await panel.locator("#query").fill("retryRequest");
    await panel.locator("#query").press("Enter");
    // The watcher indexes the synced files a moment after the sync (later on a loaded machine): until it has, the
    // search finds nothing, and a user searches again.
    const deadline = Date.now() + 60_000;
    const settled = panel.locator('#status[data-state="results"], #status[data-state="empty"], #status[data-state="error"]');
    for (;;) {
      await settled.waitFor({ timeout: 60_000 });
      if ((await panel.locator("#status").getAttribute("data-state")) === "results") break;
      assert.ok(Date.now() < deadline, `no results within 60 s: ${await panel.locator("#status").textContent()}`);
      await page.waitForTimeout(1000);
      await panel.locator("#query").press("Enter");
    }
    assert.deepEqual(await panel.locator("#results .result").evaluateAll((els) => els.map((e) => e.getAttribute("data-path"))), ["src/retry.ts"]);
    await wb.shot("cluster-search");
  });

  test("a saved edit reaches the cluster", async () => {
    writeFileSync(path.join(ws, "src/fresh.ts"), "export const fresh = 1;\n");
    await until("src/fresh.ts on the cluster's volume", () => existsSync(path.join(reposDir, "demo/src/fresh.ts")));
  });

  test("Deploy shows its steps and ends deployed; Undeploy keeps the data when asked to", async () => {
    const page = wb.page;
    await clearNotifications(page).catch(() => undefined);
    await runCommand(page, "Context Engine: Deploy Context Engine");
    await waitForNotification(page, /deploying to stub/);
    await wb.shot("deploy-progress");
    await waitForNotification(page, /Context Engine is deployed to stub/, 240_000);
    const applied = stub.requests.filter((r) => r.method === "PATCH" && r.query.fieldManager === "context-engine");
    assert.ok(applied.length >= 25, `${applied.length} objects applied`);
    assert.ok(applied.every((r) => r.contentType === "application/apply-patch+yaml"));
    await runCommand(page, "Context Engine: Undeploy");
    const dialog = page.locator(".monaco-dialog-box").filter({ hasText: /Remove Context Engine from/ });
    await dialog.waitFor();
    await wb.shot("undeploy-dialog");
    await dialog.locator(".dialog-buttons .monaco-button", { hasText: /^Undeploy, keep data$/ }).click();
    const done = await waitForNotification(page, /Context Engine removed from stub/, 120_000);
    assert.match(done, /kept \(volumes, namespace\)/);
    assert.ok(stub.objects.has(`/api/v1/namespaces/${NS}/persistentvolumeclaims/repos-storage`), "the repos volume is kept");
  });
});
