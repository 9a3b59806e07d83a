import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, startCli } from "../helpers/cli.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, waitFor, writeTree } from "../helpers/tmp.ts";

describe("the context-engine CLI", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, SAMPLE_REPO);
  });
  after(() => cleanup());

  it("fails with exit code 1 and says what to do when searching a folder that was never indexed", () => {
    const r = runCli(["search", "register_hook", "--root", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No index at .*run `context-engine index/);
  });

  it("indexes a folder (exit 0) and reports what it did", () => {
    const r = runCli(["index", dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 files scanned, 5 indexed/);
  });

  it("prints {results, query, took_ms} with --json", () => {
    const r = runCli(["search", "register_hook", "--root", dir, "--json", "--limit", "3"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.results) && out.results.length >= 1 && out.results.length <= 3);
    const keys = ["path", "repo", "start_line", "end_line", "symbol", "language", "score", "why", "components", "snippet", "match_line", "match_lines"];
    for (const k of keys) assert.ok(k in out.results[0], `result has ${k}`);
    assert.equal(out.results[0].path, "src/session.py");
    assert.equal(typeof out.took_ms, "number");
    assert.ok(out.query.terms.includes("register_hook"));
  });

  it("prints readable results without --json, filtered by --lang and --under", () => {
    const r = runCli(["search", "take tokens", "--root", dir, "--lang", "typescript", "--under", "src/"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^src\/util\/strings\.ts \(\d+ results?\)\n {2}\[1\] \d+-\d+/m);
    assert.doesNotMatch(r.stdout, /session\.py/);
  });

  it("shows the index status, also as JSON", () => {
    const r = runCli(["status", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.state.status, "idle");
    assert.equal(s.stats.files, 5);
    assert.ok(s.stats.points >= 5);
  });

  it("exits with 2 on usage errors and 0 on --help", () => {
    assert.equal(runCli(["search", "--root", dir]).code, 2);
    const unknown = runCli(["search", "x", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /bogus/);
    assert.equal(runCli(["frobnicate"]).code, 2);
    assert.equal(runCli(["search", "x", "--limit", "zero", "--root", dir]).code, 2);
    assert.equal(runCli(["index", "/definitely/not/here"]).code, 2);
    for (const cmd of ["index", "search", "status", "serve"]) {
      const h = runCli([cmd, "--help"]);
      assert.equal(h.code, 0, cmd);
      assert.match(h.stdout, /Usage:/);
    }
  });

  it("stops with one clear line (exit 1) on a bad setting", () => {
    const r = runCli(["index", dir], { env: { MAX_MICRO_CHUNKS_PER_FILE: "lots" } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /MAX_MICRO_CHUNKS_PER_FILE="lots".*integer/);
  });
});

/** Every entry under a folder with its size and modification time: what "nothing was written" is checked against. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const st = statSync(p);
      out.push(`${path.relative(root, p)} ${e.isDirectory() ? "dir" : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

describe("the CLI with STORE_PATH set", () => {
  let repo: string;
  let store: string;
  let cleanups: (() => void)[] = [];
  let before_: string[];
  before(() => {
    const a = tempDir("ce-storepath-repo-");
    const b = tempDir("ce-storepath-store-");
    cleanups = [a.cleanup, b.cleanup];
    repo = a.dir;
    store = path.join(b.dir, "indexes", "index.db");
    writeTree(repo, SAMPLE_REPO);
    before_ = snapshot(repo);
  });
  after(() => cleanups.forEach((c) => c()));

  const env = () => ({ STORE_PATH: store });
  const stateFile = () => `${store}.${path.basename(repo)}.state.json`;

  it("index, search and status write nothing into the indexed folder; the state lives beside the store", () => {
    const r = runCli(["index", repo], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Store: ${store.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.equal(runCli(["search", "register_hook", "--root", repo], { env: env() }).code, 0);
    const status = runCli(["status", repo, "--json"], { env: env() });
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.store, store);
    assert.equal(s.state.status, "idle");
    assert.equal(s.stats.files, 5);
    assert.equal(JSON.parse(readFileSync(stateFile(), "utf8")).repo, path.basename(repo));
    assert.deepEqual(snapshot(repo), before_);
    assert.ok(!existsSync(path.join(repo, ".codebase")));
  });

  it("a watcher keeps its state beside the store too, and writes nothing into the folder", async () => {
    const child = startCli(["watch", "--root", repo], { env: env() });
    try {
      await waitFor(() => existsSync(stateFile()) && JSON.parse(readFileSync(stateFile(), "utf8")).status === "watching", "the watcher's state", 60_000);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    assert.deepEqual(snapshot(repo), before_);
  });
});
