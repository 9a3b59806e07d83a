// Packs the VS Code extension as one .vsix per platform: the extension, the server bundle (server/dist) and, in
// server/node_modules, every package the bundle loads at run time with that platform's binaries only. Other
// platforms' binary packages are fetched from the npm registry (`npm pack`, cached). What is left out, and why,
// is in LEFT_OUT and PLACEHOLDERS (extension/README.md says the same).
//
//   node extension/scripts/package-vsix.mjs [--target T ...] [--all] [--out DIR] [--no-build] [--json FILE]
//
// Default target: this machine's (linux-x64 on CI). Writes DIR/context-engine-<target>.vsix (DIR default dist/);
// --json writes what each package holds (sizes per component, packages in and left out) for bench/vsix.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { breakdown, zipEntries } from "./vsix-contents.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const extensionDir = path.join(root, "extension");
const modules = path.join(root, "node_modules");

export const TARGETS = {
  "linux-x64": { os: "linux", arch: "x64" },
  "linux-arm64": { os: "linux", arch: "arm64" },
  "darwin-x64": { os: "darwin", arch: "x64" },
  "darwin-arm64": { os: "darwin", arch: "arm64" },
  "win32-x64": { os: "win32", arch: "x64" },
};

/** Packages the bundle may load that no .vsix carries, with the reason. */
export const LEFT_OUT = {
  "better-sqlite3": "built for one Node.js ABI at install time; the engine uses node:sqlite in the editor's runtime",
  "node-llama-cpp": "the embedded decoder (LLAMACPP_MODEL_PATH): 30-360 MB of binaries per platform; context_answer returns the cited context without it, or uses a llama.cpp server (LLAMACPP_URL)",
  "onnxruntime-web": "ONNX Runtime for browsers; transformers.js's Node build uses onnxruntime-node",
  "global-agent": "used only by onnxruntime-node's install script",
  "adm-zip": "used only by onnxruntime-node's install script",
};

/** Imported when a dependency loads, never used by the engine: replaced by a module that throws if called. */
export const PLACEHOLDERS = {
  sharp: "image decoding for transformers.js's image pipelines; the engine embeds text only",
};

const BUILTINS = new Set(builtinModules);

/** Files never needed at run time: types, sources, maps, docs (licences are kept). */
const DROP_FILE = /\.(d\.[cm]?ts|[cm]?ts|tsx|map|md|markdown)$/i;
const KEEP_FILE = /^(licen[cs]e|notice|copying)/i;
const DROP_DIR = new Set(["node_modules", "test", "tests", "__tests__", "docs", "example", "examples", ".github", "benchmark", "benchmarks"]);

/** Per package: which of its files a .vsix for `t` keeps (after the general rules). */
export const TRIM = {
  // The Node build only (the package also holds web builds and its sources).
  "@huggingface/transformers": (rel) => rel === "package.json" || /^LICENSE/.test(rel) || /^dist\/transformers\.node\.(mjs|cjs)$/.test(rel),
  "web-tree-sitter": (rel) => !rel.startsWith("debug/"),
  // The target's binaries only; on macOS the binding links libonnxruntime.1.dylib, the versioned copy is the same file.
  "onnxruntime-node": (rel, t) =>
    !rel.startsWith("script/") && (!rel.startsWith("bin/") || (rel.startsWith(`bin/napi-v6/${t.os}/${t.arch}/`) && !/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(rel))),
};

function sqliteVecPackage(t) {
  return `sqlite-vec-${t.os === "win32" ? "windows" : t.os}-${t.arch}`;
}

/** The package a bare specifier names ("@scope/name/sub" -> "@scope/name"); undefined for builtins and paths. */
function packageOf(spec) {
  if (spec.startsWith("node:") || spec.startsWith(".") || spec.startsWith("/")) return undefined;
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
  return BUILTINS.has(name) ? undefined : name;
}

/**
 * Files the bundle looks up in a package only when server/dist lacks its own copy (a build that copies the wasm
 * files beside cli.js): the package stays out when dist has the file.
 */
export const CARRIED_BY_BUNDLE = {
  "@vscode/tree-sitter-wasm/package.json": "grammars",
  "web-tree-sitter/web-tree-sitter.wasm": "web-tree-sitter.wasm",
};

/**
 * Bare package names the bundle loads: its import statements and dynamic imports (as esbuild parses them, so code
 * inside strings does not count), and calls of a createRequire'd require (`require2("x")`, `require2.resolve("x")`,
 * unless `distDir` carries the resolved file itself).
 */
export async function bundleImports(files, distDir = undefined) {
  // The server build lists them (server/dist/packages.json): its bundled packages' own require() calls are no
  // imports of the bundle.
  const listed = files.length ? path.join(path.dirname(files[0]), "packages.json") : undefined;
  if (listed && fs.existsSync(listed)) return [...readJson(listed).external].sort();
  const esbuild = await import("esbuild");
  const names = new Set();
  const { metafile } = await esbuild.build({ entryPoints: files, bundle: true, write: false, metafile: true, platform: "node", format: "esm", packages: "external", outdir: "/nowhere", logLevel: "silent", splitting: true });
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) if (imp.external) names.add(packageOf(imp.path));
  }
  const created = /\b(?:require\d+|__require)(\.resolve)?\(\s*["']([@\w][\w.@/-]*)["']\s*\)/g;
  for (const f of files) {
    for (const [, resolve, spec] of fs.readFileSync(f, "utf8").matchAll(created)) {
      const carried = resolve && distDir && CARRIED_BY_BUNDLE[spec];
      if (!(carried && fs.existsSync(path.join(distDir, carried)))) names.add(packageOf(spec));
    }
  }
  names.delete(undefined);
  return [...names].sort();
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The folder of `name` as Node resolves it from `fromDir` (nested node_modules first). */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return undefined;
  }
}

/** A platform package of another machine, from the npm registry (cached under node_modules/.cache). */
function fetchPackage(name, version) {
  const cache = path.join(modules, ".cache", "context-engine-vsix", `${name}-${version}`);
  if (fs.existsSync(path.join(cache, "package", "package.json"))) return path.join(cache, "package");
  fs.mkdirSync(cache, { recursive: true });
  // npm is npm.cmd on Windows: a shell finds it.
  const tgz = execFileSync("npm", ["pack", `${name}@${version}`, "--silent", "--pack-destination", cache], { cwd: cache, encoding: "utf8", shell: process.platform === "win32" }).trim().split("\n").pop();
  execFileSync("tar", ["-xzf", path.join(cache, tgz), "-C", cache]);
  return path.join(cache, "package");
}

function copyPackage(src, dest, name, t) {
  const trim = TRIM[name];
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!DROP_DIR.has(e.name)) walk(path.join(dir, e.name), r);
        continue;
      }
      if (DROP_FILE.test(e.name) && !KEEP_FILE.test(e.name)) continue;
      if (trim && !trim(r, t)) continue;
      const to = path.join(dest, r);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(dir, e.name), to);
    }
  };
  walk(src, "");
}

function writePlaceholder(dest, name, reason) {
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(dest, "package.json"), JSON.stringify({ name, version: "0.0.0-not-included", main: "index.cjs", description: `Not included in the Context Engine extension: ${reason}.` }, null, 2));
  fs.writeFileSync(
    path.join(dest, "index.cjs"),
    `// Not included in the Context Engine extension: ${reason}.\nmodule.exports = function ${name.replace(/\W/g, "_")}() {\n  throw new Error(${JSON.stringify(`${name} is not included in the Context Engine extension (${reason})`)});\n};\n`,
  );
}

/**
 * Stages server/node_modules for a target: the bundle's imports and their dependencies, nesting as in the checkout,
 * with the target's platform packages. Returns what went in, what was left out and why.
 */
function stageModules(imports, t, dest) {
  const included = [];
  const left = new Map();
  const seen = new Set();
  const queue = imports.map((name) => ({ name, from: path.join(root, "server") }));
  while (queue.length) {
    const { name, from } = queue.shift();
    if (LEFT_OUT[name]) {
      left.set(name, LEFT_OUT[name]);
      continue;
    }
    if (PLACEHOLDERS[name]) {
      if (!seen.has(name)) writePlaceholder(path.join(dest, name), name, PLACEHOLDERS[name]);
      seen.add(name);
      continue;
    }
    const src = resolvePackage(name, from);
    if (!src) throw new Error(`${name} (needed by ${path.relative(root, from) || "the bundle"}) is not installed: run npm ci`);
    const rel = path.relative(modules, src);
    if (seen.has(rel)) continue;
    seen.add(rel);
    const pkg = readJson(path.join(src, "package.json"));
    if (name === "onnxruntime-node" && !fs.existsSync(path.join(src, "bin", "napi-v6", t.os, t.arch))) {
      left.set(name, `onnxruntime-node ${pkg.version} has no binary for ${t.os}-${t.arch}: semantic search is off there, lexical search works`);
      continue;
    }
    copyPackage(src, path.join(dest, rel), name, t);
    included.push(`${name}@${pkg.version}`);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: src });
    // Platform packages: only the target's (sqlite-vec-<os>-<arch>), from the registry when this machine has another.
    if (name === "sqlite-vec") {
      const platformPkg = sqliteVecPackage(t);
      const version = pkg.optionalDependencies?.[platformPkg];
      if (!version) throw new Error(`sqlite-vec ${pkg.version} has no package for ${t.os}-${t.arch}`);
      const local = resolvePackage(platformPkg, src);
      const from = local && readJson(path.join(local, "package.json")).version === version ? local : fetchPackage(platformPkg, version);
      copyPackage(from, path.join(dest, platformPkg), platformPkg, t);
      included.push(`${platformPkg}@${version}`);
    }
  }
  return { included: included.sort(), leftOut: Object.fromEntries(left) };
}

/** The extension's own files: what extension/.vscodeignore lets through (its `!` lines). */
function extensionFiles() {
  const allow = fs.readFileSync(path.join(extensionDir, ".vscodeignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("!")).map((l) => l.slice(1));
  const out = [];
  for (const pattern of allow) {
    if (pattern.endsWith("/**")) {
      const dir = pattern.slice(0, -3);
      const walk = (d) => {
        for (const e of fs.readdirSync(path.join(extensionDir, d), { withFileTypes: true })) {
          const r = `${d}/${e.name}`;
          if (e.isDirectory()) walk(r);
          else out.push(r);
        }
      };
      walk(dir);
    } else out.push(pattern);
  }
  return out;
}

function copyInto(stage, rel, from = path.join(extensionDir, rel)) {
  if (!fs.existsSync(from)) throw new Error(`${from} is missing: build first (node esbuild.mjs)`);
  fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
  fs.copyFileSync(from, path.join(stage, rel));
}

/**
 * vsce makes README links and images absolute from package.json's repository, but ignores its `directory`: the base
 * URLs name the extension's folder, so `../docs/x.png` in extension/README.md points where it does on GitHub.
 */
function readmeBaseUrls() {
  const repo = readJson(path.join(extensionDir, "package.json")).repository;
  const url = (typeof repo === "string" ? repo : repo?.url)?.replace(/^git\+/, "").replace(/\.git$/, "");
  if (!url) return ["--allow-missing-repository"];
  const dir = typeof repo === "object" && repo.directory ? `/${repo.directory}` : "";
  return ["--baseContentUrl", `${url}/blob/HEAD${dir}`, "--baseImagesUrl", `${url}/raw/HEAD${dir}`];
}

/** Builds one target's .vsix; returns its path and what it holds. */
export async function packageTarget(target, outDir) {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target "${target}": one of ${Object.keys(TARGETS).join(", ")}`);
  const stage = path.join(outDir, "vsix-stage", target);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const f of extensionFiles()) copyInto(stage, f);
  // The server bundle: an ES module package of its own (cli.js, its chunks and wasm files), without source maps.
  const serverDist = path.join(root, "server", "dist");
  const bundle = fs.readdirSync(serverDist, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith(".map"))
    .map((e) => path.relative(serverDist, path.join(e.parentPath ?? e.path, e.name)));
  if (!bundle.includes("cli.js")) throw new Error(`${serverDist}/cli.js is missing: build first (node esbuild.mjs)`);
  for (const f of bundle) copyInto(stage, `server/dist/${f.split(path.sep).join("/")}`, path.join(serverDist, f));
  const serverPkg = readJson(path.join(root, "server", "package.json"));
  fs.writeFileSync(path.join(stage, "server", "package.json"), JSON.stringify({ name: serverPkg.name, version: serverPkg.version, private: true, type: "module" }, null, 2));
  const scripts = bundle.filter((f) => /\.[cm]?js$/.test(f)).map((f) => path.join(serverDist, f));
  const modulesInfo = stageModules(await bundleImports(scripts, serverDist), t, path.join(stage, "server", "node_modules"));
  // Everything staged goes in (vsce's default rules would drop node_modules).
  fs.writeFileSync(path.join(stage, ".vscodeignore"), "**/*.map\n");
  fs.mkdirSync(outDir, { recursive: true });
  const vsix = path.join(outDir, `context-engine-${target}.vsix`);
  execFileSync(process.execPath, [path.join(modules, "@vscode/vsce/vsce"), "package", "--target", target, "--no-dependencies", ...readmeBaseUrls(), "-o", vsix], {
    cwd: stage,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const entries = await zipEntries(vsix);
  const names = new Set(entries.map((e) => e.name));
  const ext = t.os === "win32" ? "dll" : t.os === "darwin" ? "dylib" : "so";
  for (const must of ["extension/server/dist/cli.js", `extension/server/node_modules/${sqliteVecPackage(t)}/vec0.${ext}`, "extension/dist/extension.cjs", "extension/package.json"]) {
    if (!names.has(must)) throw new Error(`${vsix} lacks ${must}`);
  }
  return { target, file: vsix, bytes: fs.statSync(vsix).size, files: entries.length, components: breakdown(entries), ...modulesInfo };
}

function parseArgs(argv) {
  const o = { targets: [], out: path.join(root, "dist"), build: true, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--all") o.targets.push(...Object.keys(TARGETS));
    else if (a === "--target") o.targets.push(argv[++i]);
    else if (a === "--out") o.out = path.resolve(argv[++i]);
    else if (a === "--no-build") o.build = false;
    else if (a === "--json") o.json = path.resolve(argv[++i]);
    else throw new Error(`unknown argument "${a}" (expected --target T, --all, --out DIR, --no-build, --json FILE)`);
  }
  if (!o.targets.length) o.targets.push(`${process.platform}-${process.arch}`);
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  if (o.build) execFileSync(process.execPath, ["esbuild.mjs"], { cwd: root, stdio: "inherit" });
  const results = [];
  for (const target of [...new Set(o.targets)]) {
    const r = await packageTarget(target, o.out);
    results.push(r);
    const mb = (n) => (n / 1048576).toFixed(1);
    console.log(`${path.relative(process.cwd(), r.file)}: ${mb(r.bytes)} MB, ${r.files} files (${r.components.map((c) => `${c.component} ${mb(c.compressed)}`).join(", ")})`);
    for (const [name, why] of Object.entries(r.leftOut)) console.log(`  left out ${name}: ${why}`);
  }
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(results, null, 2));
}
