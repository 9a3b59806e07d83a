// Markdown is split at headings; the heading is the symbol and the chain of headings its path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertTextMatchesLines, chunk, describe, uncovered } from "./chunking-helpers.ts";

const DOC = `---
title: "# not a heading"
---

Intro paragraph before any heading.

# Context Engine

What it is.

## Quick start

\`\`\`bash
# not a heading either
npm ci
\`\`\`

### Local mode

Runs on one machine.

## Configuration
Table here.

Setext title
============

Body under setext.

Sub title
---------

Last words.
`;

test("markdown sections follow headings, outside fenced code and front matter", async () => {
  const chunks = await chunk("markdown", DOC);
  const sections = chunks.map((c) => [c.symbol, c.symbol_path, c.start_line, c.end_line]);
  assert.deepEqual(
    sections,
    [
      ["", "", 1, 5],
      ["Context Engine", "Context Engine", 7, 9],
      ["Quick start", "Context Engine.Quick start", 11, 16],
      ["Local mode", "Context Engine.Quick start.Local mode", 18, 20],
      ["Configuration", "Context Engine.Configuration", 22, 23],
      ["Setext title", "Setext title", 25, 28],
      ["Sub title", "Setext title.Sub title", 30, 33],
    ],
    describe(chunks),
  );
  assert.ok(chunks.slice(1).every((c) => c.symbol_kind === "heading"));
  assert.deepEqual(uncovered(DOC, chunks), []);
  assertTextMatchesLines(DOC, chunks);
});

test("a long markdown section is cut into windows that keep its heading", async () => {
  const body = Array.from({ length: 200 }, (_, i) => `Line ${i} of the long section.`).join("\n");
  const doc = `# Title\n\n## Long\n\n${body}\n\n## After\n\nshort\n`;
  const chunks = await chunk("markdown", doc);
  const long = chunks.filter((c) => c.symbol === "Long");
  assert.ok(long.length >= 4, describe(chunks));
  assert.ok(long.every((c) => c.symbol_path === "Title.Long" && c.end_line - c.start_line + 1 <= 50));
  assert.equal(chunks.filter((c) => c.symbol === "After").length, 1);
});

test("a document without headings is one section; closing '#'s and deeper levels are understood", async () => {
  const plain = await chunk("markdown", "just text\nmore text\n");
  assert.deepEqual(plain.map((c) => [c.symbol, c.start_line, c.end_line]), [["", 1, 2]]);
  const atx = await chunk("markdown", "## Two ##\ntext\n#### Four\nmore\n#hashtag is not a heading\n");
  assert.deepEqual(atx.map((c) => [c.symbol, c.symbol_path]), [["Two", "Two"], ["Four", "Two.Four"]]);
});
