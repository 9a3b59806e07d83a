// Cluster mode's sync of a multi-root workspace: each folder synced as its own repo to the real uploader on
// loopback, edits batched per folder after a quiet time, an edit outside a folder ignored.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { silentLogger as quiet } from "../../server/src/log/index.ts";
import { startUploadServer, type UploadServer } from "../../server/src/sync/server.ts";
import { silentLogger } from "../../extension/src/log.ts";
import { FolderSync, type EditsSynced } from "../../extension/src/sync/folder-sync.ts";

function write(root: string, rel: string, text: string): string {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe("every folder of a workspace synced as its own repo", () => {
  let base: string;
  let server: UploadServer;
  let api: FolderSync;
  let web: FolderSync;
  const synced: EditsSynced[] = [];

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), "ce-folder-sync-"));
    const reposDir = path.join(base, "repos");
    mkdirSync(reposDir);
    server = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir, log: quiet });
    const endpoint = () => ({ baseUrl: `http://127.0.0.1:${server.port}` });
    const apiRoot = path.join(base, "ws", "api");
    const webRoot = path.join(base, "ws", "web");
    write(apiRoot, "src/server.py", "def serve():\n    pass\n");
    write(apiRoot, ".gitignore", "build/\n");
    write(apiRoot, "build/out.txt", "ignored\n");
    write(webRoot, "src/app.ts", "export const app = 1;\n");
    // A short quiet time: the test waits for the flush it triggers, never for the timer.
    api = new FolderSync("api", apiRoot, [], endpoint, silentLogger, (r) => synced.push(r), 50);
    web = new FolderSync("web", webRoot, ["*.log"], endpoint, silentLogger, (r) => synced.push(r), 50);
  });

  after(async () => {
    api?.dispose();
    web?.dispose();
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  const repoFile = (repo: string, rel: string) => readFileSync(path.join(base, "repos", repo, rel), "utf8");

  test("a full sync puts each folder under its own repo, with its own ignore rules", async () => {
    const a = await api.syncAll();
    const w = await web.syncAll();
    assert.deepEqual([a.uploaded, w.uploaded], [2, 1]);
    assert.equal(repoFile("api", "src/server.py"), "def serve():\n    pass\n");
    assert.equal(repoFile("web", "src/app.ts"), "export const app = 1;\n");
    assert.throws(() => repoFile("api", "build/out.txt"), /ENOENT/);
  });

  test("edits are sent by the folder they belong to; a path outside it is not", async () => {
    api.onEdit(write(path.join(base, "ws", "api"), "src/server.py", "def serve():\n    return 1\n"));
    web.onEdit(write(path.join(base, "ws", "web"), "src/cart.ts", "export const cart = [];\n"));
    web.onEdit(write(path.join(base, "ws", "web"), "debug.log", "noise\n"));
    api.onEdit(path.join(base, "ws", "web", "src", "app.ts"));
    await Promise.all([api.flush(), web.flush()]);
    assert.equal(repoFile("api", "src/server.py"), "def serve():\n    return 1\n");
    assert.equal(repoFile("web", "src/cart.ts"), "export const cart = [];\n");
    assert.throws(() => repoFile("web", "debug.log"), /ENOENT/);
    assert.throws(() => repoFile("api", "src/app.ts"), /ENOENT/);
    assert.deepEqual(synced.map((s) => [s.repo, s.uploaded, s.deleted]).sort(), [["api", 1, 0], ["web", 1, 0]]);
  });
});
