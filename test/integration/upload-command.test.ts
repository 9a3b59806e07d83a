// `context-engine upload` end to end against a real uploader on loopback: summary, progress, errors, --watch.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, it } from "node:test";
import { silentLogger } from "../../server/src/log/index.ts";
import { startUploadServer } from "../../server/src/sync/server.ts";
import { runUploadCommand } from "../../server/src/sync/upload-command.ts";
import { watchWorkspace } from "../../server/src/sync/watch-loop.ts";
import { snapshot, startHarness, writeFiles, type Harness } from "./sync-helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function capture(isTTY = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 100;
  let text = "";
  stream.on("data", (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

/** Polls `check` until it holds; fails with `what` after the deadline. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exists = (p: string) => fs.stat(p).then(() => true, () => false);
const contentIs = (p: string, want: string) => fs.readFile(p, "utf8").then((t) => t === want, () => false);

describe("context-engine upload", () => {
  it("sends the folder and prints files sent, bytes, and what was skipped and why", async () => {
    h = await startHarness();
    await writeFiles(h.ws, {
      "src/a.ts": "export const a = 1;\n",
      "README.md": "hello\n",
      "assets/logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      "blob.dat": Buffer.from([1, 2, 0, 3]),
      "huge.txt": Buffer.alloc(17 * 1024 * 1024, 0x61),
    });
    await fs.symlink("/etc/passwd", path.join(h.ws, "passwd-link"));
    const out = capture();
    const err = capture();
    const code = await runUploadCommand(["--repo", "demo", "--path", h.ws, "--url", h.url], { stdout: out.stream, stderr: err.stream, cwd: "/" });
    assert.equal(code, 0, err.text());
    assert.match(out.text(), /^2 files sent \(0\.00 MB, [\d.]+ MB on the wire\), 0 deleted, 0 unchanged, 4 skipped: /);
    assert.match(out.text(), /1 binary \(assets\/logo\.png\)|binary \(.*logo\.png/);
    assert.match(out.text(), /2 binary \((assets\/logo\.png, blob\.dat|blob\.dat, assets\/logo\.png)\)/);
    assert.match(out.text(), /1 too-large \(huge\.txt\)/);
    assert.match(out.text(), /1 symlink \(passwd-link\)/);
    assert.match(err.text(), /comparing 2 files with the uploader\nsent 2\/2 files/);
    assert.ok(!err.text().includes("\r"), "no carriage returns when piped");
    assert.deepEqual(Object.keys(await snapshot(path.join(h.reposDir, "demo"))).sort(), ["README.md", "src/a.ts"]);

    const again = capture();
    assert.equal(await runUploadCommand(["--repo", "demo", "--path", h.ws, "--url", h.url], { stdout: again.stream, stderr: capture().stream, cwd: "/" }), 0);
    assert.match(again.text(), /^0 files sent .* 2 unchanged/);
  });

  it("draws a progress bar in place on a terminal", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "a", "b.txt": "b" });
    const err = capture(true);
    const code = await runUploadCommand(["--repo", "demo", "--path", h.ws, "--url", h.url], { stdout: capture().stream, stderr: err.stream, cwd: "/" });
    assert.equal(code, 0);
    assert.match(err.text(), /\r\[#+\] 100% 2\/2 files/);
    assert.match(err.text(), /\r\x1b\[K$/, "the bar is cleared before the summary");
  });

  it("takes the repo name from the folder, the token from settings, and the path relative to cwd", async () => {
    h = await startHarness({ token: "t0k" });
    const folder = path.join(h.tmp, "My_Service");
    await writeFiles(folder, { "x.txt": "x" });
    const out = capture();
    const err = capture();
    const code = await runUploadCommand(["--path", "My_Service", "--url", h.url], { stdout: out.stream, stderr: err.stream, cwd: h.tmp, token: "t0k" });
    assert.equal(code, 0, err.text());
    assert.equal(await fs.readFile(path.join(h.reposDir, "my-service/x.txt"), "utf8"), "x");
  });

  it("bad usage exits 2 and a failed sync exits 1, each with a message to act on", async () => {
    h = await startHarness({ token: "t0k" });
    const err = capture();
    assert.equal(await runUploadCommand(["--repo", "Not Valid", "--url", h.url], { stdout: capture().stream, stderr: err.stream, cwd: h.ws }), 2);
    assert.match(err.text(), /not a valid repo name.*for example not-valid/);
    const err2 = capture();
    assert.equal(await runUploadCommand(["--bogus"], { stdout: capture().stream, stderr: err2.stream, cwd: h.ws }), 2);
    assert.match(err2.text(), /Usage: context-engine upload/);
    const err3 = capture();
    assert.equal(await runUploadCommand(["--repo", "demo", "--url", h.url], { stdout: capture().stream, stderr: err3.stream, cwd: h.ws }), 1);
    assert.match(err3.text(), /upload failed: the uploader at .* answered 401/);
  });

  it("--watch keeps syncing edits and deletions until stopped", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "one\n" });
    const stop = new AbortController();
    const out = capture();
    const done = runUploadCommand(["--repo", "demo", "--path", h.ws, "--url", h.url, "--watch"], { stdout: out.stream, stderr: capture().stream, cwd: "/", signal: stop.signal });
    const repo = path.join(h.reposDir, "demo");
    await waitFor("the first sync", () => contentIs(path.join(repo, "a.txt"), "one\n"));
    await writeFiles(h.ws, { "a.txt": "two\n", "sub/b.txt": "b\n" });
    await waitFor("the edit and the new file", async () => (await contentIs(path.join(repo, "a.txt"), "two\n")) && (await exists(path.join(repo, "sub/b.txt"))));
    await fs.rm(path.join(h.ws, "sub"), { recursive: true });
    await waitFor("the deletion", async () => !(await exists(path.join(repo, "sub/b.txt"))));
    stop.abort();
    assert.equal(await done, 0);
    assert.match(out.text(), /1 files sent/);
  });
});

describe("watchWorkspace", () => {
  it("syncs at start, after each burst of changes, and is idle in between", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "a\n" });
    const results: number[] = [];
    const w = await watchWorkspace({ url: h.url, repo: "demo", root: h.ws, debounceMs: 50, onSync: (r) => results.push(r.sent) });
    try {
      assert.deepEqual(results, [1]);
      for (let i = 0; i < 20; i++) await fs.writeFile(path.join(h.ws, `burst-${i}.txt`), `${i}\n`);
      await waitFor("the burst to arrive", async () => (await fs.readdir(path.join(h!.reposDir, "demo"))).length === 21);
      await w.idle();
      assert.equal(results.reduce((a, b) => a + b, 0), 21);
      assert.ok(results.length < 21, `a burst is batched, got ${results.length} syncs`);
    } finally {
      await w.close();
    }
  });

  it("an edit after the first sync travels as a change sync of that path alone", async () => {
    h = await startHarness();
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`src/f${i}.ts`] = `export const f${i} = ${i};\n`;
    await writeFiles(h.ws, files);
    const seen: { files: number; sent: number }[] = [];
    const w = await watchWorkspace({ url: h.url, repo: "demo", root: h.ws, debounceMs: 50, onSync: (r) => seen.push({ files: r.files, sent: r.sent }) });
    try {
      assert.deepEqual(seen, [{ files: 30, sent: 30 }]);
      await fs.writeFile(path.join(h.ws, "src/f7.ts"), "export const f7 = 'edited';\n");
      await waitFor("the edit", () => contentIs(path.join(h!.reposDir, "demo/src/f7.ts"), "export const f7 = 'edited';\n"));
      await w.idle();
      const later = seen.slice(1);
      assert.ok(later.length >= 1 && later.every((r) => r.files === 1), `the manifests listed only the changed path: ${JSON.stringify(later)}`);
      assert.equal(later.reduce((n, r) => n + r.sent, 0), 1);
    } finally {
      await w.close();
    }
  });

  it("retries after the uploader was down and catches up once it is back", async () => {
    h = await startHarness();
    const port = h.server.port;
    await h.server.close();
    await writeFiles(h.ws, { "a.txt": "a\n" });
    const errors: string[] = [];
    const w = await watchWorkspace({ url: h.url, repo: "demo", root: h.ws, debounceMs: 20, retryMs: 20, onError: (e) => errors.push(e.message), onSync: (r) => errors.push("SYNCED " + JSON.stringify(r)) });
    try {
      assert.match(errors[0] ?? "", /could not reach the uploader/);
      h.server = await startUploadServer({ port, host: "127.0.0.1", reposDir: h.reposDir, log: silentLogger });
      await waitFor("the retried sync", () => contentIs(path.join(h!.reposDir, "demo/a.txt"), "a\n"));
    } finally {
      await w.close();
    }
  });
});
