// Loads a Model2Vec static model from a folder: tokenizer.json, model.safetensors and the config, as model2vec does.
import fs from "node:fs";
import path from "node:path";
import { readSafetensors, toFloat64, toInt32, type Tensor } from "./safetensors.ts";

/** The folder layouts model2vec accepts, in its order of preference. */
const LAYOUTS = [
  { config: "config.json", embeddings: "model.safetensors", tokenizer: "tokenizer.json", sentenceTransformers: false },
  { config: "config_sentence_transformers.json", embeddings: "model.safetensors", tokenizer: "tokenizer.json", sentenceTransformers: true },
  { config: "config_sentence_transformers.json", embeddings: "0_StaticEmbedding/model.safetensors", tokenizer: "0_StaticEmbedding/tokenizer.json", sentenceTransformers: true },
] as const;

export type StaticModelLayout = (typeof LAYOUTS)[number];

/** The layout whose three files all exist in `folder`, if any. */
export function findLayout(folder: string): StaticModelLayout | undefined {
  return LAYOUTS.find((l) => [l.config, l.embeddings, l.tokenizer].every((f) => fs.existsSync(path.join(folder, f))));
}

export interface StaticModelData {
  /** [rows, dim] row-major; rows = vocabulary size, or the number of clusters when vocabulary-quantized. */
  embeddings: Float32Array;
  rows: number;
  dim: number;
  /** token id -> row of `embeddings` (vocabulary-quantized models only). */
  mapping: Int32Array | undefined;
  /** token id -> scale applied to its row (vocabulary-quantized models only). */
  weights: Float64Array | undefined;
  normalize: boolean;
  /**
   * numpy sums float32 token vectors in float32 (one row at a time) but weighted ones in float64;
   * reproducing that is what makes long texts match the Python output to the last bit.
   */
  sumInFloat32: boolean;
  /** The parsed tokenizer.json, for the tokenizer and the unknown-token rule. */
  tokenizerJSON: TokenizerJSON;
}

export interface TokenizerJSON {
  model: { type?: string; vocab?: Record<string, number> | [string, number][]; unk_token?: string | null; unk_id?: number | null };
  added_tokens?: { id: number; content: string }[];
  [key: string]: unknown;
}

/** A folder that has the files but not the content model2vec expects. */
export class StaticModelError extends Error {
  constructor(folder: string, problem: string) {
    super(`Model2Vec model at ${folder} cannot be used: ${problem}`);
    this.name = "StaticModelError";
  }
}

function readJSON(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new StaticModelError(path.dirname(file), `${path.basename(file)} is not readable JSON (${(err as Error).message})`);
  }
}

function pick(tensors: Map<string, Tensor>, names: string[]): Tensor | undefined {
  for (const n of names) {
    const t = tensors.get(n);
    if (t) return t;
  }
  return undefined;
}

/**
 * Normalisation follows model2vec: config.json's `normalize` (absent means off). Sentence-transformers
 * layouts carry no such key; there the Normalize module in modules.json decides, as sentence-transformers would.
 */
function readNormalize(folder: string, config: Record<string, unknown>): boolean {
  if (typeof config.normalize === "boolean") return config.normalize;
  const modulesFile = path.join(folder, "modules.json");
  if (!fs.existsSync(modulesFile)) return false;
  const modules = readJSON(modulesFile);
  return Array.isArray(modules) && modules.some((m) => typeof m?.type === "string" && m.type.endsWith("models.Normalize"));
}

export async function loadStaticModel(folder: string): Promise<StaticModelData> {
  const layout = findLayout(folder);
  if (!layout) throw new StaticModelError(folder, "it lacks config.json, model.safetensors or tokenizer.json");
  const config = readJSON(path.join(folder, layout.config)) as Record<string, unknown>;
  const tokenizerJSON = readJSON(path.join(folder, layout.tokenizer)) as TokenizerJSON;
  if (!tokenizerJSON || typeof tokenizerJSON.model !== "object") throw new StaticModelError(folder, "tokenizer.json has no model");

  const file = path.join(folder, layout.embeddings);
  const tensors = await readSafetensors(file);
  const emb = pick(tensors, layout.sentenceTransformers ? ["embedding.weight", "embeddings"] : ["embeddings", "embedding.weight", "0"]);
  if (!emb || emb.shape.length !== 2) {
    throw new StaticModelError(folder, `model.safetensors has no 2-D "embeddings" tensor (found: ${[...tensors.keys()].join(", ")})`);
  }
  const [rows, dim] = emb.shape as [number, number];
  const mappingT = pick(tensors, ["mapping", "mappings"]);
  const weightsT = pick(tensors, ["weights"]);
  const mapping = mappingT ? toInt32(mappingT, file) : undefined;
  const weights = weightsT ? toFloat64(weightsT) : undefined;
  if (mapping && mapping.some((r) => r < 0 || r >= rows)) throw new StaticModelError(folder, "a token mapping points outside the embeddings");

  const vocabSize = vocabularySize(tokenizerJSON);
  const tokenRows = mapping ? mapping.length : rows;
  if (!mapping && rows < vocabSize) {
    throw new StaticModelError(folder, `${rows} embedding rows for a vocabulary of ${vocabSize} tokens and no token mapping`);
  }
  if (weights && weights.length < vocabSize) throw new StaticModelError(folder, `${weights.length} weights for ${vocabSize} tokens`);
  if (tokenRows < vocabSize) throw new StaticModelError(folder, `the token mapping covers ${tokenRows} of ${vocabSize} tokens`);

  return {
    embeddings: Float32Array.from(toFloat64(emb)),
    rows,
    dim,
    mapping,
    weights,
    normalize: readNormalize(folder, config),
    sumInFloat32: !weights && (emb.dtype === "F32" || emb.dtype === "F16" || emb.dtype === "BF16"),
    tokenizerJSON,
  };
}

/** token -> id over the model vocabulary and the added tokens, as `Tokenizer.get_vocab()` sees it. */
export function vocabularyOf(tj: TokenizerJSON): Map<string, number> {
  const vocab = new Map<string, number>();
  const v = tj.model.vocab;
  if (Array.isArray(v)) v.forEach(([token], id) => vocab.set(token, id));
  else if (v) for (const [token, id] of Object.entries(v)) vocab.set(token, id);
  for (const t of tj.added_tokens ?? []) vocab.set(t.content, t.id);
  return vocab;
}

function vocabularySize(tj: TokenizerJSON): number {
  let max = -1;
  for (const id of vocabularyOf(tj).values()) if (id > max) max = id;
  return max + 1;
}
