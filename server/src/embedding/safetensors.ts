// Reads a .safetensors file: an 8-byte little-endian header length, a JSON header, then raw tensors.
import fs from "node:fs/promises";

export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export interface Tensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The raw little-endian bytes of the tensor (a view into the file buffer). */
  bytes: Uint8Array;
}

const BYTES_PER: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** A malformed file: the message names the file and what is wrong with it. */
export class SafetensorsError extends Error {
  constructor(file: string, problem: string) {
    super(`${file} is not a valid safetensors file: ${problem}`);
    this.name = "SafetensorsError";
  }
}

export async function readSafetensors(file: string): Promise<Map<string, Tensor>> {
  const buf = await fs.readFile(file);
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

export function parseSafetensors(data: Uint8Array, file = "<buffer>"): Map<string, Tensor> {
  if (data.byteLength < 8) throw new SafetensorsError(file, "shorter than its 8-byte header length");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > data.byteLength - 8) throw new SafetensorsError(file, `header length ${headerLen} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch {
    throw new SafetensorsError(file, "header is not JSON");
  }
  const body = data.subarray(8 + headerLen);
  const tensors = new Map<string, Tensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const info = raw as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    if (!Object.hasOwn(BYTES_PER, dtype)) throw new SafetensorsError(file, `tensor ${name} has unsupported dtype ${info.dtype}`);
    const shape = info.shape;
    const offsets = info.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor ${name} has a bad shape`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new SafetensorsError(file, `tensor ${name} has bad data_offsets`);
    const [begin, end] = offsets as number[];
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (!(begin >= 0 && end <= body.byteLength && end - begin === count * BYTES_PER[dtype])) {
      throw new SafetensorsError(file, `tensor ${name} data_offsets [${begin}, ${end}] do not match shape ${JSON.stringify(shape)} ${dtype} or the file size`);
    }
    tensors.set(name, { dtype, shape: shape as number[], bytes: body.subarray(begin, end) });
  }
  return tensors;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The tensor's values as float64 (weights keep their precision; the caller narrows when it wants). */
export function toFloat64(t: Tensor): Float64Array {
  const n = t.bytes.byteLength / BYTES_PER[t.dtype];
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float64Array(n);
  switch (t.dtype) {
    case "F64": for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true); break;
    case "F32": for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true); break;
    case "F16": for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
    // bfloat16 is the upper half of a float32.
    case "BF16": for (let i = 0; i < n; i++) out[i] = bf16(view.getUint16(i * 2, true)); break;
    case "I64": for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true)); break;
    case "I32": for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true); break;
    case "I16": for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true); break;
    case "I8": for (let i = 0; i < n; i++) out[i] = view.getInt8(i); break;
    case "U8": case "BOOL": for (let i = 0; i < n; i++) out[i] = view.getUint8(i); break;
  }
  return out;
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bf16(bits: number): number {
  bf16Scratch.setUint32(0, (bits << 16) >>> 0, false);
  return bf16Scratch.getFloat32(0, false);
}

/** The tensor's values as int32 (token -> row mappings). Non-integer dtypes are refused. */
export function toInt32(t: Tensor, file = "<buffer>"): Int32Array {
  if (t.dtype.startsWith("F") || t.dtype === "BF16") throw new SafetensorsError(file, `expected an integer tensor, got ${t.dtype}`);
  const wide = toFloat64(t);
  return Int32Array.from(wide);
}
