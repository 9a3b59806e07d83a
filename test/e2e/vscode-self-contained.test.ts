// The extension as a new user gets it: only the .vsix for this platform installed into a fresh code-server (VS Code
// 1.139), no Node.js on PATH, no server or checkout the extension could find, a multi-root workspace of code nobody
// here wrote. Local mode must run on the editor's own runtime (code-server's Node 24), index both folders with
// progress into the editor's storage (nothing written into the folders), answer searches in the panel for either
// folder, and its MCP servers must be listed and start. Needs .ci/setup-e2e; screenshots and logs go to
// test/e2e/artifacts/vscode-self-contained/.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { QUIET_WORKBENCH, installExtension, startCodeServer, type RunningCodeServer } from "./vscode/code-server.ts";
import { fixtureModel, packageVsix, readManifest } from "./vscode/extension-fixture.ts";
import { listMcpServers, startMcpServer } from "./vscode/mcp.ts";
import { installedExtension, multiRootWorkspace, onPath, pathWithoutNode, type ForeignFolder } from "./vscode/self-contained.ts";
import { findTools, missingToolsMessage, repoRoot } from "./vscode/tools.ts";
import { closeQuickInput, quickInput, quickPickRows, resizeSideBar, runCommand, waitUntil, webviewFrame } from "./vscode/workbench.ts";
import { openWorkbench, type Workbench } from "./vscode/workbench.ts";

const found = findTools();
const skip = !found.ok && !process.env.CI ? missingToolsMessage(found.missing) : false;
const artifacts = process.env.E2E_ARTIFACTS ?? path.join(repoRoot, "test/e2e/artifacts/vscode-self-contained");
const manifest = readManifest();
const extensionId = `${manifest.publisher}.${manifest.name}`;

/** Queries whose answers are known in each folder. */
const SEARCHES = [
  { folder: "undici", query: "websocket frame masking", file: "lib/web/websocket/frame.js" },
  { folder: "semver", query: "coerce a loose string into a version", file: "functions/coerce.js" },
];

function statusItem(page: Page) {
  return page.locator(".statusbar-item").filter({ hasText: /Context Engine/ }).first();
}

/** The status quick pick as lines ("Context Engine: Show Status"); closes it again. */
async function statusLines(page: Page): Promise<{ title: string; lines: string[] }> {
  await runCommand(page, "Context Engine: Show Status");
  const title = quickInput(page).locator(".quick-input-title");
  await title.filter({ hasText: /Context Engine status/ }).waitFor();
  await quickPickRows(page).filter({ hasText: /Runtime: / }).first().waitFor({ timeout: 10_000 });
  const out = { title: await title.innerText(), lines: await quickPickRows(page).allInnerTexts() };
  await closeQuickInput(page);
  return out;
}

describe("the .vsix alone: no Node.js, no server, no checkout", { skip, timeout: 20 * 60_000 }, () => {
  let tmp = "";
  let server: RunningCodeServer | undefined;
  let wb: Workbench;
  let folders: ForeignFolder[] = [];
  let extensionDir = "";
  let cleanPath = "";
  const timings: Record<string, number> = {};

  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
      const out = await fn();
      await wb.shot(name);
      return out;
    } catch (e) {
      await wb.shot(`${name}-FAILED`).catch(() => undefined);
      throw e;
    } finally {
      timings[name] = Date.now() - t;
    }
  }

  before(async () => {
    if (!found.ok) throw new Error(missingToolsMessage(found.missing));
    rmSync(artifacts, { recursive: true, force: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), "ce-self-contained-"));
    let t = Date.now();
    const vsix = packageVsix(tmp);
    timings.package = Date.now() - t;
    const extensionsDir = path.join(tmp, "extensions");
    const log = path.join(tmp, "code-server.log");
    t = Date.now();
    await installExtension(found.tools, vsix, extensionsDir, log);
    timings.install = Date.now() - t;
    extensionDir = installedExtension(extensionsDir, extensionId);
    cleanPath = pathWithoutNode(tmp);
    const workspace = multiRootWorkspace(path.join(tmp, "work"));
    folders = workspace.folders;
    const noKubeconfig = path.join(tmp, "no-such-kubeconfig");
    t = Date.now();
    server = await startCodeServer({
      tools: found.tools,
      workspace: workspace.file,
      userDataDir: path.join(tmp, "user-data"),
      extensionsDir,
      logFile: log,
      // No contextEngine.local.* setting: the extension finds its server and runtime on its own.
      settings: {
        ...QUIET_WORKBENCH,
        "contextEngine.kubeconfig": noKubeconfig,
      },
      // The fixture Model2Vec model (no download here): its tokenizer loads transformers.js and ONNX Runtime from the .vsix.
      env: { PATH: cleanPath, KUBECONFIG: noKubeconfig, EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: fixtureModel },
    });
    wb = await openWorkbench(found.tools, `${server.url}?workspace=${encodeURIComponent(workspace.file)}`, artifacts);
    timings.start = Date.now() - t;
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    console.log(`vscode-self-contained timings (ms): ${JSON.stringify(timings)}`);
  });

  test("nothing outside the .vsix can serve: no node on PATH, no checkout beside the extension, no server setting", () => {
    assert.equal(onPath("node", cleanPath), undefined, "the PATH given to code-server has a node");
    assert.equal(onPath("context-engine", cleanPath), undefined);
    assert.ok(onPath("sh", cleanPath), "the PATH lost the rest of the machine's tools");
    // The lookups local mode has besides its own server: a setting (not set), CONTEXT_ENGINE_SERVER_PATH (not set),
    // and a source checkout's build beside the extension's folder.
    assert.equal(process.env.CONTEXT_ENGINE_SERVER_PATH, undefined);
    assert.equal(existsSync(path.resolve(extensionDir, "..", "server", "dist", "cli.js")), false);
    assert.ok(existsSync(path.join(extensionDir, "server", "dist", "cli.js")), `the .vsix has no server: ${readdirSync(extensionDir).join(", ")}`);
  });

  test("the first index of both folders shows its progress, runs on the editor's runtime, and writes nothing into them", async () => {
    const page = wb.page;
    await step("first-index-progress", async () => {
      await statusItem(page).waitFor({ timeout: 60_000 });
      // The progress notification (or, if it was quicker, the status bar) counts the files of both folders.
      const progress = page.locator(".notification-toast, .statusbar-item").filter({ hasText: /Indexing 2 folders \(undici, semver\)|indexing \d+\/\d+/ }).first();
      await progress.waitFor({ timeout: 180_000 });
    });
    await step("first-index-done", async () => {
      await page.locator(".statusbar-item").filter({ hasText: /^\s*Context Engine \(local\)\s*$/ }).first().waitFor({ timeout: 300_000 });
      const { title, lines } = await statusLines(page);
      assert.match(title, /local mode, ready/);
      assert.ok(lines.some((l) => /Local index of 2 folders \(undici, semver\): \d+ files/.test(l)), lines.join(" | "));
      const runtime = lines.find((l) => l.includes("Runtime: "));
      assert.ok(runtime?.includes(`Runtime: the editor's runtime (${found.ok ? found.tools.node24 : ""}`), `not the editor's runtime: ${runtime}`);
      assert.match(runtime ?? "", /node:sqlite/);
      const store = lines.find((l) => l.includes("Store: "))?.replace(/^.*Store: /, "").trim() ?? "";
      assert.ok(store.startsWith(path.join(tmp, "user-data")), `the index is not in the editor's storage: ${store}`);
    });
    for (const f of folders) assert.equal(existsSync(path.join(f.root, ".codebase")), false, `${f.name}/.codebase was written`);
  });

  test("the panel finds code in either folder and opens the file of the right folder", async () => {
    const page = wb.page;
    const panel = webviewFrame(page, extensionId);
    const container = Object.values(manifest.contributes?.viewsContainers ?? {}).flat()[0]!;
    await page.locator(`.activitybar .action-item a[aria-label^="${container.title}"]`).first().click();
    await panel.locator("#query").waitFor();
    await resizeSideBar(page, 520);
    for (const s of SEARCHES) {
      await step(`search-${s.folder}`, async () => {
        await panel.locator("#query").fill(s.query);
        await panel.locator("#query").press("Enter");
        await panel.locator('#status[data-state="results"]').waitFor({ timeout: 30_000 });
        const hit = panel.locator(`#results .result[data-path="${s.file}"]`).first();
        try {
          await hit.waitFor({ timeout: 5_000 });
        } catch {
          const listed = await panel.locator("#results .result .result-path").allInnerTexts();
          throw new Error(`"${s.query}" did not list ${s.file}; the panel lists: ${listed.join(", ")}`);
        }
        await hit.click();
        await page.locator(".tabs-container .tab.active", { hasText: path.basename(s.file) }).waitFor();
        // The breadcrumbs of a multi-root workspace start with the workspace folder: the file of this folder opened.
        // After the file come the symbols around the cursor (the hit's line), or "…" while the outline loads.
        const expected = [s.folder, ...s.file.split("/")];
        const crumbs = page.locator(".editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item");
        const fileCrumbs = async () => (await crumbs.allInnerTexts()).map((t) => t.trim()).slice(0, expected.length);
        const shown = await waitUntil(`breadcrumbs ${expected.join(" > ")}`, async () => {
          const texts = await fileCrumbs();
          return texts.join("/") === expected.join("/") ? texts : undefined;
        }, 10_000).catch(fileCrumbs);
        assert.deepEqual(shown, expected, `opened ${shown.join(" > ")}, not ${s.folder}/${s.file}`);
      });
    }
  });

  test("MCP: List Servers shows the engine's servers and they start", async () => {
    const page = wb.page;
    const listed = await step("mcp-servers-listed", () => listMcpServers(page, /Context Engine/));
    await closeQuickInput(page);
    const ours = listed.filter((s) => /Context Engine/.test(s.label));
    assert.deepEqual(ours.map((s) => s.label).sort(), ["Context Engine (local)", "Context Engine memory"]);
    for (const s of ours) {
      const tools = await step(`mcp-start-${s.label.replace(/\W+/g, "-").toLowerCase()}`, () => startMcpServer(page, s.label));
      assert.ok(tools > 0, `${s.label} started but offers no tools`);
      const after = await listMcpServers(page, new RegExp(s.label.replace(/[()]/g, "\\$&")));
      await closeQuickInput(page);
      assert.equal(after.find((x) => x.label === s.label)?.state, "Running", `${s.label} is not running: ${JSON.stringify(after)}`);
    }
  });
});
