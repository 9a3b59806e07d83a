// An upload that fails half-way (a disk failing under the uploader cannot be made to happen here, so one rename is
// made to fail, as ENOSPC would) leaves the repo exactly as it was: deletions, replaced files and new folders undone.
import assert from "node:assert/strict";
import fsp from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";
import { syncOnce } from "../../server/src/sync/client.ts";
import { tarGz } from "../../server/src/sync/tar-writer.ts";
import { entryFor, postManifest, postUpload, snapshot, startHarness, writeFiles, type Harness } from "../integration/sync-helpers.ts";

describe("an upload failing half-way is undone", () => {
  let h: Harness | undefined;
  const realRename = fsp.rename;
  after(async () => {
    fsp.rename = realRename;
    await h?.close();
  });

  it("a rename failing after others succeeded leaves the tree as before the upload", async () => {
    h = await startHarness();
    await writeFiles(h.ws, { "a.txt": "old a\n", "c.txt": "c\n", "keep/k.txt": "k\n" });
    await syncOnce({ url: h.url, repo: "demo", root: h.ws });
    const files = [
      { path: "a.txt", data: Buffer.from("new a\n") },
      ...Array.from({ length: 12 }, (_, i) => ({ path: `n${i}.txt`, data: Buffer.from(`n${i}\n`) })),
      { path: "sub/deeper/new.txt", data: Buffer.from("new\n") },
      { path: "zz/fail-here.txt", data: Buffer.from("never\n") },
    ];
    const m = await postManifest(h.url, "demo", files.map((f) => entryFor(f.path, f.data.toString())), {}, { complete: false, deleted: ["c.txt"] });
    assert.equal(m.status, 200);
    const before = await snapshot(h.reposDir);
    let renamed = 0;
    fsp.rename = (async (from: string, to: string) => {
      if (String(to).endsWith("fail-here.txt")) {
        // Fail only once most other renames went through, so there is something to undo.
        while (renamed < 8) await new Promise((r) => setImmediate(r));
        throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${from}' -> '${to}'`), { code: "ENOSPC" });
      }
      renamed++;
      return realRename(from, to);
    }) as typeof fsp.rename;
    const r = await postUpload(h.url, "demo", await tarGz(files, ["c.txt"], 1));
    fsp.rename = realRename;
    assert.equal(r.status, 500, JSON.stringify(r.body));
    assert.match(r.body.error ?? "", /no space left/);
    assert.deepEqual(await snapshot(h.reposDir), before);
    // Nothing is left staged either, and the same upload goes through once the disk is back.
    const again = await postManifest(h.url, "demo", files.map((f) => entryFor(f.path, f.data.toString())), {}, { complete: false, deleted: ["c.txt"] });
    const ok = await postUpload(h.url, "demo", await tarGz(files, ["c.txt"], 1), { "x-upload-id": String(again.body.upload_id) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await fsp.readFile(path.join(h.reposDir, "demo", "a.txt"), "utf8"), "new a\n");
  });
});
