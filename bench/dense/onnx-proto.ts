// The protobuf wire format, just what ONNX's ModelProto needs: enough to write a real model file from TypeScript, so
// tests and benchmarks can make the ONNX encoders they run through onnxruntime without Python or a download.

export class Proto {
  private parts: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.byteLength;
  }

  private varint(n: number | bigint): void {
    let v = BigInt(n);
    if (v < 0n) v += 1n << 64n;
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.push(Uint8Array.from(bytes));
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.varint((field << 3) | 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(value.byteLength);
    this.push(value);
    return this;
  }

  str(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message: its parts are kept as they are (a 400 MB weight is copied once, when the file is written). */
  msg(field: number, value: Proto): this {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    for (const p of value.parts) this.push(p);
    return this;
  }

  /** The parts in order: write them one after the other (fs.writeSync) rather than joining a large model. */
  chunks(): readonly Uint8Array[] {
    return this.parts;
  }

  build(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** A graph input or output: name, element type and shape (numbers fixed, strings symbolic). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): Proto {
  const shape = new Proto();
  for (const d of dims) shape.msg(1, typeof d === "number" ? new Proto().int(1, d) : new Proto().str(2, d));
  return new Proto().str(1, name).msg(2, new Proto().msg(1, new Proto().int(1, elemType).msg(2, shape)));
}

/** An initializer: a named constant tensor with its raw little-endian bytes. */
export function tensor(name: string, elemType: number, dims: number[], raw: ArrayBufferView): Proto {
  const t = new Proto();
  for (const d of dims) t.int(1, d);
  return t.int(2, elemType).str(8, name).bytes(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
}

export type Attr = number | number[] | { f: number } | Proto;

/** A graph node; integer attributes as numbers or number arrays, floats as {f}, tensors as a Proto. */
export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, domain = ""): Proto {
  const n = new Proto();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, outputs[0]!).str(4, op);
  for (const [name, v] of Object.entries(attrs)) {
    const a = new Proto().str(1, name);
    if (typeof v === "number") a.int(3, v).int(20, 2);
    else if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, 7);
    } else if (v instanceof Proto) a.msg(5, v).int(20, 4);
    else a.float(2, v.f).int(20, 1);
    n.msg(5, a);
  }
  if (domain) n.str(7, domain);
  return n;
}

/** A ModelProto around a graph, importing the standard opset at `opset`. */
export function model(graph: Proto, opset: number, producer = "context-engine"): Proto {
  return new Proto().int(1, 8).str(2, producer).msg(7, graph).msg(8, new Proto().str(1, "").int(2, opset));
}
