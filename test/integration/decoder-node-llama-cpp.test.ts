// The embedded decoder with the real tiny GGUF model (stories260K): it writes stories, so these tests check
// structure (text, streaming, sharing, queueing, errors), never what the text says.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { DecoderError, loadedModelCount, NodeLlamaCppDecoder, type Prompt } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";

const MODEL = path.resolve("../shared/fixtures/models/stories260K.gguf");
const prompt: Prompt = { system: "Once upon a time", user: "there was a little dog." };
const open: NodeLlamaCppDecoder[] = [];

function decoder(): NodeLlamaCppDecoder {
  const d = new NodeLlamaCppDecoder({ modelPath: MODEL, threads: 1, log: silentLogger });
  open.push(d);
  return d;
}

after(async () => {
  for (const d of open) await d.close();
});

describe("node-llama-cpp decoder with the fixture model", () => {
  test("generates text, reports token counts, and streams the same text through onToken", async () => {
    const d = decoder();
    const pieces: string[] = [];
    const out = await d.complete(prompt, { maxTokens: 20, temperature: 0, onToken: (t) => pieces.push(t) });
    assert.ok(out.text.trim().length > 0, "some text");
    assert.equal(pieces.join(""), out.text);
    assert.ok(pieces.length > 1, "streamed in more than one piece");
    assert.ok(out.promptTokens! > 0);
    assert.ok(out.completionTokens! > 0 && out.completionTokens! <= 21, `completion tokens ${out.completionTokens}`);
    assert.ok(out.stop === "max_tokens" || out.stop === "eos");
  });

  test("greedy decoding is reproducible across requests on the shared sequence", async () => {
    const d = decoder();
    const a = await d.complete(prompt, { maxTokens: 15, temperature: 0 });
    await d.complete({ system: "The cat", user: "sat on a big red mat." }, { maxTokens: 15, temperature: 0 });
    const b = await d.complete(prompt, { maxTokens: 15, temperature: 0 });
    assert.equal(b.text, a.text);
  });

  test("decoders naming the same file share one loaded model, and concurrent requests run one after another", async () => {
    const a = decoder();
    const b = decoder();
    await Promise.all([a.countTokens("x"), b.countTokens("y")]);
    assert.equal(loadedModelCount(), 1);
    const order: string[] = [];
    await Promise.all([
      a.complete(prompt, { maxTokens: 12, temperature: 0, onToken: () => order.push("a") }),
      b.complete(prompt, { maxTokens: 12, temperature: 0, onToken: () => order.push("b") }),
    ]);
    const firstB = order.indexOf("b");
    assert.ok(firstB > 0, `both streamed: ${order.join("")}`);
    assert.ok(order.slice(firstB).every((x) => x === "b"), `a finished before b started: ${order.join("")}`);
  });

  test("the model's tokenizer counts tokens and the context size is known", async () => {
    const d = decoder();
    const short = await d.countTokens("hello");
    const long = await d.countTokens("hello ".repeat(50));
    assert.ok(short >= 1 && long > short * 10, `${short} vs ${long}`);
    const ctx = await d.contextSize();
    assert.ok(ctx !== undefined && ctx >= 256, `context ${ctx}`);
  });

  test("a prompt longer than the context fails as context_too_long naming budget_tokens", async () => {
    const d = decoder();
    const ctx = (await d.contextSize())!;
    const err = await d.complete({ system: "", user: "story ".repeat(ctx) }, { maxTokens: 8 }).catch((e: unknown) => e);
    assert.ok(err instanceof DecoderError);
    assert.equal(err.code, "context_too_long");
    assert.equal(err.setting, "budget_tokens");
  });

  test("an aborted request fails as aborted and the next request still works", async () => {
    const d = decoder();
    const ac = new AbortController();
    let seen = 0;
    const err = await d
      .complete(prompt, { maxTokens: 200, temperature: 0, signal: ac.signal, onToken: () => ++seen === 3 && ac.abort() })
      .catch((e: unknown) => e);
    assert.ok(err instanceof DecoderError, String(err));
    assert.equal(err.code, "aborted");
    const next = await d.complete(prompt, { maxTokens: 5, temperature: 0 });
    assert.ok(next.text.length > 0);
  });

  test("the chat path (used for GGUF files with a chat template) runs the system and user parts through a chat wrapper", async () => {
    const d = new NodeLlamaCppDecoder({ modelPath: MODEL, threads: 1, log: silentLogger, promptFormat: "chat" });
    open.push(d);
    const pieces: string[] = [];
    const out = await d.complete(prompt, { maxTokens: 12, temperature: 0, onToken: (t) => pieces.push(t) });
    assert.ok(out.text.length > 0);
    assert.equal(pieces.join(""), out.text);
    assert.equal(loadedModelCount(), 1, "the prompt format is per decoder; the model stays shared");
  });

  test("a request cancelled while it waits in the queue fails at once, before the running one ends", async () => {
    const d = decoder();
    const events: string[] = [];
    const ac = new AbortController();
    let started = false;
    const running = d
      .complete(prompt, { maxTokens: 120, temperature: 0, onToken: () => { if (!started) { started = true; ac.abort(); } } })
      .then(() => events.push("running done"));
    const queued = d.complete(prompt, { maxTokens: 8, signal: ac.signal }).catch((e: unknown) => {
      events.push(`queued ${(e as DecoderError).code}`);
    });
    await Promise.all([running, queued]);
    assert.deepEqual(events, ["queued aborted", "running done"]);
  });

  test("a missing model file fails at construction, naming LLAMACPP_MODEL_PATH", () => {
    assert.throws(
      () => new NodeLlamaCppDecoder({ modelPath: "/nonexistent/model.gguf", threads: 1, log: silentLogger }),
      (e: unknown) => e instanceof DecoderError && e.code === "model_missing" && e.setting === "LLAMACPP_MODEL_PATH" && /LLAMACPP_MODEL_PATH=\/nonexistent\/model\.gguf: no such file/.test(e.message),
    );
  });

  test("a file that is not a GGUF model fails on first use, naming LLAMACPP_MODEL_PATH", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "decoder-"));
    const bogus = path.join(dir, "not-a-model.gguf");
    fs.writeFileSync(bogus, "this is text, not a model");
    const d = new NodeLlamaCppDecoder({ modelPath: bogus, threads: 1, log: silentLogger });
    const err = await d.complete(prompt, { maxTokens: 4 }).catch((e: unknown) => e);
    assert.ok(err instanceof DecoderError, String(err));
    assert.equal(err.code, "model_load");
    await assert.rejects(d.ready(), (e: unknown) => e instanceof DecoderError && e.code === "model_load");
    assert.match(err.message, /LLAMACPP_MODEL_PATH=.*not-a-model\.gguf could not be loaded/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
