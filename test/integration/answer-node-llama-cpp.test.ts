// context_answer end to end with the embedded decoder and the real tiny model (stories260K, threads 1).
// The model writes children's stories, so these tests assert the structure of the answer, not its content.
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, test } from "node:test";
import { answerQuestion, citedNumbers, type AnswerProgress } from "../../server/src/answer/index.ts";
import { NodeLlamaCppDecoder } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { fixedSearch, searchResult } from "../helpers/answer-results.ts";

const decoder = new NodeLlamaCppDecoder({ modelPath: path.resolve("../shared/fixtures/models/stories260K.gguf"), threads: 1, log: silentLogger });
after(() => decoder.close());

const results = [
  searchResult("src/http/retry.ts", 10, 20, "retryWithBackoff", 0.9),
  searchResult("src/http/client.ts", 40, 48, "Client.request", 0.8),
  searchResult("src/http/retry.ts", 21, 30, "retryWithBackoff", 0.7),
];

describe("answerQuestion with node-llama-cpp and the fixture model", () => {
  test("runs end to end: text from the model, citations parsed from that text, usage counted by the model's tokenizer", async () => {
    const { search } = fixedSearch(results);
    const progress: AnswerProgress[] = [];
    const out = await answerQuestion(
      { search, decoder, log: silentLogger },
      { question: "How are requests retried?", max_tokens: 40, temperature: 0, onProgress: (p) => progress.push(p) },
    );
    assert.ok(out.answer.length > 0, "the model wrote something");
    assert.equal(out.used.decoder, "node-llama-cpp");
    assert.equal(out.used.tokenizer, "model");
    assert.equal(out.used.blocks, 2, "the two retry.ts spans merged into one block");
    assert.ok(out.used.prompt_tokens > 0 && out.used.prompt_tokens <= out.used.budget_tokens);
    assert.ok(out.used.completion_tokens! > 0 && out.used.completion_tokens! <= 41);
    // Whatever the model wrote, the citations are exactly its in-range [n] numbers, mapped to the blocks.
    const inRange = [...new Set(citedNumbers(out.answer))].filter((n) => n >= 1 && n <= out.used.blocks);
    assert.deepEqual(out.citations.map((c) => c.id), inRange);
    for (const c of out.citations) assert.deepEqual(c, out.used.sources[c.id - 1]);
    if (out.citations.length === 0 && !out.insufficient) {
      assert.ok(out.warnings.includes("The answer cites no context block; treat it as unverified."));
    }
    // Streamed tokens reached the caller and add up to the answer.
    const streamed = progress.filter((p) => p.token !== undefined).map((p) => p.token).join("");
    assert.equal(streamed.trim(), out.answer);
    assert.deepEqual(
      [...new Set(progress.map((p) => p.stage))],
      ["retrieving", "packing", "generating", "checking", "done"],
    );
  });

  test("a budget beyond the model's context is clamped to it, with a warning", async () => {
    const { search } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?", budget_tokens: 100_000, max_tokens: 8, temperature: 0 });
    const ctx = (await decoder.contextSize())!;
    assert.ok(out.used.budget_tokens <= ctx - 8, `${out.used.budget_tokens} vs context ${ctx}`);
    assert.match(out.warnings.join("\n"), new RegExp(`budget_tokens=100000 is more than the decoder's ${ctx}-token context`));
  });

  test("a smaller budget_tokens gives the model a smaller prompt with fewer blocks", async () => {
    const many = Array.from({ length: 8 }, (_, i) => searchResult(`src/mod${i}.ts`, 1, 12, `fn${i}`));
    const { search } = fixedSearch(many);
    const ask = (budget_tokens: number) =>
      answerQuestion({ search, decoder, log: silentLogger }, { question: "Which module parses config?", budget_tokens, max_tokens: 4, temperature: 0 });
    const small = await ask(400);
    const large = await ask(1500);
    assert.ok(small.used.prompt_tokens <= 400 && large.used.prompt_tokens <= 1500);
    assert.ok(small.used.blocks < large.used.blocks, `${small.used.blocks} vs ${large.used.blocks}`);
    assert.match(small.warnings.join("\n"), /budget_tokens=400 held \d+ block\(s\)/);
  });

  test("expand_query searches the question and the model's alternate phrasings, fused into one context", async () => {
    const { search, calls } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder, log: silentLogger }, { question: "How are requests retried?", expand_query: true, max_tokens: 8, temperature: 0 });
    assert.equal(calls[0].query, "How are requests retried?");
    assert.deepEqual(calls.map((c) => c.query), out.used.queries);
    assert.ok(out.used.queries.length >= 2, `alternates: ${JSON.stringify(out.used.queries)}`);
    assert.ok(out.used.queries.length <= 4);
    assert.equal(out.used.blocks, 2, "the same spans found by several queries are not repeated");
  });

  test("cancelling while the model writes stops the answer with an aborted error", async () => {
    const { search } = fixedSearch(results);
    const ac = new AbortController();
    await assert.rejects(
      answerQuestion(
        { search, decoder, log: silentLogger },
        { question: "How are requests retried?", max_tokens: 200, signal: ac.signal, onProgress: (p) => p.token !== undefined && ac.abort() },
      ),
      (e: unknown) => (e as { code?: string }).code === "aborted",
    );
  });
});
