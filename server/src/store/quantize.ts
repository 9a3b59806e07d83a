// Dense vectors as the embedded store keeps them: int8 with one scale per vector (a quarter of float32's size, cosine
// within about 1% of it) for rescoring and reuse, and one sign bit per dimension for the coarse nearest-neighbour
// scan (a thirty-second of float32's size; sqlite-vec compares bits by Hamming distance).

/** A float vector as int8: 4 bytes of float32 scale (little-endian), then one signed byte per dimension. */
export function toInt8(v: Float32Array): Buffer {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max / 127 || 1;
  const out = Buffer.alloc(4 + v.length);
  out.writeFloatLE(scale, 0);
  for (let i = 0; i < v.length; i++) out.writeInt8(Math.round(v[i]! / scale), 4 + i);
  return out;
}

/** The float vector an int8 blob stands for. */
export function fromInt8(b: Uint8Array): Float32Array {
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const scale = view.readFloatLE(0);
  const out = new Float32Array(b.byteLength - 4);
  for (let i = 0; i < out.length; i++) out[i] = view.readInt8(4 + i) * scale;
  return out;
}

/** Cosine similarity of a float query with an int8 blob, without building the float vector. */
export function cosineInt8(q: Float32Array, b: Uint8Array): number {
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let dot = 0;
  let qq = 0;
  let bb = 0;
  for (let i = 0; i < q.length; i++) {
    const x = view.readInt8(4 + i);
    dot += q[i]! * x;
    qq += q[i]! * q[i]!;
    bb += x * x;
  }
  return qq && bb ? dot / Math.sqrt(qq * bb) : 0;
}

/** One bit per dimension, set where the component is positive (sqlite-vec's bit[] layout: dimension i at bit i). */
export function toBits(v: Float32Array): Buffer {
  const out = Buffer.alloc(Math.ceil(v.length / 8));
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}
