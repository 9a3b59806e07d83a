// The Unigram segmenter that replaces transformers.js' lattice: best path, tie rule, unknown characters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UnigramViterbi } from "../../server/src/embedding/unigram-viterbi.ts";

const UNK = 0;
function model(vocab: [string, number][]): UnigramViterbi {
  return new UnigramViterbi([["<unk>", 0], ...vocab], UNK);
}

describe("Unigram segmentation", () => {
  test("picks the segmentation with the highest total score", () => {
    const m = model([["a", -3], ["b", -3], ["c", -3], ["ab", -2], ["abc", -7]]);
    assert.deepEqual(m.encode("abc"), ["ab", "c"]);
    assert.deepEqual(m.encode("cab"), ["c", "ab"]);
  });

  test("on an exact tie the token starting earliest wins, as in the Rust crate", () => {
    // a+bc and ab+c both score -3; the path through "bc" (starting at 1) is found before "c" (starting at 2).
    const m = model([["a", -2], ["b", -5], ["c", -2], ["ab", -1], ["bc", -1]]);
    assert.deepEqual(m.encode("abc"), ["a", "bc"]);
  });

  test("runs of unknown characters become one piece; known pieces around them stay", () => {
    const m = model([["a", -1], ["b", -1]]);
    assert.deepEqual(m.encode("a\u2603\u2603b"), ["a", "\u2603\u2603", "b"]);
    assert.deepEqual(m.encode("\u2603a"), ["\u2603", "a"]);
    assert.deepEqual(m.encode("a\u2603"), ["a", "\u2603"]);
  });

  test("a character outside the BMP is one character, never split between its surrogates", () => {
    const m = model([["x", -1], ["😀", -1]]);
    assert.deepEqual(m.encode("x😀x"), ["x", "😀", "x"]);
    assert.deepEqual(model([["x", -1]]).encode("x😀😀"), ["x", "😀😀"]);
  });

  test("an empty text has no pieces, and a long one is segmented whole", () => {
    const m = model([["▁hello", -1], ["▁", -5], ["h", -6], ["e", -6], ["l", -6], ["o", -6]]);
    assert.deepEqual(m.encode(""), []);
    assert.deepEqual(m.encode("▁hello".repeat(3000)), Array(3000).fill("▁hello"));
  });
});
