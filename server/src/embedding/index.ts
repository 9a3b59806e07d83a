// The embedding module's public face: one factory that builds the embedder named by the settings.
import path from "node:path";
import type { Settings } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { EmbedderUnavailableError } from "./errors.ts";
import { loadModel2Vec } from "./model2vec.ts";
import { locateModel } from "./model-location.ts";
import { noneEmbedder } from "./none.ts";
import { findLayout } from "./static-model.ts";
import { createTransformersEmbedder, type TransformersOptions } from "./transformers.ts";
import type { Embedder } from "./types.ts";

export type { Embedder } from "./types.ts";
export { EmbedderUnavailableError } from "./errors.ts";

/** Knobs the settings do not carry (tests, mirrors): they never change which model is used. */
export type EmbedderOverrides = Pick<TransformersOptions, "allowRemote" | "remoteHost" | "responseTimeoutMs" | "loadTimeoutMs" | "batchSize">;

export async function createEmbedder(settings: Settings, log: Logger, overrides: EmbedderOverrides = {}): Promise<Embedder> {
  const model = settings.embeddingModel;
  switch (settings.embeddingProvider) {
    case "none":
      return noneEmbedder;
    case "model2vec": {
      const where = locateModel(model, settings.modelDir, (f) => findLayout(f) !== undefined);
      if (!where.folder) {
        const remedy = where.isPath
          ? `Put a Model2Vec model (config.json, model.safetensors, tokenizer.json) in ${where.looked[0]}.`
          : `Put the model folder (config.json, model.safetensors, tokenizer.json) at ${where.looked[0]}, or set EMBEDDING_MODEL to a local folder.`;
        throw new EmbedderUnavailableError("model2vec", model, where.looked, remedy);
      }
      const name = `model2vec:${where.isPath ? path.basename(where.folder) : model}`;
      let embedder: Embedder;
      try {
        embedder = await loadModel2Vec(where.folder, { name });
      } catch (err) {
        const remedy = `Replace the files in ${where.folder} with a complete Model2Vec model.`;
        throw new EmbedderUnavailableError("model2vec", model, where.looked, remedy, (err as Error).message);
      }
      log.info("embedding model loaded", { embedder: name, dimension: embedder.dimension, folder: where.folder });
      return embedder;
    }
    case "transformers":
      return createTransformersEmbedder({ model, modelDir: settings.modelDir, ...overrides }, log);
  }
}
