// Dense embeddings from a transformer model (ONNX) through @huggingface/transformers' feature-extraction pipeline.
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../log/index.ts";
import { EmbedderUnavailableError } from "./errors.ts";
import { hubFileUrl, hubModelUrl } from "./hub-download.ts";
import { looksLikePath } from "./model-location.ts";
import { defaultPooling, poolingFolder, readPooling, type Pooling } from "./pooling.ts";
import { loadTransformers } from "./transformers-module.ts";
import type { Embedder } from "./types.ts";

export interface TransformersOptions {
  model: string;
  modelDir: string;
  /** Download from the hub when the model is not under MODEL_DIR (default true). */
  allowRemote?: boolean;
  /** Hub mirror, e.g. "https://huggingface.co/" (the library's default). */
  remoteHost?: string;
  /** A download whose server sends no response headers within this time fails (default 30 s). */
  responseTimeoutMs?: number;
  /** The whole load, downloads included, fails after this (default 30 min). */
  loadTimeoutMs?: number;
  /** Texts per forward pass. */
  batchSize?: number;
  /**
   * onnxruntime's threads for one forward pass (default: its own choice, one per core). Indexing in the background
   * uses 1, so a 2-core machine keeps a core for search and the editor; threads then never spin waiting for work.
   */
  threads?: number;
  /** Text put before each search query; default: the model's own instruction (instructionsFor); "" for none. */
  queryPrefix?: string;
}

/**
 * The instructions a retrieval model was trained with, by its name: the query prefix, and the passage prefix for the
 * models that want one on the indexed side too. Unknown models get none (they embed queries as plain text).
 */
export function instructionsFor(model: string): { query: string; passage: string } {
  const m = model.toLowerCase();
  if (/coderankembed/.test(m)) return { query: "Represent this query for searching relevant code: ", passage: "" };
  if (/nomic-embed/.test(m)) return { query: "search_query: ", passage: "search_document: " };
  if (/(^|[/_-])e5-/.test(m)) return { query: "query: ", passage: "passage: " };
  if (/(^|\/)bge-.*-zh/.test(m)) return { query: "为这个句子生成表示以用于检索相关文章：", passage: "" };
  if (/(^|\/)bge-.*-en|arctic-embed/.test(m)) return { query: "Represent this sentence for searching relevant passages: ", passage: "" };
  return { query: "", passage: "" };
}

type Extractor = ((texts: string[], opts: { pooling: Pooling; normalize: boolean }) => Promise<{ dims: number[]; data: Float32Array }>) & {
  model?: { config?: { hidden_size?: number; d_model?: number } };
  dispose?: () => Promise<void>;
};

class TransformersEmbedder implements Embedder {
  constructor(
    readonly name: string,
    readonly dimension: number,
    private readonly extractor: Extractor,
    private readonly pooling: Pooling,
    private readonly batchSize: number,
    private readonly instructions: { query: string; passage: string },
  ) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    const { passage } = this.instructions;
    return this.vectors(passage ? texts.map((t) => passage + t) : texts);
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [v] = await this.vectors([this.instructions.query + text]);
    return v!;
  }

  /**
   * A batch is padded to its longest text, so texts go through in order of length: padding is then a few tokens a
   * text instead of hundreds (code chunks run from one line to the 512-token limit). Results come back in input order.
   */
  private async vectors(texts: string[]): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(texts.length);
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    for (let i = 0; i < order.length; i += this.batchSize) {
      const idx = order.slice(i, i + this.batchSize);
      // Always unit length: the stores compare by cosine / dot product.
      const t = await this.extractor(idx.map((k) => texts[k]!), { pooling: this.pooling, normalize: true });
      const dim = t.dims[t.dims.length - 1]!;
      idx.forEach((k, r) => (out[k] = t.data.slice(r * dim, (r + 1) * dim)));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.extractor.dispose?.();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A fetch that gives up when no response headers arrive in time (a stalled mirror must not hang the start). */
function fetchWithResponseTimeout(base: typeof fetch, ms: number): typeof fetch {
  return async (input, init) => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`no response from ${String(input)} within ${ms} ms`)), ms);
    try {
      return await base(input, { ...init, signal: ac.signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The reason in one line, without a stack: the first line of the deepest cause. */
function reasonOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; code?: string } | undefined;
  let msg = e?.message ?? String(err);
  while (e?.cause && typeof e.cause === "object") {
    e = e.cause as typeof e;
    if (e?.message) msg = `${msg}: ${e.code ? e.code + " " : ""}${e.message}`;
  }
  return msg.split("\n")[0]!.slice(0, 300).replace(/[.\s]+$/, "");
}

/** Fetches the sentence-transformers pooling config beside the downloaded model, best effort. */
async function fetchPoolingConfig(id: string, folder: string, remoteHost: string, fetcher: typeof fetch): Promise<void> {
  const rel = `${poolingFolder(folder)}/config.json`;
  const target = path.join(folder, rel);
  if (fs.existsSync(target)) return;
  const res = await fetcher(hubFileUrl(remoteHost, id, rel));
  if (res.status !== 200) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, Buffer.from(await res.arrayBuffer()));
}

/** Full precision when the folder has it; an export that ships only the int8 file loads that one. */
function onnxDtype(folder: string): "fp32" | "q8" {
  const has = (f: string) => fs.existsSync(path.join(folder, "onnx", f));
  return !has("model.onnx") && has("model_quantized.onnx") ? "q8" : "fp32";
}

export async function createTransformersEmbedder(opts: TransformersOptions, log: Logger): Promise<Embedder> {
  const isPath = looksLikePath(opts.model);
  const modelDir = path.resolve(opts.modelDir);
  // A folder is loaded by its absolute path; an id is looked up under MODEL_DIR, where downloads are also cached.
  const id = isPath ? path.resolve(opts.model) : opts.model;
  const localFolder = isPath ? id : path.join(modelDir, id);
  const allowRemote = !isPath && (opts.allowRemote ?? true);
  const { env, pipeline, LogLevel } = await loadTransformers("transformers", opts.model);
  const remoteHost = opts.remoteHost ?? env.remoteHost;
  const looked = [localFolder, ...(allowRemote ? [`${hubModelUrl(remoteHost, id)} (download into ${localFolder})`] : [])];
  const remedy = isPath
    ? `Put an ONNX export of the model (config.json, tokenizer.json, onnx/model.onnx) in ${localFolder}.`
    : `Put the model folder (config.json, tokenizer.json, onnx/model.onnx) at ${localFolder}, ` +
      `or set EMBEDDING_MODEL to a local folder, or allow this machine to reach ${remoteHost}.`;

  // One logger: the library's console warnings would bypass it; its failures reach us as errors anyway.
  env.logLevel = LogLevel.ERROR;
  env.localModelPath = modelDir;
  env.cacheDir = modelDir;
  env.allowLocalModels = true;
  env.allowRemoteModels = allowRemote;
  env.remoteHost = remoteHost;
  const fetcher = fetchWithResponseTimeout(globalThis.fetch, opts.responseTimeoutMs ?? 30_000);
  env.fetch = fetcher;

  let extractor: Extractor;
  try {
    const session_options = opts.threads
      ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: "0" } } } }
      : {};
    const loading = pipeline("feature-extraction", id, { dtype: onnxDtype(localFolder), session_options }) as unknown as Promise<Extractor>;
    // A late failure after the timeout has nowhere to go; keep it from becoming an unhandled rejection.
    loading.catch(() => undefined);
    extractor = await withTimeout(loading, opts.loadTimeoutMs ?? 30 * 60_000, `loading ${id}`);
  } catch (err) {
    const missing = (err as Error)?.name === "ModelFileNotFoundError" || /not found locally/.test(String((err as Error)?.message));
    const reason = missing && !allowRemote ? "its files are not there and downloading is off" : reasonOf(err);
    throw new EmbedderUnavailableError("transformers", opts.model, looked, remedy, reason);
  }

  if (allowRemote) await fetchPoolingConfig(id, localFolder, remoteHost, fetcher).catch(() => undefined);
  const pooling = readPooling(localFolder) ?? defaultPooling(id);
  const config = extractor.model?.config;
  const dimension = config?.hidden_size ?? config?.d_model;
  if (!dimension) {
    await extractor.dispose?.();
    throw new EmbedderUnavailableError("transformers", opts.model, looked, remedy, "its config.json gives no hidden_size");
  }
  const name = `transformers:${isPath ? path.basename(id) : id}`;
  const instructions = instructionsFor(id);
  if (opts.queryPrefix !== undefined) instructions.query = opts.queryPrefix;
  log.info("embedding model loaded", { embedder: name, dimension, pooling, threads: opts.threads, query_prefix: instructions.query || undefined });
  return new TransformersEmbedder(name, dimension, extractor, pooling, opts.batchSize ?? 16, instructions);
}
