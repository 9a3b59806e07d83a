// Model2Vec static embeddings against the Python library's own outputs, on the real fixture models.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel2Vec, medianTokenLength, truncateCodePoints } from "../../server/src/embedding/model2vec.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const MODELS = path.resolve(repoRoot, "../shared/fixtures/models");
const QUANTIZED = path.join(MODELS, "model2vec-vocab-quantized");
const FLOAT32 = path.join(MODELS, "model2vec-float32");
const HELLO_X1000 = Array(1000).fill("hello").join(" ");

function expected(folder: string, file: string): number[] {
  return (JSON.parse(fs.readFileSync(path.join(folder, file), "utf8")) as number[][])[0]!;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "same dimension");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** Real code: 30-line windows of this repository's own sources. */
function codeWindows(limit: number): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        const lines = fs.readFileSync(p, "utf8").split("\n");
        for (let i = 0; i < lines.length; i += 30) out.push(lines.slice(i, i + 30).join("\n"));
      }
    }
  };
  walk(path.join(repoRoot, "server/src"));
  // A few inputs that stress normalisation and unknown characters too.
  out.push("naïve café — 日本語 ☃ \u00a0tabs\tand\nnewlines", "ALL_CAPS_CONSTANT = 0xFF; // TODO(fix): ~`!@#$%^&*()", "");
  return out.slice(0, limit);
}

const temps: string[] = [];
after(() => temps.forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

describe("model2vec embedder", () => {
  test("reproduces the Python library on the vocabulary-quantized model for 'hello' x1000 (max abs diff < 1e-5)", async () => {
    const e = await loadModel2Vec(QUANTIZED);
    const [v] = await e.embed([HELLO_X1000]);
    assert.equal(e.dimension, 64);
    assert.ok(maxAbsDiff(v!, expected(QUANTIZED, "expected_embeddings_hello_x1000.json")) < 1e-5);
  });

  test("reproduces the Python library on the float32 model for 'hello world' and for 'hello' x1000", async () => {
    const e = await loadModel2Vec(FLOAT32);
    const [short, long] = await e.embed(["hello world", HELLO_X1000]);
    assert.equal(e.dimension, 2);
    assert.ok(maxAbsDiff(short!, expected(FLOAT32, "expected_embeddings_short.json")) < 1e-6);
    // float32 sums are rounded like numpy's, so the long text agrees to float32 precision, not just 1e-5.
    assert.ok(maxAbsDiff(long!, expected(FLOAT32, "expected_embeddings_long.json")) < 1e-6);
  });

  test("vectors are unit length when the model's config says normalize", async () => {
    const e = await loadModel2Vec(QUANTIZED);
    assert.equal(e.normalize, true);
    for (const v of await e.embed(codeWindows(20))) if (norm(v) > 0) assert.ok(Math.abs(norm(v) - 1) < 1e-5);
  });

  test("without normalize in the config the vector is the plain mean of the token rows", async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "m2v-plain-"));
    temps.push(copy);
    for (const f of ["model.safetensors", "tokenizer.json"]) fs.copyFileSync(path.join(FLOAT32, f), path.join(copy, f));
    const cfg = JSON.parse(fs.readFileSync(path.join(FLOAT32, "config.json"), "utf8"));
    fs.writeFileSync(path.join(copy, "config.json"), JSON.stringify({ ...cfg, normalize: false }));
    const plain = await loadModel2Vec(copy);
    const normed = await loadModel2Vec(FLOAT32);
    const [hello] = await plain.embed(["hello"]);
    const [world] = await plain.embed(["world"]);
    const [both] = await plain.embed(["hello world"]);
    assert.equal(plain.normalize, false);
    assert.ok(maxAbsDiff(both!, [(hello![0]! + world![0]!) / 2, (hello![1]! + world![1]!) / 2]) < 1e-6);
    const [n] = await normed.embed(["hello world"]);
    assert.ok(maxAbsDiff(n!, both!.map((x) => x / norm(both!))) < 1e-6);
  });

  test("the sentence-transformers layout (0_StaticEmbedding, embedding.weight, Normalize module) gives the same vectors", async () => {
    const st = fs.mkdtempSync(path.join(os.tmpdir(), "m2v-st-"));
    temps.push(st);
    fs.mkdirSync(path.join(st, "0_StaticEmbedding"));
    // Same tensor bytes under sentence-transformers' tensor name: only the header changes.
    const original = fs.readFileSync(path.join(FLOAT32, "model.safetensors"));
    const headerLen = Number(original.readBigUInt64LE(0));
    const header = original.subarray(8, 8 + headerLen).toString("utf8").trim().replace('"embeddings"', '"embedding.weight"');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
    fs.writeFileSync(path.join(st, "0_StaticEmbedding", "model.safetensors"), Buffer.concat([len, Buffer.from(header), original.subarray(8 + headerLen)]));
    fs.copyFileSync(path.join(FLOAT32, "tokenizer.json"), path.join(st, "0_StaticEmbedding", "tokenizer.json"));
    fs.writeFileSync(path.join(st, "config_sentence_transformers.json"), JSON.stringify({ __version__: { sentence_transformers: "3.3.1" } }));
    fs.copyFileSync(path.join(FLOAT32, "modules.json"), path.join(st, "modules.json"));
    const e = await loadModel2Vec(st);
    assert.equal(e.normalize, true, "normalised because modules.json lists a Normalize module");
    const [v] = await e.embed(["hello world"]);
    assert.ok(maxAbsDiff(v!, expected(FLOAT32, "expected_embeddings_short.json")) < 1e-6);
  });

  test("only the first 512 tokens count: what follows them changes nothing", async () => {
    const e = await loadModel2Vec(QUANTIZED);
    const first512 = Array(512).fill("hello").join(" ");
    const [a, b, c] = await e.embed([first512, first512 + " world".repeat(100), "world " + first512]);
    assert.ok(maxAbsDiff(a!, b!) < 1e-7);
    assert.ok(maxAbsDiff(a!, c!) > 1e-5, "a token inside the window does change the vector");
  });

  test("the unknown token is dropped for WordPiece models and kept for Unigram models, as model2vec does", async () => {
    const wordpiece = await loadModel2Vec(FLOAT32);
    const unigram = await loadModel2Vec(QUANTIZED);
    assert.deepEqual(wordpiece.tokenize("hello \u2603 world"), wordpiece.tokenize("hello world"));
    assert.equal(unigram.tokenize("hello \u2603 world").length, unigram.tokenize("hello world").length + 1);
    assert.ok(unigram.tokenize("hello \u2603 world").includes(1), "Unigram's unk_id 1 stays");
  });

  test("a text without tokens embeds to the zero vector, and an empty batch to no vectors", async () => {
    const e = await loadModel2Vec(FLOAT32);
    const [empty, unknownOnly] = await e.embed(["", "\u2603"]);
    assert.deepEqual(Array.from(empty!), [0, 0]);
    assert.deepEqual(Array.from(unknownOnly!), [0, 0]);
    assert.deepEqual(await e.embed([]), []);
  });

  test("a batch gives the same vectors, in order, as embedding each text alone", async () => {
    const e = await loadModel2Vec(QUANTIZED);
    const texts = codeWindows(150);
    const batch = await e.embed(texts);
    assert.equal(batch.length, texts.length);
    for (const i of [0, 1, 64, 65, 149]) {
      const [alone] = await e.embed([texts[i]!]);
      assert.deepEqual(Array.from(batch[i]!), Array.from(alone!));
    }
  });

  test("token ids equal the Rust tokenizers crate's (what Python model2vec uses) on real code, for Unigram and WordPiece", async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(here, "fixtures/embedding/rust-tokenizer-ids.json"), "utf8")) as {
      texts: string[];
      ids: Record<string, number[][]>;
    };
    for (const folder of [QUANTIZED, FLOAT32]) {
      const e = await loadModel2Vec(folder);
      const expectedIds = ref.ids[path.basename(folder)]!;
      ref.texts.forEach((t, i) => {
        // model2vec drops WordPiece's unknown token after tokenizing; the reference ids are the raw tokenizer's.
        const raw = e.tokenize(t);
        const want = e.name.includes("float32") ? expectedIds[i]!.filter((id) => id !== 1) : expectedIds[i]!;
        assert.deepEqual(raw, want.slice(0, 512), `${path.basename(folder)} text ${i}: ${t.slice(0, 60)}`);
      });
    }
  });

  test("for WordPiece the memoised model step gives exactly the library's own ids", async () => {
    const texts = codeWindows(400);
    const fast = await loadModel2Vec(FLOAT32);
    const library = await loadModel2Vec(FLOAT32, { fastModelStep: false });
    for (const t of texts) assert.deepEqual(fast.tokenize(t), library.tokenize(t), t.slice(0, 60));
  });

  test("the character cut before tokenizing counts code points like Python, never splitting a surrogate pair", () => {
    assert.equal(truncateCodePoints("abc", 5), "abc");
    assert.equal(truncateCodePoints("😀😀😀", 2), "😀😀");
    assert.equal(truncateCodePoints("a😀b", 2), "a😀");
    assert.equal(medianTokenLength({ model: { type: "WordLevel", vocab: { a: 0, bb: 1, cccc: 2, dddddd: 3 } } }), 3);
    assert.equal(medianTokenLength({ model: { type: "WordLevel", vocab: { "😀": 0, ab: 1, abc: 2 } } }), 2);
  });

  test("the name carries provider and folder, so the index notices a change of model", async () => {
    assert.equal((await loadModel2Vec(QUANTIZED)).name, "model2vec:model2vec-vocab-quantized");
    assert.equal((await loadModel2Vec(FLOAT32)).name, "model2vec:model2vec-float32");
  });
});
