// The root Dockerfile, checked without a Docker engine: its stages, user and entrypoint, that every file it
// copies exists and survives .dockerignore, and that the bundle it builds runs with only the server's
// production dependencies installed beside it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import picomatch from "picomatch";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (f: string) => readFileSync(path.join(ROOT, f), "utf8");

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const joined = lines.join("\n").replace(/\\\n/g, " ");
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, op, rest] = m;
    if (op === "FROM") {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest)!;
      stages.push({ from: f[1], name: f[2], body: [] });
    } else if (op === "ARG" && stages.length === 0) {
      const [k, v] = rest.split("=");
      args[k.trim()] = (v ?? "").trim();
    } else stages.at(-1)?.body.push({ op, args: rest.trim() });
  }
  return { args, stages };
}

/** .dockerignore semantics: patterns from the context root, `!` re-includes, the last match wins, a matched folder excludes its contents. */
function dockerIgnored(file: string, patterns: string[]): boolean {
  let ignored = false;
  const parts = file.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const isMatch = picomatch(pattern, { dot: true });
    if (candidates.some((c) => isMatch(c))) ignored = !negate;
  }
  return ignored;
}

const docker = parseDockerfile(read("Dockerfile"));
const ignorePatterns = read(".dockerignore")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const runtime = docker.stages.at(-1)!;
const serverPkg = JSON.parse(read("server/package.json"));
/** The server bundle's entry points as esbuild.mjs declares them (the first entryPoints object). */
const SERVER_ENTRIES: Record<string, string> = Object.fromEntries(
  [.../entryPoints: \{([^}]*)\}/.exec(read("esbuild.mjs"))![1].matchAll(/"?([\w-]+)"?: "([^"]+)"/g)].map((m) => [m[1], m[2]]),
);

describe("Dockerfile", () => {
  test("multi-stage: builds on a Node 20 slim image, runs on Debian slim with only the build's node binary", () => {
    assert.ok(docker.stages.length >= 2, "multi-stage");
    const imageOf = (s: Stage) => s.from.replace(/^\$\{(\w+)\}$/, (_, k: string) => docker.args[k] ?? "");
    for (const s of docker.stages.slice(0, -1)) assert.match(imageOf(s), /^node:20(\.\d+)*(-[a-z]+)?-slim$/, `${s.name}: ${s.from}`);
    assert.match(imageOf(runtime), /^debian:bookworm(-\d+)?-slim$/, "the runtime carries no npm, no headers");
    const node = runtime.body.find((i) => i.op === "COPY" && /\/usr\/local\/bin\/node\s/.test(i.args + " "));
    assert.match(node?.args ?? "", /^--from=(build|deps) \/usr\/local\/bin\/node \/usr\/local\/bin\/node$/, "the node binary of the Node image");
    assert.match(runtime.body.filter((i) => i.op === "RUN").map((i) => i.args).join("\n"), /useradd --uid 1000/, "the node user, uid 1000");
  });

  test("the runtime runs as a numeric non-root user with `context-engine` as the entrypoint", () => {
    const user = runtime.body.filter((i) => i.op === "USER").at(-1)?.args;
    assert.match(user ?? "", /^[1-9]\d*(:\d+)?$/, "numeric, so Kubernetes can check runAsNonRoot");
    assert.equal(runtime.body.find((i) => i.op === "ENTRYPOINT")?.args, '["context-engine"]');
    const bin = serverPkg.bin["context-engine"];
    const link = runtime.body.find((i) => i.op === "RUN" && i.args.includes("/usr/local/bin/context-engine"))?.args ?? "";
    assert.ok(link.includes(`ln -s /app/server/${bin} /usr/local/bin/context-engine`), `the entrypoint links to the server's bin (${bin})`);
    const copies = runtime.body.filter((i) => i.op === "COPY").map((i) => i.args);
    assert.ok(copies.some((c) => c.startsWith("--from=") && c.includes("server/dist")), "the built bundle");
    assert.ok(copies.some((c) => c === "server/package.json server/"), "server/package.json (\"type\": \"module\" for the ESM bundle)");
    const binDir = path.posix.dirname(bin);
    assert.ok(binDir === "dist" || copies.some((c) => c === `server/${binDir}/ server/${binDir}/`), `the bin's folder server/${binDir}`);
    assert.ok(copies.some((c) => c.includes("node_modules")), "production node_modules");
  });

  test("the build stage runs the repository's build, which bundles the CLI to the bin path", () => {
    const build = docker.stages.find((s) => s.body.some((i) => i.op === "RUN" && i.args === "npm run build"));
    assert.ok(build, "a stage runs npm run build");
    assert.equal(JSON.parse(read("package.json")).scripts.build, "node esbuild.mjs");
    assert.equal(SERVER_ENTRIES.cli, "server/src/cli/main.ts");
    assert.match(read("esbuild.mjs"), /outdir: "server\/dist"/);
    // The bin is the bundle itself or a launcher that imports it.
    const bin = serverPkg.bin["context-engine"] as string;
    assert.ok(bin === "dist/cli.js" || read(path.join("server", bin)).includes("../dist/cli.js"), bin);
    // What esbuild.mjs imports at load must be in the build context.
    for (const m of read("esbuild.mjs").matchAll(/^import .* from "(\.\/[^"]+)";$/gm)) {
      assert.ok(!dockerIgnored(path.posix.normalize(m[1]), ignorePatterns), `${m[1]} is excluded by .dockerignore`);
      assert.ok(build!.body.some((i) => i.op === "COPY" && m[1].slice(2).startsWith(i.args.split(/\s+/)[0].replace(/\/$/, ""))), `${m[1]} is copied before the build`);
    }
  });

  test("runtime dependencies: production only, for the server workspace, with better-sqlite3 compiled, and curl for the guide's checks", () => {
    const runs = docker.stages.flatMap((s) => s.body.filter((i) => i.op === "RUN").map((i) => i.args)).join("\n");
    assert.match(runs, /npm ci --omit=dev --workspace server/);
    assert.match(runs, /npm rebuild better-sqlite3/);
    // The default embedder is an optional peer of the package: the image adds it.
    assert.match(runs, /npm install --no-save --omit=dev --ignore-scripts\s+"@huggingface\/transformers@\$\(node -p "require\('\.\/server\/package\.json'\)\.peerDependencies\['@huggingface\/transformers'\]"\)"/);
    assert.ok(serverPkg.peerDependencies["@huggingface/transformers"]);
    assert.match(runtime.body.filter((i) => i.op === "RUN").map((i) => i.args).join("\n"), /apt-get install .*\bcurl\b/);
  });

  test("every file the Dockerfile copies from the context exists and is not excluded by .dockerignore", () => {
    const stageNames = new Set<string>();
    for (const s of docker.stages) {
      for (const i of s.body.filter((x) => x.op === "COPY")) {
        const words = i.args.split(/\s+/);
        const from = words.find((w) => w.startsWith("--from="));
        const paths = words.filter((w) => !w.startsWith("--"));
        if (from) {
          assert.ok(stageNames.has(from.slice(7)), `COPY ${from}: an earlier stage`);
          continue;
        }
        for (const src of paths.slice(0, -1)) {
          const rel = src.replace(/\/$/, "");
          assert.ok(existsSync(path.join(ROOT, rel)), `COPY ${src}: exists`);
          assert.ok(!dockerIgnored(rel, ignorePatterns), `COPY ${src}: excluded by .dockerignore`);
        }
      }
      if (s.name) stageNames.add(s.name);
    }
    // The sources the bundle is built from travel; bulky and unrelated folders do not.
    for (const kept of ["server/src/cli/main.ts", "package-lock.json", "extension/package.json", "extension/scripts/render-manifests.mjs", ".npmrc"]) assert.ok(!dockerIgnored(kept, ignorePatterns), kept);
    for (const dropped of ["node_modules/x/index.js", "server/node_modules/a", ".git/HEAD", "test/unit/a.test.ts", "extension/src/extension.ts", "server/dist/cli.js", "repo/.codebase/index.db"]) {
      assert.ok(dockerIgnored(dropped, ignorePatterns), dropped);
    }
  });

  test("the bundle the image builds imports only node built-ins and the server's runtime dependencies, and runs", async () => {
    // The build esbuild.mjs runs: pure-JS packages bundled in, the rest left to the image's node_modules.
    const { serverBuild } = (await import(pathToFileURL(path.join(ROOT, "esbuild.mjs")).href)) as { serverBuild: esbuild.BuildOptions };
    const result = await esbuild.build({ ...serverBuild, absWorkingDir: ROOT, write: false, metafile: true, logLevel: "silent" });
    const externals = new Set<string>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imp of output.imports) if (imp.external) externals.add(imp.path);
    }
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    // Optional and optional-peer packages are loaded only by the features that need them, with a message when absent.
    const runtimeDeps = new Set(["dependencies", "optionalDependencies", "peerDependencies"].flatMap((k) => Object.keys(serverPkg[k] ?? {})));
    const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    const notShipped = [...externals].filter((s) => !builtins.has(s) && !runtimeDeps.has(packageOf(s)));
    assert.deepEqual(notShipped, [], "imports the image's node_modules would not have");

    // Run it the way the image does: an ESM file beside node_modules, no TypeScript loader.
    const dir = path.join(ROOT, "node_modules", ".cache", `context-engine-dockerfile-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const again = await esbuild.build({ ...serverBuild, absWorkingDir: ROOT, outdir: dir, outExtension: { ".js": ".mjs" }, logLevel: "silent" });
      assert.deepEqual(again.errors, []);
      const r = spawnSync(process.execPath, [path.join(dir, "cli.mjs"), "--help"], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH ?? "" } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Usage: context-engine/);
      for (const cmd of ["serve memory", "serve upload", "watch", "init-collection", "index", "search", "status"]) assert.ok(r.stdout.includes(cmd), `--help lists ${cmd}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
