// The uploader and its client over real HTTP on loopback: deltas, deletes, idempotence, auth, limits.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { SyncClientError, syncChanges, syncOnce } from "../../server/src/sync/client.ts";
import { readTarFiles, tarGz } from "../../server/src/sync/tar-writer.ts";
import { entryFor, postManifest, postUpload, snapshot, startHarness, writeFiles, type Harness } from "./sync-helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const WORKSPACE = {
  "README.md": "# demo\n",
  "src/app.ts": "export const app = 1;\n",
  "src/lib/util.ts": "export function util() { return 2; }\n",
  "docs/guide.md": "guide\n",
  ".gitignore": "*.log\nsecret/\n",
  "debug.log": "not synced\n",
  "secret/key.txt": "not synced\n",
  "node_modules/dep/index.js": "not synced\n",
};
const SYNCED = ["README.md", "src/app.ts", "src/lib/util.ts", "docs/guide.md", ".gitignore"];

describe("uploader deltas", () => {
  it("the first sync sends every synced file and the repo folder mirrors the workspace", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(r.sent, SYNCED.length);
    assert.equal(r.files, SYNCED.length);
    const mirror = await snapshot(path.join(h.reposDir, "demo"));
    assert.deepEqual(Object.keys(mirror).sort(), [...SYNCED].sort());
    for (const p of SYNCED) assert.equal(mirror[p], WORKSPACE[p as keyof typeof WORKSPACE]);
  });

  it("a second sync with nothing changed sends no file, only the manifest", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    const before = await snapshot(path.join(h.reposDir, "demo"));
    const again = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(again.sent, 0);
    assert.equal(again.deleted, 0);
    assert.equal(again.wireBytes, again.manifestWireBytes);
    assert.deepEqual(await snapshot(path.join(h.reposDir, "demo")), before);
  });

  it("only the changed and the new files are sent", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    await writeFiles(h.ws, { "src/app.ts": "export const app = 42;\n", "src/new.ts": "export {};\n" });
    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(r.sent, 2);
    assert.equal(r.bytes, Buffer.byteLength("export const app = 42;\n") + Buffer.byteLength("export {};\n"));
    const mirror = await snapshot(path.join(h.reposDir, "demo"));
    assert.equal(mirror["src/app.ts"], "export const app = 42;\n");
    assert.equal(mirror["src/new.ts"], "export {};\n");
  });

  it("a file changed on the server behind the uploader's back is sent again (the hash cache checks size and mtime)", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    const target = path.join(h.reposDir, "demo", "README.md");
    await fs.writeFile(target, "# tampered, longer\n");
    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(r.sent, 1);
    assert.equal(await fs.readFile(target, "utf8"), WORKSPACE["README.md"]);
  });

  it("files deleted locally are deleted on the server with their emptied folders; .git/ and .codebase/ are never touched", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    const repoDir = path.join(h.reposDir, "demo");
    await writeFiles(repoDir, { ".codebase/state.json": "{}", ".git/HEAD": "ref: refs/heads/main\n", "sub/.git/config": "x" });
    await fs.rm(path.join(h.ws, "src/lib"), { recursive: true });
    await fs.rm(path.join(h.ws, "docs/guide.md"));

    const manifest = await postManifest(h.url, "demo", []);
    assert.equal(manifest.status, 200);
    assert.ok(!(manifest.body.delete as string[]).some((p) => p.includes(".git/") || p.startsWith(".codebase/")));

    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(r.deleted, 2);
    const mirror = await snapshot(repoDir);
    assert.equal(mirror["src/lib/util.ts"], undefined);
    assert.equal(mirror["docs/guide.md"], undefined);
    await assert.rejects(fs.stat(path.join(repoDir, "src/lib")), { code: "ENOENT" });
    await assert.rejects(fs.stat(path.join(repoDir, "docs")), { code: "ENOENT" });
    assert.equal(mirror[".codebase/state.json"], "{}");
    assert.equal(mirror[".git/HEAD"], "ref: refs/heads/main\n");
    assert.equal(mirror["sub/.git/config"], "x");
  });

  it("a path that turns from a file into a folder is replaced", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "thing": "a file\n" });
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    await fs.rm(path.join(h.ws, "thing"));
    await writeFiles(h.ws, { "thing/inside.ts": "now a folder\n" });
    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal(r.sent, 1);
    assert.equal(r.deleted, 1);
    assert.deepEqual(await snapshot(path.join(h.reposDir, "demo")), { "thing/inside.ts": "now a folder\n" });
  });

  it("a change sync sends just the changed paths, deletes the gone ones and leaves every other file alone", async () => {
    h = await startHarness();
    await writeFiles(h.ws, WORKSPACE);
    const cache = new Map();
    await syncOnce({ url: h.url, repo: "demo", root: h.ws, cache });
    await writeFiles(h.ws, { "src/app.ts": "export const app = 7;\n", "more.log": "ignored\n", "node_modules/x/y.js": "excluded\n" });
    await fs.rm(path.join(h.ws, "docs/guide.md"));
    const paths = ["src/app.ts", "docs/guide.md", "more.log", "node_modules/x/y.js", "README.md"];
    const r = await syncChanges({ url: h.url, repo: "demo", root: h.ws, cache, paths });
    assert.equal(r.sent, 1);
    assert.equal(r.deleted, 1);
    assert.equal(r.files, 2, "README.md is listed (unchanged), the ignored and excluded paths are not");
    assert.ok(r.wireBytes < 1500, `a one-file change costs about the file, not the workspace (${r.wireBytes} bytes)`);
    const mirror = await snapshot(path.join(h.reposDir, "demo"));
    assert.deepEqual(Object.keys(mirror).sort(), [".gitignore", "README.md", "src/app.ts", "src/lib/util.ts"]);
    assert.equal(mirror["src/app.ts"], "export const app = 7;\n");
    const full = await syncOnce({ url: h.url, repo: "demo", root: h.ws, cache });
    assert.equal(full.sent + full.deleted, 0, "a full sync afterwards finds nothing left to do");
  });

  it("large workspaces go in several batches and every file arrives", async () => {
    h = await startHarness();
    const files: Record<string, string> = {};
    for (let i = 0; i < 25; i++) files[`f/${i}.txt`] = `file ${i}\n`;
    await writeFiles(h.ws, files);
    const uploads: number[] = [];
    const r = await syncOnce({ url: h.url, repo: "demo", root: h.ws, batchFiles: 4, onProgress: (p) => p.phase === "upload" && uploads.push(p.filesDone) });
    assert.equal(r.sent, 25);
    assert.deepEqual(uploads, [4, 8, 12, 16, 20, 24, 25]);
    assert.deepEqual(await snapshot(path.join(h.reposDir, "demo")), files);
  });

  it("executable files keep their executable bit", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "run.sh": "#!/bin/sh\necho hi\n", "plain.txt": "x" });
    await fs.chmod(path.join(h.ws, "run.sh"), 0o755);
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    assert.equal((await fs.stat(path.join(h.reposDir, "demo/run.sh"))).mode & 0o111, 0o111);
    assert.equal((await fs.stat(path.join(h.reposDir, "demo/plain.txt"))).mode & 0o111, 0);
  });

  it("a batch reads each file as it is now: hard links whole, a symlink or FIFO that replaced a file not followed, a gone file left out", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.ts": "a\n", "run.sh": "#!/bin/sh\n", "was-file.ts": "x\n", "gone.ts": "g\n", "pipe": "p\n" });
    await writeFiles(h.tmp, { "outside.txt": "outside the workspace\n" });
    await fs.chmod(path.join(h.ws, "run.sh"), 0o755);
    await fs.link(path.join(h.ws, "a.ts"), path.join(h.ws, "a-link.ts"));
    await fs.rm(path.join(h.ws, "was-file.ts"));
    await fs.symlink(path.join(h.tmp, "outside.txt"), path.join(h.ws, "was-file.ts"));
    await fs.rm(path.join(h.ws, "gone.ts"));
    await fs.rm(path.join(h.ws, "pipe"));
    const fifo = spawnSync("mkfifo", [path.join(h.ws, "pipe")]).status === 0; // no mkfifo on Windows: "pipe" is gone
    const { files, unsent } = await readTarFiles(h.ws, ["a.ts", "a-link.ts", "run.sh", "was-file.ts", "gone.ts", "pipe", "../outside.txt"]);
    assert.deepEqual(files.map((f) => [f.path, f.data.toString(), !!f.executable]), [["a.ts", "a\n", false], ["a-link.ts", "a\n", false], ["run.sh", "#!/bin/sh\n", true]]);
    assert.deepEqual(unsent, [{ path: "was-file.ts", reason: "symlink" }, { path: "gone.ts", reason: "vanished" }, { path: "pipe", reason: fifo ? "special" : "vanished" }, { path: "../outside.txt", reason: "unsafe-name" }]);
  });

  it("concurrent uploads to one repo are applied one after the other and all land", async () => {
    h = await startHarness();
    const contents = Array.from({ length: 12 }, (_, i) => `content ${i}\n`);
    const need = await postManifest(h.url, "demo", contents.map((c, i) => entryFor(`c/${i}.txt`, c)));
    assert.equal((need.body.need as string[]).length, 12);
    const archives = await Promise.all(contents.map((c, i) => tarGz([{ path: `c/${i}.txt`, data: Buffer.from(c) }])));
    const answers = await Promise.all(archives.map((a) => postUpload(h!.url, "demo", a)));
    assert.deepEqual(answers.map((a) => a.status), contents.map(() => 200));
    const mirror = await snapshot(path.join(h.reposDir, "demo"));
    contents.forEach((c, i) => assert.equal(mirror[`c/${i}.txt`], c));
    assert.deepEqual(await fs.readdir(path.join(h.reposDir, ".context-engine-tmp")), []);
  });
});

describe("uploader auth", () => {
  it("with CONTEXT_ENGINE_TOKEN set, /sync routes need the bearer token and /health stays open", async () => {
    h = await startHarness({ token: "s3cret" });
    await writeFiles(h.ws, { "a.txt": "a" });
    assert.equal((await fetch(h.url + "/health")).status, 200);

    const none = await postManifest(h.url, "demo", []);
    assert.equal(none.status, 401);
    assert.match(none.body.error ?? "", /Authorization: Bearer/);
    const wrong = await postManifest(h.url, "demo", [], { authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    const upload = await postUpload(h.url, "demo", await tarGz([{ path: "a.txt", data: Buffer.from("a") }]));
    assert.equal(upload.status, 401);

    await assert.rejects(syncOnce({ url: h.url, repo: "demo", root: h.ws }), (e: unknown) => e instanceof SyncClientError && e.status === 401);
    await assert.rejects(syncOnce({ url: h.url, repo: "demo", root: h.ws, token: "wrong" }), /401/);
    const ok = await syncOnce({ url: h.url, repo: "demo", root: h.ws, token: "s3cret" });
    assert.equal(ok.sent, 1);
  });

  it("without a token configured, no Authorization header is needed", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "a" });
    assert.equal((await syncOnce({ url: h.url, repo: "demo", root: h.ws })).sent, 1);
  });
});

describe("uploader request checks", () => {
  it("an invalid repo name is refused with the rule", async () => {
    h = await startHarness();
    for (const bad of ["Bad_Name", "a.b", "-x", "a/b", "a".repeat(64)]) {
      const r = await postManifest(h.url, encodeURIComponent(bad), []);
      assert.equal(r.status, 400, bad);
      assert.match(r.body.error ?? "", /lowercase letters, digits or '-'/);
    }
    assert.deepEqual(await fs.readdir(h.reposDir), [".context-engine-tmp"]);
  });

  it("a manifest with an unsafe path is refused", async () => {
    h = await startHarness();
    for (const p of ["../escape.txt", "/etc/passwd", "a/../../b", ".git/config", "C:/x"]) {
      const r = await postManifest(h.url, "demo", [{ ...entryFor("x", "x"), path: p }]);
      assert.equal(r.status, 400, p);
      assert.match(r.body.error ?? "", /files\[0\]\.path/);
    }
  });

  it("a manifest larger than the limit is refused with 413, also when gzip hides its size", async () => {
    h = await startHarness({ limits: { maxManifestBytes: 2000 } });
    const files = Array.from({ length: 40 }, (_, i) => entryFor(`file-${i}.txt`, `${i}`));
    const plain = await postManifest(h.url, "demo", files);
    assert.equal(plain.status, 413);
    assert.match(plain.body.error ?? "", /larger than 2000 bytes/);
    const packed = gzipSync(JSON.stringify({ files }));
    assert.ok(packed.length < 2000);
    const res = await fetch(`${h.url}/sync/demo/manifest`, { method: "POST", body: packed, headers: { "content-encoding": "gzip", "content-type": "application/json" } });
    assert.equal(res.status, 413);
  });

  it("an upload body larger than the limit is refused with 413 and nothing is written", async () => {
    h = await startHarness({ limits: { maxArchiveBytes: 1000 } });
    const data = Buffer.from(randomBytes(3000).toString("hex"));
    await postManifest(h.url, "demo", [entryFor("big.txt", data.toString())]);
    const r = await postUpload(h.url, "demo", await tarGz([{ path: "big.txt", data }]));
    assert.equal(r.status, 413);
    assert.deepEqual(await snapshot(h.reposDir), {});
  });

  it("a chunked upload body (no Content-Length) is cut off with 413 once it passes the limit", async () => {
    h = await startHarness({ limits: { maxArchiveBytes: 64 * 1024 } });
    const m = await postManifest(h.url, "demo", [entryFor("a.txt", "a")]);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1024 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(randomBytes(16 * 1024));
      },
    });
    const res = await fetch(`${h.url}/sync/demo/upload`, { method: "POST", body, headers: { "content-type": "application/gzip", "x-upload-id": String(m.body.upload_id) }, duplex: "half" } as RequestInit);
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /larger than 65536 bytes/);
    assert.deepEqual(await snapshot(h.reposDir), {});
  });

  it("an uploader that asks for a file the scan did not list gets none of it", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "a", "debug.log": "not synced", ".gitignore": "*.log\n" });
    await writeFiles(h.tmp, { "outside.txt": "outside the workspace" });
    const sent: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.url?.endsWith("/manifest")) return res.end(JSON.stringify({ need: ["a.txt", "../outside.txt", "debug.log"], delete: [], upload_id: "u" }));
        const tarData = gunzipSync(Buffer.concat(chunks));
        for (let at = 0; at + 512 <= tarData.length && tarData[at] !== 0; ) {
          const name = tarData.subarray(at, at + 100).toString().replace(/\0.*$/s, "");
          const size = parseInt(tarData.subarray(at + 124, at + 136).toString().trim(), 8) || 0;
          sent.push(name);
          at += 512 + Math.ceil(size / 512) * 512;
        }
        res.end(JSON.stringify({ written: sent.length, deleted: 0, bytes: 0 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      await syncOnce({ url: `http://127.0.0.1:${port}`, repo: "demo", root: h.ws });
      assert.deepEqual(sent, ["a.txt"]);
    } finally {
      server.close();
    }
  });

  it("an unreachable uploader gives an error that says where it looked", async () => {
    h = await startHarness();
    const url = h.url;
    await h.server.close();
    await writeFiles(h.ws, { "a.txt": "a" });
    await assert.rejects(syncOnce({ url, repo: "demo", root: h.ws }), /could not reach the uploader at http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED/);
  });
});
