// The embedding module's public face: one factory that builds the embedder named by the settings.
import path from "node:path";
import type { Settings } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { EmbedderUnavailableError } from "./errors.ts";
import { DEFAULT_HUB, downloadModel, hubModelUrl } from "./hub-download.ts";
import { loadModel2Vec } from "./model2vec.ts";
import { locateModel } from "./model-location.ts";
import { noneEmbedder } from "./none.ts";
import { findLayout } from "./static-model.ts";
import { createTransformersEmbedder, type TransformersOptions } from "./transformers.ts";
import type { Embedder } from "./types.ts";

export type { Embedder } from "./types.ts";
export { EmbedderUnavailableError } from "./errors.ts";
export { noneEmbedder } from "./none.ts";

/** Knobs the settings do not carry (tests, mirrors): they never change which model is used. */
export type EmbedderOverrides = Pick<TransformersOptions, "allowRemote" | "remoteHost" | "responseTimeoutMs" | "loadTimeoutMs" | "batchSize">;

export async function createEmbedder(settings: Settings, log: Logger, overrides: EmbedderOverrides = {}): Promise<Embedder> {
  const model = settings.embeddingModel;
  switch (settings.embeddingProvider) {
    case "none":
      return noneEmbedder;
    case "model2vec":
      return createModel2Vec(settings, log, overrides);
    case "transformers":
      return createTransformersEmbedder({ model, modelDir: settings.modelDir, queryPrefix: settings.embeddingQueryPrefix, threads: settings.embeddingThreads, ...overrides }, log);
  }
}

const MODEL2VEC_FILES = ["config.json", "tokenizer.json", "model.safetensors"];

/** A local folder, an id already under MODEL_DIR, or an id downloaded from the hub into `<MODEL_DIR>/<id>`. */
async function createModel2Vec(settings: Settings, log: Logger, overrides: EmbedderOverrides): Promise<Embedder> {
  const model = settings.embeddingModel;
  const where = locateModel(model, settings.modelDir, (f) => findLayout(f) !== undefined);
  let folder = where.folder;
  let reason: string | undefined;
  const looked = [...where.looked];
  const host = overrides.remoteHost ?? DEFAULT_HUB;
  if (!folder && !where.isPath && overrides.allowRemote !== false) {
    const target = path.join(settings.modelDir, model);
    looked.push(`${hubModelUrl(host, model)} (download into ${target})`);
    try {
      log.info("downloading embedding model", { model, from: host, into: target });
      await downloadModel(model, target, MODEL2VEC_FILES, ["modules.json", "README.md"], overrides);
      folder = target;
    } catch (err) {
      reason = `download failed: ${(err as Error).message}`;
    }
  }
  if (!folder) {
    const remedy = where.isPath
      ? `Put a Model2Vec model (config.json, model.safetensors, tokenizer.json) in ${where.looked[0]}.`
      : `Put the model folder (config.json, model.safetensors, tokenizer.json) at ${where.looked[0]}, or set EMBEDDING_MODEL to a local folder` +
        (overrides.allowRemote === false ? "." : `, or allow this machine to reach ${host}.`);
    throw new EmbedderUnavailableError("model2vec", model, looked, remedy, reason);
  }
  const name = `model2vec:${where.isPath ? path.basename(folder) : model}`;
  let embedder: Embedder;
  try {
    embedder = await loadModel2Vec(folder, { name });
  } catch (err) {
    if (err instanceof EmbedderUnavailableError) throw err;
    const remedy = `Replace the files in ${folder} with a complete Model2Vec model.`;
    throw new EmbedderUnavailableError("model2vec", model, looked, remedy, (err as Error).message);
  }
  log.info("embedding model loaded", { embedder: name, dimension: embedder.dimension, folder });
  return embedder;
}
