// VS Code's built-in MCP support as a user sees it: "MCP: List Servers", a server's actions, its output channel.
import type { Page } from "playwright-core";
import { closeQuickInput, quickPickRows, runCommand } from "./workbench.ts";

export interface ListedMcpServer {
  /** The server's label, e.g. "Context Engine Indexer". */
  label: string;
  /** "Stopped", "Running", "Starting", "Error"... as the list shows it. */
  state: string;
  /** The row's whole text (label, state, and the provider or collection it comes from). */
  text: string;
}

const STATES = ["Stopped", "Running", "Starting", "Error", "Unknown", "Needs Authentication"];

function parseRow(text: string): ListedMcpServer {
  const [first = "", ...rest] = text.split("\n");
  const state = STATES.find((s) => first.endsWith(s)) ?? "";
  return { label: first.slice(0, first.length - state.length).trim(), state, text: [first, ...rest].join(" ") };
}

/** Opens "MCP: List Servers" and returns the servers it lists (not "Add Server"); leaves the pick open. */
export async function listMcpServers(page: Page, expectLabel?: RegExp, timeoutMs = 30_000): Promise<ListedMcpServer[]> {
  await runCommand(page, "MCP: List Servers");
  const rows = quickPickRows(page);
  await rows.first().waitFor();
  if (expectLabel) await rows.filter({ hasText: expectLabel }).first().waitFor({ timeout: timeoutMs });
  const texts = await rows.allInnerTexts();
  return texts.filter((t) => !t.startsWith("Add Server")).map(parseRow);
}

/**
 * Starts the listed server `label` ("MCP: List Servers" → server → "Start Server") and waits for its output
 * channel to say it is running and how many tools it discovered. Returns that tool count.
 */
export async function startMcpServer(page: Page, label: string, timeoutMs = 60_000): Promise<number> {
  await listMcpServers(page, new RegExp(escape(label)));
  await quickPickRows(page).filter({ hasText: label }).first().click();
  const start = quickPickRows(page).filter({ hasText: /^(Start|Restart) Server/ }).first();
  await start.waitFor();
  await start.click();
  return waitForMcpTools(page, label, timeoutMs);
}

/** Reads the server's output channel ("MCP: <label>") until it reports "Discovered N tools". */
export async function waitForMcpTools(page: Page, label: string, timeoutMs = 60_000): Promise<number> {
  await closeQuickInput(page);
  // The output panel shows this server's channel, not the one of a server started before.
  const channel = `MCP: ${label}`;
  await page.waitForFunction(
    `[...document.querySelectorAll(".part.panel select")].some((s) => s.options[s.selectedIndex]?.text === ${JSON.stringify(channel)})`,
    undefined,
    { timeout: timeoutMs },
  );
  const output = page.locator(".part.panel .monaco-editor .view-lines");
  const discovered = output.filter({ hasText: /Discovered\s+(\d+)\s+tools?/ }).first();
  try {
    await discovered.waitFor({ timeout: timeoutMs });
  } catch {
    const shown = (await output.allInnerTexts()).join("\n");
    throw new Error(`MCP server "${label}" did not report its tools within ${timeoutMs / 1000} s; its output shows:\n${shown}`);
  }
  const m = /Discovered\s+(\d+)\s+tools?/.exec(await discovered.innerText());
  return Number(m?.[1] ?? 0);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
