import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { discoverFiles, IgnoreRules, kindOf, languageOf, readSource } from "../../server/src/files/index.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

const MiB = 1024 * 1024;

describe("file discovery", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, {
      ".gitignore": "*.log\nbuild-output/\n!keep.log\n",
      "src/app.ts": "export const a = 1;\n",
      "src/debug.log": "noise",
      "keep.log": "kept by negation",
      "build-output/x.js": "x",
      "src/sub/.gitignore": "secret.ts\n",
      "src/sub/secret.ts": "hidden",
      "src/sub/open.ts": "visible",
      "src/other/secret.ts": "not ignored: the rule is local to src/sub",
      ".contextignore": "fixtures/\n",
      "fixtures/big.json": "{}",
      "node_modules/lib/index.js": "x",
      ".git/config": "x",
      ".codebase/index.db": "x",
      "dist/out.js": "x",
      "venv/lib/site.py": "x",
      "package-lock.json": "{}",
      "static/app.min.js": "x",
      "models/weights.safetensors": "x",
      "img/logo.png": "x",
    });
  });
  after(() => cleanup());

  it("honours nested .gitignore files, negations, .contextignore and the built-in excludes", () => {
    const { files } = discoverFiles(dir, { maxFileBytes: MiB });
    assert.deepEqual(
      files.map((f) => f.path),
      [".contextignore", ".gitignore", "keep.log", "src/app.ts", "src/other/secret.ts", "src/sub/.gitignore", "src/sub/open.ts"],
    );
  });

  it("skips files over the size limit and counts them with the reason", () => {
    writeFileSync(path.join(dir, "huge.txt"), Buffer.alloc(MiB + 1, 97));
    const { files, skipped } = discoverFiles(dir, { maxFileBytes: MiB });
    assert.ok(!files.some((f) => f.path === "huge.txt"));
    assert.deepEqual(skipped.find((s) => s.path === "huge.txt"), { path: "huge.txt", reason: "too-large" });
    rmSync(path.join(dir, "huge.txt"));
  });

  it("never follows symlinks, so a symlink loop cannot hang it", () => {
    mkdirSync(path.join(dir, "loop"));
    symlinkSync(dir, path.join(dir, "loop", "back"));
    symlinkSync(path.join(dir, "src", "app.ts"), path.join(dir, "link.ts"));
    const { files, skipped } = discoverFiles(dir, { maxFileBytes: MiB });
    assert.ok(!files.some((f) => f.path.startsWith("loop/")));
    assert.ok(skipped.some((s) => s.path === "loop/back" && s.reason === "symlink"));
    assert.ok(skipped.some((s) => s.path === "link.ts" && s.reason === "symlink"));
    rmSync(path.join(dir, "loop"), { recursive: true });
    rmSync(path.join(dir, "link.ts"));
  });

  it("skips special files such as FIFOs", () => {
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const { files, skipped } = discoverFiles(dir, { maxFileBytes: MiB });
    assert.ok(!files.some((f) => f.path === "pipe"));
    assert.ok(skipped.some((s) => s.path === "pipe" && s.reason === "special"));
    rmSync(path.join(dir, "pipe"));
  });

  it("re-reads ignore files after reset", () => {
    const rules = new IgnoreRules(dir);
    assert.equal(rules.ignores("src/app.ts", false), false);
    writeFileSync(path.join(dir, ".contextignore"), "fixtures/\nsrc/app.ts\n");
    assert.equal(rules.ignores("src/app.ts", false), false, "cached until reset");
    rules.reset();
    assert.equal(rules.ignores("src/app.ts", false), true);
    writeFileSync(path.join(dir, ".contextignore"), "fixtures/\n");
  });
});

describe("reading sources", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  it("refuses binary content, invalid UTF-8 and vanished files with a reason, and reads empty files", () => {
    writeTree(dir, {
      "bin.dat": Buffer.from([1, 2, 0, 3, 4]),
      "latin1.txt": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      "empty.py": "",
      "bom.py": "\ufeffprint('hi')\n",
    });
    assert.deepEqual(readSource(path.join(dir, "bin.dat"), MiB), { ok: false, reason: "binary" });
    assert.deepEqual(readSource(path.join(dir, "latin1.txt"), MiB), { ok: false, reason: "not-utf8" });
    assert.deepEqual(readSource(path.join(dir, "gone.py"), MiB), { ok: false, reason: "unreadable" });
    const empty = readSource(path.join(dir, "empty.py"), MiB);
    assert.ok(empty.ok && empty.text === "");
    const bom = readSource(path.join(dir, "bom.py"), MiB);
    assert.ok(bom.ok && bom.text === "print('hi')\n");
  });
});

describe("languages and kinds", () => {
  it("maps extensions and names to language ids", () => {
    assert.equal(languageOf("a/b.py"), "python");
    assert.equal(languageOf("x.tsx"), "tsx");
    assert.equal(languageOf("Dockerfile"), "dockerfile");
    assert.equal(languageOf("lib.rs"), "rust");
    assert.equal(languageOf("README"), "text");
  });
  it("tells tests, docs and config from code", () => {
    assert.equal(kindOf("tests/test_models.py", "python"), "test");
    assert.equal(kindOf("src/app.test.ts", "typescript"), "test");
    assert.equal(kindOf("pkg/server_test.go", "go"), "test");
    assert.equal(kindOf("README.md", "markdown"), "doc");
    assert.equal(kindOf("config/app.yaml", "yaml"), "config");
    assert.equal(kindOf("requests/models.py", "python"), "code");
  });
});
