import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

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
