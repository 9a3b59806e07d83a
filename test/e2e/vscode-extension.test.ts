// The extension in a real VS Code (code-server 4.139 = VS Code 1.139, driven in headless Chromium), used as a
// person would: install the .vsix, open a real project, wait for local indexing, search in the panel, open a
// result, start the MCP servers VS Code lists, run every palette command. Needs .ci/setup-e2e; a screenshot of
// every step goes to test/e2e/artifacts/vscode-extension/ (with code-server's and the extension host's logs).
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { fixtureModel, packageVsixExclusive, readManifest, serverCli } from "./vscode/extension-fixture.ts";
import { listMcpServers, startMcpServer } from "./vscode/mcp.ts";
import { Session } from "./vscode/session.ts";
import { findTools, missingToolsMessage, repoRoot } from "./vscode/tools.ts";
import {
  activeEditor,
  clearNotifications,
  closeQuickInput,
  quickInput,
  quickPickRows,
  resizeSideBar,
  runCommand,
  waitForNotification,
  waitUntil,
  webviewFrame,
} from "./vscode/workbench.ts";

const found = findTools();
// Without the tools: a loud failure in CI, a clear skip on a developer's machine.
const skip = !found.ok && !process.env.CI ? missingToolsMessage(found.missing) : false;
// E2E_ARTIFACTS: another folder, for a run beside someone else's on the same tree.
const artifacts = process.env.E2E_ARTIFACTS ?? path.join(repoRoot, "test/e2e/artifacts/vscode-extension");
const manifest = readManifest();
const extensionId = `${manifest.publisher}.${manifest.name}`;

/** A query whose answer in undici is known: the WebSocket frame sender (lib/web/websocket/frame.js). */
const QUERY = "websocket frame masking";
const EXPECTED_FILE = "lib/web/websocket/frame.js";

/** The status bar item once local mode has indexed the workspace (not "indexing", not "· lexical"). */
const LOCAL_READY = /^\s*Context Engine \(local\)\s*$/;

function statusItem(page: Page) {
  return page.locator(".statusbar-item").filter({ hasText: /Context Engine/ }).first();
}

async function waitForLocalReady(page: Page, timeoutMs = 180_000): Promise<void> {
  try {
    await page.locator(".statusbar-item").filter({ hasText: LOCAL_READY }).first().waitFor({ timeout: timeoutMs });
  } catch {
    const shown = await statusItem(page).innerText().catch(() => "(no Context Engine status bar item)");
    throw new Error(`local mode was not ready within ${timeoutMs / 1000} s; the status bar shows "${shown.trim()}"`);
  }
}

/** The status quick pick ("Context Engine: Show Status") as lines; closes it again. */
async function statusLines(page: Page): Promise<{ title: string; lines: string[] }> {
  await runCommand(page, "Context Engine: Show Status");
  const title = quickInput(page).locator(".quick-input-title");
  await title.filter({ hasText: /Context Engine status/ }).waitFor();
  await quickPickRows(page).filter({ hasText: /MCP: http/ }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
  const out = { title: await title.innerText(), lines: await quickPickRows(page).allInnerTexts() };
  await closeQuickInput(page);
  return out;
}

function mcpUrlOf(lines: string[]): string | undefined {
  return lines.map((l) => /MCP: (\S+)/.exec(l)?.[1]).find(Boolean);
}

/** Clicks a button of the modal dialog VS Code shows for a modal message. */
async function answerDialog(page: Page, message: RegExp, button: string): Promise<void> {
  const dialog = page.locator(".monaco-dialog-box").filter({ hasText: message });
  await dialog.waitFor();
  await dialog.locator(".dialog-buttons .monaco-button", { hasText: new RegExp(`^${button}$`) }).click();
  await dialog.waitFor({ state: "detached" });
}

/** The .vsix, packed once for every session of this file. */
let vsix: string | undefined;
const vsixDir = mkdtempSync(path.join(os.tmpdir(), "ce-vsix-"));
after(() => rmSync(vsixDir, { recursive: true, force: true }));
async function packedVsix(): Promise<string> {
  if (!vsix) {
    assert.ok(existsSync(fixtureModel), `the fixture embedding model is missing at ${fixtureModel}`);
    vsix = await packageVsixExclusive(vsixDir);
    assert.ok(existsSync(serverCli), `${serverCli} is missing after the build`);
  }
  return vsix;
}

describe("Context Engine in a real VS Code (code-server)", { skip, timeout: 20 * 60_000 }, () => {
  let session: Session;
  let wb: { page: Page };
  const step = <T>(name: string, fn: () => Promise<T>) => session.step(name, fn);

  before(async () => {
    if (!found.ok) throw new Error(missingToolsMessage(found.missing));
    const t = Date.now();
    const packed = await packedVsix();
    const packMs = Date.now() - t;
    session = await Session.open({
      tools: found.tools,
      vsix: packed,
      artifacts,
      // The engine's embedder: the small real model from the fixtures (no model download here).
      env: { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: fixtureModel },
    });
    session.timings.package = packMs;
    wb = session.wb;
  });

  after(async () => {
    if (!session) return;
    await session.close();
    console.log(`vscode-extension timings (ms): ${JSON.stringify(session.timings)}`);
  });

  test("the installed extension indexes the workspace in local mode", async () => {
    await step("local-indexing-done", async () => {
      const t = Date.now();
      await statusItem(wb.page).waitFor({ timeout: 60_000 });
      await waitForLocalReady(wb.page);
      session.timings.indexing = Date.now() - t;
      // The index lives in the editor's storage: its state is what the extension reports.
      const { lines } = await statusLines(wb.page);
      const index = lines.map((l) => /Index: (\w+), (\d+)\/(\d+) files/.exec(l)).find(Boolean);
      assert.ok(index, `the status shows no index line: ${lines.join(" | ")}`);
      assert.equal(index[1], "watching");
      assert.ok(Number(index[3]) > 100, `only ${index[3]} files indexed`);
    });
  });

  test("a search in the panel finds the expected file and opens it at the line that matched", async () => {
    const page = wb.page;
    const container = Object.values(manifest.contributes?.viewsContainers ?? {}).flat()[0];
    assert.ok(container, "the manifest contributes no view container");
    const panel = webviewFrame(page, extensionId);
    await step("search-panel-open", async () => {
      await page.locator(`.activitybar .action-item a[aria-label^="${container.title}"]`).first().click();
      await panel.locator("#query").waitFor();
      await resizeSideBar(page, 520);
    });
    const hit = panel.locator(`#results .result[data-path="${EXPECTED_FILE}"]`).first();
    const line = await step("search-results", async () => {
      await panel.locator("#query").fill(QUERY);
      await panel.locator("#query").press("Enter");
      await panel.locator('#status[data-state="results"]').waitFor({ timeout: 30_000 });
      try {
        await hit.waitFor({ timeout: 5_000 });
      } catch {
        const listed = await panel.locator("#results .file-group").evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
        throw new Error(`"${QUERY}" did not list ${EXPECTED_FILE}; the panel lists: ${listed.join(", ")}`);
      }
      // The file's header names it once; the hit shows the line it opens at.
      const group = panel.locator(`#results .file-group[data-path="${EXPECTED_FILE}"]`);
      assert.equal(await group.locator(".file-head").getAttribute("title"), EXPECTED_FILE);
      const line = Number(await hit.getAttribute("data-match-line"));
      assert.equal((await hit.locator(".result-line").innerText()).trim(), `:${line}`);
      assert.ok((await hit.locator(".result-snippet mark").count()) > 0, "the snippet highlights no query term");
      return line;
    });
    await step("search-result-opened", async () => {
      await hit.click();
      await page.locator(".tabs-container .tab.active", { hasText: path.basename(EXPECTED_FILE) }).waitFor();
      await page.locator("#status\\.editor\\.selection", { hasText: `Ln ${line},` }).waitFor();
      const editor = await activeEditor(page);
      assert.deepEqual(editor, { file: path.basename(EXPECTED_FILE), line });
      // The editor's breadcrumbs give the workspace path: that frame.js, not another one.
      // They render a moment after the tab; the outline's symbols may follow the file name.
      const items = page.locator(".editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item");
      const shownPath = async () => (await items.allInnerTexts()).map((c) => c.trim()).join("/");
      const crumbs = await waitUntil(`breadcrumbs ${EXPECTED_FILE}`, async () => {
        const p = await shownPath();
        return p === EXPECTED_FILE || p.startsWith(`${EXPECTED_FILE}/`) ? p : undefined;
      }, 10_000).catch(shownPath);
      assert.ok(crumbs === EXPECTED_FILE || crumbs.startsWith(`${EXPECTED_FILE}/`), `the breadcrumbs show ${crumbs}`);
    });
    // The README's picture of the panel.
    cpSync(session.shotOf("search-result-opened"), path.join(artifacts, "search-panel.png"));
  });

  test("the panel's Under filter narrows the results, and the keyboard opens one", async () => {
    const page = wb.page;
    const panel = webviewFrame(page, extensionId);
    const paths = () => panel.locator("#results .result").evaluateAll((els) => els.map((e) => e.getAttribute("data-path") ?? ""));
    const query = "intercept a request and reply with mock data";
    const unfiltered = await step("filter-before", async () => {
      await panel.locator("#query").fill(query);
      await panel.locator("#query").press("Enter");
      return waitUntil(`results for "${query}"`, async () => {
        const p = await paths();
        return p.length && !p.includes(EXPECTED_FILE) ? p : undefined;
      });
    });
    // Else the filter would have nothing to remove and this test could not fail.
    assert.ok(unfiltered.some((p) => !p.startsWith("lib/mock/")), `all results are already under lib/mock/: ${unfiltered.join(", ")}`);
    const filtered = await step("filter-under-lib-mock", async () => {
      await panel.locator("#filters-toggle").click();
      await panel.locator("#filter-under").fill("lib/mock/");
      await panel.locator("#filter-under").press("Tab"); // the field's change event runs the search again
      return waitUntil("results under lib/mock/ only", async () => {
        const p = await paths();
        return p.length && p.every((x) => x.startsWith("lib/mock/")) ? p : undefined;
      });
    });
    assert.ok(filtered.length > 0);
    await step("keyboard-open", async () => {
      await panel.locator("#query").focus();
      await panel.locator("#query").press("ArrowDown");
      const first = panel.locator('#results .result[aria-selected="true"]');
      await first.waitFor();
      const file = (await first.getAttribute("data-path"))!;
      const line = Number(await first.getAttribute("data-match-line"));
      assert.equal(file, filtered[0], "ArrowDown did not select the first result");
      await first.press("Enter");
      await page.locator("#status\\.editor\\.selection", { hasText: `Ln ${line},` }).waitFor();
      assert.deepEqual(await activeEditor(page), { file: path.basename(file), line });
    });
    // Leave the panel as the next tests expect it: no filter.
    await panel.locator("#filter-under").fill("");
    await panel.locator("#filter-under").press("Tab");
    await panel.locator("#filters-toggle").click();
  });

  test("VS Code lists the Context Engine MCP server and starts it", async () => {
    const page = wb.page;
    const provider = manifest.contributes?.mcpServerDefinitionProviders?.[0];
    assert.ok(provider, "the manifest contributes no MCP server definition provider");
    const servers = await step("mcp-list-servers", async () => {
      const listed = await listMcpServers(page, /Context Engine/);
      return listed.filter((s) => s.text.includes(provider.label));
    });
    await closeQuickInput(page);
    assert.ok(servers.length > 0, `"MCP: List Servers" lists no server of "${provider.label}"`);
    for (const s of servers) {
      const tools = await step(`mcp-start-${s.label.replace(/\W+/g, "-").toLowerCase()}`, () => startMcpServer(page, s.label));
      assert.ok(tools > 0, `${s.label} started but offers no tools`);
      const after = await listMcpServers(page, new RegExp(s.label.replace(/[()]/g, "\\$&")));
      await closeQuickInput(page);
      assert.equal(after.find((x) => x.label === s.label)?.state, "Running", `${s.label} is not running: ${JSON.stringify(after)}`);
    }
  });

  test("the walkthrough opens with each of its steps", async () => {
    const page = wb.page;
    const walkthrough = manifest.contributes?.walkthroughs?.[0];
    assert.ok(walkthrough, "the manifest contributes no walkthrough");
    await step("walkthrough", async () => {
      await runCommand(page, "Welcome: Open Walkthrough...");
      await quickPickRows(page).filter({ hasText: walkthrough.title }).first().click();
      const opened = page.locator(".gettingStartedContainer");
      await opened.locator(".getting-started-category .category-title, h2", { hasText: walkthrough.title }).first().waitFor();
      for (const s of walkthrough.steps) await opened.locator(".getting-started-step .step-title", { hasText: s.title }).first().waitFor();
    });
    await runCommand(page, "View: Close Editor");
  });

  test("every palette command has its visible effect", async () => {
    const page = wb.page;
    // What each command does that a person can see, in this window: local mode, no cluster, no kubeconfig.
    const effects: Record<string, () => Promise<void>> = {
      "contextEngine.focusSearch": async () => {
        await closeSidebarView(page);
        await runCommand(page, "Context Engine: Open Search Panel");
        const q = webviewFrame(page, extensionId).locator("#query");
        await q.waitFor();
        // The panel focuses its query box once the webview has the "focus" message: wait for it.
        const focused = () => q.evaluate((el) => (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === el);
        await waitUntil("the query box to have the focus", async () => ((await focused()) ? true : undefined), 10_000);
      },
      "contextEngine.search": async () => {
        await runCommand(page, "Context Engine: Search Code");
        await quickInput(page).locator(".quick-input-title", { hasText: "Context Engine: Search Code" }).waitFor();
        await quickInput(page).locator("input.input").fill(QUERY);
        const row = quickPickRows(page).filter({ hasText: `${EXPECTED_FILE}:` }).first();
        await row.waitFor({ timeout: 30_000 });
        const line = Number(new RegExp(`${EXPECTED_FILE}:(\\d+)`).exec(await row.innerText())?.[1]);
        await row.click();
        await page.locator("#status\\.editor\\.selection", { hasText: `Ln ${line},` }).waitFor();
        assert.deepEqual(await activeEditor(page), { file: path.basename(EXPECTED_FILE), line });
      },
      "contextEngine.searchSelection": async () => {
        // The editor holds frame.js from the quick pick's check: its first line, selected, is searched in the panel.
        const q = webviewFrame(page, extensionId).locator("#query");
        await q.fill("");
        const first = readFileSync(path.join(session.workspace, EXPECTED_FILE), "utf8").split("\n")[0]!.trim();
        await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
        await page.keyboard.press("Control+Home");
        await page.keyboard.press("Shift+End");
        await runCommand(page, "Context Engine: Search Selection");
        await waitUntil(`the panel to search "${first}"`, async () => ((await q.inputValue()) === first ? true : undefined), 15_000);
      },
      "contextEngine.openSettings": async () => {
        await runCommand(page, "Context Engine: Open Settings");
        const editor = page.locator(".settings-editor");
        await editor.waitFor();
        // Grouped as the manifest groups them, local first: the table of contents lists "Local (4)", "Search (1)", ...
        await editor.locator(".settings-toc-entry", { hasText: /^Cluster\b/ }).first().waitFor();
        const toc = await editor.locator(".settings-toc-entry").allInnerTexts();
        const groups = toc.map((t) => t.replace(/\s*\(\d+\)\s*$/, "").trim());
        const at = groups.indexOf("Local");
        assert.deepEqual(groups.slice(at, at + 3), ["Local", "Search", "Cluster"], `the settings' table of contents: ${JSON.stringify(toc)}`);
        // This VS Code opens settings in a modal editor: Escape (once for the search box's focus, once for the editor).
        for (let i = 0; i < 3 && (await editor.isVisible()); i++) {
          await page.keyboard.press("Escape");
          await editor.waitFor({ state: "hidden", timeout: 5_000 }).catch(() => undefined);
        }
        assert.equal(await editor.isVisible(), false, "the settings editor did not close");
      },
      "contextEngine.showStatus": async () => {
        const { title, lines } = await statusLines(page);
        assert.match(title, /local mode, ready/);
        assert.ok(mcpUrlOf(lines)?.startsWith("http://127.0.0.1:"), `no local MCP URL in the status: ${lines.join(" | ")}`);
      },
      "contextEngine.showLogs": async () => {
        await runCommand(page, "Context Engine: Show Logs");
        // The output panel shows the extension's log channel: its name is selected and the engine's lines are there.
        await page.waitForFunction(
          `[...document.querySelectorAll(".part.panel select")].some((s) => s.options[s.selectedIndex]?.text === "Context Engine")`,
          undefined,
          { timeout: 15_000 },
        );
        await page.locator(".part.panel .monaco-editor .view-lines").filter({ hasText: /\[(indexer|watcher)\]|local mode/ }).first().waitFor();
      },
      "contextEngine.reconnect": async () => {
        const before = mcpUrlOf((await statusLines(page)).lines);
        await runCommand(page, "Context Engine: Reconnect");
        await page.locator(".statusbar-item").filter({ hasText: LOCAL_READY }).first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
        await waitForLocalReady(page);
        const after = mcpUrlOf((await statusLines(page)).lines);
        assert.ok(after && after !== before, `the engine was not restarted (MCP URL before ${before}, after ${after})`);
      },
      "contextEngine.syncNow": async () => {
        await runCommand(page, "Context Engine: Sync Workspace Now");
        await waitForNotification(page, /Sync is for cluster mode/);
      },
      "contextEngine.setToken": async () => {
        await runCommand(page, "Context Engine: Set Access Token");
        await quickInput(page).locator(".quick-input-title", { hasText: "Context Engine access token" }).waitFor();
        const input = quickInput(page).locator("input.input");
        assert.equal(await input.getAttribute("type"), "password", "the token is typed in the clear");
        await input.fill("e2e-token");
        await input.press("Enter");
        await waitForNotification(page, /token saved in the secret storage/);
      },
      "contextEngine.deploy": async () => {
        await runCommand(page, "Context Engine: Deploy Context Engine");
        await waitForNotification(page, /Deploy failed.*kubeconfig/is);
      },
      "contextEngine.undeploy": async () => {
        await runCommand(page, "Context Engine: Undeploy");
        await waitForNotification(page, /Undeploy failed.*kubeconfig/is);
      },
      "contextEngine.removeRepository": async () => {
        await runCommand(page, "Context Engine: Remove This Repository from the Cluster");
        await answerDialog(page, /Remove "undici" from the cluster\?/, "Remove");
        await waitForNotification(page, /Remove repository failed.*kubeconfig/is);
      },
      "contextEngine.useCluster": async () => {
        await runCommand(page, "Context Engine: Use Cluster");
        await waitForNotification(page, /Context Engine: cluster mode/);
        // No cluster here: the status bar says so and a notification says what to do.
        await page.locator(".statusbar-item").filter({ hasText: /Context Engine \(cluster\)/ }).first().waitFor({ timeout: 60_000 });
        await waitForNotification(page, /Context Engine \(cluster mode\):.*kubeconfig/is, 60_000);
      },
      "contextEngine.useLocalMode": async () => {
        await runCommand(page, "Context Engine: Use Local Mode");
        await waitForNotification(page, /Context Engine: local mode/);
        await waitForLocalReady(page);
      },
    };
    // Commands hidden from the palette (the results' context menu) are checked in the results session.
    const hidden = new Set((manifest.contributes?.menus?.commandPalette ?? []).filter((m) => m.when === "false").map((m) => m.command));
    const contributed = (manifest.contributes?.commands ?? []).map((c) => c.command).filter((c) => !hidden.has(c));
    const untested = contributed.filter((c) => !(c in effects));
    assert.deepEqual(untested, [], `commands with no checked effect (add them to this test): ${untested.join(", ")}`);
    const order = Object.keys(effects).filter((c) => contributed.includes(c));
    const failures: string[] = [];
    for (const id of order) {
      await clearNotifications(page).catch(() => undefined);
      await closeQuickInput(page).catch(() => undefined);
      try {
        await step(`command-${id.replace(/^contextEngine\./, "")}`, effects[id]!);
      } catch (e) {
        failures.push(`${id}: ${(e as Error).message}`);
        await page.keyboard.press("Escape").catch(() => undefined);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });
});

async function closeSidebarView(page: Page): Promise<void> {
  await runCommand(page, "View: Show Explorer");
  await page.locator(".explorer-folders-view").waitFor();
}

describe("local mode without its embedding model, then without Node.js", { skip, timeout: 10 * 60_000 }, () => {
  let session: Session;

  before(async () => {
    if (!found.ok) throw new Error(missingToolsMessage(found.missing));
    session = await Session.open({
      tools: found.tools,
      vsix: await packedVsix(),
      artifacts: `${artifacts}-no-model`,
      // A model folder that is not there: what a machine that cannot download the model sees.
      env: { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: path.join(os.tmpdir(), "ce-no-such-model") },
    });
  });

  after(async () => {
    if (!session) return;
    await session.close();
    console.log(`vscode-extension (no model) timings (ms): ${JSON.stringify(session.timings)}`);
  });

  test("says why search is lexical-only, and lexical search still finds the file", async () => {
    const page = session.page;
    await session.step("lexical-warning", async () => {
      await waitForNotification(page, /embedding model is not available.*lexical-only/is, 120_000);
      await page.locator(".statusbar-item").filter({ hasText: /Context Engine \(local\) · lexical\s*$/ }).first().waitFor({ timeout: 180_000 });
    });
    await session.step("lexical-search", async () => {
      await runCommand(page, "Context Engine: Open Search Panel");
      const panel = webviewFrame(page, extensionId);
      await panel.locator("#query").fill(QUERY);
      await panel.locator("#query").press("Enter");
      await panel.locator('#status[data-state="results"]').waitFor({ timeout: 30_000 });
      await panel.locator(`#results .result[data-path="${EXPECTED_FILE}"]`).first().waitFor({ timeout: 5_000 });
    });
  });

  test("a Node.js that is not there: local mode says so and what to do", async () => {
    const page = session.page;
    await session.step("no-node-error", async () => {
      await clearNotifications(page);
      // As a person does it: the Settings editor, the setting found by its id, a new value typed in.
      await runCommand(page, "Preferences: Open User Settings");
      await page.locator(".settings-editor .settings-header .suggest-input-container").first().click();
      await page.keyboard.type("@id:contextEngine.local.nodePath");
      const field = page.locator(".settings-editor .setting-item-contents", { hasText: /Node/ }).locator("input.setting-control-focus-target, .setting-item-control input").first();
      await field.waitFor();
      await field.fill(path.join(os.tmpdir(), "no-such-node"));
      await field.press("Tab");
      await waitForNotification(page, /could not run Node\.js.*not found.*Install Node\.js/is, 60_000);
      const banner = webviewFrame(page, extensionId).locator('#connection[data-phase="error"]');
      await banner.waitFor({ timeout: 30_000 });
      assert.match(await banner.innerText(), /Node\.js/);
    });
  });
});
