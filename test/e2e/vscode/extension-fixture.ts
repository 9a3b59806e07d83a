// What the real-VS-Code test installs and opens: the packaged .vsix, and a workspace of real third-party code.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./tools.ts";

export interface ExtensionManifest {
  publisher: string;
  name: string;
  version: string;
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    viewsContainers?: Record<string, { id: string; title: string }[]>;
    views?: Record<string, { id: string; name: string; type?: string }[]>;
    mcpServerDefinitionProviders?: { id: string; label: string }[];
    walkthroughs?: { id: string; title: string; steps: { id: string; title: string }[] }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}

export function readManifest(): ExtensionManifest {
  return JSON.parse(readFileSync(path.join(repoRoot, "extension/package.json"), "utf8")) as ExtensionManifest;
}

/** The .vsix target of this machine (the one code-server here can install). */
export const hostTarget = `${process.platform}-${process.arch}`;

/**
 * Builds the server and the extension and packs this machine's .vsix as `npm run package:vsix` does (the server
 * bundle and this platform's binaries inside), but into `outDir`: runs that happen at once do not share the file.
 */
export function packageVsix(outDir: string, timeoutMs = 600_000): string {
  const vsix = path.join(outDir, `context-engine-${hostTarget}.vsix`);
  const script = path.join(repoRoot, "extension/scripts/package-vsix.mjs");
  const pack = spawnSync(process.execPath, [script, "--target", hostTarget, "--out", outDir], { cwd: repoRoot, encoding: "utf8", timeout: timeoutMs });
  if (pack.status !== 0 || !existsSync(vsix)) {
    throw new Error(`packaging the extension failed (${pack.error?.message ?? `exit ${pack.status}`}):\n${pack.stdout}\n${pack.stderr}`);
  }
  return vsix;
}

/** Held while one test file builds and packs: two builds at once would write the same dist/ files under each other. */
const BUILD_LOCK = path.join(repoRoot, "test/e2e/artifacts/.build-lock");
/** A lock older than this was left by a run that died. */
const STALE_LOCK_MS = 10 * 60_000;

/** packageVsix, one test file at a time (the runner runs test files in parallel). */
export async function packageVsixExclusive(outDir: string, timeoutMs = 10 * 60_000): Promise<string> {
  mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another test kept ${BUILD_LOCK} for ${timeoutMs / 1000} s; remove it if no test runs`);
      else await new Promise((r) => setTimeout(r, 500)); // poll interval while another file builds
    }
  }
  try {
    return packageVsix(outDir);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** The server CLI local mode runs (built by `npm run build` / package:vsix). */
export const serverCli = path.join(repoRoot, "server/dist/cli.js");

/**
 * The sample workspace: undici (Node's HTTP client, MIT) as published on npm, copied from node_modules:
 * 176 files of JavaScript, TypeScript declarations and Markdown docs.
 */
export function sampleWorkspace(into: string): { root: string; name: string; version: string } {
  const source = path.join(repoRoot, "node_modules/undici");
  const pkg = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8")) as { name: string; version: string };
  const root = path.join(into, "undici");
  cpSync(source, root, { recursive: true, filter: (p) => path.basename(p) !== ".codebase" });
  return { root, name: pkg.name, version: pkg.version };
}

/** The small real embedding model shipped with the project's fixtures (Model2Vec distilled from bge-base). */
export const fixtureModel = path.resolve(repoRoot, "../shared/fixtures/models/model2vec-vocab-quantized");

/**
 * A tab-indented workspace: Hono (MIT, a dependency of the MCP SDK) as published on npm, its CommonJS build as
 * `src/`: 191 files of real, tab-indented JavaScript, some functions long enough to be cut into several windows.
 */
export function tabIndentedWorkspace(into: string): { root: string; name: string; version: string } {
  const source = path.join(repoRoot, "node_modules/hono");
  const pkg = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8")) as { name: string; version: string };
  const root = path.join(into, "hono");
  cpSync(path.join(source, "dist/cjs"), path.join(root, "src"), { recursive: true });
  for (const f of ["package.json", "README.md", "LICENSE"]) if (existsSync(path.join(source, f))) cpSync(path.join(source, f), path.join(root, f));
  return { root, name: pkg.name, version: pkg.version };
}
