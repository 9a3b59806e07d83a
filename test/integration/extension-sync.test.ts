// The extension's workspace sync client against the real uploader (server/src/sync/server.ts) on loopback.
import assert from "node:assert/strict";
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { silentLogger as quiet } from "../../server/src/log/index.ts";
import { startUploadServer, type UploadServer } from "../../server/src/sync/server.ts";
import { silentLogger, type Logger } from "../../extension/src/log.ts";
import { DeltaSyncClient } from "../../extension/src/sync/delta-client.ts";
import { IgnoreRules } from "../../extension/src/sync/ignore-rules.ts";
import { WorkspaceScanner } from "../../extension/src/sync/scan.ts";

function write(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p).split(path.sep).join("/"));
  }
  return out.sort();
}

interface Harness {
  root: string;
  reposDir: string;
  server: UploadServer;
  client: DeltaSyncClient;
  repoDir: string;
}

async function harness(opts: { token?: string; clientToken?: string; extraExcludes?: string[]; limits?: { maxBytes: number; maxFiles: number }; log?: Logger } = {}): Promise<Harness> {
  const base = mkdtempSync(path.join(os.tmpdir(), "ce-ext-sync-"));
  const root = path.join(base, "workspace");
  const reposDir = path.join(base, "repos");
  mkdirSync(root);
  mkdirSync(reposDir);
  const server = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir, log: quiet, token: opts.token });
  const rules = new IgnoreRules(root, opts.extraExcludes ?? []);
  const scanner = new WorkspaceScanner(root, rules, silentLogger);
  const client = new DeltaSyncClient(() => ({ baseUrl: `http://127.0.0.1:${server.port}`, token: opts.clientToken ?? opts.token }), "my-service", scanner, opts.log ?? silentLogger, opts.limits);
  return { root, reposDir, server, client, repoDir: path.join(reposDir, "my-service") };
}

describe("workspace sync against the real uploader", () => {
  let h: Harness;

  before(async () => {
    h = await harness({ extraExcludes: ["*.log"] });
    write(h.root, "src/app.ts", "export const app = 1;\n");
    write(h.root, "src/util/strings.ts", "export const s = 'x';\n");
    write(h.root, "README.md", "# readme\n");
    write(h.root, ".gitignore", "dist/\n*.tmp\n");
    write(h.root, "dist/bundle.js", "ignored\n");
    write(h.root, "notes.tmp", "ignored\n");
    write(h.root, "debug.log", "excluded by the setting\n");
    write(h.root, "node_modules/x/index.js", "never synced\n");
    write(h.root, "docs/.contextignore", "private/\n");
    write(h.root, "docs/guide.md", "guide\n");
    write(h.root, "docs/private/secret.md", "not for the index\n");
    write(h.root, "src/.gitignore", "generated.ts\n!keep.ts\n");
    write(h.root, "src/generated.ts", "ignored by a nested .gitignore\n");
    write(h.root, "src/keep.ts", "kept\n");
  });

  after(async () => {
    await h.server.close();
  });

  test("the first sync sends every file the ignore rules let through, nothing else", async () => {
    const r = await h.client.syncAll();
    const expected = [".gitignore", "README.md", "docs/.contextignore", "docs/guide.md", "src/.gitignore", "src/app.ts", "src/keep.ts", "src/util/strings.ts"];
    assert.equal(r.uploaded, expected.length);
    assert.deepEqual(listFiles(h.repoDir).filter((p) => !p.startsWith(".context-engine")), expected);
    assert.equal(readFileSync(path.join(h.repoDir, "src/app.ts"), "utf8"), "export const app = 1;\n");
  });

  test("a second sync sends only the changed file and propagates deletes", async () => {
    write(h.root, "src/app.ts", "export const app = 2;\n");
    rmSync(path.join(h.root, "README.md"));
    const r = await h.client.syncAll();
    assert.equal(r.uploaded, 1, "only src/app.ts");
    assert.equal(r.deleted, 1, "README.md");
    assert.equal(readFileSync(path.join(h.repoDir, "src/app.ts"), "utf8"), "export const app = 2;\n");
    assert.ok(!existsSync(path.join(h.repoDir, "README.md")));
    const again = await h.client.syncAll();
    assert.deepEqual([again.uploaded, again.deleted], [0, 0], "nothing changed, nothing sent");
  });

  test("edits sync incrementally: changed, new, deleted files and a deleted folder", async () => {
    write(h.root, "src/new.ts", "new\n");
    write(h.root, "src/keep.ts", "kept, edited\n");
    rmSync(path.join(h.root, "src/util"), { recursive: true });
    write(h.root, "dist/other.js", "still ignored\n");
    const r = await h.client.syncPaths(["src/new.ts", "src/keep.ts", "src/util", "dist/other.js"]);
    assert.equal(r.uploaded, 2);
    assert.equal(r.deleted, 1);
    assert.equal(readFileSync(path.join(h.repoDir, "src/keep.ts"), "utf8"), "kept, edited\n");
    assert.ok(existsSync(path.join(h.repoDir, "src/new.ts")));
    assert.ok(!existsSync(path.join(h.repoDir, "src/util/strings.ts")));
    assert.ok(!existsSync(path.join(h.repoDir, "dist/other.js")));
  });

  test("a folder moved into the workspace is sent whole", async () => {
    write(h.root, "../incoming/lib/a.ts", "a\n");
    write(h.root, "../incoming/lib/b.ts", "b\n");
    renameSync(path.join(h.root, "../incoming/lib"), path.join(h.root, "lib"));
    const r = await h.client.syncPaths(["lib"]);
    assert.equal(r.uploaded, 2);
    assert.ok(existsSync(path.join(h.repoDir, "lib/b.ts")));
  });

  test("removing the repository deletes every file on the server", async () => {
    const n = await h.client.removeAll();
    assert.ok(n >= 6, `deleted ${n}`);
    assert.deepEqual(listFiles(h.repoDir).filter((p) => !p.startsWith(".context-engine")), []);
  });
});

describe("files as they are when a batch is sent", () => {
  test("hard-linked files go as two regular files (the uploader refuses hard links)", async () => {
    const h = await harness();
    try {
      write(h.root, "src/a.ts", "export const a = 1;\n");
      write(h.root, "src/b.ts", "export const b = 2;\n");
      mkdirSync(path.join(h.root, "copies"));
      linkSync(path.join(h.root, "src/a.ts"), path.join(h.root, "src/a-again.ts"));
      linkSync(path.join(h.root, "src/a.ts"), path.join(h.root, "copies/a.ts"));
      const r = await h.client.syncAll();
      assert.equal(r.uploaded, 4);
      for (const rel of ["src/a.ts", "src/a-again.ts", "copies/a.ts"]) {
        assert.equal(readFileSync(path.join(h.repoDir, rel), "utf8"), "export const a = 1;\n", rel);
        assert.equal(lstatSync(path.join(h.repoDir, rel)).nlink, 1, `${rel} is a file of its own on the server`);
      }
    } finally {
      await h.server.close();
    }
  });

  test("a file gone or turned into a symbolic link since the scan is left out with a warning, the rest is sent", async () => {
    const warnings: string[] = [];
    const h = await harness({ log: { ...silentLogger, warn: (m) => warnings.push(m) } });
    try {
      write(h.root, "a.ts", "a\n");
      write(h.root, "gone.ts", "gone\n");
      write(h.root, "link.ts", "link\n");
      write(h.root, "../outside.txt", "outside the workspace\n");
      const scanner = (h.client as unknown as { scanner: WorkspaceScanner }).scanner;
      const scan = scanner.scan.bind(scanner);
      scanner.scan = async (...args) => {
        const r = await scan(...args);
        rmSync(path.join(h.root, "gone.ts"));
        rmSync(path.join(h.root, "link.ts"));
        symlinkSync(path.join(h.root, "../outside.txt"), path.join(h.root, "link.ts"));
        return r;
      };
      const r = await h.client.syncAll();
      assert.equal(r.uploaded, 1);
      assert.deepEqual(listFiles(h.repoDir).filter((p) => !p.startsWith(".context-engine")), ["a.ts"]);
      assert.ok(warnings.some((w) => /gone\.ts not sent: it is gone/.test(w)), warnings.join("\n"));
      assert.ok(warnings.some((w) => /link\.ts not sent: it is a symbolic link/.test(w)), warnings.join("\n"));
    } finally {
      await h.server.close();
    }
  });
});

describe("sync batches and auth", () => {
  test("a large workspace goes in several uploads and all of it lands", async () => {
    const h = await harness({ limits: { maxBytes: 1000, maxFiles: 3 } });
    try {
      for (let i = 0; i < 10; i++) write(h.root, `f/${i}.txt`, "x".repeat(300));
      const progress: number[] = [];
      const r = await h.client.syncAll(undefined, (p) => p.total && progress.push(p.done));
      assert.equal(r.uploaded, 10);
      assert.equal(listFiles(h.repoDir).filter((p) => p.startsWith("f/")).length, 10);
      assert.ok(progress.length >= 4, `one progress report per batch: ${progress.join(",")}`);
      assert.equal(progress.at(-1), 3000);
    } finally {
      await h.server.close();
    }
  });

  test("a refused token says how to set it", async () => {
    const h = await harness({ token: "right", clientToken: "wrong" });
    try {
      write(h.root, "a.ts", "a\n");
      await assert.rejects(h.client.syncAll(), /refused the request \(HTTP 401.*Set Access Token/);
    } finally {
      await h.server.close();
    }
  });

  test("with the right token the sync goes through", async () => {
    const h = await harness({ token: "right" });
    try {
      write(h.root, "a.ts", "a\n");
      assert.equal((await h.client.syncAll()).uploaded, 1);
    } finally {
      await h.server.close();
    }
  });
});
