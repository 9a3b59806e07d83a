// Hostile uploads: each archive is refused whole with a 400 that says why, and nothing on disk changes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { createGzip, gzipSync } from "node:zlib";
import * as tar from "tar";
import { syncOnce } from "../../server/src/sync/client.ts";
import type { SyncLimits } from "../../server/src/sync/protocol.ts";
import { tarBuffer } from "../../server/src/sync/tar-writer.ts";
import { entryFor, postManifest, postUpload, rawEntry, rawTarGz, snapshot, startHarness, writeFiles, type Harness } from "./sync-helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NEW_A = "the new content of a\n";

/** A repo already synced once, then a manifest asking for a.txt (new content) and `extra` paths. */
async function primed(extra: string[] = [], limits?: Partial<SyncLimits>): Promise<Harness> {
  h = await startHarness({ limits });
  await writeFiles(h.ws, { "a.txt": "old a\n", "keep/b.txt": "b\n" });
  await syncOnce({ url: h.url, repo: "demo", root: h.ws });
  const m = await postManifest(h.url, "demo", [entryFor("a.txt", NEW_A), entryFor("keep/b.txt", "b\n"), ...extra.map((p) => entryFor(p, "x"))]);
  assert.equal(m.status, 200);
  assert.deepEqual((m.body.need as string[]).sort(), ["a.txt", ...extra].sort());
  return h;
}

/** The legitimate first entry of every hostile archive: if anything were applied, a.txt would change. */
const goodEntry = () => rawEntry({ path: "a.txt", type: "File", size: Buffer.byteLength(NEW_A) }, Buffer.from(NEW_A));

async function expectRejected(archive: Buffer, reason: RegExp): Promise<void> {
  const harness = h as Harness;
  const before = await snapshot(harness.tmp);
  const r = await postUpload(harness.url, "demo", archive);
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.match(r.body.error ?? "", /^Upload rejected, nothing was written: /);
  assert.match(r.body.error ?? "", reason);
  assert.deepEqual(await snapshot(harness.tmp), before);
  assert.equal(await fs.readFile(path.join(harness.reposDir, "demo/a.txt"), "utf8"), "old a\n");
}

describe("hostile archives are rejected whole and write nothing", () => {
  it("an entry climbing out with ../", async () => {
    await primed();
    const body = Buffer.from("escaped\n");
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "../../escaped.txt", type: "File", size: body.length }, body)), /climbs out of the repo/);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "keep/../../../escaped.txt", type: "File", size: body.length }, body)), /climbs out/);
  });

  it("a ../ path hidden in a pax extended header", async () => {
    await primed(["innocent.txt"]);
    const body = Buffer.from("escaped\n");
    const pax = new tar.Pax({ path: "../../escaped.txt" }).encode();
    await expectRejected(rawTarGz(goodEntry(), pax, rawEntry({ path: "innocent.txt", type: "File", size: body.length }, body)), /"\.\.\/\.\.\/escaped\.txt".*climbs out/);
  });

  it("an absolute path", async () => {
    await primed();
    const outside = path.join(os.tmpdir(), `ce-escaped-${randomBytes(4).toString("hex")}.txt`);
    const body = Buffer.from("escaped\n");
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: outside, type: "File", size: body.length }, body)), /absolute/);
    await assert.rejects(fs.stat(outside), { code: "ENOENT" });
  });

  it("a symlink to /etc, made by the tar package from a real symlink", async () => {
    await primed(["etc-link"]);
    const src = path.join(h!.tmp, "src");
    await writeFiles(src, { "a.txt": NEW_A });
    await fs.symlink("/etc", path.join(src, "etc-link"));
    const archive = await streamToBuffer(tar.c({ gzip: true, cwd: src, portable: true }, ["a.txt", "etc-link"]));
    await expectRejected(archive, /"etc-link" is a symbolic link/);
  });

  it("a hard link, to a file of the archive or outside it", async () => {
    // Crafted, not packed: tar's packer fails at random on hard-linked files (Z_STREAM_ERROR, "write after end").
    await primed(["a2.txt"]);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "a2.txt", type: "Link", linkpath: "a.txt" })), /"a2.txt" is a hard link/);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "a2.txt", type: "Link", linkpath: "/etc/passwd" })), /hard link/);
  });

  it("device and FIFO entries", async () => {
    await primed(["dev"]);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "dev", type: "CharacterDevice", devmaj: 1, devmin: 3 })), /"dev" is a device/);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "dev", type: "BlockDevice", devmaj: 8, devmin: 0 })), /is a device/);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "dev", type: "FIFO" })), /is a FIFO/);
  });

  it("a GNU sparse entry declaring 1 GB", async () => {
    await primed(["sparse.bin"]);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "sparse.bin", type: "SparseFile", size: 1024 ** 3 })), /sparse file/);
  });

  it("a tar bomb: 1 GB of zeros in one entry, refused from its header", async () => {
    await primed();
    await expectRejected(await bomb(1024 ** 3), /"bomb.txt" is 1073741824 bytes; the limit per file is 16777216 bytes/);
  });

  it("zeros after the end of the archive (a gzip bomb the entries do not declare)", async () => {
    await primed();
    const tarData = Buffer.concat([goodEntry(), Buffer.alloc(1024), Buffer.alloc(64 * 1024 * 1024)]);
    await expectRejected(gzipSync(tarData, { level: 9 }), /inflates to more data than its entries declare/);
  });

  it("more entries than the cap", async () => {
    const names = ["e1", "e2", "e3", "e4"];
    await primed(names, { maxEntries: 6 });
    const x = Buffer.from("x");
    const files = names.map((n) => rawEntry({ path: n, type: "File", size: 1 }, x));
    const dirs = ["d1/", "d2/"].map((d) => rawEntry({ path: d, type: "Directory", mode: 0o755 }));
    await expectRejected(rawTarGz(goodEntry(), ...files, ...dirs), /more than 6 entries/);
  });

  it("files over the per-file cap or adding up to more than the total cap", async () => {
    await primed(["big1", "big2", "big3"], { maxFileBytes: 100, maxTotalBytes: 150 });
    const sixty = Buffer.alloc(60, 0x61);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "big1", type: "File", size: 101 }, Buffer.alloc(101, 0x61))), /"big1" is 101 bytes; the limit per file is 100/);
    await expectRejected(
      rawTarGz(goodEntry(), ...["big1", "big2", "big3"].map((p) => rawEntry({ path: p, type: "File", size: 60 }, sixty))),
      /add up to more than 150 bytes/,
    );
  });

  it("a path the last manifest did not ask for", async () => {
    await primed();
    const body = Buffer.from("sneaky\n");
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "keep/b.txt", type: "File", size: body.length }, body)), /"keep\/b.txt" was not asked for by this upload's manifest/);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "new.txt", type: "File", size: body.length }, body)), /not asked for/);
  });

  it("a write into .git/ or .codebase/", async () => {
    await primed();
    const body = Buffer.from("#!/bin/sh\n");
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: ".git/hooks/post-checkout", type: "File", size: body.length }, body)), /inside \.git\//);
    await expectRejected(rawTarGz(goodEntry(), rawEntry({ path: "sub/.codebase/state.json", type: "File", size: body.length }, body)), /inside \.codebase\//);
  });

  it("a deletions list that climbs out, is not JSON, or also sends the path", async () => {
    await primed();
    const dels = (value: unknown) => {
      const body = Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
      return rawEntry({ path: ".context-engine-deletions.json", type: "File", size: body.length }, body);
    };
    await expectRejected(rawTarGz(goodEntry(), dels(["../../repos-victim.txt"])), /deletion "\.\.\/\.\.\/repos-victim\.txt"/);
    await expectRejected(rawTarGz(goodEntry(), dels(["keep/b.txt"])), /"keep\/b.txt" was not listed for deletion by this upload's manifest/);
    await expectRejected(rawTarGz(goodEntry(), dels(["/etc/passwd"])), /absolute/);
    await expectRejected(rawTarGz(goodEntry(), dels("{not json")), /not valid JSON/);
    await expectRejected(rawTarGz(goodEntry(), dels({ path: "keep/b.txt" })), /JSON array/);
    await expectRejected(rawTarGz(goodEntry(), dels(["a.txt"])), /"a.txt" was not listed for deletion/);
  });

  it("a duplicated entry", async () => {
    await primed();
    await expectRejected(rawTarGz(goodEntry(), goodEntry()), /"a.txt" appears twice/);
  });

  it("a body that is not gzip, a gzip inside the gzip, a bad checksum, a truncated archive", async () => {
    await primed(["keep/c.txt"]);
    await expectRejected(Buffer.from("just some text, not an archive"), /not a valid gzip stream/);
    await expectRejected(gzipSync(gzipSync(tarBuffer([{ path: "a.txt", data: Buffer.from(NEW_A) }]))), /compressed again/);
    const corrupt = Buffer.concat([goodEntry(), Buffer.alloc(1024)]);
    corrupt[150] ^= 0xff; // inside the checksum field
    await expectRejected(gzipSync(corrupt), /tar data is invalid/);
    const whole = Buffer.concat([goodEntry(), rawEntry({ path: "keep/c.txt", type: "File", size: 4000 }, Buffer.alloc(4000, 0x63))]);
    await expectRejected(gzipSync(whole.subarray(0, whole.length - 2000)), /Truncated input/);
    const gz = gzipSync(Buffer.concat([whole, Buffer.alloc(1024)]));
    await expectRejected(gz.subarray(0, gz.length - 10), /not a valid gzip stream/);
  });

  it("a symlinked folder planted in the repo folder cannot carry writes or deletions outside", async () => {
    await primed(["out/new.txt"]);
    const outside = path.join(h!.tmp, "outside");
    await writeFiles(outside, { "victim.txt": "precious\n" });
    await fs.symlink(outside, path.join(h!.reposDir, "demo", "out"));
    const body = Buffer.from("x");
    const write = await postUpload(h!.url, "demo", rawTarGz(rawEntry({ path: "out/new.txt", type: "File", size: 1 }, body)));
    assert.equal(write.status, 409);
    assert.match(write.body.error ?? "", /out on the server is a symbolic link/);
    // Asked through the link, the server neither deletes nor tells what lies outside.
    const asked = await postManifest(h!.url, "demo", [entryFor("out/victim.txt", "precious\n")], {}, { complete: false, deleted: ["out/gone.txt"] });
    assert.equal(asked.status, 200);
    assert.deepEqual(asked.body.need, ["out/victim.txt"]);
    const m = await postManifest(h!.url, "demo", [], {}, { complete: false, deleted: ["out/victim.txt"] });
    assert.deepEqual(m.body.delete, []);
    const dels = Buffer.from(JSON.stringify(["out/victim.txt"]));
    const del = await postUpload(h!.url, "demo", rawTarGz(rawEntry({ path: ".context-engine-deletions.json", type: "File", size: dels.length }, dels)));
    assert.equal(del.status, 409, JSON.stringify(del.body)); // nothing was listed: the manifest opened no upload
    assert.deepEqual(await snapshot(outside), { "victim.txt": "precious\n" });
  });

  it("after all that, a valid upload still goes through", async () => {
    await primed();
    const r = await postUpload(h!.url, "demo", rawTarGz(goodEntry()));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { written: 1, deleted: 0, bytes: Buffer.byteLength(NEW_A) });
    assert.equal(await fs.readFile(path.join(h!.reposDir, "demo/a.txt"), "utf8"), NEW_A);
  });
});

async function streamToBuffer(stream: AsyncIterable<Buffer> | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** a.txt, then an entry of `size` real zero bytes, gzip'd as a stream (a few MB on the wire). */
async function bomb(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 1 });
  const out = streamToBuffer(gz);
  const write = async (b: Buffer) => {
    if (!gz.write(b)) await new Promise((r) => gz.once("drain", r));
  };
  await write(goodEntry());
  await write(rawEntry({ path: "bomb.txt", type: "File", size }).subarray(0, 512));
  const mb = Buffer.alloc(1024 * 1024);
  for (let done = 0; done < size; done += mb.length) await write(mb.subarray(0, Math.min(mb.length, size - done)));
  await write(Buffer.alloc(1024));
  gz.end();
  return out;
}
