// Finding the server for local mode, and turning its failures into sentences with a remedy.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { classifyFailure, locateServer, ServerNotFoundError, type ServerCommand } from "../../extension/src/local/server-locator.ts";

function tree(): string {
  return mkdtempSync(path.join(os.tmpdir(), "ce-locate-"));
}

const cmd: ServerCommand = { command: "node", prefix: ["/x/cli.js"], origin: "test" };

describe("locating the server", () => {
  test("the setting wins: a cli.js runs with the configured node, an executable runs itself", () => {
    const dir = tree();
    writeFileSync(path.join(dir, "cli.js"), "");
    writeFileSync(path.join(dir, "context-engine"), "#!/bin/sh\n");
    chmodSync(path.join(dir, "context-engine"), 0o755);
    const js = locateServer({ serverPath: path.join(dir, "cli.js"), nodePath: "/opt/node20/bin/node", extensionPath: dir, env: {} });
    assert.deepEqual([js.command, js.prefix], ["/opt/node20/bin/node", [path.join(dir, "cli.js")]]);
    const exe = locateServer({ serverPath: path.join(dir, "context-engine"), nodePath: "node", extensionPath: dir, env: {} });
    assert.deepEqual([exe.command, exe.prefix], [path.join(dir, "context-engine"), []]);
  });

  test("a checkout's server folder given as the setting finds dist/cli.js", () => {
    const dir = tree();
    mkdirSync(path.join(dir, "server/dist"), { recursive: true });
    writeFileSync(path.join(dir, "server/dist/cli.js"), "");
    assert.deepEqual(locateServer({ serverPath: dir, nodePath: "node", extensionPath: "/nowhere", env: {} }).prefix, [path.join(dir, "server/dist/cli.js")]);
  });

  test("a setting that points nowhere is an error naming it", () => {
    assert.throws(() => locateServer({ serverPath: "/no/such/cli.js", nodePath: "node", extensionPath: "/nowhere", env: {} }), /contextEngine\.local\.serverPath = \/no\/such\/cli\.js \(no such file\)/);
  });

  test("then context-engine on PATH, then the source checkout the extension runs from", () => {
    const bin = tree();
    writeFileSync(path.join(bin, "context-engine"), "#!/bin/sh\n");
    assert.equal(locateServer({ nodePath: "node", extensionPath: "/nowhere/extension", env: { PATH: `/usr/bin${path.delimiter}${bin}` } }).command, path.join(bin, "context-engine"));
    const checkout = tree();
    mkdirSync(path.join(checkout, "extension"));
    mkdirSync(path.join(checkout, "server/dist"), { recursive: true });
    writeFileSync(path.join(checkout, "server/dist/cli.js"), "");
    const found = locateServer({ nodePath: "node", extensionPath: path.join(checkout, "extension"), env: { PATH: "/usr/bin" } });
    assert.deepEqual(found.prefix, [path.join(checkout, "server/dist/cli.js")]);
    assert.match(found.origin, /source checkout/);
  });

  test("nothing found: the error lists what was tried and what to do", () => {
    assert.throws(
      () => locateServer({ nodePath: "node", extensionPath: path.join(tree(), "extension"), env: { PATH: "/nonexistent" } }),
      (e: Error) => {
        assert.ok(e instanceof ServerNotFoundError);
        assert.match(e.message, /not set.*context-engine on PATH \(not found\).*server\/dist\/cli\.js \(not built\)/);
        assert.match(e.message, /set "contextEngine\.local\.serverPath"/);
        return true;
      },
    );
  });
});

describe("start failures", () => {
  test("native modules built for another Node.js", () => {
    const f = classifyFailure(
      "Error: The module '/srv/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115.",
      cmd,
      "node",
    );
    assert.equal(f.kind, "native-module");
    assert.match(f.message, /npm rebuild better-sqlite3/);
    assert.equal(f.lexicalFallback, false);
  });

  test("a missing model asks for lexical-only fallback", () => {
    const f = classifyFailure('context-engine serve: The transformers embedding model "BAAI/bge-base-en-v1.5" is not available (offline). Looked in: /m. Or set EMBEDDING_PROVIDER=none for lexical-only search.', cmd, "node");
    assert.equal(f.kind, "model-missing");
    assert.equal(f.lexicalFallback, true);
    assert.match(f.message, /lexical-only/);
  });

  test("no node executable", () => {
    const err = Object.assign(new Error("spawn node ENOENT"), { code: "ENOENT" }) as NodeJS.ErrnoException;
    const f = classifyFailure("", cmd, "node", err);
    assert.equal(f.kind, "no-node");
    assert.match(f.message, /Install Node\.js 20 or newer/);
  });

  test("anything else quotes the server's own error line", () => {
    const f = classifyFailure("starting\ncontext-engine serve: STORE_PATH /ro/index.db is not writable\n    at foo (x.js:1:1)", cmd, "node");
    assert.equal(f.kind, "other");
    assert.match(f.message, /STORE_PATH \/ro\/index\.db is not writable/);
  });
});

describe("server log lines", () => {
  test("JSON lines are shown as readable text at their own level", async () => {
    const { logServerLine } = await import("../../extension/src/local/local-engine.ts");
    const got: string[] = [];
    const log = { trace() {}, debug: (m: string) => got.push(`debug ${m}`), info: (m: string) => got.push(`info ${m}`), warn: (m: string) => got.push(`warn ${m}`), error: (m: string | Error) => got.push(`error ${String(m)}`) };
    logServerLine(log, "watcher", '{"time":"t","level":"info","msg":"watching","root":"/x","debounce_s":1.5}');
    logServerLine(log, "indexer", '{"time":"t","level":"warn","msg":"slow","ms":900}');
    logServerLine(log, "indexer", "plain text");
    assert.deepEqual(got, ["info [watcher] watching  root=/x debounce_s=1.5", "warn [indexer] slow  ms=900", "info [indexer] plain text"]);
  });
});

describe("the Node.js that runs the server", () => {
  test("20 or newer passes; an older one is named with what to do", async () => {
    const { checkNode } = await import("../../extension/src/local/local-engine.ts");
    await checkNode(process.execPath, { command: process.execPath, prefix: [], origin: "t" });
    const dir = tree();
    const old = path.join(dir, "node");
    writeFileSync(old, "#!/bin/sh\necho v18.19.1\n");
    chmodSync(old, 0o755);
    await assert.rejects(checkNode(old, { command: old, prefix: [], origin: "t" }), /needs Node\.js 20 or newer; ".*node" is v18\.19\.1.*contextEngine\.local\.nodePath/);
    await assert.rejects(checkNode(path.join(dir, "absent"), { command: path.join(dir, "absent"), prefix: [], origin: "t" }), /Install Node\.js 20 or newer/);
  });
});
