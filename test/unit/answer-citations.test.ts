// The citation checker against crafted decoder outputs: valid, out of range, none, insufficient context.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkCitations, citedNumbers } from "../../server/src/answer/index.ts";
import { mergeSpans } from "../../server/src/answer/blocks.ts";
import { searchResult } from "../helpers/answer-results.ts";

const blocks = mergeSpans([
  searchResult("src/http/retry.ts", 10, 14, "retry"),
  searchResult("src/http/client.ts", 40, 42, "request"),
  searchResult("docs/retries.md", 1, 3, ""),
]);

describe("citation checker", () => {
  test("valid citations map to their blocks' paths and lines, in order of first mention, without repeats", () => {
    const c = checkCitations("Requests retry with backoff [2]. The delay doubles each time [1][2]. See [1, 3].", blocks);
    assert.deepEqual(
      c.citations.map((x) => [x.id, x.path, x.start_line, x.end_line]),
      [
        [2, "src/http/client.ts", 40, 42],
        [1, "src/http/retry.ts", 10, 14],
        [3, "docs/retries.md", 1, 3],
      ],
    );
    assert.deepEqual(c.outOfRange, []);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.insufficient, false);
  });

  test("out-of-range citations are dropped and reported with the number of blocks given", () => {
    const c = checkCitations("It retries three times [1]. The limit lives in the config [7]; see also [0].", blocks);
    assert.deepEqual(c.citations.map((x) => x.id), [1]);
    assert.deepEqual(c.outOfRange, [7, 0]);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0], /cites \[7\], \[0\] but only 3 context block\(s\) were given/);
  });

  test("an answer without any citation is reported as unverified", () => {
    const c = checkCitations("The client retries failed requests with exponential backoff.", blocks);
    assert.deepEqual(c.citations, []);
    assert.deepEqual(c.warnings, ["The answer cites no context block; treat it as unverified."]);
  });

  test("sentences without a citation are counted when others cite", () => {
    const c = checkCitations("Requests are retried by the client [2]. The retry count can be configured per call.", blocks);
    assert.equal(c.uncited.length, 1);
    assert.match(c.warnings.join("\n"), /1 of 2 sentence\(s\) in the answer cite no context block/);
  });

  test("'insufficient context' is recognised and needs no citation", () => {
    const c = checkCitations("Insufficient context.", blocks);
    assert.equal(c.insufficient, true);
    assert.deepEqual(c.citations, []);
    assert.deepEqual(c.warnings, []);
  });

  test("an empty answer is reported", () => {
    assert.deepEqual(checkCitations("  ", blocks).warnings, ["The decoder returned an empty answer."]);
  });

  test("array indexing in code is not a citation; bracketed lists are", () => {
    assert.deepEqual(citedNumbers("use items[0] and args[2] as in [3]; see [1, 2] and [4;5]"), [3, 1, 2, 4, 5]);
  });
});
