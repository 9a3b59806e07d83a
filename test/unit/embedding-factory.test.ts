// createEmbedder: the provider named by the settings, the model found where the settings say, or one clear error.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../server/src/config/index.ts";
import { createEmbedder, EmbedderUnavailableError } from "../../server/src/embedding/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const MODELS = path.resolve(here, "../../../shared/fixtures/models");
const QUANTIZED = path.join(MODELS, "model2vec-vocab-quantized");

const temps: string[] = [];
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
const servers: http.Server[] = [];
after(() => {
  temps.forEach((t) => fs.rmSync(t, { recursive: true, force: true }));
  servers.forEach((s) => s.close());
});

/** A hub mirror on loopback serving `folder` as model `id`; `missing` files answer 404. */
async function hubServing(id: string, folder: string, missing: string[] = []): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const prefix = `/${id}/resolve/main/`;
  const server = http.createServer((req, res) => {
    const url = req.url ?? "";
    asked.push(url);
    const file = url.startsWith(prefix) ? url.slice(prefix.length) : "";
    const local = path.join(folder, file);
    if (!file || missing.includes(file) || !fs.existsSync(local)) return void res.writeHead(404).end("Entry not found");
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(fs.readFileSync(local));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, asked };
}

function copyModel(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

async function unavailable(env: Record<string, string>): Promise<EmbedderUnavailableError> {
  try {
    await createEmbedder(loadSettings(env), silentLogger, { allowRemote: false });
  } catch (err) {
    assert.ok(err instanceof EmbedderUnavailableError, `expected EmbedderUnavailableError, got ${String(err)}`);
    return err;
  }
  assert.fail("createEmbedder should have failed");
}

describe("createEmbedder", () => {
  test("'none' is the lexical-only embedder: name none, dimension 0, one empty vector per text", async () => {
    const e = await createEmbedder(loadSettings({ EMBEDDING_PROVIDER: "none" }), silentLogger);
    assert.equal(e.name, "none");
    assert.equal(e.dimension, 0);
    const v = await e.embed(["a", "b"]);
    assert.equal(v.length, 2);
    assert.ok(v.every((x) => x instanceof Float32Array && x.length === 0));
  });

  test("'model2vec' with a folder path loads that folder and is named after it", async () => {
    const e = await createEmbedder(loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: QUANTIZED }), silentLogger);
    assert.equal(e.name, "model2vec:model2vec-vocab-quantized");
    assert.equal(e.dimension, 64);
    const [v] = await e.embed(["function add(a, b) { return a + b; }"]);
    assert.equal(v!.length, 64);
  });

  test("'model2vec' with a hub id finds <MODEL_DIR>/<org>/<name> and is named after the id", async () => {
    const modelDir = tempDir("models-");
    copyModel(QUANTIZED, path.join(modelDir, "minishlab", "potion-test"));
    const e = await createEmbedder(
      loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: "minishlab/potion-test", MODEL_DIR: modelDir }),
      silentLogger,
    );
    assert.equal(e.name, "model2vec:minishlab/potion-test");
  });

  test("'model2vec' also finds a hub-cache snapshot under MODEL_DIR", async () => {
    const modelDir = tempDir("models-");
    copyModel(QUANTIZED, path.join(modelDir, "models--minishlab--potion-test", "snapshots", "abc123"));
    const e = await createEmbedder(
      loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: "minishlab/potion-test", MODEL_DIR: modelDir }),
      silentLogger,
    );
    assert.equal(e.dimension, 64);
  });

  test("a missing model2vec model is one error naming the model, every place looked and the remedies", async () => {
    const modelDir = tempDir("models-empty-");
    const err = await unavailable({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: "minishlab/potion-base-8M", MODEL_DIR: modelDir });
    assert.match(err.message, /minishlab\/potion-base-8M/);
    for (const place of err.looked) assert.ok(err.message.includes(place), `names ${place}`);
    assert.ok(err.looked.includes(path.join(modelDir, "minishlab", "potion-base-8M")));
    assert.match(err.message, /set EMBEDDING_MODEL to a local folder/);
    assert.match(err.message, /EMBEDDING_PROVIDER=none/);
    assert.doesNotMatch(err.message, /\n\s+at /, "no stack trace in the message");
  });

  test("a model2vec folder path that does not exist is named as the one place looked", async () => {
    const missing = path.join(tempDir("models-"), "nothing-here");
    const err = await unavailable({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: missing });
    assert.deepEqual(err.looked, [missing]);
    assert.match(err.message, new RegExp(`Put a Model2Vec model .* in ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });

  test("a damaged model2vec folder (truncated weights) is the same clear error, with the reason", async () => {
    const folder = path.join(tempDir("models-"), "broken");
    copyModel(QUANTIZED, folder);
    const weights = path.join(folder, "model.safetensors");
    fs.chmodSync(weights, 0o644);
    fs.truncateSync(weights, 1000);
    const err = await unavailable({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: folder });
    assert.match(err.message, /not a valid safetensors file/);
    assert.match(err.message, /EMBEDDING_PROVIDER=none/);
  });

  test("'transformers' without the model and without downloads is one error naming model, folder and remedies", async () => {
    const modelDir = tempDir("models-empty-");
    const err = await unavailable({ EMBEDDING_PROVIDER: "transformers", MODEL_DIR: modelDir });
    assert.equal(err.model, "BAAI/bge-base-en-v1.5");
    assert.match(err.message, /BAAI\/bge-base-en-v1\.5/);
    assert.ok(err.message.includes(path.join(modelDir, "BAAI", "bge-base-en-v1.5")));
    assert.match(err.message, /downloading is off/);
    assert.match(err.message, /EMBEDDING_PROVIDER=none/);
  });

  test("a model2vec id that is not under MODEL_DIR is downloaded from the hub once, then found locally", async () => {
    const hub = await hubServing("minishlab/potion-test", QUANTIZED);
    const modelDir = tempDir("models-");
    const settings = loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: "minishlab/potion-test", MODEL_DIR: modelDir });
    const e = await createEmbedder(settings, silentLogger, { remoteHost: hub.url });
    assert.equal(e.name, "model2vec:minishlab/potion-test");
    const target = path.join(modelDir, "minishlab", "potion-test");
    for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) assert.ok(fs.existsSync(path.join(target, f)), f);
    const [fromHub] = await e.embed(["hello world"]);
    const [fromFixture] = await (await createEmbedder(loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: QUANTIZED }), silentLogger)).embed(["hello world"]);
    assert.deepEqual(Array.from(fromHub!), Array.from(fromFixture!));
    const asked = hub.asked.length;
    await createEmbedder(settings, silentLogger, { remoteHost: hub.url });
    assert.equal(hub.asked.length, asked, "the second start does not ask the hub");
  });

  test("a failed model2vec download leaves no half model behind and says what failed", async () => {
    const hub = await hubServing("minishlab/potion-test", QUANTIZED, ["model.safetensors"]);
    const modelDir = tempDir("models-");
    let err: unknown;
    try {
      await createEmbedder(
        loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: "minishlab/potion-test", MODEL_DIR: modelDir }),
        silentLogger,
        { remoteHost: hub.url },
      );
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof EmbedderUnavailableError);
    assert.match(err.message, /download failed: .*model\.safetensors does not exist \(HTTP 404\)/);
    assert.ok(err.message.includes(`${hub.url}minishlab/potion-test (download into ${path.join(modelDir, "minishlab", "potion-test")})`));
    assert.deepEqual(fs.readdirSync(path.join(modelDir, "minishlab")), [], "nothing left in MODEL_DIR");
  });
});

