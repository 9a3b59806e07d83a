// What a search returns: one hit per stretch of code, snippets of the lines that matched, a relevance floor,
// min_score, and a text rendering grouped by file.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { snippetLines } from "../../server/src/answer/blocks.ts";
import { renderBlock } from "../../server/src/answer/prompt.ts";
import { mergeSpans } from "../../server/src/answer/blocks.ts";
import type { Engine } from "../../server/src/engine.ts";
import { mergeAdjacent, type Hit } from "../../server/src/search/merge.ts";
import { renderGrouped } from "../../server/src/search/render.ts";
import { shapeResults } from "../../server/src/search/shape.ts";
import { buildSnippet, ELISION, LineMatcher } from "../../server/src/search/snippet.ts";
import type { Point } from "../../server/src/store/types.ts";
import { lexicalEngine, model2vecEngine } from "../helpers/engine.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

function hit(path: string, start: number, end: number, symbol_path: string, score: number, opts: { kind?: string; why?: string[]; text?: string } = {}): Hit {
  const text = opts.text ?? Array.from({ length: end - start + 1 }, (_, i) => `line ${start + i}`).join("\n");
  const point: Point = {
    id: `${path}:${start}`, repo: "r", path, language: "javascript", start_line: start, end_line: end,
    symbol: symbol_path.split(".").pop() ?? "", symbol_kind: opts.kind ?? (symbol_path ? "method" : ""), symbol_path,
    kind: "code", text, file_hash: "h", lexical: { symbol: [], path: [], body: [] },
  };
  return { point, score, why: opts.why ?? [`lexical #${Math.round(10 - score * 5)}`], components: { lexical: score } };
}

/** A tab-indented function long enough to be cut into several windows, the word "backoff" near its start and end. */
function longFunction(): string {
  const body: string[] = ["export function sendWithRetries(request, options) {", "\tconst backoff = options.backoffMs ?? 100;"];
  for (let i = 0; i < 110; i++) body.push(`\tconst step${i} = request.headers[${i}] ?? options.fallback${i};`);
  body.push("\tif (failed) {", "\t\tawait sleep(backoff * 2 ** attempt); // exponential backoff", "\t}", "\treturn request;", "}");
  return body.join("\n") + "\n";
}

describe("one hit per stretch of code", () => {
  it("merges the windows of one method, near or far apart, into one span with one set of reasons", () => {
    const spans = mergeAdjacent([
      hit("src/got.js", 474, 521, "Request._beforeError", 0.9, { why: ["lexical #1", "file matches in 3 places"] }),
      hit("src/got.js", 511, 554, "Request._beforeError", 0.8, { why: ["lexical #2", "file matches in 3 places"] }),
      hit("src/got.js", 583, 626, "Request._beforeError", 0.7, { why: ["lexical #4", "file matches in 3 places"] }),
      hit("src/got.js", 700, 720, "Request.retry", 0.6),
    ]);
    assert.equal(spans.length, 2);
    const [m] = spans;
    assert.deepEqual([m!.start_line, m!.end_line], [474, 626]);
    assert.deepEqual(m!.why, ["lexical #1", "file matches in 3 places"], "no repeated reasons, no rank of another window");
    assert.equal(m!.components.merged, 3);
  });

  it("scores a span by its best run of touching windows: far-apart windows of one function add nothing", () => {
    const far = mergeAdjacent([hit("a.js", 1, 40, "long", 1), hit("a.js", 200, 240, "long", 0.9), hit("a.js", 400, 440, "long", 0.9)]);
    assert.equal(far.length, 1);
    assert.equal(far[0]!.score, 1, "one function matching here and there is no better than its best window");
    const near = mergeAdjacent([hit("b.js", 1, 40, "f", 1), hit("b.js", 30, 70, "f", 0.5), hit("b.js", 300, 340, "f", 0.9)]);
    assert.ok(Math.abs(near[0]!.score - 1.05) < 1e-9, "overlapping windows: the best plus a tenth of the other");
    const touching = mergeAdjacent([hit("c.js", 1, 10, "g", 0.4), hit("c.js", 12, 20, "g", 0.6), hit("c.js", 100, 120, "g", 0.5)]);
    assert.ok(Math.abs(touching[0]!.score - 0.64) < 1e-9, "a window a line apart touches");
    const long = mergeAdjacent([hit("d.js", 1, 50, "h", 1), hit("d.js", 40, 95, "h", 0.8)]);
    assert.equal(long[0]!.score, 1, "a run stops at 80 lines: two long windows are two places");
  });

  it("joins a short symbol-less tail (an export line) to the code it touches, not a sibling symbol", () => {
    const spans = mergeAdjacent([hit("a.js", 2, 49, "compose", 1), hit("a.js", 50, 51, "", 0.8), hit("a.js", 52, 60, "other", 0.5)]);
    assert.deepEqual(spans.map((s) => [s.start_line, s.end_line]), [[2, 51], [52, 60]]);
  });

  it("keeps a class's in-between lines apart when they do not touch (its methods lie between them)", () => {
    const spans = mergeAdjacent([hit("c.py", 1, 5, "Session", 1, { kind: "class" }), hit("c.py", 40, 44, "Session", 0.5, { kind: "class" })]);
    assert.equal(spans.length, 2);
  });

  it("returns one hit for a long tab-indented function that matches in several windows, opened at a matching line", async () => {
    const { dir, cleanup } = tempDir();
    writeTree(dir, { "src/retry.js": longFunction() });
    const engine = await lexicalEngine(dir);
    try {
      await engine.index();
      const { results } = await engine.search.search("exponential backoff", { limit: 10 });
      const same = results.filter((r) => r.symbol_path === "sendWithRetries");
      assert.equal(same.length, 1, results.map((r) => `${r.start_line}-${r.end_line} ${r.symbol_path}`).join(", "));
      const r = same[0]!;
      assert.equal(r.symbol_kind, "function", "clients pick the symbol's icon from its kind");
      assert.ok(r.end_line - r.start_line > 50, "the span covers the windows it merged");
      assert.match(r.snippet, new RegExp(`^\\s*${r.match_line} \\| .*exponential backoff`, "m"), r.snippet);
      assert.ok(r.match_lines.includes(2) && r.match_lines.includes(r.match_line));
      assert.ok(r.snippet.split("\n").length <= 12 + 2, "a dozen lines, not the whole function");
    } finally {
      await engine.close();
      cleanup();
    }
  });
});

describe("files a question names with hyphens", () => {
  it("finds `lib/rules/no-with.js` for a question that writes its name, though its words are too common to search", async () => {
    const rule = (name: string, node: string) =>
      `module.exports = {\n\tmeta: { type: "suggestion", docs: { description: "disallow ${node}" } },\n\tcreate(context) {\n\t\treturn { ${node}(node) { context.flag(node, "unexpected${node}"); } };\n\t},\n};\n`;
    const { dir, cleanup } = tempDir();
    writeTree(dir, {
      "lib/rules/no-with.js": rule("no-with", "WithStatement"),
      "lib/rules/no-var.js": rule("no-var", "VariableDeclaration"),
      "lib/linter/report-translator.js": "// Turns each violation a rule reports into a problem at the keyword or node it names.\nexport function createReportTranslator(violations, keyword) {\n\treturn violations.map((v) => ({ ...v, keyword, report: true }));\n}\n",
    });
    const engine = await lexicalEngine(dir);
    try {
      await engine.index();
      for (const q of ["report no-with violations at the with keyword", "no with rule"]) {
        const { results } = await engine.search.search(q, { limit: 5 });
        const at = results.findIndex((r) => r.path === "lib/rules/no-with.js");
        assert.ok(at >= 0 && at <= 1, `${q}: ${results.map((r) => r.path).join(", ")}`);
        assert.ok(results[at]!.why.includes("file name in query: no-with"), results[at]!.why.join(", "));
        assert.ok(!results.some((r) => r.path === "lib/rules/no-var.js" && r.why.some((w) => w.startsWith("file name"))));
      }
    } finally {
      await engine.close();
      cleanup();
    }
  });
});

describe("snippets show the lines that matched", () => {
  const lines = new Map(Array.from({ length: 60 }, (_, i) => [i + 1, i === 29 ? "\tthrow new FST_ERR_DUPLICATED_ROUTE(method, path)" : i === 49 ? "\tconst route = routes.get(path)" : `\tconst v${i} = ${i}`]));

  it("picks the best matching line and its neighbours, rare terms first, with an elision between pieces", () => {
    const matcher = new LineMatcher(new Map([["fst_err_duplicated_route", 1], ["route", 1], ["duplicated", 1]]));
    const span = { start_line: 1, lines };
    const s = buildSnippet(span, matcher.score(matcher.read(span)), 6);
    assert.equal(s.matchLine, 30);
    assert.deepEqual(s.matchLines, [30, 50]);
    const shown = s.text.split("\n");
    assert.ok(shown.some((l) => /^30 \| \tthrow new FST_ERR_DUPLICATED_ROUTE/.test(l)), s.text);
    assert.ok(shown.some((l) => l.startsWith("50 | ")) && shown.some((l) => l.trim() === ELISION), s.text);
    assert.ok(!shown.some((l) => l.startsWith(" 1 | ") || l.startsWith("1 | ")), "not the chunk's first line");
  });

  it("shows the first code lines when no query word is in the span (a semantic match)", () => {
    const matcher = new LineMatcher(new Map([["nothing", 1]]));
    const span = { start_line: 1, lines };
    const s = buildSnippet(span, matcher.score(matcher.read(span)), 3);
    assert.equal(s.matchLine, 1);
    assert.deepEqual(s.text.split("\n").map((l) => l.split(" | ")[0]!.trim()), ["1", "2", "3"]);
  });
});

describe("the relevance floor and min_score", () => {
  let dir: string;
  let cleanup: () => void;
  let engine: Engine;
  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, { "src/retry.js": longFunction(), "src/cookie.js": "export function parseCookie(header) {\n\treturn header.split(';');\n}\n" });
    engine = await model2vecEngine(dir);
    await engine.index();
  });
  after(async () => {
    await engine.close();
    cleanup();
  });

  it("a query none of whose words occur in the closest code returns nothing and says what was searched", async () => {
    const res = await engine.search.search("xyzzyplughfrobnicate", { limit: 10 });
    assert.deepEqual(res.results, []);
    assert.match(res.note ?? "", /^No good match for “xyzzyplughfrobnicate”: none of its words \(xyzzyplughfrobnicate\)/);
  });

  it("a real query still finds its code, and min_score cuts what scores below it", async () => {
    const all = await engine.search.search("parse cookie header", { limit: 10 });
    assert.equal(all.results[0]?.path, "src/cookie.js");
    assert.equal(all.note, undefined);
    const top = all.results[0]!.score;
    const cut = await engine.search.search("parse cookie header", { limit: 10, minScore: top });
    assert.ok(cut.results.length >= 1 && cut.results.every((r) => r.score >= top));
    const none = await engine.search.search("parse cookie header", { limit: 10, minScore: top + 1 });
    assert.deepEqual(none.results, []);
    assert.match(none.note ?? "", /scored at least/);
  });

  it("a query of only common words has nothing to look for", () => {
    const spans = mergeAdjacent([{ ...hit("a.js", 1, 3, "f", 1), components: { dense: 0.5 }, why: ["dense #1"] }]);
    const shaped = shapeResults(spans, { text: "the of and", terms: [] }, { limit: 10, perFileCap: 3, snippetLines: 12 });
    assert.deepEqual(shaped.results, []);
    assert.match(shaped.note!, /only common words/);
  });
});

describe("the text agents read", () => {
  it("groups results by file, a header once with its count, each hit numbered by rank", () => {
    const spans = mergeAdjacent([hit("a.js", 1, 3, "f", 1), hit("b.js", 1, 3, "g", 0.9), hit("a.js", 10, 12, "h", 0.8)]);
    const { results } = shapeResults(spans, { text: "line", terms: [{ term: "line", weight: 1 }] }, { limit: 10, perFileCap: 3, snippetLines: 12 });
    const text = renderGrouped(results, { tookMs: 5 });
    assert.equal(text.match(/^a\.js/gm)?.length, 1);
    assert.match(text, /^a\.js \(2 results\)\n {2}\[1\] 1-3 f \(score 1\)\n[\s\S]*\n {2}\[3\] 10-12 h/m);
    assert.match(text, /^b\.js \(1 result\)\n {2}\[2\] 1-3 g/m);
    assert.match(text, /3 results in 2 files, 5 ms$/);
  });

  it("says why nothing came back", () => {
    assert.equal(renderGrouped([], { note: "No good match for “x”" }), "No good match for “x”");
  });
});

describe("context_answer's blocks", () => {
  it("read an elided snippet without numbering its lines twice", () => {
    const snippet = ["358 | \tconst a = 1;", "359 | \tconst b = 2;", "    ⋯", "400 | \treturn a + b;", "    | ..."].join("\n");
    const r = { path: "x.js", repo: "r", start_line: 358, end_line: 420, symbol: "", symbol_path: "", symbol_kind: "", language: "javascript", kind: "code", score: 1, why: [], components: {}, snippet, match_line: 400, match_lines: [400] };
    assert.deepEqual([...snippetLines(r).entries()], [[358, "\tconst a = 1;"], [359, "\tconst b = 2;"], [400, "\treturn a + b;"]]);
    const block = renderBlock(mergeSpans([r])[0]!, 1);
    assert.doesNotMatch(block, /\d+ \| \s*\d+ \|/, block);
    assert.doesNotMatch(block, /\| \.\.\.|⋯/);
  });
});
