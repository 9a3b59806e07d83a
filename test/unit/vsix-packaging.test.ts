// What goes into a platform's .vsix: the packages the server bundle loads, only the target's binaries, and the
// size table's components (extension/scripts/package-vsix.mjs, vsix-contents.mjs).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
// @ts-expect-error: a plain ES module of the build scripts, without types
import { bundleImports, LEFT_OUT, PLACEHOLDERS, TARGETS, TRIM } from "../../extension/scripts/package-vsix.mjs";
// @ts-expect-error: a plain ES module of the build scripts, without types
import { breakdown, componentOf } from "../../extension/scripts/vsix-contents.mjs";

type Keep = (rel: string, t: { os: string; arch: string }) => boolean;

describe("packaging the extension per platform", () => {
  test("the bundle's bare imports and created requires are found; builtins, relative paths and code in strings are not", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ce-vsix-unit-"));
    const file = path.join(dir, "cli.js");
    writeFileSync(
      file,
      [
        'import { z } from "zod";',
        'import fs from "node:fs";',
        'import path from "path";',
        'import "./chunk-ABC.js";',
        'const t = await import("@huggingface/transformers");',
        'const db = require2("better-sqlite3");',
        'const wasm = require2.resolve("web-tree-sitter/web-tree-sitter.wasm");',
        'export { x } from "@modelcontextprotocol/sdk/server/mcp.js";',
        'const code = `require("ajv-formats/dist/formats").${name}`;',
        "const msg = 'import x from \"not-a-dependency\"';",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "chunk-ABC.js"), 'export const c = await import("sqlite-vec");\n');
    assert.deepEqual(await bundleImports([file]), ["@huggingface/transformers", "@modelcontextprotocol/sdk", "better-sqlite3", "sqlite-vec", "web-tree-sitter", "zod"]);
    // A bundle that carries web-tree-sitter.wasm beside itself does not need the package for it.
    writeFileSync(path.join(dir, "web-tree-sitter.wasm"), "");
    assert.deepEqual(await bundleImports([file], dir), ["@huggingface/transformers", "@modelcontextprotocol/sdk", "better-sqlite3", "sqlite-vec", "zod"]);
  });

  test("five targets; what is left out or replaced says why", () => {
    assert.deepEqual(Object.keys(TARGETS).sort(), ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64", "win32-x64"]);
    for (const why of [...Object.values(LEFT_OUT), ...Object.values(PLACEHOLDERS)] as string[]) assert.ok(why.length > 20, why);
    assert.ok("better-sqlite3" in LEFT_OUT && "node-llama-cpp" in LEFT_OUT);
  });

  test("ONNX Runtime keeps only the target's binaries, and on macOS one copy of its library", () => {
    const keep = TRIM["onnxruntime-node"] as Keep;
    const linux = { os: "linux", arch: "x64" };
    assert.equal(keep("dist/index.js", linux), true);
    assert.equal(keep("bin/napi-v6/linux/x64/libonnxruntime.so.1", linux), true);
    assert.equal(keep("bin/napi-v6/linux/arm64/libonnxruntime.so.1", linux), false);
    assert.equal(keep("bin/napi-v6/win32/x64/onnxruntime.dll", linux), false);
    assert.equal(keep("script/install.js", linux), false);
    const mac = { os: "darwin", arch: "arm64" };
    assert.equal(keep("bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib", mac), true);
    assert.equal(keep("bin/napi-v6/darwin/arm64/libonnxruntime.1.30.0.dylib", mac), false);
    const transformers = TRIM["@huggingface/transformers"] as Keep;
    assert.deepEqual(
      ["package.json", "dist/transformers.node.mjs", "dist/transformers.web.js", "src/models.js"].map((f) => transformers(f, linux)),
      [true, true, false, false],
    );
  });

  test("sizes are grouped by component", () => {
    const rows = breakdown([
      { name: "extension/server/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1", compressed: 100, size: 300 },
      { name: "extension/server/dist/cli.js", compressed: 10, size: 40 },
      { name: "extension/server/dist/grammars/tree-sitter-python.wasm", compressed: 5, size: 20 },
      { name: "extension/server/node_modules/sqlite-vec-linux-x64/vec0.so", compressed: 3, size: 9 },
      { name: "extension/dist/extension.cjs", compressed: 2, size: 8 },
    ]) as { component: string; compressed: number }[];
    assert.deepEqual(rows.map((r) => [r.component, r.compressed]), [["ONNX Runtime", 100], ["server bundle", 10], ["tree-sitter (wasm)", 5], ["sqlite-vec", 3], ["extension code", 2]]);
    assert.equal(componentOf("extension/package.json"), "manifest, README, media");
  });
});
