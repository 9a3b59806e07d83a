// Chunking on worker threads gives exactly what chunkFile gives on the calling thread, and loses no file.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkFile, createChunker } from "../../server/src/chunking/index.ts";
import { MICRO } from "./chunking-helpers.ts";

function corpus(): Array<{ path: string; text: string; language: string }> {
  const files = [];
  for (let i = 0; i < 12; i++) {
    const body = Array.from({ length: 20 + i * 15 }, (_, k) => `    v${k} = step(${k})`).join("\n");
    files.push({ path: `m${i}.py`, language: "python", text: `import os\n\nclass C${i}:\n    def run(self):\n${body}\n        return 1\n` });
    files.push({ path: `m${i}.ts`, language: "typescript", text: `export function f${i}(a: number) {\n${"  a++;\n".repeat(i * 9)}  return a;\n}\n` });
    files.push({ path: `m${i}.md`, language: "markdown", text: `# Doc ${i}\n\ntext\n\n## Part\n\nmore\n` });
    files.push({ path: `m${i}.go`, language: "go", text: `package m\n\nfunc (s *S) M${i}() int {\n\treturn ${i}\n}\n` });
  }
  return files;
}

test("chunks from worker threads equal chunks from the calling thread", async () => {
  const files = corpus();
  const expected = [];
  for (const f of files) expected.push(await chunkFile(f, MICRO));
  const chunker = createChunker({ threads: 2 });
  try {
    assert.equal(chunker.threads, 2);
    const got = await Promise.all(files.map((f) => chunker.chunkFile(f, MICRO)));
    assert.deepEqual(got, expected);
  } finally {
    await chunker.close();
  }
});

test("threads: 0 chunks on the calling thread", async () => {
  const chunker = createChunker({ threads: 0 });
  assert.equal(chunker.threads, 0);
  const f = corpus()[0];
  assert.deepEqual(await chunker.chunkFile(f, MICRO), await chunkFile(f, MICRO));
  await chunker.close();
});

test("close waits for files in flight, then refuses new ones", async () => {
  const chunker = createChunker({ threads: 1 });
  const files = corpus();
  const inflight = files.map((f) => chunker.chunkFile(f, MICRO));
  await chunker.close();
  const settled = await Promise.allSettled(inflight);
  assert.ok(settled.every((s) => s.status === "fulfilled"), "every file in flight was chunked");
  await assert.rejects(chunker.chunkFile(files[0], MICRO), /closed/);
});

test("a worker that dies mid-batch loses no file: its files are chunked again", async () => {
  const files = corpus();
  const expected = [];
  for (const f of files) expected.push(await chunkFile(f, MICRO));
  const chunker = createChunker({ threads: 2 });
  try {
    const results = files.map((f) => chunker.chunkFile(f, MICRO));
    // Kill one worker while it still holds files (reaching into the pool is the only way to crash it here).
    const slots = (chunker as unknown as { slots: Array<{ worker: { terminate(): Promise<number> }; pending: Map<number, unknown> }> }).slots;
    const victim = slots.find((s) => s.pending.size > 0);
    assert.ok(victim, "a worker holds files");
    await victim.worker.terminate();
    assert.deepEqual(await Promise.all(results), expected);
  } finally {
    await chunker.close();
  }
});

test("a worker whose parser memory outgrew its bound is replaced, and every file comes out the same", async () => {
  // About 1 MB of TypeScript grows tree-sitter's memory from its 32 MB start past 40 MB (a small file never does).
  const big = { path: "big.ts", language: "typescript", text: Array.from({ length: 20_000 }, (_, k) => `export function f${k}(a: number) { return a + ${k}; }`).join("\n") };
  const files = corpus();
  const expected = [];
  for (const f of [big, ...files]) expected.push(await chunkFile(f, MICRO));
  const chunker = createChunker({ threads: 1, retireAboveBytes: 40 * 1024 * 1024 });
  type Slots = { slots: Array<{ worker: object }> };
  const worker = () => (chunker as unknown as Slots).slots[0]?.worker;
  try {
    // Every grammar loaded first, so that the files behind the big one wait in the worker's queue, not for a grammar.
    assert.deepEqual(await Promise.all(files.map((f) => chunker.chunkFile(f, MICRO))), expected.slice(1));
    const first = worker();
    assert.ok(first, "a worker runs");
    // The big file retires the worker; the files sent after it are declined there and chunked by its successor.
    assert.deepEqual(await Promise.all([big, ...files].map((f) => chunker.chunkFile(f, MICRO))), expected);
    assert.ok(worker(), "a new worker runs");
    assert.notEqual(worker(), first, "the worker was replaced");
    assert.equal(chunker.threads, 1);
  } finally {
    await chunker.close();
  }
});
