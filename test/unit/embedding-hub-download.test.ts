// Model downloads on a shared models volume: several pods that start at once each download the model; the first
// whole copy to land must stay in place (another process may be loading it), and an interrupted older copy is replaced.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { downloadModel } from "../../server/src/embedding/hub-download.ts";

const FILES: Record<string, string> = { "config.json": '{"dim":4}', "model.safetensors": "weights", "tokenizer.json": "{}" };
const REQUIRED = ["config.json", "model.safetensors", "tokenizer.json"];

describe("downloadModel on a shared folder", () => {
  let server: http.Server;
  let hub = "";
  let dir = "";
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ce-hub-"));
    server = http.createServer((req, res) => {
      const file = (req.url ?? "").replace(/^\/acme\/model\/resolve\/main\//, "");
      if (!(file in FILES)) return void res.writeHead(404).end("Entry not found");
      res.writeHead(200).end(FILES[file]);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a second download keeps the whole model already in place (same files, not deleted under a reader)", async () => {
    const target = path.join(dir, "shared", "model");
    await downloadModel("acme/model", target, REQUIRED, ["README.md"], { remoteHost: hub });
    const inode = fs.statSync(path.join(target, "model.safetensors")).ino;
    const reader = fs.openSync(path.join(target, "model.safetensors"), "r");
    try {
      await downloadModel("acme/model", target, REQUIRED, ["README.md"], { remoteHost: hub });
      assert.equal(fs.statSync(path.join(target, "model.safetensors")).ino, inode, "the model in place was replaced");
    } finally {
      fs.closeSync(reader);
    }
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["model"], "a staging folder was left behind");
  });

  test("concurrent downloads all succeed and leave one whole model", async () => {
    const target = path.join(dir, "concurrent", "model");
    await Promise.all(Array.from({ length: 4 }, () => downloadModel("acme/model", target, REQUIRED, [], { remoteHost: hub })));
    assert.deepEqual(fs.readdirSync(target).sort(), REQUIRED);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["model"]);
  });

  test("an interrupted older copy (a required file missing) is replaced", async () => {
    const target = path.join(dir, "partial", "model");
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, "config.json"), "{}");
    await downloadModel("acme/model", target, REQUIRED, [], { remoteHost: hub });
    assert.deepEqual(fs.readdirSync(target).sort(), REQUIRED);
    assert.equal(fs.readFileSync(path.join(target, "config.json"), "utf8"), FILES["config.json"]);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["model"]);
  });
});
