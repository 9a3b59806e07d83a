// The upload client's view of a workspace: ignore rules at any depth, built-in excludes, skips with reasons, hash cache.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PathFilter, scanPaths, scanWorkspace, type HashCache, type SkipReason } from "../../server/src/sync/workspace-scan.ts";

let root: string;

async function write(rel: string, content: string | Buffer): Promise<void> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
}

const TREE: Record<string, string | Buffer> = {
  "src/app.ts": "app\n",
  "src/gen/out.ts": "generated\n",
  "src/gen/keep.ts": "kept by a negation\n",
  "src/.gitignore": "gen/*\n!gen/keep.ts\n",
  ".gitignore": "*.log\n/tmp/\n",
  ".contextignore": "fixtures/big/\n",
  "app.log": "ignored by root .gitignore\n",
  "src/deep/trace.log": "ignored at depth by a root pattern\n",
  "tmp/x.txt": "anchored ignore\n",
  "lib/tmp/y.txt": "not anchored, kept\n",
  "fixtures/big/data.txt": "ignored by .contextignore\n",
  "fixtures/small.txt": "kept\n",
  "node_modules/dep/index.js": "excluded\n",
  "pkg/node_modules/dep/index.js": "excluded at depth\n",
  "dist/bundle.js": "excluded\n",
  "build/out.js": "excluded\n",
  ".venv/lib/site.py": "excluded\n",
  "env-custom/pyvenv.cfg": "home = /usr\n",
  "env-custom/lib/site.py": "a virtualenv by its marker\n",
  ".codebase/state.json": "{}",
  ".git/HEAD": "ref\n",
  "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]),
  "data.dat": Buffer.from([0x41, 0x00, 0x42]),
  "docs/readme.md": "# docs\n",
};

const SYNCED = [".contextignore", ".gitignore", "docs/readme.md", "fixtures/small.txt", "lib/tmp/y.txt", "src/.gitignore", "src/app.ts", "src/gen/keep.ts"];

describe("scanWorkspace", () => {
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "ce-scan-"));
    for (const [rel, content] of Object.entries(TREE)) await write(rel, content);
    await fs.symlink("/etc", path.join(root, "etc-link"));
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  it("lists exactly the files the ignore rules and built-in excludes leave, sorted, with sha256 and size", async () => {
    const skipped: [string, SkipReason][] = [];
    const files = await scanWorkspace(root, { onSkip: (p, r) => skipped.push([p, r]) });
    assert.deepEqual(files.map((f) => f.path), SYNCED);
    const app = files.find((f) => f.path === "src/app.ts");
    assert.deepEqual(app, { path: "src/app.ts", sha256: createHash("sha256").update("app\n").digest("hex"), size: 4 });
    assert.deepEqual(skipped.sort(), [["data.dat", "binary"], ["etc-link", "symlink"], ["logo.png", "binary"]]);
  });

  it("extra excludes apply on top of the files' rules", async () => {
    const files = await scanWorkspace(root, { extraExcludes: ["docs/", "*.txt"] });
    assert.deepEqual(files.map((f) => f.path), [".contextignore", ".gitignore", "src/.gitignore", "src/app.ts", "src/gen/keep.ts"]);
  });

  it("files over the size limit are skipped as too-large", async () => {
    const skipped: string[] = [];
    const files = await scanWorkspace(root, { maxFileBytes: 10, onSkip: (p, r) => r === "too-large" && skipped.push(p) });
    assert.deepEqual(files.map((f) => f.path), ["docs/readme.md", "fixtures/small.txt", "src/app.ts"]);
    assert.ok(skipped.includes("src/gen/keep.ts"));
  });

  it("with a cache, a file whose size and mtime did not change is not read again", async () => {
    const cache: HashCache = new Map();
    const abs = path.join(root, "src/app.ts");
    const stamp = 1_700_000_000; // whole seconds: restorable exactly
    await fs.utimes(abs, stamp, stamp);
    const first = await scanWorkspace(root, { cache });
    await fs.writeFile(abs, "APP\n"); // same size...
    await fs.utimes(abs, stamp, stamp); // ...and the same mtime: only a re-read would notice
    const second = await scanWorkspace(root, { cache });
    assert.deepEqual(second, first);
    await fs.utimes(abs, stamp, stamp + 5);
    const third = await scanWorkspace(root, { cache });
    assert.equal(third.find((f) => f.path === "src/app.ts")?.sha256, createHash("sha256").update("APP\n").digest("hex"));
    await fs.writeFile(abs, "app\n");
  });
});

describe("PathFilter and scanPaths (the watch loop's single paths)", () => {
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "ce-filter-"));
    for (const [rel, content] of Object.entries(TREE)) await write(rel, content);
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  it("decides every path of the tree exactly as a full scan does", async () => {
    const filter = new PathFilter(root);
    const included: string[] = [];
    // Content sniffing (binary files) happens after the filter, so only the text files are compared.
    const textPaths = Object.keys(TREE).filter((p) => !(TREE[p] instanceof Buffer));
    for (const rel of textPaths) if (await filter.includes(rel)) included.push(rel);
    const scanned = (await scanWorkspace(root)).map((f) => f.path);
    assert.deepEqual(included.sort(), scanned.sort());
  });

  it("scanPaths hashes the included paths and reports the missing ones as gone", async () => {
    const filter = new PathFilter(root);
    const r = await scanPaths(root, ["src/app.ts", "src/gen/out.ts", "gone/file.ts", "node_modules/dep/index.js", "src/app.ts"], filter);
    assert.deepEqual(r.files.map((f) => f.path), ["src/app.ts"]);
    assert.deepEqual(r.gone, ["gone/file.ts"]);
  });

  it("after clear(), an edited ignore file takes effect", async () => {
    const filter = new PathFilter(root);
    assert.equal(await filter.includes("docs/readme.md"), true);
    await write("docs/.contextignore", "readme.md\n");
    assert.equal(await filter.includes("docs/readme.md"), true, "cached until cleared");
    filter.clear();
    assert.equal(await filter.includes("docs/readme.md"), false);
    await fs.rm(path.join(root, "docs/.contextignore"));
  });
});
