// The CLI's package shape, checked on the build itself (no timing: bench/cli measures start-up): the version it prints
// is the package's, and each command loads only the code it needs, so that --version and search start fast.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { VERSION } from "../../server/src/version.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverPkg = JSON.parse(readFileSync(path.join(ROOT, "server/package.json"), "utf8"));

test("--version prints the version server/package.json states", () => {
  assert.equal(VERSION, serverPkg.version);
});

test("the package ships the bundle and the bin, and needs no install script of its own", () => {
  assert.deepEqual(serverPkg.files, ["bin/", "dist/", "README.md"]);
  assert.equal(serverPkg.bin["context-engine"], "bin/context-engine.js");
  for (const hook of ["preinstall", "install", "postinstall"]) assert.equal(serverPkg.scripts?.[hook], undefined, hook);
  // Native or heavy packages are optional: the default path (lexical search on SQLite) needs none of them.
  assert.deepEqual(Object.keys(serverPkg.dependencies), ["sqlite-vec"]);
  assert.ok(serverPkg.optionalDependencies["better-sqlite3"]);
  for (const peer of ["@huggingface/transformers", "node-llama-cpp"]) assert.equal(serverPkg.peerDependenciesMeta[peer].optional, true, peer);
});

describe("what each command loads at start", async () => {
  const { serverBuild } = (await import(pathToFileURL(path.join(ROOT, "esbuild.mjs")).href)) as { serverBuild: esbuild.BuildOptions };
  const result = await esbuild.build({ ...serverBuild, absWorkingDir: ROOT, write: false, metafile: true, logLevel: "silent" });
  const outputs = result.metafile.outputs;
  const outputOf = (entry: string) => Object.keys(outputs).find((o) => outputs[o]!.entryPoint === entry)!;
  /** Every source file and external package an output loads before its code runs (static imports only). */
  function loadedBy(output: string, seen = new Set<string>()): Set<string> {
    if (seen.has(output)) return seen;
    seen.add(output);
    for (const imp of outputs[output]!.imports) {
      if (imp.kind !== "import-statement") continue;
      if (imp.external) seen.add(`external:${imp.path}`);
      else loadedBy(imp.path, seen);
    }
    return seen;
  }
  const inputsOf = (loaded: Set<string>) => [...loaded].flatMap((o) => (outputs[o] ? Object.keys(outputs[o]!.inputs) : [o]));
  /** The output that `main.ts` loads for a command: the dynamic import whose chunk holds that command's module. */
  function commandChunk(source: string): string {
    const cli = outputOf("server/src/cli/main.ts");
    const dynamic = outputs[cli]!.imports.filter((i) => i.kind === "dynamic-import").map((i) => i.path);
    const found = dynamic.find((o) => Object.keys(outputs[o]!.inputs).includes(source));
    assert.ok(found, `no dynamic chunk of main.ts holds ${source}`);
    return found;
  }

  test("cli.js (--version, --help) loads no package and no command", () => {
    const loaded = inputsOf(loadedBy(outputOf("server/src/cli/main.ts")));
    assert.deepEqual(loaded.filter((i) => i.includes("node_modules") || (i.startsWith("external:") && !i.startsWith("external:node:"))), []);
    for (const heavy of ["server/src/engine.ts", "server/src/mcp/index.ts", "server/src/cli/commands.ts", "server/src/cli/search-command.ts"]) {
      assert.ok(!loaded.includes(heavy), heavy);
    }
  });

  test("search loads neither the indexer, the chunker's grammars, the MCP SDK, nor a model runtime", () => {
    const loaded = inputsOf(loadedBy(commandChunk("server/src/cli/search-command.ts")));
    const forbidden = loaded.filter((i) =>
      /server\/src\/(indexer|chunking\/grammars|mcp|watch|sync)\/|web-tree-sitter|@modelcontextprotocol|chokidar|node_modules\/tar\/|node-llama-cpp|@huggingface|better-sqlite3/.test(i),
    );
    assert.deepEqual(forbidden, []);
    assert.ok(loaded.includes("server/src/store/sqlite.ts"), "search reads the store");
  });

  test("node-llama-cpp and @huggingface/transformers are never loaded at start by any command", () => {
    for (const out of Object.keys(outputs).filter((o) => o.endsWith(".js"))) {
      const statics = outputs[out]!.imports.filter((i) => i.kind === "import-statement" && i.external).map((i) => i.path);
      assert.deepEqual(statics.filter((p) => /node-llama-cpp|@huggingface\/transformers|better-sqlite3/.test(p)), [], out);
    }
  });
});
