// Writes a real, tiny ONNX "encoder" for the transformers tests: token embedding lookup (Gather) as last_hidden_state,
// with a BERT WordPiece tokenizer. No transformer ONNX model is small enough to ship, and this one runs through the
// real onnxruntime and transformers.js pipeline, so loading, tokenizing, pooling and normalising are all exercised.
import fs from "node:fs";
import path from "node:path";
import { DataType, model as modelProto, node, Proto, tensor, valueInfo } from "../../bench/dense/onnx-proto.ts";

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

  const graph = new Proto()
    .msg(1, node("Gather", ["embeddings", "input_ids"], ["last_hidden_state"]))
    .str(2, "tiny-encoder")
    .msg(5, tensor("embeddings", DataType.FLOAT, [vocab, dim], table))
    .msg(11, valueInfo("input_ids", DataType.INT64, ["batch", "sequence"]))
    .msg(11, valueInfo("attention_mask", DataType.INT64, ["batch", "sequence"]))
    .msg(11, valueInfo("token_type_ids", DataType.INT64, ["batch", "sequence"]))
    .msg(12, valueInfo("last_hidden_state", DataType.FLOAT, ["batch", "sequence", dim]));
  const model = modelProto(graph, 13, "context-engine-tests");

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
