// context_answer through the llamacpp-http decoder, with a stub llama.cpp server scripting the model's
// output: the pipeline's checks run on crafted answers, and its recovery paths on crafted failures.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { answerQuestion } from "../../server/src/answer/index.ts";
import { LlamacppHttpDecoder } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { fixedSearch, searchResult } from "../helpers/answer-results.ts";
import { chatReply, closedPortUrl, startLlamacppStub, type LlamacppStub, type StubHandler } from "./decoder-llamacpp-stub.ts";

const results = [
  searchResult("src/http/retry.ts", 10, 20, "retryWithBackoff", 0.9),
  searchResult("src/http/client.ts", 40, 48, "Client.request", 0.8),
  searchResult("docs/retries.md", 1, 6, "", 0.5),
];
const stubs: LlamacppStub[] = [];
after(async () => {
  await Promise.all(stubs.map((s) => s.close()));
});

async function setup(handler: StubHandler) {
  const s = await startLlamacppStub(handler);
  stubs.push(s);
  const decoder = new LlamacppHttpDecoder({ url: s.url, log: silentLogger, endpoint: "chat", timeoutMs: 2000, retries: 0 });
  return { s, decoder };
}

/** The server side of a chat request: the prompt the pipeline built. */
const userText = (body: any): string => body.messages[1].content;

describe("answerQuestion with the llamacpp-http decoder (stub server)", () => {
  test("a well-cited answer comes back with its citations resolved to paths and lines", async () => {
    const { s, decoder } = await setup((r) =>
      r.path === "/v1/chat/completions" ? chatReply("Failed requests are retried with exponential backoff [1], called from Client.request [2].") : { status: 404, text: "no" },
    );
    const { search } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?", max_tokens: 128 });
    assert.equal(out.answer, "Failed requests are retried with exponential backoff [1], called from Client.request [2].");
    assert.deepEqual(out.citations, [
      { id: 1, repo: "demo", path: "src/http/retry.ts", start_line: 10, end_line: 20 },
      { id: 2, repo: "demo", path: "src/http/client.ts", start_line: 40, end_line: 48 },
    ]);
    assert.deepEqual(out.warnings, []);
    assert.equal(out.used.decoder, "llamacpp-http");
    assert.equal(out.used.tokenizer, "estimate", "the stub has no /tokenize: estimates from then on, as used.tokenizer says");
    const chat = s.requests.find((r) => r.path === "/v1/chat/completions")!;
    assert.match(userText(chat.body), /^\[1\] src\/http\/retry\.ts:10-20 \(retryWithBackoff\)$/m);
    assert.match(userText(chat.body), /^\[3\] docs\/retries\.md:1-6$/m);
    assert.match(userText(chat.body), /Question: How are requests retried\?/);
    assert.match(chat.body.messages[0].content, /insufficient context/);
    assert.equal(chat.body.max_tokens, 128);
  });

  test("out-of-range citations are dropped and reported in warnings", async () => {
    const { decoder } = await setup((r) => (r.path === "/v1/chat/completions" ? chatReply("Retries happen in the client [2] and in the proxy [9].") : { status: 404, text: "" }));
    const { search } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "Where are retries?" });
    assert.deepEqual(out.citations.map((c) => c.id), [2]);
    assert.match(out.warnings.join("\n"), /cites \[9\] but only 3 context block\(s\) were given/);
  });

  test("an answer that cites nothing is flagged; 'insufficient context' is passed through as such", async () => {
    let reply = "It uses a loop.";
    const { decoder } = await setup((r) => (r.path === "/v1/chat/completions" ? chatReply(reply) : { status: 404, text: "" }));
    const { search } = fixedSearch(results);
    const deps = { search, decoder, log: silentLogger };
    const uncited = await answerQuestion(deps, { question: "How are requests retried?" });
    assert.deepEqual(uncited.citations, []);
    assert.match(uncited.warnings.join("\n"), /cites no context block/);
    reply = "insufficient context";
    const insufficient = await answerQuestion(deps, { question: "Which GPU kernel is used?" });
    assert.equal(insufficient.insufficient, true);
    assert.deepEqual(insufficient.warnings, []);
  });

  test("the decoder's /tokenize and /props are used: exact counts, budget clamped to the server's context", async () => {
    const { s, decoder } = await setup((r) => {
      if (r.path === "/tokenize") return { json: { tokens: new Array(Math.ceil(r.body.content.length / 3)).fill(1) } };
      if (r.path === "/props") return { json: { default_generation_settings: { n_ctx: 1024 } } };
      return chatReply("Backoff [1].");
    });
    const { search } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?", budget_tokens: 4000, max_tokens: 200 });
    assert.equal(out.used.tokenizer, "model");
    assert.equal(out.used.budget_tokens, 1024 - 200 - 64);
    assert.ok(out.used.prompt_tokens <= out.used.budget_tokens);
    assert.ok(s.requests.some((r) => r.path === "/tokenize"));
  });

  test("streaming: with onProgress the request streams and tokens arrive as progress", async () => {
    const { s, decoder } = await setup((r) =>
      r.path === "/v1/chat/completions"
        ? { sse: [{ choices: [{ delta: { content: "Backoff " } }] }, { choices: [{ delta: { content: "[1]." }, finish_reason: "stop" }] }], done: true }
        : { status: 404, text: "" },
    );
    const { search } = fixedSearch(results);
    const tokens: string[] = [];
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How?", onProgress: (p) => p.token && tokens.push(p.token) });
    assert.deepEqual(tokens, ["Backoff ", "[1]."]);
    assert.equal(out.answer, "Backoff [1].");
    assert.equal(s.requests.find((r) => r.path === "/v1/chat/completions")!.body.stream, true);
  });

  test("context too long: one retry with half the budget, then an answer with a warning", async () => {
    let chats = 0;
    const { s, decoder } = await setup((r) => {
      if (r.path !== "/v1/chat/completions") return { status: 404, text: "" };
      return chats++ === 0
        ? { status: 400, json: { error: { message: "the request exceeds the available context size", type: "exceed_context_size_error" } } }
        : chatReply("Backoff [1].");
    });
    const many = Array.from({ length: 12 }, (_, i) => searchResult(`src/m${i}.ts`, 1, 30, `f${i}`));
    const { search } = fixedSearch(many);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How?", budget_tokens: 3000, limit: 12 });
    assert.equal(out.answer, "Backoff [1].");
    assert.equal(out.used.budget_tokens, 1500);
    assert.match(out.warnings.join("\n"), /retried with budget_tokens=1500/);
    const prompts = s.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => userText(r.body).length);
    assert.ok(prompts[1] < prompts[0], `second prompt smaller: ${prompts}`);
  });

  test("expand_query: the decoder's phrasings are searched too and the lists fused", async () => {
    const { s, decoder } = await setup((r) => {
      if (r.path !== "/v1/chat/completions") return { status: 404, text: "" };
      if (/rewrite code search queries/.test(r.body.messages[0].content)) return chatReply("1. retryWithBackoff\n- How are requests retried?\nexponential backoff delay");
      return chatReply("Backoff [1].");
    });
    const extra = searchResult("src/backoff/delay.ts", 3, 9, "delayFor");
    const { search, calls } = fixedSearch(results, { "exponential backoff delay": [extra] });
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?", expand_query: true });
    assert.deepEqual(calls.map((c) => c.query), ["How are requests retried?", "retryWithBackoff", "exponential backoff delay"]);
    assert.deepEqual(out.used.queries, calls.map((c) => c.query));
    assert.ok(out.used.sources.some((c) => c.path === "src/backoff/delay.ts"), "a phrasing's own hit reaches the context");
    assert.equal(s.requests.filter((r) => r.path === "/v1/chat/completions").length, 2);
  });

  test("an unreachable server: the retrieved context is returned with the error naming LLAMACPP_URL, not a crash", async () => {
    const decoder = new LlamacppHttpDecoder({ url: await closedPortUrl(), log: silentLogger, retries: 0 });
    const { search } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?" });
    assert.equal(out.used.decoder, "llamacpp-http (failed)");
    assert.deepEqual(out.citations.map((c) => c.id), [1, 2, 3]);
    assert.match(out.answer, /^\[1\] src\/http\/retry\.ts:10-20/m);
    assert.match(out.warnings.join("\n"), /unreachable.*Check LLAMACPP_URL.*kubectl -n context-engine get deploy llamacpp/s);
  });
});
