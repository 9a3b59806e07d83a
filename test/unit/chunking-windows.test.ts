// Micro-chunks inside large symbols, the per-file cap, line windows for files without a grammar.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cutWindows } from "../../server/src/chunking/windows.ts";
import { assertTextMatchesLines, chunk, describe, MACRO, MICRO, uncovered } from "./chunking-helpers.ts";

function bigPythonFunction(name: string, statements: number): string {
  const body = Array.from({ length: statements }, (_, i) => `    total_${i} = compute(${i})`).join("\n");
  return `def ${name}(x):\n${body}\n    return x\n`;
}

test("a symbol longer than 50 lines becomes overlapping 5-50 line windows that all carry the symbol", async () => {
  const src = `import os\n\n${bigPythonFunction("load", 300)}\n\ndef small():\n    return 1\n`;
  const chunks = await chunk("python", src);
  const windows = chunks.filter((c) => c.symbol === "load");
  assert.ok(windows.length >= 6, describe(chunks));
  for (const w of windows) {
    const length = w.end_line - w.start_line + 1;
    assert.ok(length >= 5 && length <= 50, `window ${w.start_line}-${w.end_line} is ${length} lines`);
    assert.equal(w.symbol_kind, "function");
    assert.equal(w.symbol_path, "load");
  }
  assert.equal(windows[0].start_line, 3, "first window starts at the def");
  assert.equal(windows[windows.length - 1].end_line, 3 + 301, "last window ends at the return");
  for (let i = 1; i < windows.length; i++) {
    assert.ok(windows[i].start_line <= windows[i - 1].end_line, "neighbouring windows overlap");
    assert.ok(windows[i].start_line > windows[i - 1].start_line, "windows advance");
  }
  const small = chunks.find((c) => c.symbol === "small");
  assert.equal(small?.end_line, small!.start_line + 1, "a small symbol stays whole");
  assert.deepEqual(uncovered(src, chunks), []);
  assertTextMatchesLines(src, chunks);
});

test("nested symbols inside a large function get their own chunks; the rest stays with the outer function", async () => {
  const filler = Array.from({ length: 60 }, (_, i) => `  const v${i} = ${i};`).join("\n");
  const src = `function outer() {\n${filler}\n  function inner(a) {\n    return a + 1;\n  }\n${filler}\n  return inner(1);\n}\n`;
  const chunks = await chunk("javascript", src);
  const inner = chunks.find((c) => c.symbol_path === "outer.inner");
  assert.deepEqual([inner?.start_line, inner?.end_line], [62, 64], describe(chunks));
  const rest = chunks.filter((c) => c.symbol_path === "outer");
  assert.ok(rest.length >= 2);
  assert.ok(rest.every((c) => c.end_line < 62 || c.start_line > 64), "outer's windows do not repeat inner");
  assert.deepEqual(uncovered(src, chunks), []);
});

test("with micro-chunks off a symbol stays whole up to 120 lines and larger ones get wide windows", async () => {
  const src = `${bigPythonFunction("mid", 100)}\n\n${bigPythonFunction("huge", 400)}`;
  const chunks = await chunk("python", src, MACRO);
  const mid = chunks.filter((c) => c.symbol === "mid");
  assert.equal(mid.length, 1, describe(chunks));
  assert.equal(mid[0].end_line - mid[0].start_line + 1, 102);
  const huge = chunks.filter((c) => c.symbol === "huge");
  assert.ok(huge.length >= 4);
  assert.ok(huge.every((c) => c.end_line - c.start_line + 1 > 50 && c.end_line - c.start_line + 1 <= 120), describe(huge));
  const micro = await chunk("python", src, MICRO);
  assert.ok(micro.length > chunks.length, "micro-chunks cut finer");
});

test("above MAX_MICRO_CHUNKS_PER_FILE the windows widen so the file stays within the cap", async () => {
  const src = Array.from({ length: 10 }, (_, i) => bigPythonFunction(`f${i}`, 200)).join("\n\n");
  const uncapped = await chunk("python", src, { microChunks: true, maxMicroChunks: 10_000 });
  const capped = await chunk("python", src, { microChunks: true, maxMicroChunks: 30 });
  assert.ok(uncapped.length > 30, `uncapped gives ${uncapped.length}`);
  assert.ok(capped.length <= 30, `capped gives ${capped.length}`);
  assert.ok(capped.length >= 20, "the cap is used, not undercut wholesale");
  assert.ok(capped.some((c) => c.end_line - c.start_line + 1 > 50), "windows widened beyond 50 lines");
  for (let i = 0; i < 10; i++) assert.ok(capped.some((c) => c.symbol === `f${i}`), `f${i} still has chunks`);
  assert.deepEqual(uncovered(src, capped), []);
  // Windows never cross from one function into the next, however wide.
  for (const c of capped) assert.equal(new Set(c.text.match(/^def \w+/gm) ?? []).size <= 1, true);
});

test("when even one window per large symbol exceeds the cap, each symbol is one chunk", async () => {
  const src = Array.from({ length: 5 }, (_, i) => bigPythonFunction(`g${i}`, 80)).join("\n\n");
  const chunks = await chunk("python", src, { microChunks: true, maxMicroChunks: 2 });
  assert.deepEqual(chunks.map((c) => c.symbol), ["g0", "g1", "g2", "g3", "g4"]);
});

test("files without a grammar get line windows", async () => {
  const src = Array.from({ length: 230 }, (_, i) => `  "key${i}": ${i},`).join("\n");
  const json = `{\n${src}\n}\n`;
  const chunks = await chunk("json", json);
  assert.ok(chunks.length >= 5, describe(chunks));
  assert.ok(chunks.every((c) => c.symbol === "" && c.symbol_kind === "" && c.language === "json"));
  assert.ok(chunks.every((c) => c.end_line - c.start_line + 1 <= 50));
  assert.equal(chunks[0].start_line, 1);
  assert.equal(chunks[chunks.length - 1].end_line, 232);
  assert.deepEqual(uncovered(json, chunks), []);
  assertTextMatchesLines(json, chunks);
  const short = await chunk("yaml", "a: 1\nb: 2\n");
  assert.deepEqual(short.map((c) => [c.start_line, c.end_line, c.text]), [[1, 2, "a: 1\nb: 2"]]);
});

test("window cutting spreads lines evenly with no sliver at the end", () => {
  const w = cutWindows(0, 50, 50, 0.2, 5);
  assert.equal(w.length, 2);
  assert.deepEqual(w[0][0], 0);
  assert.deepEqual(w[1][1], 50);
  const sizes = w.map(([a, b]) => b - a + 1);
  assert.ok(Math.abs(sizes[0] - sizes[1]) <= 1, `sizes ${sizes}`);
  assert.deepEqual(cutWindows(10, 20, 50, 0.2, 5), [[10, 20]]);
  for (const [a, b] of cutWindows(0, 999, 50, 0.2, 5)) assert.ok(b - a + 1 <= 50 && b - a + 1 >= 5);
});

test("empty, blank and whitespace-only files give no chunks", async () => {
  assert.deepEqual(await chunk("python", ""), []);
  assert.deepEqual(await chunk("typescript", "\n\n   \n"), []);
  assert.deepEqual(await chunk("text", "  \t\n"), []);
});

test("CRLF files: lines and texts are right and carry no carriage returns", async () => {
  const src = "def a():\r\n    return 1\r\n\r\ndef b():\r\n    return 2\r\n";
  const chunks = await chunk("python", src);
  assert.deepEqual(chunks.map((c) => [c.symbol, c.start_line, c.end_line]), [["a", 1, 2], ["b", 4, 5]]);
  assert.ok(chunks.every((c) => !c.text.includes("\r")));
  assertTextMatchesLines(src, chunks);
});

test("non-ASCII text before symbols does not shift their lines", async () => {
  const src = `// Größe — 日本語 — emoji 🚀🚀\nconst s = "ünïcödé 🎉";\n\nfunction après(): string {\n  return "✓";\n}\n`;
  const chunks = await chunk("typescript", src);
  const f = chunks.find((c) => c.symbol === "après");
  assert.deepEqual([f?.start_line, f?.end_line, f?.text.split("\n")[0]], [4, 6, "function après(): string {"]);
});

test("broken syntax still gives chunks covering the file, and later symbols are still found", async () => {
  const src = `def ok():\n    return 1\n\ndef broken(:\n    return (((\n\nclass Later:\n    def m(self):\n        return 2\n`;
  const chunks = await chunk("python", src);
  assert.ok(chunks.some((c) => c.symbol === "ok"), describe(chunks));
  assert.deepEqual(uncovered(src, chunks), []);
  const binaryish = "\u0000\u0001\u0002 function \u0000 {{{{ ]]]]\n".repeat(50);
  const garbage = await chunk("javascript", binaryish);
  assert.ok(garbage.length >= 1);
  assert.deepEqual(uncovered(binaryish, garbage), []);
});

test("no chunk straddles two top-level symbols", async () => {
  const parts = Array.from({ length: 30 }, (_, i) => `export function f${i}(a: number) {\n${"  a++;\n".repeat(i * 3)}  return a;\n}\n`);
  const src = parts.join("\nconst x${0} = 1;\n");
  for (const opts of [MICRO, MACRO, { microChunks: true, maxMicroChunks: 3 }]) {
    const chunks = await chunk("typescript", src, opts);
    for (const c of chunks) {
      const heads = c.text.match(/^export function f\d+/gm) ?? [];
      assert.ok(heads.length <= 1, `chunk ${c.start_line}-${c.end_line} holds ${heads.join(", ")}`);
    }
    assert.deepEqual(uncovered(src, chunks), []);
  }
});

test("concurrent calls across languages give the same chunks as sequential ones", async () => {
  const inputs: Array<[string, string]> = [
    ["python", bigPythonFunction("p", 120)],
    ["typescript", "export class A {\n  m() {\n    return 1;\n  }\n}\n"],
    ["go", "package x\n\nfunc F() {}\n"],
    ["rust", "fn main() {\n    println!(\"hi\");\n}\n"],
    ["markdown", "# T\n\ntext\n"],
  ];
  const sequential = [];
  for (const [l, s] of inputs) sequential.push(await chunk(l, s));
  const concurrent = await Promise.all([...inputs, ...inputs].map(([l, s]) => chunk(l, s)));
  assert.deepEqual(concurrent, [...sequential, ...sequential]);
});

test("very long lines (minified or generated text) are cut into bounded pieces that keep their line number", async () => {
  const long = "x".repeat(39_999) + "🚀" + "y".repeat(10_000);
  const src = `const a = 1;\n${"// short line\n".repeat(3)}const blob = "${long}";\nconst b = 2;\n`;
  const chunks = await chunk("text", src);
  assert.ok(chunks.every((c) => c.text.length <= 16_000), describe(chunks));
  const onBlob = chunks.filter((c) => c.start_line === 5 && c.end_line === 5);
  assert.ok(onBlob.length >= 3);
  assert.equal(onBlob.map((c) => c.text).join(""), `const blob = "${long}";`, "the pieces add up to the line");
  assert.ok(onBlob.every((c) => !/[\ud800-\udbff]$/.test(c.text)), "no piece ends in half a surrogate pair");
  assert.deepEqual(uncovered(src, chunks), []);
});

test("a parse that runs out of time gives up cleanly and the parser keeps working", async () => {
  const { parse, parserFor } = await import("../../server/src/chunking/grammars.ts");
  const parser = await parserFor("javascript");
  const big = "function f() { return [1, 2, 3].map((x) => x * 2); }\n".repeat(40_000);
  assert.equal(parse(parser, big, 1), null, "a 1 ms budget cannot parse 2 MB");
  const tree = parse(parser, "function g() {}\n");
  assert.equal(tree?.rootNode.namedChild(0)?.type, "function_declaration");
  tree?.delete();
});

test("windows inside a large symbol start and end at paragraph breaks when one is within reach", async () => {
  // Paragraphs of 7 statements separated by blank lines: window edges should land beside the blank lines.
  const paragraphs = Array.from({ length: 20 }, (_, p) => Array.from({ length: 7 }, (_, k) => `    step_${p}_${k}()`).join("\n"));
  const src = `def pipeline():\n${paragraphs.join("\n\n")}\n    return done()\n`;
  const chunks = await chunk("python", src);
  const lines = src.split("\n");
  const windows = chunks.filter((c) => c.symbol === "pipeline");
  assert.ok(windows.length >= 3, describe(chunks));
  // Blank lines come every 8 lines and an edge may move 3 either way, so nearly every inner edge lands on
  // one (without snapping, about 1 in 8 would).
  const starts = windows.slice(1).filter((w) => lines[w.start_line - 2].trim() === "").length;
  const ends = windows.slice(0, -1).filter((w) => lines[w.end_line].trim() === "").length;
  assert.ok(starts + ends >= 0.8 * 2 * (windows.length - 1), `${starts} starts and ${ends} ends of ${windows.length - 1} snapped: ${describe(windows)}`);
  for (const w of windows) assert.ok(w.end_line - w.start_line + 1 <= 50);
  assert.deepEqual(uncovered(src, chunks), []);
});
