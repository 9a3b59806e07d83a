import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { createDecoder, DecoderError, LlamacppHttpDecoder, NodeLlamaCppDecoder } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";

const MODEL = path.resolve("../shared/fixtures/models/stories260K.gguf");

test("no LLAMACPP_URL and no LLAMACPP_MODEL_PATH means no decoder", () => {
  assert.equal(createDecoder(loadSettings({}), silentLogger), null);
});

test("LLAMACPP_URL chooses the llama.cpp server", () => {
  const d = createDecoder(loadSettings({ LLAMACPP_URL: "http://llamacpp:8080/" }), silentLogger);
  assert.ok(d instanceof LlamacppHttpDecoder);
  assert.equal(d.name, "llamacpp-http");
  assert.equal(d.location, "http://llamacpp:8080");
});

test("LLAMACPP_MODEL_PATH chooses the embedded decoder, without loading the model yet", async () => {
  const d = createDecoder(loadSettings({ LLAMACPP_MODEL_PATH: MODEL, LLAMACPP_THREADS: "1" }), silentLogger);
  assert.ok(d instanceof NodeLlamaCppDecoder);
  assert.equal(d.location, MODEL);
  await d.close();
});

test("with both set, the server wins (the cluster has no local model) and a warning says so", () => {
  const warned: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => void warned.push(m), child: () => log };
  const d = createDecoder(loadSettings({ LLAMACPP_URL: "http://llamacpp:8080", LLAMACPP_MODEL_PATH: MODEL }), log);
  assert.ok(d instanceof LlamacppHttpDecoder);
  assert.equal(warned.length, 1);
  assert.match(warned[0], /LLAMACPP_URL/);
});

test("a missing model file fails at start with the setting to change", () => {
  assert.throws(
    () => createDecoder(loadSettings({ LLAMACPP_MODEL_PATH: "/models/missing.gguf" }), silentLogger),
    (e: unknown) => e instanceof DecoderError && e.setting === "LLAMACPP_MODEL_PATH" && e.message.includes("/models/missing.gguf"),
  );
});
