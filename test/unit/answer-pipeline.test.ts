// The answer pipeline without a decoder: retrieval through the injected search, span merging, packing
// into budget_tokens, and the extractive answer that says no decoder is configured.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AnswerError, answerQuestion, type AnswerProgress } from "../../server/src/answer/index.ts";
import { mergeSpans } from "../../server/src/answer/blocks.ts";
import { estimateTokens, packBlocks } from "../../server/src/answer/pack.ts";
import { buildPrompt, renderBlock } from "../../server/src/answer/prompt.ts";
import { renderPlain } from "../../server/src/decoder/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { fixedSearch, searchResult } from "../helpers/answer-results.ts";

const results = [
  searchResult("src/http/retry.ts", 10, 20, "retryWithBackoff", 0.9),
  searchResult("src/http/client.ts", 40, 48, "Client.request", 0.8),
  searchResult("src/http/retry.ts", 21, 30, "retryWithBackoff", 0.7),
  searchResult("docs/retries.md", 1, 6, "", 0.5),
];

const estimate = async (t: string) => estimateTokens(t);

describe("span merging", () => {
  test("adjacent spans of one file become one block; blocks keep retrieval order", () => {
    const blocks = mergeSpans(results);
    assert.deepEqual(
      blocks.map((b) => [b.path, b.start_line, b.end_line]),
      [
        ["src/http/retry.ts", 10, 30],
        ["src/http/client.ts", 40, 48],
        ["docs/retries.md", 1, 6],
      ],
    );
    assert.equal(blocks[0].lines.size, 21);
  });

  test("overlapping spans do not duplicate lines; distant spans of one file stay apart", () => {
    const blocks = mergeSpans([searchResult("a.ts", 1, 10, "f"), searchResult("a.ts", 5, 15, "f"), searchResult("a.ts", 40, 45, "g")]);
    assert.deepEqual(blocks.map((b) => [b.start_line, b.end_line, b.lines.size]), [[1, 15, 15], [40, 45, 6]]);
  });
});

describe("packing into budget_tokens", () => {
  test("the prompt has numbered blocks `[n] path:start-end`, the instructions and the question", () => {
    const p = buildPrompt("How are requests retried?", mergeSpans(results));
    assert.match(p.user, /^\[1\] src\/http\/retry\.ts:10-30 \(retryWithBackoff\)$/m);
    assert.match(p.user, /^\[2\] src\/http\/client\.ts:40-48 \(Client\.request\)$/m);
    assert.match(p.user, /^\[3\] docs\/retries\.md:1-6$/m);
    assert.match(p.user, /^10 \| \/\/ src\/http\/retry\.ts line 10/m);
    assert.match(p.user, /Question: How are requests retried\?/);
    assert.match(p.system, /cite/i);
    assert.match(p.system, /\[1\]/);
    assert.match(p.system, /insufficient context/);
    assert.match(p.system, /brief/i);
  });

  test("a smaller budget holds fewer blocks and the whole prompt stays within it", async () => {
    const blocks = mergeSpans(results);
    const sizes: number[] = [];
    for (const budget of [200, 300, 500, 2000]) {
      const packed = await packBlocks("How are requests retried?", blocks, budget, estimate);
      assert.ok(packed.promptTokens <= budget, `${packed.promptTokens} > ${budget}`);
      assert.equal(packed.promptTokens, estimateTokens(renderPlain(buildPrompt("How are requests retried?", packed.blocks))));
      sizes.push(packed.promptTokens);
    }
    assert.ok(sizes[0] < sizes[1] && sizes[1] < sizes[2], sizes.join(" "));
    const all = await packBlocks("How are requests retried?", blocks, 2000, estimate);
    assert.equal(all.blocks.length, 3);
    assert.equal(all.dropped + all.truncated, 0);
  });

  test("a first block larger than the budget is cut to its leading lines instead of dropped", async () => {
    const big = mergeSpans([searchResult("src/big.ts", 1, 200, "huge")]);
    const packed = await packBlocks("What does huge do?", big, 400, estimate);
    assert.equal(packed.blocks.length, 1);
    assert.equal(packed.truncated, 1);
    assert.equal(packed.blocks[0].start_line, 1);
    assert.ok(packed.blocks[0].end_line < 200 && packed.blocks[0].end_line > 5, `end ${packed.blocks[0].end_line}`);
    assert.ok(packed.promptTokens <= 400);
  });
});

test("room for only a two-line fragment of the next block leaves it out rather than cut it that short", async () => {
  const blocks = mergeSpans([searchResult("src/a.ts", 1, 30, "a"), searchResult("src/b.ts", 1, 30, "b")]);
  const q = "What do a and b do?";
  const overhead = estimateTokens(renderPlain(buildPrompt(q, [])));
  const first = estimateTokens(renderBlock(blocks[0], 1)) + 2;
  const header = estimateTokens(renderBlock({ ...blocks[1], lines: new Map() }, 2));
  const twoLines = estimateTokens(renderBlock({ ...blocks[1], lines: new Map([...blocks[1].lines].slice(0, 2)) }, 2)) + 2;
  assert.ok(twoLines - header > 10, "two lines cost something");
  const packed = await packBlocks(q, blocks, overhead + first + twoLines + 1, estimate);
  assert.deepEqual(packed.blocks.map((b) => b.path), ["src/a.ts"]);
  assert.equal(packed.dropped, 1);
  assert.equal(packed.truncated, 0);
  const roomier = await packBlocks(q, blocks, overhead + first + twoLines * 3, estimate);
  assert.equal(roomier.blocks.length, 2);
  assert.ok(roomier.blocks[1].lines.size >= 5, `cut to ${roomier.blocks[1].lines.size} lines`);
  assert.equal(roomier.truncated, 1);
});

describe("answerQuestion without a decoder", () => {
  test("returns the retrieved context, cited, with a note naming LLAMACPP_URL and LLAMACPP_MODEL_PATH", async () => {
    const { search, calls } = fixedSearch(results);
    const stages: string[] = [];
    const out = await answerQuestion(
      { search, decoder: null, log: silentLogger },
      { question: "How are requests retried?", filter: { language: ["typescript"] }, limit: 5, onProgress: (p: AnswerProgress) => stages.push(p.stage) },
    );
    assert.deepEqual(calls, [{ query: "How are requests retried?", limit: 5, filter: { language: ["typescript"] }, snippetLines: 40 }]);
    assert.match(out.answer, /No decoder is configured/);
    assert.match(out.answer, /LLAMACPP_URL/);
    assert.match(out.answer, /LLAMACPP_MODEL_PATH/);
    assert.match(out.answer, /^\[1\] src\/http\/retry\.ts:10-30/m);
    assert.deepEqual(out.citations.map((c) => [c.id, c.path, c.start_line, c.end_line]), [
      [1, "src/http/retry.ts", 10, 30],
      [2, "src/http/client.ts", 40, 48],
      [3, "docs/retries.md", 1, 6],
    ]);
    assert.equal(out.used.decoder, "none");
    assert.equal(out.used.blocks, 3);
    assert.equal(out.used.retrieved, 4);
    assert.equal(out.used.tokenizer, "estimate");
    assert.equal(out.insufficient, false);
    assert.ok(out.warnings.some((w) => /No decoder is configured/.test(w)));
    assert.deepEqual(stages, ["retrieving", "packing", "done"]);
  });

  test("no search results means 'insufficient context', not an empty or invented answer", async () => {
    const { search } = fixedSearch([]);
    const out = await answerQuestion({ search, decoder: null, log: silentLogger }, { question: "Where is the GPU kernel?" });
    assert.equal(out.insufficient, true);
    assert.match(out.answer, /^insufficient context/);
    assert.deepEqual(out.citations, []);
    assert.match(out.warnings.join("\n"), /found no indexed code/);
  });

  test("expand_query without a decoder searches the question as written and says why", async () => {
    const { search, calls } = fixedSearch(results);
    const out = await answerQuestion({ search, decoder: null, log: silentLogger }, { question: "retry logic", expand_query: true });
    assert.equal(calls.length, 1);
    assert.deepEqual(out.used.queries, ["retry logic"]);
    assert.match(out.warnings.join("\n"), /expand_query needs a decoder/);
  });

  test("a budget too small for the question itself is refused, naming budget_tokens", async () => {
    const { search } = fixedSearch(results);
    await assert.rejects(
      answerQuestion({ search, decoder: null, log: silentLogger }, { question: "How are requests retried?", budget_tokens: 100 }),
      (e: unknown) => e instanceof AnswerError && e.parameter === "budget_tokens" && /raise budget_tokens/.test(e.message),
    );
  });

  test("bad requests are refused with the parameter to fix", async () => {
    const { search } = fixedSearch(results);
    const deps = { search, decoder: null, log: silentLogger };
    await assert.rejects(answerQuestion(deps, { question: "   " }), (e: unknown) => e instanceof AnswerError && e.parameter === "question");
    await assert.rejects(answerQuestion(deps, { question: "q", limit: 0 }), (e: unknown) => e instanceof AnswerError && e.parameter === "limit");
    await assert.rejects(answerQuestion(deps, { question: "q", budget_tokens: 1.5 }), (e: unknown) => e instanceof AnswerError && e.parameter === "budget_tokens");
  });
});
