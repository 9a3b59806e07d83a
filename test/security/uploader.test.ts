// The uploader against a web page and against its own clients: no cross-site write or delete, a manifest is checked
// whole and applied all or nothing, and concurrent clients of one repo each get their own upload session.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { syncOnce } from "../../server/src/sync/client.ts";
import { tarGz } from "../../server/src/sync/tar-writer.ts";
import { entryFor, postManifest, postUpload, snapshot, startHarness, writeFiles, type Harness } from "../integration/sync-helpers.ts";
import { rawRequest } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A repo "demo" synced with a.txt and b.txt. */
async function synced(): Promise<Harness> {
  h = await startHarness();
  await writeFiles(h.ws, { "a.txt": "a\n", "b.txt": "b\n" });
  await syncOnce({ url: h.url, repo: "demo", root: h.ws });
  return h;
}

describe("the uploader refuses what a web page can send", () => {
  it("a cross-site manifest and upload (foreign Host, Origin, text/plain) write and delete nothing", async () => {
    const harness = await synced();
    const before = await snapshot(harness.reposDir);
    const port = harness.server.port;
    const manifest = JSON.stringify({ files: [entryFor("evil.txt", "pwned\n")], complete: false, deleted: ["a.txt"] });
    const archive = await tarGz([{ path: "evil.txt", data: Buffer.from("pwned\n") }], ["a.txt"], 1);
    const shapes: Record<string, string>[] = [
      { host: "evil.example", "content-type": "application/json" },
      { host: `127.0.0.1.evil.example:${port}`, "content-type": "application/json" },
      { host: `127.0.0.1:${port}`, origin: "http://evil.example", "content-type": "application/json" },
      { host: `localhost:${port}`, origin: `http://localhost:${port}`, "content-type": "application/json" },
      { host: `127.0.0.1:${port}`, "content-type": "text/plain" },
      { host: `127.0.0.1:${port}`, "content-type": "application/x-www-form-urlencoded" },
      { host: `127.0.0.1:${port}` },
    ];
    for (const headers of shapes) {
      const m = await rawRequest(port, { method: "POST", path: "/sync/demo/manifest", headers, body: manifest });
      assert.ok(m.status === 403 || m.status === 415, `manifest ${JSON.stringify(headers)} answered ${m.status} ${m.body}`);
      const up = await rawRequest(port, { method: "POST", path: "/sync/demo/upload", headers: { ...headers, "content-type": headers["content-type"] === "application/json" ? "application/gzip" : headers["content-type"] ?? "" }, body: archive });
      assert.ok(up.status >= 400 && up.status < 500, `upload ${JSON.stringify(headers)} answered ${up.status} ${up.body}`);
    }
    assert.deepEqual(await snapshot(harness.reposDir), before);
  });

  it("an upload deletes only what its manifest listed for deletion", async () => {
    const harness = await synced();
    const m = await postManifest(harness.url, "demo", [entryFor("c.txt", "c\n")], {}, { complete: false });
    assert.deepEqual(m.body.delete, []);
    const sneaky = await postUpload(harness.url, "demo", await tarGz([{ path: "c.txt", data: Buffer.from("c\n") }], ["a.txt"], 1));
    assert.equal(sneaky.status, 400, JSON.stringify(sneaky.body));
    assert.match(sneaky.body.error ?? "", /"a.txt" was not listed for deletion/);
    assert.equal(await fs.readFile(path.join(harness.reposDir, "demo", "a.txt"), "utf8"), "a\n");
    const listed = await postManifest(harness.url, "demo", [], {}, { complete: false, deleted: ["a.txt", "never-there.txt"] });
    assert.deepEqual(listed.body.delete, ["a.txt"]);
    const ok = await postUpload(harness.url, "demo", await tarGz([], ["a.txt"], 1));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.deleted, 1);
  });

  it("an upload without the id of a manifest answer, or with an unknown one, is refused before its body is read", async () => {
    const harness = await synced();
    const body = await tarGz([{ path: "c.txt", data: Buffer.from("c\n") }], [], 1);
    const none = await rawRequest(harness.server.port, { method: "POST", path: "/sync/demo/upload", headers: { "content-type": "application/gzip" }, body });
    assert.equal(none.status, 400);
    assert.match(none.body, /x-upload-id/);
    const unknown = await postUpload(harness.url, "demo", body, { "x-upload-id": "not-a-session" });
    assert.equal(unknown.status, 409);
    assert.match(unknown.body.error ?? "", /unknown or expired/);
  });
});

describe("a manifest is checked whole and an upload applied all or nothing", () => {
  it("a manifest naming a path both as a file and as a folder is refused", async () => {
    const harness = await synced();
    const r = await postManifest(harness.url, "demo", [entryFor("z.txt", "z"), entryFor("a", "x"), entryFor("a/b", "y")]);
    assert.equal(r.status, 400);
    assert.match(r.body.error ?? "", /lists a as a file and a\/b inside it as a folder/);
    const both = await postManifest(harness.url, "demo", [entryFor("z.txt", "z")], {}, { complete: false, deleted: ["z.txt"] });
    assert.equal(both.status, 400);
  });

  it("a file that would replace a folder on the server refuses the whole upload: nothing else is written or deleted", async () => {
    const harness = await synced();
    await writeFiles(path.join(harness.reposDir, "demo"), { "d/keep.txt": "kept\n" });
    const m = await postManifest(harness.url, "demo", [entryFor("z.txt", "z\n"), entryFor("d", "file now\n")], {}, { complete: false, deleted: ["b.txt"] });
    assert.deepEqual([...(m.body.need as string[])].sort(), ["d", "z.txt"]);
    const before = await snapshot(harness.reposDir);
    const r = await postUpload(harness.url, "demo", await tarGz([{ path: "z.txt", data: Buffer.from("z\n") }, { path: "d", data: Buffer.from("file now\n") }], ["b.txt"], 1));
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error ?? "", /nothing was changed.*d: a folder of that name exists/);
    assert.deepEqual(await snapshot(harness.reposDir), before);
  });
});

describe("concurrent clients of one repo", () => {
  it("twelve writers, each with its own manifest and upload, all land", async () => {
    h = await startHarness();
    const harness = h;
    const writers = Array.from({ length: 12 }, (_, i) => ({ path: `w${i}.txt`, data: `writer ${i}\n` }));
    const manifests = await Promise.all(writers.map((w) => fetch(`${harness.url}/sync/demo/manifest`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ files: [entryFor(w.path, w.data)], complete: false }),
    }).then((r) => r.json() as Promise<{ need: string[]; upload_id: string }>)));
    const uploads = await Promise.all(writers.map(async (w, i) => {
      const res = await fetch(`${harness.url}/sync/demo/upload`, {
        method: "POST", headers: { "content-type": "application/gzip", "x-upload-id": manifests[i]!.upload_id }, body: await tarGz([{ path: w.path, data: Buffer.from(w.data) }], [], 1),
      });
      return { status: res.status, body: await res.text() };
    }));
    for (const u of uploads) assert.equal(u.status, 200, u.body);
    const tree = await snapshot(path.join(harness.reposDir, "demo"));
    assert.deepEqual(tree, Object.fromEntries(writers.map((w) => [w.path, w.data])));
  });
});
