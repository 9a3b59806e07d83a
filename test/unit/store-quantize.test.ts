// The quantized forms the embedded store keeps: int8 with a scale (cosine within 1% of float) and sign bits, whose
// Hamming distance as sqlite-vec computes it agrees with one counted here.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { openSqliteDatabase } from "../../server/src/store/sqlite-driver.ts";
import { cosineInt8, fromInt8, toBits, toInt8 } from "../../server/src/store/quantize.ts";
import { tempDir } from "../helpers/tmp.ts";

function randomUnit(dim: number, seed: number): Float32Array {
  let s = seed;
  const v = Float32Array.from({ length: dim }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));

test("an int8 vector comes back within half a step of each component, and its cosine within 1% of float's", () => {
  for (const dim of [8, 384, 768]) {
    const a = randomUnit(dim, dim);
    const b = randomUnit(dim, dim + 1);
    const q = toInt8(a);
    assert.equal(q.byteLength, 4 + dim);
    const back = fromInt8(q);
    const step = q.readFloatLE(0);
    assert.ok(back.every((x, i) => Math.abs(x - a[i]!) <= step / 2 + 1e-7));
    assert.ok(Math.abs(cosineInt8(b, q) - cos(b, a)) < 0.01, `dim ${dim}: ${cosineInt8(b, q)} vs ${cos(b, a)}`);
    assert.ok(Math.abs(cosineInt8(a, q) - 1) < 0.01);
  }
});

test("a zero vector quantizes without dividing by zero", () => {
  const q = toInt8(new Float32Array(16));
  assert.deepEqual([...fromInt8(q)], new Array(16).fill(0));
  assert.equal(cosineInt8(new Float32Array(16).fill(1), q), 0);
});

test("sqlite-vec reads the sign bits as we pack them: its Hamming distance matches ours", () => {
  const { dir, cleanup } = tempDir();
  const { db } = openSqliteDatabase(path.join(dir, "bits.db"));
  try {
    for (const dim of [8, 64, 768]) {
      const a = toBits(randomUnit(dim, 3));
      const b = toBits(randomUnit(dim, 4));
      let ours = 0;
      for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) ours++;
      const theirs = (db.prepare("SELECT vec_distance_hamming(vec_bit(?), vec_bit(?)) AS d").get(a, b) as { d: number }).d;
      assert.equal(Number(theirs), ours, `dim ${dim}`);
    }
    // Dimension i is bit i: only the first component positive sets the lowest bit of the first byte.
    assert.deepEqual([...toBits(Float32Array.from([1, -1, -1, -1, -1, -1, -1, -1, 0.5]))], [1, 1]);
  } finally {
    db.close();
    cleanup();
  }
});
