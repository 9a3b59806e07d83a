// The search panel's results in a real VS Code (code-server), on a tab-indented repository (Hono's CommonJS build):
// the lines that matched are shown (dedented, visible at the side bar's width), one hit per symbol, grouped by file,
// a nonsense query meets the relevance floor, a hit opens at its matched line (and to the side), results go to chat or
// the clipboard as context, stale results are cleared under an error banner, and the walkthrough's steps complete as
// their actions happen. Screenshots in test/e2e/artifacts/vscode-search-results/ (the README's come from here).
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { FrameLocator, Page } from "playwright-core";
import { fixtureModel, packageVsixExclusive, readManifest, tabIndentedWorkspace } from "./vscode/extension-fixture.ts";
import { startMcpServer } from "./vscode/mcp.ts";
import { Session } from "./vscode/session.ts";
import { findTools, missingToolsMessage, repoRoot } from "./vscode/tools.ts";
import { activeEditor, clearNotifications, quickPickRows, resizeSideBar, runCommand, waitForNotification, waitUntil, webviewFrame } from "./vscode/workbench.ts";

const found = findTools();
const skip = !found.ok && !process.env.CI ? missingToolsMessage(found.missing) : false;
const artifacts = process.env.E2E_ARTIFACTS ? `${process.env.E2E_ARTIFACTS}-results` : path.join(repoRoot, "test/e2e/artifacts/vscode-search-results");
const manifest = readManifest();
const extensionId = `${manifest.publisher}.${manifest.name}`;

/** The jwt middleware is one function of about 100 lines: the index holds it as several overlapping windows. */
const QUERY = "jwt middleware verify token header";
const LONG_FUNCTION = { path: "src/middleware/jwt/jwt.js", symbol: "jwt" };
const NONSENSE = "xyzzyplughfrobnicate";

interface ShownResult {
  path: string;
  symbol: string;
  start: number;
  end: number;
  match: number;
}

async function search(panel: FrameLocator, query: string, state: "results" | "empty" = "results"): Promise<void> {
  await panel.locator("#query").fill(query);
  await panel.locator("#query").press("Enter");
  await panel.locator(`#status[data-state="${state}"]`).waitFor({ timeout: 60_000 });
}

async function shownResults(panel: FrameLocator): Promise<ShownResult[]> {
  return panel.locator("#results .result").evaluateAll((els) =>
    els.map((e) => ({
      path: e.getAttribute("data-path") ?? "",
      symbol: e.querySelector(".result-symbol")?.textContent ?? "",
      start: Number(e.getAttribute("data-start-line")),
      end: Number(e.getAttribute("data-end-line")),
      match: Number(e.getAttribute("data-match-line")),
    })),
  );
}

/** The clipboard as the page (the workbench) reads it. */
async function clipboard(page: Page): Promise<string> {
  return page.evaluate("navigator.clipboard.readText()") as Promise<string>;
}

describe("search results in a tab-indented repository", { skip, timeout: 20 * 60_000 }, () => {
  let session: Session;
  let page: Page;
  let panel: FrameLocator;
  let workspace = "";
  const vsixDir = mkdtempSync(path.join(os.tmpdir(), "ce-vsix-results-"));
  const step = <T>(name: string, fn: () => Promise<T>) => session.step(name, fn);

  before(async () => {
    if (!found.ok) throw new Error(missingToolsMessage(found.missing));
    const vsix = await packageVsixExclusive(vsixDir);
    session = await Session.open({
      tools: found.tools,
      vsix,
      artifacts,
      env: { EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: fixtureModel },
      workspace: (into) => tabIndentedWorkspace(into).root,
      // Tabs as wide as many tab-indented projects set them: the panel must follow the editor, not its own 8.
      settings: { "editor.tabSize": 2 },
    });
    page = session.page;
    workspace = session.workspace;
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(page.url()).origin });
    panel = webviewFrame(page, extensionId);
  });

  after(async () => {
    await session?.close();
    rmSync(vsixDir, { recursive: true, force: true });
  });

  test("shows the lines that matched, dedented and visible, one hit per symbol, grouped by file", async () => {
    await step("results-indexed", async () => {
      await page.locator(".statusbar-item").filter({ hasText: /^\s*Context Engine \(local\)\s*$/ }).first().waitFor({ timeout: 240_000 });
    });
    await step("results-panel-open", async () => {
      await runCommand(page, "Context Engine: Open Search Panel");
      await panel.locator("#query").waitFor();
      await resizeSideBar(page, 460);
    });
    const shown = await step("results-grouped", async () => {
      await search(panel, QUERY);
      return shownResults(panel);
    });
    // One hit per symbol: no two results of one file share a symbol or overlap.
    for (const [i, a] of shown.entries()) {
      for (const b of shown.slice(i + 1)) {
        if (a.path !== b.path) continue;
        assert.ok(!(a.symbol && a.symbol === b.symbol), `two hits of ${a.path} ${a.symbol}: ${a.start}-${a.end} and ${b.start}-${b.end}`);
        assert.ok(a.end < b.start || b.end < a.start, `overlapping hits in ${a.path}: ${a.start}-${a.end} and ${b.start}-${b.end}`);
      }
    }
    assert.equal(shown.filter((r) => r.path === LONG_FUNCTION.path && r.symbol === LONG_FUNCTION.symbol).length, 1, JSON.stringify(shown));
    // Grouped by file: one header per file, its count the number of hits below it.
    const groups = await panel.locator("#results .file-group").evaluateAll((els) =>
      els.map((g) => ({ path: g.getAttribute("data-path"), count: Number(g.querySelector(".file-count")?.textContent), hits: g.querySelectorAll(".result").length })),
    );
    assert.equal(new Set(groups.map((g) => g.path)).size, groups.length, "a file appears in two groups");
    for (const g of groups) assert.equal(g.count, g.hits, `${g.path} says ${g.count} results and shows ${g.hits}`);
    assert.equal(groups.reduce((n, g) => n + g.hits, 0), shown.length);

    // The matched line of every hit is shown: its text as the file has it (tabs expanded, indentation shared by the
    // snippet taken off), and its marked words inside the snippet's visible box, not scrolled out of sight.
    const lines = (p: string) => readFileSync(path.join(workspace, p), "utf8").split("\n");
    for (const [i, r] of shown.entries()) {
      const item = panel.locator("#results .result").nth(i);
      const row = item.locator(`.row[data-line="${r.match}"]`);
      assert.equal(await row.count(), 1, `${r.path}:${r.match} is not among the rows shown`);
      const rendered = await row.locator(".code").innerText();
      const source = lines(r.path)[r.match - 1]!;
      const words = (t: string) => t.replace(/\s+/g, " ").trim();
      assert.equal(words(rendered), words(source), `${r.path}:${r.match} renders as "${rendered}"`);
      // Dedented: the snippet's least indented line starts at the left edge.
      const indents = await item.locator(".row:not(.elided) .code").evaluateAll((els) =>
        els.map((e) => e.textContent ?? "").filter((t) => t.trim()).map((t) => t.length - t.trimStart().length),
      );
      assert.equal(Math.min(...indents), 0, `${r.path}: every row is indented (${indents.join(",")})`);
      const visible = await row.evaluate((el) => {
        const box = el.closest(".result-snippet")!.getBoundingClientRect();
        const mark = el.querySelector("mark");
        const m = (mark ?? el.querySelector(".code")!).getBoundingClientRect();
        return m.left >= box.left && m.left < box.right - 8;
      });
      assert.ok(visible, `the match in ${r.path}:${r.match} is outside the snippet's visible box`);
    }
    const tabbed = shown.find((r) => lines(r.path)[r.match - 1]!.startsWith("\t\t"));
    assert.ok(tabbed, "no result's matched line is tab-indented: the query no longer tests what it should");
    // Highlights are whole words or identifier parts only: a query word or one of its forms (verify: verifying).
    const marks = await panel.locator("#results mark").allInnerTexts();
    const terms = QUERY.split(" ");
    assert.ok(marks.length > 0);
    for (const m of marks) assert.ok(terms.some((t) => m.toLowerCase().startsWith(t)), `"${m}" is marked`);
    cpSync(session.shotOf("results-grouped"), path.join(artifacts, "search-panel.png"));
  });

  test("a nonsense query meets the relevance floor and says what was searched", async () => {
    await step("results-no-good-match", async () => {
      await search(panel, NONSENSE, "empty");
      assert.match(await panel.locator("#status").innerText(), new RegExp(`^No good match for “${NONSENSE}”`));
      assert.match(await panel.locator("#searched").innerText(), new RegExp(`Searched for: ${NONSENSE}`));
      assert.equal(await panel.locator("#results .result").count(), 0);
    });
  });

  test("a hit opens at its matched line, with Alt+Enter to the side", async () => {
    await search(panel, QUERY);
    const hit = panel.locator(`#results .result[data-path="${LONG_FUNCTION.path}"]`).first();
    const match = Number(await hit.getAttribute("data-match-line"));
    const start = Number(await hit.getAttribute("data-start-line"));
    assert.ok(match > start, `the hit ${start}-… opens at ${match}, not below its first line: pick a query that matches inside`);
    await step("results-open-at-match", async () => {
      await hit.click();
      await page.locator("#status\\.editor\\.selection", { hasText: `Ln ${match},` }).waitFor();
      assert.deepEqual(await activeEditor(page), { file: "jwt.js", line: match });
      // The span is shaded with the range highlight, not the find-match colour.
      await page.locator(".monaco-editor .view-overlays .rangeHighlight, .monaco-editor .view-overlays [class*='ced-']").first().waitFor();
    });
    await step("results-open-to-side", async () => {
      await hit.focus();
      await hit.press("Alt+Enter");
      await waitUntil("a second editor group", async () => ((await page.locator(".editor-group-container").count()) >= 2 ? true : undefined));
      await page.locator("#status\\.editor\\.selection", { hasText: `Ln ${match},` }).waitFor();
    });
    await runCommand(page, "View: Close All Editor Groups");
  });

  test("results go to chat, or to the clipboard as context (path, line range, fenced code) and as path:line", async () => {
    await search(panel, QUERY);
    const hit = panel.locator(`#results .result[data-path="${LONG_FUNCTION.path}"]`).first();
    const start = Number(await hit.getAttribute("data-start-line"));
    const end = Number(await hit.getAttribute("data-end-line"));
    const match = Number(await hit.getAttribute("data-match-line"));
    const span = readFileSync(path.join(workspace, LONG_FUNCTION.path), "utf8").split("\n").slice(start - 1, end).join("\n");
    await step("results-copy-path", async () => {
      await hit.hover();
      await hit.locator("button.copy-path").click();
      await waitUntil("path:line on the clipboard", async () => ((await clipboard(page)) === `${LONG_FUNCTION.path}:${match}` ? true : undefined), 10_000);
    });
    await step("results-add-to-chat", async () => {
      await clearNotifications(page);
      await hit.hover();
      await hit.locator("button.add-to-chat").click();
      // A chat with the span attached, or (no chat in this editor) the span copied as context, and said so.
      const attached = page.locator(".interactive-input-part .chat-attached-context .chat-attached-context-attachment", { hasText: "jwt.js" });
      const copied = page.locator(".notification-toast .notification-list-item-message", { hasText: /copied .* as context/ });
      await waitUntil("the span attached to chat, or copied as context", async () => ((await attached.count()) || (await copied.count()) ? true : undefined));
      if (await copied.count()) {
        const text = await clipboard(page);
        assert.ok(text.startsWith(`${LONG_FUNCTION.path}:${start}-${end} (${LONG_FUNCTION.symbol})\n\`\`\`javascript\n`), text.slice(0, 200));
        assert.ok(text.includes(span), "the copied context is not the span's code as the file has it");
      }
    });
    await step("results-copy-as-context-menu", async () => {
      await clearNotifications(page);
      // Two results selected (Ctrl+click), then the result's context menu: both go out, in rank order.
      const second = panel.locator("#results .result").nth(1);
      await panel.locator("#results .result").first().click({ modifiers: ["Control"] });
      await second.click({ modifiers: ["Control"] });
      await panel.locator("#selection-bar").waitFor();
      await panel.locator("#selection-count", { hasText: /^2 selected$/ }).waitFor({ timeout: 10_000 });
      await second.click({ button: "right" });
      // The workbench's menu ignores a click that lands too soon after it opened (the right button's release):
      // hover until the item is focused, then Enter, as a keyboard user would.
      const item = page.locator(".context-view .monaco-menu .action-item", { has: page.locator(".action-label", { hasText: "Copy Result as Context" }) });
      await waitUntil("the menu item focused", async () => {
        await item.hover();
        return (await item.getAttribute("class"))?.includes("focused") ? true : undefined;
      });
      await page.keyboard.press("Enter");
      await waitForNotification(page, /copied 2 results as context/);
      const text = await clipboard(page);
      assert.equal(text.match(/^\S+:\d+-\d+.*\n```/gm)?.length, 2, text.slice(0, 400));
    });
  });

  test("an error banner clears the results it makes stale", async () => {
    await search(panel, QUERY);
    await step("results-cleared-under-error", async () => {
      await runCommand(page, "Context Engine: Use Cluster");
      await panel.locator('#connection[data-phase="error"]').waitFor({ timeout: 60_000 });
      assert.equal(await panel.locator("#results .result").count(), 0, "results of the local engine stay under the cluster's error");
      assert.match(await panel.locator("#status").innerText(), /Results cleared/);
    });
    await runCommand(page, "Context Engine: Use Local Mode");
    await page.locator(".statusbar-item").filter({ hasText: /^\s*Context Engine \(local\)\s*$/ }).first().waitFor({ timeout: 120_000 });
  });

  test("the walkthrough's steps complete when their actions happen", async () => {
    // Searched and indexed above; an agent starting the MCP server is the last step.
    await startMcpServer(page, "Context Engine (local)");
    const walkthrough = manifest.contributes?.walkthroughs?.[0];
    assert.ok(walkthrough);
    await step("walkthrough-completed", async () => {
      await runCommand(page, "Welcome: Open Walkthrough...");
      await quickPickRows(page).filter({ hasText: walkthrough.title }).first().click();
      const opened = page.locator(".gettingStartedContainer");
      for (const s of walkthrough.steps) {
        const button = opened.locator(`button.getting-started-step[data-step-id$="${s.id}"]`).first();
        await waitUntil(`the step "${s.title}" to be checked`, async () => ((await button.getAttribute("aria-checked")) === "true" ? true : undefined), 15_000);
      }
    });
    await runCommand(page, "View: Close Editor");
  });
});
