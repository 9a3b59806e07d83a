// Extension-host tests: run inside a real VS Code with the extension under development loaded.
// They read the extension's own manifest, so a contributed command, setting or view that does not work fails here.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import manifest from "../../../extension/package.json" with { type: "json" };
import { test } from "./runner.ts";

interface Contributes {
  commands?: { command: string; title: string }[];
  configuration?: { properties?: Record<string, { default?: unknown }> } | { properties?: Record<string, { default?: unknown }> }[];
  views?: Record<string, { id: string; type?: string }[]>;
  viewsContainers?: Record<string, { id: string }[]>;
  mcpServerDefinitionProviders?: { id: string; label: string }[];
}

const extensionId = `${manifest.publisher}.${manifest.name}`;
const contributes = (manifest as { contributes?: Contributes }).contributes ?? {};

async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(extensionId);
  assert.ok(ext, `${extensionId} is not loaded in this VS Code`);
  await ext.activate();
  assert.equal(ext.isActive, true);
  return ext;
}

test("the extension activates in a real VS Code", async () => {
  const ext = await activated();
  assert.equal(ext.packageJSON.version, manifest.version);
});

test("every contributed command is registered", async () => {
  await activated();
  const contributed = (contributes.commands ?? []).map((c) => c.command);
  assert.ok(contributed.length > 0, "the manifest contributes no commands");
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = contributed.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(", ")}`);
});

test("every contributed setting has a default VS Code can read", async () => {
  const blocks = contributes.configuration === undefined ? [] : [contributes.configuration].flat();
  const keys = blocks.flatMap((b) => Object.keys(b.properties ?? {}));
  assert.ok(keys.length > 0, "the manifest contributes no settings");
  const withoutDefault = keys.filter((k) => vscode.workspace.getConfiguration().inspect(k)?.defaultValue === undefined);
  assert.deepEqual(withoutDefault, [], `settings with no default: ${withoutDefault.join(", ")}`);
});

test("the extension's views open", async () => {
  await activated();
  const views = Object.values(contributes.views ?? {}).flat();
  assert.ok(views.length > 0, "the manifest contributes no views");
  for (const v of views) await vscode.commands.executeCommand(`${v.id}.focus`);
});

test("MCP server definition providers are contributed (VS Code >= 1.101)", async () => {
  await activated();
  const providers = contributes.mcpServerDefinitionProviders ?? [];
  assert.ok(providers.length > 0, "the manifest contributes no mcpServerDefinitionProviders");
  assert.ok(typeof vscode.lm?.registerMcpServerDefinitionProvider === "function", `VS Code ${vscode.version} has no MCP provider API`);
});

test("local mode indexes the opened folder and keeps watching it", async () => {
  const ext = await activated();
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "no folder is open");
  const { connection } = ext.exports as { connection: { current: { phase: string; detail: string; index?: { status: string; total: number } } } };
  const deadline = Date.now() + 150_000;
  for (;;) {
    const s = connection.current;
    if (s.phase === "ready" && s.index?.status === "watching") {
      assert.ok(s.index.total > 10, `only ${s.index.total} files indexed`);
      return;
    }
    assert.notEqual(s.phase, "error", `local mode failed: ${s.detail}`);
    assert.ok(Date.now() < deadline, `local mode did not finish indexing within 150 s; it says: ${s.detail}`);
    await new Promise((r) => setTimeout(r, 500)); // poll interval for the extension's own state
  }
}, 180_000);
