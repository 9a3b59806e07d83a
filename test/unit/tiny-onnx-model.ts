// Writes a real, tiny ONNX "encoder" for the transformers tests: token embedding lookup (Gather) as last_hidden_state,
// with a BERT WordPiece tokenizer. No transformer ONNX model is small enough to ship, and this one runs through the
// real onnxruntime and transformers.js pipeline, so loading, tokenizing, pooling and normalising are all exercised.
import fs from "node:fs";
import path from "node:path";

/** Protobuf wire format, just what ONNX's ModelProto needs. */
class Proto {
  private parts: Uint8Array[] = [];
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
    this.parts.push(Uint8Array.from(bytes));
  }
  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }
  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(value.byteLength);
    this.parts.push(value);
    return this;
  }
  str(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }
  msg(field: number, value: Proto): this {
    return this.bytes(field, value.build());
  }
  build(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

const FLOAT = 1;
const INT64 = 7;

function tensorInput(name: string, elemType: number, dims: (number | string)[]): Proto {
  const shape = new Proto();
  for (const d of dims) shape.msg(1, typeof d === "number" ? new Proto().int(1, d) : new Proto().str(2, d));
  return new Proto().str(1, name).msg(2, new Proto().msg(1, new Proto().int(1, elemType).msg(2, shape)));
}

/** The embedding table the model looks tokens up in: row r, column c. */
export function tableValue(r: number, c: number): number {
  return Math.sin(r * 0.37 + c * 1.3) + 0.01 * c;
}

/**
 * Writes `folder` with config.json (hidden_size = dim), tokenizer.json (+ config) from `tokenizerFolder`,
 * and onnx/model.onnx. Returns the vocabulary size.
 */
export function writeTinyOnnxModel(folder: string, tokenizerFolder: string, dim: number): number {
  const tokenizer = JSON.parse(fs.readFileSync(path.join(tokenizerFolder, "tokenizer.json"), "utf8"));
  const vocab = Object.keys(tokenizer.model.vocab).length;
  const table = new Float32Array(vocab * dim);
  for (let r = 0; r < vocab; r++) for (let c = 0; c < dim; c++) table[r * dim + c] = tableValue(r, c);

  const weights = new Proto().int(1, vocab).int(1, dim).int(2, FLOAT).str(8, "embeddings").bytes(9, new Uint8Array(table.buffer));
  const gather = new Proto().str(1, "embeddings").str(1, "input_ids").str(2, "last_hidden_state").str(3, "lookup").str(4, "Gather");
  const graph = new Proto()
    .msg(1, gather)
    .str(2, "tiny-encoder")
    .msg(5, weights)
    .msg(11, tensorInput("input_ids", INT64, ["batch", "sequence"]))
    .msg(11, tensorInput("attention_mask", INT64, ["batch", "sequence"]))
    .msg(11, tensorInput("token_type_ids", INT64, ["batch", "sequence"]))
    .msg(12, tensorInput("last_hidden_state", FLOAT, ["batch", "sequence", dim]));
  const model = new Proto().int(1, 8).str(2, "context-engine-tests").msg(7, graph).msg(8, new Proto().str(1, "").int(2, 13));

  fs.mkdirSync(path.join(folder, "onnx"), { recursive: true });
  fs.writeFileSync(path.join(folder, "onnx", "model.onnx"), model.build());
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ model_type: "bert", architectures: ["BertModel"], hidden_size: dim, vocab_size: vocab }));
  fs.copyFileSync(path.join(tokenizerFolder, "tokenizer.json"), path.join(folder, "tokenizer.json"));
  fs.writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify({
      tokenizer_class: "BertTokenizer", model_max_length: 512, do_lower_case: true,
      pad_token: "[PAD]", unk_token: "[UNK]", cls_token: "[CLS]", sep_token: "[SEP]", mask_token: "[MASK]",
    }));
  return vocab;
}
