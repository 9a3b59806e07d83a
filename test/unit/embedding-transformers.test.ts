// The transformers provider: finding the model, downloading it from a hub mirror on loopback, the one clear error
// when it cannot be had, and embedding with a tiny real ONNX encoder written by the test (no real transformer
// model is available on this machine, so BAAI/bge-base-en-v1.5 itself is never loaded here).
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { EmbedderUnavailableError } from "../../server/src/embedding/index.ts";
import { defaultPooling, poolingFromConfig, readPooling } from "../../server/src/embedding/pooling.ts";
import { createTransformersEmbedder, instructionsFor } from "../../server/src/embedding/transformers.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { PreTrainedTokenizer } from "@huggingface/transformers";
import { fileURLToPath } from "node:url";
import { tableValue, writeTinyOnnxModel } from "./tiny-onnx-model.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const WORDPIECE = path.resolve(here, "../../../shared/fixtures/models/model2vec-float32");
const DIM = 8;

/** The ids the model sees for `text` (with [CLS] and [SEP]), from the same tokenizer files. */
function modelIds(folder: string, text: string): number[] {
  const tok = new PreTrainedTokenizer(
    JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
    JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
  );
  return tok.encode(text);
}

function unit(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

function meanRow(ids: number[]): number[] {
  return unit(Array.from({ length: DIM }, (_, c) => ids.reduce((s, id) => s + tableValue(id, c), 0) / ids.length));
}

function close(actual: Float32Array, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < 1e-5, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

const temps: string[] = [];
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
const servers: http.Server[] = [];
after(() => {
  temps.forEach((t) => fs.rmSync(t, { recursive: true, force: true }));
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A hub mirror on loopback; `handle` decides what each request gets. Records the paths asked for. */
async function mirror(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? "");
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, asked };
}

async function failure(p: Promise<unknown>): Promise<EmbedderUnavailableError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EmbedderUnavailableError, `expected EmbedderUnavailableError, got ${String(err)}`);
    return err;
  }
  assert.fail("loading should have failed");
}

describe("transformers embedder: getting the model", () => {
  test("downloads off and an empty MODEL_DIR: the error names the model, the folder, and how to provide it", async () => {
    const modelDir = tempDir("models-");
    const err = await failure(createTransformersEmbedder({ model: "BAAI/bge-base-en-v1.5", modelDir, allowRemote: false }, silentLogger));
    const folder = path.join(modelDir, "BAAI", "bge-base-en-v1.5");
    assert.deepEqual(err.looked, [folder]);
    assert.match(err.message, /"BAAI\/bge-base-en-v1\.5" is not available/);
    assert.ok(err.message.includes(`Put the model folder (config.json, tokenizer.json, onnx/model.onnx) at ${folder}`));
    assert.match(err.message, /set EMBEDDING_MODEL to a local folder/);
    assert.match(err.message, /EMBEDDING_PROVIDER=none/);
  });

  test("a hub that does not have the model: the files are asked from the mirror, the error names it", async () => {
    const hub = await mirror((_req, res) => {
      res.writeHead(404).end("Entry not found");
    });
    const modelDir = tempDir("models-");
    const err = await failure(
      createTransformersEmbedder({ model: "acme/missing-model", modelDir, remoteHost: hub.url }, silentLogger),
    );
    assert.ok(hub.asked.some((p) => p.startsWith("/acme/missing-model/resolve/main/")), `asked: ${hub.asked.join(", ")}`);
    assert.ok(err.looked.some((p) => p.startsWith(`${hub.url.replace(/\/$/, "")}/acme/missing-model`)));
    assert.match(err.message, /acme\/missing-model/);
    assert.match(err.message, new RegExp(`allow this machine to reach ${hub.url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
  });

  test("a hub that never answers: the load gives up after the response timeout with the same clear error", async () => {
    const hub = await mirror(() => {
      // Never answer: the client must give up on its own.
    });
    const modelDir = tempDir("models-");
    const err = await failure(
      createTransformersEmbedder({ model: "acme/slow-model", modelDir, remoteHost: hub.url, responseTimeoutMs: 300 }, silentLogger),
    );
    assert.ok(hub.asked.length > 0, "the mirror was asked");
    assert.match(err.message, /no response from .* within 300 ms/);
    assert.match(err.message, /EMBEDDING_PROVIDER=none/);
  });

  test("an overall load timeout also ends in the clear error", async () => {
    const hub = await mirror(() => {});
    const modelDir = tempDir("models-");
    const err = await failure(
      createTransformersEmbedder(
        { model: "acme/slow-model", modelDir, remoteHost: hub.url, responseTimeoutMs: 60_000, loadTimeoutMs: 300 },
        silentLogger,
      ),
    );
    assert.match(err.message, /did not finish within/);
  });

  test("a local folder path that is empty: only that folder is named, and nothing is downloaded", async () => {
    const hub = await mirror((_req, res) => {
      res.writeHead(404).end();
    });
    const folder = tempDir("my-onnx-model-");
    const err = await failure(
      createTransformersEmbedder({ model: folder, modelDir: tempDir("models-"), remoteHost: hub.url }, silentLogger),
    );
    assert.deepEqual(err.looked, [folder]);
    assert.deepEqual(hub.asked, []);
    assert.ok(err.message.includes(`Put an ONNX export of the model (config.json, tokenizer.json, onnx/model.onnx) in ${folder}`));
  });
});

describe("transformers embedder: pooling the model was trained with", () => {
  test("sentence-transformers' 1_Pooling/config.json decides: CLS for bge, mean, last token", () => {
    assert.equal(poolingFromConfig({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }), "cls");
    assert.equal(poolingFromConfig({ pooling_mode_cls_token: false, pooling_mode_mean_tokens: true }), "mean");
    assert.equal(poolingFromConfig({ pooling_mode_lasttoken: true }), "last_token");
    assert.equal(poolingFromConfig({}), undefined);
  });

  test("the Pooling module's folder comes from modules.json when it names one", () => {
    const folder = tempDir("st-model-");
    fs.writeFileSync(
      path.join(folder, "modules.json"),
      JSON.stringify([
        { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
        { idx: 1, name: "1", path: "pool", type: "sentence_transformers.models.Pooling" },
      ]),
    );
    fs.mkdirSync(path.join(folder, "pool"));
    fs.writeFileSync(path.join(folder, "pool", "config.json"), JSON.stringify({ pooling_mode_cls_token: true }));
    assert.equal(readPooling(folder), "cls");
  });

  test("the conventional 1_Pooling folder is read without modules.json; no config means the model does not say", () => {
    const folder = tempDir("st-model-");
    assert.equal(readPooling(folder), undefined);
    fs.mkdirSync(path.join(folder, "1_Pooling"));
    fs.writeFileSync(path.join(folder, "1_Pooling", "config.json"), JSON.stringify({ pooling_mode_mean_tokens: true }));
    assert.equal(readPooling(folder), "mean");
  });

  test("without a pooling config, BGE models pool the CLS token and others the mean", () => {
    assert.equal(defaultPooling("BAAI/bge-base-en-v1.5"), "cls");
    assert.equal(defaultPooling("BAAI/bge-small-en-v1.5"), "cls");
    assert.equal(defaultPooling("sentence-transformers/all-MiniLM-L6-v2"), "mean");
  });
});

describe("transformers embedder: embedding with a tiny real ONNX encoder", () => {
  test("a retrieval model's search queries carry its instruction; passages do not (BGE), or carry theirs (E5)", async () => {
    const folder = path.join(tempDir("onnx-"), "bge-tiny-en-v1.5");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    // The tiny encoder has no attention: its CLS row is the same for every text, so pool the mean to see the words.
    fs.mkdirSync(path.join(folder, "1_Pooling"));
    fs.writeFileSync(path.join(folder, "1_Pooling", "config.json"), JSON.stringify({ pooling_mode_mean_tokens: true }));
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-") }, silentLogger);
    const q = await e.embedQuery!("hello world");
    const [withPrefix, plain] = await e.embed([instructionsFor("BAAI/bge-base-en-v1.5").query + "hello world", "hello world"]);
    close(q, Array.from(withPrefix!), "query = instruction + text");
    assert.ok(Math.max(...Array.from(q, (x, i) => Math.abs(x - plain![i]!))) > 1e-3, "the instruction changes the vector");

    const none = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-"), queryPrefix: "" }, silentLogger);
    close(await none.embedQuery!("hello world"), Array.from((await none.embed(["hello world"]))[0]!), "EMBEDDING_QUERY_PREFIX=none");

    assert.deepEqual(instructionsFor("intfloat/e5-small-v2"), { query: "query: ", passage: "passage: " });
    assert.equal(instructionsFor("nomic-ai/CodeRankEmbed").query, "Represent this query for searching relevant code: ");
    assert.deepEqual(instructionsFor("sentence-transformers/all-MiniLM-L6-v2"), { query: "", passage: "" });
    await e.close?.();
    await none.close?.();
  });


  test("a local folder loads with the dimension of its config.json and a name after the folder", async () => {
    const folder = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-") }, silentLogger);
    assert.equal(e.name, "transformers:tiny-encoder");
    assert.equal(e.dimension, DIM);
    await e.close?.();
  });

  test("a folder that ships only the int8 export (onnx/model_quantized.onnx) loads that file", async () => {
    const folder = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    fs.renameSync(path.join(folder, "onnx", "model.onnx"), path.join(folder, "onnx", "model_quantized.onnx"));
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-") }, silentLogger);
    const [v] = await e.embed(["hello world"]);
    close(v!, meanRow(modelIds(folder, "hello world")), "mean pooling");
  });

  test("without a pooling config a non-BGE model pools the mean of its tokens, padding excluded, unit length", async () => {
    const folder = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-") }, silentLogger);
    const short = "hello world";
    const long = "a much longer text that forces the short one to be padded in the same batch";
    const [a, b] = await e.embed([short, long]);
    close(a!, meanRow(modelIds(folder, short)), "short text");
    close(b!, meanRow(modelIds(folder, long)), "long text");
  });

  test("1_Pooling/config.json asking for the CLS token is followed", async () => {
    const folder = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    fs.mkdirSync(path.join(folder, "1_Pooling"));
    fs.writeFileSync(path.join(folder, "1_Pooling", "config.json"), JSON.stringify({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }));
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-") }, silentLogger);
    const [v] = await e.embed(["hello world"]);
    const first = modelIds(folder, "hello world")[0]!;
    close(v!, unit(Array.from({ length: DIM }, (_, c) => tableValue(first, c))), "CLS row");
  });

  test("texts are embedded in batches grouped by length, returned in input order: 40 texts give the vectors each gets alone (one thread)", async () => {
    const folder = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(folder, WORDPIECE, DIM);
    const e = await createTransformersEmbedder({ model: folder, modelDir: tempDir("models-"), batchSize: 16, threads: 1 }, silentLogger);
    const texts = Array.from({ length: 40 }, (_, i) => `function f${i}(x) { return x * ${i}; } ${"y ".repeat(i % 7)}`);
    const all = await e.embed(texts);
    assert.equal(all.length, 40);
    for (const i of [0, 15, 16, 31, 32, 39]) close(all[i]!, Array.from((await e.embed([texts[i]!]))[0]!), `text ${i}`);
  });

  test("a model id missing under MODEL_DIR is downloaded from the hub with its pooling config, then found locally", async () => {
    const source = path.join(tempDir("onnx-"), "tiny-encoder");
    writeTinyOnnxModel(source, WORDPIECE, DIM);
    fs.mkdirSync(path.join(source, "1_Pooling"));
    fs.writeFileSync(path.join(source, "1_Pooling", "config.json"), JSON.stringify({ pooling_mode_cls_token: true }));
    const prefix = "/acme/tiny-encoder/resolve/main/";
    const hub = await mirror((req, res) => {
      const file = (req.url ?? "").startsWith(prefix) ? (req.url ?? "").slice(prefix.length) : "";
      const local = path.join(source, file);
      if (!file || !fs.existsSync(local) || fs.statSync(local).isDirectory()) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(fs.readFileSync(local));
    });
    const modelDir = tempDir("models-");
    const e = await createTransformersEmbedder({ model: "acme/tiny-encoder", modelDir, remoteHost: hub.url }, silentLogger);
    assert.equal(e.name, "transformers:acme/tiny-encoder");
    const target = path.join(modelDir, "acme", "tiny-encoder");
    for (const f of ["config.json", "tokenizer.json", "onnx/model.onnx", "1_Pooling/config.json"]) assert.ok(fs.existsSync(path.join(target, f)), f);
    const again = await createTransformersEmbedder({ model: "acme/tiny-encoder", modelDir, allowRemote: false }, silentLogger);
    const [v] = await again.embed(["hello world"]);
    const first = modelIds(source, "hello world")[0]!;
    close(v!, unit(Array.from({ length: DIM }, (_, c) => tableValue(first, c))), "CLS pooling from the downloaded config");
  });
});

