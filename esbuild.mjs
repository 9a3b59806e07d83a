// Bundles the server (ESM, code-split so that each command loads only what it uses) and the VS Code extension
// (CJS, `vscode` external). `node esbuild.mjs [--watch] [--server]`.
//
// server/dist is the server as it runs anywhere: cli.js (the entry), chunk-worker.js and search-worker.js (the
// chunker's and the search pool's worker threads), chunk-*.js (code shared by commands, loaded on demand),
// web-tree-sitter.wasm and grammars/*.wasm. Pure-JS dependencies are bundled in; only packages with native or platform
// files stay outside, resolved from node_modules at run time (SERVER_EXTERNALS; see server/package.json).
import * as esbuild from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { renderManifests } from "./extension/scripts/render-manifests.mjs";

const watch = process.argv.includes("--watch");
const require = createRequire(import.meta.url);

/** Packages left to node_modules: native binaries, platform packages, or loaded only by optional features. */
export const SERVER_EXTERNALS = [
  "sqlite-vec", // its loadable extension comes from the platform package (sqlite-vec-linux-x64, ...)
  "better-sqlite3", // optional: a native addon built for one Node ABI
  "@huggingface/transformers", // optional: the transformers embedder (onnxruntime-node inside)
  "node-llama-cpp", // optional: the embedded decoder
];

/** The tree-sitter grammars the chunker uses (server/src/chunking/grammars.ts), copied into dist/grammars. */
const GRAMMARS = ["typescript", "tsx", "javascript", "python", "go", "rust", "java", "c-sharp", "cpp", "ruby", "php", "bash"];

function copyWasm(dist) {
  copyFileSync(require.resolve("web-tree-sitter/web-tree-sitter.wasm"), path.join(dist, "web-tree-sitter.wasm"));
  const from = path.join(path.dirname(require.resolve("@vscode/tree-sitter-wasm/package.json")), "wasm");
  mkdirSync(path.join(dist, "grammars"), { recursive: true });
  for (const g of GRAMMARS) copyFileSync(path.join(from, `tree-sitter-${g}.wasm`), path.join(dist, "grammars", `tree-sitter-${g}.wasm`));
}

/** The server bundle's esbuild options (tests and benches build from the same). */
export const serverBuild = {
  // chunk-worker.js and search-worker.js sit beside cli.js: the chunker and the search pool start their threads from them.
  entryPoints: { cli: "server/src/cli/main.ts", "chunk-worker": "server/src/chunking/worker.ts", "search-worker": "server/src/search/worker.ts" },
  outdir: "server/dist",
  bundle: true,
  splitting: true,
  chunkNames: "chunk-[hash]",
  platform: "node",
  target: "node20",
  format: "esm",
  external: SERVER_EXTERNALS,
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __ceCreateRequire } from "node:module";\nconst require = __ceCreateRequire(import.meta.url);' },
  legalComments: "none",
  sourcemap: "linked",
  metafile: true,
  logLevel: "info",
};

/** The licence of every package bundled into server/dist, in one file beside the code (MIT and alike ask for it). */
function writeNotices(metafile, outdir) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.set(m[1], input.slice(0, m.index + m[0].length));
  }
  // Copied, not bundled: the grammars.
  packages.set("@vscode/tree-sitter-wasm", path.dirname(require.resolve("@vscode/tree-sitter-wasm/package.json")) + "/");
  const parts = [];
  for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(path.join(dir, file), "utf8").trim() : `License: ${pkg.license ?? "see the package"}`;
    parts.push(`${name}@${pkg.version} (${pkg.license ?? "unknown"})\n\n${text}\n`);
  }
  writeFileSync(path.join(outdir, "THIRD-PARTY-NOTICES.txt"),
    `Packages bundled into this folder, with their licences.\n\n${parts.join(`\n${"-".repeat(78)}\n\n`)}`);
}

/**
 * server/dist/packages.json: the packages the bundle loads from node_modules at run time (whoever ships the bundle,
 * a .vsix or an image, ships these); bundled code's own require() calls are not among them.
 */
function writePackageList(metafile, outdir) {
  // SERVER_EXTERNALS also names what the code require()s by name (better-sqlite3), which no import statement shows.
  const external = new Set(SERVER_EXTERNALS);
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      if (!imp.external || imp.path.startsWith("node:") || builtinModules.includes(imp.path)) continue;
      external.add(imp.path.startsWith("@") ? imp.path.split("/").slice(0, 2).join("/") : imp.path.split("/")[0]);
    }
  }
  writeFileSync(path.join(outdir, "packages.json"), JSON.stringify({ external: [...external].sort() }, null, 2) + "\n");
}

/**
 * Builds server/dist from scratch: the code, the wasm files it loads, the notices, the list of packages it loads.
 * Built in a sibling folder and swapped in whole, so that stale chunks of an earlier build never ship and a process
 * starting from server/dist meanwhile (a test's server, `npm pack`'s prepack in another test) never finds it half-made.
 */
export async function buildServer(overrides = {}) {
  const outdir = overrides.outdir ?? serverBuild.outdir;
  const staging = `${outdir}.build-${process.pid}`;
  const old = `${outdir}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild.build({ ...serverBuild, ...overrides, outdir: staging });
  copyWasm(staging);
  writeNotices(result.metafile, staging);
  writePackageList(result.metafile, staging);
  if (existsSync(outdir)) renameSync(outdir, old);
  renameSync(staging, outdir);
  rmSync(old, { recursive: true, force: true });
  return result;
}

function extensionBuild() {
  // The k8s/ base, rendered once here and shipped inside the extension (Deploy Context Engine applies it).
  const manifests = renderManifests(process.cwd(), "extension/dist/manifests.json");
  console.log(`extension/dist/manifests.json: ${manifests.objects.length} objects + watcher template`);
  return {
    // cluster.cjs (the Kubernetes client) is loaded only when a cluster is used: local mode never pays for it.
    entryPoints: { extension: "extension/src/extension.ts", cluster: "extension/src/cluster/index.ts" },
    outdir: "extension/dist",
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["vscode", "./cluster.cjs"],
    sourcemap: true,
    minify: !watch,
    logLevel: "info",
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // --server: the server alone (server/package.json's prepack).
  const extension = !process.argv.includes("--server") && existsSync("extension/src/extension.ts") ? extensionBuild() : undefined;
  if (watch) {
    await buildServer();
    for (const b of [serverBuild, ...(extension ? [extension] : [])]) await (await esbuild.context(b)).watch();
  } else {
    await Promise.all([buildServer(), ...(extension ? [esbuild.build(extension)] : [])]);
  }
}
