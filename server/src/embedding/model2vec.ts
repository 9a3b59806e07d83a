// Model2Vec static embeddings: the mean of the token vectors of a text, computed exactly as the Python library does.
import path from "node:path";
import type { Embedder } from "./types.ts";
import { speedUpModelStep } from "./model-step.ts";
import { loadTransformers } from "./transformers-module.ts";
import { loadStaticModel, vocabularyOf, type StaticModelData, type TokenizerJSON } from "./static-model.ts";

/** Python model2vec's `encode` default. */
export const DEFAULT_MAX_TOKENS = 512;
/** Texts per slice of work before yielding to the event loop, so a server stays responsive while indexing. */
const SLICE = 64;

export interface TokenIds {
  encode(text: string): number[];
}

export interface Model2VecOptions {
  /** Identity recorded by the index, e.g. "model2vec:potion-base-8M". */
  name: string;
  maxTokens?: number;
  /** Faster tokenizer model step (default on; off only to compare with the library's own). */
  fastModelStep?: boolean;
}

export class Model2VecEmbedder implements Embedder {
  readonly name: string;
  readonly dimension: number;
  readonly normalize: boolean;
  private readonly maxTokens: number;
  /** The character cut applied before tokenizing: max tokens x the median token length (model2vec's shortcut). */
  private readonly maxChars: number;
  private readonly acc32: Float32Array;
  private readonly acc64: Float64Array;

  constructor(
    private readonly model: StaticModelData,
    private readonly tokenizer: TokenIds,
    private readonly unkId: number | undefined,
    medianTokenLength: number,
    opts: Model2VecOptions,
  ) {
    this.name = opts.name;
    this.dimension = model.dim;
    this.normalize = model.normalize;
    this.maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
    this.maxChars = this.maxTokens * medianTokenLength;
    this.acc32 = new Float32Array(model.dim);
    this.acc64 = new Float64Array(model.dim);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < texts.length; start += SLICE) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(texts.length, start + SLICE);
      for (let i = start; i < end; i++) out[i] = this.embedOne(texts[i]!);
    }
    return out;
  }

  /** Token ids of one text as model2vec's `tokenize` gives them: no special tokens, unknowns dropped, capped. */
  tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(truncateCodePoints(text, this.maxChars));
    const unk = this.unkId;
    let n = 0;
    for (let i = 0; i < ids.length && n < this.maxTokens; i++) {
      const id = ids[i]!;
      if (id !== unk) ids[n++] = id;
    }
    ids.length = n;
    return ids;
  }

  private embedOne(text: string): Float32Array {
    const ids = this.tokenize(text);
    const out = new Float32Array(this.dimension);
    // No tokens gives the zero vector, as in model2vec.
    if (ids.length === 0) return out;
    const mean = this.model.sumInFloat32 ? this.mean32(ids) : this.mean64(ids);
    const dim = this.dimension;
    let norm = 1;
    if (this.normalize) {
      let sq = 0;
      for (let d = 0; d < dim; d++) sq += mean[d]! * mean[d]!;
      norm = Math.sqrt(sq) + 1e-32;
    }
    for (let d = 0; d < dim; d++) out[d] = mean[d]! / norm;
    return out;
  }

  /** Mean of plain float32 rows, rounded to float32 after every addition (numpy's float32 mean). */
  private mean32(ids: number[]): Float32Array {
    const { embeddings, dim } = this.model;
    const acc = this.acc32;
    acc.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const base = ids[i]! * dim;
      for (let d = 0; d < dim; d++) acc[d]! += embeddings[base + d]!;
    }
    for (let d = 0; d < dim; d++) acc[d] = acc[d]! / ids.length;
    return acc;
  }

  /** Mean of rows scaled by per-token weights, in float64 (weights are float64, so numpy promotes). */
  private mean64(ids: number[]): Float64Array {
    const { embeddings, mapping, weights, dim } = this.model;
    const acc = this.acc64;
    acc.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const base = (mapping ? mapping[id]! : id) * dim;
      const w = weights ? weights[id]! : 1;
      for (let d = 0; d < dim; d++) acc[d]! += embeddings[base + d]! * w;
    }
    for (let d = 0; d < dim; d++) acc[d] = acc[d]! / ids.length;
    return acc;
  }
}

/** The first `max` code points of `text` (Python slices strings by code point, JS by UTF-16 unit). */
export function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (count === max) return text.slice(0, i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return text;
}

/**
 * The unknown token model2vec drops: the model's `unk_token` where the tokenizer model has that attribute
 * (WordPiece, WordLevel, BPE when set). Unigram models expose only `unk_id`, so model2vec keeps their unknowns.
 */
export function droppedUnknownId(tj: TokenizerJSON): number | undefined {
  const type = tj.model.type;
  const unk = tj.model.unk_token;
  if (type === "Unigram" || typeof unk !== "string") return undefined;
  return vocabularyOf(tj).get(unk);
}

/** `int(np.median([len(token) for token in vocabulary]))`, lengths in code points. */
export function medianTokenLength(tj: TokenizerJSON): number {
  const lengths: number[] = [];
  for (const token of vocabularyOf(tj).keys()) {
    let n = 0;
    for (const _ of token) n++;
    lengths.push(n);
  }
  if (lengths.length === 0) return 1;
  lengths.sort((a, b) => a - b);
  const mid = lengths.length >> 1;
  const median = lengths.length % 2 ? lengths[mid]! : (lengths[mid - 1]! + lengths[mid]!) / 2;
  return Math.trunc(median);
}

/** Loads the model in `folder` with transformers.js's tokenizer for its tokenizer.json. */
export async function loadModel2Vec(folder: string, opts: Partial<Model2VecOptions> = {}): Promise<Model2VecEmbedder> {
  const model = await loadStaticModel(folder);
  const { PreTrainedTokenizer } = await loadTransformers("model2vec", opts.name ?? folder);
  // An empty tokenizer_config: model2vec reads tokenizer.json alone, so nothing else may change tokenization.
  const tok = new PreTrainedTokenizer(model.tokenizerJSON, {});
  if (opts.fastModelStep !== false) speedUpModelStep(tok._tokenizer?.model, model.tokenizerJSON);
  const tokenizer: TokenIds = { encode: (text) => tok.encode(text, { add_special_tokens: false }) };
  return new Model2VecEmbedder(model, tokenizer, droppedUnknownId(model.tokenizerJSON), medianTokenLength(model.tokenizerJSON), {
    name: opts.name ?? `model2vec:${path.basename(path.resolve(folder))}`,
    maxTokens: opts.maxTokens,
  });
}
