// Writes an ONNX encoder with the exact architecture of a BERT-family embedding model (BAAI/bge-base-en-v1.5 and
// smaller shapes) and RANDOM weights, for measuring what the dense path costs: the same operators on the same
// tensor shapes as a trained export, so time and memory are real, but its vectors mean nothing. The graph is what a
// PyTorch export of BertModel holds (embeddings + LayerNorm, per layer Q/K/V projections, scaled dot-product
// attention with the padding mask, output projection, residual + LayerNorm, GELU feed-forward, residual +
// LayerNorm); onnxruntime fuses it at load as it fuses a real export. With `int8`, every weight MatMul is
// dynamically quantized the way onnxruntime's quantize_dynamic does it (DynamicQuantizeLinear on the activation,
// int8 weights with a per-tensor scale, MatMulInteger, scale back to float).
import fs from "node:fs";
import path from "node:path";
import { DataType, model, node, Proto, tensor, valueInfo } from "./onnx-proto.ts";

export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
  positions: number;
}

/** The shapes compared: bge-base-en-v1.5 (the default), bge-small-en-v1.5, and a 6-layer MiniLM (all-MiniLM-L6-v2). */
export const SHAPES: Record<string, BertShape> = {
  "bge-base-en-v1.5": { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, positions: 512 },
  "bge-small-en-v1.5": { layers: 12, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, positions: 512 },
  "minilm-l6": { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, positions: 512 },
};

/** Deterministic N(0, 0.02) weights (BERT's initialiser scale), so activations stay in a trained model's range. */
class Normal {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  private uniform(): number {
    // xorshift32: fast enough for 110M draws, and seeded
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return (this.s + 0.5) / 4294967296;
  }
  fill(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.uniform())) * std;
      const t = 2 * Math.PI * this.uniform();
      out[i] = r * Math.cos(t);
      if (i + 1 < n) out[i + 1] = r * Math.sin(t);
    }
    return out;
  }
}

class GraphBuilder {
  readonly nodes: Proto[] = [];
  readonly inits: Proto[] = [];
  private n = 0;
  constructor(private readonly rand: Normal, private readonly int8: boolean) {}

  name(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }

  op(type: string, inputs: string[], attrs: Parameters<typeof node>[3] = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.name(type.toLowerCase()));
    this.nodes.push(node(type, inputs, outs, attrs));
    return outs;
  }

  one(type: string, inputs: string[], attrs: Parameters<typeof node>[3] = {}): string {
    return this.op(type, inputs, attrs)[0]!;
  }

  constF(values: number[] | Float32Array, dims: number[], prefix = "c"): string {
    const name = this.name(prefix);
    this.inits.push(tensor(name, DataType.FLOAT, dims, Float32Array.from(values)));
    return name;
  }

  constI64(values: number[], dims: number[]): string {
    const name = this.name("i");
    this.inits.push(tensor(name, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt))));
    return name;
  }

  randomF(dims: number[], std = 0.02): string {
    return this.constF(this.rand.fill(dims.reduce((a, b) => a * b, 1), std), dims, "w");
  }

  /** x @ W + b for a [in, out] weight, float or dynamically quantized. */
  dense(x: string, inDim: number, outDim: number): string {
    const bias = this.constF(new Float32Array(outDim), [outDim], "b");
    if (!this.int8) return this.one("Add", [this.one("MatMul", [x, this.randomF([inDim, outDim])]), bias]);
    const w = this.rand.fill(inDim * outDim, 0.02);
    let max = 0;
    for (const v of w) max = Math.max(max, Math.abs(v));
    const scale = max / 127;
    const q = new Int8Array(w.length);
    for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale)));
    const wq = this.name("wq");
    this.inits.push(tensor(wq, DataType.INT8, [inDim, outDim], q));
    const wzp = this.name("wzp");
    this.inits.push(tensor(wzp, DataType.INT8, [], new Int8Array([0])));
    const [xq, xScale, xZp] = this.op("DynamicQuantizeLinear", [x], {}, 3);
    const acc = this.one("MatMulInteger", [xq!, wq, xZp!, wzp]);
    const scaleBoth = this.one("Mul", [xScale!, this.constF([scale], [], "ws")]);
    return this.one("Add", [this.one("Mul", [this.one("Cast", [acc], { to: DataType.FLOAT }), scaleBoth]), bias]);
  }

  layerNorm(x: string, dim: number): string {
    return this.one("LayerNormalization", [x, this.constF(new Float32Array(dim).fill(1), [dim], "g"), this.constF(new Float32Array(dim), [dim], "b")], {
      axis: -1,
      epsilon: { f: 1e-12 },
    });
  }
}

/** The encoder graph: input_ids, attention_mask, token_type_ids [batch, sequence] -> last_hidden_state. */
function bertGraph(shape: BertShape, int8: boolean, seed: number): Proto {
  const g = new GraphBuilder(new Normal(seed), int8);
  const { hidden: H, heads, layers, intermediate, vocab, positions } = shape;
  const headDim = H / heads;

  const words = g.one("Gather", [g.randomF([vocab, H]), "input_ids"]);
  const types = g.one("Gather", [g.randomF([2, H]), "token_type_ids"]);
  const seqLen = g.one("Shape", ["input_ids"], { start: 1, end: 2 });
  const pos = g.one("Slice", [g.randomF([positions, H]), g.constI64([0], [1]), seqLen, g.constI64([0], [1])]);
  let x = g.layerNorm(g.one("Add", [g.one("Add", [words, types]), pos]), H);

  // Padding mask as the export computes it: (1 - mask) * large negative, broadcast over heads and query positions.
  const maskF = g.one("Cast", ["attention_mask"], { to: DataType.FLOAT });
  const mask4 = g.one("Unsqueeze", [maskF, g.constI64([1, 2], [2])]);
  const additive = g.one("Mul", [g.one("Sub", [g.constF([1], []), mask4]), g.constF([-3.4028234663852886e38], [])]);
  const split = g.constI64([0, 0, heads, headDim], [4]);
  const merge = g.constI64([0, 0, H], [3]);
  const scale = g.constF([Math.sqrt(headDim)], []);

  for (let l = 0; l < layers; l++) {
    const heads4 = (t: string, perm: number[]) => g.one("Transpose", [g.one("Reshape", [t, split])], { perm });
    const q = heads4(g.dense(x, H, H), [0, 2, 1, 3]);
    const k = heads4(g.dense(x, H, H), [0, 2, 3, 1]);
    const v = heads4(g.dense(x, H, H), [0, 2, 1, 3]);
    const scores = g.one("Add", [g.one("Div", [g.one("MatMul", [q, k]), scale]), additive]);
    const probs = g.one("Softmax", [scores], { axis: -1 });
    const ctx = g.one("Reshape", [g.one("Transpose", [g.one("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), merge]);
    const attn = g.layerNorm(g.one("Add", [g.dense(ctx, H, H), x]), H);
    const up = g.dense(attn, H, intermediate);
    // GELU as the export writes it: x * 0.5 * (1 + erf(x / sqrt(2)))
    const erf = g.one("Erf", [g.one("Div", [up, g.constF([Math.SQRT2], [])])]);
    const gelu = g.one("Mul", [g.one("Mul", [up, g.one("Add", [erf, g.constF([1], [])])]), g.constF([0.5], [])]);
    x = g.layerNorm(g.one("Add", [g.dense(gelu, intermediate, H), attn]), H);
  }
  g.nodes.push(node("Identity", [x], ["last_hidden_state"]));

  const graph = new Proto();
  for (const n of g.nodes) graph.msg(1, n);
  graph.str(2, "bert-random-weights");
  for (const t of g.inits) graph.msg(5, t);
  for (const input of ["input_ids", "attention_mask", "token_type_ids"]) graph.msg(11, valueInfo(input, DataType.INT64, ["batch", "sequence"]));
  graph.msg(12, valueInfo("last_hidden_state", DataType.FLOAT, ["batch", "sequence", H]));
  return graph;
}

export interface WrittenModel {
  folder: string;
  onnxBytes: number;
  parameters: number;
}

/**
 * Writes `folder` as a transformers.js model folder: config.json, tokenizer.json + tokenizer_config.json (a BERT
 * WordPiece tokenizer from `tokenizerFolder`), 1_Pooling/config.json (CLS, as BGE) and onnx/model.onnx, or
 * onnx/model_quantized.onnx alone with `int8` (the provider then loads that file).
 */
export function writeBertModel(folder: string, shape: BertShape, tokenizerFolder: string, opts: { int8?: boolean; seed?: number } = {}): WrittenModel {
  const int8 = opts.int8 ?? false;
  const graph = bertGraph(shape, int8, opts.seed ?? 42);
  const file = path.join(folder, "onnx", int8 ? "model_quantized.onnx" : "model.onnx");
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "w");
  let bytes = 0;
  try {
    for (const c of model(graph, 17, "context-engine bench (random weights, cost only)").chunks()) bytes += fs.writeSync(fd, c);
  } finally {
    fs.closeSync(fd);
  }
  const { layers: L, hidden: H, intermediate: I, vocab: V, positions: P } = shape;
  const parameters = (V + P + 2) * H + 2 * H + L * (4 * (H * H + H) + 2 * H * I + I + H + 4 * H);
  fs.writeFileSync(
    path.join(folder, "config.json"),
    JSON.stringify({
      _note: "random weights: for measuring cost only, its vectors mean nothing",
      model_type: "bert", architectures: ["BertModel"], hidden_size: H, num_hidden_layers: L, num_attention_heads: shape.heads,
      intermediate_size: I, vocab_size: V, max_position_embeddings: P, type_vocab_size: 2, hidden_act: "gelu", layer_norm_eps: 1e-12,
    }, null, 2),
  );
  fs.copyFileSync(path.join(tokenizerFolder, "tokenizer.json"), path.join(folder, "tokenizer.json"));
  fs.writeFileSync(
    path.join(folder, "tokenizer_config.json"),
    JSON.stringify({
      tokenizer_class: "BertTokenizer", model_max_length: P, do_lower_case: true,
      pad_token: "[PAD]", unk_token: "[UNK]", cls_token: "[CLS]", sep_token: "[SEP]", mask_token: "[MASK]",
    }),
  );
  fs.mkdirSync(path.join(folder, "1_Pooling"), { recursive: true });
  fs.writeFileSync(path.join(folder, "1_Pooling", "config.json"), JSON.stringify({ word_embedding_dimension: H, pooling_mode_cls_token: true }));
  return { folder, onnxBytes: bytes, parameters };
}
