// The safetensors reader: the fixture models' real files, every dtype model files use, and damaged files.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseSafetensors, readSafetensors, SafetensorsError, toFloat64, toInt32 } from "../../server/src/embedding/safetensors.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const MODELS = path.resolve(here, "../../../shared/fixtures/models");

/** Builds a safetensors file: header JSON padded to 8 bytes, then the tensors' bytes in order. */
function build(tensors: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += " ";
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

describe("safetensors reader", () => {
  test("reads the vocabulary-quantized fixture: F64 weights, F32 embeddings, I32 mapping", async () => {
    const t = await readSafetensors(path.join(MODELS, "model2vec-vocab-quantized", "model.safetensors"));
    assert.deepEqual([...t.keys()].sort(), ["embeddings", "mapping", "weights"]);
    assert.deepEqual(t.get("embeddings")!.shape, [128, 64]);
    assert.equal(t.get("weights")!.dtype, "F64");
    const mapping = toInt32(t.get("mapping")!);
    assert.equal(mapping.length, 29524);
    assert.ok(mapping.every((r) => r >= 0 && r < 128));
  });

  test("decodes F32, F64, F16, BF16, I64, I32 and I8 little-endian values", () => {
    const f32 = new Float32Array([1.5, -2.25]);
    const f64 = new Float64Array([0.1, -1e300]);
    const i64 = new BigInt64Array([-3n, 2n ** 40n]);
    const i32 = new Int32Array([-7, 123456]);
    // 0x3c00 = 1.0, 0xc000 = -2.0, 0x3555 ≈ 0.33325 in half precision; 0x3f80 = 1.0, 0xc040 = -3.0 in bfloat16.
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555]);
    const bf16 = new Uint16Array([0x3f80, 0xc040]);
    const file = build({
      a: { dtype: "F32", shape: [2], bytes: new Uint8Array(f32.buffer) },
      b: { dtype: "F64", shape: [2], bytes: new Uint8Array(f64.buffer) },
      c: { dtype: "F16", shape: [3], bytes: new Uint8Array(f16.buffer) },
      d: { dtype: "BF16", shape: [2], bytes: new Uint8Array(bf16.buffer) },
      e: { dtype: "I64", shape: [2], bytes: new Uint8Array(i64.buffer) },
      f: { dtype: "I32", shape: [1, 2], bytes: new Uint8Array(i32.buffer) },
      g: { dtype: "I8", shape: [2], bytes: new Uint8Array([0xff, 0x05]) },
    });
    const t = parseSafetensors(file);
    assert.deepEqual(Array.from(toFloat64(t.get("a")!)), [1.5, -2.25]);
    assert.deepEqual(Array.from(toFloat64(t.get("b")!)), [0.1, -1e300]);
    const half = toFloat64(t.get("c")!);
    assert.deepEqual([half[0], half[1]], [1, -2]);
    assert.ok(Math.abs(half[2]! - 0.33325) < 1e-4);
    assert.deepEqual(Array.from(toFloat64(t.get("d")!)), [1, -3]);
    assert.deepEqual(Array.from(toFloat64(t.get("e")!)), [-3, 2 ** 40]);
    assert.deepEqual(Array.from(toInt32(t.get("f")!)), [-7, 123456]);
    assert.deepEqual(t.get("f")!.shape, [1, 2]);
    assert.deepEqual(Array.from(toInt32(t.get("g")!)), [-1, 5]);
  });

  test("damaged files are refused with a message naming the file and the problem", () => {
    const good = build({ x: { dtype: "F32", shape: [2], bytes: new Uint8Array(8) } });
    assert.throws(() => parseSafetensors(good.subarray(0, 5), "m.safetensors"), /m\.safetensors .*shorter than its 8-byte header/);
    assert.throws(() => parseSafetensors(good.subarray(0, good.length - 4), "m.safetensors"), (e: unknown) => {
      return e instanceof SafetensorsError && /tensor x data_offsets/.test(e.message);
    });
    const huge = new Uint8Array(good);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    assert.throws(() => parseSafetensors(huge, "m.safetensors"), /header length .* exceeds the file/);
    const wrongShape = build({ x: { dtype: "F32", shape: [3], bytes: new Uint8Array(8) } });
    assert.throws(() => parseSafetensors(wrongShape), /do not match shape \[3\] F32/);
    const unknown = build({ x: { dtype: "F8_E4M3", shape: [1], bytes: new Uint8Array(1) } });
    assert.throws(() => parseSafetensors(unknown), /unsupported dtype F8_E4M3/);
    assert.throws(() => toInt32(parseSafetensors(good).get("x")!), /expected an integer tensor, got F32/);
  });
});
