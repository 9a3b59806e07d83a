// Bundles the server's entry points (ESM, dependencies external: native modules and wasm stay in node_modules)
// and the VS Code extension (CJS, `vscode` external). `node esbuild.mjs [--watch]`.
import * as esbuild from "esbuild";
import { existsSync } from "node:fs";
import { renderManifests } from "./extension/scripts/render-manifests.mjs";

const watch = process.argv.includes("--watch");

const server = {
  // chunk-worker.js sits beside cli.js: the chunker starts its worker threads from it.
  entryPoints: { cli: "server/src/cli/main.ts", "chunk-worker": "server/src/chunking/worker.ts" },
  outdir: "server/dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "info",
};

const builds = [server];
if (existsSync("extension/src/extension.ts")) {
  // The k8s/ base, rendered once here and shipped inside the extension (Deploy Context Engine applies it).
  const manifests = renderManifests(process.cwd(), "extension/dist/manifests.json");
  console.log(`extension/dist/manifests.json: ${manifests.objects.length} objects + watcher template`);
  builds.push({
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
  });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
