// Finding the server for local mode, and turning its failures into sentences with a remedy.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { bundledServer, classifyFailure, locateServer, ServerNotFoundError, type ServerCommand } from "../../extension/src/local/server-locator.ts";
import type { Runtime } from "../../extension/src/local/runtime.ts";

function tree(): string {
  return mkdtempSync(path.join(os.tmpdir(), "ce-locate-"));
}

function touch(file: string, text = ""): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const server: ServerCommand = { scriptArgs: ["/x/cli.js"], serverDir: "/x", origin: "test" };
const editor: Runtime = { kind: "editor", command: "/opt/code/code", env: { ELECTRON_RUN_AS_NODE: "1" }, label: "the editor's runtime (/opt/code/code, Node 22.19.0)", probe: {} };

describe("locating the server", () => {
  test("the extension's own server is the default, before any checkout", () => {
    const ext = path.join(tree(), "extension");
    const own = touch(bundledServer(ext));
    touch(path.join(ext, "..", "server", "dist", "cli.js"));
    const found = locateServer({ extensionPath: ext, env: { PATH: "/usr/bin" } });
    assert.deepEqual([found.scriptArgs, found.executable, found.serverDir], [[own], undefined, path.dirname(own)]);
    assert.match(found.origin, /the extension's own server/);
  });

  test("the setting wins: a cli.js runs on the chosen runtime, an executable runs itself", () => {
    const dir = tree();
    const js = touch(path.join(dir, "cli.js"));
    const exe = touch(path.join(dir, "context-engine"), "#!/bin/sh\n");
    chmodSync(exe, 0o755);
    const ext = path.join(tree(), "extension");
    touch(bundledServer(ext));
    assert.deepEqual(locateServer({ serverPath: js, extensionPath: ext, env: {} }).scriptArgs, [js]);
    const found = locateServer({ serverPath: exe, extensionPath: ext, env: {} });
    assert.deepEqual([found.executable, found.scriptArgs], [exe, []]);
  });

  test("a checkout's server folder given as the setting finds dist/cli.js", () => {
    const dir = tree();
    const cli = touch(path.join(dir, "server/dist/cli.js"));
    assert.deepEqual(locateServer({ serverPath: dir, extensionPath: "/nowhere", env: {} }).scriptArgs, [cli]);
  });

  test("a setting that points nowhere is an error naming it, not a silent fallback", () => {
    const ext = path.join(tree(), "extension");
    touch(bundledServer(ext));
    assert.throws(() => locateServer({ serverPath: "/no/such/cli.js", extensionPath: ext, env: {} }), /"contextEngine\.local\.serverPath" is \/no\/such\/cli\.js, and there is no server there.*Clear the setting/);
  });

  test("an extension run from a source checkout uses the checkout's build", () => {
    const checkout = tree();
    const cli = touch(path.join(checkout, "server/dist/cli.js"));
    const found = locateServer({ extensionPath: path.join(checkout, "extension"), env: {} });
    assert.deepEqual(found.scriptArgs, [cli]);
    assert.match(found.origin, /source checkout/);
  });

  test("nothing found: the extension is incomplete, and the error says to reinstall it for this platform", () => {
    const ext = path.join(tree(), "extension");
    assert.throws(
      () => locateServer({ extensionPath: ext, env: { PATH: "/nonexistent" } }),
      (e: Error) => {
        assert.ok(e instanceof ServerNotFoundError);
        assert.ok(e.message.includes(bundledServer(ext)), e.message);
        assert.match(e.message, new RegExp(`Reinstall Context Engine .*${process.platform}-${process.arch}`));
        assert.doesNotMatch(e.message, /npm install/);
        return true;
      },
    );
  });
});

describe("start failures", () => {
  test("a native part built for another runtime or platform", () => {
    const f = classifyFailure(
      "Error: The module '/srv/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115.",
      server,
      editor,
    );
    assert.equal(f.kind, "native-module");
    assert.match(f.message, /does not load in the editor's runtime/);
    assert.match(f.message, new RegExp(`built for this platform \\(${process.platform}-${process.arch}\\)`));
    assert.equal(f.lexicalFallback, false);
  });

  test("a missing model asks for lexical-only fallback", () => {
    const f = classifyFailure('context-engine serve: The transformers embedding model "BAAI/bge-base-en-v1.5" is not available (offline). Looked in: /m. Or set EMBEDDING_PROVIDER=none for lexical-only search.', server, editor);
    assert.equal(f.kind, "model-missing");
    assert.equal(f.lexicalFallback, true);
    assert.match(f.message, /lexical-only/);
  });

  test("a runtime that is not there", () => {
    const err = Object.assign(new Error("spawn node ENOENT"), { code: "ENOENT" }) as NodeJS.ErrnoException;
    const node: Runtime = { ...editor, kind: "node", command: "/gone/node", label: "Node.js (/gone/node)" };
    const f = classifyFailure("", server, node, err);
    assert.equal(f.kind, "no-runtime");
    assert.match(f.message, /could not run Node\.js \(\/gone\/node\): not found.*"contextEngine\.local\.runtime" to "auto"/);
  });

  test("anything else quotes the server's own error line", () => {
    const f = classifyFailure("starting\ncontext-engine serve: STORE_PATH /ro/index.db is not writable\n    at foo (x.js:1:1)", server, editor);
    assert.equal(f.kind, "other");
    assert.match(f.message, /STORE_PATH \/ro\/index\.db is not writable/);
  });
});

describe("workspace folders as repos", () => {
  test("each folder is a repo named by its setting or its folder; a taken name gets a number", async () => {
    const { workspaceRepos } = await import("../../extension/src/workspace-repos.ts");
    const repos = workspaceRepos([
      { name: "API", root: "/w/api", repoSetting: "" },
      { name: "web", root: "/w/web", repoSetting: "Storefront" },
      { name: "api", root: "/x/api", repoSetting: "" },
      { name: "api", root: "/y/api", repoSetting: "" },
    ]);
    assert.deepEqual(repos, [
      { repo: "api", root: "/w/api" },
      { repo: "storefront", root: "/w/web" },
      { repo: "api-2", root: "/x/api" },
      { repo: "api-3", root: "/y/api" },
    ]);
  });
});

describe("local indexing progress", () => {
  test("folders' states summed: indexing until every folder is watched, an error in one is an error", async () => {
    const { statesOf, summarize } = await import("../../extension/src/local/index-progress.ts");
    const repos = ["api", "web"];
    const starting = summarize(statesOf({ states: { api: null, web: null } }), repos);
    assert.deepEqual([starting.phase, starting.detail], ["indexing", "Indexing 2 folders (api, web) (starting)"]);
    const busy = summarize(statesOf({ states: { api: { status: "watching", files_done: 3, files_total: 3 }, web: { status: "indexing", files_done: 1, files_total: 5, current_file: "a.ts" } } }), repos);
    assert.deepEqual([busy.phase, busy.index, busy.detail], ["indexing", { status: "indexing", done: 4, total: 8 }, "Indexing 2 folders (api, web): 4/8 files (a.ts)"]);
    const ready = summarize(statesOf({ states: { api: { status: "watching", files_done: 3, files_total: 3 }, web: { status: "watching", files_done: 5, files_total: 5 } } }), repos, true);
    assert.deepEqual([ready.phase, ready.detail], ["ready", "Local index of 2 folders (api, web): 8 files (lexical-only)"]);
    const failed = summarize(statesOf({ states: { api: { status: "error", error: "disk full" }, web: { status: "watching" } } }), repos);
    assert.deepEqual([failed.phase, failed.error], ["error", "api: disk full"]);
    const one = summarize(statesOf({ states: { undici: { status: "watching", files_done: 176, files_total: 176 } } }), ["undici"]);
    assert.equal(one.detail, "Local index of undici: 176 files");
  });

  test("a first index in two passes: windows first, then search works while symbols are added", async () => {
    const { statesOf, summarize } = await import("../../extension/src/local/index-progress.ts");
    const windows = summarize(statesOf({ states: { api: { status: "indexing", pass: "windows", files_done: 40, files_total: 900 } } }), ["api"]);
    assert.deepEqual([windows.index.searchable, windows.detail], [undefined, "Making api searchable: 40/900 files"]);
    const symbols = summarize(statesOf({ states: { api: { status: "indexing", pass: "symbols", searchable: true, files_done: 120, files_total: 900, current_file: "src/a.ts" } } }), ["api"]);
    assert.deepEqual([symbols.phase, symbols.index.searchable, symbols.detail], ["indexing", true, "Search is ready; adding symbols to api: 120/900 files (src/a.ts)"]);
    // Searchable only when every folder still at work is.
    const mixed = summarize(statesOf({ states: { api: { status: "indexing", searchable: true, files_done: 1, files_total: 2 }, web: { status: "indexing", pass: "windows", files_done: 0, files_total: 3 } } }), ["api", "web"]);
    assert.equal(mixed.index.searchable, undefined);
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
