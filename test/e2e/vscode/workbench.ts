// Drives the VS Code workbench in headless Chromium (playwright-core) the way a user does: keys, palette, clicks.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from "playwright-core";
import type { E2eTools } from "./tools.ts";

/** Flags this machine needs: no sandbox as root, no GPU, and no background traffic to a closed network. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Workbench {
  page: Page;
  /** File names of the screenshots saved so far. */
  shots: string[];
  /** Saves artifacts/<NN>-<name>.png and returns its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWorkbench(tools: E2eTools, url: string, artifactsDir: string, timeoutMs = 90_000): Promise<Workbench> {
  mkdirSync(artifactsDir, { recursive: true });
  const profile = mkdtempSync(path.join(os.tmpdir(), "ce-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: tools.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const wb: Workbench = {
    page,
    shots: [],
    async shot(name) {
      const base = `${String(wb.shots.length + 1).padStart(2, "0")}-${name}.png`;
      wb.shots.push(base);
      const file = path.join(artifactsDir, base);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
  try {
    await page.goto(url, { timeout: timeoutMs });
    await page.locator(".monaco-workbench").waitFor({ timeout: timeoutMs });
    // The explorer has the folder open once its tree has rows.
    await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ timeout: timeoutMs });
  } catch (e) {
    await wb.shot("workbench-did-not-load").catch(() => undefined);
    await wb.close();
    throw e;
  }
  return wb;
}

/** The quick input (command palette, quick picks). */
export function quickInput(page: Page): Locator {
  return page.locator(".quick-input-widget");
}

/** Rows of the open quick pick. */
export function quickPickRows(page: Page): Locator {
  return page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
}

/** Runs a palette command by its full title ("Category: Title"), as typed in F1. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press("F1");
  const input = quickInput(page).locator("input.input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  // The row whose label is exactly the title (fuzzy matching lists others too).
  const row = quickPickRows(page).filter({ has: page.locator(".quick-input-list-label", { hasText: title }) }).first();
  try {
    await row.waitFor({ state: "visible", timeout: 15_000 });
  } catch {
    const listed = await quickPickRows(page).allInnerTexts();
    throw new Error(`command "${title}" is not in the palette; it lists: ${JSON.stringify(listed)}`);
  }
  const label = (await row.getAttribute("aria-label")) ?? "";
  if (!label.startsWith(title)) throw new Error(`palette row for "${title}" is "${label}"`);
  await row.click();
}

export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) {
    await page.keyboard.press("Escape");
    await quickInput(page).waitFor({ state: "hidden" });
  }
}

/** Waits for a notification toast whose message matches and returns its text. */
export async function waitForNotification(page: Page, message: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator(".notification-toast .notification-list-item-message").filter({ hasText: message }).first();
  await toast.waitFor({ state: "visible", timeout: timeoutMs });
  return toast.innerText();
}

/** Every notification message currently shown as a toast. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator(".notification-toast .notification-list-item-message").allInnerTexts();
}

export async function clearNotifications(page: Page): Promise<void> {
  const toasts = page.locator(".notification-toast");
  if ((await toasts.count()) > 0) {
    await runCommand(page, "Notifications: Clear All Notifications");
    await toasts.first().waitFor({ state: "detached" });
  }
}

/** The inner document of the webview view contributed by extensionId (a webview is two nested iframes). */
export function webviewFrame(page: Page, extensionId: string): FrameLocator {
  return page
    .frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`)
    .frameLocator("iframe#active-frame");
}

/** The active editor's file name (its tab) and cursor line (the status bar's "Ln N, Col M"). */
export async function activeEditor(page: Page): Promise<{ file: string; line: number }> {
  const tab = page.locator(".tabs-container .tab.active").first();
  const file = (await tab.getAttribute("data-resource-name")) ?? (await tab.innerText()).trim();
  const selection = (await page.locator("#status\\.editor\\.selection").innerText()).trim();
  const m = /Ln (\d+)/.exec(selection);
  return { file, line: m ? Number(m[1]) : NaN };
}

/** Drags the sash right of the side bar so the side bar is `width` pixels wide (a readable panel for screenshots). */
export async function resizeSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator(".part.sidebar").boundingBox();
  if (!box) throw new Error("the side bar is not visible");
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/** Polls `check` until it returns a value other than undefined, or fails after timeoutMs saying what it waited for. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 200)); // poll interval
  }
}
