import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { DecoderError, LlamacppHttpDecoder, renderPlain, type Prompt } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { chatReply, closedPortUrl, completionReply, startLlamacppStub, type LlamacppStub } from "./decoder-llamacpp-stub.ts";

const prompt: Prompt = { system: "Answer briefly.", user: "Question: what retries?\nAnswer:" };
const stubs: LlamacppStub[] = [];
after(async () => {
  await Promise.all(stubs.map((s) => s.close()));
});

async function stub(handler: Parameters<typeof startLlamacppStub>[0]) {
  const s = await startLlamacppStub(handler);
  stubs.push(s);
  return s;
}

async function rejection(p: Promise<unknown>): Promise<DecoderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DecoderError, `expected a DecoderError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

describe("llamacpp-http decoder against a stub llama.cpp server", () => {
  test("the chat endpoint gets system and user messages, max_tokens and temperature, and its text comes back", async () => {
    const s = await stub(() => chatReply("It retries twice [1]."));
    const d = new LlamacppHttpDecoder({ url: s.url + "/", log: silentLogger, endpoint: "chat" });
    const out = await d.complete(prompt, { maxTokens: 64, temperature: 0 });
    assert.equal(out.text, "It retries twice [1].");
    assert.equal(out.stop, "eos");
    assert.equal(out.promptTokens, 42);
    assert.equal(s.requests.length, 1);
    const r = s.requests[0];
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/v1/chat/completions");
    assert.match(String(r.headers["content-type"]), /application\/json/);
    assert.deepEqual(r.body.messages, [
      { role: "system", content: prompt.system },
      { role: "user", content: prompt.user },
    ]);
    assert.equal(r.body.max_tokens, 64);
    assert.equal(r.body.temperature, 0);
    assert.equal(r.body.stream, false);
  });

  test("the /completion endpoint gets one rendered prompt and n_predict", async () => {
    const s = await stub(() => completionReply("Twice [1]."));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "completion" });
    const out = await d.complete(prompt, { maxTokens: 32 });
    assert.equal(out.text, "Twice [1].");
    assert.equal(out.completionTokens, 6);
    const r = s.requests[0];
    assert.equal(r.path, "/completion");
    assert.equal(r.body.prompt, renderPlain(prompt));
    assert.equal(r.body.n_predict, 32);
    assert.equal(r.body.stream, false);
    assert.equal("temperature" in r.body, false, "no temperature given, none sent: the server keeps its default");
  });

  test("with onToken the chat endpoint streams and every piece reaches the caller in order", async () => {
    const s = await stub(() => ({
      sse: [
        { choices: [{ delta: { role: "assistant" } }] },
        { choices: [{ delta: { content: "Re" } }] },
        { choices: [{ delta: { content: "tries [1]" } }] },
        { choices: [{ delta: {}, finish_reason: "length" }] },
        { choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } },
      ],
      done: true,
    }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat" });
    const pieces: string[] = [];
    const out = await d.complete(prompt, { maxTokens: 3, onToken: (t) => pieces.push(t) });
    assert.deepEqual(pieces, ["Re", "tries [1]"]);
    assert.equal(out.text, "Retries [1]");
    assert.equal(out.stop, "max_tokens");
    assert.equal(out.completionTokens, 3);
    assert.equal(s.requests[0].body.stream, true);
  });

  test("with onToken the /completion endpoint streams content pieces until stop", async () => {
    const s = await stub(() => ({
      sse: [{ content: "A", stop: false }, { content: "B", stop: false }, { content: "", stop: true, stop_type: "eos", tokens_evaluated: 9, tokens_predicted: 2 }],
    }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "completion" });
    const pieces: string[] = [];
    const out = await d.complete(prompt, { maxTokens: 8, onToken: (t) => pieces.push(t) });
    assert.deepEqual(pieces, ["A", "B"]);
    assert.deepEqual({ text: out.text, stop: out.stop, promptTokens: out.promptTokens }, { text: "AB", stop: "eos", promptTokens: 9 });
  });

  test("auto falls back to /completion when the server has no chat endpoint, and stays there", async () => {
    const s = await stub((r) => (r.path === "/v1/chat/completions" ? { status: 404, text: "Not Found" } : completionReply("ok")));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger });
    assert.equal((await d.complete(prompt, { maxTokens: 8 })).text, "ok");
    assert.equal((await d.complete(prompt, { maxTokens: 8 })).text, "ok");
    assert.deepEqual(s.requests.map((r) => r.path), ["/v1/chat/completions", "/completion", "/completion"]);
  });

  test("a server error is retried once with half the token budget", async () => {
    const s = await stub((_r, i) => (i === 0 ? { status: 500, json: { error: { message: "slot busy" } } } : chatReply("fine")));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat", retries: 1 });
    const out = await d.complete(prompt, { maxTokens: 200 });
    assert.equal(out.text, "fine");
    assert.deepEqual(s.requests.map((r) => r.body.max_tokens), [200, 100]);
  });

  test("a server that never answers times out on every attempt, each attempt asking for fewer tokens", async () => {
    const s = await stub(() => ({ hang: true }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat", timeoutMs: 250, retries: 2 });
    const err = await rejection(d.complete(prompt, { maxTokens: 128 }));
    assert.equal(err.code, "timeout");
    assert.match(err.message, /did not answer \/v1\/chat\/completions within 0\.25 s/);
    assert.match(err.message, /kubectl -n context-engine/);
    assert.deepEqual(s.requests.map((r) => r.body.max_tokens), [128, 64, 32]);
  });

  test("a client error is not retried", async () => {
    const s = await stub(() => ({ status: 400, json: { error: { message: "invalid grammar" } } }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat", retries: 3 });
    const err = await rejection(d.complete(prompt, { maxTokens: 16 }));
    assert.equal(err.code, "http");
    assert.equal(err.status, 400);
    assert.equal(s.requests.length, 1);
  });

  test("a prompt over the server's context is reported as context_too_long naming budget_tokens, without retry", async () => {
    const s = await stub(() => ({
      status: 400,
      json: { error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error" } },
    }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat" });
    const err = await rejection(d.complete(prompt, { maxTokens: 16 }));
    assert.equal(err.code, "context_too_long");
    assert.equal(err.setting, "budget_tokens");
    assert.match(err.message, /lower budget_tokens/);
    assert.equal(s.requests.length, 1);
  });

  test("an unreachable server names LLAMACPP_URL and the kubectl command to check the llamacpp Deployment", async () => {
    const url = await closedPortUrl();
    const d = new LlamacppHttpDecoder({ url, log: silentLogger, retries: 0 });
    const err = await rejection(d.complete(prompt, { maxTokens: 16 }));
    assert.equal(err.code, "unreachable");
    assert.equal(err.setting, "LLAMACPP_URL");
    assert.ok(err.message.includes(url), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /Check LLAMACPP_URL/);
    assert.match(err.message, /kubectl -n context-engine get deploy llamacpp/);
  });

  test("a caller's abort stops the request and is not retried", async () => {
    const s = await stub(() => ({ hang: true }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat", timeoutMs: 60_000, retries: 3 });
    const ac = new AbortController();
    const pending = d.complete(prompt, { maxTokens: 16, signal: ac.signal });
    await s.waitForRequests(1);
    ac.abort();
    const err = await rejection(pending);
    assert.equal(err.code, "aborted");
    assert.equal(s.requests.length, 1);
  });

  test("a stream broken after text reached the caller is not retried (the text cannot be taken back)", async () => {
    const s = await stub(() => ({ sse: [{ content: "partial", stop: false }, { error: { code: 500, message: "slot crashed" } }] }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "completion", retries: 2 });
    const pieces: string[] = [];
    const err = await rejection(d.complete(prompt, { maxTokens: 16, onToken: (t) => pieces.push(t) }));
    assert.equal(err.code, "bad_response");
    assert.match(err.message, /slot crashed/);
    assert.deepEqual(pieces, ["partial"]);
    assert.equal(s.requests.length, 1);
  });

  test("tokens are counted by the server's /tokenize and the context size read from /props", async () => {
    const s = await stub((r) =>
      r.path === "/tokenize" ? { json: { tokens: [1, 2, 3, 4, 5] } } : { json: { default_generation_settings: { n_ctx: 4096 } } },
    );
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger });
    assert.equal(await d.countTokens("hello world"), 5);
    assert.equal(s.requests[0].body.content, "hello world");
    assert.equal(await d.contextSize(), 4096);
    assert.equal(await d.contextSize(), 4096);
    assert.equal(s.requests.filter((r) => r.path === "/props").length, 1, "/props is asked once");
  });

  test("ready() reflects llama.cpp's /health: 503 while the model loads names the Deployment, 200 when loaded", async () => {
    let loading = true;
    const s = await stub(() => (loading ? { status: 503, json: { error: { message: "Loading model" } } } : { json: { status: "ok" } }));
    const d = new LlamacppHttpDecoder({ url: s.url, log: silentLogger });
    const err = await rejection(d.ready());
    assert.equal(err.status, 503);
    assert.match(err.message, /model is still loading.*kubectl -n context-engine/s);
    loading = false;
    await d.ready();
    assert.deepEqual(s.requests.map((r) => [r.method, r.path]), [["GET", "/health"], ["GET", "/health"]]);
    const down = new LlamacppHttpDecoder({ url: await closedPortUrl(), log: silentLogger });
    assert.equal((await rejection(down.ready())).code, "unreachable");
  });
});
