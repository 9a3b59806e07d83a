// The `lex` sparse vector of the Qdrant store: stable term hashing with rare collisions, BM25-style document
// weights (field weights, saturation, length), and query vectors from term weights.
import { test } from "node:test";
import assert from "node:assert/strict";
import { documentVector, queryVector, termIndex } from "../../server/src/store/qdrant/sparse.ts";
import type { LexicalFields } from "../../server/src/store/types.ts";

const WORDS = (
  "get set add remove update create delete find load save parse render register hook handler event user session " +
  "request response client server config index store query filter search vector token chunk file path repo embed " +
  "model cache buffer stream reader writer node tree symbol scope module route auth key value list map item"
).split(" ");

/** Realistic identifiers: camelCase, snake_case and numbered variants of 1-3 words. */
function identifiers(n: number): string[] {
  const out = new Set<string>();
  let i = 0;
  while (out.size < n) {
    const a = WORDS[i % WORDS.length]!;
    const b = WORDS[Math.floor(i / WORDS.length) % WORDS.length]!;
    const c = WORDS[Math.floor(i / WORDS.length ** 2) % WORDS.length]!;
    const v = Math.floor(i / WORDS.length ** 3);
    const parts = [a, b, c].slice(0, 1 + (i % 3));
    out.add(((i & 1 ? parts.join("_") : parts.join("")) + (v ? String(v) : "")).toLowerCase());
    i++;
  }
  return [...out];
}

function value(v: { indices: number[]; values: number[] }, term: string): number {
  const at = v.indices.indexOf(termIndex(term));
  return at < 0 ? 0 : v.values[at]!;
}

const fields = (f: Partial<LexicalFields>): LexicalFields => ({ symbol: [], path: [], body: [], ...f });

test("term indices are unsigned 32-bit and stable across releases (changing them invalidates stored vectors)", () => {
  assert.equal(termIndex("registerhook"), 4183251936);
  assert.equal(termIndex("hook"), 84770791);
  assert.equal(termIndex("é"), 2387039943);
  for (const t of identifiers(1000)) {
    const i = termIndex(t);
    assert.ok(Number.isInteger(i) && i >= 0 && i <= 0xffffffff);
  }
});

test("collisions are rare: 100,000 distinct identifiers share at most a handful of indices", () => {
  const terms = identifiers(100_000);
  const seen = new Set<number>();
  let collisions = 0;
  for (const t of terms) {
    const i = termIndex(t);
    if (seen.has(i)) collisions++;
    seen.add(i);
  }
  // A uniform 32-bit hash expects about n^2 / 2^33 = 1.2 here.
  assert.ok(collisions <= 6, `${collisions} collisions among ${terms.length} identifiers`);
});

test("near-identical identifiers land far apart", () => {
  const a = termIndex("handler1");
  const b = termIndex("handler2");
  assert.ok(Math.abs(a - b) > 1 << 16, `${a} vs ${b}`);
});

test("a symbol hit outweighs a path hit, which outweighs a body hit", () => {
  const v = documentVector(fields({ symbol: ["alpha"], path: ["beta"], body: ["gamma"] }));
  assert.ok(value(v, "alpha") > value(v, "beta"));
  assert.ok(value(v, "beta") > value(v, "gamma"));
  assert.ok(value(v, "gamma") > 0);
});

test("term frequency saturates: ten occurrences weigh less than ten times one", () => {
  const once = value(documentVector(fields({ body: ["x", "pad1", "pad2", "pad3", "pad4", "pad5", "pad6", "pad7", "pad8", "pad9"] })), "x");
  const ten = value(documentVector(fields({ body: Array(10).fill("x") })), "x");
  assert.ok(ten > once);
  assert.ok(ten < 3 * once, `${ten} vs ${once}`);
});

test("the same count weighs less in a longer chunk", () => {
  const short = value(documentVector(fields({ body: ["x", "y"] })), "x");
  const long = value(documentVector(fields({ body: ["x", ...Array(400).fill("y")] })), "x");
  assert.ok(long < short);
});

test("document vectors list each index once, ascending, with positive values", () => {
  const v = documentVector(fields({ symbol: ["register", "hook"], path: ["src", "hook"], body: ["hook", "register", "event"] }));
  assert.equal(v.indices.length, 4);
  assert.deepEqual(v.indices, [...v.indices].sort((a, b) => a - b));
  assert.ok(v.values.every((x) => x > 0));
  assert.deepEqual(documentVector(fields({})), { indices: [], values: [] });
});

test("query vectors carry the caller's weights; empty terms and non-positive weights are dropped", () => {
  const q = queryVector({ terms: [{ term: "register", weight: 2 }, { term: "hook", weight: 0.5 }, { term: "zero", weight: 0 }, { term: "", weight: 3 }] });
  assert.equal(q.indices.length, 2);
  assert.equal(value(q, "register"), 2);
  assert.equal(value(q, "hook"), 0.5);
  assert.deepEqual(q.indices, [...q.indices].sort((a, b) => a - b));
});

test("a term given twice in a query adds up", () => {
  const q = queryVector({ terms: [{ term: "hook", weight: 1 }, { term: "hook", weight: 2 }] });
  assert.deepEqual(q, { indices: [termIndex("hook")], values: [3] });
});
