// Bundles the server's entry points (ESM, dependencies external: native modules and wasm stay in node_modules)
// and the VS Code extension (CJS, `vscode` external). `node esbuild.mjs [--watch]`.
import * as esbuild from "esbuild";
import { existsSync } from "node:fs";

const watch = process.argv.includes("--watch");

const server = {
  entryPoints: { cli: "server/src/cli/main.ts" },
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
  builds.push({
    entryPoints: { extension: "extension/src/extension.ts" },
    outdir: "extension/dist",
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["vscode"],
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
